// Level sampling of an ADC conversion's additive noise: the tables and the two kernels
// (cimmc/arch/level_sampling.hpp, docs/rare_event_sampling.md, "Level sampling").
#include "cimmc/arch/level_sampling.hpp"

#include <fmt/format.h>
// GCC 12's AVX intrinsics start from _mm256_undefined_*(), which -Wmaybe-uninitialized reports
// as a false positive once inlined.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

#include "cimmc/core/error.hpp"
#include "rare_event.hpp"

namespace cimmc::arch::level {

namespace {
constexpr std::uint64_t kAlways = std::numeric_limits<std::uint64_t>::max();  // T = 2^64

// floor(2^64 · Φ(x)), from the nearer tail so that neither end loses its small probabilities;
// kAlways when 2^64 · Φ(x) rounds up to 2^64.
std::uint64_t fixed_cdf(double x) {
  if (x < 0.0) {
    const double s = std::ldexp(rare::lower_tail(x), 64);  // < 2^63
    return static_cast<std::uint64_t>(s);
  }
  const double s = std::ceil(std::ldexp(rare::upper_tail(x), 64));  // 2^64 · (1 − Φ), <= 2^63
  if (!(s > 0.0)) return kAlways;
  return std::uint64_t{0} - static_cast<std::uint64_t>(s);
}

std::uint8_t top_byte(std::uint64_t t) { return static_cast<std::uint8_t>(t >> 56); }

// Byte i of a group's 16 words, little-endian.
std::uint8_t group_byte(const std::uint32_t* group, int i) {
  return static_cast<std::uint8_t>(group[i / 4] >> (8 * (i % 4)));
}

// Conversion e's u16 (e counted from the block's first word).
std::uint16_t uniform16(const std::uint32_t* words, int e) {
  const std::uint32_t* group = words + static_cast<std::ptrdiff_t>(e / kGroup) * kWordsPerGroup;
  const int j = e % kGroup;
  return static_cast<std::uint16_t>(group_byte(group, j) << 8 | group_byte(group, kGroup + j));
}

// Stage 2 of conversion e, with its value and whether it clips.
struct Resolved {
  float value;
  bool clipped;
};
inline Resolved resolve(const Table& t, const Block& b, int e, circuit::WordBuffer& refine) {
  const std::uint16_t u16 = uniform16(b.words, e);
  const int p = b.ps[e];
  const auto pi = static_cast<std::size_t>(p);
  const Table::Near& near = t.near()[pi];
  const std::uint32_t u = u16;
  int c;
  if ((u == near.t[0]) | (u == near.t[1]) | (u == near.t[2]) | (u == near.t[3]) | (u == 0) | (u == 0xFFFF)) {
    Uniform full(u16, refine);
    c = t.code(p, full);
  } else {
    c = t.k0()[pi] - static_cast<int>(u < near.t[0]) - static_cast<int>(u < near.t[1]) +
        static_cast<int>(u >= near.t[2]) + static_cast<int>(u >= near.t[3]);
  }
  const float cf = static_cast<float>(c);
  return {std::min(std::max(cf, static_cast<float>(t.lo())), static_cast<float>(t.hi())) * t.step(),
          c < t.lo() || c > t.hi()};
}
}  // namespace

bool Uniform::below(std::uint64_t t) {
  if (t == 0) return false;
  if (t == kAlways) return true;
  if (!refined_) {
    const std::uint64_t high = value_ >> 48, t_high = t >> 48;
    if (high != t_high) return high < t_high;
    const std::uint32_t* w = refine_->take(2);
    value_ |= std::uint64_t{w[0]} << 16 | w[1] >> 16;
    refined_ = true;
  }
  return value_ < t;
}

std::optional<Table> Table::build(const circuit::AdcQuantizer& q, double sigma) {
  if (!(sigma >= 0.0) || !std::isfinite(sigma))
    throw core::ArgumentError(fmt::format("level sampling: σ = {} must be finite and >= 0", sigma));
  Table t;
  t.lo_ = q.min_code;
  t.hi_ = q.max_code;
  t.step_ = q.step;
  t.inverse_step_ = q.inverse_step;
  const int codes = t.hi_ - t.lo_ + 2;  // thresholds c = lo − 1 .. hi
  std::vector<std::uint64_t> all(static_cast<std::size_t>(codes));
  auto at = [&](int c) { return all[static_cast<std::size_t>(c - (t.lo_ - 1))]; };
  for (int p = 0; p <= kMaxPartialSum; ++p) {
    // The noise-free code, in single precision as the direct conversion computes it.
    const float x = static_cast<float>(p) * t.inverse_step_;
    const int k0 = std::clamp(static_cast<int>(std::nearbyint(x)), t.lo_ - 1, t.hi_ + 1);
    std::uint64_t previous = 0;
    for (int c = t.lo_ - 1; c <= t.hi_; ++c) {
      std::uint64_t value;
      if (sigma == 0.0) {
        value = c < k0 ? 0 : kAlways;
      } else {
        // The direct conversion reads code c + 1 or above when (p + σ z) · (1 / step) >= c + 1/2.
        const double boundary = (c + 0.5) / static_cast<double>(t.inverse_step_);
        value = fixed_cdf((boundary - p) / sigma);
      }
      previous = std::max(previous, value);  // monotone in c, whatever the rounding of Φ
      all[static_cast<std::size_t>(c - (t.lo_ - 1))] = previous;
    }
    // Stage 1 is exact only if k0 − 2 and k0 + 2 need byte 0 or 255; stage 2's 16-bit step only
    // if k0 − 3 and k0 + 3 need u16 = 0 or 2^16 − 1.
    auto top16 = [&](int c) -> std::uint32_t {
      if (c < t.lo_ - 1) return 0;
      if (c > t.hi_ || at(c) == kAlways) return 0x10000;
      return static_cast<std::uint32_t>(at(c) >> 48);
    };
    if (k0 - 2 >= t.lo_ - 1 && top_byte(at(k0 - 2)) != 0) return std::nullopt;
    if (k0 + 1 <= t.hi_ && at(k0 + 1) != kAlways && top_byte(at(k0 + 1)) != 255) return std::nullopt;
    if (top16(k0 - 3) != 0 || top16(k0 + 2) < 0xFFFF) return std::nullopt;
    t.near_[static_cast<std::size_t>(p)] = {{top16(k0 - 2), top16(k0 - 1), top16(k0), top16(k0 + 1)}};
    t.k0_[static_cast<std::size_t>(p)] = static_cast<std::int16_t>(k0);
    if (t.byte_codes()) t.k0_byte_[static_cast<std::size_t>(p)] = static_cast<std::uint8_t>(k0 - (t.lo_ - 1));
    t.below_[static_cast<std::size_t>(p)] = k0 - 1 >= t.lo_ - 1 ? top_byte(at(k0 - 1)) : 0;
    t.above_[static_cast<std::size_t>(p)] = k0 <= t.hi_ ? top_byte(at(k0)) : 255;
    int first = t.lo_ - 1;
    while (first <= t.hi_ && at(first) == 0) ++first;
    t.first_[static_cast<std::size_t>(p)] = static_cast<std::int16_t>(first);
    t.offset_[static_cast<std::size_t>(p)] = static_cast<std::uint32_t>(t.thresholds_.size());
    for (int c = first; c <= t.hi_ && at(c) != kAlways; ++c) t.thresholds_.push_back(at(c));
  }
  t.offset_[256] = static_cast<std::uint32_t>(t.thresholds_.size());
  return t;
}

std::uint64_t Table::threshold(int p, int c) const {
  const auto i = static_cast<std::size_t>(p);
  if (c < first_[i]) return 0;
  const std::uint32_t index = offset_[i] + static_cast<std::uint32_t>(c - first_[i]);
  return index < offset_[i + 1] ? thresholds_[index] : kAlways;
}

int Table::code(int p, Uniform& u) const {
  int c = k0_[static_cast<std::size_t>(p)];
  if (c > lo_ - 1 && u.below(threshold(p, c - 1))) {
    --c;
    while (c > lo_ - 1 && u.below(threshold(p, c - 1))) --c;
    return c;
  }
  while (c <= hi_ && !u.below(threshold(p, c))) ++c;
  return c;
}

Counts convert_reference(const Table& t, const Block& b, circuit::WordBuffer& refine) {
  Counts n;
  const float lo = static_cast<float>(t.lo()), hi = static_cast<float>(t.hi());
  for (int e = b.first; e < b.last; ++e) {
    const int p = b.ps[e];
    const auto pi = static_cast<std::size_t>(p);
    const std::uint16_t u16 = uniform16(b.words, e);
    const int byte = u16 >> 8;
    const int a = t.below()[pi], bb = t.above()[pi];
    const int j = byte < a ? -1 : (byte > bb ? 1 : 0);
    const bool flagged = byte == a || byte == bb || byte == 0 || byte == 255;
    const bool real = b.valid[e] != 0;
    const bool skip = b.sparse && p == 0;
    float value;
    bool clipped;
    if (flagged && real && !skip) {
      const Resolved r = resolve(t, b, e, refine);
      value = r.value;
      clipped = r.clipped;
    } else {
      const int c = t.k0()[pi] + j;
      const float cf = static_cast<float>(c);
      value = std::min(std::max(cf, lo), hi) * t.step();
      clipped = c < t.lo() || c > t.hi();
    }
    b.value[e] = skip ? 0.0f : value;
    n.clipped += real && !skip && clipped ? 1 : 0;
    n.zero += real && p == 0 ? 1 : 0;
  }
  return n;
}

#if defined(__AVX2__)
namespace {
// A vector kernel's walk over [first, last): `step(e, zero)` converts kStep conversions from e (a
// multiple of kStep), adds the zero PS of real outputs to `zero` and returns the clipped count;
// the conversions before the first whole step and after the last take the reference loop.
template <int kStep, class Step>
Counts in_steps(const Table& t, const Block& b, circuit::WordBuffer& refine, Step step) {
  Counts n;
  const int head_end = std::min(b.last, (b.first + kStep - 1) / kStep * kStep);
  int e = b.first;
  if (e < head_end) {
    n = convert_reference(t, {b.ps, b.valid, b.words, e, head_end, b.sparse, b.value}, refine);
    e = head_end;
  }
  int zero = 0, clipped = 0;
  for (; e + kStep <= b.last; e += kStep) clipped += step(e, zero);
  n.clipped += clipped;
  n.zero += zero;
  if (e < b.last) {
    const Counts tail = convert_reference(t, {b.ps, b.valid, b.words, e, b.last, b.sparse, b.value}, refine);
    n.clipped += tail.clipped;
    n.zero += tail.zero;
  }
  return n;
}

// The byte tables as rows of 16 bytes, each in both 128-bit lanes (rows past the largest PS of a
// block are not looked up).
struct Rows {
  __m256i below[16], above[16], k0[16];
  int count = 0;
};

// Stage 1 of the 32 conversions from e (a multiple of kGroup): byte-table lookups by vpshufb,
// 16 table rows of 16 bytes, the row of p selected by saturating arithmetic (p − 16 s + 0x70 has
// its top bit clear only for p in row s). With kByteCodes, the code too is a byte (code − (lo −
// 1)), clamped and tested for clipping 32 at a time; otherwise k0 is computed in single precision
// as the table computes it. Returns the clipped count; stage 2 in order of e.
template <bool kByteCodes>
int group_avx2(const Table& t, const Block& b, int e, const Rows& rows, circuit::WordBuffer& refine, int& zero) {
  const std::int32_t* ps = b.ps + e;
  const __m256i zero_i = _mm256_setzero_si256();
  const __m256i p_parts[4] = {_mm256_loadu_si256(reinterpret_cast<const __m256i*>(ps)),
                              _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ps + 8)),
                              _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ps + 16)),
                              _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ps + 24))};
  // 32 PS as bytes in order: the packs interleave 128-bit lanes, the permutation undoes it.
  const __m256i packed =
      _mm256_packus_epi16(_mm256_packus_epi32(p_parts[0], p_parts[1]), _mm256_packus_epi32(p_parts[2], p_parts[3]));
  const __m256i p8 = _mm256_permutevar8x32_epi32(packed, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
  __m256i a = zero_i, bb = zero_i, k0b = zero_i;
  const __m256i bias = _mm256_set1_epi8(0x70);
  for (int s = 0; s < rows.count; ++s) {
    const __m256i idx = _mm256_adds_epu8(_mm256_sub_epi8(p8, _mm256_set1_epi8(static_cast<char>(16 * s))), bias);
    a = _mm256_or_si256(a, _mm256_shuffle_epi8(rows.below[s], idx));
    bb = _mm256_or_si256(bb, _mm256_shuffle_epi8(rows.above[s], idx));
    if constexpr (kByteCodes) k0b = _mm256_or_si256(k0b, _mm256_shuffle_epi8(rows.k0[s], idx));
  }
  const std::uint32_t* group = b.words + static_cast<std::ptrdiff_t>(e / kGroup) * kWordsPerGroup;
  const __m256i byte = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(group));
  const __m256i one = _mm256_set1_epi8(1);
  const __m256i ge_a = _mm256_cmpeq_epi8(_mm256_max_epu8(byte, a), byte);
  const __m256i le_bb = _mm256_cmpeq_epi8(_mm256_min_epu8(byte, bb), byte);
  const __m256i j8 = _mm256_sub_epi8(_mm256_andnot_si256(le_bb, one), _mm256_andnot_si256(ge_a, one));
  const __m256i flag =
      _mm256_or_si256(_mm256_or_si256(_mm256_cmpeq_epi8(byte, a), _mm256_cmpeq_epi8(byte, bb)),
                      _mm256_or_si256(_mm256_cmpeq_epi8(byte, zero_i), _mm256_cmpeq_epi8(byte, _mm256_set1_epi8(-1))));
  const auto flag_bits = static_cast<std::uint32_t>(_mm256_movemask_epi8(flag));
  const auto zero_bits = static_cast<std::uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(p8, zero_i)));
  const auto real_bits = ~static_cast<std::uint32_t>(_mm256_movemask_epi8(
      _mm256_cmpeq_epi8(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.valid + e)), zero_i)));
  const std::uint32_t skip_bits = b.sparse ? zero_bits : 0u;
  const __m256i sparse_mask = _mm256_set1_epi32(b.sparse ? -1 : 0);
  const __m256 step = _mm256_set1_ps(t.step());
  std::uint32_t clipped_bits = 0;
  float* value = b.value + e;
  if constexpr (kByteCodes) {
    const int levels = t.hi() - t.lo() + 1;  // codes lo .. hi are bytes 1 .. levels
    const __m256i c8 = _mm256_add_epi8(k0b, j8);
    clipped_bits = static_cast<std::uint32_t>(_mm256_movemask_epi8(_mm256_or_si256(
        _mm256_cmpeq_epi8(c8, zero_i), _mm256_cmpeq_epi8(c8, _mm256_set1_epi8(static_cast<char>(levels + 1))))));
    const __m256i clip8 = _mm256_min_epu8(_mm256_max_epu8(c8, one), _mm256_set1_epi8(static_cast<char>(levels)));
    const __m128i c_low = _mm256_castsi256_si128(clip8), c_high = _mm256_extracti128_si256(clip8, 1);
    const __m128i c_parts[4] = {c_low, _mm_srli_si128(c_low, 8), c_high, _mm_srli_si128(c_high, 8)};
    const __m256 offset = _mm256_set1_ps(static_cast<float>(t.lo() - 1));
    for (int q = 0; q < 4; ++q) {
      const __m256 code = _mm256_add_ps(_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(c_parts[q])), offset);
      const __m256i skip = _mm256_and_si256(_mm256_cmpeq_epi32(p_parts[q], zero_i), sparse_mask);
      _mm256_storeu_ps(value + 8 * q, _mm256_andnot_ps(_mm256_castsi256_ps(skip), _mm256_mul_ps(code, step)));
    }
  } else {
    const __m256 inv = _mm256_set1_ps(t.inverse_step());
    const __m256 lo = _mm256_set1_ps(static_cast<float>(t.lo())), hi = _mm256_set1_ps(static_cast<float>(t.hi()));
    const __m256 below_range = _mm256_set1_ps(static_cast<float>(t.lo() - 1));
    const __m256 above_range = _mm256_set1_ps(static_cast<float>(t.hi() + 1));
    const __m128i j_low = _mm256_castsi256_si128(j8), j_high = _mm256_extracti128_si256(j8, 1);
    const __m128i j_parts[4] = {j_low, _mm_srli_si128(j_low, 8), j_high, _mm_srli_si128(j_high, 8)};
    for (int q = 0; q < 4; ++q) {
      const __m256 k0 = _mm256_min_ps(_mm256_max_ps(_mm256_round_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(p_parts[q]), inv),
                                                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC),
                                                    below_range),
                                      above_range);
      const __m256 c = _mm256_add_ps(k0, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(j_parts[q])));
      const __m256 clip = _mm256_min_ps(_mm256_max_ps(c, lo), hi);
      clipped_bits |= static_cast<std::uint32_t>(_mm256_movemask_ps(_mm256_cmp_ps(c, clip, _CMP_NEQ_OQ))) << (8 * q);
      const __m256i skip = _mm256_and_si256(_mm256_cmpeq_epi32(p_parts[q], zero_i), sparse_mask);
      _mm256_storeu_ps(value + 8 * q, _mm256_andnot_ps(_mm256_castsi256_ps(skip), _mm256_mul_ps(clip, step)));
    }
  }
  const std::uint32_t counted = real_bits & ~skip_bits;
  for (std::uint32_t todo = flag_bits & counted; todo != 0; todo &= todo - 1) {
    const int i = std::countr_zero(todo);
    const Resolved r = resolve(t, b, e + i, refine);
    value[i] = r.value;
    clipped_bits = (clipped_bits & ~(1u << i)) | (r.clipped ? 1u << i : 0u);
  }
  zero += std::popcount(zero_bits & real_bits);
  return std::popcount(clipped_bits & counted);
}

__m256i row_of(const std::array<std::uint8_t, 256>& table, int s) {
  return _mm256_broadcastsi128_si256(
      _mm_loadu_si128(reinterpret_cast<const __m128i*>(table.data() + static_cast<std::ptrdiff_t>(16 * s))));
}

template <bool kByteCodes>
Counts convert_avx2(const Table& t, const Block& b, circuit::WordBuffer& refine) {
  int max_ps = 0;
  for (int e = b.first; e < b.last; ++e) max_ps = std::max(max_ps, b.ps[e]);
  Rows rows;
  rows.count = std::min(16, max_ps / 16 + 1);
  for (int s = 0; s < rows.count; ++s) {
    rows.below[s] = row_of(t.below(), s);
    rows.above[s] = row_of(t.above(), s);
    if constexpr (kByteCodes) rows.k0[s] = row_of(t.k0_byte(), s);
  }
  return in_steps<kGroup>(t, b, refine,
                          [&](int e, int& zero) { return group_avx2<kByteCodes>(t, b, e, rows, refine, zero); });
}
}  // namespace

#if defined(__AVX512VBMI__) && defined(__AVX512BW__)
namespace {
// The byte-code path with AVX-512 VBMI, 64 conversions (two groups of uniforms) at a time: each
// 256-byte table is four registers, looked up by two vpermi2b (the low 7 bits of p) and a blend on
// p's top bit; the decisions in mask registers. The same codes as group_avx2<true>.
struct Tables512 {
  __m512i below[4], above[4], k0[4];
};

__m512i lookup512(const __m512i* table, __m512i p8) {
  const __m512i low = _mm512_permutex2var_epi8(table[0], p8, table[1]);
  const __m512i high = _mm512_permutex2var_epi8(table[2], p8, table[3]);
  return _mm512_mask_blend_epi8(_mm512_movepi8_mask(p8), low, high);
}

int groups_vbmi(const Table& t, const Block& b, int e, const Tables512& tables, circuit::WordBuffer& refine,
                int& zero) {
  const std::int32_t* ps = b.ps + e;
  const __m512i p8 = _mm512_inserti64x4(
      _mm512_castsi256_si512(
          _mm256_inserti128_si256(_mm256_castsi128_si256(_mm512_cvtusepi32_epi8(_mm512_loadu_si512(ps))),
                                  _mm512_cvtusepi32_epi8(_mm512_loadu_si512(ps + 16)), 1)),
      _mm256_inserti128_si256(_mm256_castsi128_si256(_mm512_cvtusepi32_epi8(_mm512_loadu_si512(ps + 32))),
                              _mm512_cvtusepi32_epi8(_mm512_loadu_si512(ps + 48)), 1),
      1);
  const __m512i a = lookup512(tables.below, p8);
  const __m512i bb = lookup512(tables.above, p8);
  const __m512i k0b = lookup512(tables.k0, p8);
  // The top bytes of the two groups' uniforms: the first 32 bytes of each group's 16 words.
  const std::uint32_t* group = b.words + static_cast<std::ptrdiff_t>(e / kGroup) * kWordsPerGroup;
  const __m512i byte =
      _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(group))),
                         _mm256_loadu_si256(reinterpret_cast<const __m256i*>(group + kWordsPerGroup)), 1);
  const __m512i zero_i = _mm512_setzero_si512();
  const __m512i one = _mm512_set1_epi8(1);
  const __mmask64 below_a = _mm512_cmplt_epu8_mask(byte, a);
  const __mmask64 above_bb = _mm512_cmpgt_epu8_mask(byte, bb);
  const __mmask64 flag = _mm512_cmpeq_epi8_mask(byte, a) | _mm512_cmpeq_epi8_mask(byte, bb) |
                         _mm512_cmpeq_epi8_mask(byte, zero_i) | _mm512_cmpeq_epi8_mask(byte, _mm512_set1_epi8(-1));
  const __m512i c8 = _mm512_mask_add_epi8(_mm512_mask_sub_epi8(k0b, below_a, k0b, one), above_bb,
                                          _mm512_mask_sub_epi8(k0b, below_a, k0b, one), one);
  const int levels = t.hi() - t.lo() + 1;  // codes lo .. hi are bytes 1 .. levels
  std::uint64_t clipped_bits =
      _mm512_cmpeq_epi8_mask(c8, zero_i) | _mm512_cmpeq_epi8_mask(c8, _mm512_set1_epi8(static_cast<char>(levels + 1)));
  const __m512i clip8 = _mm512_min_epu8(_mm512_max_epu8(c8, one), _mm512_set1_epi8(static_cast<char>(levels)));
  const std::uint64_t zero_bits = _mm512_cmpeq_epi8_mask(p8, zero_i);
  const std::uint64_t real_bits = _mm512_test_epi8_mask(_mm512_loadu_si512(b.valid + e), _mm512_set1_epi8(-1));
  const std::uint64_t skip_bits = b.sparse ? zero_bits : 0u;
  const __m512 step = _mm512_set1_ps(t.step());
  const __m512 offset = _mm512_set1_ps(static_cast<float>(t.lo() - 1));
  float* value = b.value + e;
  for (int q = 0; q < 4; ++q) {
    const __m128i part = q == 0   ? _mm512_castsi512_si128(clip8)
                         : q == 1 ? _mm512_extracti32x4_epi32(clip8, 1)
                         : q == 2 ? _mm512_extracti32x4_epi32(clip8, 2)
                                  : _mm512_extracti32x4_epi32(clip8, 3);
    const __m512 code = _mm512_add_ps(_mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(part)), offset);
    const auto keep = static_cast<__mmask16>(~(skip_bits >> (16 * q)));
    _mm512_storeu_ps(value + 16 * q, _mm512_maskz_mul_ps(keep, code, step));
  }
  const std::uint64_t counted = real_bits & ~skip_bits;
  for (std::uint64_t todo = flag & counted; todo != 0; todo &= todo - 1) {
    const int i = std::countr_zero(todo);
    const Resolved r = resolve(t, b, e + i, refine);
    value[i] = r.value;
    clipped_bits = (clipped_bits & ~(std::uint64_t{1} << i)) | (r.clipped ? std::uint64_t{1} << i : 0u);
  }
  zero += std::popcount(zero_bits & real_bits);
  return std::popcount(clipped_bits & counted);
}

Counts convert_vbmi(const Table& t, const Block& b, circuit::WordBuffer& refine) {
  Tables512 tables;
  for (int r = 0; r < 4; ++r) {
    tables.below[r] = _mm512_loadu_si512(t.below().data() + static_cast<std::ptrdiff_t>(64 * r));
    tables.above[r] = _mm512_loadu_si512(t.above().data() + static_cast<std::ptrdiff_t>(64 * r));
    tables.k0[r] = _mm512_loadu_si512(t.k0_byte().data() + static_cast<std::ptrdiff_t>(64 * r));
  }
  return in_steps<2 * kGroup>(t, b, refine,
                              [&](int e, int& zero) { return groups_vbmi(t, b, e, tables, refine, zero); });
}
}  // namespace
#endif

Counts convert(const Table& t, const Block& b, circuit::WordBuffer& refine) {
#if defined(__AVX512VBMI__) && defined(__AVX512BW__)
  if (t.byte_codes()) return convert_vbmi(t, b, refine);
#endif
  return t.byte_codes() ? convert_avx2<true>(t, b, refine) : convert_avx2<false>(t, b, refine);
}
#else
Counts convert(const Table& t, const Block& b, circuit::WordBuffer& refine) { return convert_reference(t, b, refine); }
#endif

}  // namespace cimmc::arch::level
