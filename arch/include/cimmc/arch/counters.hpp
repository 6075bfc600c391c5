// Counters of one crossbar GEMM (one layer, any number of rows): what the cost model turns into
// energy, latency and area. Every field is an exact integer count, summed per thread and then
// added, so totals do not depend on the thread count.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cimmc::arch {

struct Counters {
  std::string readout;  // readout kind name ("ideal", "adc", ...)
  int adc_bits = 0;     // ADC resolution (adc readout)
  int lcu_group_rows = 0, lcu_levels = 0;
  int rows_per_subarray = 0, subarrays = 0, column_groups = 0, columns = 0;  // mapping of the layer

  std::uint64_t gemm_rows = 0;          // rows of the activation matrix (images × patches)
  std::uint64_t macs = 0;               // multiply-accumulates of the integer GEMM (M·N·K)
  std::uint64_t array_reads = 0;        // (row, input bit, subarray) cycles: one activation of a subarray
  std::uint64_t active_rows = 0;        // Σ over array reads of rows driven with input bit 1
  std::uint64_t column_reads = 0;       // analog column accumulations (each side of a differential pair)
  std::uint64_t partial_sums = 0;       // PS reaching a readout (row × input bit × subarray × group × N)
  std::uint64_t zero_partial_sums = 0;  // PS whose bit-products are all zero
  std::uint64_t ideal_reads = 0;        // PS read by the ideal readout
  std::uint64_t adc_conversions = 0;    // ADC conversions done
  std::uint64_t adc_skipped = 0;        // all-zero PS not converted (sparse ADC)
  std::uint64_t clipped = 0;            // PS (or LCU senses) outside the readout's range
  std::uint64_t mtj_reads = 0;          // PS read by the stochastic MTJ
  std::uint64_t mtj_samples = 0;        // MTJ write/read/reset samples (Σ T)
  std::uint64_t mtj_skipped = 0;        // all-zero PS not sampled (sparse stochastic MTJ)
  std::uint64_t lcu_senses = 0;         // LCU group senses done
  std::uint64_t lcu_skipped = 0;        // LCU groups skipped (all bit-products zero)
  std::uint64_t shift_adds = 0;         // digital accumulations of readout values
  std::uint64_t noise_draws = 0;        // Gaussian draws consumed (diagnostic)

  // Bit-plane densities: ones per input bit (of gemm_rows · K values each) and per weight plane
  // (of N · K cells each; planes as listed by CrossbarLayer::plane_names()).
  std::vector<std::uint64_t> input_bit_ones;
  std::uint64_t input_bit_cells = 0;
  std::vector<std::uint64_t> weight_plane_ones;
  std::uint64_t weight_plane_cells = 0;

  // Adds another run's counts of the same layer (mapping fields are taken from `other` if unset).
  void merge(const Counters& other);
  double input_density(int bit) const;
  double weight_density(int plane) const;
};

}  // namespace cimmc::arch
