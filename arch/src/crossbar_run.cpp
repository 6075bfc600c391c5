// The per-row pass of the crossbar engine: exact PS by AND + popcount, noise and readout in the
// same pass, shift-add; the random stream element of a GEMM row (docs/architecture.md, 3.3 to
// 3.7). The readouts that work on a whole block are in crossbar_mtj_readout.cpp and
// crossbar_lcu_readout.cpp; the layer's mapping is built in crossbar_mapping.cpp.
#include <fmt/format.h>
// GCC 12's AVX-512 intrinsics start from _mm512_undefined_*(), which -Wmaybe-uninitialized
// reports as a false positive once inlined.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <string>

#include "cimmc/arch/crossbar_layer.hpp"
#include "cimmc/circuit/fast_normal.hpp"
#include "cimmc/core/error.hpp"
#include "cimmc/core/parallel.hpp"
#include "cimmc/core/rng.hpp"
#include "crossbar_scratch.hpp"
#include "rare_event.hpp"
#include "shift_add.hpp"

namespace cimmc::arch {

using circuit::ReadoutKind;

std::uint64_t row_stream_element(std::uint32_t gemm, std::uint64_t image, std::uint32_t patch) {
  if (gemm > kMaxGemm || image > kMaxImage || patch > kMaxPatch)
    throw core::ArgumentError(
        fmt::format("crossbar random stream: GEMM {} (max {}), image {} (max {}) or patch {} (max {}) "
                    "out of range",
                    gemm, kMaxGemm, image, kMaxImage, patch, kMaxPatch));
  return std::uint64_t{gemm} << 38 | image << 18 | patch;
}

namespace {
// Σ of the deviations of the cells on active rows (input bit 1) of one subarray: every cell on
// a driven row adds its deviation to the analog sum, whatever level it stores.
float deviation_sum(const std::uint64_t* a, int wps, const float* dev, int first_k) {
  float sum = 0.0f;
  for (int w = 0; w < wps; ++w) {
    std::uint64_t x = a[w];
    while (x) {
      const int b = std::countr_zero(x);
      sum += dev[first_k + w * 64 + b];
      x &= x - 1;
    }
  }
  return sum;
}

// 1 on the sides of each (group, output) that carry a sense amplifier, [group · n_pad + n]: every
// column read single-ended; of a differential pair whose difference is sensed once, the positive
// side (or the negative one when the pair has no positive column).
std::vector<float> sense_amplifier_mask(const std::vector<ColumnGroup>& groups, int n_pad, int side) {
  std::vector<float> mask(groups.size() * static_cast<std::size_t>(n_pad), 0.0f);
  for (std::size_t gi = 0; gi < groups.size(); ++gi) {
    const ColumnGroup& g = groups[gi];
    const bool present = side == 0 ? !g.positive.empty() : !g.negative.empty();
    const bool senses = present && (!g.signed_readout || side == 0 || g.positive.empty());
    std::fill_n(mask.begin() + static_cast<std::ptrdiff_t>(gi) * n_pad, n_pad, senses ? 1.0f : 0.0f);
  }
  return mask;
}

// Bound on the error probability of every LCU sense of a run (rare_event.hpp): a sense of c unit
// signals (1 <= c <= G · cell max) has the analog value c + offset + cell deviations; its distance
// to the nearest threshold is at least that of c + offset less the largest Σ|deviation| of a group.
double lcu_error_bound(const CrossbarConfig& config, const circuit::LcuSense& sense, const std::vector<float>& offsets,
                       const std::vector<float>& deviations, int k) {
  const int grows = config.readout.lcu.group_rows, rows = config.rows;
  const int cmax = grows * config.max_cell_value();
  const float gfs = static_cast<float>(cmax);
  const double step = sense.step;
  double dev_max = 0.0, off_max = 0.0;
  if (!deviations.empty()) {  // [(group · 2 + side) · N + n][k]: groups of G rows inside each subarray
    for (std::size_t base = 0; base + static_cast<std::size_t>(k) <= deviations.size();
         base += static_cast<std::size_t>(k)) {
      double sum = 0.0;
      for (int kk = 0; kk < k; ++kk) {
        if (kk % rows % grows == 0) sum = 0.0;
        sum += std::abs(static_cast<double>(deviations[base + static_cast<std::size_t>(kk)]));
        dev_max = std::max(dev_max, sum);
      }
    }
  }
  double off_distance = 0.5 * step;  // with step 1, c + o is as far from a threshold as o
  for (float o : offsets) {
    off_max = std::max(off_max, std::abs(static_cast<double>(o)));
    off_distance = std::min(off_distance, rare::threshold_distance(o, 1.0));
  }
  // Single-precision sums: a margin far above their rounding.
  const double margin = 1e-5 * (cmax + off_max + dev_max + step);
  double bound = 0.0;
  for (int c = 1; c <= cmax; ++c) {
    double d = 0.5 * step;
    if (offsets.empty()) d = rare::threshold_distance(c, step);
    else if (step == 1.0) d = off_distance;
    else
      for (float o : offsets) d = std::min(d, rare::threshold_distance(static_cast<float>(c) + o, step));
    bound = std::max(
        bound, rare::error_bound(d - dev_max - margin, rare::lcu_sigma(config.noise, static_cast<float>(c), gfs)));
  }
  return bound;
}

// The same bound for an ADC readout, used only to choose rare-event sampling (a run with it bounds
// each block anew): with a unit step and no cell deviations, a PS sensed with offsets o+ − o−
// is as far from a threshold as o+ − o−; its σ is at most that of two sides at full scale.
double adc_error_bound(const CrossbarConfig& config, const std::vector<float>& step, const std::vector<float>& offsets,
                       bool deviations, int subarrays, std::size_t elements) {
  if (deviations) return 1.0;
  for (float s : step)
    if (s != 1.0f) return 1.0;
  const auto& noise = config.noise;
  const double fs = config.full_scale();
  const double side_variance = noise.physical() ? noise.sense_variance(fs) : std::pow(noise.sigma(fs, fs), 2);
  double d = 0.5;
  for (int s = 0; s < subarrays && !offsets.empty(); ++s)
    for (std::size_t e = 0; e < elements; ++e) {
      const float* o = offsets.data() + static_cast<std::size_t>(s) * 2 * elements;
      d = std::min(d, rare::threshold_distance(static_cast<double>(o[e]) - o[elements + e], 1.0));
    }
  return rare::error_bound(d - 1e-5 * (fs + 1.0), std::sqrt(2.0 * side_variance));
}

// The ADC conversions of one block (run_row). With kFused, the analog value of each element is
// formed here rather than read from vpos − vneg: a single-ended side, one σ for every sense and
// exact cells (no deviations), so PS (+ offset) + mask · σ · z, written as the separate passes
// write it (the same operations in the same order, so the same value, tests/arch: pinned hashes),
// in one pass over the block instead of three. Every column is single-ended there, so every
// negative PS is 0 and is not read (its analog value is +0, plus its offset).
struct AdcBlock {
  const std::int32_t* pos = nullptr;
  const std::int32_t* neg = nullptr;  // not read with kFused
  const float* vpos = nullptr;        // not kFused
  const float* vneg = nullptr;
  const float* offset_pos = nullptr;  // kFused with kOffsets
  const float* offset_neg = nullptr;
  const float* z = nullptr;  // kFused with kNoise: the side's normals, its sense mask and σ
  const float* mask = nullptr;
  float sigma = 0.0f;
  const float* inv = nullptr;  // the quantizer of each element: 1 / step, step, code range
  const float* step = nullptr;
  const float* lo = nullptr;
  const float* hi = nullptr;
  const std::uint8_t* valid = nullptr;
  bool sparse = false;
  float* value = nullptr;
  int elements = 0;
};

template <bool kFused, bool kOffsets, bool kNoise>
[[gnu::always_inline]] inline float adc_analog(const AdcBlock& b, int e) {
  if constexpr (!kFused) {
    return b.vpos[e] - b.vneg[e];
  } else {
    float vp = static_cast<float>(b.pos[e]);
    float vn = 0.0f;
    if constexpr (kOffsets) {
      vp += b.offset_pos[e];
      vn += b.offset_neg[e];
    }
    if constexpr (kNoise) vp += b.mask[e] * b.sigma * b.z[e];
    return vp - vn;
  }
}

// What a block's conversions count: clipped conversions and zero PS, of real outputs.
struct AdcCounts {
  int clipped = 0;
  int zero = 0;
};

// Converts every element of the block into value[] (0 for a PS a sparse ADC skips), and counts
// the clipped conversions and the zero PS (both sides 0) of real outputs.
// Not inlined: four copies of these loops inside run_row made GCC spill the pointers of
// run_row's other loops (the ideal readout's among them: 10-20 % slower, perf).
template <bool kFused, bool kOffsets, bool kNoise>
[[gnu::noinline]] AdcCounts adc_convert(const AdcBlock& b) {
  const int elements = b.elements;
  const std::int32_t* pos = b.pos;
  const std::int32_t* neg = b.neg;
  const float* inv = b.inv;
  const float* step = b.step;
  const float* lo = b.lo;
  const float* hi = b.hi;
  const std::uint8_t* valid = b.valid;
  float* value = b.value;
  const int sparse_bit = b.sparse ? 1 : 0;
  int clipped = 0;
  int zero = 0;
  // Branch-free so that it vectorizes; rounding to nearest (even) by the 1.5·2^23 trick, exact
  // for |x| < 2^22. The vector versions round with the rounding instruction instead: the same for
  // |x| < 2^22, and beyond that both clip to the code range.
  // The block's fields in locals for the vector loops: the stores to value[] may alias them as far
  // as the compiler knows, and it reloaded sparse, σ and the pointers every iteration (perf
  // annotate, AVX2).
  [[maybe_unused]] const float* vpos = b.vpos;
  [[maybe_unused]] const float* vneg = b.vneg;
  [[maybe_unused]] const float* offset_pos = b.offset_pos;
  [[maybe_unused]] const float* offset_neg = b.offset_neg;
  [[maybe_unused]] const float* z = b.z;
  [[maybe_unused]] const float* mask = b.mask;
  int e_first = 0;
#if defined(__AVX512F__)
  {
    // GCC keeps a scalar copy of the loop below hot; spell out the vector version.
    const __m512 sigma = _mm512_set1_ps(b.sigma);
    const __mmask16 sparse_mask = b.sparse ? __mmask16{0xFFFF} : __mmask16{0};
    const __m512i zero_i = _mm512_setzero_si512();
    const __m512i one_i = _mm512_set1_epi32(1);
    __m512i clipped_v = zero_i, zero_v = zero_i;  // counts per lane
    for (; e_first + 16 <= elements; e_first += 16) {
      const int e = e_first;
      const __m512i ip = _mm512_loadu_si512(pos + e);
      __m512 d;
      __mmask16 is_zero;
      if constexpr (!kFused) {
        d = _mm512_sub_ps(_mm512_loadu_ps(vpos + e), _mm512_loadu_ps(vneg + e));
        is_zero = _mm512_cmpeq_epi32_mask(_mm512_or_si512(ip, _mm512_loadu_si512(neg + e)), zero_i);
      } else {
        is_zero = _mm512_cmpeq_epi32_mask(ip, zero_i);
        __m512 vp = _mm512_cvtepi32_ps(ip), vn = _mm512_setzero_ps();
        if constexpr (kOffsets) {
          vp = _mm512_add_ps(vp, _mm512_loadu_ps(offset_pos + e));
          vn = _mm512_add_ps(vn, _mm512_loadu_ps(offset_neg + e));
        }
        if constexpr (kNoise)
          vp = _mm512_fmadd_ps(_mm512_mul_ps(_mm512_loadu_ps(mask + e), sigma), _mm512_loadu_ps(z + e), vp);
        d = _mm512_sub_ps(vp, vn);
      }
      const __m512 x = _mm512_mul_ps(d, _mm512_loadu_ps(inv + e));
      const __m512 c = _mm512_roundscale_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
      const __mmask16 skip = is_zero & sparse_mask;
      const __m512 clip = _mm512_min_ps(_mm512_max_ps(c, _mm512_loadu_ps(lo + e)), _mm512_loadu_ps(hi + e));
      const __mmask16 real = _mm512_test_epi32_mask(
          _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(valid + e))), one_i);
      // Clipped: the clipped code differs from the code (false for a NaN code, as "below or above
      // the range" was); both counts add up in vector lanes, without moving masks to scalars.
      const __mmask16 outside = _mm512_mask_cmp_ps_mask(static_cast<__mmask16>(real & ~skip), c, clip, _CMP_NEQ_OQ);
      clipped_v = _mm512_mask_add_epi32(clipped_v, outside, clipped_v, one_i);
      zero_v = _mm512_mask_add_epi32(zero_v, static_cast<__mmask16>(is_zero & real), zero_v, one_i);
      _mm512_storeu_ps(value + e, _mm512_maskz_mul_ps(static_cast<__mmask16>(~skip), clip, _mm512_loadu_ps(step + e)));
    }
    clipped += _mm512_reduce_add_epi32(clipped_v);
    zero += _mm512_reduce_add_epi32(zero_v);
  }
#elif defined(__AVX2__)
  {
    // GCC's vectorization of the loop below widens the valid bytes 32 at a time and spills
    // (perf, x86-64-v3 build); the same operations 8 at a time, with the AVX-512 block's masks
    // as sign bits.
    const __m256 sigma = _mm256_set1_ps(b.sigma);
    const __m256i sparse_mask = _mm256_set1_epi32(b.sparse ? -1 : 0);
    const unsigned sparse_bits = b.sparse ? 0xFFu : 0u;
    const __m256i zero_i = _mm256_setzero_si256();
    for (; e_first + 8 <= elements; e_first += 8) {
      const int e = e_first;
      const __m256i ip = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(pos + e));
      __m256 d;
      __m256i is_zero;
      if constexpr (!kFused) {
        d = _mm256_sub_ps(_mm256_loadu_ps(vpos + e), _mm256_loadu_ps(vneg + e));
        is_zero = _mm256_cmpeq_epi32(_mm256_or_si256(ip, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(neg + e))),
                                     zero_i);
      } else {
        is_zero = _mm256_cmpeq_epi32(ip, zero_i);
        __m256 vp = _mm256_cvtepi32_ps(ip), vn = _mm256_setzero_ps();
        if constexpr (kOffsets) {
          vp = _mm256_add_ps(vp, _mm256_loadu_ps(offset_pos + e));
          vn = _mm256_add_ps(vn, _mm256_loadu_ps(offset_neg + e));
        }
        if constexpr (kNoise)
          vp = _mm256_fmadd_ps(_mm256_mul_ps(_mm256_loadu_ps(mask + e), sigma), _mm256_loadu_ps(z + e), vp);
        d = _mm256_sub_ps(vp, vn);
      }
      const __m256 x = _mm256_mul_ps(d, _mm256_loadu_ps(inv + e));
      const __m256 c = _mm256_round_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
      // Outside the code range: the clipped code differs from the code (one comparison instead of
      // two; false for a NaN code, as the two were).
      const __m256 clip = _mm256_min_ps(_mm256_max_ps(c, _mm256_loadu_ps(lo + e)), _mm256_loadu_ps(hi + e));
      const __m256 outside = _mm256_cmp_ps(c, clip, _CMP_NEQ_OQ);
      std::uint64_t valid8 = 0;
      std::memcpy(&valid8, valid + e, sizeof valid8);
      // Bit i of real_bits = bit 0 of valid byte i, in scalar operations (the vector ports are the
      // busy ones): the multiply moves bit 0 of byte i to bit 56 + i, without carries.
      const unsigned real_bits =
          static_cast<unsigned>(((valid8 & 0x0101010101010101ull) * 0x0102040810204080ull) >> 56);
      const unsigned zero_bits = static_cast<unsigned>(_mm256_movemask_ps(_mm256_castsi256_ps(is_zero)));
      const unsigned skip_bits = sparse_bits & zero_bits;
      clipped += std::popcount(static_cast<unsigned>(_mm256_movemask_ps(outside)) & real_bits & ~skip_bits);
      zero += std::popcount(zero_bits & real_bits);
      const __m256 v = _mm256_mul_ps(clip, _mm256_loadu_ps(step + e));
      _mm256_storeu_ps(value + e, _mm256_andnot_ps(_mm256_castsi256_ps(_mm256_and_si256(is_zero, sparse_mask)), v));
    }
  }
#endif
  for (int e = e_first; e < elements; ++e) {
    const float x = adc_analog<kFused, kOffsets, kNoise>(b, e) * inv[e];
    const float c = (x + 12582912.0f) - 12582912.0f;
    const int is_zero = static_cast<int>((kFused ? pos[e] : pos[e] | neg[e]) == 0);
    const int skip = sparse_bit & is_zero;
    const int out_of_range = static_cast<int>(c < lo[e]) | static_cast<int>(c > hi[e]);
    clipped += out_of_range & static_cast<int>(valid[e]) & (1 - skip);
    zero += is_zero & static_cast<int>(valid[e]);
    value[e] = std::min(std::max(c, lo[e]), hi[e]) * step[e] * static_cast<float>(1 - skip);
  }
  return {clipped, zero};
}

AdcCounts adc_convert(const AdcBlock& b, bool fused) {
  if (!fused) return adc_convert<false, false, false>(b);
  if (b.offset_pos != nullptr)
    return b.z != nullptr ? adc_convert<true, true, true>(b) : adc_convert<true, true, false>(b);
  return b.z != nullptr ? adc_convert<true, false, true>(b) : adc_convert<true, false, false>(b);
}

// The rare-event pass's bound of one ADC block (CrossbarLayer::adc_rare_errors): the smallest
// squared distance to a threshold over the conversion's noise variance, of the elements that
// convert with noise.
struct AdcBoundBlock {
  const std::int32_t* pos;
  const std::int32_t* neg;
  const float* vpos;
  const float* vneg;
  const float* inv;
  const float* step;
  const std::uint8_t* valid;
  const float* side0;  // physical: each side's sense variance; otherwise each side's sense mask
  const float* side1;
  float add2;  // (σ_add)²
  float sigma_prop;
  float cell_variance;
  int sparse_bit;
  int elements;
};

// Branch-free over plain locals, one loop per noise form: the library keeps trapping math, under
// which GCC does not speculate a division, so a conditional division left the loop scalar on AVX2
// (no masked division there; perf: the pass took 60 % of a fine ADC run at σ = 0.01 LSB).
template <bool kPhysical>
[[gnu::noinline]] float adc_min_ratio2(const AdcBoundBlock& b) {
  const std::int32_t* pos = b.pos;
  const std::int32_t* neg = b.neg;
  const float* vpos = b.vpos;
  const float* vneg = b.vneg;
  const float* inv = b.inv;
  const float* step = b.step;
  const std::uint8_t* valid = b.valid;
  const float* side0 = b.side0;
  const float* side1 = b.side1;
  const float add2 = b.add2, sigma_prop = b.sigma_prop, cell_variance = b.cell_variance;
  const int sparse_bit = b.sparse_bit, elements = b.elements;
  constexpr float kInf = std::numeric_limits<float>::infinity();
  float m2 = kInf;
  int touches = 0;  // an element at a threshold (or past it, by the margin)
#pragma omp simd reduction(min : m2) reduction(| : touches)
  for (int e = 0; e < elements; ++e) {
    const float x = (vpos[e] - vneg[e]) * inv[e];
    const float c = (x + 12582912.0f) - 12582912.0f;
    const float d = (0.5f - std::abs(x - c) - 0x1p-18f * (std::abs(x) + 1.0f)) * step[e];
    const float fp = static_cast<float>(pos[e]), fn = static_cast<float>(neg[e]);
    float var;
    if constexpr (kPhysical) {
      var = side0[e] + cell_variance * fp + side1[e] + cell_variance * fn;
    } else {
      const float bp = sigma_prop * fp, bn = sigma_prop * fn;
      var = side0[e] * (add2 + bp * bp) + side1[e] * (add2 + bn * bn);
    }
    // d > 0 ? d² / var : 0 over the elements that convert with noise (var > 0), as d² / var,
    // each result used (added to 0 or to +∞) so that GCC does not sink an operation into a branch,
    // and a flag for d <= 0, which makes the minimum 0. An element of var = 0 gives +∞ or NaN
    // (0 / 0), which std::min passes over.
    const int ok = static_cast<int>(valid[e] != 0) & (1 - (sparse_bit & static_cast<int>((pos[e] | neg[e]) == 0)));
    const float r2 = d * d / var;
    m2 = std::min(m2, r2 + (ok != 0 ? 0.0f : kInf));
    touches |= ok & static_cast<int>(var > 0.0f) & static_cast<int>(d <= 0.0f);
  }
  return touches != 0 ? 0.0f : m2;
}
}  // namespace

void CrossbarLayer::run(std::span<const std::uint8_t> activations, int m, const RunAddress& address, std::uint64_t seed,
                        std::span<double> out, Counters& counters, std::span<float> slopes, SlopeModel model) const {
  if (m < 0 || activations.size() != static_cast<std::size_t>(m) * static_cast<std::size_t>(k_))
    throw core::ArgumentError(
        fmt::format("crossbar layer {}: {} activations for M = {} × K = {}", layer_id_, activations.size(), m, k_));
  if (out.size() != static_cast<std::size_t>(m) * static_cast<std::size_t>(n_))
    throw core::ArgumentError(
        fmt::format("crossbar layer {}: output has {} values, expected M × N = {} × {}", layer_id_, out.size(), m, n_));
  if (!slopes.empty() && slopes.size() != static_cast<std::size_t>(m) * geometry_.subarrays * n_)
    throw core::ArgumentError(fmt::format("crossbar layer {}: {} slopes, expected M × subarrays × N = {} × {} × {}",
                                          layer_id_, slopes.size(), m, geometry_.subarrays, n_));
  if (address.rows_per_image < 1 || address.rows_per_image - 1 > kMaxPatch)
    throw core::ArgumentError(fmt::format("crossbar layer {}: rows_per_image = {} not in [1, {}]", layer_id_,
                                          address.rows_per_image, kMaxPatch + 1));
  if (m > 0) (void)row_stream_element(address.gemm, address.first_image + (m - 1) / address.rows_per_image, 0);
  const int bits = config_.input_bits;
  const std::uint8_t limit = static_cast<std::uint8_t>((1u << bits) - 1);
  for (std::size_t i = 0; i < activations.size(); ++i)
    if (activations[i] > limit)
      throw core::ArgumentError(fmt::format("crossbar layer {}: activation [{}, {}] = {} does not fit in {} input bits",
                                            layer_id_, i / static_cast<std::size_t>(k_),
                                            i % static_cast<std::size_t>(k_), activations[i], bits));

  const int groups = static_cast<int>(groups_.size());
  const int subarrays = geometry_.subarrays;
  const bool lcu = config_.readout.kind == ReadoutKind::kZebraLcu;
  const auto& noise = config_.noise;
  // Sense-amplifier offsets, fixed for the trial.
  std::vector<float> offsets;
  if (noise.has_offset()) {
    // Layout [subarray][side][group · n_pad + n][sense amplifier of the column]: one amplifier
    // per column, or per LCU group slot (lcu_slots() per column).
    const std::size_t elements = groups_.size() * static_cast<std::size_t>(n_pad_);
    const std::size_t columns = elements * 2 * static_cast<std::size_t>(subarrays);
    const std::size_t slots = lcu ? static_cast<std::size_t>(lcu_slots(geometry_, config_)) : 1;
    core::rng::Stream stream(seed, {core::rng::Purpose::kSenseOffset, address.point, address.trial, address.gemm});
    if (noise.physical()) {
      offsets.resize(columns * slots);
      stream.fill_normal(std::span<float>(offsets));
      // Absent sides have no amplifier; a differential pair sensed as one difference has one.
      const std::vector<float>* mask = lcu ? side_mask_ : nullptr;
      std::vector<float> sensed[2];
      if (!lcu) {
        sensed[0] = sense_amplifier_mask(groups_, n_pad_, 0);
        sensed[1] = sense_amplifier_mask(groups_, n_pad_, 1);
        mask = sensed;
      }
      const float scale = static_cast<float>(noise.offset_sigma_lsb);
      for (std::size_t j = 0; j < offsets.size(); ++j) {
        const std::size_t c = j / slots;
        offsets[j] *= scale * mask[(c / elements) % 2][c % elements];
      }
    } else {
      // One offset per physical column (an LCU's amplifiers of a column share it).
      offsets.resize(columns);
      stream.fill_normal(std::span<float>(offsets));
      const double fs =
          lcu ? static_cast<double>(config_.readout.lcu.group_rows) * config_.max_cell_value() : full_scale();
      const float scale = static_cast<float>(noise.offset_fraction * fs);
      // Absent sides (no column) get no offset.
      for (std::size_t j = 0; j < offsets.size(); ++j)
        offsets[j] *= scale * side_mask_[(j / elements) % 2][j % elements];
      if (slots > 1) {
        std::vector<float> per_slot(columns * slots);
        for (std::size_t j = 0; j < per_slot.size(); ++j) per_slot[j] = offsets[j / slots];
        offsets = std::move(per_slot);
      }
    }
  }

  // Rare-event sampling of the readout's errors (rare_event.hpp), chosen per run from the bound on
  // every sense's error probability.
  bool rare = false;
  double rare_bound = 1.0;
  const circuit::ReadoutSampling sampling = config_.readout.sampling;
  if (noise.has_additive() &&
      (sampling == circuit::ReadoutSampling::kAuto || sampling == circuit::ReadoutSampling::kRareEvent) &&
      (lcu || config_.readout.kind == ReadoutKind::kAdc)) {
    rare_bound = lcu ? lcu_error_bound(config_, lcu_sense_, offsets, deviations_, k_)
                     : adc_error_bound(config_, adc_step_, offsets, !deviations_.empty(), subarrays,
                                       groups_.size() * static_cast<std::size_t>(n_pad_));
    rare =
        config_.readout.sampling == circuit::ReadoutSampling::kRareEvent || rare_bound <= circuit::kRareEventAutoBound;
  }
  // Level sampling of the ADC's noise (level_sampling.hpp): where the layer has its tables and the
  // run has neither sense-amplifier offsets nor cell deviations.
  std::string level_unavailable = level_unavailable_;
  if (level_unavailable.empty() && !offsets.empty())
    level_unavailable = "level sampling needs a readout without sense-amplifier offsets";
  if (level_unavailable.empty() && !deviations_.empty())
    level_unavailable = "level sampling needs exact cells (this layer has cell deviations)";
  if (sampling == circuit::ReadoutSampling::kLevel && !level_unavailable.empty())
    throw core::ArgumentError(
        fmt::format("crossbar layer {}: readout.sampling = \"level\": {}", layer_id_, level_unavailable));
  const bool level = !rare && level_unavailable.empty() &&
                     (sampling == circuit::ReadoutSampling::kAuto || sampling == circuit::ReadoutSampling::kLevel);

  Counters total;
  total.readout = std::string(circuit::readout_name(config_.readout.kind));
  if (config_.readout.kind == ReadoutKind::kAdc) total.adc_bits = config_.readout.adc.bits;
  if (lcu) {
    total.lcu_group_rows = config_.readout.lcu.group_rows;
    total.lcu_levels = config_.readout.lcu.levels;
  }
  total.rows_per_subarray = config_.rows;
  total.subarrays = subarrays;
  total.column_groups = groups;
  total.columns = n_;
  total.gemm_rows = static_cast<std::uint64_t>(m);
  total.macs = static_cast<std::uint64_t>(m) * n_ * k_;
  total.input_bit_ones.assign(static_cast<std::size_t>(bits), 0);
  total.input_bit_cells = static_cast<std::uint64_t>(m) * k_;
  total.weight_plane_ones = plane_ones_;
  total.weight_plane_cells = static_cast<std::uint64_t>(n_) * k_;

  // The slopes of readouts that clip come from each row's partial sums; the others are all ones.
  SlopeSink sink;
  if (!slopes.empty()) {
    if (readout_has_slopes()) {
      sink = {model, slopes.data(), static_cast<std::size_t>(m) * n_};
    } else {
      std::fill(slopes.begin(), slopes.end(), 1.0f);
    }
  }

  const int words = geometry_.words();
  core::ExceptionCapture capture;
#pragma omp parallel
  {
    Scratch sc;
    Counters local;
    local.input_bit_ones.assign(static_cast<std::size_t>(bits), 0);
    capture.run([&] {
      sc.act.resize(static_cast<std::size_t>(bits) * words);
      const std::size_t elements = groups_.size() * static_cast<std::size_t>(n_pad_);
      sc.tmp.assign(static_cast<std::size_t>(plane_count_) * n_pad_, 0);
      for (auto* v : {&sc.pos, &sc.neg, &sc.zeros}) v->assign(elements, 0);
      for (auto* v : {&sc.index, &sc.successes}) v->assign(static_cast<std::size_t>(n_pad_), 0);
      sc.thresholds.assign(
          static_cast<std::size_t>(samples_.empty() ? 1 : *std::max_element(samples_.begin(), samples_.end())), 0);
      for (auto* v : {&sc.vpos, &sc.vneg, &sc.value}) v->assign(elements, 0.0f);
      sc.lane_sums.assign(static_cast<std::size_t>(n_pad_) * 8, 0.0f);
      for (auto* v : {&sc.acc, &sc.current, &sc.probability}) v->assign(static_cast<std::size_t>(n_pad_), 0.0);
      if (sink.out != nullptr) sc.slope_weighted.assign(static_cast<std::size_t>(n_), 0.0);
      sc.rare = rare;
      sc.level = level;
      sc.rare_bound = rare_bound;
      if (rare && lcu) {  // a row senses at most every G-row group of every column of every block
        const std::uint64_t row_senses = static_cast<std::uint64_t>(subarrays) * config_.input_streams() * 2 *
                                         groups_.size() * static_cast<std::uint64_t>(lcu_slots(geometry_, config_)) *
                                         static_cast<std::uint64_t>(n_);
        sc.gaps.prepare(rare_bound, row_senses);
      }
      if (noise.physical() && noise.has_additive() && !lcu) {
        const float variance = static_cast<float>(noise.sense_sigma_lsb * noise.sense_sigma_lsb);
        for (int side = 0; side < 2; ++side) {
          sc.sense_variance[side] = sense_amplifier_mask(groups_, n_pad_, side);
          for (float& v : sc.sense_variance[side]) v *= variance;
        }
      }
    });
#pragma omp for schedule(dynamic, 4)
    for (int row = 0; row < m; ++row) {
      if (capture.failed()) continue;
      capture.run([&] {
        const auto values = activations.subspan(static_cast<std::size_t>(row) * k_, static_cast<std::size_t>(k_));
        pack_bit_planes(isa_, values, bits, geometry_, sc.act);
        std::int64_t sum = 0;
        for (std::uint8_t v : values) sum += v;
        for (int i = 0; i < bits; ++i)
          for (int w = 0; w < words; ++w)
            local.input_bit_ones[static_cast<std::size_t>(i)] +=
                std::popcount(sc.act[static_cast<std::size_t>(i) * words + w]);
        const std::uint64_t image = address.first_image + static_cast<std::uint64_t>(row) / address.rows_per_image;
        const std::uint32_t patch = static_cast<std::uint32_t>(row) % address.rows_per_image;
        run_row(sc.act.data(), sum, row_stream_element(address.gemm, image, patch), seed, address,
                offsets.empty() ? nullptr : offsets.data(), out.data() + static_cast<std::size_t>(row) * n_, sc, local,
                sink, row);
      });
    }
#pragma omp critical(cimmc_crossbar_counters)
    total.merge(local);
  }
  capture.rethrow();
  counters.merge(total);
}

int CrossbarLayer::adc_rare_errors(const std::int32_t* pos, const std::int32_t* neg, const float* vpos,
                                   const float* vneg, float* value, Scratch& sc) const {
  const auto& noise = config_.noise;
  const int elements = static_cast<int>(groups_.size()) * n_pad_;
  const bool sparse = config_.readout.adc.sparse, physical = noise.physical();
  const float* inv = adc_inverse_step_.data();
  const float* step = adc_step_.data();
  const float* lo = adc_min_code_.data();
  const float* hi = adc_max_code_.data();
  const std::uint8_t* valid = valid_.data();
  const float cell_variance = static_cast<float>(noise.cell_sigma_lsb * noise.cell_sigma_lsb);
  const float sigma_add = static_cast<float>(noise.sigma_fraction) * static_cast<float>(full_scale());
  const float sigma_prop = static_cast<float>(noise.proportional_fraction);
  // The variance of one conversion's noise: the two sides' terms as the direct method adds them.
  auto variance = [&](int e) {
    if (physical)
      return static_cast<double>(sc.sense_variance[0][static_cast<std::size_t>(e)] +
                                 cell_variance * static_cast<float>(pos[e])) +
             static_cast<double>(sc.sense_variance[1][static_cast<std::size_t>(e)] +
                                 cell_variance * static_cast<float>(neg[e]));
    const float bp = sigma_prop * static_cast<float>(pos[e]), bn = sigma_prop * static_cast<float>(neg[e]);
    return static_cast<double>(side_mask_[0][static_cast<std::size_t>(e)] * (sigma_add * sigma_add + bp * bp)) +
           static_cast<double>(side_mask_[1][static_cast<std::size_t>(e)] * (sigma_add * sigma_add + bn * bn));
  };
  auto level_of = [&](int e) { return std::nearbyint((vpos[e] - vneg[e]) * inv[e]); };
  auto eligible = [&](int e) { return valid[e] && !(sparse && (pos[e] | neg[e]) == 0); };
  // The block's bound: the smallest distance to a threshold in units of σ, in a single-precision
  // pass that vectorizes (squared, over the variance). The distance is taken smaller than it is by
  // far more than its rounding (2^-18 of the code's magnitude), so that it stays a lower bound.
  const std::vector<float>* side = physical ? sc.sense_variance : side_mask_;  // the two sides
  constexpr float kInf = std::numeric_limits<float>::infinity();
  const AdcBoundBlock block{pos,        neg,           vpos,           vneg,           inv,
                            step,       valid,         side[0].data(), side[1].data(), sigma_add * sigma_add,
                            sigma_prop, cell_variance, sparse ? 1 : 0, elements};
  const float ratio2 = physical ? adc_min_ratio2<true>(block) : adc_min_ratio2<false>(block);
  if (ratio2 == kInf) return 0;
  const double ratio = std::sqrt(static_cast<double>(ratio2)) * (1.0 - 1e-5);
  rare::Gaps& gaps = sc.gaps;
  gaps.start(rare::error_bound(ratio, 1.0), sc.words);
  int clipped = 0;
  for (; gaps.next < static_cast<std::uint64_t>(elements); gaps.advance(sc.words)) {
    const int e = static_cast<int>(gaps.next);
    if (!eligible(e)) continue;
    const double var = variance(e);
    if (!(var > 0.0)) continue;
    const float level0 = level_of(e);
    const int level =
        rare::candidate_level(static_cast<double>(vpos[e] - vneg[e]), std::sqrt(var), step[e], static_cast<int>(level0),
                              static_cast<int>(lo[e]), static_cast<int>(hi[e]), gaps.p, sc.words);
    if (level == static_cast<int>(level0)) continue;
    const float now = static_cast<float>(level);
    clipped += static_cast<int>(now < lo[e] || now > hi[e]) - static_cast<int>(level0 < lo[e] || level0 > hi[e]);
    value[e] = std::min(std::max(now, lo[e]), hi[e]) * step[e];
  }
  return clipped;
}

void CrossbarLayer::run_row(const std::uint64_t* act, std::int64_t act_sum, std::uint64_t element, std::uint64_t seed,
                            const RunAddress& address, const float* offsets, double* out, Scratch& sc,
                            Counters& counters, const SlopeSink& slopes, int row) const {
  const auto& r = config_.readout;
  const auto& noise = config_.noise;
  const int groups = static_cast<int>(groups_.size());
  const int subarrays = geometry_.subarrays, wps = geometry_.words_per_subarray, words = geometry_.words();
  const int bits = config_.input_bits, np = n_pad_, nn = n_;
  const int elements = groups * np;  // (group, output) pairs of one (subarray, input bit)
  const AndPopcountFn popc = and_popcount_function(isa_);
  const bool additive = noise.has_additive();
  const bool lcu = r.kind == ReadoutKind::kZebraLcu;
  const bool mtj = r.kind == ReadoutKind::kStochasticMtj;
  const bool exact_analog = !noise.any() && deviations_.empty();
  const bool any_negative =
      std::any_of(groups_.begin(), groups_.end(), [](const ColumnGroup& g) { return !g.negative.empty(); });
  const float fs = static_cast<float>(full_scale());
  const float sigma_add = static_cast<float>(noise.sigma_fraction) * fs;
  const float sigma_prop = static_cast<float>(noise.proportional_fraction);
  const bool physical = noise.physical();
  const float cell_variance = static_cast<float>(noise.cell_sigma_lsb * noise.cell_sigma_lsb);
  // Draw exactly what a row takes (PS-level readouts take whole blocks of `elements`).
  auto chunk_for = [](std::size_t per_row, std::size_t unit) {
    constexpr std::size_t kMaxChunk = 16384;
    const std::size_t chunks = (per_row + kMaxChunk - 1) / kMaxChunk;
    const std::size_t units = (per_row / unit + chunks - 1) / chunks;
    return std::max<std::size_t>(1, units) * unit;
  };
  const std::size_t blocks = static_cast<std::size_t>(subarrays) * config_.input_streams();
  const bool rare = sc.rare;
  const bool level = sc.level;  // implies fused_adc (run)
  // A single-ended ADC with one σ for every sense and exact cells converts each block in one pass
  // (adc_convert, kFused).
  const bool fused_adc = r.kind == ReadoutKind::kAdc && !rare && deviations_.empty() && !any_negative &&
                         (!additive || (!physical && sigma_prop == 0.0f));
  // An ideal readout of exact sums reads PS+ − PS− straight from the integer sums, in one pass
  // (the same float values as through vpos and vneg).
  const bool exact_ideal = r.kind == ReadoutKind::kIdeal && exact_analog && offsets == nullptr;
  if (additive && !lcu && !rare && !level)
    sc.normals.set_chunk(chunk_for(blocks * elements * (any_negative ? 2 : 1), static_cast<std::size_t>(elements)));
  if (mtj)  // one word per exact PS (K by inverse CDF), T words per analog PS
    sc.words.set_chunk(
        chunk_for(blocks * groups * nn * (exact_analog ? 1 : static_cast<std::size_t>(config_.readout.mtj.samples)),
                  static_cast<std::size_t>(nn)));
  if (additive && !rare && !level)
    sc.normals.reset(seed, {lcu ? core::rng::Purpose::kLcuNoise : core::rng::Purpose::kPartialSumNoise, address.point,
                            address.trial, element});
  if (rare) {  // the same stream, as words: gaps, thinning and the erring senses' levels
    sc.words.set_chunk(16);
    sc.words.reset(seed, {lcu ? core::rng::Purpose::kLcuNoise : core::rng::Purpose::kPartialSumNoise, address.point,
                          address.trial, element});
    if (lcu) sc.gaps.restart(sc.words);
  }
  if (mtj) sc.words.reset(seed, {core::rng::Purpose::kMtjSampling, address.point, address.trial, element});
  const std::size_t level_block_words = level::words_for(static_cast<std::size_t>(elements));
  if (level) {  // the noise stream as words: half a word per conversion; the low bits elsewhere
    sc.level_words.set_chunk(chunk_for(blocks * level_block_words, level_block_words));
    sc.level_words.reset(seed, {core::rng::Purpose::kPartialSumNoise, address.point, address.trial, element});
    sc.words.set_chunk(16);
    sc.words.reset(seed, {core::rng::Purpose::kLevelRefine, address.point, address.trial, element});
  }
  double* acc = sc.acc.data();
  std::fill(acc, acc + np, 0.0);
  std::int32_t* tmp = sc.tmp.data();
  const std::int32_t* pos = sc.pos.data();
  const std::int32_t* neg = sc.neg.data();
  float* vpos = sc.vpos.data();
  float* vneg = sc.vneg.data();
  float* value = sc.value.data();
  const float* mask_pos = side_mask_[0].data();
  const float* mask_neg = side_mask_[1].data();
  const std::uint8_t* valid = valid_.data();
  const std::uint64_t draws_before = sc.normals.drawn();
  const std::uint64_t sides_per_block =
      static_cast<std::uint64_t>(nn) *
      static_cast<std::uint64_t>(std::accumulate(groups_.begin(), groups_.end(), 0, [](int t, const ColumnGroup& g) {
        return t + (g.positive.empty() ? 0 : 1) + (g.negative.empty() ? 0 : 1);
      }));

  const int streams = config_.input_streams(), dac = config_.dac_bits;
  double* slope_weighted = sc.slope_weighted.data();
  for (int s = 0; s < subarrays; ++s) {
    double slope_total = 0.0;
    if (slopes.out != nullptr) std::fill(slope_weighted, slope_weighted + nn, 0.0);
    for (int q = 0; q < streams; ++q) {
      const int i0 = q * dac, i1 = std::min(bits, i0 + dac);
      const std::uint64_t* a = act + static_cast<std::size_t>(i0) * words + s * wps;
      // A row is driven when its DAC applies a nonzero input.
      int active = 0;
      for (int w = 0; w < wps; ++w) {
        std::uint64_t any = 0;
        for (int i = i0; i < i1; ++i) any |= act[static_cast<std::size_t>(i) * words + s * wps + w];
        active += std::popcount(any);
      }
      ++counters.array_reads;
      counters.active_rows += static_cast<std::uint64_t>(active);
      counters.column_reads += sides_per_block;
      counters.partial_sums += static_cast<std::uint64_t>(nn) * groups;
      if (identity_groups_ && dac == 1) {
        // Group g is plane g alone (1-bit cells, single-ended, bit-serial input): the popcounts
        // of one kernel call are the PS.
        popc(a, planes_.data() + plane_index(0, s * wps, 0), wps, plane_count_ * np, tmp);
        pos = tmp;
        neg = sc.zeros.data();
      } else {
        stream_partial_sums(act, s, q, tmp, sc.pos.data(), sc.neg.data());
        pos = sc.pos.data();
        neg = sc.neg.data();
      }
      // The zero PS of real outputs (an ADC counts them as it converts).
      int zero = 0;
      if (r.kind != ReadoutKind::kAdc) {
        for (int e = 0; e < elements; ++e) zero += (valid[e] & ((pos[e] | neg[e]) == 0)) ? 1 : 0;
        counters.zero_partial_sums += static_cast<std::uint64_t>(zero);
      }
      if (slopes.out != nullptr) slope_terms(slopes.model, s, q, active == 0, pos, neg, slope_weighted, slope_total);
      const double bit_weight = static_cast<double>(1 << i0);

      if (lcu) {  // dac_bits = 1 (validated)
        run_lcu_block(a, s, bit_weight, offsets, pos, neg, acc, sc, counters);
        continue;
      }

      // ---- analog value of each side: PS (+ cell deviations) + offset + noise (an exact MTJ
      // readout reads the integer PS alone; the fused ADC forms it in its conversion loop, from
      // the same normals taken at the same point of the stream)
      const float* fused_z =
          fused_adc && additive && !level ? sc.normals.take(static_cast<std::size_t>(elements)) : nullptr;
      if (!fused_adc && !exact_ideal && !(mtj && exact_analog))
        for (int e = 0; e < elements; ++e) {
          vpos[e] = static_cast<float>(pos[e]);
          vneg[e] = static_cast<float>(neg[e]);
        }
      if (!deviations_.empty())
        for (int gi = 0; gi < groups; ++gi)
          for (int side = 0; side < 2; ++side) {
            const ColumnGroup& g = groups_[static_cast<std::size_t>(gi)];
            if (side == 0 ? g.positive.empty() : g.negative.empty()) continue;
            float* v = (side == 0 ? vpos : vneg) + static_cast<std::ptrdiff_t>(gi) * np;
            for (int i = i0; i < i1; ++i) {
              const std::uint64_t* ai = act + static_cast<std::size_t>(i) * words + s * wps;
              const float input_weight = static_cast<float>(1 << (i - i0));
              for (int n = 0; n < nn; ++n)
                v[n] += input_weight *
                        deviation_sum(ai, wps,
                                      deviations_.data() + ((static_cast<std::size_t>(gi) * 2 + side) * nn + n) * k_,
                                      s * config_.rows);
            }
          }
      if (!fused_adc && offsets) {
        const float* o = offsets + static_cast<std::size_t>(s) * 2 * elements;
        for (int e = 0; e < elements; ++e) {
          vpos[e] += o[e];
          vneg[e] += o[elements + e];
        }
      }
      if (!fused_adc && additive && !rare) {
        for (int side = 0; side < (any_negative ? 2 : 1); ++side) {
          float* v = side == 0 ? vpos : vneg;
          const float* mask = side == 0 ? mask_pos : mask_neg;
          const std::int32_t* ps = side == 0 ? pos : neg;
          const float* z = sc.normals.take(static_cast<std::size_t>(elements));
          if (physical) {
            // One sense of the side's s unit signals: s · σ_cell² + σ_sense² (no sense of its own
            // on the negative side of a pair sensed as one difference).
            const float* sense = sc.sense_variance[side].data();
#pragma omp simd
            for (int e = 0; e < elements; ++e)
              v[e] += std::sqrt(sense[e] + cell_variance * static_cast<float>(ps[e])) * z[e];
          } else if (sigma_prop > 0.0f) {
#pragma omp simd
            for (int e = 0; e < elements; ++e) {
              const float b = sigma_prop * static_cast<float>(ps[e]);
              v[e] += mask[e] * std::sqrt(sigma_add * sigma_add + b * b) * z[e];
            }
          } else {
#pragma omp simd
            for (int e = 0; e < elements; ++e) v[e] += mask[e] * sigma_add * z[e];
          }
        }
      }

      // ---- readout of every (group, output) of this block
      std::uint64_t skipped_ps = 0;  // PS a sparse ADC or MTJ skips: nothing to shift and add
      switch (r.kind) {
        case ReadoutKind::kIdeal:
        case ReadoutKind::kZebraLcu: {
          if (exact_ideal)
            for (int e = 0; e < elements; ++e) value[e] = static_cast<float>(pos[e]) - static_cast<float>(neg[e]);
          else
            for (int e = 0; e < elements; ++e) value[e] = vpos[e] - vneg[e];
          counters.ideal_reads += static_cast<std::uint64_t>(nn) * groups;
          break;
        }
        case ReadoutKind::kAdc: {
          const bool sparse = r.adc.sparse;
          AdcBlock b;
          b.pos = pos;
          b.neg = neg;
          b.vpos = vpos;
          b.vneg = vneg;
          if (fused_adc && offsets) {
            b.offset_pos = offsets + static_cast<std::size_t>(s) * 2 * elements;
            b.offset_neg = b.offset_pos + elements;
          }
          b.z = fused_z;
          b.mask = mask_pos;
          b.sigma = sigma_add;
          b.inv = adc_inverse_step_.data();
          b.step = adc_step_.data();
          b.lo = adc_min_code_.data();
          b.hi = adc_max_code_.data();
          b.valid = valid;
          b.sparse = sparse;
          b.value = value;
          b.elements = elements;
          AdcCounts n;
          if (level) {
            // Runs of groups with one table (level_sampling.hpp), in the order of the elements.
            const std::uint32_t* uniforms = sc.level_words.take(level_block_words);
            for (int g0 = 0; g0 < groups;) {
              const int t = level_table_of_group_[static_cast<std::size_t>(g0)];
              int g1 = g0 + 1;
              while (g1 < groups && level_table_of_group_[static_cast<std::size_t>(g1)] == t) ++g1;
              const level::Counts c = level::convert(level_tables_[static_cast<std::size_t>(t)],
                                                     {pos, valid, uniforms, g0 * np, g1 * np, sparse, value}, sc.words);
              n.clipped += c.clipped;
              n.zero += c.zero;
              g0 = g1;
            }
          } else {
            n = adc_convert(b, fused_adc);
          }
          zero = n.zero;
          counters.zero_partial_sums += static_cast<std::uint64_t>(zero);
          int clipped = n.clipped;
          if (rare) clipped += adc_rare_errors(pos, neg, vpos, vneg, value, sc);
          const int skipped = sparse ? zero : 0;
          skipped_ps = static_cast<std::uint64_t>(skipped);
          counters.clipped += static_cast<std::uint64_t>(clipped);
          counters.adc_skipped += static_cast<std::uint64_t>(skipped);
          counters.adc_conversions += static_cast<std::uint64_t>(nn) * groups - static_cast<std::uint64_t>(skipped);
          break;
        }
        case ReadoutKind::kStochasticMtj: {
          for (int gi = 0; gi < groups; ++gi)
            skipped_ps +=
                static_cast<std::uint64_t>(mtj_block(q, gi, s, exact_analog, active == 0, pos + gi * np, neg + gi * np,
                                                     vpos + gi * np, vneg + gi * np, value + gi * np, sc, counters));
          break;
        }
      }
      detail::shift_add(groups, np, shift_weights_.data(), bit_weight, acc,
                        [&](int gi, int n) { return static_cast<double>(value[gi * np + n]); });
      counters.shift_adds += static_cast<std::uint64_t>(nn) * groups - skipped_ps;
    }
    if (slopes.out != nullptr)
      write_slopes(
          slope_weighted, slope_total,
          slopes.out + static_cast<std::size_t>(s) * slopes.subarray_stride + static_cast<std::size_t>(row) * nn);
  }
  counters.noise_draws += sc.normals.drawn() - draws_before;
  const double correction = config_.signed_scheme == SignedScheme::kOffsetBinary
                                ? -static_cast<double>(std::int64_t{1} << (config_.weight_bits - 1)) * act_sum
                                : 0.0;
  for (int n = 0; n < nn; ++n) out[n] = acc[n] + correction;
}

}  // namespace cimmc::arch
