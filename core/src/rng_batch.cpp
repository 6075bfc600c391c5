// Batch Philox and normals (rng_batch.hpp). This file is compiled without floating-point
// contraction (core/CMakeLists.txt) and fuses its multiply-adds explicitly, so the normal
// transform performs the same IEEE operations in every version and the versions agree bit for bit; and with
// -fno-trapping-math and -fno-math-errno, without which GCC leaves its selects and sqrt as branches and does not
// vectorize the transform at all below AVX-512 (integer-to-float conversions go through int32
// for the same reason: AVX2 has no unsigned conversion).
#include "cimmc/core/rng_batch.hpp"

#include <algorithm>
#include <bit>
#include <limits>
#include <string>

#include "cimmc/core/error.hpp"

// GCC 12's AVX-512 intrinsics start from _mm512_undefined_*(), which -Wmaybe-uninitialized
// reports as a false positive once inlined.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop

namespace cimmc::core::rng {

namespace {

constexpr std::uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u;
constexpr std::uint32_t kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;

// ---- the normal transform ----

// Every multiply-add below is one explicit fused multiply-add (__builtin_fmaf: one rounding), the
// same instruction at every level; a CPU without FMA (the portable level on pre-2013 x86) computes
// the same correctly rounded value in software, slowly.
#define CIMMC_FMA(a, b, c) __builtin_fmaf((a), (b), (c))

// The constants of the transform, shared by the scalar and the hand-vectorized versions: Cephes
// logf (Horner from the highest power; ln 2 split in two), the sine and cosine Taylor series on
// [-pi/4, pi/4] (from y^9 and y^10 down), and the angle map.
constexpr float kLogPoly[] = {7.0376836292e-2f,  -1.1514610310e-1f, 1.1676998740e-1f,
                              -1.2420140846e-1f, 1.4249322787e-1f,  -1.6668057665e-1f,
                              2.0000714765e-1f,  -2.4999993993e-1f, 3.3333331174e-1f};
constexpr float kLn2Low = -2.12194440e-4f, kLn2High = 0.693359375f, kSqrtHalf = 0.70710678f;
constexpr float kSinPoly[] = {2.7557319e-6f, -1.9841270e-4f, 8.3333333e-3f, -1.6666667e-1f};
constexpr float kCosPoly[] = {-2.7557319e-7f, 2.4801587e-5f, -1.3888889e-3f, 4.1666667e-2f, -0.5f, 1.0f};
constexpr float kAngleScale = 0x1p-30f * 1.57079632679f, kAngleOffset = -0.5f * 1.57079632679f;

// -2 ln(u), u = (top 24 bits of w + 0.5) / 2^24 in (0, 1): Cephes logf on the mantissa in
// [sqrt(1/2), sqrt(2)).
[[gnu::always_inline]] inline float minus_two_log_u(std::uint32_t w) {
  const float u = (static_cast<float>(static_cast<std::int32_t>(w >> 8)) + 0.5f) * 0x1p-24f;
  const std::uint32_t bits = std::bit_cast<std::uint32_t>(u);
  float e = static_cast<float>(static_cast<int>(bits >> 23) - 126);
  float x = std::bit_cast<float>((bits & 0x007FFFFFu) | 0x3F000000u);  // [0.5, 1)
  const bool small = x < kSqrtHalf;
  e = small ? e - 1.0f : e;
  x = small ? x + x - 1.0f : x - 1.0f;
  const float z = x * x;
  float y = kLogPoly[0];
  y = CIMMC_FMA(y, x, kLogPoly[1]);
  y = CIMMC_FMA(y, x, kLogPoly[2]);
  y = CIMMC_FMA(y, x, kLogPoly[3]);
  y = CIMMC_FMA(y, x, kLogPoly[4]);
  y = CIMMC_FMA(y, x, kLogPoly[5]);
  y = CIMMC_FMA(y, x, kLogPoly[6]);
  y = CIMMC_FMA(y, x, kLogPoly[7]);
  y = CIMMC_FMA(y, x, kLogPoly[8]);
  y = y * x * z;
  y = CIMMC_FMA(kLn2Low, e, y);
  y = CIMMC_FMA(-0.5f, z, y);
  const float ln = CIMMC_FMA(kLn2High, e, x + y);
  return -2.0f * ln;
}

// (cos, sin) of a uniform angle from w: the top two bits pick a quadrant, the other 30 an angle
// y in [-pi/4, pi/4) within it.
[[gnu::always_inline]] inline void unit_circle(std::uint32_t w, float& c, float& s) {
  const std::uint32_t q = w >> 30;
  const float y = CIMMC_FMA(static_cast<float>(static_cast<std::int32_t>(w & 0x3FFFFFFFu)), kAngleScale, kAngleOffset);
  const float y2 = y * y;
  float sn = CIMMC_FMA(y2, kSinPoly[0], kSinPoly[1]);
  sn = CIMMC_FMA(y2, sn, kSinPoly[2]);
  sn = CIMMC_FMA(y2, sn, kSinPoly[3]);
  sn = CIMMC_FMA(y2 * y, sn, y);
  float cs = CIMMC_FMA(y2, kCosPoly[0], kCosPoly[1]);
  cs = CIMMC_FMA(y2, cs, kCosPoly[2]);
  cs = CIMMC_FMA(y2, cs, kCosPoly[3]);
  cs = CIMMC_FMA(y2, cs, kCosPoly[4]);
  cs = CIMMC_FMA(y2, cs, kCosPoly[5]);
  const bool odd = (q & 1u) != 0;
  const float a = odd ? -sn : cs;
  const float b = odd ? cs : sn;
  const bool neg = (q & 2u) != 0;
  c = neg ? -a : a;
  s = neg ? -b : b;
}
#undef CIMMC_FMA

[[gnu::always_inline]] inline void box_muller(std::uint32_t radius, std::uint32_t angle, float& z0, float& z1) {
  const float r = __builtin_sqrtf(minus_two_log_u(radius));
  float c, s;
  unit_circle(angle, c, s);
  z0 = r * c;
  z1 = r * s;
}

#define CIMMC_NORMAL_PAIRS_BODY \
  _Pragma("omp simd") for (std::size_t i = 0; i < n; ++i) box_muller(radius[i], angle[i], z0[i], z1[i]);
#define CIMMC_NORMALS_INTERLEAVED_BODY                        \
  _Pragma("omp simd") for (std::size_t i = 0; i < pairs; ++i) \
      box_muller(w[2 * i], w[2 * i + 1], o[2 * i], o[2 * i + 1]);

void normal_pairs_portable(const std::uint32_t* radius, const std::uint32_t* angle, std::size_t n, float* z0,
                           float* z1) {
  CIMMC_NORMAL_PAIRS_BODY
}
[[gnu::target("avx512f,fma")]] void normal_pairs_avx512(const std::uint32_t* radius, const std::uint32_t* angle,
                                                        std::size_t n, float* z0, float* z1) {
  CIMMC_NORMAL_PAIRS_BODY
}
void normals_interleaved_portable(const std::uint32_t* w, std::size_t pairs, float* o) {
  CIMMC_NORMALS_INTERLEAVED_BODY
}
[[gnu::target("avx512f,fma")]] void normals_interleaved_avx512(const std::uint32_t* w, std::size_t pairs, float* o) {
  CIMMC_NORMALS_INTERLEAVED_BODY
}
#undef CIMMC_NORMAL_PAIRS_BODY
#undef CIMMC_NORMALS_INTERLEAVED_BODY

// ---- the normal transform, AVX2 by hand ----
// GCC's vectorization of box_muller above keeps one 8-lane vector in flight, spills its constants
// and picks the quadrant with four blends and three sign flips. This version performs the same
// IEEE operations in the same order on kChains vectors at a time, interleaved (the logarithm and
// the square root are one long dependent chain), and applies the quadrant as two blends and two
// sign masks: c = ±(odd ? sin : cos) with the sign of odd xor neg, s = ±(odd ? cos : sin) with
// that of neg (negation is exact, and r · (−a) = −(r · a)). Tested bit for bit against the scalar
// transform (tests/core: NormalsAreBitIdenticalAtEveryLevel).
template <int kChains>
[[gnu::target("avx2,fma"), gnu::always_inline]] inline void box_muller_avx2(const __m256i* radius, const __m256i* angle,
                                                                            __m256* z0, __m256* z1) {
  const __m256 one = _mm256_set1_ps(1.0f);
  __m256 x[kChains], e[kChains], y[kChains], z[kChains], r[kChains];
  // The scalar version's e and x, in integer operations: v = top 24 bits + 0.5 has the mantissa
  // of u = v · 2^-24 and an exponent 24 higher; "x < sqrt(1/2)" compares mantissas; 2x − 1 is
  // 2x (the mantissa under the exponent of [1, 2)) − 1, x + x being exact.
  constexpr std::int32_t kSqrtHalfMantissa =
      static_cast<std::int32_t>(std::bit_cast<std::uint32_t>(kSqrtHalf) & 0x007FFFFFu);
  for (int j = 0; j < kChains; ++j) {
    const __m256i bits =
        _mm256_castps_si256(_mm256_add_ps(_mm256_cvtepi32_ps(_mm256_srli_epi32(radius[j], 8)), _mm256_set1_ps(0.5f)));
    const __m256i mantissa = _mm256_and_si256(bits, _mm256_set1_epi32(0x007FFFFF));
    const __m256i small = _mm256_cmpgt_epi32(_mm256_set1_epi32(kSqrtHalfMantissa), mantissa);  // −1 or 0
    e[j] = _mm256_cvtepi32_ps(
        _mm256_add_epi32(_mm256_srli_epi32(bits, 23), _mm256_add_epi32(small, _mm256_set1_epi32(-(126 + 24)))));
    const __m256i exponent =
        _mm256_or_si256(_mm256_and_si256(small, _mm256_set1_epi32(0x00800000)), _mm256_set1_epi32(0x3F000000));
    x[j] = _mm256_sub_ps(_mm256_castsi256_ps(_mm256_or_si256(mantissa, exponent)), one);
    z[j] = _mm256_mul_ps(x[j], x[j]);
    y[j] = _mm256_set1_ps(kLogPoly[0]);
  }
  for (int k = 1; k < 9; ++k)
    for (int j = 0; j < kChains; ++j) y[j] = _mm256_fmadd_ps(y[j], x[j], _mm256_set1_ps(kLogPoly[k]));
  for (int j = 0; j < kChains; ++j) {
    __m256 t = _mm256_mul_ps(_mm256_mul_ps(y[j], x[j]), z[j]);
    t = _mm256_fmadd_ps(_mm256_set1_ps(kLn2Low), e[j], t);
    t = _mm256_fmadd_ps(_mm256_set1_ps(-0.5f), z[j], t);
    const __m256 ln = _mm256_fmadd_ps(_mm256_set1_ps(kLn2High), e[j], _mm256_add_ps(x[j], t));
    r[j] = _mm256_sqrt_ps(_mm256_mul_ps(_mm256_set1_ps(-2.0f), ln));
  }
  const __m256 sign = _mm256_castsi256_ps(_mm256_set1_epi32(static_cast<int>(0x80000000u)));
  for (int j = 0; j < kChains; ++j) {
    const __m256 a = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_and_si256(angle[j], _mm256_set1_epi32(0x3FFFFFFF))),
                                     _mm256_set1_ps(kAngleScale), _mm256_set1_ps(kAngleOffset));
    const __m256 a2 = _mm256_mul_ps(a, a);
    __m256 sn = _mm256_fmadd_ps(a2, _mm256_set1_ps(kSinPoly[0]), _mm256_set1_ps(kSinPoly[1]));
    sn = _mm256_fmadd_ps(a2, sn, _mm256_set1_ps(kSinPoly[2]));
    sn = _mm256_fmadd_ps(a2, sn, _mm256_set1_ps(kSinPoly[3]));
    sn = _mm256_fmadd_ps(_mm256_mul_ps(a2, a), sn, a);
    __m256 cs = _mm256_fmadd_ps(a2, _mm256_set1_ps(kCosPoly[0]), _mm256_set1_ps(kCosPoly[1]));
    for (int k = 2; k < 6; ++k) cs = _mm256_fmadd_ps(a2, cs, _mm256_set1_ps(kCosPoly[k]));
    // Bit 30 of the angle word (bit 31 once shifted, which blendv reads): an odd quadrant; bit 31:
    // the half turn.
    const __m256i shifted = _mm256_slli_epi32(angle[j], 1);
    const __m256 odd = _mm256_castsi256_ps(shifted);
    const __m256 flip_c = _mm256_and_ps(_mm256_castsi256_ps(_mm256_xor_si256(angle[j], shifted)), sign);
    const __m256 flip_s = _mm256_and_ps(_mm256_castsi256_ps(angle[j]), sign);
    z0[j] = _mm256_xor_ps(_mm256_mul_ps(r[j], _mm256_blendv_ps(cs, sn, odd)), flip_c);
    z1[j] = _mm256_xor_ps(_mm256_mul_ps(r[j], _mm256_blendv_ps(sn, cs, odd)), flip_s);
  }
}

constexpr int kNormalChainsAvx2 = 4;

// n pairs: radius[i], angle[i] -> z0[i], z1[i]; kInterleaved: words[2i] (radius), words[2i + 1]
// (angle) -> out[2i], out[2i + 1], passed as radius and z0.
template <bool kInterleaved>
[[gnu::target("avx2,fma")]] void normals_avx2(const std::uint32_t* radius, const std::uint32_t* angle, std::size_t n,
                                              float* z0, float* z1) {
  constexpr std::size_t kStep = 8 * kNormalChainsAvx2;
  std::size_t i = 0;
  for (; i + kStep <= n; i += kStep) {
    __m256i rw[kNormalChainsAvx2], aw[kNormalChainsAvx2];
    __m256 c[kNormalChainsAvx2], s[kNormalChainsAvx2];
    for (int j = 0; j < kNormalChainsAvx2; ++j) {
      if constexpr (kInterleaved) {
        // Within each 128-bit half the even words are radii. The shuffle leaves the pairs in the
        // order 0 1 4 5 | 2 3 6 7, which the unpacks below undo.
        const __m256 lo = _mm256_loadu_ps(reinterpret_cast<const float*>(radius + 2 * (i + 8 * j)));
        const __m256 hi = _mm256_loadu_ps(reinterpret_cast<const float*>(radius + 2 * (i + 8 * j) + 8));
        rw[j] = _mm256_castps_si256(_mm256_shuffle_ps(lo, hi, 0x88));
        aw[j] = _mm256_castps_si256(_mm256_shuffle_ps(lo, hi, 0xDD));
      } else {
        rw[j] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(radius + i + 8 * j));
        aw[j] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(angle + i + 8 * j));
      }
    }
    box_muller_avx2<kNormalChainsAvx2>(rw, aw, c, s);
    for (int j = 0; j < kNormalChainsAvx2; ++j) {
      if constexpr (kInterleaved) {
        _mm256_storeu_ps(z0 + 2 * (i + 8 * j), _mm256_unpacklo_ps(c[j], s[j]));      // pairs 0 1 | 2 3
        _mm256_storeu_ps(z0 + 2 * (i + 8 * j) + 8, _mm256_unpackhi_ps(c[j], s[j]));  // pairs 4 5 | 6 7
      } else {
        _mm256_storeu_ps(z0 + i + 8 * j, c[j]);
        _mm256_storeu_ps(z1 + i + 8 * j, s[j]);
      }
    }
  }
  for (; i < n; ++i) {
    if constexpr (kInterleaved) box_muller(radius[2 * i], radius[2 * i + 1], z0[2 * i], z0[2 * i + 1]);
    else box_muller(radius[i], angle[i], z0[i], z1[i]);
  }
}

// ---- Philox's first two rounds for consecutive blocks ----

// Blocks whose counters differ only in word 0 (c0 = block, c1..c3 of the stream's base): in round
// 1 the product M1 · c2 is the same for every block, so round 1's words 0 and 1 are too, and in
// round 2 so is the product M0 · (word 0). What is left per block:
//   round 1: p = M0 · c0;            w2 = hi(p) ^ round1_w2_mask, w3 = lo(p)
//   round 2: q = M1 · w2;            w0 = hi(q) ^ round2_w0_mask, w1 = lo(q),
//                                    w2 = w3 ^ round2_w2_mask,     w3 = round2_w3
// then rounds 3 to 10 as usual, from key (advanced by two rounds).
struct FirstRounds {
  std::uint32_t round1_w2_mask, round2_w0_mask, round2_w2_mask, round2_w3;
  Key key;
};

inline FirstRounds first_rounds(Key key, const Counter& base) {
  const std::uint64_t p1 = std::uint64_t{kM1} * base[2];  // round 1, word 2's product
  const std::uint32_t w0 = static_cast<std::uint32_t>(p1 >> 32) ^ base[1] ^ key[0];
  const std::uint32_t w1 = static_cast<std::uint32_t>(p1);
  FirstRounds f{};
  f.round1_w2_mask = base[3] ^ key[1];
  key[0] += kW0;
  key[1] += kW1;
  const std::uint64_t p0 = std::uint64_t{kM0} * w0;  // round 2, word 0's product
  f.round2_w0_mask = w1 ^ key[0];
  f.round2_w2_mask = static_cast<std::uint32_t>(p0 >> 32) ^ key[1];
  f.round2_w3 = static_cast<std::uint32_t>(p0);
  key[0] += kW0;
  key[1] += kW1;
  f.key = key;
  return f;
}

// ---- Philox, AVX2: 8 counters per vector ----

// The high and the low halves of the products of 8 lanes from _mm256_mul_epu32 of the even lanes
// and of the odd lanes (shifted down). kShuffle: the high halves with lanes 1 and 2 of each
// 128-bit half swapped (rounds_avx2). Functions, not lambdas: Clang does not give a lambda its
// enclosing function's target.
template <bool kShuffle>
[[gnu::target("avx2"), gnu::always_inline]] inline __m256i product_high(__m256i even, __m256i odd) {
  if constexpr (kShuffle)
    return _mm256_castps_si256(_mm256_shuffle_ps(_mm256_castsi256_ps(even), _mm256_castsi256_ps(odd), 0xDD));
  else return _mm256_blend_epi32(_mm256_srli_epi64(even, 32), odd, 0xAA);
}

[[gnu::target("avx2"), gnu::always_inline]] inline __m256i product_low(__m256i even, __m256i odd) {
  return _mm256_blend_epi32(even, _mm256_slli_epi64(odd, 32), 0xAA);
}

// 32-bit high and low halves of a · m (m broadcast) for 8 lanes.
[[gnu::target("avx2"), gnu::always_inline]] inline void mul_hi_lo(__m256i a, __m256i m, __m256i& hi, __m256i& lo) {
  const __m256i even = _mm256_mul_epu32(a, m);
  const __m256i odd = _mm256_mul_epu32(_mm256_srli_epi64(a, 32), m);
  hi = product_high<false>(even, odd);
  lo = product_low(even, odd);
}

// kRounds rounds (an even number) on kChains independent groups of 8 counters (interleaved: one
// round is a chain of dependent multiplies).
//
// Each product's high halves are gathered with one shuffle, not a shift and a blend, which leaves
// them with lanes 1 and 2 of each 128-bit half swapped (the permutation P, its own inverse). The
// low halves keep their lanes. So words 1 and 3, which pass from the low halves of one round to the
// xor with the high halves of the next, are held in order P, and words 0 and 2 change order every
// round, back to the start after an even number: one shuffle of words 1 and 3 on entry and on exit.
// 16 vector instructions a round instead of 18: 5-13 % more blocks per second on Zen 5
// (BM_PhiloxBlocks/avx2), but 2-6 % fewer normals when the transform follows in the same pass
// (BM_FastNormals/avx2), whose own shuffles and conversions compete for the same ports there; so
// philox_normals keeps the shift and blend (kShuffle = false).
template <int kChains, int kRounds = 10, bool kShuffle = true>
[[gnu::target("avx2"), gnu::always_inline]] inline void rounds_avx2(__m256i* c0, __m256i* c1, __m256i* c2, __m256i* c3,
                                                                    Key key) {
  static_assert(kRounds % 2 == 0);
  constexpr int kSwap = 0xD8;  // P: lanes 0 2 1 3 of each 128-bit half
  const __m256i m0 = _mm256_set1_epi32(static_cast<int>(kM0)), m1 = _mm256_set1_epi32(static_cast<int>(kM1));
  if constexpr (kShuffle)
    for (int j = 0; j < kChains; ++j) {
      c1[j] = _mm256_shuffle_epi32(c1[j], kSwap);
      c3[j] = _mm256_shuffle_epi32(c3[j], kSwap);
    }
  std::uint32_t k0 = key[0], k1 = key[1];
  for (int r = 0; r < kRounds; ++r) {
    const __m256i key0 = _mm256_set1_epi32(static_cast<int>(k0)), key1 = _mm256_set1_epi32(static_cast<int>(k1));
    for (int j = 0; j < kChains; ++j) {
      const __m256i even0 = _mm256_mul_epu32(c0[j], m0), odd0 = _mm256_mul_epu32(_mm256_srli_epi64(c0[j], 32), m0);
      const __m256i even1 = _mm256_mul_epu32(c2[j], m1), odd1 = _mm256_mul_epu32(_mm256_srli_epi64(c2[j], 32), m1);
      c0[j] = _mm256_xor_si256(_mm256_xor_si256(product_high<kShuffle>(even1, odd1), c1[j]), key0);
      c2[j] = _mm256_xor_si256(_mm256_xor_si256(product_high<kShuffle>(even0, odd0), c3[j]), key1);
      c1[j] = product_low(even1, odd1);
      c3[j] = product_low(even0, odd0);
    }
    k0 += kW0;
    k1 += kW1;
  }
  if constexpr (kShuffle)
    for (int j = 0; j < kChains; ++j) {
      c1[j] = _mm256_shuffle_epi32(c1[j], kSwap);
      c3[j] = _mm256_shuffle_epi32(c3[j], kSwap);
    }
}

constexpr int kChainsAvx2 = 4;  // 32 blocks per step

// Blocks block, block + 1, ..., block + 31 through the ten rounds: word k of block 8j + i in
// lane i of ck[j].
template <bool kShuffle>
[[gnu::target("avx2"), gnu::always_inline]] inline void philox_avx2(Key key, const Counter& base, std::uint32_t block,
                                                                    __m256i* c0, __m256i* c1, __m256i* c2,
                                                                    __m256i* c3) {
  // Consecutive blocks differ only in word 0, so in the first round the product of word 2 is the
  // same in every lane, and in the second that of word 0: each is one scalar product
  // (first_rounds). The values are those of ten full rounds.
  const FirstRounds f = first_rounds(key, base);
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const __m256i m0 = _mm256_set1_epi32(static_cast<int>(kM0)), m1 = _mm256_set1_epi32(static_cast<int>(kM1));
  for (int j = 0; j < kChainsAvx2; ++j) {
    const __m256i counter =
        _mm256_add_epi32(_mm256_set1_epi32(static_cast<int>(block + 8u * static_cast<std::uint32_t>(j))), lane);
    __m256i hi0, lo0, hi1, lo1;
    mul_hi_lo(counter, m0, hi0, lo0);  // round 1: word 2 from the product of word 0, word 3 its low half
    const __m256i w2 = _mm256_xor_si256(hi0, _mm256_set1_epi32(static_cast<int>(f.round1_w2_mask)));
    mul_hi_lo(w2, m1, hi1, lo1);  // round 2
    c0[j] = _mm256_xor_si256(hi1, _mm256_set1_epi32(static_cast<int>(f.round2_w0_mask)));
    c1[j] = lo1;
    c2[j] = _mm256_xor_si256(lo0, _mm256_set1_epi32(static_cast<int>(f.round2_w2_mask)));
    c3[j] = _mm256_set1_epi32(static_cast<int>(f.round2_w3));
  }
  rounds_avx2<kChainsAvx2, 8, kShuffle>(c0, c1, c2, c3, f.key);
}

// Four 32-bit values of 8 blocks (structure of arrays) stored in block order at out (32 values):
// 4 × 4 transposes in each 128-bit half, then the halves.
[[gnu::target("avx2"), gnu::always_inline]] inline void store_block_order_avx2(__m256i v0, __m256i v1, __m256i v2,
                                                                               __m256i v3, void* out) {
  const __m256i t0 = _mm256_unpacklo_epi32(v0, v1), t1 = _mm256_unpacklo_epi32(v2, v3);
  const __m256i t2 = _mm256_unpackhi_epi32(v0, v1), t3 = _mm256_unpackhi_epi32(v2, v3);
  const __m256i r0 = _mm256_unpacklo_epi64(t0, t1), r1 = _mm256_unpackhi_epi64(t0, t1);  // blocks 0|4, 1|5
  const __m256i r2 = _mm256_unpacklo_epi64(t2, t3), r3 = _mm256_unpackhi_epi64(t2, t3);  // blocks 2|6, 3|7
  auto* o = static_cast<__m256i*>(out);
  _mm256_storeu_si256(o, _mm256_permute2x128_si256(r0, r1, 0x20));
  _mm256_storeu_si256(o + 1, _mm256_permute2x128_si256(r2, r3, 0x20));
  _mm256_storeu_si256(o + 2, _mm256_permute2x128_si256(r0, r1, 0x31));
  _mm256_storeu_si256(o + 3, _mm256_permute2x128_si256(r2, r3, 0x31));
}

[[gnu::target("avx2")]] void blocks_avx2(Key key, const Counter& base, std::uint32_t block, std::uint32_t* out) {
  __m256i c0[kChainsAvx2], c1[kChainsAvx2], c2[kChainsAvx2], c3[kChainsAvx2];
  philox_avx2<true>(key, base, block, c0, c1, c2, c3);
  for (int j = 0; j < kChainsAvx2; ++j) store_block_order_avx2(c0[j], c1[j], c2[j], c3[j], out + 32 * j);
}

// Philox and Box–Muller in one pass: 32 blocks as in blocks_avx2, whose words (c0, c1) and
// (c2, c3) are the radius and angle of each block's two pairs; the normals then take the words'
// transpose into block order.
[[gnu::target("avx2,fma")]] void block_normals_avx2(Key key, const Counter& base, std::uint32_t block, float* out) {
  __m256i c0[kChainsAvx2], c1[kChainsAvx2], c2[kChainsAvx2], c3[kChainsAvx2];
  philox_avx2<false>(key, base, block, c0, c1, c2, c3);
  static_assert(kChainsAvx2 == kNormalChainsAvx2);
  __m256 z0[kChainsAvx2], z1[kChainsAvx2], z2[kChainsAvx2], z3[kChainsAvx2];
  box_muller_avx2<kNormalChainsAvx2>(c0, c1, z0, z1);
  box_muller_avx2<kNormalChainsAvx2>(c2, c3, z2, z3);
  for (int j = 0; j < kChainsAvx2; ++j)
    store_block_order_avx2(_mm256_castps_si256(z0[j]), _mm256_castps_si256(z1[j]), _mm256_castps_si256(z2[j]),
                           _mm256_castps_si256(z3[j]), out + 32 * j);
}

[[gnu::target("avx2")]] std::size_t lanes_avx2(Key key, const LaneCounters& k, std::size_t n, std::uint32_t* o0,
                                               std::uint32_t* o1, std::uint32_t* o2, std::uint32_t* o3) {
  constexpr int kChains = 4;
  std::size_t i = 0;
  for (; i + 8 * kChains <= n; i += 8 * kChains) {
    __m256i c0[kChains], c1[kChains], c2[kChains], c3[kChains];
    for (int j = 0; j < kChains; ++j) {
      c0[j] = _mm256_set1_epi32(static_cast<int>(k.c0));
      c1[j] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(k.c1 + i + 8 * j));
      c2[j] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(k.c2 + i + 8 * j));
      c3[j] = _mm256_set1_epi32(static_cast<int>(k.c3));
    }
    rounds_avx2<kChains>(c0, c1, c2, c3, key);
    for (int j = 0; j < kChains; ++j) {
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(o0 + i + 8 * j), c0[j]);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(o1 + i + 8 * j), c1[j]);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(o2 + i + 8 * j), c2[j]);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(o3 + i + 8 * j), c3[j]);
    }
  }
  return i;
}

// ---- Philox, AVX-512: 16 counters per vector ----

[[gnu::target("avx512f"), gnu::always_inline]] inline void mul_hi_lo(__m512i a, __m512i m, __m512i& hi, __m512i& lo) {
  const __m512i even = _mm512_mul_epu32(a, m);
  const __m512i odd = _mm512_mul_epu32(_mm512_srli_epi64(a, 32), m);
  hi = _mm512_mask_blend_epi32(0xAAAA, _mm512_srli_epi64(even, 32), odd);
  lo = _mm512_mask_blend_epi32(0xAAAA, even, _mm512_slli_epi64(odd, 32));
}

template <int kChains, int kRounds = 10>
[[gnu::target("avx512f"), gnu::always_inline]] inline void rounds_avx512(__m512i* c0, __m512i* c1, __m512i* c2,
                                                                         __m512i* c3, Key key) {
  const __m512i m0 = _mm512_set1_epi32(static_cast<int>(kM0)), m1 = _mm512_set1_epi32(static_cast<int>(kM1));
  std::uint32_t k0 = key[0], k1 = key[1];
  for (int r = 0; r < kRounds; ++r) {
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
    k0 += kW0;
    k1 += kW1;
  }
}

constexpr int kChainsAvx512 = 4;  // 64 blocks per step
[[gnu::target("avx512f")]] void blocks_avx512(Key key, const Counter& base, std::uint32_t block, std::uint32_t* out) {
  __m512i c0[kChainsAvx512], c1[kChainsAvx512], c2[kChainsAvx512], c3[kChainsAvx512];
  const FirstRounds f = first_rounds(key, base);  // as in philox_avx2
  const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const __m512i m0 = _mm512_set1_epi32(static_cast<int>(kM0)), m1 = _mm512_set1_epi32(static_cast<int>(kM1));
  for (int j = 0; j < kChainsAvx512; ++j) {
    const __m512i counter =
        _mm512_add_epi32(_mm512_set1_epi32(static_cast<int>(block + 16u * static_cast<std::uint32_t>(j))), lane);
    __m512i hi0, lo0, hi1, lo1;
    mul_hi_lo(counter, m0, hi0, lo0);
    const __m512i w2 = _mm512_xor_si512(hi0, _mm512_set1_epi32(static_cast<int>(f.round1_w2_mask)));
    mul_hi_lo(w2, m1, hi1, lo1);
    c0[j] = _mm512_xor_si512(hi1, _mm512_set1_epi32(static_cast<int>(f.round2_w0_mask)));
    c1[j] = lo1;
    c2[j] = _mm512_xor_si512(lo0, _mm512_set1_epi32(static_cast<int>(f.round2_w2_mask)));
    c3[j] = _mm512_set1_epi32(static_cast<int>(f.round2_w3));
  }
  rounds_avx512<kChainsAvx512, 8>(c0, c1, c2, c3, f.key);
  for (int j = 0; j < kChainsAvx512; ++j) {
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

[[gnu::target("avx512f")]] std::size_t lanes_avx512(Key key, const LaneCounters& k, std::size_t n, std::uint32_t* o0,
                                                    std::uint32_t* o1, std::uint32_t* o2, std::uint32_t* o3) {
  constexpr int kChains = 2;
  std::size_t i = 0;
  for (; i + 16 * kChains <= n; i += 16 * kChains) {
    __m512i c0[kChains], c1[kChains], c2[kChains], c3[kChains];
    for (int j = 0; j < kChains; ++j) {
      c0[j] = _mm512_set1_epi32(static_cast<int>(k.c0));
      c1[j] = _mm512_loadu_si512(k.c1 + i + 16 * j);
      c2[j] = _mm512_loadu_si512(k.c2 + i + 16 * j);
      c3[j] = _mm512_set1_epi32(static_cast<int>(k.c3));
    }
    rounds_avx512<kChains>(c0, c1, c2, c3, key);
    for (int j = 0; j < kChains; ++j) {
      _mm512_storeu_si512(o0 + i + 16 * j, c0[j]);
      _mm512_storeu_si512(o1 + i + 16 * j, c1[j]);
      _mm512_storeu_si512(o2 + i + 16 * j, c2[j]);
      _mm512_storeu_si512(o3 + i + 16 * j, c3[j]);
    }
  }
  return i;
}

// The blocks that hold `words` words from first_block on; throws if they run past 2^32.
std::size_t blocks_within_stream(std::uint32_t first_block, std::size_t words) {
  const std::size_t blocks = (words + 3) / 4;
  if (std::uint64_t{first_block} + blocks > std::numeric_limits<std::uint32_t>::max())
    throw core::RuntimeFailure("random stream exhausted: more than 2^32 blocks drawn from one stream");
  return blocks;
}

}  // namespace

void philox_blocks(core::KernelIsa isa, Key key, Counter base, std::uint32_t first_block,
                   std::span<std::uint32_t> out) {
  const std::size_t blocks = blocks_within_stream(first_block, out.size());
  std::size_t b = 0;
  std::uint32_t* o = out.data();
  if (isa == core::KernelIsa::kAvx512) {
    for (; (b + 16 * kChainsAvx512) * 4 <= out.size(); b += 16 * kChainsAvx512)
      blocks_avx512(key, base, first_block + static_cast<std::uint32_t>(b), o + 4 * b);
  } else if (isa == core::KernelIsa::kAvx2) {
    for (; (b + 8 * kChainsAvx2) * 4 <= out.size(); b += 8 * kChainsAvx2)
      blocks_avx2(key, base, first_block + static_cast<std::uint32_t>(b), o + 4 * b);
  }
  for (; b < blocks; ++b) {
    Counter c = base;
    c[0] = first_block + static_cast<std::uint32_t>(b);
    const Counter r = philox4x32_10(c, key);
    for (std::size_t j = 0; j < 4 && 4 * b + j < out.size(); ++j) o[4 * b + j] = r[j];
  }
}

void philox_blocks(Key key, Counter base, std::uint32_t first_block, std::span<std::uint32_t> out) {
  philox_blocks(core::process_kernel_isa(), key, base, first_block, out);
}

void philox_lanes(core::KernelIsa isa, Key key, const LaneCounters& k, std::size_t n, std::uint32_t* o0,
                  std::uint32_t* o1, std::uint32_t* o2, std::uint32_t* o3) {
  std::size_t i = 0;
  if (isa == core::KernelIsa::kAvx512) i = lanes_avx512(key, k, n, o0, o1, o2, o3);
  else if (isa == core::KernelIsa::kAvx2) i = lanes_avx2(key, k, n, o0, o1, o2, o3);
  for (; i < n; ++i) {
    const Counter r = philox4x32_10({k.c0, k.c1[i], k.c2[i], k.c3}, key);
    o0[i] = r[0];
    o1[i] = r[1];
    o2[i] = r[2];
    o3[i] = r[3];
  }
}

void philox_lanes(Key key, const LaneCounters& counters, std::size_t n, std::uint32_t* out0, std::uint32_t* out1,
                  std::uint32_t* out2, std::uint32_t* out3) {
  philox_lanes(core::process_kernel_isa(), key, counters, n, out0, out1, out2, out3);
}

void normal_pairs(core::KernelIsa isa, const std::uint32_t* radius, const std::uint32_t* angle, std::size_t n,
                  float* z0, float* z1) {
  switch (isa) {
    case core::KernelIsa::kAvx512: normal_pairs_avx512(radius, angle, n, z0, z1); return;
    case core::KernelIsa::kAvx2: normals_avx2<false>(radius, angle, n, z0, z1); return;
    case core::KernelIsa::kPortable: normal_pairs_portable(radius, angle, n, z0, z1); return;
  }
}

void normal_pairs(const std::uint32_t* radius, const std::uint32_t* angle, std::size_t n, float* z0, float* z1) {
  normal_pairs(core::process_kernel_isa(), radius, angle, n, z0, z1);
}

void normals_from_words(core::KernelIsa isa, std::span<const std::uint32_t> words, std::span<float> out) {
  const std::size_t pairs = std::min(words.size(), out.size()) / 2;
  switch (isa) {
    case core::KernelIsa::kAvx512: normals_interleaved_avx512(words.data(), pairs, out.data()); return;
    case core::KernelIsa::kAvx2: normals_avx2<true>(words.data(), nullptr, pairs, out.data(), nullptr); return;
    case core::KernelIsa::kPortable: normals_interleaved_portable(words.data(), pairs, out.data()); return;
  }
}

void normals_from_words(std::span<const std::uint32_t> words, std::span<float> out) {
  normals_from_words(core::process_kernel_isa(), words, out);
}

void philox_normals(core::KernelIsa isa, Key key, Counter base, std::uint32_t first_block, std::span<float> out) {
  if (out.size() % 2 != 0)
    throw core::ArgumentError("philox_normals: " + std::to_string(out.size()) + " normals: expected an even number");
  blocks_within_stream(first_block, out.size());
  std::size_t i = 0;  // normals done, a multiple of 4 (whole blocks)
  if (isa == core::KernelIsa::kAvx2)
    for (constexpr std::size_t kStep = 32 * kChainsAvx2; i + kStep <= out.size(); i += kStep)
      block_normals_avx2(key, base, first_block + static_cast<std::uint32_t>(i / 4), out.data() + i);
  // The rest through a buffer that stays in the first-level cache.
  constexpr std::size_t kPiece = 2048;
  std::uint32_t words[kPiece];
  while (i < out.size()) {
    const std::size_t n = std::min(kPiece, out.size() - i);
    const std::span<std::uint32_t> w(words, n);
    philox_blocks(isa, key, base, first_block + static_cast<std::uint32_t>(i / 4), w);
    normals_from_words(isa, w, out.subspan(i, n));
    i += n;
  }
}

void philox_normals(Key key, Counter base, std::uint32_t first_block, std::span<float> out) {
  philox_normals(core::process_kernel_isa(), key, base, first_block, out);
}

void normal_pair_scalar(std::uint32_t radius, std::uint32_t angle, float& z0, float& z1) {
  box_muller(radius, angle, z0, z1);
}

}  // namespace cimmc::core::rng
