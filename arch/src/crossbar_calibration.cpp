// Calibration of the crossbar readout on data (docs/architecture.md, 3.2): PS statistics of
// calibration rows, ADC ranges and MTJ affine maps from them.
#include "cimmc/arch/crossbar_layer.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "cimmc/core/error.hpp"

namespace cimmc::arch {

using circuit::ReadoutKind;

void CrossbarLayer::set_calibration(LayerCalibration calibration) {
  const std::size_t maps = calibration.mtj_maps.size(), per_output = static_cast<std::size_t>(geometry_.subarrays) *
                                                                     static_cast<std::size_t>(conversions());
  if (maps != 0 && maps != per_output && maps != per_output * static_cast<std::size_t>(n_))
    throw core::ArgumentError(
        fmt::format("crossbar layer {}: {} MTJ affine maps for {} subarrays × {} conversions (input "
                    "streams × column groups) and {} outputs (expected one per subarray and "
                    "conversion, or per subarray, conversion and output)",
                    layer_id_, maps, geometry_.subarrays, conversions(), n_));
  calibration_ = std::move(calibration);
  prepare_readout();
}

void CrossbarLayer::calibrate(const PsStatistics& stats) {
  LayerCalibration c;
  if (config_.readout.kind == ReadoutKind::kAdc && config_.readout.adc.calibrated_range)
    c.adc_range = std::max(1.0, stats.abs_percentile(config_.readout.adc.clip_percentile));
  if (config_.readout.kind == ReadoutKind::kStochasticMtj) {
    const auto& mtj = config_.readout.mtj;
    const auto map_for = [&](double mean, double sd) {
      circuit::AffineMap map;
      map.scale = 1.0 / (mtj.calibration_sigmas * std::max(sd, 0.5));
      map.offset = -mean * map.scale;
      return map;
    };
    const int conv = conversions();
    if (stats.columns != n_ || stats.conversions != conv ||
        stats.column_count.size() != static_cast<std::size_t>(geometry_.subarrays) * conv * n_)
      throw core::ArgumentError(
          fmt::format("crossbar layer {}: PS statistics of {} columns and {} conversions for {} outputs "
                      "and {} conversions",
                      layer_id_, stats.columns, stats.conversions, n_, conv));
    for (int s = 0; s < geometry_.subarrays; ++s)
      for (int q = 0; q < conv; ++q) {
        if (!mtj.per_column_calibration) {
          c.mtj_maps.push_back(map_for(stats.conversion_mean(s, q), stats.conversion_stddev(s, q)));
          continue;
        }
        for (int n = 0; n < n_; ++n)
          c.mtj_maps.push_back(map_for(stats.column_mean(s, q, n), stats.column_stddev(s, q, n)));
      }
  }
  set_calibration(std::move(c));
}

PsStatistics CrossbarLayer::collect_statistics(std::span<const std::uint8_t> activations, int m) const {
  if (m < 0 || activations.size() != static_cast<std::size_t>(m) * static_cast<std::size_t>(k_))
    throw core::ArgumentError(
        fmt::format("crossbar layer {}: {} activations for M = {} × K = {}", layer_id_, activations.size(), m, k_));
  const int fs = static_cast<int>(full_scale());
  PsStatistics stats;
  stats.full_scale = fs;
  stats.columns = n_;
  stats.conversions = conversions();
  stats.histogram.assign(static_cast<std::size_t>(geometry_.subarrays),
                         std::vector<std::uint64_t>(static_cast<std::size_t>(2 * fs + 1), 0));
  const std::size_t cells = static_cast<std::size_t>(geometry_.subarrays) * stats.conversions * n_;
  for (auto* v : {&stats.column_count, &stats.column_sum, &stats.column_sum_squares}) v->assign(cells, 0.0);
  const int words = geometry_.words(), bits = config_.input_bits;
  const std::size_t elements = groups_.size() * static_cast<std::size_t>(n_pad_);
  const bool skip_zero = config_.readout.kind == ReadoutKind::kStochasticMtj && config_.readout.mtj.sparse;
  // Each thread counts its rows; the counts and sums are of integers, so the merged totals do
  // not depend on the thread count or order.
  const PsStatistics empty = stats;
#pragma omp parallel
  {
    PsStatistics mine = empty;
    std::vector<std::uint64_t> act(static_cast<std::size_t>(bits) * words);
    std::vector<std::int32_t> tmp(static_cast<std::size_t>(plane_count_) * n_pad_), pos(elements), neg(elements);
#pragma omp for schedule(static) nowait
    for (int row = 0; row < m; ++row) {
      pack_bit_planes(isa_, activations.subspan(static_cast<std::size_t>(row) * k_, static_cast<std::size_t>(k_)), bits,
                      geometry_, act);
      for (int s = 0; s < geometry_.subarrays; ++s)
        for (int q = 0; q < config_.input_streams(); ++q) {
          stream_partial_sums(act.data(), s, q, tmp.data(), pos.data(), neg.data());
          const bool idle = skip_zero && stream_idle(act.data(), s, q);
          auto& h = mine.histogram[static_cast<std::size_t>(s)];
          for (std::size_t g = 0; g < groups_.size(); ++g)
            for (int n = 0; n < n_; ++n) {
              const std::size_t e = g * n_pad_ + n;
              const int ps = pos[e] - neg[e];
              ++h[static_cast<std::size_t>(ps + fs)];
              if (skip_zero && mtj_skips(idle, s, static_cast<int>(g), n, pos[e], neg[e]))
                continue;  // never converted: not in the maps' moments
              const std::size_t c = (static_cast<std::size_t>(s) * stats.conversions + q * groups_.size() + g) *
                                        static_cast<std::size_t>(n_) +
                                    n;
              mine.column_count[c] += 1.0;
              mine.column_sum[c] += ps;
              mine.column_sum_squares[c] += static_cast<double>(ps) * ps;
            }
        }
    }
#pragma omp critical(cimmc_ps_statistics)
    stats.merge(mine);
  }
  return stats;
}

}  // namespace cimmc::arch
