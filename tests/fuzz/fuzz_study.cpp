// Study files (studies/specs/*.toml, tests/studies/specs/*.toml) through studies::load_study,
// which checks the whole file and resolves every point's design; a study that loads is also
// resolved to its configuration text and hash (studies::resolve_study), as `cimmc run` does
// before it writes anything. Nothing is run and no results file is written.
#include <cstddef>
#include <cstdint>

#include "cimmc/studies/study_runner.hpp"
#include "cimmc/studies/study_spec.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace cimmc;
  static const auto file = fuzz::scratch("study.toml");
  static const auto output = fuzz::scratch("study_out.h5").string();
  fuzz::write_file(file, data, size);
  fuzz::expect_success_or_cimmc_error([&] {
    const studies::StudySpec spec = studies::load_study(file, {}, output);
    (void)studies::resolve_study(spec);
  });
  return 0;
}
