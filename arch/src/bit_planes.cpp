#include "cimmc/arch/bit_planes.hpp"

#include <fmt/format.h>
#include <immintrin.h>

#include <algorithm>
#include <bit>
#include <cstring>

#include "cimmc/core/error.hpp"

namespace cimmc::arch {

PlaneGeometry PlaneGeometry::make(int k, int rows) {
  if (k < 1 || rows < 1) throw core::ArgumentError(fmt::format("bit planes: K = {} and R = {} must be >= 1", k, rows));
  PlaneGeometry g;
  g.k = k;
  g.rows = rows;
  g.subarrays = (k + rows - 1) / rows;
  g.words_per_subarray = (rows + 63) / 64;
  return g;
}

namespace {

// ---- packing ----

void pack_portable(std::span<const std::uint8_t> values, int bits, const PlaneGeometry& g, std::uint64_t* out) {
  const int words = g.words();
  for (int s = 0; s < g.subarrays; ++s) {
    const int base = s * g.rows, n = g.rows_in(s);
    for (int off = 0; off < n; off += 64) {
      const int count = std::min(64, n - off);
      const int word = s * g.words_per_subarray + off / 64;
      const std::uint8_t* v = values.data() + base + off;
      for (int i = 0; i < bits; ++i) {
        std::uint64_t w = 0;
        for (int t = 0; t < count; ++t) w |= static_cast<std::uint64_t>((v[t] >> i) & 1u) << t;
        out[i * words + word] = w;
      }
    }
  }
}

__attribute__((target("avx512f,avx512bw"))) void pack_avx512(std::span<const std::uint8_t> values, int bits,
                                                             const PlaneGeometry& g, std::uint64_t* out) {
  const int words = g.words();
  for (int s = 0; s < g.subarrays; ++s) {
    const int base = s * g.rows, n = g.rows_in(s);
    for (int off = 0; off < n; off += 64) {
      const int count = std::min(64, n - off);
      const int word = s * g.words_per_subarray + off / 64;
      const __mmask64 load = count == 64 ? ~__mmask64{0} : (__mmask64{1} << count) - 1;
      const __m512i v = _mm512_maskz_loadu_epi8(load, values.data() + base + off);
      for (int i = 0; i < bits; ++i)
        out[i * words + word] = _mm512_test_epi8_mask(v, _mm512_set1_epi8(static_cast<char>(1 << i)));
    }
  }
}

// ---- AND + popcount ----

void and_popcount_portable(const std::uint64_t* a, const std::uint64_t* plane, int words, int columns,
                           std::int32_t* out) {
  for (int n = 0; n < columns; ++n) out[n] = 0;
  for (int w = 0; w < words; ++w) {
    const std::uint64_t x = a[w];
    if (x == 0) continue;
    const std::uint64_t* row = plane + static_cast<std::ptrdiff_t>(w) * columns;
    for (int n = 0; n < columns; ++n) out[n] += std::popcount(x & row[n]);
  }
}

__attribute__((target("avx2"))) inline __m256i popcount_epi64_avx2(__m256i v) {
  const __m256i table =
      _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4, 0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
  const __m256i low = _mm256_set1_epi8(0x0F);
  const __m256i lo = _mm256_and_si256(v, low);
  const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), low);
  const __m256i bytes = _mm256_add_epi8(_mm256_shuffle_epi8(table, lo), _mm256_shuffle_epi8(table, hi));
  return _mm256_sad_epu8(bytes, _mm256_setzero_si256());
}

__attribute__((target("avx2"))) void and_popcount_avx2(const std::uint64_t* a, const std::uint64_t* plane, int words,
                                                       int columns, std::int32_t* out) {
  for (int n = 0; n < columns; n += 8) {
    __m256i acc0 = _mm256_setzero_si256(), acc1 = _mm256_setzero_si256();
    for (int w = 0; w < words; ++w) {
      const __m256i x = _mm256_set1_epi64x(static_cast<long long>(a[w]));
      const std::uint64_t* row = plane + static_cast<std::ptrdiff_t>(w) * columns + n;
      acc0 = _mm256_add_epi64(
          acc0, popcount_epi64_avx2(_mm256_and_si256(x, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(row)))));
      acc1 = _mm256_add_epi64(acc1, popcount_epi64_avx2(_mm256_and_si256(
                                        x, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(row + 4)))));
    }
    alignas(32) std::int64_t tmp[8];
    _mm256_store_si256(reinterpret_cast<__m256i*>(tmp), acc0);
    _mm256_store_si256(reinterpret_cast<__m256i*>(tmp + 4), acc1);
    for (int t = 0; t < 8; ++t) out[n + t] = static_cast<std::int32_t>(tmp[t]);
  }
}

__attribute__((target("avx512f,avx512vpopcntdq"))) void and_popcount_avx512(const std::uint64_t* a,
                                                                            const std::uint64_t* plane, int words,
                                                                            int columns, std::int32_t* out) {
  for (int n = 0; n < columns; n += 8) {
    __m512i acc = _mm512_setzero_si512();
    for (int w = 0; w < words; ++w) {
      const __m512i x = _mm512_set1_epi64(static_cast<long long>(a[w]));
      const __m512i row = _mm512_loadu_si512(plane + static_cast<std::ptrdiff_t>(w) * columns + n);
      acc = _mm512_add_epi64(acc, _mm512_popcnt_epi64(_mm512_and_si512(x, row)));
    }
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + n), _mm512_maskz_cvtepi64_epi32(0xFF, acc));
  }
}

}  // namespace

void pack_bit_planes(core::KernelIsa isa, std::span<const std::uint8_t> values, int bits, const PlaneGeometry& g,
                     std::span<std::uint64_t> out) {
  if (static_cast<int>(values.size()) != g.k || out.size() < static_cast<std::size_t>(bits) * g.words() || bits < 1 ||
      bits > 8)
    throw core::ArgumentError(fmt::format("pack_bit_planes: {} values for K = {}, {} bits, {} output words (need {})",
                                          values.size(), g.k, bits, out.size(),
                                          static_cast<std::size_t>(bits) * g.words()));
  std::fill(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(bits) * g.words(), 0);
  if (isa == core::KernelIsa::kAvx512) pack_avx512(values, bits, g, out.data());
  else pack_portable(values, bits, g, out.data());
}

AndPopcountFn and_popcount_function(core::KernelIsa isa) {
  switch (isa) {
    case core::KernelIsa::kAvx512: return &and_popcount_avx512;
    case core::KernelIsa::kAvx2: return &and_popcount_avx2;
    case core::KernelIsa::kPortable: return &and_popcount_portable;
  }
  return &and_popcount_portable;
}

}  // namespace cimmc::arch
