// The ZEBRA LCU readout of one subarray (docs/architecture.md, 3.6): per group of G rows the
// bit-product count, sensed with offset and noise to one of L levels, summed digitally.
#include <fmt/format.h>
// GCC 12's AVX-512 intrinsics start from _mm512_undefined_*(), which -Wmaybe-uninitialized
// reports as a false positive once inlined.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstring>
#include <type_traits>

#include "cimmc/arch/crossbar_layer.hpp"
#include "crossbar_scratch.hpp"
#include "rare_event.hpp"
#include "shift_add.hpp"

namespace cimmc::arch {

using circuit::ReadoutKind;

namespace {
// Counts the nonzero G-row groups (G = 16, 32 or 64: a lane of G bits) of a & (plane 0 | plane 1)
// over outputs n < np (a multiple of 8; padding outputs have no weights), a native vector of
// outputs at a time (GCC vectors of 64, 32 or 16 bytes as the build targets AVX-512, AVX2 or SSE2;
// a wider GCC vector than the build's registers is lowered through memory, several times
// slower). Counted in bytes without popcounts: each step adds 1 to the lowest byte of every
// nonzero group that lies inside the subarray (word_low), found by one compare with zero per
// lane; a byte gains at most 1 per step, so the bytes are summed out before they can overflow.
// Groups of G <= 8 rows use the layer's sense-count table instead.
#if defined(__AVX512F__)
constexpr int kSenseVectorBytes = 64;
#elif defined(__AVX2__)
constexpr int kSenseVectorBytes = 32;
#else
constexpr int kSenseVectorBytes = 16;
#endif
constexpr int kSenseLanes = kSenseVectorBytes / 8;  // outputs (64-bit words) per vector
static_assert(8 % kSenseLanes == 0, "n_pad, a multiple of 8, must be whole vectors");
using U64v = std::uint64_t __attribute__((vector_size(kSenseVectorBytes)));
// The lanes of a G-row group (explicit types: GCC ignores vector_size on a dependent type).
using U16v = std::uint16_t __attribute__((vector_size(kSenseVectorBytes)));
using U32v = std::uint32_t __attribute__((vector_size(kSenseVectorBytes)));
template <int G>
using GroupLanes = std::conditional_t<G == 16, U16v, std::conditional_t<G == 32, U32v, U64v>>;
template <int G>
struct SenseCounter {
  static_assert(G == 16 || G == 32 || G == 64);
  static constexpr std::uint64_t kEven = 0x00FF00FF00FF00FFull;
  static constexpr int kSteps = 255;
  U64v bytes = {};
  int steps = 0;
  std::int64_t total = 0;

  void add(std::uint64_t aw, const std::uint64_t* p0, const std::uint64_t* p1, std::uint64_t second,
           std::uint64_t word_low, int np) {
    for (int n = 0; n < np; n += kSenseLanes) {
      if (steps == kSteps) flush();
      U64v w0, w1;
      std::memcpy(&w0, p0 + n, sizeof w0);
      std::memcpy(&w1, p1 + n, sizeof w1);
      const U64v y = aw & (w0 | (w1 & second));
      bytes += reinterpret_cast<U64v>(reinterpret_cast<GroupLanes<G>>(y) != 0) & word_low;
      ++steps;
    }
  }
  void flush() {
    const U64v pairs = (bytes & kEven) + ((bytes >> 8) & kEven);  // 16-bit sums
    for (int l = 0; l < kSenseLanes; ++l) total += static_cast<std::int64_t>((pairs[l] * 0x0001000100010001ull) >> 48);
    bytes = U64v{};
    steps = 0;
  }
  std::int64_t finish() {
    flush();
    return total;
  }
};
}  // namespace

void CrossbarLayer::prepare_lcu_sense_table() {
  lcu_sense_table_.clear();
  const int grows = config_.readout.lcu.group_rows;
  if (config_.readout.kind != ReadoutKind::kZebraLcu || grows > 8) return;
  const int wps = geometry_.words_per_subarray;
  lcu_sense_table_.assign(static_cast<std::size_t>(geometry_.subarrays) * wps * 8 * 256, 0);
  std::array<std::array<std::int64_t, 256>, 8> subsets{};  // [byte][u]
  for (int word = 0; word < geometry_.subarrays * wps; ++word) {
    // How many (side, output) have each value u of each byte of their planes' OR ...
    for (auto& h : subsets) h.fill(0);
    std::int64_t sides = 0;
    for (const ColumnGroup& g : groups_)
      for (const auto* planes : {&g.positive, &g.negative}) {
        if (planes->empty()) continue;
        for (int n = 0; n < n_; ++n) {
          std::uint64_t u = 0;
          for (const auto& pl : *planes) u |= planes_[plane_index(pl.plane, word, n)];
          for (int byte = 0; byte < 8; ++byte) ++subsets[static_cast<std::size_t>(byte)][(u >> (8 * byte)) & 0xFF];
          ++sides;
        }
      }
    for (int byte = 0; byte < 8; ++byte) {
      auto& z = subsets[static_cast<std::size_t>(byte)];
      // ... then how many have u ⊆ m, for every m (the subset sums over the 8 bits).
      for (int bit = 0; bit < 8; ++bit)
        for (int m = 0; m < 256; ++m)
          if ((m >> bit) & 1) z[static_cast<std::size_t>(m)] += z[static_cast<std::size_t>(m ^ (1 << bit))];
      // A group of bits gm of u & α is nonzero unless u ⊆ ~(α & gm).
      std::int32_t* table = lcu_sense_table_.data() + (static_cast<std::size_t>(word) * 8 + byte) * 256;
      for (unsigned alpha = 0; alpha < 256; ++alpha) {
        std::int64_t nonzero = 0;
        for (int first = 0; first < 8; first += grows) {
          const unsigned gm = ((1u << grows) - 1) << first;
          nonzero += sides - z[~(alpha & gm) & 0xFFu];
        }
        table[alpha] = static_cast<std::int32_t>(nonzero);
      }
    }
  }
}

void CrossbarLayer::run_lcu_block(const std::uint64_t* a, int s, double bit_weight, const float* offsets,
                                  const std::int32_t* pos, const std::int32_t* neg, double* acc, Scratch& sc,
                                  Counters& counters) const {
  const auto& r = config_.readout;
  const auto& noise = config_.noise;
  const int groups = static_cast<int>(groups_.size());
  const int wps = geometry_.words_per_subarray, np = n_pad_, nn = n_;
  const int elements = groups * np;
  // Rare-event sampling: no normals; the noise-free level of each sense, then the errors of the
  // candidate senses (every sense of the row is numbered in the order the path below visits it).
  const bool rare = sc.rare;
  const bool additive = noise.has_additive() && !rare;
  const int grows = r.lcu.group_rows;
  const std::uint64_t gmask = grows == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << grows) - 1;
  const int rows_here = geometry_.rows_in(s);
  const float gfs = static_cast<float>(grows * config_.max_cell_value());
  const float sigma_add = static_cast<float>(noise.sigma_fraction) * gfs;
  const float sigma_prop = static_cast<float>(noise.proportional_fraction);
  const bool physical = noise.physical();
  const float cell_variance = static_cast<float>(noise.cell_sigma_lsb * noise.cell_sigma_lsb);
  const float sense_variance = static_cast<float>(noise.sense_sigma_lsb * noise.sense_sigma_lsb);
  // Offsets of one side's sense amplifiers: [group · n_pad + n][slot], slot = word · 64 / G + group in word.
  const int slots = lcu_slots(geometry_, config_), slots_per_word = 64 / grows;
  auto side_offsets = [&](int side, int gi) {
    return offsets
               ? offsets +
                     ((static_cast<std::size_t>(s) * 2 + side) * elements + static_cast<std::size_t>(gi) * np) * slots
               : nullptr;
  };
  const float inv = lcu_sense_.inverse_step, step = lcu_sense_.step;
  const float max_level = static_cast<float>(lcu_sense_.max_level);
  // Rare-event sampling: the change of the sensed value (and of the clipped count) when the
  // candidate sense of noise-free analog value v and noise σ errs.
  const double step_d = static_cast<double>(step);
  auto rare_error = [&](float v, float sigma, Scratch& scr, Counters& cnt) -> float {
    const float level0 = std::nearbyint(v * inv);
    const int level = rare::candidate_level(static_cast<double>(v), static_cast<double>(sigma), step_d,
                                            static_cast<int>(level0), 0, lcu_sense_.max_level, scr.gaps.p, scr.words);
    if (level == static_cast<int>(level0)) return 0.0f;
    const float now = static_cast<float>(level);
    const bool was_out = level0 < 0.0f || level0 > max_level, is_out = now < 0.0f || now > max_level;
    if (is_out && !was_out) ++cnt.clipped;
    if (was_out && !is_out) --cnt.clipped;
    return (std::clamp(now, 0.0f, max_level) - std::clamp(level0, 0.0f, max_level)) * step;
  };
  // Rare-event sampling with integer levels (step 1, every count a level of its own, no offsets or
  // cell deviations): the noise-free level of a group sense is its count, so a column's
  // noise-free sum is its PS. Only the senses are counted, a word at a time (for the counters and
  // to place the candidates), and the candidates' counts computed. Senses are numbered in the
  // order (group, side, word, output, G-row group) on every build.
  if (rare && !offsets && deviations_.empty() && step == 1.0f &&
      lcu_sense_.max_level >= grows * config_.max_cell_value()) {
    std::uint64_t low = 0;  // the lowest bit of every G-row group of a word
    for (int b = 0; b < 64; b += grows) low |= std::uint64_t{1} << b;
    // Per word: its G-row groups inside the subarray and their lowest bits.
    auto groups_in_word = [&](int w) __attribute__((always_inline)) {
      return std::min(64, rows_here - w * 64 + grows - 1) / grows;
    };
    auto word_low = [&](int w) __attribute__((always_inline)) {
      const int bits = groups_in_word(w) * grows;
      return bits >= 64 ? low : low & ((std::uint64_t{1} << bits) - 1);
    };
    // Every (group, side, word): its plane(s) and the mask that adds the second plane.
    struct Planes {
      const std::uint64_t *p0, *p1;
      std::uint64_t second;
    };
    auto planes_of = [&](const std::vector<ColumnGroup::Plane>& planes, int w) __attribute__((always_inline)) {
      const std::uint64_t* p0 = &planes_[plane_index(planes[0].plane, s * wps + w, 0)];
      return planes.size() > 1 ? Planes{p0, &planes_[plane_index(planes[1].plane, s * wps + w, 0)], ~std::uint64_t{0}}
                               : Planes{p0, p0, 0};
    };
    // Pass 1: the block's senses, and the groups it skips.
    std::int64_t senses = 0, slots_read = 0;
    int sides = 0;
    for (const ColumnGroup& g : groups_) sides += (g.positive.empty() ? 0 : 1) + (g.negative.empty() ? 0 : 1);
    auto count_all = [&]<int G>() {
      SenseCounter<G> counter;
      for (int gi = 0; gi < groups; ++gi)
        for (int side = 0; side < 2; ++side) {
          const auto& planes = side == 0 ? groups_[static_cast<std::size_t>(gi)].positive
                                         : groups_[static_cast<std::size_t>(gi)].negative;
          if (planes.empty()) continue;
          for (int w = 0; w < wps; ++w) {
            if (groups_in_word(w) <= 0) continue;
            const Planes pl = planes_of(planes, w);
            counter.add(a[w], pl.p0, pl.p1, pl.second, word_low(w), np);
            slots_read += static_cast<std::int64_t>(groups_in_word(w)) * nn;
          }
        }
      return counter.finish();
    };
    if (!lcu_sense_table_.empty()) {  // G <= 8: 8 table lookups per activation word
      const std::int32_t* table = lcu_sense_table_.data() + static_cast<std::size_t>(s) * wps * 8 * 256;
      for (int w = 0; w < wps; ++w) {
        const int in_word = groups_in_word(w);
        if (in_word <= 0) continue;
        slots_read += static_cast<std::int64_t>(in_word) * nn * sides;
        const std::int32_t* t = table + static_cast<std::ptrdiff_t>(w) * 8 * 256;
        const std::uint64_t x = a[w];
        for (int byte = 0; byte < 8; ++byte) senses += t[byte * 256 + static_cast<int>((x >> (8 * byte)) & 0xFF)];
      }
    } else {
      switch (grows) {
        case 16: senses = count_all.template operator()<16>(); break;
        case 32: senses = count_all.template operator()<32>(); break;
        default: senses = count_all.template operator()<64>(); break;
      }
    }
    counters.lcu_senses += static_cast<std::uint64_t>(senses);
    counters.lcu_skipped += static_cast<std::uint64_t>(slots_read - senses);
    // Pass 2, only when a candidate falls in this block: the senses in order, and the erring ones.
    rare::Gaps& gaps = sc.gaps;
    const bool errors = gaps.next < gaps.index + static_cast<std::uint64_t>(senses);
    float* change = sc.vpos.data();  // [group · n_pad + n]: what the erring senses change
    if (errors) {
      std::fill(change, change + elements, 0.0f);
      for (int gi = 0; gi < groups; ++gi)
        for (int side = 0; side < 2; ++side) {
          const auto& planes = side == 0 ? groups_[static_cast<std::size_t>(gi)].positive
                                         : groups_[static_cast<std::size_t>(gi)].negative;
          if (planes.empty()) continue;
          const float sign = side == 0 ? 1.0f : -1.0f;
          for (int w = 0; w < wps; ++w) {
            if (groups_in_word(w) <= 0) continue;
            const Planes pl = planes_of(planes, w);
            const std::uint64_t aw = a[w], wl = word_low(w);
            for (int n = 0; n < nn; ++n) {
              const std::uint64_t x0 = aw & pl.p0[n], x1 = aw & pl.p1[n] & pl.second;
              std::uint64_t nonzero = x0 | x1;
              for (int sh = 1; sh < grows; sh <<= 1) nonzero |= nonzero >> sh;
              nonzero &= wl;
              const auto h = static_cast<std::uint64_t>(std::popcount(nonzero));
              while (gaps.next < gaps.index + h) {
                std::uint64_t y = nonzero;
                for (std::uint64_t j = gaps.next - gaps.index; j > 0; --j) y &= y - 1;
                const int bit = std::countr_zero(y);
                const int count = planes[0].cell_weight * std::popcount((x0 >> bit) & gmask) +
                                  (planes.size() > 1 ? planes[1].cell_weight * std::popcount((x1 >> bit) & gmask) : 0);
                change[gi * np + n] +=
                    sign * rare_error(static_cast<float>(count), rare::lcu_sigma(noise, static_cast<float>(count), gfs),
                                      sc, counters);
                gaps.advance(sc.words);
              }
              gaps.index += h;
            }
          }
        }
    } else {
      gaps.index += static_cast<std::uint64_t>(senses);
    }
    // The noise-free sums are the PS; shift-add them with the errors' changes. Without errors the
    // sum is exact in double: |PS| < 2^24 per group and the shift weights are integers of at most
    // 2^7, so every product and partial sum is an integer below 2^53 (the same sum 64-bit integers
    // give, and double vectorizes where 64-bit integer multiplies do not below AVX-512).
    const double* shift = shift_weights_.data();
    if (errors)
      detail::shift_add(groups, np, shift, bit_weight, acc, [&](int gi, int n) {
        return static_cast<double>(pos[gi * np + n] - neg[gi * np + n]) + static_cast<double>(change[gi * np + n]);
      });
    else
      detail::shift_add(groups, np, shift, bit_weight, acc,
                        [&](int gi, int n) { return static_cast<double>(pos[gi * np + n] - neg[gi * np + n]); });
    counters.shift_adds += static_cast<std::uint64_t>(nn) * groups;
    return;
  }
#if defined(__AVX512BITALG__) && defined(__AVX512BW__)
  // Groups of 8 rows are the bytes of a word: one byte popcount gives the bit-product counts of
  // 8 groups × 8 outputs, and only the nonzero groups are sensed (in byte order per word).
  if (grows == 8 && deviations_.empty()) {
    float* side_value = sc.vpos.data();  // [n_pad], reused per (group, side)
    alignas(64) std::uint8_t counts[64];
    for (int gi = 0; gi < groups; ++gi) {
      const ColumnGroup& g = groups_[static_cast<std::size_t>(gi)];
      const double mult = static_cast<double>(g.shift_weight) * bit_weight;
      std::fill(sc.value.begin(), sc.value.begin() + np, 0.0f);
      for (int side = 0; side < 2; ++side) {
        const auto& planes = side == 0 ? g.positive : g.negative;
        if (planes.empty()) continue;
        std::fill(side_value, side_value + np, 0.0f);
        std::fill(sc.lane_sums.begin(), sc.lane_sums.end(), 0.0f);
        const float* off = side_offsets(side, gi);
        for (int w = 0; w < wps; ++w) {
          const int groups_in_word = std::min(64, rows_here - w * 64 + 7) / 8;
          if (groups_in_word <= 0) continue;
          const std::uint64_t group_bytes = groups_in_word >= 8 ? 0xFFu : (1u << groups_in_word) - 1;
          const __m512i abits = _mm512_set1_epi64(static_cast<long long>(a[w]));
          const std::int32_t* side_ps = (side == 0 ? pos : neg) + static_cast<std::ptrdiff_t>(gi) * np;
          for (int nb = 0; nb < np; nb += 8) {
            // Bytes of outputs n < N and groups inside the subarray.
            std::uint64_t real = 0;
            bool any_ps = false;
            for (int t = 0; t < 8 && nb + t < nn; ++t) {
              real |= group_bytes << (8 * t);
              any_ps = any_ps || side_ps[nb + t] != 0;
            }
            if (!any_ps) {  // every bit-product of these columns is zero: all groups skipped
              counters.lcu_skipped += static_cast<std::uint64_t>(std::popcount(real));
              continue;
            }
            const __m512i x0 =
                _mm512_and_si512(abits, _mm512_loadu_si512(&planes_[plane_index(planes[0].plane, s * wps + w, nb)]));
            __m512i c = _mm512_popcnt_epi8(x0);
            __m512i any = x0;
            if (planes.size() > 1) {
              const __m512i x1 =
                  _mm512_and_si512(abits, _mm512_loadu_si512(&planes_[plane_index(planes[1].plane, s * wps + w, nb)]));
              const __m512i c1 = _mm512_popcnt_epi8(x1);
              c = planes[0].cell_weight == 1 ? _mm512_add_epi8(c, _mm512_add_epi8(c1, c1))
                                             : _mm512_add_epi8(_mm512_add_epi8(c, c), c1);
              any = _mm512_or_si512(any, x1);
            }
            const std::uint64_t nonzero = _mm512_test_epi8_mask(any, any) & real;
            const int senses = std::popcount(nonzero);
            counters.lcu_senses += static_cast<std::uint64_t>(senses);
            counters.lcu_skipped += static_cast<std::uint64_t>(std::popcount(real) - senses);
            if (senses == 0) continue;
            _mm512_store_si512(counts, c);
            const float* z = additive ? sc.normals.take(static_cast<std::size_t>(senses)) : nullptr;
            // Sixteen groups (two outputs) at a time; normals are expanded into the nonzero lanes.
            for (int chunk = 0; chunk < 4; ++chunk) {
              const auto lanes = static_cast<__mmask16>(nonzero >> (16 * chunk));
              if (lanes == 0) continue;
              const int n0 = nb + 2 * chunk;
              const __m512 count = _mm512_cvtepi32_ps(
                  _mm512_cvtepu8_epi32(_mm_load_si128(reinterpret_cast<const __m128i*>(counts + 16 * chunk))));
              __m512 v = count;
              if (off) {  // the amplifiers of groups w·8 .. w·8 + 7 of outputs n0 and n0 + 1
                const float* o = off + static_cast<std::ptrdiff_t>(n0) * slots + w * 8;
                v = _mm512_add_ps(
                    v, _mm512_insertf32x8(_mm512_castps256_ps512(_mm256_loadu_ps(o)), _mm256_loadu_ps(o + slots), 1));
              }
              if (additive) {
                const __m512 zz = _mm512_maskz_expandloadu_ps(lanes, z);
                z += std::popcount(static_cast<unsigned>(lanes));
                __m512 sd = _mm512_set1_ps(sigma_add);
                if (physical) {
                  sd = _mm512_sqrt_ps(
                      _mm512_fmadd_ps(count, _mm512_set1_ps(cell_variance), _mm512_set1_ps(sense_variance)));
                } else if (sigma_prop > 0.0f) {
                  const __m512 bp = _mm512_mul_ps(_mm512_set1_ps(sigma_prop), count);
                  sd = _mm512_sqrt_ps(_mm512_fmadd_ps(bp, bp, _mm512_mul_ps(sd, sd)));
                }
                v = _mm512_fmadd_ps(sd, zz, v);
              }
              const __m512 level = _mm512_roundscale_ps(_mm512_mul_ps(v, _mm512_set1_ps(inv)),
                                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
              const __mmask16 outside = _mm512_cmp_ps_mask(level, _mm512_setzero_ps(), _CMP_LT_OQ) |
                                        _mm512_cmp_ps_mask(level, _mm512_set1_ps(max_level), _CMP_GT_OQ);
              counters.clipped += static_cast<std::uint64_t>(std::popcount(static_cast<unsigned>(outside & lanes)));
              const __m512 sensed = _mm512_maskz_mul_ps(
                  lanes, _mm512_min_ps(_mm512_max_ps(level, _mm512_setzero_ps()), _mm512_set1_ps(max_level)),
                  _mm512_set1_ps(step));
              // Lanes 0-7 belong to output n0, 8-15 to n0 + 1: summed once per column below.
              float* lane_sum = sc.lane_sums.data() + static_cast<std::ptrdiff_t>(n0) * 8;
              _mm512_storeu_ps(lane_sum, _mm512_add_ps(_mm512_loadu_ps(lane_sum), sensed));
              if (rare) {
                const auto senses_here = static_cast<std::uint64_t>(std::popcount(static_cast<unsigned>(lanes)));
                rare::Gaps& gaps = sc.gaps;
                while (gaps.next < gaps.index + senses_here) {
                  // The (next − index)-th nonzero lane of this chunk.
                  unsigned rest = lanes;
                  for (std::uint64_t j = gaps.next - gaps.index; j > 0; --j) rest &= rest - 1;
                  const int lane = std::countr_zero(rest);
                  const float c1 = static_cast<float>(counts[16 * chunk + lane]);
                  const float v1 =
                      off ? c1 + off[static_cast<std::ptrdiff_t>(n0 + lane / 8) * slots + w * 8 + lane % 8] : c1;
                  lane_sum[lane] += rare_error(v1, rare::lcu_sigma(noise, c1, gfs), sc, counters);
                  gaps.advance(sc.words);
                }
                gaps.index += senses_here;
              }
            }
          }
        }
        for (int n = 0; n < nn; ++n)
          for (int l = 0; l < 8; ++l) side_value[n] += sc.lane_sums[static_cast<std::size_t>(n) * 8 + l];
        for (int n = 0; n < nn; ++n)
          sc.value[static_cast<std::size_t>(n)] += side == 0 ? side_value[n] : -side_value[n];
      }
      for (int n = 0; n < nn; ++n) acc[n] += static_cast<double>(sc.value[static_cast<std::size_t>(n)]) * mult;
    }
    counters.shift_adds += static_cast<std::uint64_t>(nn) * groups;
    return;
  }
#endif
  for (int gi = 0; gi < groups; ++gi) {
    const ColumnGroup& g = groups_[static_cast<std::size_t>(gi)];
    const double mult = static_cast<double>(g.shift_weight) * bit_weight;
    for (int n = 0; n < nn; ++n) {
      float value = 0.0f;
      for (int side = 0; side < 2; ++side) {
        const auto& planes = side == 0 ? g.positive : g.negative;
        if (planes.empty()) continue;
        const float* off = side_offsets(side, gi);
        if (off) off += static_cast<std::ptrdiff_t>(n) * slots;
        const float* dev = deviations_.empty()
                               ? nullptr
                               : deviations_.data() + ((static_cast<std::size_t>(gi) * 2 + side) * nn + n) * k_;
        float side_value = 0.0f;
        for (int w = 0; w < wps; ++w) {
          std::uint64_t x[2] = {0, 0};
          for (std::size_t p = 0; p < planes.size(); ++p)
            x[p] = a[w] & planes_[plane_index(planes[p].plane, s * wps + w, n)];
          const int first_row = w * 64;
          const int groups_in_word = std::min(64, rows_here - first_row + grows - 1) / grows;
          if (groups_in_word <= 0) continue;
          if ((x[0] | x[1]) == 0) {
            counters.lcu_skipped += static_cast<std::uint64_t>(groups_in_word);
            continue;
          }
          for (int q = 0; q < groups_in_word; ++q) {
            int count = 0;
            std::uint64_t any = 0;
            for (std::size_t p = 0; p < planes.size(); ++p) {
              const std::uint64_t bitsq = (x[p] >> (q * grows)) & gmask;
              any |= bitsq;
              count += planes[p].cell_weight * std::popcount(bitsq);
            }
            if (any == 0) {
              ++counters.lcu_skipped;
              continue;
            }
            ++counters.lcu_senses;
            float v = static_cast<float>(count) + (off ? off[w * slots_per_word + q] : 0.0f);
            if (dev) {
              std::uint64_t y = (a[w] >> (q * grows)) & gmask;  // cells on driven rows
              while (y) {
                const int b = std::countr_zero(y);
                v += dev[s * config_.rows + first_row + q * grows + b];
                y &= y - 1;
              }
            }
            if (rare && sc.gaps.index++ == sc.gaps.next) {
              float level = std::nearbyint(v * inv);
              if (level < 0.0f || level > max_level) ++counters.clipped;
              side_value += std::clamp(level, 0.0f, max_level) * step +
                            rare_error(v, rare::lcu_sigma(noise, static_cast<float>(count), gfs), sc, counters);
              sc.gaps.advance(sc.words);
              continue;
            }
            if (additive) {
              const float b = sigma_prop * static_cast<float>(count);
              const float sd = physical ? std::sqrt(sense_variance + cell_variance * static_cast<float>(count))
                               : sigma_prop > 0.0f ? std::sqrt(sigma_add * sigma_add + b * b)
                                                   : sigma_add;
              v += sd * *sc.normals.take(1);
            }
            float level = std::nearbyint(v * inv);
            if (level < 0.0f || level > max_level) ++counters.clipped;
            side_value += std::clamp(level, 0.0f, max_level) * step;
          }
        }
        value += side == 0 ? side_value : -side_value;
      }
      acc[n] += static_cast<double>(value) * mult;
    }
  }
  counters.shift_adds += static_cast<std::uint64_t>(nn) * groups;
}

}  // namespace cimmc::arch
