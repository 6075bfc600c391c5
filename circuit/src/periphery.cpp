#include "cimmc/circuit/periphery.hpp"

#include <fmt/format.h>

namespace cimmc::circuit {

Periphery read_periphery(core::config::TableReader t) {
  Periphery p;
  const auto count = [&](const char* key, int& out, int most) {
    t.optional(key, out);
    t.check(out >= 1 && out <= most, key, fmt::format("1 to {}", most));
  };
  t.renamed("subarray_rows", "array_rows");  // renamed in 0.1: the engine's subarray is R rows read at once
  count("array_rows", p.array_rows, 1 << 20);
  count("columns_per_adc", p.columns_per_adc, 1 << 20);
  count("accumulator_bits", p.accumulator_bits, 64);
  count("activation_bits_out", p.activation_bits_out, 64);
  count("lcu_columns_shared", p.lcu_columns_shared, 1 << 20);
  count("digital_mac_units", p.digital_mac_units, 1 << 30);
  t.finish();
  return p;
}

}  // namespace cimmc::circuit
