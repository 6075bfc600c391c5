// MTJ-to-MTJ variation of the stochastic readout's converters: each physical column draws its own
// device per trial, and its current gain I_c0 / I_c follows the device variation model. With only
// the spin Hall angle spread, the perpendicular-SOT critical current (docs/physics.md) scales as
// 1 / θ_SH, so the gain is the drawn θ factor: mean 1 and relative σ 0.05 (lognormal), checked
// within 3 SE over the columns; every stream of a column shares its converter.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <set>
#include <vector>

#include "cimmc/arch/crossbar_layer.hpp"
#include "cimmc/device/sot_mtj_params.hpp"

using namespace cimmc;

namespace {
arch::CrossbarConfig varied_config(double theta_sigma) {
  arch::CrossbarConfig c;
  c.rows = 32;
  c.columns = 128;
  c.input_bits = 2;
  c.weight_bits = 4;
  c.signed_scheme = arch::SignedScheme::kDifferential;
  c.readout.kind = circuit::ReadoutKind::kStochasticMtj;
  c.readout.mtj.samples = 4;
  c.readout.mtj.has_variation = true;
  c.readout.mtj.variation.spin_hall_angle.relative_sigma = theta_sigma;
  c.readout.mtj.converter_device =
      std::make_shared<device::SotMtjParams>(device::load_sot_mtj(device::resolve_device_file("stox_converter")));
  return c;
}

arch::CrossbarLayer layer_of(const arch::CrossbarConfig& config, int n, int k) {
  std::mt19937 gen(5);
  std::vector<std::int8_t> w(static_cast<std::size_t>(n) * k);
  for (auto& x : w) x = static_cast<std::int8_t>(static_cast<int>(gen() % 15) - 7);
  return arch::CrossbarLayer(config, 1, w, n, k);
}
}  // namespace

TEST(MtjVariation, GainsFollowTheSpinHallAngleSpread) {
  auto layer = layer_of(varied_config(0.05), 200, 96);  // 3 subarrays × 4 groups × 200 outputs
  layer.set_variation_address(21, 0, 0);
  const auto& gains = layer.mtj_current_gains();
  ASSERT_FALSE(gains.empty());
  // One converter per column: the distinct gains are the columns' draws.
  const std::set<double> columns(gains.begin(), gains.end());
  const double n = static_cast<double>(columns.size());
  ASSERT_GE(n, 2000);
  double s = 0, s2 = 0;
  for (double g : columns) s += g, s2 += g * g;
  const double mean = s / n, var = s2 / n - mean * mean;
  EXPECT_NEAR(mean, 1.0, 3 * 0.05 / std::sqrt(n));
  // Var of a sample variance ≈ 2σ⁴/n for a near-normal spread.
  EXPECT_NEAR(var, 0.05 * 0.05, 3 * 0.05 * 0.05 * std::sqrt(2.0 / n));
}

TEST(MtjVariation, DrawnPerTrialAndReproducible) {
  auto a = layer_of(varied_config(0.05), 16, 64);
  auto b = layer_of(varied_config(0.05), 16, 64);
  a.set_variation_address(4, 0, 0);
  b.set_variation_address(4, 0, 0);
  EXPECT_EQ(a.mtj_current_gains(), b.mtj_current_gains());
  b.set_variation_address(4, 0, 1);
  EXPECT_NE(a.mtj_current_gains(), b.mtj_current_gains());
  // No spread: every gain is exactly 1.
  auto flat = layer_of(varied_config(0.0), 16, 64);
  for (double g : flat.mtj_current_gains()) EXPECT_DOUBLE_EQ(g, 1.0);
}

// In-situ calibration (docs/physics.md, "Calibration as a circuit"): each column's 50 % current
// I50 / g is measured with N pulses, a frequency error sqrt(0.25 / N), i.e. a current error
// σ_I = sqrt(0.25 / N) / (g · P'(I50)); the driver is trimmed by the measured ratio. The MTJ then
// sees (g / ĝ) · I, and g / ĝ = 1 + g δ / I50 is normal with mean 1 and σ = sqrt(0.25 / N) /
// (P'(I50) · I50) whatever g is. For the default sigmoid curve (I50 = 1e-4 A, width
// 5e-5 / 4 A, P'(I50) = 1 / (4 · width) = 2e4 / A, P' · I50 = 2) and N = 1024: σ = 1/128. A 3 % anisotropy
// spread (I_c spread ~24 % on stox_converter) is gone up to that error: mean and variance of the
// net gains within 3 SE.
TEST(MtjVariation, InSituCalibrationLeavesOnlyTheMeasurementError) {
  auto config = varied_config(0.0);
  config.readout.mtj.variation.anisotropy.relative_sigma = 0.03;
  auto raw = layer_of(config, 200, 96);
  raw.set_variation_address(21, 0, 0);
  const std::set<double> device(raw.mtj_current_gains().begin(), raw.mtj_current_gains().end());
  double sd = 0, sd2 = 0;
  for (double g : device) sd += g, sd2 += g * g;
  const double nd = static_cast<double>(device.size());
  EXPECT_GT(std::sqrt(sd2 / nd - (sd / nd) * (sd / nd)), 0.1);  // the uncalibrated spread is large

  config.readout.mtj.trim.in_situ = true;
  config.readout.mtj.trim.calibration_pulses = 1024;
  auto layer = layer_of(config, 200, 96);
  layer.set_variation_address(21, 0, 0);
  // The same devices are drawn: the estimates track each column's own g.
  ASSERT_EQ(layer.mtj_gain_estimates().size(), layer.mtj_current_gains().size());
  const std::set<double> net(layer.mtj_current_gains().begin(), layer.mtj_current_gains().end());
  const double n = static_cast<double>(net.size());
  ASSERT_GE(n, 2000);
  double s = 0, s2 = 0;
  for (double g : net) s += g, s2 += g * g;
  const double mean = s / n, var = s2 / n - mean * mean, sigma = 1.0 / 128;
  EXPECT_NEAR(mean, 1.0, 3 * sigma / std::sqrt(n));
  EXPECT_NEAR(var, sigma * sigma, 3 * sigma * sigma * std::sqrt(2.0 / n));
}

// The decoder knows the programmed target map, not the analog side's mismatch: with a trim
// circuit the analog maps carry the mismatch (gain ratios spread by about gain_mismatch), the
// decode maps are the calibrated targets.
TEST(MtjVariation, DecoderUsesTheTargetNotTheMismatchedMap) {
  auto config = varied_config(0.0);
  config.readout.mtj.has_variation = false;
  config.readout.mtj.trim.ideal = false;
  config.readout.mtj.trim.gain_bits = config.readout.mtj.trim.offset_bits = 16;
  config.readout.mtj.trim.gain_mismatch = 0.05;
  auto layer = layer_of(config, 64, 96);
  std::mt19937 gen(3);
  std::vector<std::uint8_t> a(64 * 96);
  for (auto& x : a) x = static_cast<std::uint8_t>(gen() % 4);
  layer.set_variation_address(2, 0, 0);
  layer.calibrate(layer.collect_statistics(a, 64));
  const auto& analog = layer.mtj_analog_maps();
  const auto& decode = layer.mtj_decode_maps();
  ASSERT_EQ(analog.size(), decode.size());
  double s = 0, s2 = 0;
  for (std::size_t i = 0; i < analog.size(); i += 2) {
    const double r = analog[i].scale / decode[i].scale - 1;
    s += r, s2 += r * r;
  }
  const std::size_t pairs = analog.size() / 2;
  const double n = static_cast<double>(pairs);
  // The 16-bit gain codes add at most ~1e-4; the mismatch dominates: rms within 20 % of 0.05
  // (maps share a trim per calibrated map, so the draws are fewer than the maps).
  EXPECT_NEAR(std::sqrt(s2 / n), 0.05, 0.01);
}

// The analog path of the MTJ readout (taken with any noise: P per analog PS from the block's
// currents, T Bernoulli words) and the exact path (K by inverse CDF of the integer PS) sample the
// same converters when the noise is negligible (σ = 1e-9 LSB at the converter moves P by ~1e-10).
// With a 30 % spread of the converters' gains, every output reads its own gain and map, so an
// output that read another column's would move its mean by many standard errors. Per output, the
// means over 4 000 rows of the two paths agree within z = 4.5 SE of their difference (24 outputs:
// a correct sampler fails one with probability 24 · 2(1 − Φ(4.5)) ≈ 2·10⁻⁴).
TEST(MtjVariation, AnalogAndExactPathsSampleTheSameConverters) {
  constexpr int kOutputs = 24, kInputs = 32, kRows = 4000;
  auto config = varied_config(0.3);
  auto exact = layer_of(config, kOutputs, kInputs);
  config.noise.sense_sigma_lsb = 1e-9;
  auto analog = layer_of(config, kOutputs, kInputs);
  exact.set_variation_address(7, 0, 0);
  analog.set_variation_address(7, 0, 0);
  ASSERT_EQ(exact.mtj_current_gains(), analog.mtj_current_gains());
  std::mt19937 gen(9);
  std::vector<std::uint8_t> row(kInputs);
  for (auto& x : row) x = static_cast<std::uint8_t>(gen() % 4);
  std::vector<std::uint8_t> a;
  for (int m = 0; m < kRows; ++m) a.insert(a.end(), row.begin(), row.end());
  const auto run = [&](const arch::CrossbarLayer& layer, std::uint64_t seed) {
    std::vector<double> out(static_cast<std::size_t>(kRows) * kOutputs);
    arch::Counters counters;
    layer.run(a, kRows, {0, 0, 1, 0, 1}, seed, out, counters);
    EXPECT_EQ(counters.mtj_reads + counters.mtj_skipped, static_cast<std::uint64_t>(kRows) * kOutputs * 2 * 4)
        << "every (row, output, input bit, weight bit) is read or skipped";
    return out;
  };
  const auto e = run(exact, 31), v = run(analog, 32);
  int differing = 0;
  for (int n = 0; n < kOutputs; ++n) {
    double se = 0, se2 = 0, sv = 0, sv2 = 0;
    for (int m = 0; m < kRows; ++m) {
      const double x = e[static_cast<std::size_t>(m) * kOutputs + n], y = v[static_cast<std::size_t>(m) * kOutputs + n];
      se += x, se2 += x * x, sv += y, sv2 += y * y;
      differing += x != y ? 1 : 0;
    }
    const double me = se / kRows, mv = sv / kRows;
    const double var = (se2 / kRows - me * me + sv2 / kRows - mv * mv) / kRows;
    EXPECT_LE(std::abs(me - mv), 4.5 * std::sqrt(var) + 1e-12) << "output " << n << ": " << me << " vs " << mv;
  }
  EXPECT_GT(differing, kRows);  // two independent samples, not one
}
