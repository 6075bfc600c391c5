#include "cimmc/circuit/fast_normal.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

#include "cimmc/core/error.hpp"

// GCC 12's AVX-512 intrinsics start from _mm512_undefined_*(), which -Wmaybe-uninitialized
// reports as a false positive once inlined.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop

namespace cimmc::circuit {

namespace {

// ln(x) for x in (0, 1]: x = 2^e · m with m in [sqrt(1/2), sqrt(2)), ln m by the atanh series
// in t = (m-1)/(m+1), |t| <= 0.172 (terms to t^9: relative error < 1e-8 before rounding).
inline float log_positive(float x) {
  std::uint32_t bits = std::bit_cast<std::uint32_t>(x);
  int e = static_cast<int>(bits >> 23) - 127;
  bits = (bits & 0x007FFFFFu) | 0x3F800000u;  // m in [1, 2)
  float m = std::bit_cast<float>(bits);
  const bool big = m > 1.41421356f;
  m = big ? m * 0.5f : m;
  e = big ? e + 1 : e;
  const float t = (m - 1.0f) / (m + 1.0f);
  const float t2 = t * t;
  const float series = t * (2.0f + t2 * (2.0f / 3 + t2 * (2.0f / 5 + t2 * (2.0f / 7 + t2 * (2.0f / 9)))));
  return static_cast<float>(e) * 0.69314718f + series;
}

#if defined(__AVX512F__)
// 32-bit high and low halves of a·c for 16 lanes.
inline void mul_hi_lo(__m512i a, __m512i c, __m512i& hi, __m512i& lo) {
  const __m512i even = _mm512_mul_epu32(a, c);
  const __m512i odd = _mm512_mul_epu32(_mm512_srli_epi64(a, 32), c);
  hi = _mm512_mask_blend_epi32(0xAAAA, _mm512_srli_epi64(even, 32), odd);
  lo = _mm512_mask_blend_epi32(0xAAAA, even, _mm512_slli_epi64(odd, 32));
}

// kChains × 16 blocks starting at `block`, stored in stream order. Independent chains are
// interleaved because one Philox round is a chain of dependent multiplies.
constexpr int kChains = 4;
inline void philox_chains(rng::Key key, const rng::Counter& base, std::uint32_t block, std::uint32_t* out) {
  __m512i c0[kChains], c1[kChains], c2[kChains], c3[kChains];
  const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  for (int j = 0; j < kChains; ++j) {
    c0[j] = _mm512_add_epi32(_mm512_set1_epi32(static_cast<int>(block + 16u * static_cast<std::uint32_t>(j))), lane);
    c1[j] = _mm512_set1_epi32(static_cast<int>(base[1]));
    c2[j] = _mm512_set1_epi32(static_cast<int>(base[2]));
    c3[j] = _mm512_set1_epi32(static_cast<int>(base[3]));
  }
  const __m512i m0 = _mm512_set1_epi32(static_cast<int>(0xD2511F53u));
  const __m512i m1 = _mm512_set1_epi32(static_cast<int>(0xCD9E8D57u));
  std::uint32_t k0 = key[0], k1 = key[1];
  for (int r = 0; r < 10; ++r) {
    const __m512i key0 = _mm512_set1_epi32(static_cast<int>(k0)), key1 = _mm512_set1_epi32(static_cast<int>(k1));
    for (int j = 0; j < kChains; ++j) {
      __m512i hi0, lo0, hi1, lo1;
      mul_hi_lo(c0[j], m0, hi0, lo0);
      mul_hi_lo(c2[j], m1, hi1, lo1);
      c0[j] = _mm512_ternarylogic_epi32(hi1, c1[j], key0, 0x96);  // three-way xor
      c2[j] = _mm512_ternarylogic_epi32(hi0, c3[j], key1, 0x96);
      c1[j] = lo1;
      c3[j] = lo0;
    }
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  for (int j = 0; j < kChains; ++j) {
    // Structure of arrays -> block order: a 4×4 transpose inside each 128-bit lane, then lanes.
    const __m512i t0 = _mm512_unpacklo_epi32(c0[j], c1[j]), t1 = _mm512_unpacklo_epi32(c2[j], c3[j]);
    const __m512i t2 = _mm512_unpackhi_epi32(c0[j], c1[j]), t3 = _mm512_unpackhi_epi32(c2[j], c3[j]);
    const __m512i r0 = _mm512_unpacklo_epi64(t0, t1), r1 = _mm512_unpackhi_epi64(t0, t1);
    const __m512i r2 = _mm512_unpacklo_epi64(t2, t3), r3 = _mm512_unpackhi_epi64(t2, t3);
    const __m512i u0 = _mm512_shuffle_i32x4(r0, r1, 0x44), u1 = _mm512_shuffle_i32x4(r2, r3, 0x44);
    const __m512i u2 = _mm512_shuffle_i32x4(r0, r1, 0xEE), u3 = _mm512_shuffle_i32x4(r2, r3, 0xEE);
    std::uint32_t* o = out + 64 * j;
    _mm512_storeu_si512(o, _mm512_shuffle_i32x4(u0, u1, 0x88));
    _mm512_storeu_si512(o + 16, _mm512_shuffle_i32x4(u0, u1, 0xDD));
    _mm512_storeu_si512(o + 32, _mm512_shuffle_i32x4(u2, u3, 0x88));
    _mm512_storeu_si512(o + 48, _mm512_shuffle_i32x4(u2, u3, 0xDD));
  }
}
#endif

}  // namespace

void philox_words(rng::Key key, rng::Counter base, std::uint32_t first_block, std::span<std::uint32_t> out) {
  const std::size_t blocks = (out.size() + 3) / 4;
  if (std::uint64_t{first_block} + blocks > std::numeric_limits<std::uint32_t>::max())
    throw RuntimeFailure("random stream exhausted: more than 2^32 blocks drawn from one stream");
  std::size_t b = 0;
  std::uint32_t* o = out.data();
#if defined(__AVX512F__)
  for (; (b + 16 * kChains) * 4 <= out.size(); b += 16 * kChains)
    philox_chains(key, base, first_block + static_cast<std::uint32_t>(b), o + 4 * b);
#endif
  for (; b < blocks; ++b) {
    rng::Counter c = base;
    c[0] = first_block + static_cast<std::uint32_t>(b);
    const rng::Counter r = rng::philox4x32_10(c, key);
    for (std::size_t j = 0; j < 4 && 4 * b + j < out.size(); ++j) o[4 * b + j] = r[j];
  }
}

void normals_from_words(std::span<const std::uint32_t> words, std::span<float> out) {
  const std::size_t pairs = std::min(words.size(), out.size()) / 2;
  const std::uint32_t* w = words.data();
  float* o = out.data();
  constexpr float kHalfPi = 1.57079632679f;
  constexpr float kQuarterPi = 0.78539816340f;
  constexpr float kInvSqrt2 = 0.70710678118f;
#pragma omp simd
  for (std::size_t i = 0; i < pairs; ++i) {
    // Radius from the top 24 bits: u in (0, 1), never 0.
    const float u = (static_cast<float>(w[2 * i] >> 8) + 0.5f) * 0x1p-24f;
    const float r = std::sqrt(-2.0f * log_positive(u));
    // Angle: two bits pick the quadrant, 24 bits the position inside it; sin and cos of the
    // offset from the quadrant's middle by Taylor series (|y| <= pi/4, error < 4e-8).
    const std::uint32_t a = w[2 * i + 1];
    const std::uint32_t quadrant = a >> 30;
    const float y = (static_cast<float>((a >> 6) & 0xFFFFFFu) + 0.5f) * 0x1p-24f * kHalfPi - kQuarterPi;
    const float y2 = y * y;
    const float sy = y * (1.0f - y2 * (1.0f / 6 - y2 * (1.0f / 120 - y2 * (1.0f / 5040 - y2 * (1.0f / 362880)))));
    const float cy = 1.0f - y2 * (0.5f - y2 * (1.0f / 24 - y2 * (1.0f / 720 - y2 * (1.0f / 40320))));
    // Rotate by pi/4 to get the angle inside the quadrant, then by the quadrant.
    const float c0 = (cy - sy) * kInvSqrt2;
    const float s0 = (cy + sy) * kInvSqrt2;
    const float c = quadrant == 0 ? c0 : quadrant == 1 ? -s0 : quadrant == 2 ? -c0 : s0;
    const float s = quadrant == 0 ? s0 : quadrant == 1 ? c0 : quadrant == 2 ? -s0 : -c0;
    o[2 * i] = r * c;
    o[2 * i + 1] = r * s;
  }
}

NormalBuffer::NormalBuffer(std::size_t chunk) : chunk_(std::max<std::size_t>(2, chunk + chunk % 2)) {}

void NormalBuffer::reset(std::uint64_t seed, const rng::StreamAddress& address) {
  key_ = rng::key_from_seed(seed);
  base_ = rng::stream_counter(address, 0);
  next_block_ = 0;
  pos_ = values_.size();
}

const float* NormalBuffer::take(std::size_t n) {
  if (pos_ + n > values_.size()) {
    std::size_t size = std::max(chunk_, n + n % 2);
    words_.resize(size);
    values_.resize(size);
    philox_words(key_, base_, next_block_, words_);
    next_block_ += static_cast<std::uint32_t>((size + 3) / 4);
    normals_from_words(words_, values_);
    drawn_ += size;
    pos_ = 0;
  }
  const float* p = values_.data() + pos_;
  pos_ += n;
  return p;
}

WordBuffer::WordBuffer(std::size_t chunk) : chunk_(std::max<std::size_t>(1, chunk)) {}

void WordBuffer::reset(std::uint64_t seed, const rng::StreamAddress& address) {
  key_ = rng::key_from_seed(seed);
  base_ = rng::stream_counter(address, 0);
  next_block_ = 0;
  pos_ = words_.size();
}

const std::uint32_t* WordBuffer::take(std::size_t n) {
  if (pos_ + n > words_.size()) {
    words_.resize(std::max(chunk_, n));
    philox_words(key_, base_, next_block_, words_);
    next_block_ += static_cast<std::uint32_t>((words_.size() + 3) / 4);
    pos_ = 0;
  }
  const std::uint32_t* p = words_.data() + pos_;
  pos_ += n;
  return p;
}

}  // namespace cimmc::circuit
