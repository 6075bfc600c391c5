// The digital shift-add of one (subarray, input stream) block: acc[n] += bit_weight ·
// Σ_g value(g, n) · shift[g] for every output n < np (docs/architecture.md, section 4).
#pragma once

namespace cimmc::arch::detail {

// L outputs from n0 with the groups outer and the outputs inner, so that the inner loop is
// contiguous and vectorizes (with the groups inner and one output at a time it stays scalar: a
// strided gather per group). L is a compile-time width, so the L sums stay in registers through
// the group loop (with a run-time width they go through memory each group, a store-to-load
// latency per group that made the loop latency-bound for the narrow layers).
template <int L, class Value>
inline void shift_add_outputs(int n0, int groups, const double* shift, double bit_weight, double* acc, Value& value) {
  double sum[L] = {};
  for (int g = 0; g < groups; ++g) {
    const double sh = shift[g];
#pragma omp simd
    for (int i = 0; i < L; ++i) sum[i] += value(g, n0 + i) * sh;
  }
#pragma omp simd
  for (int i = 0; i < L; ++i) acc[n0 + i] += sum[i] * bit_weight;
}

// Every output still sums its groups in ascending order with the same operations, so the result
// is the same bit for bit as the plain double loop over groups.
template <class Value>
inline void shift_add(int groups, int np, const double* shift, double bit_weight, double* acc, Value value) {
  int n0 = 0;
  for (; n0 + 32 <= np; n0 += 32) shift_add_outputs<32>(n0, groups, shift, bit_weight, acc, value);
  for (; n0 + 8 <= np; n0 += 8) shift_add_outputs<8>(n0, groups, shift, bit_weight, acc, value);
  for (; n0 < np; ++n0) shift_add_outputs<1>(n0, groups, shift, bit_weight, acc, value);
}

}  // namespace cimmc::arch::detail
