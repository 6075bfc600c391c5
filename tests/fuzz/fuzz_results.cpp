// Study results files (cimmc.study, docs/formats.md) as `cimmc run --resume` reads them
// (studies::run_study with resume and dry_run: the configuration hash, the done mask and every
// result array), by structured mutations (hdf5_mutator.hpp) of the results of
// tests/studies/specs/cost_tiny.toml written at start-up.
#include <cstddef>
#include <cstdint>
#include <cstdio>

#include "cimmc/studies/study_runner.hpp"
#include "cimmc/studies/study_spec.hpp"
#include "hdf5_mutator.hpp"

using namespace cimmc;

namespace {

struct Base {
  studies::StudySpec spec;
  std::vector<char> bytes;
  std::FILE* null = std::fopen("/dev/null", "w");
};

Base make_base() {
  Base b;
  const auto spec_file = fuzz::source_path("tests/studies/specs/cost_tiny.toml");
  const auto base_file = fuzz::scratch("base_results.h5");
  auto spec = studies::load_study(spec_file, {}, base_file.string());
  studies::RunOptions o;
  o.force = true;
  o.quiet = true;
  o.out = b.null;
  studies::run_study(spec, o);
  b.bytes = fuzz::read_bytes(base_file);
  b.spec = studies::load_study(spec_file, {}, fuzz::scratch("results.h5").string());
  return b;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const Base base = make_base();
  static const auto file = fuzz::scratch("results.h5");
  fuzz::Input in(data, size);
  fuzz::write_mutated(base.bytes, file, in);
  fuzz::expect_success_or_cimmc_error([&] {
    studies::RunOptions o;
    o.resume = true;
    o.dry_run = true;
    o.quiet = true;
    o.out = base.null;
    studies::run_study(base.spec, o);
  });
  return 0;
}
