// The readout's slopes dPS_out/dPS per subarray for a partial-sum-aware backward pass
// (docs/architecture.md, "The seam between network and arch"): on their own (readout_slopes) or
// from the partial sums a run computes anyway (run with a slopes span).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "cimmc/arch/crossbar_layer.hpp"
#include "cimmc/core/error.hpp"

namespace cimmc::arch {

using circuit::ReadoutKind;

bool CrossbarLayer::readout_has_slopes() const {
  const auto kind = config_.readout.kind;
  return kind == ReadoutKind::kAdc || kind == ReadoutKind::kStochasticMtj;
}

void CrossbarLayer::prepare_slope_ranges() {
  slope_ps_low_.clear();
  slope_ps_high_.clear();
  if (config_.readout.kind != ReadoutKind::kStochasticMtj) return;
  // The PS inside the decoder map's range, !(|scale · PS + offset| > 1), of every (subarray,
  // conversion, output), [(s · C + conversion) · N + n]. The set is an interval (|x| <= 1 of an
  // affine x): found by evaluating that very expression, a point inside and then bisection, so
  // that the integer compare gives what the expression gives for every PS in [−FS, FS].
  const int subarrays = geometry_.subarrays, groups = static_cast<int>(groups_.size());
  const int conv = config_.input_streams() * groups, ifs = static_cast<int>(full_scale());
  slope_ps_low_.resize(static_cast<std::size_t>(subarrays) * conv * n_);
  slope_ps_high_.resize(slope_ps_low_.size());
  for (int s = 0; s < subarrays; ++s)
    for (int c = 0; c < conv; ++c) {
      const int sign = groups_[static_cast<std::size_t>(c % groups)].signed_readout ? 1 : 0;
      const int base = map_of(s, c, 0) * 2 + sign, step = column_maps_ ? 2 : 0;
      for (int n = 0; n < n_; ++n) {
        const auto& map = decode_maps_[static_cast<std::size_t>(base + n * step)];
        const auto inside = [&](int ps) { return !(std::abs(map.scale * ps + map.offset) > 1.0); };
        // The PS nearest the map's centre, and its neighbours: inside, if any PS is.
        int centre = 0;
        if (map.scale != 0.0)
          centre = static_cast<int>(
              std::clamp(std::round(-map.offset / map.scale), static_cast<double>(-ifs), static_cast<double>(ifs)));
        int in = ifs + 1;
        for (const int ps : {centre, centre - 1, centre + 1})
          if (ps >= -ifs && ps <= ifs && inside(ps)) in = ps;
        int low = 1, high = 0;  // empty unless a PS is inside
        if (in <= ifs) {
          int a = -ifs, b = in;  // the first inside PS in [a, b]
          while (a < b) {
            const int mid = a + (b - a) / 2;
            if (inside(mid)) b = mid;
            else a = mid + 1;
          }
          low = a;
          a = in, b = ifs;  // the last inside PS in [a, b]
          while (a < b) {
            const int mid = b - (b - a) / 2;
            if (inside(mid)) a = mid;
            else b = mid - 1;
          }
          high = a;
        }
        const std::size_t i = (static_cast<std::size_t>(s) * conv + c) * n_ + n;
        slope_ps_low_[i] = low;
        slope_ps_high_[i] = high;
      }
    }
}

void CrossbarLayer::slope_terms(SlopeModel model, int s, int q, bool idle, const std::int32_t* pos,
                                const std::int32_t* neg, double* weighted, double& total) const {
  const auto kind = config_.readout.kind;
  const int groups = static_cast<int>(groups_.size()), streams = config_.input_streams();
  const int conv = streams * groups;
  const bool skip_zero = kind == ReadoutKind::kStochasticMtj && config_.readout.mtj.sparse;
  idle = idle && skip_zero;
  const double stream_weight = std::ldexp(1.0, q * config_.dac_bits);
  for (int g = 0; g < groups; ++g) {
    const double w = stream_weight * std::abs(shift_weights_[static_cast<std::size_t>(g)]);
    const std::int32_t* gp = pos + static_cast<std::ptrdiff_t>(g) * n_pad_;
    const std::int32_t* gn = neg + static_cast<std::ptrdiff_t>(g) * n_pad_;
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
    if (model == SlopeModel::kRange) {
      // Branch-free: w · 1 = w where the PS is skipped or inside, w · 0 = 0 outside.
      const std::size_t first = (static_cast<std::size_t>(s) * conv + conversion) * n_;
      const std::int32_t* low = slope_ps_low_.data() + first;
      const std::int32_t* high = slope_ps_high_.data() + first;
      const std::uint8_t* zero_column =
          column_zero_.data() + (static_cast<std::size_t>(s) * groups_.size() + static_cast<std::size_t>(g)) * n_pad_;
      const int ideal = skip_zero && config_.readout.mtj.ideal_zero_detection ? 1 : 0;
      const int digital = skip_zero && !ideal ? 1 : 0, idle_bit = idle ? 1 : 0;
#pragma omp simd
      for (int n = 0; n < n_; ++n) {
        const std::int32_t ps = gp[n] - gn[n];
        const int skipped = (ideal & static_cast<int>((gp[n] | gn[n]) == 0)) |
                            (digital & (idle_bit | static_cast<int>(zero_column[n] != 0)));
        const int inside = static_cast<int>(ps >= low[n]) & static_cast<int>(ps <= high[n]);
        weighted[n] += (skipped | inside) != 0 ? w : 0.0;
      }
      continue;
    }
    const int sign = groups_[static_cast<std::size_t>(g)].signed_readout ? 1 : 0;
    const int base = map_of(s, conversion, 0) * 2 + sign, step = column_maps_ ? 2 : 0;
    const auto& table = mtj_tables_[static_cast<std::size_t>(table_index_[static_cast<std::size_t>(conversion)])];
    for (int n = 0; n < n_; ++n) {
      double slope = 1.0;  // a skipped (all-zero) PS is passed exactly
      if (!(skip_zero && mtj_skips(idle, s, g, n, gp[n], gn[n]))) {
        const auto& map = decode_maps_[static_cast<std::size_t>(base + n * step)];
        const double x = map.scale * (gp[n] - gn[n]) + map.offset;
        // PS_out = ps_of(x̂) = (x̂ − offset)/scale: dE[PS_out]/dPS = dE[x̂]/dx.
        slope = std::abs(x) > 1.0
                    ? 0.0
                    : table.slope[static_cast<std::size_t>(std::lround((x + 1.0) * 0.5 * (kSlopePoints - 1)))];
      }
      weighted[static_cast<std::size_t>(n)] += w * slope;
    }
  }
}

void CrossbarLayer::write_slopes(const double* weighted, double total, float* out) const {
  if (total > 0.0) {
    for (int n = 0; n < n_; ++n) out[n] = static_cast<float>(weighted[n] / total);
  } else {
    std::fill(out, out + n_, 1.0f);
  }
}

void CrossbarLayer::readout_slopes(std::span<const std::uint8_t> activations, int m, std::span<float> slopes,
                                   SlopeModel model) const {
  const int subarrays = geometry_.subarrays;
  if (m < 0 || activations.size() != static_cast<std::size_t>(m) * static_cast<std::size_t>(k_) ||
      slopes.size() != static_cast<std::size_t>(m) * subarrays * n_)
    throw core::ArgumentError(
        fmt::format("crossbar layer {}: readout slopes of {} activations and {} slopes for M = {}, "
                    "K = {}, {} subarrays, N = {}",
                    layer_id_, activations.size(), slopes.size(), m, k_, subarrays, n_));
  if (!readout_has_slopes()) {
    std::fill(slopes.begin(), slopes.end(), 1.0f);
    return;
  }
  const int words = geometry_.words(), bits = config_.input_bits, streams = config_.input_streams();
  const std::size_t elements = groups_.size() * static_cast<std::size_t>(n_pad_);
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
          slope_terms(model, s, q, stream_idle(act.data(), s, q), pos.data(), neg.data(), weighted.data(), total);
        }
        write_slopes(weighted.data(), total, slopes.data() + (static_cast<std::size_t>(s) * m + row) * n_);
      }
    }
  }
}

}  // namespace cimmc::arch
