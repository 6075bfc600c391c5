#include "cimmc/arch/counters.hpp"

#include <algorithm>

namespace cimmc::arch {

namespace {
void add_vector(std::vector<std::uint64_t>& into, const std::vector<std::uint64_t>& from) {
  if (into.size() < from.size()) into.resize(from.size(), 0);
  for (std::size_t i = 0; i < from.size(); ++i) into[i] += from[i];
}
}  // namespace

void Counters::merge(const Counters& o) {
  if (readout.empty()) readout = o.readout;
  adc_bits = std::max(adc_bits, o.adc_bits);
  lcu_group_rows = std::max(lcu_group_rows, o.lcu_group_rows);
  lcu_levels = std::max(lcu_levels, o.lcu_levels);
  rows_per_subarray = std::max(rows_per_subarray, o.rows_per_subarray);
  subarrays = std::max(subarrays, o.subarrays);
  column_groups = std::max(column_groups, o.column_groups);
  columns = std::max(columns, o.columns);
  gemm_rows += o.gemm_rows;
  macs += o.macs;
  array_reads += o.array_reads;
  active_rows += o.active_rows;
  column_reads += o.column_reads;
  partial_sums += o.partial_sums;
  zero_partial_sums += o.zero_partial_sums;
  ideal_reads += o.ideal_reads;
  adc_conversions += o.adc_conversions;
  adc_skipped += o.adc_skipped;
  clipped += o.clipped;
  mtj_reads += o.mtj_reads;
  mtj_samples += o.mtj_samples;
  mtj_skipped += o.mtj_skipped;
  lcu_senses += o.lcu_senses;
  lcu_skipped += o.lcu_skipped;
  shift_adds += o.shift_adds;
  noise_draws += o.noise_draws;
  add_vector(input_bit_ones, o.input_bit_ones);
  input_bit_cells += o.input_bit_cells;
  add_vector(weight_plane_ones, o.weight_plane_ones);
  weight_plane_cells += o.weight_plane_cells;
}

double Counters::input_density(int bit) const {
  if (input_bit_cells == 0 || bit < 0 || bit >= static_cast<int>(input_bit_ones.size())) return 0.0;
  return static_cast<double>(input_bit_ones[static_cast<std::size_t>(bit)]) / static_cast<double>(input_bit_cells);
}

double Counters::weight_density(int plane) const {
  if (weight_plane_cells == 0 || plane < 0 || plane >= static_cast<int>(weight_plane_ones.size())) return 0.0;
  return static_cast<double>(weight_plane_ones[static_cast<std::size_t>(plane)]) /
         static_cast<double>(weight_plane_cells);
}

}  // namespace cimmc::arch
