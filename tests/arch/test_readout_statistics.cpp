// Statistics of each readout through the crossbar engine against their analytic expectation.
// Every row of a run has its own random streams, so M rows with the same activations are M
// independent draws. Seeds are fixed; tolerance: 3 standard errors (the standard error of a
// sample variance uses the sample fourth central moment).
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "cimmc/arch/crossbar_layer.hpp"
#include "readout_test_util.hpp"

using namespace cimmc::arch;
using cimmc::circuit::ReadoutKind;

namespace {

using cimmc::arch::readout_test::moments;
using cimmc::arch::readout_test::Moments;
using cimmc::arch::readout_test::phi_c;
using cimmc::arch::readout_test::run_columns;

// Mean and variance of an N-bit unsigned full-scale ADC reading PS + N(0, sigma²).
std::pair<double, double> adc_moments(double ps, double sigma, double step, int max_code) {
  double mean = 0, second = 0;
  for (int c = 0; c <= max_code; ++c) {
    const double lo = c == 0 ? -1e300 : ((c - 0.5) * step - ps) / sigma;
    const double hi = c == max_code ? 1e300 : ((c + 0.5) * step - ps) / sigma;
    const double p = phi_c(lo) - phi_c(hi);
    mean += p * c * step;
    second += p * c * step * c * step;
  }
  return {mean, second - mean * mean};
}

CrossbarConfig small_config() {
  CrossbarConfig c;
  c.rows = 128;
  c.input_bits = 1;
  c.weight_bits = 2;
  return c;
}

}  // namespace

TEST(ReadoutStatistics, StochasticMtjIsBinomial) {
  // Differential sign-magnitude 2-bit weights in {-1, 0, 1}: one signed column group, PS =
  // (#+1) − (#−1) over 128 active rows. x = PS / 128, p = sigmoid(4x), out = 128 (2K/T − 1).
  for (const bool tabulated : {false, true})
    for (const double tiny_noise : {0.0, 1e-9}) {  // table path and per-sample path
      CrossbarConfig c = small_config();
      c.signed_scheme = SignedScheme::kDifferential;
      c.encoding = Encoding::kSignMagnitude;
      c.readout.kind = ReadoutKind::kStochasticMtj;
      c.readout.mtj.samples = 4;
      c.readout.mtj.decode = cimmc::circuit::MtjDecode::kMean;
      c.readout.mtj.samples_rule.push_back({{1}, {}, {}, 6});  // layer 1 uses T = 6
      if (tabulated) {
        c.readout.mtj.curve = "tabulated";
        c.readout.mtj.table_current_A = {50e-6, 150e-6};  // p = 0.5 + 0.4 x
        c.readout.mtj.table_probability = {0.1, 0.9};
      }
      c.noise = cimmc::circuit::NoiseParams::relative_full_scale(tiny_noise);
      const int k = 128;
      std::vector<std::int8_t> w(3 * k, 0);
      for (int i = 0; i < 40; ++i) w[k + i] = 1;
      for (int i = 0; i < 90; ++i) w[2 * k + i] = -1;
      const double ps[3] = {0, 40, -90};
      const CrossbarLayer layer(c, 1, w, 3, k);
      Counters counters;
      const int rows = 20000;
      const auto cols = run_columns(layer, std::vector<std::uint8_t>(k, 1), rows, counters);
      const int t = 6;
      EXPECT_EQ(counters.mtj_samples, static_cast<std::uint64_t>(rows) * 3 * t);
      for (int n = 0; n < 3; ++n) {
        const double x = ps[n] / 128.0;
        const double p = tabulated ? 0.5 + 0.4 * x : 1.0 / (1.0 + std::exp(-4.0 * x));
        const double mean = 128.0 * (2 * p - 1), var = 128.0 * 128.0 * 4 * p * (1 - p) / t;
        const Moments m = moments(cols[static_cast<std::size_t>(n)]);
        EXPECT_NEAR(m.mean, mean, 3 * std::sqrt(var / rows)) << "PS " << ps[n] << " tabulated " << tabulated;
        EXPECT_NEAR(m.var, var, 3 * m.se_var) << "PS " << ps[n] << " tabulated " << tabulated;
      }
    }
}

TEST(ReadoutStatistics, StochasticMtjInverseDecodingFollowsThePs) {
  // Decoding by the inverted curve: K switched out of T reads x̂(K) with P(x̂(K)) = K/T
  // (±1 at the ends). Mean and variance of the output against Σ_K Binomial(K; T, p) · FS·x̂(K).
  // Cases: 1-bit inputs and weights in {-1, 0, 1} (FS = 128, threshold tables), and 4-bit
  // inputs in one DAC pulse with 4-bit cells (FS = 128·15·15 = 28 800: P evaluated per PS).
  struct Case {
    int bits, dac, bpc;
    std::vector<std::int8_t> weights;  // one output per row of K = 128
    std::vector<std::uint8_t> act;
  };
  const int k = 128;
  std::vector<std::int8_t> small(3 * k, 0), wide(3 * k, 0);
  for (int i = 0; i < 40; ++i) small[k + i] = 1;
  for (int i = 0; i < 90; ++i) small[2 * k + i] = -1;
  for (int i = 0; i < 100; ++i) wide[k + i] = 7;
  for (int i = 0; i < 128; ++i) wide[2 * k + i] = static_cast<std::int8_t>(i % 3 == 0 ? -7 : -3);
  const Case cases[] = {{1, 1, 1, small, std::vector<std::uint8_t>(k, 1)},
                        {4, 4, 4, wide, std::vector<std::uint8_t>(k, 15)}};
  for (const Case& cs : cases)
    for (const int t : {3, 8}) {
      CrossbarConfig c = small_config();
      c.input_bits = cs.bits;
      c.dac_bits = cs.dac;
      c.bits_per_cell = cs.bpc;
      c.weight_bits = cs.bits == 1 ? 2 : 4;
      c.signed_scheme = SignedScheme::kDifferential;
      c.encoding = Encoding::kSignMagnitude;
      c.readout.kind = ReadoutKind::kStochasticMtj;
      c.readout.mtj.samples = t;
      const CrossbarLayer layer(c, 1, cs.weights, 3, k);
      const double fs = layer.full_scale();
      Counters counters;
      const int rows = 20000;
      const auto cols = run_columns(layer, cs.act, rows, counters);
      EXPECT_EQ(counters.mtj_reads, static_cast<std::uint64_t>(rows) * 3);
      const auto curve = c.readout.mtj.make_curve();
      const std::vector<double> x_hat = cimmc::circuit::mtj_decode_points(c.readout.mtj, *curve, t);
      ASSERT_DOUBLE_EQ(x_hat.front(), -1.0);
      ASSERT_DOUBLE_EQ(x_hat.back(), 1.0);
      for (int n = 0; n < 3; ++n) {
        double ps = 0;
        for (int i = 0; i < k; ++i)
          ps += cs.act[static_cast<std::size_t>(i)] * cs.weights[static_cast<std::size_t>(n * k + i)];
        const double x = ps / fs, p = 1.0 / (1.0 + std::exp(-4.0 * x));
        double mean = 0, second = 0, binom = std::pow(1 - p, t);
        for (int kk = 0; kk <= t; ++kk) {
          if (kk > 0) binom *= (p / (1 - p)) * (t - kk + 1) / kk;
          const double v = fs * x_hat[static_cast<std::size_t>(kk)];
          mean += binom * v;
          second += binom * v * v;
        }
        const double var = second - mean * mean;
        const Moments m = moments(cols[static_cast<std::size_t>(n)]);
        EXPECT_NEAR(m.mean, mean, 3 * std::sqrt(var / rows) + 1e-9 * fs) << "PS " << ps << " T " << t << " FS " << fs;
        EXPECT_NEAR(m.var, var, 3 * m.se_var + 1e-9 * fs * fs) << "PS " << ps << " T " << t << " FS " << fs;
      }
      // The decoded points invert the curve: P(x̂(K)) = K/T inside the curve's range.
      for (int kk = 1; kk < t; ++kk)
        EXPECT_NEAR(1.0 / (1.0 + std::exp(-4.0 * x_hat[static_cast<std::size_t>(kk)])), static_cast<double>(kk) / t,
                    1e-12);
    }
}

TEST(ReadoutStatistics, LcuSenseErrorRateIsTheGaussianTail) {
  // One group of G = 8 rows per output with c = 3, 5 or 8 bit-products; 9-level sense amplifier
  // (step 1). An interior level is wrong when |noise| > 0.5: 2 Φc(0.5/σ); the top level only
  // when noise < −0.5: Φc(0.5/σ). Relative to the group's full scale, σ = 0.03125 × 8 = 0.25 for
  // every c; physical (docs/physics.md, "Noise"), σ² = c σ_cell² + σ_sense² with 0.15 LSB each.
  for (const bool physical : {false, true}) {
    CrossbarConfig c = small_config();
    c.readout.kind = ReadoutKind::kZebraLcu;
    c.readout.lcu.group_rows = 8;
    c.readout.lcu.levels = 9;
    if (physical) {
      c.noise.cell_sigma_lsb = 0.15;
      c.noise.sense_sigma_lsb = 0.15;
    } else {
      c.noise = cimmc::circuit::NoiseParams::relative_full_scale(0.03125);
    }
    const int k = 8;
    const int counts[3] = {3, 5, 8};
    std::vector<std::int8_t> w(3 * k, 0);
    for (int n = 0; n < 3; ++n)
      for (int i = 0; i < counts[n]; ++i) w[static_cast<std::size_t>(n * k + i)] = 1;
    const CrossbarLayer layer(c, 1, w, 3, k);
    Counters counters;
    const int rows = 100000;
    // Trial 0 for the relative setting, 1 for the physical one: independent draws.
    const auto cols = run_columns(layer, std::vector<std::uint8_t>(k, 1), rows, counters, physical ? 1 : 0);
    // The all-zero −2^1 column is skipped: one sense per output and row.
    EXPECT_EQ(counters.lcu_senses, static_cast<std::uint64_t>(rows) * 3);
    EXPECT_EQ(counters.lcu_skipped, static_cast<std::uint64_t>(rows) * 3);
    for (int n = 0; n < 3; ++n) {
      int errors = 0;
      for (double v : cols[static_cast<std::size_t>(n)]) errors += v != counts[n];
      const double sigma = physical ? std::sqrt(counts[n] * 0.0225 + 0.0225) : 0.25;
      const double p = (counts[n] == 8 ? 1.0 : 2.0) * phi_c(0.5 / sigma);
      EXPECT_NEAR(static_cast<double>(errors) / rows, p, 3 * std::sqrt(p * (1 - p) / rows))
          << "count " << counts[n] << (physical ? " physical" : " relative");
    }
  }
}

TEST(ReadoutStatistics, NoisyAdcMatchesTheQuantizedGaussian) {
  // Two's complement 2-bit weights in {0, 1}: column +2^0 has PS 50 (or 0), column −2^1 has PS 0;
  // both get N(0, (0.02·128)²) and a 5-bit full-scale ADC (step 128/31); out = v0 − 2 v1.
  CrossbarConfig c = small_config();
  c.readout.kind = ReadoutKind::kAdc;
  c.readout.adc.bits = 5;
  c.noise = cimmc::circuit::NoiseParams::relative_full_scale(0.02);
  const int k = 128;
  std::vector<std::int8_t> w(2 * k, 0);
  for (int i = 0; i < 50; ++i) w[static_cast<std::size_t>(i)] = 1;
  const CrossbarLayer layer(c, 1, w, 2, k);
  Counters counters;
  const int rows = 40000;
  const auto cols = run_columns(layer, std::vector<std::uint8_t>(k, 1), rows, counters);
  const double sigma = 0.02 * 128, step = 128.0 / 31;
  const auto zero = adc_moments(0, sigma, step, 31);
  for (int n = 0; n < 2; ++n) {
    const auto col = adc_moments(n == 0 ? 50 : 0, sigma, step, 31);
    const double mean = col.first - 2 * zero.first, var = col.second + 4 * zero.second;
    const Moments m = moments(cols[static_cast<std::size_t>(n)]);
    EXPECT_NEAR(m.mean, mean, 3 * std::sqrt(var / rows)) << n;
    EXPECT_NEAR(m.var, var, 3 * m.se_var) << n;
  }
  EXPECT_EQ(counters.adc_conversions, static_cast<std::uint64_t>(rows) * 2 * 2);
}

TEST(ReadoutStatistics, GaussianNoiseHasTheConfiguredSigma) {
  // Ideal readout: out = (PS + s0 z0) − 2 (0 + s1 z1), s² = (0.01·128)² + (0.05·PS)².
  CrossbarConfig c = small_config();
  c.noise = cimmc::circuit::NoiseParams::relative_full_scale(0.01, 0.05);
  const int k = 128;
  std::vector<std::int8_t> w(k, 0);
  for (int i = 0; i < 100; ++i) w[static_cast<std::size_t>(i)] = 1;
  const CrossbarLayer layer(c, 1, w, 1, k);
  Counters counters;
  const int rows = 40000;
  const auto cols = run_columns(layer, std::vector<std::uint8_t>(k, 1), rows, counters);
  const double a = 0.01 * 128, b = 0.05 * 100;
  const double var = a * a + b * b + 4 * a * a;
  const Moments m = moments(cols[0]);
  EXPECT_NEAR(m.mean, 100.0, 3 * std::sqrt(var / rows));
  EXPECT_NEAR(m.var, var, 3 * m.se_var);
}

TEST(ReadoutStatistics, SenseOffsetsAreFixedPerTrialAndSpreadAcrossTrials) {
  CrossbarConfig c = small_config();
  c.noise = cimmc::circuit::NoiseParams::relative_full_scale(0.0, 0.0, 0.01);
  const int k = 128;
  const std::vector<std::int8_t> w(k, 1);
  const CrossbarLayer layer(c, 1, w, 1, k);
  std::vector<double> per_trial;
  for (std::uint32_t trial = 0; trial < 2000; ++trial) {
    Counters counters;
    const auto cols = run_columns(layer, std::vector<std::uint8_t>(k, 1), 3, counters, trial);
    EXPECT_EQ(cols[0][0], cols[0][1]);
    EXPECT_EQ(cols[0][0], cols[0][2]);
    per_trial.push_back(cols[0][0] - 128.0);
  }
  // offset(+2^0 column) − 2 offset(−2^1 column), each N(0, 1.28²).
  const double var = 1.28 * 1.28 * 5;
  const Moments m = moments(per_trial);
  EXPECT_NEAR(m.mean, 0.0, 3 * std::sqrt(var / 2000));
  EXPECT_NEAR(m.var, var, 3 * m.se_var);
}
