// The `--set key=value` override parser (cimmc::core::config::apply_override) and the validation of the
// overridden values: each input line is one override, applied to a shipped hardware, device or
// technology file (the first byte chooses) through its loader, as `cimmc eval --set`,
// `cimmc switching --set` and `cimmc cost --set` do.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "cimmc/arch/crossbar_config.hpp"
#include "cimmc/circuit/technology.hpp"
#include "cimmc/core/config.hpp"
#include "cimmc/device/sot_mtj_params.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace cimmc;
  if (size == 0) return 0;
  const int target = data[0] % 4;
  std::vector<std::string> overrides;
  std::string line;
  for (std::size_t i = 1; i < size; ++i) {
    if (data[i] == '\n') {
      overrides.push_back(line);
      line.clear();
    } else {
      line += static_cast<char>(data[i]);
    }
  }
  if (!line.empty()) overrides.push_back(line);
  fuzz::expect_success_or_cimmc_error([&] {
    switch (target) {
      case 0: arch::load_crossbar_config(fuzz::source_path("data/hw/zebra_lcu.toml"), overrides); break;
      case 1: arch::load_crossbar_config(fuzz::source_path("data/hw/stox_mtj_physical.toml"), overrides); break;
      case 2: device::load_sot_mtj(fuzz::source_path("data/devices/stox_converter.toml"), overrides); break;
      default: circuit::load_technology(fuzz::source_path("data/tech/22nm.toml"), overrides); break;
    }
  });
  // The parser alone, on an empty document.
  fuzz::expect_success_or_cimmc_error([&] {
    cimmc::core::config::Document doc = cimmc::core::config::parse_string("");
    cimmc::core::config::apply_overrides(doc, overrides);
    (void)cimmc::core::config::to_toml(doc.root);
  });
  return 0;
}
