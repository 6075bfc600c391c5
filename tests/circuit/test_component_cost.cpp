// Component costs against hand computation from the 22 nm table, and their monotonicity.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "cimmc/circuit/component_cost.hpp"
#include "cimmc/core/error.hpp"

using namespace cimmc;
using circuit::AdcModel;

namespace {
const circuit::Technology& tech() {
  static const auto kTech = circuit::load_technology(std::string(CIMMC_SOURCE_DIR) + "/data/tech/22nm.toml");
  return kTech;
}
}  // namespace

TEST(ComponentCost, NeuroSimSarByHand) {
  // 4 bits: (0.538·4 + 4.3753) µW × 5 ns = 6.5273 µW × 5 ns = 32.6365 fJ; latency 5 ns.
  const auto c = circuit::adc_conversion(tech(), AdcModel::kNeuroSimSar, 4);
  EXPECT_NEAR(c.energy_J, 32.6365e-15, 1e-20);
  EXPECT_DOUBLE_EQ(c.latency_s, 5e-9);
  // Area: (269 + 3·109 + 209 + 3·73) transistors × 84 F² at 22 nm.
  EXPECT_NEAR(c.area_m2, (269 + 327 + 209 + 219) * 84 * 22e-9 * 22e-9, 1e-18);
}

TEST(ComponentCost, SurveyModelsByHand) {
  EXPECT_NEAR(circuit::adc_conversion(tech(), AdcModel::kSurveySar, 5).energy_J, 28.5e-15 * 32, 1e-21);
  const auto flash = circuit::adc_conversion(tech(), AdcModel::kSurveyFlash, 3);
  EXPECT_NEAR(flash.energy_J, 823e-15 * 8, 1e-20);
  EXPECT_DOUBLE_EQ(flash.latency_s, 1e-9);
}

TEST(ComponentCost, MoreAdcBitsNeverCheaper) {
  for (auto model : {AdcModel::kNeuroSimSar, AdcModel::kSurveySar, AdcModel::kSurveyFlash}) {
    for (int b = 1; b < 16; ++b) {
      const auto lo = circuit::adc_conversion(tech(), model, b), hi = circuit::adc_conversion(tech(), model, b + 1);
      EXPECT_GT(hi.energy_J, lo.energy_J) << b;
      EXPECT_GE(hi.latency_s, lo.latency_s) << b;
      EXPECT_GT(hi.area_m2, lo.area_m2) << b;
    }
  }
  EXPECT_THROW(circuit::adc_conversion(tech(), AdcModel::kNeuroSimSar, 0), cimmc::core::ArgumentError);
}

TEST(ComponentCost, ArrayByHand) {
  // 0.15 fF × 128 columns × 0.8² V² and 0.2 fF × 128 rows × 0.8 V × 0.4 V.
  EXPECT_NEAR(circuit::wordline_activation_energy_J(tech(), 128), 0.15e-15 * 128 * 0.64, 1e-24);
  EXPECT_NEAR(circuit::bitline_read_energy_J(tech(), 128), 0.2e-15 * 128 * 0.32, 1e-24);
  EXPECT_NEAR(circuit::array_area_m2(tech(), 128, 128), 280 * 484e-18 * 16384, 1e-18);
}

TEST(ComponentCost, SenseAmplifierAndMtj) {
  const auto sa = circuit::multilevel_sense(tech(), 9);
  EXPECT_NEAR(sa.energy_J, 8 * 13e-15, 1e-24);
  EXPECT_GT(circuit::multilevel_sense(tech(), 17).energy_J, sa.energy_J);
  // Driver on 0.8 V: write 0.8 V × 100 µA × 1 ns = 80 fJ, of which ⟨I²⟩R_HM t = 1.2e-8 A² × 2 kΩ ×
  // 1 ns = 24 fJ heat the heavy metal; reset 0.8 V × 200 µA × 1 ns = 160 fJ (80 fJ in the heavy
  // metal). Read from 0.8 V with 0.1 V across the junction for 0.5 ns: junction
  // 0.8·0.1·½(1/4k + 1/6k)·0.5 ns = 8.333 fJ, reference at 5 kΩ 8 fJ, comparator 13 fJ.
  circuit::MtjConverter c;
  c.device = "hand";
  c.heavy_metal_resistance_ohm = 2000;
  c.resistance_parallel_ohm = 4000;
  c.resistance_antiparallel_ohm = 6000;
  c.pulse_width_s = 1e-9;
  c.mean_abs_current_A = 100e-6;
  c.mean_square_current_A2 = 1.2e-8;
  c.max_abs_current_A = 150e-6;
  c.reset_current_A = 200e-6;
  const auto m = circuit::mtj_sample(tech(), c);
  EXPECT_NEAR(m.write_J, 80e-15, 1e-24);
  EXPECT_NEAR(m.write_heavy_metal_J, 24e-15, 1e-24);
  EXPECT_NEAR(m.write_driver_J, 56e-15, 1e-24);
  EXPECT_NEAR(m.reset_J, 160e-15, 1e-24);
  EXPECT_NEAR(m.reset_heavy_metal_J, 80e-15, 1e-24);
  EXPECT_NEAR(m.read_junction_J, 0.8 * 0.1 * 0.5 * (1 / 4000.0 + 1 / 6000.0) * 0.5e-9, 1e-24);
  EXPECT_NEAR(m.read_reference_J, 8e-15, 1e-24);
  EXPECT_NEAR(m.read_J, m.read_junction_J + 8e-15 + 13e-15, 1e-24);
  EXPECT_NEAR(m.total.energy_J, 80e-15 + m.read_J + 160e-15, 1e-24);
  EXPECT_DOUBLE_EQ(m.total.latency_s, 2.5e-9);
  // 500 µA through 2 kΩ needs 1 V: more than the driver's 0.8 V supply.
  auto hot = c;
  hot.reset_current_A = 500e-6;
  EXPECT_THROW(circuit::mtj_sample(tech(), hot), cimmc::core::ModelError);
  auto broken = c;
  broken.heavy_metal_resistance_ohm = 0;
  EXPECT_THROW(circuit::mtj_sample(tech(), broken), cimmc::core::ArgumentError);
}

TEST(ComponentCost, MtjConverterOperatingPoint) {
  // Sigmoid curve I50 = 100 µA, w = 50 µA / 4: the reset current reaches P = 0.999 at
  // I50 + w·ln(999). x = clamp(z / 2, -1, 1): E[x²] = ¼(P(|z|<2) − 4φ(2)) + 2Φ(−2) = 0.230134.
  circuit::MtjParams p;
  p.current_at_zero_A = 100e-6;
  p.current_per_unit_A = 50e-6;
  p.slope = 4;
  p.calibration_sigmas = 2;
  p.pulse_width_s = 2e-9;
  const auto curve = p.make_curve();
  const auto c = circuit::mtj_converter(p, *curve, "sigmoid", 750, 4000, 8000, 0.999);
  EXPECT_NEAR(c.reset_current_A, 100e-6 + 12.5e-6 * std::log(999.0), 1e-12);
  EXPECT_NEAR(c.mean_abs_current_A, 100e-6, 1e-12);
  const double phi2 = std::exp(-2.0) / std::sqrt(2 * std::numbers::pi);
  const double inside = std::erf(2 / std::sqrt(2.0));
  const double ex2 = 0.25 * (inside - 4 * phi2) + std::erfc(2 / std::sqrt(2.0));
  EXPECT_NEAR(ex2, 0.230134, 1e-6);
  EXPECT_NEAR(c.mean_square_current_A2, 1e-8 + 2.5e-9 * ex2, 1e-6 * c.mean_square_current_A2);  // midpoint rule
  EXPECT_DOUBLE_EQ(c.max_abs_current_A, 150e-6);
  EXPECT_DOUBLE_EQ(c.pulse_width_s, 2e-9);
  // A curve that saturates below the reset probability cannot reset the MTJ.
  const circuit::TabulatedSwitchingCurve saturating({0.0, 1e-3}, {0.0, 0.8});
  EXPECT_THROW(circuit::mtj_converter(p, saturating, "saturating", 750, 4000, 8000, 0.999), cimmc::core::ModelError);
}

TEST(ComponentCost, DigitalByHand) {
  EXPECT_NEAR(circuit::shift_add(tech(), 24).energy_J, 24 * 1.8e-15, 1e-24);
  EXPECT_NEAR(circuit::buffer_energy_J(tech(), 64), 64 * 60e-15, 1e-24);
  EXPECT_NEAR(circuit::digital_mac(tech()).energy_J, 89e-15, 1e-24);
}
