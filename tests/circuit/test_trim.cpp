// The trim circuit that realizes the stochastic readout's calibrated maps: the ideal model is
// exact, the circuit model lands on its code grids (error at most half a code), clips at its
// ranges, and its mismatch has the stated moments.
#include <gtest/gtest.h>

#include <cmath>

#include "cimmc/circuit/trim.hpp"
#include "cimmc/core/rng.hpp"

using namespace cimmc;

namespace {
circuit::TrimParams circuit_trim() {
  circuit::TrimParams t;
  t.ideal = false;
  t.gain_bits = 6;
  t.gain_max = 64;
  t.offset_bits = 5;
  t.offset_range = 2;
  return t;
}
}  // namespace

TEST(Trim, IdealIsTheCalibratedMap) {
  const circuit::AffineMap target{0.123, -0.456};
  const auto m = circuit::trimmed_map({}, target, 1.0 / 128, 1.5, -2.0);
  EXPECT_EQ(m.scale, target.scale);
  EXPECT_EQ(m.offset, target.offset);
}

TEST(Trim, QuantizesGainInLogAndOffsetLinearly) {
  const auto t = circuit_trim();
  const double s0 = 1.0 / 128;
  // Gain codes step by 64^(1/63): the realized gain is within half a step (in log) of the target.
  const double half_step = 0.5 * std::log(64.0) / 63;
  for (double gain : {1.0, 1.7, 5.3, 20.0, 63.0}) {
    const auto m = circuit::trimmed_map(t, {gain * s0, 0.3}, s0, 0, 0);
    EXPECT_LE(std::abs(std::log(m.scale / (gain * s0))), half_step + 1e-12) << gain;
  }
  // Offsets step by 4/31 over [-2, 2].
  for (double offset : {-1.9, -0.33, 0.0, 0.71, 1.99}) {
    const auto m = circuit::trimmed_map(t, {s0, offset}, s0, 0, 0);
    EXPECT_LE(std::abs(m.offset - offset), 0.5 * 4.0 / 31 + 1e-12) << offset;
  }
  // Beyond the ranges the codes clip.
  EXPECT_NEAR(circuit::trimmed_map(t, {500 * s0, 0}, s0, 0, 0).scale, 64 * s0, 1e-12);
  EXPECT_NEAR(circuit::trimmed_map(t, {s0, 7.0}, s0, 0, 0).offset, 2.0, 1e-12);
  EXPECT_NEAR(circuit::trimmed_map(t, {s0, -7.0}, s0, 0, 0).offset, -2.0, 1e-12);
  // A negative scale keeps its sign.
  EXPECT_LT(circuit::trimmed_map(t, {-3 * s0, 0}, s0, 0, 0).scale, 0);
}

TEST(Trim, MismatchHasTheStatedMoments) {
  auto t = circuit_trim();
  t.gain_mismatch = 0.02;
  t.offset_mismatch = 0.05;
  const double s0 = 1.0 / 128;
  const circuit::AffineMap target{8 * s0, 0.0};  // exactly on both grids
  const auto nominal = circuit::trimmed_map(t, target, s0, 0, 0);
  cimmc::core::rng::Stream stream(7, {cimmc::core::rng::Purpose::kTest, 0, 0, 0});
  const int n = 20000;
  double sg = 0, sg2 = 0, so = 0, so2 = 0;
  for (int i = 0; i < n; ++i) {
    const double zg = stream.normal(), zo = stream.normal();
    const auto m = circuit::trimmed_map(t, target, s0, zg, zo);
    const double g = m.scale / nominal.scale - 1, o = m.offset - nominal.offset;
    sg += g, sg2 += g * g, so += o, so2 += o * o;
  }
  const double mg = sg / n, vg = sg2 / n - mg * mg, mo = so / n, vo = so2 / n - mo * mo;
  // Means within 3 SE of 0; variances within 3 SE (σ²·sqrt(2/n)) of σ².
  EXPECT_NEAR(mg, 0, 3 * 0.02 / std::sqrt(n));
  EXPECT_NEAR(mo, 0, 3 * 0.05 / std::sqrt(n));
  EXPECT_NEAR(vg, 0.02 * 0.02, 3 * 0.02 * 0.02 * std::sqrt(2.0 / n));
  EXPECT_NEAR(vo, 0.05 * 0.05, 3 * 0.05 * 0.05 * std::sqrt(2.0 / n));
}

// The driver-reference current trim of the in-situ device calibration: ideal returns the wanted
// ratio; the circuit lands on the nearest of 2^bits codes over [1 − range, 1 + range] (error at
// most half a code) and clips at the ends.
TEST(Trim, CurrentTrimQuantizesAndClips) {
  circuit::TrimParams ideal;
  EXPECT_EQ(circuit::current_trim(ideal, 1.2345), 1.2345);
  auto t = circuit_trim();
  t.current_trim_bits = 4;
  t.current_trim_range = 0.3;
  const double step = 0.6 / 15;
  for (double ratio = 0.75; ratio <= 1.25; ratio += 0.0137) {
    const double r = circuit::current_trim(t, ratio);
    EXPECT_LE(std::abs(r - ratio), step / 2 + 1e-12) << ratio;
    const double code = (r - 0.7) / step;
    EXPECT_NEAR(code, std::round(code), 1e-9) << ratio;
  }
  EXPECT_DOUBLE_EQ(circuit::current_trim(t, 0.2), 0.7);
  EXPECT_DOUBLE_EQ(circuit::current_trim(t, 3.0), 1.3);
}
