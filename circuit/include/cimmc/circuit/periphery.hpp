// The periphery's organisation around each subarray: a design choice, read from the hardware
// file's [periphery] table (data/hw/README.md), not from the technology table, which holds only
// per-operation costs (docs/cost.md).
#pragma once

#include "cimmc/core/config.hpp"

namespace cimmc::circuit {

struct Periphery {
  int subarray_rows = 128;      // physical rows of a subarray; R (crossbar.rows) of them are read at once
  int columns_per_adc = 8;      // columns multiplexed onto one ADC (read one after another)
  int accumulator_bits = 24;    // width of the shift-add accumulators
  int activation_bits_out = 8;  // bits written back per output activation
  int lcu_columns_shared = 8;   // columns multiplexed onto one LCU sense amplifier of a row group
  int digital_mac_units = 256;  // 8-bit MAC units serving the layers kept digital
};

// Reads a [periphery] table (every key optional, defaults above); problems name file, line, key.
Periphery read_periphery(core::config::TableReader table);

}  // namespace cimmc::circuit
