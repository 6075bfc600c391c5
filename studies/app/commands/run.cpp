// `cimmc run STUDY.toml`: runs a study file (studies/specs/ has commented examples) with the
// study runner: points x trials, checkpoints, --resume, --dry-run; results in a cimmc.study file.
#include <fmt/format.h>

#include <csignal>

#include "cimmc/core/error.hpp"
#include "cimmc/studies/cli.hpp"
#include "cimmc/studies/study_runner.hpp"
#include "cimmc/studies/study_spec.hpp"

namespace cimmc::studies {

namespace {

struct RunCommandOptions {
  std::string study, output;
  std::vector<std::string> overrides;
  studies::RunOptions run;
};

void run_command(RunCommandOptions& o, bool quiet) {
  // SIGUSR1 asks a run to stop (run_study handles it while it runs). Before and after that it has
  // nothing to stop and is ignored: under mpirun, a rank that it killed after its run would have
  // mpirun kill the rest of the job.
  std::signal(SIGUSR1, SIG_IGN);
  const auto spec = studies::load_study(o.study, o.overrides, o.output);
  o.run.quiet = o.run.quiet || quiet;
  if (o.run.resume && o.run.force) throw core::ArgumentError("--resume and --force exclude each other");
  const auto r = studies::run_study(spec, o.run);
  if (o.run.dry_run || !r.root) return;  // the worker ranks of a distributed run report nothing
  if (r.interrupted)
    throw core::RuntimeFailure(
        fmt::format("stopped by a signal: {} of {} slots done, kept in {}; continue with --resume", r.done_after,
                    r.slots, spec.output));
  fmt::print("{}: {} of {} slots done ({} run now) in {:.1f} s; wrote {}\n", spec.name, r.done_after, r.slots,
             r.done_after - r.done_before, r.seconds, spec.output);
}

void register_run(Registry& r) {
  static RunCommandOptions o;
  auto* sub = r.add("run", "Run a study file: sweep points x trials, results in a cimmc.study file",
                    [&r] { run_command(o, r.global().quiet); });
  sub->add_option("study", o.study, "Study file (TOML; examples in studies/specs/)")->required();
  sub->add_option("-o,--output", o.output, "Results file (replaces study.output)");
  sub->add_option("--set", o.overrides,
                  "Override: study.trials=5, base.limit=100, sweep.noise.cell_sigma_lsb=[0,0.1], or a design key such "
                  "as noise.sense_sigma_lsb=0.5");
  sub->add_option("--threads", o.run.threads, "OpenMP threads (default: all); results do not depend on it")
      ->check(count_at_least(1, 4096));
  sub->add_flag("--resume", o.run.resume, "Continue an existing results file of the same configuration");
  sub->add_flag("--force", o.run.force, "Replace an existing results file");
  sub->add_flag("--dry-run", o.run.dry_run, "Print the plan and an estimate of work and time; run nothing");
  sub->add_flag("--quiet", o.run.quiet, "No progress line");
}

}  // namespace

CIMMC_REGISTER_COMMAND(30, register_run);

}  // namespace cimmc::studies
