// The periphery's organisation around each physical array: a design choice, read from the
// hardware file's [periphery] table (data/hw/README.md), not from the technology table, which
// holds only per-operation costs (docs/cost.md). An array is the cost model's physical crossbar;
// the engine's subarray is the R = crossbar.rows rows of it read at once. The keys are the field
// names.
#pragma once

#include "cimmc/core/config.hpp"

namespace cimmc::circuit {

struct Periphery {
  int array_rows = 128;         // physical rows of an array; R (crossbar.rows) of them are read at once
  int columns_per_adc = 8;      // columns multiplexed onto one ADC (read one after another)
  int accumulator_bits = 24;    // width of the shift-add accumulators
  int activation_bits_out = 8;  // bits written back per output activation
  int lcu_columns_shared = 8;   // columns multiplexed onto one LCU sense amplifier of a row group
  int digital_mac_units = 256;  // 8-bit MAC units serving the layers kept digital
};

// Reads a [periphery] table (every key optional, defaults above); problems name file, line, key.
// array_rows was subarray_rows before 0.1 (still read, with a deprecation warning).
Periphery read_periphery(core::config::TableReader table);

}  // namespace cimmc::circuit
