// Component costs against hand computation from the 22 nm table, and their monotonicity.
#include <gtest/gtest.h>

#include "cimmc/circuit/component_cost.hpp"

using namespace cimmc;
using circuit::AdcModel;

namespace {
const circuit::Technology& tech() {
  static const auto t = circuit::load_technology(std::string(CIMMC_SOURCE_DIR) + "/data/tech/22nm.toml");
  return t;
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
  EXPECT_THROW(circuit::adc_conversion(tech(), AdcModel::kNeuroSimSar, 0), ArgumentError);
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
  // 100 µA rms through 2 kΩ for 1 ns = 20 fJ write, the same reset; read 0.01 V²/5 kΩ × 0.5 ns
  // = 1 fJ plus one comparator.
  const auto m = circuit::mtj_sample(tech(), 2000, 5000, 1e-8);
  EXPECT_NEAR(m.write_J, 20e-15, 1e-24);
  EXPECT_NEAR(m.reset_J, 20e-15, 1e-24);
  EXPECT_NEAR(m.read_J, 1e-15 + 13e-15, 1e-24);
  EXPECT_NEAR(m.total.energy_J, 54e-15, 1e-24);
  EXPECT_DOUBLE_EQ(m.total.latency_s, 2.5e-9);
  EXPECT_THROW(circuit::mtj_sample(tech(), 0, 5000, 1e-8), ArgumentError);
}

TEST(ComponentCost, DigitalByHand) {
  EXPECT_NEAR(circuit::shift_add(tech(), 24).energy_J, 24 * 1.8e-15, 1e-24);
  EXPECT_NEAR(circuit::buffer_energy_J(tech(), 64), 64 * 60e-15, 1e-24);
  EXPECT_NEAR(circuit::digital_mac(tech()).energy_J, 89e-15, 1e-24);
}
