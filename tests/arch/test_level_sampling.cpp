// Level sampling of ADC codes (cimmc/arch/level_sampling.hpp, docs/rare_event_sampling.md):
//  - every code is the inverse-CDF definition (the smallest c with U < T_c), for every 16-bit
//    top of U, on tables of several quantizers and σ, ties with thresholds included;
//  - the build's kernel gives the reference loop's values, counts and refine draws on random
//    blocks (unaligned ranges, sparse and padded outputs);
//  - tables exist only where stage 1 is exact, and the layer says why it cannot sample by level;
//  - the layer's results do not depend on the thread count, and `auto` picks level sampling where
//    it applies.
#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "cimmc/arch/crossbar_layer.hpp"
#include "cimmc/arch/level_sampling.hpp"
#include "cimmc/core/error.hpp"

namespace level = cimmc::arch::level;
using cimmc::arch::Counters;
using cimmc::arch::CrossbarConfig;
using cimmc::arch::CrossbarLayer;
using cimmc::circuit::AdcQuantizer;
using cimmc::circuit::ReadoutKind;
using cimmc::circuit::ReadoutSampling;
using cimmc::circuit::WordBuffer;

namespace {

constexpr std::uint64_t kAlways = ~std::uint64_t{0};

// The definition: the smallest c in [lo − 1, hi] with U < T_c, else hi + 1.
int defined_code(const level::Table& t, int p, std::uint64_t u) {
  for (int c = t.lo() - 1; c <= t.hi(); ++c) {
    const std::uint64_t th = t.threshold(p, c);
    if (th == kAlways || u < th) return c;
  }
  return t.hi() + 1;
}

WordBuffer refine_stream(std::uint64_t seed) {
  WordBuffer w(16);
  w.reset(seed, {cimmc::core::rng::Purpose::kTest, 0, 0, 0});
  return w;
}

// The words of a one-conversion block whose u16 is `u16`.
std::vector<std::uint32_t> words_with(std::uint16_t u16) {
  std::vector<std::uint32_t> w(level::kWordsPerGroup, 0);
  w[0] = u16 >> 8;     // byte 0: the top byte
  w[8] = u16 & 0xFFu;  // byte 32: the low byte
  return w;
}

struct Case {
  int bits;
  double range;
  bool is_signed;
  double sigma_lsb;  // σ in units of the step
};

const Case kCases[] = {{5, 128.0, false, 0.0},  {5, 128.0, false, 0.01}, {5, 128.0, false, 0.3}, {3, 64.0, false, 0.2},
                       {4, 255.0, false, 0.36}, {6, 100.0, true, 0.25},  {8, 255.0, false, 0.1}, {7, 255.0, true, 0.3}};

level::Table table_of(const Case& c) {
  const AdcQuantizer q(c.bits, c.range, c.is_signed);
  const auto t = level::Table::build(q, c.sigma_lsb * q.step);
  EXPECT_TRUE(t.has_value()) << c.bits << " bits, σ " << c.sigma_lsb << " LSB";
  return *t;
}

}  // namespace

// Every u16 for a spread of partial sums: the two stages give the defined code, with the 48 low
// bits taken from the refine stream only when u16 ties with a threshold's top 16 bits.
TEST(LevelSampling, EveryCodeIsTheInverseCdfDefinition) {
  std::uint8_t valid = 1;
  for (const Case& c : kCases) {
    const level::Table t = table_of(c);
    const int top = std::min(255, static_cast<int>(c.range));
    // PS past the range too (a calibrated ADC clips below the full scale): k0 = hi + 1 there.
    for (int p : {0, 1, 2, top / 7, top / 3, top / 2, top - 1, top, 200, 255}) {
      std::int32_t ps = p;
      int mismatches = 0, refined = 0;
      for (std::uint32_t u16 = 0; u16 < 65536; ++u16) {
        const std::vector<std::uint32_t> words = words_with(static_cast<std::uint16_t>(u16));
        WordBuffer refine = refine_stream(u16 + 1);
        WordBuffer peek = refine_stream(u16 + 1);
        const std::uint32_t* low = peek.take(2);
        const std::uint64_t u = std::uint64_t{u16} << 48 | std::uint64_t{low[0]} << 16 | low[1] >> 16;
        float value = -1.0f;
        const level::Counts n = level::convert_reference(t, {&ps, &valid, words.data(), 0, 1, false, &value}, refine);
        const int expected = defined_code(t, p, u);
        const float expected_value = static_cast<float>(std::min(std::max(expected, t.lo()), t.hi())) * t.step();
        const bool tied = refine.take(1)[0] != refine_stream(u16 + 1).take(1)[0];
        refined += tied ? 1 : 0;
        if (value != expected_value || n.clipped != (expected < t.lo() || expected > t.hi() ? 1 : 0)) ++mismatches;
      }
      EXPECT_EQ(mismatches, 0) << c.bits << " bits, σ " << c.sigma_lsb << " LSB, p = " << p;
      // Ties are rare: at most the thresholds inside (0, 2^64) of p, plus u16 = 0 and 2^16 − 1.
      EXPECT_LE(refined, 2 * (t.hi() - t.lo() + 2) + 2) << c.bits << " bits, p = " << p;
    }
  }
}

// The kernel against the reference loop on random blocks: identical values (bit for bit), counts
// and refine draws, for ranges that start and end inside a group of 32.
TEST(LevelSampling, KernelEqualsTheReferenceLoop) {
  std::mt19937_64 gen(17);
  for (const Case& c : kCases) {
    const level::Table t = table_of(c);
    const int top = std::min(255, static_cast<int>(c.range));
    for (int trial = 0; trial < 40; ++trial) {
      const int elements = 32 * static_cast<int>(1 + gen() % 12);
      std::vector<std::int32_t> ps(static_cast<std::size_t>(elements));
      const bool small = trial % 2 == 0;  // PS of a sparse bit-serial column, or anywhere in range
      for (auto& p : ps)
        p = gen() % 4 == 0 ? 0 : static_cast<std::int32_t>(gen() % static_cast<unsigned>((small ? top / 4 : top) + 1));
      if (trial % 5 == 4)  // PS up to 255 (past a calibrated range): every table row looked up
        for (int i = 0; i < 8; ++i) ps[gen() % ps.size()] = static_cast<std::int32_t>(255 - gen() % 60);
      std::vector<std::uint8_t> valid(static_cast<std::size_t>(elements));
      for (auto& v : valid) v = gen() % 8 == 0 ? 0 : 1;
      std::vector<std::uint32_t> words(level::words_for(static_cast<std::size_t>(elements)));
      for (auto& w : words) w = static_cast<std::uint32_t>(gen());
      // Some bytes on the flagged values, so that stage 2 runs often.
      for (int i = 0; i < 40; ++i) reinterpret_cast<std::uint8_t*>(words.data())[gen() % (words.size() * 4)] = 0;
      const int first = trial % 3 == 0 ? static_cast<int>(gen() % 40) : 0;
      const int last = trial % 3 == 1 ? elements - static_cast<int>(gen() % 40) : elements;
      const bool sparse = trial % 4 < 2;
      std::vector<float> fast(static_cast<std::size_t>(elements), -7.0f), slow(fast);
      WordBuffer refine_fast = refine_stream(trial), refine_slow = refine_stream(trial);
      const level::Counts nf = level::convert(
          t, {ps.data(), valid.data(), words.data(), first, std::max(first, last), sparse, fast.data()}, refine_fast);
      const level::Counts ns = level::convert_reference(
          t, {ps.data(), valid.data(), words.data(), first, std::max(first, last), sparse, slow.data()}, refine_slow);
      EXPECT_EQ(std::memcmp(fast.data(), slow.data(), fast.size() * sizeof(float)), 0)
          << c.bits << " bits, σ " << c.sigma_lsb << ", trial " << trial;
      EXPECT_EQ(nf.clipped, ns.clipped);
      EXPECT_EQ(nf.zero, ns.zero);
      EXPECT_EQ(refine_fast.take(1)[0], refine_slow.take(1)[0]) << "refine draws differ, trial " << trial;
    }
  }
}

// Tables exist up to about σ = 0.37 step (the byte stage's bound) and not beyond; bad σ is an error.
TEST(LevelSampling, TablesExistOnlyWhereTheByteStageIsExact) {
  const AdcQuantizer q(5, 128.0, false);
  EXPECT_TRUE(level::Table::build(q, 0.36 * q.step).has_value());
  EXPECT_FALSE(level::Table::build(q, 0.40 * q.step).has_value());
  EXPECT_FALSE(level::Table::build(q, 1.0 * q.step).has_value());
  EXPECT_THROW((void)level::Table::build(q, -1.0), cimmc::core::ArgumentError);
  EXPECT_THROW((void)level::Table::build(q, std::nan("")), cimmc::core::ArgumentError);
}

namespace {

// A single-ended 5-bit ADC over R = 128 rows of 1-bit cells, bit-serial 4-bit inputs and 4-bit
// weights, σ = `sigma_fraction` of the full scale.
CrossbarConfig adc_config(double sigma_fraction, ReadoutSampling sampling) {
  CrossbarConfig c;
  c.rows = 128;
  c.bits_per_cell = 1;
  c.input_bits = 4;
  c.weight_bits = 4;
  c.readout.kind = ReadoutKind::kAdc;
  c.readout.adc.bits = 5;
  c.readout.sampling = sampling;
  c.noise = cimmc::circuit::NoiseParams::relative_full_scale(sigma_fraction);
  return c;
}

struct Layer {
  std::vector<std::int8_t> w;
  std::vector<std::uint8_t> act;
  int n = 40, k = 300, m = 37;
};

Layer random_layer() {
  Layer l;
  std::mt19937 gen(9);
  l.w.resize(static_cast<std::size_t>(l.n) * l.k);
  for (auto& x : l.w) x = static_cast<std::int8_t>(static_cast<int>(gen() % 15) - 7);
  l.act.resize(static_cast<std::size_t>(l.m) * l.k);
  for (auto& x : l.act) x = gen() % 2 ? 0 : static_cast<std::uint8_t>(gen() % 16);
  return l;
}

std::vector<double> run_layer(const CrossbarConfig& c, const Layer& l, Counters& counters) {
  const CrossbarLayer layer(c, 2, l.w, l.n, l.k);
  std::vector<double> out(static_cast<std::size_t>(l.m) * l.n);
  layer.run(l.act, l.m, {0, 3, 2, 0, 1}, 77, out, counters);
  return out;
}

}  // namespace

TEST(LevelSampling, ResultsDoNotDependOnThreads) {
  const Layer l = random_layer();
  const CrossbarConfig c = adc_config(0.01, ReadoutSampling::kLevel);
  Counters c1, c2;
  std::vector<double> one, two;
  omp_set_num_threads(1);
  one = run_layer(c, l, c1);
  omp_set_num_threads(2);
  two = run_layer(c, l, c2);
  omp_set_num_threads(1);
  EXPECT_EQ(one, two);
  EXPECT_EQ(c1.clipped, c2.clipped);
  EXPECT_EQ(c1.zero_partial_sums, c2.zero_partial_sums);
  EXPECT_EQ(c1.noise_draws, 0u);  // no normals
}

// auto: level sampling where it applies (σ = 0.31 LSB here: neither rare nor too large), the same
// results as asking for it; direct where σ is too large for the tables.
TEST(LevelSampling, AutoChoosesLevelSamplingWhereItApplies) {
  const Layer l = random_layer();
  Counters a, b, d;
  EXPECT_EQ(run_layer(adc_config(0.01, ReadoutSampling::kAuto), l, a),
            run_layer(adc_config(0.01, ReadoutSampling::kLevel), l, b));
  EXPECT_NE(run_layer(adc_config(0.01, ReadoutSampling::kDirect), l, d),
            run_layer(adc_config(0.01, ReadoutSampling::kLevel), l, b));
  // σ = 1.3 LSB: no tables; auto samples directly, and asking for level sampling is an error that
  // says why.
  Counters e, f;
  EXPECT_EQ(run_layer(adc_config(0.04, ReadoutSampling::kAuto), l, e),
            run_layer(adc_config(0.04, ReadoutSampling::kDirect), l, f));
  try {
    Counters g;
    (void)run_layer(adc_config(0.04, ReadoutSampling::kLevel), l, g);
    ADD_FAILURE() << "level sampling of σ = 1.3 LSB did not throw";
  } catch (const cimmc::core::ArgumentError& error) {
    EXPECT_NE(std::string(error.what()).find("σ small against the ADC step"), std::string::npos) << error.what();
  }
}

// Where the layer cannot sample by level, `sampling = "level"` says why.
TEST(LevelSampling, UnavailableConfigurationsSayWhy) {
  const Layer l = random_layer();
  auto message = [&](const CrossbarConfig& c) -> std::string {
    try {
      Counters counters;
      (void)run_layer(c, l, counters);
    } catch (const cimmc::core::ArgumentError& error) {
      return error.what();
    }
    return "";
  };
  CrossbarConfig physical = adc_config(0.0, ReadoutSampling::kLevel);
  physical.noise = cimmc::circuit::NoiseParams{};  // the physical model
  physical.noise.sense_sigma_lsb = 0.1;
  EXPECT_NE(message(physical).find("additive noise of one σ"), std::string::npos) << message(physical);
  CrossbarConfig offsets = adc_config(0.01, ReadoutSampling::kLevel);
  offsets.noise.offset_fraction = 0.001;
  EXPECT_NE(message(offsets).find("without sense-amplifier offsets"), std::string::npos) << message(offsets);
  CrossbarConfig differential = adc_config(0.01, ReadoutSampling::kLevel);
  differential.signed_scheme = cimmc::arch::SignedScheme::kDifferential;
  differential.encoding = cimmc::arch::Encoding::kSignMagnitude;
  EXPECT_NE(message(differential).find("single-ended"), std::string::npos) << message(differential);
  CrossbarConfig wide = adc_config(0.001, ReadoutSampling::kLevel);
  wide.rows = 512;
  EXPECT_NE(message(wide).find("full scale of at most 255"), std::string::npos) << message(wide);
}

// The sampling's definition, pinned: a hash of one level-sampled run's outputs and clipped count,
// the same on every build and kernel (integer decisions; recorded on an AVX-512 build and checked
// by the x86-64-v3 build of CI). A change here changes every level-sampled result.
TEST(LevelSampling, PinnedResults) {
  const Layer l = random_layer();
  Counters counters;
  const std::vector<double> out = run_layer(adc_config(0.01, ReadoutSampling::kLevel), l, counters);
  std::uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a over the bytes
  auto add = [&h](const void* data, std::size_t bytes) {
    const auto* p = static_cast<const unsigned char*>(data);
    for (std::size_t i = 0; i < bytes; ++i) h = (h ^ p[i]) * 0x100000001b3ull;
  };
  add(out.data(), out.size() * sizeof(double));
  add(&counters.clipped, sizeof counters.clipped);
  EXPECT_GT(counters.clipped, 0u);
  EXPECT_EQ(h, 0x2989582ef90c088dull) << std::hex << "0x" << h;
}
