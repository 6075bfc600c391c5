// The physical noise model (docs/physics.md, "Noise") through the crossbar engine: each term's
// mean and variance against what the physics gives, in LSB of one unit-cell signal, for ADC-like
// sums, differential pairs, multi-level cells and LCU groups alike. Seeds are fixed; tolerance:
// 3 standard errors.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "cimmc/arch/crossbar_layer.hpp"
#include "readout_test_util.hpp"

using namespace cimmc::arch;
using cimmc::arch::readout_test::moments;
using cimmc::arch::readout_test::Moments;
using cimmc::arch::readout_test::phi_c;
using cimmc::arch::readout_test::run_columns;
using cimmc::circuit::ReadoutKind;

namespace {

// Bit-serial 1-bit inputs, 2-bit weights (values −1..1), ideal readout, no noise.
CrossbarConfig base(int rows) {
  CrossbarConfig c;
  c.rows = rows;
  c.input_bits = 1;
  c.weight_bits = 2;
  return c;
}

void expect_moments(const std::vector<double>& x, double mean, double var, const char* what) {
  const Moments m = moments(x);
  EXPECT_NEAR(m.mean, mean, 3 * std::sqrt(var / static_cast<double>(x.size()))) << what;
  EXPECT_NEAR(m.var, var, 3 * m.se_var) << what << ": variance " << m.var << " ± " << m.se_var << ", expected " << var;
}

}  // namespace

TEST(PhysicalNoise, OneSumOf128RowsAndSixteenUnquantized8RowGroupsHaveTheSameCellNoise) {
  // Output 0 has 100 active unit cells, output 1 has 43. Read as one 128-row sum (R = 128) or as
  // sixteen 8-row sums added digitally (R = 8, ideal readout: unquantized groups), the per-cell
  // noise gives n · σ_cell² either way. Two's complement 2-bit weights also have a −2^1 column (PS
  // 0, no cell noise); with sense noise every column's sense adds σ_sense², the −2^1 column's with
  // weight 4: one sense per 128-row column against sixteen per column of 8-row groups.
  const int k = 128, rows = 40000;
  std::vector<std::int8_t> w(2 * k, 0);
  for (int i = 0; i < 100; ++i) w[static_cast<std::size_t>(i)] = 1;
  for (int i = 0; i < k; i += 3) w[static_cast<std::size_t>(k + i)] = 1;
  const double active[2] = {100, 43};
  const double cell = 0.5;
  for (const double sense : {0.0, 0.3}) {
    std::vector<Moments> by_rows[2];
    for (const int r : {128, 8}) {
      CrossbarConfig c = base(r);
      c.noise.cell_sigma_lsb = cell;
      c.noise.sense_sigma_lsb = sense;
      const CrossbarLayer layer(c, 1, w, 2, k);
      Counters counters;
      const auto cols = run_columns(layer, std::vector<std::uint8_t>(k, 1), rows, counters);
      const double senses = 128.0 / r;
      for (int n = 0; n < 2; ++n) {
        const double var = active[n] * cell * cell + senses * 5 * sense * sense;
        expect_moments(cols[static_cast<std::size_t>(n)], active[n], var, r == 128 ? "128-row sum" : "8-row groups");
        by_rows[r == 128 ? 0 : 1].push_back(moments(cols[static_cast<std::size_t>(n)]));
      }
    }
    if (sense == 0.0)
      for (int n = 0; n < 2; ++n) {
        const Moments& a = by_rows[0][static_cast<std::size_t>(n)];
        const Moments& b = by_rows[1][static_cast<std::size_t>(n)];
        EXPECT_NEAR(a.var, b.var, 3 * std::hypot(a.se_var, b.se_var)) << "output " << n;
      }
  }
}

TEST(PhysicalNoise, DifferentialPairAddsBothSidesCellNoiseAndIsSensedOnce) {
  // Differential sign-magnitude weights in {−1, 0, 1}: one signed column group. Output 0: 40
  // cells on the positive side, 60 on the negative (PS −20): 100 σ_cell² + σ_sense². Output 1:
  // no active cell, still sensed: σ_sense².
  CrossbarConfig c = base(128);
  c.signed_scheme = SignedScheme::kDifferential;
  c.encoding = Encoding::kSignMagnitude;
  c.noise.cell_sigma_lsb = 0.3;
  c.noise.sense_sigma_lsb = 0.5;
  const int k = 128;
  std::vector<std::int8_t> w(2 * k, 0);
  for (int i = 0; i < 40; ++i) w[static_cast<std::size_t>(i)] = 1;
  for (int i = 40; i < 100; ++i) w[static_cast<std::size_t>(i)] = -1;
  const CrossbarLayer layer(c, 1, w, 2, k);
  ASSERT_EQ(layer.column_groups().size(), 1u);
  Counters counters;
  const auto cols = run_columns(layer, std::vector<std::uint8_t>(k, 1), 40000, counters);
  expect_moments(cols[0], -20.0, 100 * 0.09 + 0.25, "pair");
  expect_moments(cols[1], 0.0, 0.25, "empty pair");
}

TEST(PhysicalNoise, MultiLevelCellsAndMultiBitPulsesAddVariancePerUnitSignal) {
  // 3-bit cells (|w| <= 7) in differential sign-magnitude pairs, 4-bit inputs in one DAC pulse:
  // a cell storing L driven with x carries x · L unit signals, so the variance is
  // σ_cell² Σ x·|w| over both sides, plus σ_sense² for the one sense of the pair.
  CrossbarConfig c = base(128);
  c.bits_per_cell = 3;
  c.input_bits = 4;
  c.dac_bits = 4;
  c.weight_bits = 4;
  c.signed_scheme = SignedScheme::kDifferential;
  c.encoding = Encoding::kSignMagnitude;
  c.noise.cell_sigma_lsb = 0.1;
  c.noise.sense_sigma_lsb = 1.0;
  const int k = 128;
  std::vector<std::int8_t> w(k, 0);
  for (int i = 0; i < 10; ++i) w[static_cast<std::size_t>(i)] = 7;
  for (int i = 10; i < 30; ++i) w[static_cast<std::size_t>(i)] = -3;
  for (int i = 30; i < 50; ++i) w[static_cast<std::size_t>(i)] = static_cast<std::int8_t>(1 + i % 6);
  std::vector<std::uint8_t> act(k);
  for (int i = 0; i < k; ++i) act[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(i % 2 == 0 ? 15 : 6);
  double ps = 0, units = 0;
  for (int i = 0; i < k; ++i) {
    ps += act[static_cast<std::size_t>(i)] * w[static_cast<std::size_t>(i)];
    units += act[static_cast<std::size_t>(i)] * std::abs(w[static_cast<std::size_t>(i)]);
  }
  const CrossbarLayer layer(c, 1, w, 1, k);
  Counters counters;
  const auto cols = run_columns(layer, act, 40000, counters);
  expect_moments(cols[0], ps, units * 0.01 + 1.0, "multi-level");
}

TEST(PhysicalNoise, SenseOffsetIsStaticPerAmplifier) {
  // Fixed within a trial, N(0, σ_offset²) across trials, one per sense amplifier:
  //  - two's complement: the +2^0 and −2^1 columns have their own: out − PS = o0 − 2 o1;
  //  - differential: the pair's difference is sensed by one amplifier: o;
  //  - ZEBRA LCU (step 1): each group of G rows of a 128-row column has its own amplifier, so
  //    the 128 / G sensed levels clamp(round(c + o_g), 0, G) are independent (c = G / 2
  //    bit-products per group). G = 8 takes the byte-popcount path, G = 16 the general one.
  const int k = 128, trials = 2000;
  const double sigma = 0.8;
  struct Case {
    const char* name;
    SignedScheme scheme;
    Encoding encoding;
    ReadoutKind kind;
    int group_rows;
  };
  const Case cases[] = {
      {"two's complement", SignedScheme::kTwosComplement, Encoding::kTwosComplement, ReadoutKind::kIdeal, 8},
      {"differential", SignedScheme::kDifferential, Encoding::kSignMagnitude, ReadoutKind::kIdeal, 8},
      {"lcu G = 8", SignedScheme::kTwosComplement, Encoding::kTwosComplement, ReadoutKind::kZebraLcu, 8},
      {"lcu G = 16", SignedScheme::kTwosComplement, Encoding::kTwosComplement, ReadoutKind::kZebraLcu, 16}};
  for (const Case& cs : cases) {
    const int g = cs.group_rows;
    CrossbarConfig c = base(128);
    c.signed_scheme = cs.scheme;
    c.encoding = cs.encoding;
    c.readout.kind = cs.kind;
    c.readout.lcu.group_rows = g;
    c.readout.lcu.levels = g + 1;
    c.noise.offset_sigma_lsb = sigma;
    std::vector<std::int8_t> w(k, 0);
    for (int i = 0; i < k; ++i) w[static_cast<std::size_t>(i)] = (i % 8) < 4 ? 1 : 0;  // half of every 8 rows
    const CrossbarLayer layer(c, 1, w, 1, k);
    std::vector<double> per_trial;
    for (std::uint32_t trial = 0; trial < trials; ++trial) {
      Counters counters;
      const auto cols = run_columns(layer, std::vector<std::uint8_t>(k, 1), 2, counters, trial);
      EXPECT_EQ(cols[0][0], cols[0][1]) << cs.name;
      per_trial.push_back(cols[0][0]);
    }
    double mean = 64.0, var = (cs.scheme == SignedScheme::kDifferential ? 1.0 : 5.0) * sigma * sigma;
    if (cs.kind == ReadoutKind::kZebraLcu) {
      double level_mean = 0, level_second = 0;
      const int centre = g / 2;  // the group's exact sum: half of its rows hold a 1
      for (int l = 0; l <= g; ++l) {
        const double lo = l == 0 ? -1e300 : (l - 0.5 - centre) / sigma,
                     hi = l == g ? 1e300 : (l + 0.5 - centre) / sigma;
        const double p = phi_c(lo) - phi_c(hi);
        level_mean += p * l;
        level_second += p * l * l;
      }
      const double groups = 128.0 / g;
      mean = groups * level_mean;
      var = groups * (level_second - level_mean * level_mean);
    }
    expect_moments(per_trial, mean, var, cs.name);
  }
}

namespace {

// A small layer whose outputs, hashed, compare engines: weights and activations from a fixed
// generator (raw mt19937 words, which the standard fixes).
struct FormerCase {
  const char* name;
  CrossbarConfig config;
  std::uint64_t expected_hash;
};

std::uint64_t fnv1a(const void* data, std::size_t bytes, std::uint64_t h = 14695981039346656037ull) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (std::size_t i = 0; i < bytes; ++i) h = (h ^ p[i]) * 1099511628211ull;
  return h;
}

std::uint64_t output_hash(const CrossbarConfig& c) {
  std::mt19937 gen(20240611);
  const int m = 12, n = 13, k = 333;
  std::vector<std::int8_t> w(static_cast<std::size_t>(n) * k);
  for (auto& x : w) x = static_cast<std::int8_t>(static_cast<int>(gen() % 255) - 127);
  std::vector<std::uint8_t> act(static_cast<std::size_t>(m) * k);
  for (auto& x : act) x = gen() % 3 == 0 ? 0 : static_cast<std::uint8_t>(gen() % 256);
  const CrossbarLayer layer(c, 3, w, n, k);
  std::vector<double> out(static_cast<std::size_t>(m) * n);
  Counters counters;
  layer.run(act, m, {1, 2, 3, 40, 4}, 99, out, counters);
  std::uint64_t h = fnv1a(out.data(), out.size() * sizeof(double));
  h = fnv1a(&counters.clipped, sizeof counters.clipped, h);
  return fnv1a(&counters.noise_draws, sizeof counters.noise_draws, h);
}

CrossbarConfig former_config(ReadoutKind kind, double sigma, double proportional, double offset) {
  CrossbarConfig c;
  c.rows = 100;
  c.readout.kind = kind;
  c.readout.adc.bits = 5;
  if (sigma > 0 || proportional > 0 || offset > 0)
    c.noise = cimmc::circuit::NoiseParams::relative_full_scale(sigma, proportional, offset);
  return c;
}

}  // namespace

TEST(RelativeFullScale, ReproducesTheFormerEngineBitForBit) {
  // Hashes of outputs, clipped counts and noise draws recorded with the engine before the
  // physical model, when σ was always a fraction of full scale (and, without noise, the default
  // physical model with no terms). The four noisy hashes were recorded again when the normals
  // became core's single generator (rng_batch: another angle mapping and logarithm, so other
  // normals from the same words); the noise-free ones did not change.
  std::vector<FormerCase> cases;
  cases.push_back({"adc, sigma + proportional + offset", former_config(ReadoutKind::kAdc, 0.02, 0.05, 0.01),
                   0x5e602fe161d84602ull});
  {
    CrossbarConfig c = former_config(ReadoutKind::kAdc, 0.01, 0.0, 0.0);
    c.signed_scheme = SignedScheme::kDifferential;
    c.encoding = Encoding::kSignMagnitude;
    c.bits_per_cell = 2;
    cases.push_back({"adc, differential 2-bit cells", c, 0xaf92d1ff0f04fd1full});
  }
  {
    CrossbarConfig c = former_config(ReadoutKind::kZebraLcu, 0.03, 0.0, 0.02);
    c.encoding = Encoding::kAdaptiveFlip;
    // R = 100 > 64: the LCU's vectorized path, compiled only with AVX-512 BITALG, takes the
    // normals in another order than the scalar path (docs/architecture.md, section 4), so a build
    // without it has its own hash (recorded on an x86-64-v3 build).
#if defined(__AVX512BITALG__) && defined(__AVX512BW__)
    cases.push_back({"lcu G = 8", c, 0x589d1ef05d92ea48ull});
#else
    cases.push_back({"lcu G = 8", c, 0xe59eb8fd16c873cdull});
#endif
  }
  {
    CrossbarConfig c = former_config(ReadoutKind::kZebraLcu, 0.02, 0.1, 0.01);
    c.readout.lcu.group_rows = 16;
    c.readout.lcu.levels = 17;
    c.signed_scheme = SignedScheme::kDifferential;
    c.encoding = Encoding::kSignMagnitude;
    cases.push_back({"lcu G = 16, differential", c, 0x211973c9d1da17b7ull});
  }
  // Single-ended ADC with one σ for every sense, with and without sense offsets (the readout loop
  // that computes the analog value, its noise and the code in one pass): recorded with the
  // separate passes before that loop existed.
  cases.push_back({"adc, sigma", former_config(ReadoutKind::kAdc, 0.02, 0.0, 0.0), 0xdacbac7265e1c910ull});
  cases.push_back({"adc, sigma + offset", former_config(ReadoutKind::kAdc, 0.02, 0.0, 0.01), 0x615429cd0f457a43ull});
  cases.push_back({"adc, offset", former_config(ReadoutKind::kAdc, 0.0, 0.0, 0.01), 0xcba34247e149966aull});
  cases.push_back({"ideal, offset", former_config(ReadoutKind::kIdeal, 0.0, 0.0, 0.01), 0xed94ed5cdfc9a425ull});
  cases.push_back({"adc, no noise", former_config(ReadoutKind::kAdc, 0, 0, 0), 0x8d190da10b2b255eull});
  cases.push_back({"lcu, no noise", former_config(ReadoutKind::kZebraLcu, 0, 0, 0), 0x81ff694f33c36802ull});
  for (const FormerCase& cs : cases) EXPECT_EQ(output_hash(cs.config), cs.expected_hash) << cs.name;
}
