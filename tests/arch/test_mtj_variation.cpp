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
  c.readout.mtj.converter_device = std::make_shared<device::SotMtjParams>(
      device::load_sot_mtj(device::resolve_device_file("stox_converter")));
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
