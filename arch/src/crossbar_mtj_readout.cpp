// The stochastic MTJ readout of one (input stream, column group, subarray) block
// (docs/architecture.md, 3.6): the number of switched samples of each output's converter from
// threshold tables, word records or the switching probability of the PS, decoded.
// GCC 12's AVX-512 intrinsics start from _mm512_undefined_*(), which -Wmaybe-uninitialized
// reports as a false positive once inlined.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop

#include <algorithm>
#include <cmath>
#include <cstring>
#include <type_traits>

#include "cimmc/arch/crossbar_layer.hpp"
#include "crossbar_scratch.hpp"

namespace cimmc::arch {

using circuit::ReadoutKind;

namespace {
// The entries map_base + (n + lane) · map_step of a per-map array, 16 lanes. map_step is 2 with a
// map per output (its unsigned and signed maps interleave): every other entry, by two loads and a
// shuffle (the second load stops at the last entry used); it is 0 otherwise: one entry for all.
// Lanes in `skipped` (a zero PS that a sparse readout skips) take map_base's.
[[gnu::target("avx512f"), gnu::always_inline]] inline __m512i map_entries(const std::int32_t* a, int map_base,
                                                                          int map_step, int n, __mmask16 skipped) {
  const __m512i first = _mm512_set1_epi32(a[map_base]);
  if (map_step == 0) return first;
  const std::int32_t* at = a + map_base + 2 * n;
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i e = _mm512_permutex2var_epi32(_mm512_loadu_si512(at), even, _mm512_maskz_loadu_epi32(0x7FFF, at + 16));
  return _mm512_mask_mov_epi32(e, skipped, first);
}

// The word-record readout of T = 4 samples per PS, 16 outputs at a time (AVX-512 with VPOPCNTDQ
// and BW, chosen at run time): the same reads as the scalar loop (the map's entry bounds, the
// PS's entry, the decoded value of K), the bounds by loads and a shuffle, the rest by gathers.
// Each output's word is compared, by its top 15 bits, with the top 15 bits of its four
// thresholds (one 64-bit entry); where they are equal the full thresholds decide, one output at a
// time (rare). Returns the outputs done, a multiple of 16; the rest take the scalar loop. Results
// equal the scalar loop's bit for bit (integer compares, the same stored floats).
[[gnu::target("avx512f,avx512bw,avx512vpopcntdq")]] int record_block_avx512(
    int nn, int map_base, int map_step, bool skip_zero, const std::int32_t* shift, const std::uint32_t* low,
    const std::uint32_t* high, const std::uint64_t* records, const std::uint32_t* full_thresholds,
    int decoded_entries_per_map, const std::int32_t* pos, const std::int32_t* neg, const std::uint32_t* word,
    float* value) {
  const auto* low_entries = reinterpret_cast<const std::int32_t*>(low);
  const auto* high_entries = reinterpret_cast<const std::int32_t*>(high);
  const auto* floats = reinterpret_cast<const float*>(records);
  const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const __m512i zero = _mm512_setzero_si512();
  const __m512i nibble_shift = _mm512_slli_epi32(_mm512_and_si512(lane, _mm512_set1_epi32(7)), 2);
  const __m512i decoded_entries = _mm512_set1_epi32(decoded_entries_per_map);
  int n = 0;
  for (; n + 16 <= nn; n += 16) {
    const __m512i p = _mm512_loadu_si512(pos + n), m = _mm512_loadu_si512(neg + n);
    const __mmask16 skipped = skip_zero ? _mm512_cmpeq_epi32_mask(_mm512_or_si512(p, m), zero) : __mmask16{0};
    const __m512i lo = map_entries(low_entries, map_base, map_step, n, skipped);
    const __m512i at = _mm512_min_epi32(
        _mm512_max_epi32(_mm512_add_epi32(_mm512_sub_epi32(p, m), map_entries(shift, map_base, map_step, n, skipped)),
                         lo),
        map_entries(high_entries, map_base, map_step, n, skipped));
    const __m512i top0 = _mm512_i32gather_epi64(_mm512_castsi512_si256(at), records, 8);
    const __m512i top1 = _mm512_i32gather_epi64(_mm512_extracti64x4_epi64(at, 1), records, 8);
    // Each output's top 15 bits in the four 16-bit fields of its 64-bit lane.
    const __m512i w = _mm512_loadu_si512(word + n);
    const __m512i w_top = _mm512_srli_epi32(w, 17);
    const __m512i w32 = _mm512_or_si512(w_top, _mm512_slli_epi32(w_top, 16));
    __m512i u0 = _mm512_cvtepu32_epi64(_mm512_castsi512_si256(w32));
    __m512i u1 = _mm512_cvtepu32_epi64(_mm512_extracti64x4_epi64(w32, 1));
    u0 = _mm512_or_si512(u0, _mm512_slli_epi64(u0, 32));
    u1 = _mm512_or_si512(u1, _mm512_slli_epi64(u1, 32));
    // Bit 4·o + j of `hits`: output o's word is at least its threshold j.
    std::uint64_t hits = static_cast<std::uint64_t>(_mm512_cmpgt_epu16_mask(u0, top0)) |
                         (static_cast<std::uint64_t>(_mm512_cmpgt_epu16_mask(u1, top1)) << 32);
    const std::uint64_t tied = static_cast<std::uint64_t>(_mm512_cmpeq_epi16_mask(u0, top0)) |
                               (static_cast<std::uint64_t>(_mm512_cmpeq_epi16_mask(u1, top1)) << 32);
    if (tied != 0) [[unlikely]] {
      alignas(64) std::int32_t entry[16];
      _mm512_store_si512(entry, at);
      for (std::uint64_t left = tied; left != 0; left &= left - 1) {
        const int b = __builtin_ctzll(left), o = b / 4, j = b % 4;
        const std::uint32_t full =
            full_thresholds[static_cast<std::size_t>(entry[o]) * 4 + static_cast<std::size_t>(j)];
        hits |= static_cast<std::uint64_t>(word[n + o] >= full ? 1 : 0) << b;
      }
    }
    const __m512i halves = _mm512_mask_blend_epi32(0xFF00, _mm512_set1_epi32(static_cast<int>(hits & 0xFFFFFFFFu)),
                                                   _mm512_set1_epi32(static_cast<int>(hits >> 32)));
    const __m512i k_of =
        _mm512_popcnt_epi32(_mm512_and_si512(_mm512_srlv_epi32(halves, nibble_shift), _mm512_set1_epi32(0xF)));
    // The decoded value of K: float K of the record's decoded values (the entries before `low`).
    const __m512i v = _mm512_add_epi32(_mm512_slli_epi32(_mm512_sub_epi32(lo, decoded_entries), 1), k_of);
    _mm512_storeu_ps(value + n, _mm512_i32gather_ps(v, floats, 4));
  }
  return n;
}
}  // namespace

int CrossbarLayer::mtj_block(int q, int gi, int s, bool exact_analog, bool idle, const std::int32_t* pos,
                             const std::int32_t* neg, const float* vpos, const float* vneg, float* value, Scratch& sc,
                             Counters& counters) const {
  const auto& r = config_.readout;
  const int groups = static_cast<int>(groups_.size()), nn = n_;
  const ColumnGroup& g = groups_[static_cast<std::size_t>(gi)];
  const int t = samples_[static_cast<std::size_t>(q * groups + gi)];
  const int sign = g.signed_readout ? 1 : 0;
  // Map of output n: (subarray, or subarray and output) · 2 + signed readout.
  const int map_base = map_of(s, q * groups + gi, 0) * 2 + sign, map_step = column_maps_ ? 2 : 0;
  const auto& table = mtj_tables_[static_cast<std::size_t>(table_index_[static_cast<std::size_t>(q * groups + gi)])];
  std::int32_t* k = sc.successes.data();
  std::int32_t* index = sc.index.data();  // map of each output
  for (int n = 0; n < nn; ++n) index[n] = map_base + n * map_step;
  bool decoded_here = false;  // value[] already holds the decoded K
  if (exact_analog && !table.thresholds.empty()) {
    const int ifs = static_cast<int>(full_scale()), levels = 2 * ifs + 1;
    const std::uint32_t* word = sc.words.take(static_cast<std::size_t>(nn));
    if (t < circuit::kBinomialAmbiguous) {
      // The word's top byte usually decides K alone; count thresholds only when it does not.
      for (int n = 0; n < nn; ++n) {
        const std::size_t row =
            static_cast<std::size_t>(index[n]) * levels + static_cast<std::size_t>(pos[n] - neg[n] + ifs);
        int kk = table.buckets[row * 256 + (word[n] >> 24)];
        if (kk == circuit::kBinomialAmbiguous) {
          const std::uint32_t* thr = table.thresholds.data() + row * t;
          kk = 0;
          for (int j = 0; j < t; ++j) kk += word[n] >= thr[j] ? 1 : 0;
        }
        k[n] = kk;
      }
    } else {
      for (int n = 0; n < nn; ++n) {
        const std::uint32_t* thr =
            table.thresholds.data() +
            (static_cast<std::size_t>(index[n]) * levels + static_cast<std::size_t>(pos[n] - neg[n] + ifs)) * t;
        int kk = 0;
        for (int j = 0; j < t; ++j) kk += word[n] >= thr[j] ? 1 : 0;
        k[n] = kk;
      }
    }
  } else if (exact_analog && !table.records.empty()) {
    // K from one word against the thresholds of its map's record entry. A PS that a sparse
    // readout with ideal detection skips (no bit-product) reads output 0's map instead, which is
    // in the cache: its value becomes an exact 0 below whatever K it gets.
    const std::uint32_t* word = sc.words.take(static_cast<std::size_t>(nn));
    const bool skip_zero = r.mtj.sparse && r.mtj.ideal_zero_detection;
    int done = 0;  // outputs read by the vector kernel
    if (t == 4 && isa_ == core::KernelIsa::kAvx512)
      done = record_block_avx512(nn, map_base, map_step, skip_zero, table.record_shift.data(), table.record_low.data(),
                                 table.record_high.data(), table.records.data(), table.record_thresholds.data(),
                                 table.record_decoded, pos, neg, word, value);
    const auto read = [&](auto samples) {
      for (int n = done; n < nn; ++n) {
        const int map = skip_zero && (pos[n] | neg[n]) == 0 ? map_base : map_base + n * map_step;
        const std::size_t entry = table.record_entry(map, pos[n] - neg[n]);
        value[n] = table.record_value(map, table.template record_k<decltype(samples)::value>(entry, word[n]));
      }
    };
    if (t == 4) read(std::integral_constant<int, 4>{});
    else read(std::integral_constant<int, 0>{});
    decoded_here = true;
  } else if (exact_analog) {
    // P per exact PS (tables too large): the thresholds of K from one word, as the tables hold them.
    const std::uint32_t* word = sc.words.take(static_cast<std::size_t>(nn));
    const std::span<std::uint32_t> thr{sc.thresholds.data(), static_cast<std::size_t>(t)};
    for (int n = 0; n < nn; ++n) {
      const auto m = static_cast<std::size_t>(index[n]);
      circuit::binomial_thresholds(t, map_probability(m, maps_[m].x_of(pos[n] - neg[n])), thr);
      k[n] = circuit::binomial_from_word(thr, word[n]);
    }
  } else {
    // P per analog PS (noise, cell deviations); T Bernoulli draws. The block's currents first,
    // then one call of the curve for all of them.
    const std::uint32_t* word = sc.words.take(static_cast<std::size_t>(nn) * t);
    double* current = sc.current.data();
    double* p = sc.probability.data();
    for (int n = 0; n < nn; ++n) {
      const auto m = static_cast<std::size_t>(index[n]);
      current[n] = map_current(m, maps_[m].x_of(static_cast<double>(vpos[n] - vneg[n])));
    }
    curve_->probabilities({current, static_cast<std::size_t>(nn)}, {p, static_cast<std::size_t>(nn)});
    for (int n = 0; n < nn; ++n) {
      const std::uint64_t limit = circuit::mtj_word_limit(p[n]);
      int kk = 0;
      for (int j = 0; j < t; ++j) kk += word[n * t + j] < limit ? 1 : 0;
      k[n] = kk;
    }
  }
  if (!decoded_here)
    for (int n = 0; n < nn; ++n) value[n] = table.decoded[static_cast<std::size_t>(index[n]) * (t + 1) + k[n]];
  for (int n = nn; n < n_pad_; ++n) value[n] = 0.0f;
  int skipped = 0;
  if (r.mtj.sparse)  // known zero: not sampled, an exact 0 (its words stay drawn: fixed streams)
    for (int n = 0; n < nn; ++n) {
      const bool zero = mtj_skips(idle, s, gi, n, pos[n], neg[n]);
      skipped += zero ? 1 : 0;
      value[n] = zero ? 0.0f : value[n];
    }
  const auto read = static_cast<std::uint64_t>(nn - skipped);
  counters.mtj_reads += read;
  counters.mtj_samples += read * static_cast<std::uint64_t>(t);
  counters.mtj_skipped += static_cast<std::uint64_t>(skipped);
  return skipped;
}

}  // namespace cimmc::arch
