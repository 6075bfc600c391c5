// Exact partial sums of one subarray and input stream by AND + popcount over the weight planes
// (docs/architecture.md, 3.4), and whether an input stream drives no row of a subarray.
#include "cimmc/arch/crossbar_layer.hpp"

#include <algorithm>

namespace cimmc::arch {

void CrossbarLayer::stream_partial_sums(const std::uint64_t* act, int s, int q, std::int32_t* tmp, std::int32_t* pos,
                                        std::int32_t* neg) const {
  const int np = n_pad_, words = geometry_.words(), wps = geometry_.words_per_subarray;
  const int i0 = q * config_.dac_bits, i1 = std::min(config_.input_bits, i0 + config_.dac_bits);
  const AndPopcountFn popc = and_popcount_function(isa_);
  const std::size_t elements = groups_.size() * static_cast<std::size_t>(np);
  std::fill(pos, pos + elements, 0);
  std::fill(neg, neg + elements, 0);
  for (int i = i0; i < i1; ++i) {
    // Every plane's popcounts for every output in one kernel call, then each group's PS.
    popc(act + static_cast<std::size_t>(i) * words + s * wps, planes_.data() + plane_index(0, s * wps, 0), wps,
         plane_count_ * np, tmp);
    const std::int32_t input_weight = 1 << (i - i0);
    for (std::size_t gi = 0; gi < groups_.size(); ++gi) {
      const ColumnGroup& g = groups_[gi];
      std::int32_t* gp = pos + gi * np;
      std::int32_t* gn = neg + gi * np;
      for (const auto& pl : g.positive) {
        const std::int32_t* t = tmp + static_cast<std::ptrdiff_t>(pl.plane) * np;
        const std::int32_t w = input_weight * pl.cell_weight;
        for (int n = 0; n < np; ++n) gp[n] += w * t[n];
      }
      for (const auto& pl : g.negative) {
        const std::int32_t* t = tmp + static_cast<std::ptrdiff_t>(pl.plane) * np;
        const std::int32_t w = input_weight * pl.cell_weight;
        for (int n = 0; n < np; ++n) gn[n] += w * t[n];
      }
    }
  }
}

bool CrossbarLayer::stream_idle(const std::uint64_t* act, int subarray, int q) const {
  const int words = geometry_.words(), wps = geometry_.words_per_subarray;
  const int i0 = q * config_.dac_bits, i1 = std::min(config_.input_bits, i0 + config_.dac_bits);
  for (int i = i0; i < i1; ++i)
    for (int w = 0; w < wps; ++w)
      if (act[static_cast<std::size_t>(i) * words + subarray * wps + w] != 0) return false;
  return true;
}

}  // namespace cimmc::arch
