// The crossbar engine against the plain integer GEMM and brute-force counts.
#include <gtest/gtest.h>
#include <omp.h>

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "cimmc/arch/crossbar_layer.hpp"
#include "cimmc/core/error.hpp"

using namespace cimmc::arch;
using cimmc::circuit::ReadoutKind;

namespace {

unsigned test_seed() {
  const char* s = std::getenv("CIMMC_TEST_SEED");
  const unsigned seed = s ? static_cast<unsigned>(std::strtoul(s, nullptr, 10)) : 20241122u;
  return seed;
}

struct Problem {
  int m, n, k;
  std::vector<std::uint8_t> act;
  std::vector<std::int8_t> w;
};

Problem random_problem(std::mt19937& gen, int m, int n, int k, int in_bits, int w_bits, double zero_fraction = 0.3) {
  Problem p{m, n, k, {}, {}};
  std::uniform_real_distribution<double> u(0, 1);
  p.act.resize(static_cast<std::size_t>(m) * k);
  for (auto& a : p.act) a = u(gen) < zero_fraction ? 0 : static_cast<std::uint8_t>(gen() & ((1u << in_bits) - 1));
  p.w.resize(static_cast<std::size_t>(n) * k);
  const int lo = -(1 << (w_bits - 1)), span = 1 << w_bits;
  for (auto& x : p.w)
    x = static_cast<std::int8_t>(u(gen) < zero_fraction ? 0
                                                        : lo + static_cast<int>(gen() % static_cast<unsigned>(span)));
  return p;
}

std::vector<double> integer_gemm(const Problem& p) {
  std::vector<double> out(static_cast<std::size_t>(p.m) * p.n);
  for (int i = 0; i < p.m; ++i)
    for (int j = 0; j < p.n; ++j) {
      std::int64_t s = 0;
      for (int t = 0; t < p.k; ++t)
        s += std::int64_t{p.act[static_cast<std::size_t>(i) * p.k + t]} * p.w[static_cast<std::size_t>(j) * p.k + t];
      out[static_cast<std::size_t>(i) * p.n + j] = static_cast<double>(s);
    }
  return out;
}

CrossbarConfig config_of(int rows, int bpc, int in_bits, int w_bits, SignedScheme scheme, Encoding enc) {
  CrossbarConfig c;
  c.rows = rows;
  c.bits_per_cell = bpc;
  c.input_bits = in_bits;
  c.weight_bits = w_bits;
  c.signed_scheme = scheme;
  c.encoding = enc;
  return c;
}

// A stochastic-MTJ readout on 1-bit cells, 4-bit inputs (bit-serial) and 4-bit differential weights.
CrossbarConfig mtj_config(int rows, Encoding enc) {
  CrossbarConfig c = config_of(rows, 1, 4, 4, SignedScheme::kDifferential, enc);
  c.readout.kind = ReadoutKind::kStochasticMtj;
  return c;
}

// Whether weight w has a 1 in the plane called `name` (as CrossbarLayer names them).
bool in_plane(const std::string& name, int w, const CrossbarConfig& c) {
  if (name == "flag") return encode(w, c.weight_bits, c.encoding).flag;
  const int j = std::stoi(name.substr(3));
  if (c.signed_scheme == SignedScheme::kOffsetBinary) return ((w + (1 << (c.weight_bits - 1))) >> j) & 1;
  const int d = encode(w, c.weight_bits, c.encoding).digit[j];
  return name[0] == '+' ? d > 0 : d < 0;
}

// A 3-bit ADC clipping at a percentile of the observed PS; 1-bit inputs, 2-bit weights.
CrossbarConfig calibrated_adc_config(double clip_percentile) {
  CrossbarConfig c = config_of(128, 1, 1, 2, SignedScheme::kTwosComplement, Encoding::kTwosComplement);
  c.readout.kind = ReadoutKind::kAdc;
  c.readout.adc.bits = 3;
  c.readout.adc.calibrated_range = true;
  c.readout.adc.clip_percentile = clip_percentile;
  return c;
}

// Inputs in {0, 1} and weights in {0, 1} (a quarter of them 1): with calibrated_adc_config the
// +2^0 column carries PS = Σ a·w and the −2^1 column 0.
Problem binary_problem(std::mt19937& gen, int m, int n, int k) {
  Problem p{m, n, k, std::vector<std::uint8_t>(static_cast<std::size_t>(m) * k),
            std::vector<std::int8_t>(static_cast<std::size_t>(n) * k)};
  for (auto& a : p.act) a = gen() % 2;
  for (auto& w : p.w) w = static_cast<std::int8_t>(gen() % 4 == 0);
  return p;
}

}  // namespace

TEST(CrossbarLayer, IdealReadoutEqualsTheIntegerGemmForEveryScheme) {
  std::mt19937 gen(test_seed());
  const Encoding encodings[] = {Encoding::kTwosComplement, Encoding::kSignMagnitude, Encoding::kAdaptiveFlip,
                                Encoding::kCsd};
  int cases = 0;
  for (SignedScheme scheme : {SignedScheme::kTwosComplement, SignedScheme::kDifferential, SignedScheme::kOffsetBinary})
    for (Encoding enc : encodings) {
      if (scheme == SignedScheme::kOffsetBinary && enc != Encoding::kTwosComplement) continue;
      for (int bpc : {1, 2, 3, 8})
        for (int rows : {37, 64, 128}) {
          const int in_bits = 1 + static_cast<int>(gen() % 8), w_bits = 2 + static_cast<int>(gen() % 7);
          const int m = 1 + static_cast<int>(gen() % 9), n = 1 + static_cast<int>(gen() % 20);
          const int k = 1 + static_cast<int>(gen() % 300);
          const Problem p = random_problem(gen, m, n, k, in_bits, w_bits);
          CrossbarConfig c = config_of(rows, bpc, in_bits, w_bits, scheme, enc);
          c.dac_bits = 1 + static_cast<int>(gen() % static_cast<unsigned>(in_bits));  // input bits per DAC pulse
          const CrossbarLayer layer(c, 3, p.w, n, k);
          std::vector<double> out(static_cast<std::size_t>(m) * n);
          Counters counters;
          layer.run(p.act, m, {}, 1, out, counters);
          ASSERT_EQ(out, integer_gemm(p))
              << signed_scheme_name(scheme) << " " << encoding_name(enc) << " bpc " << bpc << " R " << rows << " K "
              << k << " in " << in_bits << " dac " << c.dac_bits << " w " << w_bits;
          EXPECT_EQ(counters.partial_sums, static_cast<std::uint64_t>(m) * c.input_streams() *
                                               layer.geometry().subarrays * layer.column_groups().size() * n);
          for (const auto& g : layer.column_groups())  // a cell holds at most bits_per_cell digits
            for (const auto* side : {&g.positive, &g.negative})
              for (const auto& pl : *side) EXPECT_LT(pl.cell_weight, 1 << bpc);
          ++cases;
        }
    }
  EXPECT_EQ(cases, 108);  // offset binary only with two's complement
}

TEST(CrossbarLayer, AdcWithEnoughBitsAndNoNoiseIsExact) {
  std::mt19937 gen(test_seed() + 1);
  for (SignedScheme scheme : {SignedScheme::kTwosComplement, SignedScheme::kDifferential}) {
    const Problem p = random_problem(gen, 5, 11, 200, 8, 8);
    CrossbarConfig c = config_of(128, 1, 8, 8, scheme, Encoding::kTwosComplement);
    c.readout.kind = ReadoutKind::kAdc;
    c.readout.adc.bits = scheme == SignedScheme::kDifferential ? 9 : 8;  // 2^8 - 1 >= 128 levels per sign
    const CrossbarLayer layer(c, 0, p.w, p.n, p.k);
    std::vector<double> out(static_cast<std::size_t>(p.m) * p.n);
    Counters counters;
    layer.run(p.act, p.m, {}, 1, out, counters);
    EXPECT_EQ(out, integer_gemm(p)) << signed_scheme_name(scheme);
    EXPECT_EQ(counters.adc_conversions, counters.partial_sums);
    EXPECT_EQ(counters.clipped, 0u);
  }
}

TEST(CrossbarLayer, EveryKernelGivesTheSameNoisyResult) {
  std::mt19937 gen(test_seed() + 2);
  const Problem p = random_problem(gen, 6, 13, 333, 8, 8);
  CrossbarConfig c = config_of(100, 1, 8, 8, SignedScheme::kTwosComplement, Encoding::kTwosComplement);
  c.readout.kind = ReadoutKind::kAdc;
  c.readout.adc.bits = 5;
  c.noise = cimmc::circuit::NoiseParams::relative_full_scale(0.02);
  CrossbarLayer layer(c, 1, p.w, p.n, p.k);
  std::vector<double> first;
  for (cimmc::core::KernelIsa isa :
       {cimmc::core::KernelIsa::kPortable, cimmc::core::KernelIsa::kAvx2, cimmc::core::KernelIsa::kAvx512}) {
    if (!cimmc::core::kernel_isa_supported(isa)) continue;
    layer.set_kernel(isa);
    std::vector<double> out(static_cast<std::size_t>(p.m) * p.n);
    Counters counters;
    layer.run(p.act, p.m, {0, 0, 1, 0, 1}, 7, out, counters);
    if (first.empty()) first = out;
    EXPECT_EQ(out, first) << cimmc::core::kernel_isa_name(isa);
  }
}

// The LCU's integer-level rare-event path counts senses a vector of outputs at a time, by byte
// compares for G >= 8 and OR-folds below (docs/rare_event_sampling.md): against a brute force for
// every group size, 1- and 2-bit cells (one and two planes per side) and a partial last word.
// The senses of groups of G <= 8 rows come from a table built with the planes: a reprogrammed
// layer (same planes in use, other weights) must count with a table of its new weights.
TEST(CrossbarLayer, LcuSenseCountsOfTheIntegerLevelPathEqualBruteForce) {
  std::mt19937 gen(test_seed() + 4);
  for (int bpc : {1, 2})
    for (int grows : {1, 2, 4, 8, 16, 32, 64}) {
      const int rows = 100, in_bits = 3, w_bits = 8;
      const Problem p = random_problem(gen, 3, 19, 230, in_bits, w_bits, 0.5);
      const Problem second = random_problem(gen, 3, 19, 230, in_bits, w_bits, 0.5);
      CrossbarConfig c = config_of(rows, bpc, in_bits, w_bits, SignedScheme::kDifferential, Encoding::kAdaptiveFlip);
      c.readout.kind = ReadoutKind::kZebraLcu;
      c.readout.lcu.group_rows = grows;
      c.readout.lcu.levels = grows * ((1 << bpc) - 1) + 1;  // every count a level: the integer-level path
      c.readout.sampling = cimmc::circuit::ReadoutSampling::kRareEvent;
      c.noise = cimmc::circuit::NoiseParams::relative_full_scale(0.001);
      CrossbarLayer layer(c, 2, p.w, p.n, p.k);
      for (const std::vector<std::int8_t>* weights : {&p.w, &second.w}) {
        if (weights == &second.w) {
          layer.reprogram(second.w);
          ASSERT_EQ(layer.plane_names(), CrossbarLayer(c, 2, second.w, p.n, p.k).plane_names());
        }
        std::vector<double> out(static_cast<std::size_t>(p.m) * p.n);
        Counters counters;
        layer.run(p.act, p.m, {}, 3, out, counters);
        EXPECT_EQ(counters.noise_draws, 0u);  // rare-event sampling draws no normals
        std::uint64_t senses = 0, skipped = 0;
        const auto& names = layer.plane_names();
        for (int m = 0; m < p.m; ++m)
          for (int i = 0; i < in_bits; ++i)
            for (int s = 0; s < layer.geometry().subarrays; ++s) {
              const int k0 = s * rows, k1 = std::min(p.k, k0 + rows);
              for (const auto& g : layer.column_groups())
                for (int n = 0; n < p.n; ++n)
                  for (const auto* side : {&g.positive, &g.negative}) {
                    if (side->empty()) continue;
                    for (int q0 = k0; q0 < k1; q0 += grows) {
                      bool any = false;
                      for (int kk = q0; kk < std::min(k1, q0 + grows); ++kk)
                        for (const auto& pl : *side)
                          any = any || (((p.act[static_cast<std::size_t>(m) * p.k + kk] >> i) & 1) &&
                                        in_plane(names[static_cast<std::size_t>(pl.plane)],
                                                 (*weights)[static_cast<std::size_t>(n) * p.k + kk], c));
                      (any ? senses : skipped) += 1;
                    }
                  }
            }
        const char* which = weights == &p.w ? "new layer" : "reprogrammed";
        EXPECT_EQ(counters.lcu_senses, senses) << "G = " << grows << ", " << bpc << "-bit cells, " << which;
        EXPECT_EQ(counters.lcu_skipped, skipped) << "G = " << grows << ", " << bpc << "-bit cells, " << which;
      }
    }
}

TEST(CrossbarLayer, LcuSenseTableIsCountedInTheReadoutTableBytes) {
  // 8 KiB per subarray word for groups of G <= 8 rows (none for larger groups, which count
  // senses without a table): K = 230 over R = 100 rows is 3 subarrays of 2 words.
  std::mt19937 gen(test_seed() + 5);
  const Problem p = random_problem(gen, 2, 9, 230, 3, 8, 0.5);
  for (int grows : {4, 8, 16}) {
    CrossbarConfig c = config_of(100, 1, 3, 8, SignedScheme::kDifferential, Encoding::kAdaptiveFlip);
    c.readout.kind = ReadoutKind::kZebraLcu;
    c.readout.lcu.group_rows = grows;
    c.readout.lcu.levels = grows + 1;
    const CrossbarLayer layer(c, 2, p.w, p.n, p.k);
    ASSERT_EQ(layer.geometry().subarrays, 3);
    EXPECT_EQ(layer.readout_table_bytes(), grows <= 8 ? std::size_t{3} * 2 * 8 * 256 * 4 : 0u) << "G = " << grows;
  }
}

TEST(CrossbarLayer, SparseAdcMtjAndLcuSkipsEqualBruteForce) {
  std::mt19937 gen(test_seed() + 3);
  for (ReadoutKind kind : {ReadoutKind::kAdc, ReadoutKind::kZebraLcu, ReadoutKind::kStochasticMtj})
    for (SignedScheme scheme : {SignedScheme::kTwosComplement, SignedScheme::kDifferential})
      for (Encoding enc : {Encoding::kAdaptiveFlip, Encoding::kCsd}) {
        const int rows = 100, in_bits = 4, w_bits = 8;
        const Problem p = random_problem(gen, 4, 9, 250, in_bits, w_bits, 0.6);
        CrossbarConfig c = config_of(rows, 2, in_bits, w_bits, scheme, enc);
        c.readout.kind = kind;
        c.readout.adc.sparse = true;
        c.readout.mtj.sparse = true;
        c.readout.mtj.ideal_zero_detection = true;  // the brute force counts every all-zero PS
        c.readout.mtj.samples = 3;
        c.readout.adc.bits = 6;
        c.readout.lcu.group_rows = 8;
        c.readout.lcu.levels = 25;
        c.noise = cimmc::circuit::NoiseParams::relative_full_scale(0.01);
        const CrossbarLayer layer(c, 2, p.w, p.n, p.k);
        std::vector<double> out(static_cast<std::size_t>(p.m) * p.n);
        Counters counters;
        layer.run(p.act, p.m, {}, 3, out, counters);
        // Brute force over (row, input bit, subarray, group, output) and LCU row groups.
        std::uint64_t zero_ps = 0, lcu_skipped = 0, lcu_senses = 0, active_rows = 0;
        const auto& names = layer.plane_names();
        const int subarrays = layer.geometry().subarrays;
        for (int m = 0; m < p.m; ++m)
          for (int i = 0; i < in_bits; ++i)
            for (int s = 0; s < subarrays; ++s) {
              const int k0 = s * rows, k1 = std::min(p.k, k0 + rows);
              for (int kk = k0; kk < k1; ++kk) active_rows += (p.act[static_cast<std::size_t>(m) * p.k + kk] >> i) & 1;
              for (const auto& g : layer.column_groups())
                for (int n = 0; n < p.n; ++n) {
                  auto product = [&](const std::vector<ColumnGroup::Plane>& side, int kk) {
                    if (!((p.act[static_cast<std::size_t>(m) * p.k + kk] >> i) & 1)) return false;
                    for (const auto& pl : side)
                      if (in_plane(names[static_cast<std::size_t>(pl.plane)],
                                   p.w[static_cast<std::size_t>(n) * p.k + kk], c))
                        return true;
                    return false;
                  };
                  bool any = false;
                  for (int kk = k0; kk < k1; ++kk) any = any || product(g.positive, kk) || product(g.negative, kk);
                  zero_ps += !any;
                  for (const auto* side : {&g.positive, &g.negative}) {
                    if (side->empty()) continue;
                    for (int q0 = k0; q0 < k1; q0 += 8) {
                      bool group_any = false;
                      for (int kk = q0; kk < std::min(k1, q0 + 8); ++kk) group_any = group_any || product(*side, kk);
                      (group_any ? lcu_senses : lcu_skipped) += 1;
                    }
                  }
                }
            }
        EXPECT_EQ(counters.zero_partial_sums, zero_ps);
        EXPECT_EQ(counters.active_rows, active_rows);
        if (kind == ReadoutKind::kAdc) {
          EXPECT_EQ(counters.adc_skipped, zero_ps);
          EXPECT_EQ(counters.adc_conversions, counters.partial_sums - zero_ps);
          EXPECT_EQ(counters.shift_adds, counters.partial_sums - zero_ps);
        } else if (kind == ReadoutKind::kStochasticMtj) {
          EXPECT_GT(zero_ps, 0u);
          EXPECT_EQ(counters.mtj_skipped, zero_ps);
          EXPECT_EQ(counters.mtj_reads, counters.partial_sums - zero_ps);
          EXPECT_EQ(counters.mtj_samples, 3 * (counters.partial_sums - zero_ps));
          EXPECT_EQ(counters.shift_adds, counters.partial_sums - zero_ps);
          // The maps are calibrated on the converted PS only (the histogram keeps them all).
          const PsStatistics stats = layer.collect_statistics(p.act, p.m);
          double counted = 0;
          for (double v : stats.column_count) counted += v;
          EXPECT_EQ(counted, static_cast<double>(counters.partial_sums - zero_ps));
          std::uint64_t histogram = 0;
          for (const auto& h : stats.histogram)
            for (auto v : h) histogram += v;
          EXPECT_EQ(histogram, counters.partial_sums);
        } else {
          EXPECT_EQ(counters.lcu_skipped, lcu_skipped);
          EXPECT_EQ(counters.lcu_senses, lcu_senses);
          EXPECT_EQ(counters.noise_draws > 0, true);
        }
      }
}

TEST(CrossbarLayer, LcuWithoutNoiseAndEnoughLevelsIsExact) {
  std::mt19937 gen(test_seed() + 4);
  const Problem p = random_problem(gen, 3, 10, 150, 8, 8);
  CrossbarConfig c = config_of(64, 2, 8, 8, SignedScheme::kDifferential, Encoding::kCsd);
  c.readout.kind = ReadoutKind::kZebraLcu;
  c.readout.lcu.group_rows = 4;
  c.readout.lcu.levels = 13;  // 0 .. 4 rows × 3
  const CrossbarLayer layer(c, 0, p.w, p.n, p.k);
  std::vector<double> out(static_cast<std::size_t>(p.m) * p.n);
  Counters counters;
  layer.run(p.act, p.m, {}, 1, out, counters);
  EXPECT_EQ(out, integer_gemm(p));
}

TEST(CrossbarLayer, ResultsDoNotDependOnThreadsOrBatching) {
  std::mt19937 gen(test_seed() + 5);
  const int rows_per_image = 7, images = 6;
  const Problem p = random_problem(gen, rows_per_image * images, 12, 200, 8, 8);
  for (ReadoutKind kind : {ReadoutKind::kAdc, ReadoutKind::kStochasticMtj, ReadoutKind::kZebraLcu, ReadoutKind::kIdeal})
    for (const bool physical : {false, true}) {
      CrossbarConfig c = config_of(128, 1, 8, 8, SignedScheme::kDifferential, Encoding::kTwosComplement);
      c.readout.kind = kind;
      c.readout.adc.bits = 5;
      const bool mtj = kind == ReadoutKind::kStochasticMtj;
      if (physical) {  // per-cell, per-sense and per-amplifier terms (the LCU's offsets per group)
        c.noise.cell_sigma_lsb = mtj ? 0.0 : 0.1;
        c.noise.sense_sigma_lsb = mtj ? 0.0 : 0.3;
        c.noise.offset_sigma_lsb = 0.2;
      } else {
        c.noise = cimmc::circuit::NoiseParams::relative_full_scale(mtj ? 0.0 : 0.03, 0.0, 0.01);
      }
      const CrossbarLayer layer(c, 4, p.w, p.n, p.k);
      const RunAddress address{2, 5, 4, 100, rows_per_image};
      std::vector<double> a(static_cast<std::size_t>(p.m) * p.n), b(a.size()), split(a.size());
      Counters ca, cb, cs;
      omp_set_num_threads(1);
      layer.run(p.act, p.m, address, 11, a, ca);
      omp_set_num_threads(2);
      layer.run(p.act, p.m, address, 11, b, cb);
      // The same images in two batches, the second one first.
      const int m1 = 2 * rows_per_image;
      RunAddress second = address;
      second.first_image += 2;
      layer.run(std::span(p.act).subspan(static_cast<std::size_t>(m1) * p.k), p.m - m1, second, 11,
                std::span(split).subspan(static_cast<std::size_t>(m1) * p.n), cs);
      layer.run(std::span(p.act).first(static_cast<std::size_t>(m1) * p.k), m1, address, 11,
                std::span(split).first(static_cast<std::size_t>(m1) * p.n), cs);
      EXPECT_EQ(a, b) << cimmc::circuit::readout_name(kind);
      EXPECT_EQ(a, split) << cimmc::circuit::readout_name(kind);
      EXPECT_EQ(ca.noise_draws, cb.noise_draws);
      EXPECT_EQ(ca.clipped, cb.clipped);
      EXPECT_EQ(ca.lcu_senses, cb.lcu_senses);
      EXPECT_EQ(ca.mtj_samples, cb.mtj_samples);
      // A different trial gives different noise.
      std::vector<double> other(a.size());
      RunAddress next = address;
      next.trial += 1;
      layer.run(p.act, p.m, next, 11, other, ca);
      if (kind != ReadoutKind::kIdeal || c.noise.any()) {
        EXPECT_NE(a, other) << cimmc::circuit::readout_name(kind);
      }
    }
}

TEST(CrossbarLayer, CountersDescribeTheRun) {
  std::mt19937 gen(test_seed() + 6);
  const Problem p = random_problem(gen, 5, 9, 300, 8, 8);
  CrossbarConfig c = config_of(128, 1, 8, 8, SignedScheme::kTwosComplement, Encoding::kTwosComplement);
  c.readout.kind = ReadoutKind::kAdc;
  c.readout.adc.bits = 5;
  const CrossbarLayer layer(c, 0, p.w, p.n, p.k);
  EXPECT_EQ(layer.column_groups().size(), 8u);
  EXPECT_EQ(layer.plane_names().back(), "-2^7");
  std::vector<double> out(static_cast<std::size_t>(p.m) * p.n);
  Counters counters;
  layer.run(p.act, p.m, {}, 1, out, counters);
  EXPECT_EQ(counters.readout, "adc");
  EXPECT_EQ(counters.adc_bits, 5);
  EXPECT_EQ(counters.array_reads, 5u * 8 * 3);
  EXPECT_EQ(counters.partial_sums, 5u * 8 * 3 * 8 * 9);
  EXPECT_EQ(counters.column_reads, counters.partial_sums);
  EXPECT_EQ(counters.macs, 5u * 9 * 300);
  std::uint64_t ones0 = 0;
  for (auto a : p.act) ones0 += a & 1;
  EXPECT_EQ(counters.input_bit_ones[0], ones0);
  EXPECT_DOUBLE_EQ(counters.input_density(0), static_cast<double>(ones0) / (5.0 * 300));
  std::uint64_t msb = 0;
  for (auto w : p.w) msb += w < 0;
  EXPECT_EQ(counters.weight_plane_ones.back(), msb);
}

TEST(CrossbarLayer, BadInputsAreRejectedWithTheirPlace) {
  CrossbarConfig c = config_of(128, 1, 4, 4, SignedScheme::kTwosComplement, Encoding::kTwosComplement);
  const std::vector<std::int8_t> w{1, 2, 3, 8};
  try {
    CrossbarLayer layer(c, 0, w, 2, 2);
    FAIL();
  } catch (const cimmc::core::ArgumentError& e) {
    EXPECT_NE(std::string(e.what()).find("weight [1, 1] = 8 does not fit in 4 bits"), std::string::npos) << e.what();
  }
  const std::vector<std::int8_t> ok{1, 2, 3, 4};
  const CrossbarLayer layer(c, 0, ok, 2, 2);
  std::vector<std::uint8_t> act{1, 16};
  std::vector<double> out(2);
  Counters counters;
  try {
    layer.run(act, 1, {}, 1, out, counters);
    FAIL();
  } catch (const cimmc::core::ArgumentError& e) {
    EXPECT_NE(std::string(e.what()).find("activation [0, 1] = 16 does not fit in 4 input bits"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(layer.run(act, 2, {}, 1, out, counters), cimmc::core::ArgumentError);
  EXPECT_THROW(row_stream_element(1024, 0, 0), cimmc::core::ArgumentError);
  EXPECT_EQ(row_stream_element(3, 5, 7), (3ull << 38) | (5ull << 18) | 7u);
}

TEST(CrossbarLayer, CellDeviationsAddOnDrivenRows) {
  // One output, K = 3, weights {1, 0, 1}, 1-bit inputs {1, 1, 0}: every cell on a driven row
  // adds its deviation (level-step units), whatever it stores: out = 1 + d0 + d1 − 2 (d'0 + d'1)
  // with d' the deviations of the −2^1 column.
  CrossbarConfig c = config_of(128, 1, 1, 2, SignedScheme::kTwosComplement, Encoding::kTwosComplement);
  const std::vector<std::int8_t> w{1, 0, 1};
  CrossbarLayer layer(c, 0, w, 1, 3);
  ASSERT_EQ(layer.column_groups().size(), 2u);
  const auto levels = layer.cell_levels();
  ASSERT_EQ(levels.size(), 2u * 2 * 3);
  EXPECT_EQ(levels, (std::vector<std::uint8_t>{1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
  std::vector<float> dev(levels.size(), 0.0f);
  dev[0] = 0.25f;   // group +2^0, row 0
  dev[1] = -0.5f;   // group +2^0, row 1 (stores 0, still driven)
  dev[2] = 4.0f;    // row 2 is not driven
  dev[6] = 0.125f;  // group −2^1, row 0
  layer.set_cell_deviations(dev);
  const std::vector<std::uint8_t> act{1, 1, 0};
  std::vector<double> out(1);
  Counters counters;
  layer.run(act, 1, {}, 1, out, counters);
  EXPECT_DOUBLE_EQ(out[0], 1.0 + 0.25 - 0.5 - 2 * 0.125);
  EXPECT_THROW(layer.set_cell_deviations(std::vector<float>(5)), cimmc::core::ArgumentError);
}

TEST(CrossbarLayer, MultiBitInputsWeightCellDeviationsByTheInput) {
  // 2-bit inputs {1, 2, 0} in one DAC pulse, weights {1, 0, 1}: a cell on a row driven with
  // input a adds a · (level + deviation): out = 1 + (0.25 − 2 · 0.5) − 2 · 0.125 = 0.
  CrossbarConfig c = config_of(128, 1, 2, 2, SignedScheme::kTwosComplement, Encoding::kTwosComplement);
  c.dac_bits = 2;
  const std::vector<std::int8_t> w{1, 0, 1};
  CrossbarLayer layer(c, 0, w, 1, 3);
  std::vector<float> dev(2 * 2 * 3, 0.0f);
  dev[0] = 0.25f;
  dev[1] = -0.5f;
  dev[2] = 4.0f;    // row 2 is not driven
  dev[6] = 0.125f;  // group −2^1, row 0
  layer.set_cell_deviations(dev);
  const std::vector<std::uint8_t> act{1, 2, 0};
  std::vector<double> out(1);
  Counters counters;
  layer.run(act, 1, {}, 1, out, counters);
  EXPECT_DOUBLE_EQ(out[0], 0.0);
  EXPECT_EQ(counters.array_reads, 1u);  // one stream
  EXPECT_EQ(counters.active_rows, 2u);  // rows 0 and 1 are driven
}

TEST(CrossbarLayer, CalibratedAdcClipsAtThePercentileOfObservedPs) {
  // 1-bit inputs, weights in {0, 1}: the +2^0 column carries PS = Σ a·w, the −2^1 column 0.
  std::mt19937 gen(test_seed() + 7);
  const CrossbarConfig c = calibrated_adc_config(90.0);
  const int m = 50, n = 6, k = 128;
  const Problem p = binary_problem(gen, m, n, k);
  CrossbarLayer layer(c, 0, p.w, n, k);
  const PsStatistics stats = layer.collect_statistics(p.act, m);
  // Brute-force percentile of |PS| over both columns (the −2^1 column contributes zeros).
  std::vector<int> all;
  for (int r = 0; r < m; ++r)
    for (int j = 0; j < n; ++j) {
      int ps = 0;
      for (int t = 0; t < k; ++t)
        ps += p.act[static_cast<std::size_t>(r) * k + t] * p.w[static_cast<std::size_t>(j) * k + t];
      all.push_back(ps);
      all.push_back(0);
    }
  std::sort(all.begin(), all.end());
  const int expected_clip = all[static_cast<std::size_t>(std::ceil(0.9 * all.size())) - 1];
  EXPECT_DOUBLE_EQ(stats.abs_percentile(90.0), expected_clip);
  layer.calibrate(stats);
  EXPECT_DOUBLE_EQ(layer.calibration().adc_range, expected_clip);
  std::vector<double> out(static_cast<std::size_t>(m) * n);
  Counters counters;
  layer.run(p.act, m, {}, 1, out, counters);
  const double step = std::max(1.0, expected_clip / 7.0);
  std::uint64_t clipped = 0;
  for (int r = 0; r < m; ++r)
    for (int j = 0; j < n; ++j) {
      const int ps = static_cast<int>(integer_gemm(p)[static_cast<std::size_t>(r) * n + j]);
      const double code = std::nearbyint(static_cast<float>(ps) * static_cast<float>(1.0 / step));
      clipped += code > 7;
      EXPECT_NEAR(out[static_cast<std::size_t>(r) * n + j], std::min(code, 7.0) * step, 1e-4) << ps;
    }
  EXPECT_EQ(counters.clipped, clipped);
  EXPECT_GT(clipped, 0u);
}

TEST(CrossbarLayer, MtjCalibrationNormalizesEachConversionOfEachSubarrayOrColumn) {
  std::mt19937 gen(test_seed() + 8);
  CrossbarConfig c = mtj_config(64, Encoding::kTwosComplement);
  c.readout.mtj.calibration_sigmas = 3.0;
  const Problem p = random_problem(gen, 20, 5, 150, 4, 4);
  for (const bool per_column : {false, true}) {
    c.readout.mtj.per_column_calibration = per_column;
    CrossbarLayer layer(c, 0, p.w, p.n, p.k);
    // Bit-serial 4-bit inputs and differential 1-bit cells: 4 streams × 4 signed groups.
    const int groups = static_cast<int>(layer.column_groups().size()), conv = 4 * groups;
    ASSERT_EQ(groups, 4);
    const PsStatistics stats = layer.collect_statistics(p.act, p.m);
    ASSERT_EQ(stats.histogram.size(), 3u);
    ASSERT_EQ(stats.conversions, conv);
    layer.calibrate(stats);
    ASSERT_EQ(layer.calibration().mtj_maps.size(), static_cast<std::size_t>(per_column ? 3 * conv * p.n : 3 * conv));
    for (int s = 0; s < 3; ++s)
      for (int q = 0; q < conv; ++q)
        for (int n = 0; n < (per_column ? p.n : 1); ++n) {
          const auto& map =
              layer.calibration()
                  .mtj_maps[static_cast<std::size_t>(per_column ? (s * conv + q) * p.n + n : s * conv + q)];
          const double mean = per_column ? stats.column_mean(s, q, n) : stats.conversion_mean(s, q);
          const double sd = per_column ? stats.column_stddev(s, q, n) : stats.conversion_stddev(s, q);
          EXPECT_DOUBLE_EQ(map.scale, 1.0 / (3.0 * std::max(sd, 0.5)));
          EXPECT_NEAR(map.x_of(mean), 0.0, 1e-12);
        }
    std::uint64_t total = 0;
    for (const auto& h : stats.histogram)
      for (auto v : h) total += v;
    EXPECT_EQ(total, static_cast<std::uint64_t>(p.m) * 4 * 3 * layer.column_groups().size() * p.n);
    // Moments of each conversion (input bit i, weight digit j) of subarray 1, output 2, against
    // a direct computation from the exact PS; and the conversion's moments over all outputs.
    for (int i = 0; i < 4; ++i)
      for (int j = 0; j < 4; ++j) {
        const int q = i * groups + j;
        double count = 0, sum = 0, sum2 = 0, all_count = 0, all_sum = 0, all_sum2 = 0;
        for (int row = 0; row < p.m; ++row)
          for (int n = 0; n < p.n; ++n) {
            int ps = 0;
            for (int kk = 64; kk < 128; ++kk) {
              const int a = (p.act[static_cast<std::size_t>(row) * p.k + kk] >> i) & 1;
              ps += a * cimmc::arch::encode(p.w[static_cast<std::size_t>(n) * p.k + kk], 4, Encoding::kTwosComplement)
                            .digit[j];
            }
            all_count += 1;
            all_sum += ps;
            all_sum2 += static_cast<double>(ps) * ps;
            if (n != 2) continue;
            count += 1;
            sum += ps;
            sum2 += static_cast<double>(ps) * ps;
          }
        EXPECT_DOUBLE_EQ(stats.column_mean(1, q, 2), sum / count);
        EXPECT_NEAR(stats.column_stddev(1, q, 2), std::sqrt((sum2 - sum * sum / count) / (count - 1)), 1e-9);
        EXPECT_NEAR(stats.conversion_mean(1, q), all_sum / all_count, 1e-12);
        EXPECT_NEAR(stats.conversion_stddev(1, q),
                    std::sqrt((all_sum2 - all_sum * all_sum / all_count) / (all_count - 1)), 1e-9);
      }
    // The sign digit (j = 3, negative) and a positive digit have different distributions: the
    // reason for one map per conversion.
    EXPECT_LT(stats.conversion_mean(1, 3 * groups + 3), 0.0);
    EXPECT_GT(stats.conversion_mean(1, 3 * groups + 0), 0.0);
    // Merging doubles the counts and keeps the moments.
    PsStatistics twice = stats;
    twice.merge(stats);
    EXPECT_DOUBLE_EQ(twice.column_mean(1, 5, 2), stats.column_mean(1, 5, 2));
  }
  // A wrong number of maps is rejected, among them the old one-per-subarray-and-output layout.
  CrossbarLayer layer(c, 0, p.w, p.n, p.k);
  for (const std::size_t wrong : {std::size_t{4}, std::size_t{3}, static_cast<std::size_t>(3 * p.n)}) {
    LayerCalibration bad;
    bad.mtj_maps.resize(wrong);
    EXPECT_THROW(layer.set_calibration(bad), cimmc::core::ArgumentError) << wrong << " maps";
  }
}

TEST(CrossbarLayer, MtjWithPerConversionMapsFollowsThePartialSumsOfABitSerialArray) {
  // Bit-serial inputs and a differential two's-complement weight: the sign digit's PS is
  // negative, the other digits' positive. With one map per conversion, many samples and maps
  // wide enough not to clip, the readout reproduces the exact GEMM (relative error of the
  // binomial estimate only); a map pooled over conversions would not be centred on any of them.
  std::mt19937 gen(test_seed() + 11);
  CrossbarConfig c = mtj_config(128, Encoding::kTwosComplement);
  c.readout.mtj.samples = 4096;
  c.readout.mtj.calibration_sigmas = 4.0;
  const Problem p = random_problem(gen, 40, 6, 200, 4, 4);
  CrossbarLayer layer(c, 0, p.w, p.n, p.k);
  const PsStatistics stats = layer.collect_statistics(p.act, p.m);
  const std::vector<double> exact = integer_gemm(p);
  const auto relative_error = [&] {
    std::vector<double> out(static_cast<std::size_t>(p.m) * p.n);
    Counters counters;
    layer.run(p.act, p.m, {}, 3, out, counters);
    double err = 0, norm = 0;
    for (std::size_t i = 0; i < out.size(); ++i) {
      err += (out[i] - exact[i]) * (out[i] - exact[i]);
      norm += exact[i] * exact[i];
    }
    return std::sqrt(err / norm);
  };
  layer.calibrate(stats);
  const double per_conversion = relative_error();
  EXPECT_LT(per_conversion, 0.05);
  // The same maps pooled over the conversions of each (subarray, output) clip the sign digit.
  LayerCalibration pooled = layer.calibration();
  const int conv = 4 * static_cast<int>(layer.column_groups().size());
  for (int s = 0; s < layer.geometry().subarrays; ++s)
    for (int n = 0; n < p.n; ++n) {
      double count = 0, sum = 0, sum2 = 0;
      for (int q = 0; q < conv; ++q) {
        const std::size_t i = (static_cast<std::size_t>(s) * conv + q) * p.n + n;
        count += stats.column_count[i];
        sum += stats.column_sum[i];
        sum2 += stats.column_sum_squares[i];
      }
      const double mean = sum / count, sd = std::sqrt((sum2 - count * mean * mean) / (count - 1));
      for (int q = 0; q < conv; ++q) {
        auto& map = pooled.mtj_maps[(static_cast<std::size_t>(s) * conv + q) * p.n + n];
        map.scale = 1.0 / (4.0 * sd);
        map.offset = -mean * map.scale;
      }
    }
  layer.set_calibration(pooled);
  const double pooled_error = relative_error();
  EXPECT_GT(pooled_error, 2 * per_conversion);
  std::printf("relative rms error: per-conversion maps %.4f, pooled maps %.4f\n", per_conversion, pooled_error);
}

TEST(CrossbarLayer, MtjSamplingLengthFollowsLayerAndBitSignificance) {
  std::mt19937 gen(test_seed() + 9);
  CrossbarConfig c = config_of(128, 1, 4, 4, SignedScheme::kTwosComplement, Encoding::kTwosComplement);
  c.readout.kind = ReadoutKind::kStochasticMtj;
  c.readout.mtj.samples = 4;
  c.readout.mtj.samples_rule.push_back({{5}, {3}, {}, 16});  // layer 5, MSB of the input: T = 16
  c.readout.mtj.samples_rule.push_back({{5}, {}, {3}, 2});   // layer 5, MSB weight column: T = 2
  c.readout.mtj.samples_rule.push_back({{6}, {}, {}, 32});   // another layer: not this one
  const Problem p = random_problem(gen, 3, 7, 200, 4, 4);
  const CrossbarLayer layer(c, 5, p.w, p.n, p.k);
  std::vector<double> out(static_cast<std::size_t>(p.m) * p.n);
  Counters counters;
  layer.run(p.act, p.m, {}, 1, out, counters);
  std::uint64_t per_row_output = 0;  // Σ over (input bit, column group) of T, per subarray
  for (int i = 0; i < 4; ++i)
    for (const auto& g : layer.column_groups()) per_row_output += g.weight_bit == 3 ? 2 : i == 3 ? 16 : 4;
  EXPECT_EQ(counters.mtj_samples, per_row_output * p.m * p.n * layer.geometry().subarrays);
  EXPECT_EQ(counters.mtj_reads, counters.partial_sums);
}

TEST(CrossbarLayer, SparseMtjAddsAnExactZeroForAllZeroPsAndSamplesTheRestAsBefore) {
  // Rows 0 .. 9 have no driven input (every PS all zero), rows 10 .. 19 have every input bit set
  // (with random nonzero weights no PS of theirs is all zero). With the same maps, the sparse
  // readout gives exactly 0 for the first rows, while the dense one samples their PS = 0 through
  // the calibrated map (nonzero decoded values), and both give identical values for the others:
  // the skipped PS consume their random words, so the streams of the rest do not move.
  std::mt19937 gen(test_seed() + 12);
  CrossbarConfig c = mtj_config(128, Encoding::kSignMagnitude);
  c.readout.mtj.samples = 4;
  Problem p = random_problem(gen, 20, 9, 200, 4, 4, 0.0);
  for (auto& w : p.w) w = static_cast<std::int8_t>(w == 0 || w == -8 ? 7 : w);  // |w| in 1..7
  std::fill(p.act.begin(), p.act.begin() + 10 * p.k, std::uint8_t{0});
  std::fill(p.act.begin() + 10 * p.k, p.act.end(), std::uint8_t{15});
  const Problem calibration = random_problem(gen, 30, 9, 200, 4, 4);
  c.readout.mtj.sparse = true;
  CrossbarLayer sparse(c, 3, p.w, p.n, p.k);
  sparse.calibrate(sparse.collect_statistics(calibration.act, calibration.m));
  c.readout.mtj.sparse = false;
  CrossbarLayer dense(c, 3, p.w, p.n, p.k);
  dense.set_calibration(sparse.calibration());
  std::vector<double> out_sparse(static_cast<std::size_t>(p.m) * p.n), out_dense(out_sparse.size());
  Counters cs, cd;
  sparse.run(p.act, p.m, {0, 0, 2, 0, 1}, 5, out_sparse, cs);
  dense.run(p.act, p.m, {0, 0, 2, 0, 1}, 5, out_dense, cd);
  int dense_nonzero = 0;
  for (int row = 0; row < 10; ++row)
    for (int n = 0; n < p.n; ++n) {
      const std::size_t i = static_cast<std::size_t>(row) * p.n + n;
      EXPECT_EQ(out_sparse[i], 0.0) << row << ", " << n;
      dense_nonzero += out_dense[i] != 0.0 ? 1 : 0;
    }
  EXPECT_GT(dense_nonzero, 10 * p.n / 2);
  for (int row = 10; row < 20; ++row)
    for (int n = 0; n < p.n; ++n) {
      const std::size_t i = static_cast<std::size_t>(row) * p.n + n;
      EXPECT_EQ(out_sparse[i], out_dense[i]) << row << ", " << n;
    }
  EXPECT_EQ(cs.mtj_skipped, cs.partial_sums / 2);
  EXPECT_EQ(cd.mtj_skipped, 0u);
  EXPECT_EQ(cd.mtj_reads, cd.partial_sums);
  // Readout slopes: a skipped PS is passed exactly (slope 1).
  std::vector<float> slopes(static_cast<std::size_t>(p.m) * sparse.geometry().subarrays * p.n);
  sparse.readout_slopes(p.act, p.m, slopes, CrossbarLayer::SlopeModel::kExpected);
  for (int s = 0; s < sparse.geometry().subarrays; ++s)
    for (int row = 0; row < 10; ++row)
      for (int n = 0; n < p.n; ++n) EXPECT_EQ(slopes[(static_cast<std::size_t>(s) * p.m + row) * p.n + n], 1.0f);
  std::vector<float> dense_slopes(slopes.size());
  dense.readout_slopes(p.act, p.m, dense_slopes, CrossbarLayer::SlopeModel::kExpected);
  int sampled_slopes = 0;  // the dense readout's slope of PS = 0 is that of the MTJ's mean curve
  for (int s = 0; s < sparse.geometry().subarrays; ++s)
    for (int row = 0; row < 10; ++row)
      for (int n = 0; n < p.n; ++n)
        sampled_slopes += dense_slopes[(static_cast<std::size_t>(s) * p.m + row) * p.n + n] != 1.0f ? 1 : 0;
  EXPECT_GT(sampled_slopes, 0);
}

TEST(CrossbarLayer, MtjWordRecordsServeExactPsOnlyAndDrawWhatPerPsEvaluationDraws) {
  // Per-column maps for 64 outputs × 2 subarrays × 16 conversions (4 input bits × 4 column
  // groups): threshold tables would take ~280 MiB, so exact PS read per-map word records (maps
  // for unsigned and signed readout: 4096 maps, stored for the PS a map does not clamp, less
  // than 257 PS × 24 bytes each). With no room for records, P is evaluated per PS and K drawn
  // from the same word: the same outputs. Cell deviations make PS analog: the records are freed
  // (and the readout draws T Bernoulli words per PS); removing them builds the records again.
  std::mt19937 gen(test_seed() + 13);
  CrossbarConfig c = mtj_config(128, Encoding::kSignMagnitude);
  c.readout.mtj.samples = 4;
  const Problem p = random_problem(gen, 6, 64, 200, 4, 4);
  CrossbarLayer layer(c, 2, p.w, p.n, p.k);
  layer.calibrate(layer.collect_statistics(p.act, p.m));
  ASSERT_EQ(layer.geometry().subarrays, 2);
  ASSERT_EQ(layer.column_groups().size(), 4u);
  const std::size_t full_records = std::size_t{2} * 16 * 64 * 2 * 257 * 24;
  const std::size_t with_records = layer.readout_table_bytes();
  std::vector<double> exact(static_cast<std::size_t>(p.m) * p.n), per_ps(exact.size()), again(exact.size());
  Counters counters;
  layer.run(p.act, p.m, {0, 0, 2, 0, 1}, 9, exact, counters);
  layer.set_readout_table_caps(kMaxThresholdTableBytes, 0);
  const std::size_t records = with_records - layer.readout_table_bytes();
  EXPECT_GT(records, std::size_t{0});
  EXPECT_LT(records, full_records);
  layer.run(p.act, p.m, {0, 0, 2, 0, 1}, 9, per_ps, counters);
  EXPECT_EQ(per_ps, exact);
  layer.set_readout_table_caps(kMaxThresholdTableBytes, kMaxWordLimitBytes);
  EXPECT_EQ(layer.readout_table_bytes(), with_records);
  layer.set_cell_deviations(std::vector<float>(layer.cell_levels().size(), 0.0f));
  EXPECT_EQ(layer.readout_table_bytes(), with_records - records);
  layer.set_cell_deviations({});
  EXPECT_EQ(layer.readout_table_bytes(), with_records);
  layer.run(p.act, p.m, {0, 0, 2, 0, 1}, 9, again, counters);
  EXPECT_EQ(again, exact);
  int distinct = 0;  // the draws are random: another seed moves them
  layer.run(p.act, p.m, {0, 0, 2, 0, 1}, 10, again, counters);
  for (std::size_t i = 0; i < again.size(); ++i) distinct += again[i] != exact[i] ? 1 : 0;
  EXPECT_GT(distinct, 0);
}

TEST(CrossbarLayer, MtjWordRecordsGiveWhatPerPsEvaluationGivesWithEveryKernel) {
  // The word-record readout of T = 4 reads 16 outputs at a time by gathers on AVX-512 (the rest,
  // and other T, one at a time): with every kernel the outputs and counters equal those of P
  // evaluated per PS (no room for records), for 40 outputs (two vectors and a tail), dense and
  // sparse with ideal zero detection (zero PS read output 0's map), T = 4, 3 and 6 (two words per
  // entry). About 300 000 PS per run: a word whose top 15 bits tie with a threshold's (which the
  // full thresholds decide) comes about 4 · 2^−15 per PS, some 40 times per run at T = 4.
  std::mt19937 gen(test_seed() + 31);
  CrossbarConfig dense = mtj_config(128, Encoding::kSignMagnitude);
  dense.readout.mtj.samples = 4;
  CrossbarConfig sparse = dense;
  sparse.readout.mtj.sparse = true;
  sparse.readout.mtj.ideal_zero_detection = true;
  sparse.readout.mtj.calibration_sigmas = 1.5;
  CrossbarConfig three = dense;
  three.readout.mtj.samples = 3;
  CrossbarConfig six = dense;
  six.readout.mtj.samples = 6;
  const CrossbarConfig configs[] = {dense, sparse, three, six};
  for (std::size_t ci = 0; ci < std::size(configs); ++ci) {
    const Problem p = random_problem(gen, 240, 40, 300, 4, 4, 0.5);
    CrossbarLayer layer(configs[ci], 2, p.w, p.n, p.k);
    layer.calibrate(layer.collect_statistics(p.act, p.m));
    std::vector<double> per_ps(static_cast<std::size_t>(p.m) * p.n), out(per_ps.size());
    const std::size_t with_records = layer.readout_table_bytes();
    layer.set_readout_table_caps(kMaxThresholdTableBytes, 0);
    ASSERT_LT(layer.readout_table_bytes(), with_records) << "config " << ci << ": no word records";
    Counters reference;
    layer.run(p.act, p.m, {0, 1, 2, 0, 1}, 5, per_ps, reference);
    layer.set_readout_table_caps(kMaxThresholdTableBytes, kMaxWordLimitBytes);
    for (cimmc::core::KernelIsa isa :
         {cimmc::core::KernelIsa::kPortable, cimmc::core::KernelIsa::kAvx2, cimmc::core::KernelIsa::kAvx512}) {
      if (!cimmc::core::kernel_isa_supported(isa)) continue;
      layer.set_kernel(isa);
      Counters counters;
      layer.run(p.act, p.m, {0, 1, 2, 0, 1}, 5, out, counters);
      EXPECT_EQ(out, per_ps) << "config " << ci << ", " << cimmc::core::kernel_isa_name(isa);
      EXPECT_EQ(counters.mtj_reads, reference.mtj_reads) << "config " << ci;
      EXPECT_EQ(counters.mtj_skipped, reference.mtj_skipped) << "config " << ci;
    }
    if (ci == 1) {
      EXPECT_GT(reference.mtj_skipped, 0u);
    }
  }
}

TEST(CrossbarLayer, MtjThresholdTablesWordRecordsAndPerPsEvaluationDrawTheSameK) {
  // Maps per subarray (no calibration): the threshold tables fit. Without room for them the
  // layer reads word records, without room for those it evaluates P per PS; all three draw K
  // from one word by the same thresholds, so the outputs are equal, with every kernel.
  std::mt19937 gen(test_seed() + 37);
  CrossbarConfig c = mtj_config(128, Encoding::kSignMagnitude);
  c.readout.mtj.samples = 4;
  const Problem p = random_problem(gen, 40, 40, 300, 4, 4);
  CrossbarLayer layer(c, 2, p.w, p.n, p.k);
  std::vector<double> tables(static_cast<std::size_t>(p.m) * p.n), out(tables.size());
  Counters counters;
  layer.run(p.act, p.m, {0, 1, 2, 0, 1}, 7, tables, counters);
  const std::size_t table_bytes = layer.readout_table_bytes();
  for (const std::size_t record_cap : {kMaxWordLimitBytes, std::size_t{0}}) {
    layer.set_readout_table_caps(0, record_cap);
    EXPECT_LT(layer.readout_table_bytes(), table_bytes) << record_cap;
    for (cimmc::core::KernelIsa isa :
         {cimmc::core::KernelIsa::kPortable, cimmc::core::KernelIsa::kAvx2, cimmc::core::KernelIsa::kAvx512}) {
      if (!cimmc::core::kernel_isa_supported(isa)) continue;
      layer.set_kernel(isa);
      layer.run(p.act, p.m, {0, 1, 2, 0, 1}, 7, out, counters);
      EXPECT_EQ(out, tables) << "record cap " << record_cap << ", " << cimmc::core::kernel_isa_name(isa);
    }
  }
}

TEST(CrossbarLayer, MtjOneWordAndBernoulliDrawsHaveTheSameDistribution) {
  // Exact PS draw K from one word by inverse CDF; analog PS (here all-zero cell deviations, the
  // same values) draw T Bernoulli words. Over 400 seeds each, the mean and the variance of every
  // output agree within their standard errors: the sum of the squared z-scores of the 2 · 320
  // statistics is χ² with 640 degrees of freedom (mean 640, sd 36); the bound is 5 sd (it
  // measured 604 to 664 over four test seeds). Adding 0.01 to every P of the one-word sampler
  // makes it about 6 900.
  std::mt19937 gen(test_seed() + 41);
  CrossbarConfig c = mtj_config(128, Encoding::kSignMagnitude);
  c.readout.mtj.samples = 4;
  c.readout.mtj.calibration_sigmas = 1.5;
  const Problem p = random_problem(gen, 8, 40, 300, 4, 4);
  CrossbarLayer exact(c, 2, p.w, p.n, p.k);
  exact.calibrate(exact.collect_statistics(p.act, p.m));
  CrossbarLayer analog(c, 2, p.w, p.n, p.k);
  analog.set_calibration(exact.calibration());
  analog.set_cell_deviations(std::vector<float>(analog.cell_levels().size(), 0.0f));
  const std::size_t size = static_cast<std::size_t>(p.m) * p.n;
  constexpr int kSeeds = 400;
  std::vector<double> outs[2], out(size);
  for (int side = 0; side < 2; ++side) {
    Counters counters;
    for (int seed = 0; seed < kSeeds; ++seed) {
      (side == 0 ? exact : analog)
          .run(p.act, p.m, {0, 1, 2, 0, 1}, 1000 + static_cast<std::uint64_t>(seed), out, counters);
      outs[side].insert(outs[side].end(), out.begin(), out.end());
    }
  }
  double chi2 = 0.0;
  int statistics = 0;
  for (std::size_t i = 0; i < size; ++i) {
    double mean[2], var[2], var_of_var[2];
    for (int side = 0; side < 2; ++side) {
      double s1 = 0.0;
      for (int seed = 0; seed < kSeeds; ++seed) s1 += outs[side][static_cast<std::size_t>(seed) * size + i];
      mean[side] = s1 / kSeeds;
      double m2 = 0.0, m4 = 0.0;
      for (int seed = 0; seed < kSeeds; ++seed) {
        const double d = outs[side][static_cast<std::size_t>(seed) * size + i] - mean[side];
        m2 += d * d;
        m4 += d * d * d * d;
      }
      m2 /= kSeeds;
      m4 /= kSeeds;
      var[side] = m2 * kSeeds / (kSeeds - 1);
      // Var of the sample variance: (μ4 − σ⁴ (n − 3)/(n − 1)) / n.
      var_of_var[side] = (m4 - m2 * m2 * (kSeeds - 3.0) / (kSeeds - 1.0)) / kSeeds;
    }
    const double se_mean = std::sqrt((var[0] + var[1]) / kSeeds);
    const double se_var = std::sqrt(var_of_var[0] + var_of_var[1]);
    if (se_mean > 0.0) {
      chi2 += std::pow((mean[0] - mean[1]) / se_mean, 2);
      ++statistics;
    }
    if (se_var > 0.0) {
      chi2 += std::pow((var[0] - var[1]) / se_var, 2);
      ++statistics;
    }
  }
  ASSERT_GT(statistics, static_cast<int>(size));
  EXPECT_LT(chi2, statistics + 5.0 * std::sqrt(2.0 * statistics)) << statistics << " statistics";
  EXPECT_GT(chi2, statistics - 5.0 * std::sqrt(2.0 * statistics)) << statistics << " statistics";
}

TEST(CrossbarLayer, ReprogrammedLayerComputesWhatANewLayerComputes) {
  // reprogram() keeps the readout tables (they depend on the calibration, not on the weights):
  // after it, run(), readout_slopes() and the counters equal those of a layer constructed with
  // the new weights at the same variation address and calibration, also when the new weights
  // use another set of planes (the most negative value adds one) and go back again. Calibrated
  // MTJ maps do not fit another set of column groups: reprogram() then throws, as
  // set_calibration() on a new layer does, and leaves the layer uncalibrated.
  std::mt19937 gen(test_seed() + 21);
  CrossbarConfig bit_serial = mtj_config(128, Encoding::kSignMagnitude);
  bit_serial.readout.mtj.samples = 4;
  bit_serial.readout.mtj.sparse = true;
  bit_serial.readout.mtj.calibration_sigmas = 1.5;
  CrossbarConfig one_pulse = config_of(128, 3, 4, 4, SignedScheme::kDifferential, Encoding::kSignMagnitude);
  one_pulse.dac_bits = 4;
  one_pulse.readout.kind = ReadoutKind::kStochasticMtj;
  CrossbarConfig trimmed = bit_serial;
  trimmed.readout.mtj.trim.ideal = false;
  trimmed.readout.mtj.trim.gain_mismatch = trimmed.readout.mtj.trim.offset_mismatch = 0.02;
  CrossbarConfig adc = config_of(128, 1, 4, 4, SignedScheme::kDifferential, Encoding::kSignMagnitude);
  adc.readout.kind = ReadoutKind::kAdc;
  adc.readout.adc.bits = 5;
  adc.readout.adc.calibrated_range = true;
  adc.noise = cimmc::circuit::NoiseParams::relative_full_scale(0.01);
  const CrossbarConfig configs[] = {bit_serial, one_pulse, trimmed, adc};
  for (std::size_t ci = 0; ci < std::size(configs); ++ci) {
    const CrossbarConfig* c = &configs[ci];
    Problem p = random_problem(gen, 12, 40, 300, 4, 4);
    for (auto& x : p.w) x = std::max<std::int8_t>(x, -7);  // symmetric, as quantized networks are
    for (const bool calibrated : {true, false}) {
      CrossbarLayer layer(*c, 3, p.w, p.n, p.k);
      layer.set_variation_address(5, 1, 2);
      if (calibrated) layer.calibrate(layer.collect_statistics(p.act, p.m));
      std::vector<std::int8_t> w = p.w;
      for (int round = 0; round < 4; ++round) {
        // Round 2 brings in the most negative value (another plane set), round 3 takes it out.
        for (auto& x : w) x = static_cast<std::int8_t>(std::clamp(x + static_cast<int>(gen() % 3) - 1, -7, 7));
        if (round == 2) w[5] = -8;
        if (round == 2 && !layer.calibration().mtj_maps.empty()) {
          EXPECT_THROW(layer.reprogram(w), cimmc::core::ArgumentError);
          EXPECT_TRUE(layer.calibration().mtj_maps.empty());
        } else {
          layer.reprogram(w);
        }
        CrossbarLayer fresh(*c, 3, w, p.n, p.k);
        fresh.set_variation_address(5, 1, 2);
        fresh.set_calibration(layer.calibration());
        ASSERT_EQ(layer.plane_names(), fresh.plane_names());
        EXPECT_EQ(layer.readout_table_bytes(), fresh.readout_table_bytes());
        std::vector<double> a(static_cast<std::size_t>(p.m) * p.n), b(a.size());
        Counters ca, cb;
        layer.run(p.act, p.m, {0, 4, 3, 0, 3}, 11, a, ca);
        fresh.run(p.act, p.m, {0, 4, 3, 0, 3}, 11, b, cb);
        EXPECT_EQ(a, b) << "config " << ci << ", calibrated " << calibrated << ", round " << round;
        EXPECT_EQ(ca.mtj_skipped, cb.mtj_skipped);
        EXPECT_EQ(ca.weight_plane_ones, cb.weight_plane_ones);
        std::vector<float> sa(static_cast<std::size_t>(p.m) * layer.geometry().subarrays * p.n), sb(sa.size());
        layer.readout_slopes(p.act, p.m, sa);
        fresh.readout_slopes(p.act, p.m, sb);
        EXPECT_EQ(sa, sb);
      }
    }
  }
}

TEST(CrossbarLayer, RunGivesTheReadoutSlopesOfItsRowsBitForBitAndTheSameOutputs) {
  // A run asked for slopes computes them from its own partial sums: they equal readout_slopes'
  // bit for bit, and the outputs and counters equal those of a run without (same streams). Cases:
  // MTJ per-column maps, sparse with ideal or digital detection, exact or noisy, both models;
  // a calibrated ADC with noise; the ideal readout (all ones).
  std::mt19937 gen(test_seed() + 31);
  Problem p = random_problem(gen, 23, 11, 150, 4, 4);
  // Idle input streams: rows 0-3 drive nothing in subarray 0, rows 4-7 only input bit 0.
  for (int row = 0; row < 8; ++row)
    for (int kk = 0; kk < 64; ++kk) {
      auto& a = p.act[static_cast<std::size_t>(row) * p.k + kk];
      a = row < 4 ? 0 : a & 1;
    }
  struct Case {
    std::string name;
    CrossbarConfig config;
    CrossbarLayer::SlopeModel model;
  };
  std::vector<Case> cases;
  for (const bool ideal_detection : {true, false})
    for (const bool noisy : {false, true})
      for (const auto model : {CrossbarLayer::SlopeModel::kRange, CrossbarLayer::SlopeModel::kExpected}) {
        CrossbarConfig c = mtj_config(64, Encoding::kSignMagnitude);
        c.readout.mtj.calibration_sigmas = 1.0;
        c.readout.mtj.per_column_calibration = true;
        c.readout.mtj.sparse = true;
        c.readout.mtj.ideal_zero_detection = ideal_detection;
        if (noisy) c.noise.sense_sigma_lsb = 0.5;
        cases.push_back(
            {fmt::format("mtj ideal={} noisy={} model={}", ideal_detection, noisy, static_cast<int>(model)), c, model});
      }
  CrossbarConfig adc = config_of(64, 1, 4, 4, SignedScheme::kDifferential, Encoding::kTwosComplement);
  adc.readout.kind = ReadoutKind::kAdc;
  adc.readout.adc.bits = 3;
  adc.readout.adc.calibrated_range = true;
  adc.readout.adc.clip_percentile = 70.0;
  adc.noise = cimmc::circuit::NoiseParams::relative_full_scale(0.02, 0.0, 0.0);
  cases.push_back({"adc", adc, CrossbarLayer::SlopeModel::kRange});
  cases.push_back({"ideal", config_of(64, 1, 4, 4, SignedScheme::kDifferential, Encoding::kTwosComplement),
                   CrossbarLayer::SlopeModel::kRange});
  for (const auto& [name, config, model] : cases) {
    SCOPED_TRACE(name);
    CrossbarLayer layer(config, 2, p.w, p.n, p.k);
    layer.calibrate(layer.collect_statistics(p.act, p.m));
    const std::size_t size = static_cast<std::size_t>(p.m) * layer.geometry().subarrays * p.n;
    std::vector<float> alone(size), fused(size, -1.0f);
    layer.readout_slopes(p.act, p.m, alone, model);
    std::vector<double> plain(static_cast<std::size_t>(p.m) * p.n), with(plain.size());
    Counters cp, cw;
    const RunAddress address{1, 3, 2, 40, 5};
    layer.run(p.act, p.m, address, 9, plain, cp);
    layer.run(p.act, p.m, address, 9, with, cw, fused, model);
    EXPECT_EQ(plain, with);
    EXPECT_EQ(cp.mtj_reads, cw.mtj_reads);
    EXPECT_EQ(cp.mtj_skipped, cw.mtj_skipped);
    EXPECT_EQ(cp.clipped, cw.clipped);
    EXPECT_EQ(cp.noise_draws, cw.noise_draws);
    int fractional = 0;
    for (std::size_t i = 0; i < size; ++i) {
      ASSERT_EQ(std::bit_cast<std::uint32_t>(alone[i]), std::bit_cast<std::uint32_t>(fused[i])) << i;
      fractional += alone[i] > 0.0f && alone[i] < 1.0f;
    }
    if (name != "ideal") {
      EXPECT_GT(fractional, 0);  // the slopes are not all ones
    }
  }
  CrossbarLayer layer(cases.front().config, 2, p.w, p.n, p.k);
  std::vector<double> out(static_cast<std::size_t>(p.m) * p.n);
  std::vector<float> short_slopes(static_cast<std::size_t>(p.m) * layer.geometry().subarrays * p.n - 1);
  Counters counters;
  EXPECT_THROW(layer.run(p.act, p.m, {}, 1, out, counters, short_slopes), cimmc::core::ArgumentError);
}

TEST(CrossbarLayer, ReadoutSlopesAreTheWeightedShareOfConversionsInsideTheRange) {
  // Stochastic MTJ, per-column maps at 1σ (many PS clip), bit-serial 4-bit inputs and
  // differential 1-bit cells: for subarray s and output n the slope is the mean over (input
  // bit i, weight digit j) of [|x(PS)| <= 1], weighted by 2^i · 2^j.
  std::mt19937 gen(test_seed() + 10);
  CrossbarConfig c = mtj_config(64, Encoding::kTwosComplement);
  c.readout.mtj.calibration_sigmas = 1.0;
  c.readout.mtj.per_column_calibration = true;
  const Problem p = random_problem(gen, 12, 5, 150, 4, 4);
  CrossbarLayer layer(c, 0, p.w, p.n, p.k);
  layer.calibrate(layer.collect_statistics(p.act, p.m));
  const int subarrays = layer.geometry().subarrays;
  ASSERT_EQ(subarrays, 3);
  std::vector<float> slopes(static_cast<std::size_t>(p.m) * subarrays * p.n);
  layer.readout_slopes(p.act, p.m, slopes);
  // The exact PS of input bit i and weight digit j in subarray s (64 rows) for output n.
  const auto subarray_ps = [&](int row, int s, int n, int i, int j) {
    int ps = 0;
    for (int kk = 64 * s; kk < std::min(p.k, 64 * (s + 1)); ++kk) {
      const int a = (p.act[static_cast<std::size_t>(row) * p.k + kk] >> i) & 1;
      ps += a * encode(p.w[static_cast<std::size_t>(n) * p.k + kk], 4, Encoding::kTwosComplement).digit[j];
    }
    return ps;
  };
  // The map of input bit i and weight digit j (column group j: one signed group per digit).
  ASSERT_EQ(layer.column_groups().size(), 4u);
  const auto map_of = [&](int s, int i, int j, int n) -> const cimmc::circuit::AffineMap& {
    return layer.calibration().mtj_maps[static_cast<std::size_t>((s * 16 + i * 4 + j) * p.n + n)];
  };
  int fractional = 0;
  for (int row = 0; row < p.m; ++row)
    for (int s = 0; s < subarrays; ++s)
      for (int n = 0; n < p.n; ++n) {
        double inside = 0, total = 0;
        for (int i = 0; i < 4; ++i)
          for (int j = 0; j < 4; ++j) {
            const auto& map = map_of(s, i, j, n);
            const int ps = subarray_ps(row, s, n, i, j);
            const double w = std::ldexp(1.0, i + j);
            total += w;
            if (std::abs(map.scale * ps + map.offset) <= 1.0) inside += w;  // x_of clamps
          }
        const float got = slopes[(static_cast<std::size_t>(s) * p.m + row) * p.n + n];
        EXPECT_NEAR(got, inside / total, 1e-6) << "row " << row << " subarray " << s << " output " << n;
        fractional += got > 0.0f && got < 1.0f;
      }
  EXPECT_GT(fractional, 0);  // the test sees clipped and unclipped conversions

  // The expected-response slope with mean decoding: (a/2)(1 − tanh²(a·x/2)) inside the range
  // (read from a 1025-point table: within 5e-3 of the analytic value).
  c.readout.mtj.decode = cimmc::circuit::MtjDecode::kMean;
  CrossbarLayer mean_layer(c, 0, p.w, p.n, p.k);
  mean_layer.set_calibration(layer.calibration());
  mean_layer.readout_slopes(p.act, p.m, slopes, CrossbarLayer::SlopeModel::kExpected);
  for (int row = 0; row < p.m; ++row)
    for (int s = 0; s < subarrays; ++s)
      for (int n = 0; n < p.n; ++n) {
        double weighted = 0, total = 0;
        for (int i = 0; i < 4; ++i)
          for (int j = 0; j < 4; ++j) {
            const auto& map = map_of(s, i, j, n);
            const int ps = subarray_ps(row, s, n, i, j);
            const double w = std::ldexp(1.0, i + j), x = map.scale * ps + map.offset, th = std::tanh(2.0 * x);
            total += w;
            if (std::abs(x) <= 1.0) weighted += w * 2.0 * (1.0 - th * th);
          }
        EXPECT_NEAR(slopes[(static_cast<std::size_t>(s) * p.m + row) * p.n + n], weighted / total, 5e-3)
            << "row " << row << " subarray " << s << " output " << n;
      }

  // Calibrated 3-bit ADC (1-bit inputs, weights in {0, 1}): the +2^0 column passes when its
  // code is at most 7.5 steps, the −2^1 column (PS = 0) always does.
  const int m = 40, n = 4, k = 128;
  const Problem q = binary_problem(gen, m, n, k);
  CrossbarLayer adc(calibrated_adc_config(80.0), 0, q.w, n, k);
  adc.calibrate(adc.collect_statistics(q.act, m));
  const double step = std::max(1.0, adc.calibration().adc_range / 7.0);
  std::vector<float> adc_slopes(static_cast<std::size_t>(m) * n);
  adc.readout_slopes(q.act, m, adc_slopes);
  const std::vector<double> ps = integer_gemm(q);
  int clipped = 0;
  for (std::size_t e = 0; e < ps.size(); ++e) {
    const bool passes = static_cast<float>(ps[e]) * static_cast<float>(1.0 / step) <= 7.5f;
    clipped += !passes;
    EXPECT_FLOAT_EQ(adc_slopes[e], passes ? 1.0f : 2.0f / 3.0f) << "PS " << ps[e];
  }
  EXPECT_GT(clipped, 0);

  // The ideal readout passes everything; wrong sizes are rejected.
  CrossbarLayer ideal(config_of(64, 1, 4, 4, SignedScheme::kDifferential, Encoding::kTwosComplement), 0, p.w, p.n, p.k);
  ideal.readout_slopes(p.act, p.m, slopes);
  EXPECT_TRUE(std::all_of(slopes.begin(), slopes.end(), [](float v) { return v == 1.0f; }));
  std::vector<float> short_slopes(slopes.size() - 1);
  EXPECT_THROW(layer.readout_slopes(p.act, p.m, short_slopes), cimmc::core::ArgumentError);
}
