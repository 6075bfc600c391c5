// Study results files (cimmc.study, docs/formats.md) as `cimmc run --resume` reads them: the
// configuration hash (studies::read_study_hash), then the done mask and every result array the
// study kind defines (studies::read_study_slots), by structured mutations (hdf5_mutator.hpp) of
// the results of tests/studies/specs/cost_tiny.toml written at start-up. The study is loaded and
// resolved once; each input repeats the resume path of studies::run_study
// (studies/src/study_runner.cpp) without its dry-run probe.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>

#include "cimmc/studies/study_runner.hpp"
#include "cimmc/studies/study_spec.hpp"
#include "hdf5_mutator.hpp"
#include "study_jobs.hpp"

using namespace cimmc;

namespace {

struct Base {
  studies::StudySpec spec;
  std::vector<studies::ResolvedDesign> designs;
  std::string hash;
  std::vector<char> bytes;
  std::unique_ptr<studies::StudyJobs> jobs;  // define() is const: one for every input
};

Base make_base() {
  Base b;
  const auto spec_file = fuzz::source_path("tests/studies/specs/cost_tiny.toml");
  const auto base_file = fuzz::scratch("base_results.h5");
  b.spec = studies::load_study(spec_file, {}, base_file.string());
  std::FILE* null = std::fopen("/dev/null", "w");
  studies::RunOptions o;
  o.force = true;
  o.quiet = true;
  o.out = null;
  studies::run_study(b.spec, o);
  std::fclose(null);
  b.bytes = fuzz::read_bytes(base_file);
  for (std::size_t p = 0; p < b.spec.points(); ++p) b.designs.push_back(studies::resolve_design(b.spec, p));
  b.hash = studies::resolve_study(b.spec).hash;
  b.jobs = studies::make_study_jobs(b.spec, b.designs);
  return b;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const Base base = make_base();
  static const auto file = fuzz::scratch("results.h5");
  fuzz::Input in(data, size);
  fuzz::write_mutated(base.bytes, file, in);
  fuzz::expect_success_or_cimmc_error([&] {
    if (studies::read_study_hash(file) != base.hash) return;  // refused by run_study (cimmc::core::ConfigError)
    studies::StudyResults results(base.spec.points(), static_cast<std::size_t>(base.spec.trials_run()));
    base.jobs->define(results);
    studies::read_study_slots(file, results);
  });
  return 0;
}
