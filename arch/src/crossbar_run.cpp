// The per-row pass of the crossbar engine: exact PS by AND + popcount, noise and readout in the
// same pass, shift-add. Split from crossbar_layer.cpp (mapping and calibration).
#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cmath>

#include "cimmc/arch/crossbar_layer.hpp"
#include "cimmc/circuit/fast_normal.hpp"
#include "cimmc/core/error.hpp"
#include "cimmc/core/parallel.hpp"
#include "cimmc/core/rng.hpp"

namespace cimmc::arch {

using circuit::ReadoutKind;

struct CrossbarLayer::Scratch {
  std::vector<std::uint64_t> act;
  std::vector<std::int32_t> tmp, pos, neg;
  std::vector<float> vpos, vneg;
  std::vector<double> acc;
  circuit::NormalBuffer normals{4096};
  circuit::WordBuffer words{4096};
};

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
}  // namespace

void CrossbarLayer::run(std::span<const std::uint8_t> activations, int m, const RunAddress& address,
                        std::uint64_t seed, std::span<double> out, Counters& counters) const {
  if (m < 0 || activations.size() != static_cast<std::size_t>(m) * static_cast<std::size_t>(k_))
    throw ArgumentError(fmt::format("crossbar layer {}: {} activations for M = {} × K = {}", layer_id_,
                                    activations.size(), m, k_));
  if (out.size() != static_cast<std::size_t>(m) * static_cast<std::size_t>(n_))
    throw ArgumentError(fmt::format("crossbar layer {}: output has {} values, expected M × N = {} × {}", layer_id_,
                                    out.size(), m, n_));
  if (address.rows_per_image < 1 || address.rows_per_image - 1 > kMaxPatch)
    throw ArgumentError(fmt::format("crossbar layer {}: rows_per_image = {} not in [1, {}]", layer_id_,
                                    address.rows_per_image, kMaxPatch + 1));
  if (m > 0) (void)row_stream_element(address.layer, address.first_image + (m - 1) / address.rows_per_image, 0);
  const int bits = config_.input_bits;
  const std::uint8_t limit = static_cast<std::uint8_t>((1u << bits) - 1);
  for (std::size_t i = 0; i < activations.size(); ++i)
    if (activations[i] > limit)
      throw ArgumentError(fmt::format("crossbar layer {}: activation [{}, {}] = {} does not fit in {} input bits",
                                      layer_id_, i / static_cast<std::size_t>(k_), i % static_cast<std::size_t>(k_),
                                      activations[i], bits));

  const int groups = static_cast<int>(groups_.size());
  const int subarrays = geometry_.subarrays;
  const bool lcu = config_.readout.kind == ReadoutKind::kZebraLcu;
  // Sense-amplifier offsets, one per physical column, fixed for the trial.
  std::vector<float> offsets;
  if (config_.noise.offset_fraction > 0.0) {
    offsets.resize(static_cast<std::size_t>(groups) * 2 * subarrays * n_pad_);
    rng::Stream stream(seed, {rng::Purpose::kSenseOffset, address.point, address.trial, address.layer});
    stream.fill_normal(std::span<float>(offsets));
    const double fs = lcu ? static_cast<double>(config_.readout.lcu.group_rows) * config_.max_cell_value()
                          : full_scale();
    const float scale = static_cast<float>(config_.noise.offset_fraction * fs);
    for (float& o : offsets) o *= scale;
  }

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

  const int words = geometry_.words();
  ExceptionCapture capture;
#pragma omp parallel
  {
    Scratch sc;
    Counters local;
    local.input_bit_ones.assign(static_cast<std::size_t>(bits), 0);
    capture.run([&] {
      sc.act.resize(static_cast<std::size_t>(bits) * words);
      for (auto* v : {&sc.tmp, &sc.pos, &sc.neg}) v->assign(static_cast<std::size_t>(n_pad_), 0);
      sc.vpos.assign(static_cast<std::size_t>(n_pad_), 0.0f);
      sc.vneg.assign(static_cast<std::size_t>(n_pad_), 0.0f);
      sc.acc.assign(static_cast<std::size_t>(n_pad_), 0.0);
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
            local.input_bit_ones[static_cast<std::size_t>(i)] += std::popcount(sc.act[static_cast<std::size_t>(i) * words + w]);
        const std::uint64_t image = address.first_image + static_cast<std::uint64_t>(row) / address.rows_per_image;
        const std::uint32_t patch = static_cast<std::uint32_t>(row) % address.rows_per_image;
        run_row(sc.act.data(), sum, row_stream_element(address.layer, image, patch), seed, address,
                offsets.empty() ? nullptr : offsets.data(), out.data() + static_cast<std::size_t>(row) * n_, sc,
                local);
      });
    }
#pragma omp critical(cimmc_crossbar_counters)
    total.merge(local);
  }
  capture.rethrow();
  counters.merge(total);
}

void CrossbarLayer::run_row(const std::uint64_t* act, std::int64_t act_sum, std::uint64_t element,
                            std::uint64_t seed, const RunAddress& address, const float* offsets, double* out,
                            Scratch& sc, Counters& counters) const {
  const auto& r = config_.readout;
  const auto& noise = config_.noise;
  const int groups = static_cast<int>(groups_.size());
  const int subarrays = geometry_.subarrays, wps = geometry_.words_per_subarray, words = geometry_.words();
  const int bits = config_.input_bits, np = n_pad_, nn = n_;
  const AndPopcountFn popc = and_popcount_function(isa_);
  const bool additive = noise.has_additive();
  const bool lcu = r.kind == ReadoutKind::kZebraLcu;
  const bool mtj = r.kind == ReadoutKind::kStochasticMtj;
  const bool exact_analog = !noise.any() && deviations_.empty();
  const float fs = static_cast<float>(full_scale());
  const float sigma_add = static_cast<float>(noise.sigma_fraction) * fs;
  const float sigma_prop = static_cast<float>(noise.proportional_fraction);
  if (additive)
    sc.normals.reset(rng::Stream(seed, {lcu ? rng::Purpose::kLcuNoise : rng::Purpose::kPartialSumNoise,
                                        address.point, address.trial, element}));
  if (mtj) sc.words.reset(rng::Stream(seed, {rng::Purpose::kMtjSampling, address.point, address.trial, element}));
  double* acc = sc.acc.data();
  std::fill(acc, acc + np, 0.0);
  std::int32_t* pos = sc.pos.data();
  std::int32_t* neg = sc.neg.data();
  float* vpos = sc.vpos.data();
  float* vneg = sc.vneg.data();
  const std::uint64_t draws_before = sc.normals.drawn();

  for (int s = 0; s < subarrays; ++s) {
    for (int i = 0; i < bits; ++i) {
      const std::uint64_t* a = act + static_cast<std::size_t>(i) * words + s * wps;
      int active = 0;
      for (int w = 0; w < wps; ++w) active += std::popcount(a[w]);
      ++counters.array_reads;
      counters.active_rows += static_cast<std::uint64_t>(active);
      for (int gi = 0; gi < groups; ++gi) {
        const ColumnGroup& g = groups_[static_cast<std::size_t>(gi)];
        const double mult = static_cast<double>(g.shift_weight) * static_cast<double>(1 << i);
        const bool two_sided = !g.negative.empty();
        auto side_ps = [&](const std::vector<ColumnGroup::Plane>& side, std::int32_t* ps) {
          std::fill(ps, ps + np, 0);
          for (const auto& pl : side) {
            popc(a, planes_.data() + (static_cast<std::size_t>(pl.plane) * words + s * wps) * np, wps, np,
                 sc.tmp.data());
            for (int n = 0; n < np; ++n) ps[n] += pl.cell_weight * sc.tmp[n];
          }
        };
        side_ps(g.positive, pos);
        if (two_sided) side_ps(g.negative, neg);
        else std::fill(neg, neg + np, 0);
        const int sides = (g.positive.empty() ? 0 : 1) + (two_sided ? 1 : 0);
        counters.column_reads += static_cast<std::uint64_t>(nn) * sides;
        counters.partial_sums += static_cast<std::uint64_t>(nn);
        int zero = 0;
        for (int n = 0; n < nn; ++n) zero += (pos[n] | neg[n]) == 0;
        counters.zero_partial_sums += static_cast<std::uint64_t>(zero);

        if (lcu) {
          // ---- ZEBRA LCU: groups of G rows sensed one by one, all-zero groups skipped.
          const int grows = r.lcu.group_rows;
          const std::uint64_t gmask = grows == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << grows) - 1;
          const int rows_here = geometry_.rows_in(s);
          const float gfs = static_cast<float>(grows * config_.max_cell_value());
          for (int n = 0; n < nn; ++n) {
            float value = 0.0f;
            for (int side = 0; side < 2; ++side) {
              const auto& planes = side == 0 ? g.positive : g.negative;
              if (planes.empty()) continue;
              const float off = offsets ? offsets[((static_cast<std::size_t>(gi) * 2 + side) * subarrays + s) * np + n] : 0.0f;
              const float* dev = deviations_.empty() ? nullptr
                                 : deviations_.data() + ((static_cast<std::size_t>(gi) * 2 + side) * nn + n) * k_;
              float side_value = 0.0f;
              for (int w = 0; w < wps; ++w) {
                std::uint64_t x[2] = {0, 0};
                for (std::size_t p = 0; p < planes.size(); ++p)
                  x[p] = a[w] & planes_[(static_cast<std::size_t>(planes[p].plane) * words + s * wps + w) * np + n];
                const int first_row = w * 64;
                const int groups_in_word = std::min(64, rows_here - first_row + grows - 1) / grows;
                if (groups_in_word <= 0) continue;
                if ((x[0] | x[1]) == 0) {
                  counters.lcu_skips += static_cast<std::uint64_t>(groups_in_word);
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
                    ++counters.lcu_skips;
                    continue;
                  }
                  ++counters.lcu_senses;
                  float v = static_cast<float>(count) + off;
                  if (dev) {
                    std::uint64_t y = (a[w] >> (q * grows)) & gmask;  // cells on driven rows
                    while (y) {
                      const int b = std::countr_zero(y);
                      v += dev[s * config_.rows + first_row + q * grows + b];
                      y &= y - 1;
                    }
                  }
                  if (additive) {
                    const float sd = sigma_prop > 0.0f ? std::sqrt(sigma_add / fs * gfs * sigma_add / fs * gfs +
                                                                   sigma_prop * sigma_prop * count * count)
                                                       : sigma_add / fs * gfs;
                    v += sd * *sc.normals.take(1);
                  }
                  float level = std::nearbyint(v * lcu_sense_.inverse_step);
                  if (level < 0.0f || level > static_cast<float>(lcu_sense_.max_level)) ++counters.clipped;
                  level = std::clamp(level, 0.0f, static_cast<float>(lcu_sense_.max_level));
                  side_value += level * lcu_sense_.step;
                }
              }
              value += side == 0 ? side_value : -side_value;
            }
            acc[n] += static_cast<double>(value) * mult;
          }
          counters.shift_adds += static_cast<std::uint64_t>(nn);
          continue;
        }

        // ---- analog value of each side: PS (+ cell deviations) + offset + noise
        for (int n = 0; n < np; ++n) {
          vpos[n] = static_cast<float>(pos[n]);
          vneg[n] = static_cast<float>(neg[n]);
        }
        if (!deviations_.empty())
          for (int side = 0; side < 2; ++side) {
            if (side == 0 ? g.positive.empty() : !two_sided) continue;
            float* v = side == 0 ? vpos : vneg;
            for (int n = 0; n < nn; ++n)
              v[n] += deviation_sum(a, wps, deviations_.data() + ((static_cast<std::size_t>(gi) * 2 + side) * nn + n) * k_,
                                    s * config_.rows);
          }
        for (int side = 0; side < 2; ++side) {
          if (side == 0 ? g.positive.empty() : !two_sided) continue;
          float* v = side == 0 ? vpos : vneg;
          if (offsets) {
            const float* o = offsets + ((static_cast<std::size_t>(gi) * 2 + side) * subarrays + s) * np;
            for (int n = 0; n < np; ++n) v[n] += o[n];
          }
          if (additive) {
            const float* z = sc.normals.take(static_cast<std::size_t>(np));
            const std::int32_t* ps = side == 0 ? pos : neg;
            if (sigma_prop > 0.0f) {
#pragma omp simd
              for (int n = 0; n < np; ++n) {
                const float b = sigma_prop * static_cast<float>(ps[n]);
                v[n] += std::sqrt(sigma_add * sigma_add + b * b) * z[n];
              }
            } else {
#pragma omp simd
              for (int n = 0; n < np; ++n) v[n] += sigma_add * z[n];
            }
          }
        }

        // ---- readout
        switch (r.kind) {
          case ReadoutKind::kIdeal:
          case ReadoutKind::kZebraLcu: {
            for (int n = 0; n < np; ++n) acc[n] += static_cast<double>(vpos[n] - vneg[n]) * mult;
            counters.ideal_reads += static_cast<std::uint64_t>(nn);
            break;
          }
          case ReadoutKind::kAdc: {
            const circuit::AdcQuantizer& q = g.signed_readout ? adc_signed_ : adc_unsigned_;
            const float lo = static_cast<float>(q.min_code), hi = static_cast<float>(q.max_code);
            const bool sparse = r.adc.sparse;
            int clipped = 0;
#pragma omp simd reduction(+ : clipped)
            for (int n = 0; n < np; ++n) {
              const float c = std::nearbyint((vpos[n] - vneg[n]) * q.inverse_step);
              const bool skip = sparse && (pos[n] | neg[n]) == 0;
              clipped += (n < nn && !skip && (c < lo || c > hi)) ? 1 : 0;
              const float value = skip ? 0.0f : std::clamp(c, lo, hi) * q.step;
              acc[n] += static_cast<double>(value) * mult;
            }
            const int skipped = sparse ? zero : 0;
            counters.clipped += static_cast<std::uint64_t>(clipped);
            counters.adc_skipped += static_cast<std::uint64_t>(skipped);
            counters.adc_conversions += static_cast<std::uint64_t>(nn - skipped);
            break;
          }
          case ReadoutKind::kStochasticMtj: {
            const int t = samples_[static_cast<std::size_t>(i * groups + gi)];
            const circuit::AffineMap& map = maps_[static_cast<std::size_t>(s) * 2 + (g.signed_readout ? 1 : 0)];
            const double inv_t = 1.0 / t;
            if (exact_analog) {
              const auto& table = binomial_tables_[static_cast<std::size_t>(table_index_[static_cast<std::size_t>(i * groups + gi)])];
              const int ifs = static_cast<int>(fs), levels = 2 * ifs + 1;
              const std::uint32_t* base =
                  table.thresholds.data() + (static_cast<std::size_t>(s) * 2 + (g.signed_readout ? 1 : 0)) * levels * t;
              const std::uint32_t* word = sc.words.take(static_cast<std::size_t>(nn));
              for (int n = 0; n < nn; ++n) {
                const std::uint32_t* thr = base + static_cast<std::size_t>(pos[n] - neg[n] + ifs) * t;
                int k = 0;
                for (int j = 0; j < t; ++j) k += word[n] >= thr[j] ? 1 : 0;
                acc[n] += map.ps_of(2.0 * k * inv_t - 1.0) * mult;
              }
            } else {
              const std::uint32_t* word = sc.words.take(static_cast<std::size_t>(nn) * t);
              for (int n = 0; n < nn; ++n) {
                const double x = map.x_of(static_cast<double>(vpos[n] - vneg[n]));
                const double p = curve_->probability(r.mtj.current_at_zero_A + x * r.mtj.current_per_unit_A);
                const double threshold = p * 4294967296.0;
                int k = 0;
                for (int j = 0; j < t; ++j) k += static_cast<double>(word[n * t + j]) < threshold ? 1 : 0;
                acc[n] += map.ps_of(2.0 * k * inv_t - 1.0) * mult;
              }
            }
            counters.mtj_reads += static_cast<std::uint64_t>(nn);
            counters.mtj_samples += static_cast<std::uint64_t>(nn) * t;
            break;
          }
        }
        counters.shift_adds += static_cast<std::uint64_t>(nn);
      }
    }
  }
  counters.noise_draws += sc.normals.drawn() - draws_before;
  const double correction = config_.signed_scheme == SignedScheme::kOffsetBinary
                                ? -static_cast<double>(std::int64_t{1} << (config_.weight_bits - 1)) * act_sum
                                : 0.0;
  for (int n = 0; n < nn; ++n) out[n] = acc[n] + correction;
}

}  // namespace cimmc::arch
