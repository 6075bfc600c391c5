// Technology tables (data/tech/*.toml) through circuit::load_technology, with the input as the
// file's text.
#include <cstddef>
#include <cstdint>

#include "cimmc/circuit/technology.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace cimmc;
  static const auto file = fuzz::scratch("tech.toml");
  fuzz::write_file(file, data, size);
  fuzz::expect_success_or_cimmc_error([&] { circuit::load_technology(file); });
  return 0;
}
