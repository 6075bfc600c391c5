// The seed papers' cost comparisons, priced by cimmc under stated assumptions. The ratios are
// printed beside the papers' (see the closing notes for the gaps); the tests check what must
// hold whatever the technology numbers: the designs differ only where they should, the
// stochastic and LCU readouts are faster than ADCs shared by 8 columns, and the ratios are
// consistent with the printed costs.
#include <gtest/gtest.h>

#include <cstdio>

#include "cimmc/circuit/technology.hpp"
#include "cimmc/device/sot_mtj_params.hpp"
#include "cimmc/studies/cost_report.hpp"

using namespace cimmc;

namespace {
const circuit::Technology& tech() {
  static const auto t = circuit::load_technology(std::string(CIMMC_SOURCE_DIR) + "/data/tech/22nm.toml");
  return t;
}
}  // namespace

TEST(CostReproduction, StoxResNet20) {
  const auto mtj = studies::mtj_electrical(device::load_sot_mtj(device::resolve_device_file("low_barrier")));
  EXPECT_GT(mtj.heavy_metal_resistance_ohm, 0);
  EXPECT_GT(mtj.mean_mtj_resistance_ohm, 0);
  const auto c = studies::stox_comparison(tech(), mtj, 0.25);
  std::printf("%s\n", c.format().c_str());
  ASSERT_EQ(c.designs.size(), 3u);
  // Same network: the same MACs, and first conv / last FC digital in every design.
  for (const auto& d : c.designs) {
    EXPECT_EQ(d.cost.macs, c.designs[0].cost.macs);
    EXPECT_EQ(d.cost.layers.front().readout, "digital");
    EXPECT_EQ(d.cost.layers.back().readout, "digital");
  }
  EXPECT_EQ(c.designs[0].cost.layers[1].readout, "stochastic_mtj");
  EXPECT_EQ(c.designs[1].cost.layers[1].readout, "adc");
  // T ≈ 5 samples of 2.5 ns against 8 multiplexed 8-bit conversions of 9 ns.
  EXPECT_GT(c.ratio("latency", c.designs[1].label), 4.0);
  EXPECT_NEAR(c.ratio("edp", c.designs[1].label), c.ratio("energy", c.designs[1].label) * c.ratio("latency", c.designs[1].label),
              1e-9 * c.ratio("edp", c.designs[1].label));
  // The sparse 4-bit ADC converts fewer PS than the dense 8-bit one and each costs less.
  EXPECT_LT(c.designs[2].cost.energy_J.at("readout"), c.designs[1].cost.energy_J.at("readout"));
}

TEST(CostReproduction, StoxWithSurveyAdcs) {
  // With the survey's SAR figure of merit an 8-bit conversion costs 28.5 fJ · 256 = 7.3 pJ,
  // and the stochastic readout is the cheaper one by far.
  auto t = tech();
  t.periphery.adc_model = circuit::AdcModel::kSurveySar;
  const auto mtj = studies::mtj_electrical(device::load_sot_mtj(device::resolve_device_file("low_barrier")));
  const auto c = studies::stox_comparison(t, mtj, 0.25);
  std::printf("%s\n", c.format().c_str());
  EXPECT_GT(c.ratio("energy", c.designs[1].label), 10.0);
  EXPECT_GT(c.ratio("edp", c.designs[1].label), 50.0);
}

TEST(CostReproduction, ZebraResNet20) {
  const auto c = studies::zebra_comparison(tech(), 0.25);
  std::printf("%s\n", c.format().c_str());
  ASSERT_EQ(c.designs.size(), 3u);
  EXPECT_EQ(c.designs[0].cost.layers[1].readout, "zebra_lcu");
  // LCU groups are sensed in parallel: far fewer sequential rounds than 8 multiplexed ADC
  // conversions.
  EXPECT_GT(c.ratio("tops_per_mm2", c.designs[1].label), 1.0);
  EXPECT_LT(c.designs[0].cost.latency_s, c.designs[2].cost.latency_s);
}
