// Device preset files (data/devices/*.toml) through device::load_sot_mtj, with the input as the
// file's text; a parameter set that reads is also derived (device::derive) and printed back
// (device::to_toml), as `cimmc switching` does with it.
#include <cstddef>
#include <cstdint>

#include "cimmc/device/sot_mtj_params.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace cimmc;
  static const auto file = fuzz::scratch("device.toml");
  fuzz::write_file(file, data, size);
  fuzz::expect_success_or_cimmc_error([&] {
    const device::SotMtjParams p = device::load_sot_mtj(file);
    (void)device::derive(p);
    (void)device::to_toml(p);
  });
  return 0;
}
