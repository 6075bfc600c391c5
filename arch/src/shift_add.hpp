// The digital shift-add of one (subarray, input stream) block: acc[n] += bit_weight ·
// Σ_g value(g, n) · shift[g] for every output n < np (docs/architecture.md, section 4).
#pragma once

#include <algorithm>

namespace cimmc::arch::detail {

// A block of outputs at a time with the groups outer, so that the inner loop is contiguous and
// vectorizes (with the groups inner it stays scalar: a strided gather per group). Every output
// still sums its groups in ascending order with the same operations, so the result is the same
// bit for bit as the plain double loop over groups.
template <class Value>
inline void shift_add(int groups, int np, const double* shift, double bit_weight, double* acc, Value value) {
  constexpr int kBlock = 64;
  alignas(64) double sum[kBlock];
  for (int n0 = 0; n0 < np; n0 += kBlock) {
    const int len = std::min(kBlock, np - n0);
    std::fill(sum, sum + len, 0.0);
    for (int g = 0; g < groups; ++g) {
      const double sh = shift[g];
#pragma omp simd
      for (int i = 0; i < len; ++i) sum[i] += value(g, n0 + i) * sh;
    }
#pragma omp simd
    for (int i = 0; i < len; ++i) acc[n0 + i] += sum[i] * bit_weight;
  }
}

}  // namespace cimmc::arch::detail
