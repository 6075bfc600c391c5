#include "cimmc/studies/study_runner.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <exception>
#include <memory>
#include <optional>
#include <set>
#include <sstream>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "cimmc/core/error.hpp"
#include "cimmc/core/output_lock.hpp"
#include "cimmc/core/parallel.hpp"
#include "cimmc/core/progress.hpp"
#include "cimmc/studies/memory_estimate.hpp"
#include "cimmc/studies/resolved_design.hpp"
#include "cimmc/studies/study_results.hpp"
#include "study_jobs.hpp"
#include "study_ranks.hpp"

namespace cimmc::studies {

namespace {

std::atomic<int> g_stop_signal{0};

extern "C" void on_stop_signal(int signal) { g_stop_signal.store(signal); }

// Installs the SIGINT/SIGTERM/SIGUSR1 handlers for the run and restores the previous ones after
// it. The handlers reset themselves (SA_RESETHAND), so a second signal ends the program at once.
// SIGUSR1 is the one that stops a distributed run in good order: OpenMPI's mpirun forwards it to
// every rank as it is, where it answers SIGTERM by SIGKILL after a second (docs/studies.md,
// "Distributed runs").
class StopSignals {
 public:
  StopSignals() {
    g_stop_signal.store(0);
    struct sigaction action {};
    action.sa_handler = on_stop_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESETHAND;
    sigaction(SIGINT, &action, &old_int_);
    sigaction(SIGTERM, &action, &old_term_);
    sigaction(SIGUSR1, &action, &old_usr1_);
  }
  ~StopSignals() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
    sigaction(SIGUSR1, &old_usr1_, nullptr);
  }
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;
  static int received() { return g_stop_signal.load(); }

 private:
  struct sigaction old_int_ {
  }, old_term_{}, old_usr1_{};
};

std::string quoted(const std::string& s) { return core::config::to_toml(core::config::Value(s)); }

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Design text with every key qualified by its table ("hardware.noise.cell_sigma_lsb = 0.1").
std::vector<std::string> qualified_lines(const ResolvedDesign& d) {
  std::vector<std::string> out;
  std::string table;
  for (const auto& line : lines_of(d.text())) {
    if (line.empty()) continue;
    if (line.front() == '[') table = line.substr(1, line.size() - 2);
    else out.push_back(fmt::format("{}.{}", table, line));
  }
  return out;
}

std::string format_duration(double s) {
  if (!(s < 1e9)) return "unknown";
  if (s < 120) return fmt::format("{:.1f} s", s);
  if (s < 7200) return fmt::format("{:.1f} min", s / 60);
  return fmt::format("{:.1f} h", s / 3600);
}

// The dominant allocations of a run: every per-slot array for points x trials, held in memory and
// again in the file image each checkpoint builds, and what the kind holds besides.
MemoryEstimate estimate_study_memory(const StudySpec& spec, StudyJobs& jobs, int threads) {
  StudyResults one(1, 1);
  jobs.define(one);
  double per_slot = 1;  // the done mask
  for (const auto& a : one.arrays) per_slot += 2 * 8.0 * static_cast<double>(a.slot_size());
  MemoryEstimate memory;
  memory.add("results arrays", per_slot * static_cast<double>(spec.points()) * spec.trials_run());
  jobs.estimate_memory(memory, threads);
  return memory;
}

void print_plan(const StudySpec& spec, const StudyResults& results, StudyJobs& jobs, const RunOptions& o,
                const std::string& hash, const MemoryEstimate& memory) {
  const std::size_t slots = results.points * results.trials, todo = slots - results.done_count();
  fmt::print(o.out, "study {} ({}), {}: seed {}, {} point{} x {} trial{} = {} slots, {} to run\n", spec.name,
             study_kind_name(spec.kind), spec.source, spec.seed, results.points, results.points == 1 ? "" : "s",
             results.trials, results.trials == 1 ? "" : "s", slots, todo);
  for (std::size_t g = 0; g < spec.groups.size(); ++g) {
    std::vector<std::string> parts;
    for (const auto a : spec.groups[g]) {
      std::vector<std::string> values;
      for (std::size_t i = 0; i < spec.axes[a].values.size(); ++i) values.push_back(spec.axes[a].text(i));
      parts.push_back(
          fmt::format("{} = [{}]{}", spec.axes[a].key, fmt::join(values, ", "),
                      spec.axes[a].units.empty() || spec.axes[a].units == "1" ? "" : " " + spec.axes[a].units));
    }
    fmt::print(o.out, "  axis {}{}: {}\n", g, spec.groups[g].size() > 1 ? " (zip)" : "", fmt::join(parts, "; "));
  }
  fmt::print(o.out, "  each slot: {}\n", jobs.slot_work());
  fmt::print(o.out, "  results: {} (configuration hash {})\n", spec.output, hash);
  const auto available = available_memory();
  fmt::print(o.out, "  memory: {}; {} available ({})\n", memory.text(), format_bytes(available.bytes),
             available.source);
  // The first and last points differ most in a sweep (no noise against the most, say).
  const std::size_t last = results.points - 1;
  const double per_slot = last == 0 ? jobs.probe_seconds_per_slot(0)
                                    : 0.5 * (jobs.probe_seconds_per_slot(0) + jobs.probe_seconds_per_slot(last));
  fmt::print(o.out, "  estimate: {} per slot (from probes of the first and last points), {} for the {} slots to run\n",
             format_duration(per_slot), format_duration(per_slot * static_cast<double>(todo)), todo);
}

}  // namespace

ResolvedStudy resolve_study(const StudySpec& spec) {
  std::string text = fmt::format(
      "# the resolved study: its settings, the design of point 0 in full and what each other point changes\n"
      "[study]\nname = {}\nkind = \"{}\"\nseed = {}\ntrials = {}\n\n[base]\n",
      quoted(spec.name), study_kind_name(spec.kind), spec.seed, spec.trials_run());
  if (spec.kind == StudyKind::kInference)
    text += fmt::format("model = {}\ndataset = {}\nlimit = {}\ncalibration_images = {}\nbatch = {}\nbits = {}\n",
                        quoted(spec.model), quoted(spec.dataset), spec.limit, spec.calibration_images, spec.batch,
                        spec.bits);
  if (spec.kind == StudyKind::kTrain)
    text += fmt::format("model = {}\ndataset = {}\nlimit = {}\n", quoted(spec.model), quoted(spec.dataset), spec.limit);
  if (spec.kind == StudyKind::kCost)
    text += fmt::format("model = {}\ninput = [{}]\nclasses = {}\nbits = {}\n", quoted(spec.model),
                        fmt::join(spec.input, ", "), spec.classes, spec.bits);
  text += "\n[sweep]\n";
  for (const auto& a : spec.axes) {
    std::vector<std::string> values;
    for (const auto& v : a.values) values.push_back(toml_value_text(v));
    text += fmt::format("{} = [{}]\n", quoted(a.key), fmt::join(values, ", "));
  }
  std::vector<std::string> groups;
  groups.reserve(spec.groups.size());
  for (const auto& g : spec.groups) {
    std::vector<std::string> keys;
    keys.reserve(g.size());
    for (const auto a : g) keys.push_back(quoted(spec.axes[a].key));
    groups.push_back(fmt::format("[{}]", fmt::join(keys, ", ")));
  }
  text += fmt::format("groups = [{}]\n", fmt::join(groups, ", "));
  const auto first = qualified_lines(resolve_design(spec, 0));
  text += "\n[design]\n";
  for (const auto& l : first) text += l + "\n";
  const std::set<std::string> base(first.begin(), first.end());
  std::string changes;
  for (std::size_t p = 1; p < spec.points(); ++p) {
    const auto lines = qualified_lines(resolve_design(spec, p));
    std::vector<std::string> changed;
    for (const auto& l : lines)
      if (!base.count(l)) changed.push_back(quoted(l));
    changes += fmt::format("{} = [{}]\n", p, fmt::join(changed, ", "));
  }
  if (!changes.empty()) text += "\n[point_changes]  # lines of [design] each point sets differently\n" + changes;
  return {text, hash_hex(fnv1a64(text))};
}

RunOutcome run_study(const StudySpec& spec, const RunOptions& o) {
#ifdef _OPENMP
  if (o.threads > 0) omp_set_num_threads(o.threads);
#endif
  if (o.threads < 0)
    throw core::ArgumentError(fmt::format("--threads {}: expected a number of threads >= 1", o.threads));
  // From here a stop signal is a request, honoured at the next slot boundary (before the first
  // slot, if it comes while the run starts). A dry run is left to stop at once.
  std::optional<StopSignals> signals;
  if (!o.dry_run) signals.emplace();
  auto& ranks = StudyRanks::world();
  const auto t_start = std::chrono::steady_clock::now();
  std::vector<ResolvedDesign> designs;
  for (std::size_t p = 0; p < spec.points(); ++p) designs.push_back(resolve_design(spec, p));
  const auto resolved = resolve_study(spec);

  RunOutcome outcome;
  outcome.config_hash = resolved.hash;
  outcome.root = ranks.root();
  // Until every rank is ready a failure may be one rank's alone (rank 0's lock and checks of the
  // results file, a memory check on one machine): it is kept, every rank learns of it at
  // ranks.start(), and none waits for the others.
  StudyResults results(0, 0);  // sized once the memory check has passed
  std::unique_ptr<StudyJobs> jobs;
  MemoryEstimate memory;
  core::OutputLock lock;  // rank 0 writes the file; held until the last checkpoint
  std::exception_ptr failure;
  try {
    if (ranks.root() && !o.dry_run) lock = core::OutputLock(spec.output);
    // Rank 0 alone reads an existing file; the workers receive its done mask at ranks.start().
    const bool exists = ranks.root() && std::filesystem::exists(spec.output);
    if (exists && !o.resume && !o.force && !o.dry_run)
      throw core::ConfigError(
          fmt::format("{}: the results file exists; --resume continues it, --force replaces it", spec.output));
    if (exists && o.resume) {
      const auto stored = read_study_hash(spec.output);
      if (stored != resolved.hash)
        throw core::ConfigError(
            fmt::format("{}: written by a study of configuration hash {}, this study resolves to {}; "
                        "--resume continues only the same study (write to a new file instead)",
                        spec.output, stored, resolved.hash));
    }
    jobs = make_study_jobs(spec, designs);
    // Memory, before the results arrays are allocated and before any slot runs.
    // Every MPI rank on this machine holds its own copy (docs/reliability.md, section 9).
    const int local_ranks = ranks.ranks_on_this_machine();
    memory = estimate_study_memory(spec, *jobs, o.threads > 0 ? o.threads : core::max_threads()).times(local_ranks);
    check_memory(memory,
                 fmt::format("{}: the study ({} points x {} trials{})", spec.source, spec.points(), spec.trials_run(),
                             local_ranks > 1 ? fmt::format(", {} MPI ranks on this machine", local_ranks) : ""),
                 local_ranks > 1 ? "start fewer ranks per machine, or run fewer points or trials per file, fewer "
                                   "images or a smaller batch"
                                 : "run fewer points or trials per file, fewer images or a smaller batch");
    results = StudyResults(spec.points(), static_cast<std::size_t>(spec.trials_run()));
    jobs->define(results);
    if (exists && o.resume) read_study_slots(spec.output, results);
  } catch (...) {
    failure = std::current_exception();
  }
  if (!ranks.start(failure == nullptr, results.done)) {
    if (failure) std::rethrow_exception(failure);
    throw core::RuntimeFailure(fmt::format(
        "distributed run, rank {}: another rank could not start the study (its own message says why)", ranks.rank()));
  }
  outcome.slots = results.points * results.trials;
  outcome.done_before = results.done_count();
  if (o.dry_run) {
    if (ranks.root()) print_plan(spec, results, *jobs, o, resolved.hash, memory);
    outcome.done_after = outcome.done_before;
    return outcome;
  }
  const StudyProvenance provenance{spec.name, std::string(study_kind_name(spec.kind)), resolved.text, resolved.hash,
                                   spec.seed};
  const auto checkpoint = [&] {
    if (ranks.root()) write_study_file(spec.output, spec, results, provenance);
  };
  JobContext context;
  context.output = spec.output;
  context.resume = o.resume;
  context.stop = [] { return StopSignals::received() != 0; };
  checkpoint();
  auto last_checkpoint = std::chrono::steady_clock::now();
  core::Progress progress(spec.name, outcome.slots - outcome.done_before, "trials", o.quiet || !ranks.root());
  context.note = [&progress](const std::string& note) { progress.set_note(note); };
  const auto due_checkpoint = [&] {
    const double since = std::chrono::duration<double>(std::chrono::steady_clock::now() - last_checkpoint).count();
    if (since >= spec.checkpoint_seconds) {
      checkpoint();
      last_checkpoint = std::chrono::steady_clock::now();
    }
  };
  // The slots pending at the start are dealt round-robin among the ranks in point-major order
  // (one rank: all). The deal uses the done mask as it was at the start: rank 0 marks the others'
  // slots done as they arrive, which must not shift the deal.
  const std::vector<std::uint8_t> done_at_start = results.done;
  std::size_t pending = 0;
  for (std::size_t p = 0; p < results.points && !StopSignals::received(); ++p)
    for (std::size_t t = 0; t < results.trials && !StopSignals::received(); ++t) {
      if (done_at_start[p * results.trials + t] || !ranks.owns(pending++)) continue;
      progress.set_note(fmt::format("point {}/{}", p + 1, results.points));
      if (!jobs->run(p, t, results, context)) break;  // stopped inside the slot (resumable)
      results.done[p * results.trials + t] = 1;
      if (!ranks.root()) {
        ranks.send_slot(results, p, t);
        continue;
      }
      progress.advance(1 + ranks.receive_ready(results));
      due_checkpoint();
    }
  if (ranks.root()) {
    progress.advance(ranks.receive_all(results));
  } else {
    ranks.send_finished();
  }
  progress.finish();
  checkpoint();
  ranks.finish();
  outcome.done_after = results.done_count();
  outcome.interrupted = StopSignals::received() != 0;
  outcome.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
  return outcome;
}

}  // namespace cimmc::studies
