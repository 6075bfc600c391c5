// Bit planes and AND + popcount kernels: the exact partial sums of a crossbar.
//
// A vector of K values of b bits becomes b binary planes. Rows are grouped into subarrays of R
// rows (the rows a crossbar activates in parallel); each subarray's rows start on a fresh
// 64-bit word, so subarray s of plane i occupies words [s·W, (s+1)·W), W = ceil(R / 64), and a
// subarray's PS never straddles a word boundary shared with another subarray.
//
// Weight planes are stored column-interleaved, [word][output] with the output count padded to
// kColumnPad, so one kernel call gives the PS of one (input plane, weight plane, subarray) for
// every output column at once: out[n] = Σ_w popcount(a[w] & plane[w][n]).
//
// Kernels: AVX-512 VPOPCNTDQ (8 columns per instruction), AVX2 (nibble-table popcount) and a
// portable path; the best one the CPU supports is chosen at run time (core::detect_kernel_isa),
// and any one can be forced (tests compare them all with a slow reference).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "cimmc/core/kernel_isa.hpp"

namespace cimmc::arch {

inline constexpr int kColumnPad = 8;
inline constexpr int pad_columns(int n) { return (n + kColumnPad - 1) / kColumnPad * kColumnPad; }

struct PlaneGeometry {
  int k = 0;                   // values per vector (GEMM inner dimension)
  int rows = 128;              // R, rows per subarray
  int subarrays = 0;           // ceil(K / R)
  int words_per_subarray = 0;  // ceil(R / 64)
  int words() const { return subarrays * words_per_subarray; }
  int rows_in(int s) const { return s + 1 < subarrays ? rows : k - s * rows; }
  // Word and bit of value k.
  int word_of(int kk) const { return (kk / rows) * words_per_subarray + (kk % rows) / 64; }
  int bit_of(int kk) const { return (kk % rows) % 64; }
  static PlaneGeometry make(int k, int rows);
};

// The kernel level (portable, avx2, avx512_vpopcntdq) is core's, shared with the random-number
// batches: detected once from the CPU, CIMMC_KERNEL forces a slower one (core/kernel_isa.hpp).

// Packs `bits` planes of one vector of K unsigned values (each < 2^bits) into
// out[bits][geometry.words()] (zeroed first).
void pack_bit_planes(core::KernelIsa isa, std::span<const std::uint8_t> values, int bits, const PlaneGeometry& g,
                     std::span<std::uint64_t> out);

// out[n] = Σ_{w < words} popcount(a[w] & plane[w·columns + n]) for n < columns
// (columns a multiple of kColumnPad).
using AndPopcountFn = void (*)(const std::uint64_t* a, const std::uint64_t* plane, int words, int columns,
                               std::int32_t* out);
AndPopcountFn and_popcount_function(core::KernelIsa isa);

}  // namespace cimmc::arch
