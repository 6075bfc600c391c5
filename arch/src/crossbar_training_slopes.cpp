// The readout's slopes dPS_out/dPS per subarray for a partial-sum-aware backward pass
// (docs/architecture.md, "The seam between network and arch").
#include "cimmc/arch/crossbar_layer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "cimmc/core/error.hpp"

namespace cimmc::arch {

using circuit::ReadoutKind;

void CrossbarLayer::readout_slopes(std::span<const std::uint8_t> activations, int m, std::span<float> slopes,
                                   SlopeModel model) const {
  const int subarrays = geometry_.subarrays;
  if (m < 0 || activations.size() != static_cast<std::size_t>(m) * static_cast<std::size_t>(k_) ||
      slopes.size() != static_cast<std::size_t>(m) * subarrays * n_)
    throw core::ArgumentError(
        fmt::format("crossbar layer {}: readout slopes of {} activations and {} slopes for M = {}, "
                    "K = {}, {} subarrays, N = {}",
                    layer_id_, activations.size(), slopes.size(), m, k_, subarrays, n_));
  const auto kind = config_.readout.kind;
  if (kind != ReadoutKind::kAdc && kind != ReadoutKind::kStochasticMtj) {
    std::fill(slopes.begin(), slopes.end(), 1.0f);
    return;
  }
  const int words = geometry_.words(), bits = config_.input_bits, streams = config_.input_streams();
  const int groups = static_cast<int>(groups_.size());
  const std::size_t elements = groups_.size() * static_cast<std::size_t>(n_pad_);
  const bool skip_zero = kind == ReadoutKind::kStochasticMtj && config_.readout.mtj.sparse;
  // For the range model: the decoder maps of every (subarray, conversion, output) side by side,
  // [(s · C + conversion) · N + n], so that the loop over outputs runs on vectors.
  const int conv = streams * groups;
  std::vector<double> range_scale, range_offset;
  if (kind == ReadoutKind::kStochasticMtj && model == SlopeModel::kRange) {
    range_scale.resize(static_cast<std::size_t>(subarrays) * conv * n_);
    range_offset.resize(range_scale.size());
    for (int s = 0; s < subarrays; ++s)
      for (int c = 0; c < conv; ++c) {
        const int sign = groups_[static_cast<std::size_t>(c % groups)].signed_readout ? 1 : 0;
        const int base = map_of(s, c, 0) * 2 + sign, step = column_maps_ ? 2 : 0;
        for (int n = 0; n < n_; ++n) {
          const auto& map = decode_maps_[static_cast<std::size_t>(base + n * step)];
          const std::size_t i = (static_cast<std::size_t>(s) * conv + c) * n_ + n;
          range_scale[i] = map.scale;
          range_offset[i] = map.offset;
        }
      }
  }
  // Rows are independent: each thread packs and reads its own rows.
#pragma omp parallel
  {
    std::vector<std::uint64_t> act(static_cast<std::size_t>(bits) * words);
    std::vector<std::int32_t> tmp(static_cast<std::size_t>(plane_count_) * n_pad_), pos(elements), neg(elements);
    std::vector<double> weighted(static_cast<std::size_t>(n_));
#pragma omp for schedule(static)
    for (int row = 0; row < m; ++row) {
      pack_bit_planes(isa_, activations.subspan(static_cast<std::size_t>(row) * k_, static_cast<std::size_t>(k_)), bits,
                      geometry_, act);
      for (int s = 0; s < subarrays; ++s) {
        std::fill(weighted.begin(), weighted.end(), 0.0);
        double total = 0.0;  // Σ w, the same for every output
        for (int q = 0; q < streams; ++q) {
          stream_partial_sums(act.data(), s, q, tmp.data(), pos.data(), neg.data());
          const bool idle = skip_zero && stream_idle(act.data(), s, q);
          const double stream_weight = std::ldexp(1.0, q * config_.dac_bits);
          for (int g = 0; g < groups; ++g) {
            const double w = stream_weight * std::abs(shift_weights_[static_cast<std::size_t>(g)]);
            const std::int32_t* gp = pos.data() + static_cast<std::ptrdiff_t>(g) * n_pad_;
            const std::int32_t* gn = neg.data() + static_cast<std::ptrdiff_t>(g) * n_pad_;
            total += w;
            // dPS_out/dPS of each output's PS.
            if (kind == ReadoutKind::kAdc) {
              const std::size_t e0 = static_cast<std::size_t>(g) * n_pad_;
              for (int n = 0; n < n_; ++n) {
                const std::size_t e = e0 + static_cast<std::size_t>(n);
                const double code = (gp[n] - gn[n]) * static_cast<double>(adc_inverse_step_[e]);
                const bool inside = code >= adc_min_code_[e] - 0.5 && code <= adc_max_code_[e] + 0.5;
                weighted[static_cast<std::size_t>(n)] += inside ? w : 0.0;
              }
              continue;
            }
            const int conversion = q * groups + g;
            const int sign = groups_[static_cast<std::size_t>(g)].signed_readout ? 1 : 0;
            const int base = map_of(s, conversion, 0) * 2 + sign, step = column_maps_ ? 2 : 0;
            const auto& table =
                mtj_tables_[static_cast<std::size_t>(table_index_[static_cast<std::size_t>(conversion)])];
            if (model == SlopeModel::kRange) {
              // The same sums branch-free: w · 1 = w where the PS is skipped or inside, w · 0 = 0 outside.
              const std::size_t first = (static_cast<std::size_t>(s) * conv + conversion) * n_;
              const double* scale = range_scale.data() + first;
              const double* offset = range_offset.data() + first;
              const std::uint8_t* zero_column =
                  column_zero_.data() +
                  (static_cast<std::size_t>(s) * groups_.size() + static_cast<std::size_t>(g)) * n_pad_;
              double* wsum = weighted.data();
              const int ideal = skip_zero && config_.readout.mtj.ideal_zero_detection ? 1 : 0;
              const int digital = skip_zero && !ideal ? 1 : 0, idle_bit = idle ? 1 : 0;
#pragma omp simd
              for (int n = 0; n < n_; ++n) {
                const double x = scale[n] * static_cast<double>(gp[n] - gn[n]) + offset[n];
                const int skipped = (ideal & static_cast<int>((gp[n] | gn[n]) == 0)) |
                                    (digital & (idle_bit | static_cast<int>(zero_column[n] != 0)));
                const int inside = static_cast<int>(!(std::abs(x) > 1.0));
                wsum[n] += (skipped | inside) != 0 ? w : 0.0;
              }
              continue;
            }
            for (int n = 0; n < n_; ++n) {
              double slope = 1.0;  // a skipped (all-zero) PS is passed exactly
              if (!(skip_zero && mtj_skips(idle, s, g, n, gp[n], gn[n]))) {
                const auto& map = decode_maps_[static_cast<std::size_t>(base + n * step)];
                const double x = map.scale * (gp[n] - gn[n]) + map.offset;
                // PS_out = ps_of(x̂) = (x̂ − offset)/scale: dE[PS_out]/dPS = dE[x̂]/dx.
                slope = std::abs(x) > 1.0 ? 0.0
                        : model == SlopeModel::kRange
                            ? 1.0
                            : table.slope[static_cast<std::size_t>(std::lround((x + 1.0) * 0.5 * (kSlopePoints - 1)))];
              }
              weighted[static_cast<std::size_t>(n)] += w * slope;
            }
          }
        }
        float* out = slopes.data() + (static_cast<std::size_t>(s) * m + row) * n_;
        if (total > 0.0) {
          for (int n = 0; n < n_; ++n) out[n] = static_cast<float>(weighted[static_cast<std::size_t>(n)] / total);
        } else {
          std::fill(out, out + n_, 1.0f);
        }
      }
    }
  }
}

}  // namespace cimmc::arch
