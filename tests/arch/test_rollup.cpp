// Cost roll-up: a hand-computed one-layer example, monotonicity, counters-based vs analytic
// roll-ups, and the calibration against NeuroSim's VGG-8 figures.
#include <gtest/gtest.h>

#include <cstdio>
#include <random>

#include "cimmc/arch/cost_rollup.hpp"
#include "cimmc/arch/crossbar_layer.hpp"
#include "cimmc/circuit/component_cost.hpp"

using namespace cimmc;
using circuit::ReadoutKind;

namespace {
const std::string kTech = std::string(CIMMC_SOURCE_DIR) + "/data/tech/22nm.toml";

arch::CrossbarConfig adc_config(int rows, int adc_bits) {
  arch::CrossbarConfig c;
  c.rows = rows;
  c.columns = 128;
  c.input_bits = 8;
  c.weight_bits = 8;
  c.readout.kind = ReadoutKind::kAdc;
  c.readout.adc.bits = adc_bits;
  return c;
}

arch::NetworkCost analytic_network(const arch::CrossbarConfig& config, const circuit::Technology& tech,
                                   const std::vector<arch::LayerShape>& shapes, double din, double dw) {
  std::vector<arch::LayerCost> layers;
  layers.reserve(shapes.size());
  for (const auto& s : shapes)
    layers.push_back(arch::layer_cost(config, tech, s, arch::analytic_counters(config, s, din, dw), 1.0));
  return arch::network_cost(std::move(layers), config, tech);
}

// A stochastic-MTJ converter with round electrical values, for roll-ups that price one.
circuit::MtjConverter test_converter() {
  circuit::MtjConverter c;
  c.device = "test";
  c.heavy_metal_resistance_ohm = 1000.0;
  c.resistance_parallel_ohm = 4000.0;
  c.resistance_antiparallel_ohm = 6000.0;
  c.pulse_width_s = 1e-9;
  c.mean_abs_current_A = 100e-6;
  c.mean_square_current_A2 = 1.1e-8;
  c.max_abs_current_A = 150e-6;
  c.reset_current_A = 186e-6;
  return c;
}

// NeuroSim's VGG-8 for CIFAR-10 as GEMMs: (output pixels, K = Cin·3·3, N = Cout), then the two
// fully connected layers.
const std::vector<arch::LayerShape> kVgg8 = {
    {"conv1", 1024, 27, 128}, {"conv2", 1024, 1152, 128}, {"conv3", 256, 1152, 256}, {"conv4", 256, 2304, 256},
    {"conv5", 64, 2304, 512}, {"conv6", 64, 4608, 512},   {"fc1", 1, 8192, 1024},    {"fc2", 1, 1024, 10}};
}  // namespace

TEST(CostRollup, OneLayerByHand) {
  const auto tech = circuit::load_technology(kTech, {"technology.post_layout_energy_factor=1.0"});
  arch::CrossbarConfig config;
  config.periphery.array_rows = 4;
  config.periphery.columns_per_adc = 2;
  config.periphery.accumulator_bits = 8;
  config.rows = 4;
  config.columns = 8;
  config.input_bits = 2;
  config.weight_bits = 2;
  config.readout.kind = ReadoutKind::kAdc;
  config.readout.adc.bits = 3;
  const std::vector<std::int8_t> w{1, -1, 1, 0};
  const std::vector<std::uint8_t> a{1, 2, 3, 0};
  const arch::CrossbarLayer layer(config, 0, w, 1, 4);
  std::vector<double> out(1);
  arch::Counters counters;
  layer.run(a, 1, {}, 1, out, counters);
  EXPECT_DOUBLE_EQ(out[0], 1 * 1 + 2 * -1 + 3 * 1);
  // Two column groups (bit 0, and bit 1 weighted -2), one side: 2 × 2 input bits = 4 PS.
  ASSERT_EQ(counters.partial_sums, 4u);
  ASSERT_EQ(counters.adc_conversions, 4u);
  ASSERT_EQ(counters.active_rows, 4u);  // input bit 0 drives rows {0, 2}, bit 1 rows {1, 2}
  ASSERT_EQ(counters.column_reads, 4u);
  ASSERT_EQ(counters.shift_adds, 4u);

  const arch::LayerShape shape{"l0", 1, 4, 1};
  const auto cost = arch::layer_cost(config, tech, shape, counters, 1.0);
  // Word lines: 4 × 0.15 fF × 8 columns × 0.8² V²; bit lines: 4 × 0.2 fF × 4 rows × 0.8 V × 0.4 V.
  EXPECT_NEAR(cost.energy_J.at("array"), 4 * 0.15e-15 * 8 * 0.64 + 4 * 0.2e-15 * 4 * 0.32, 1e-27);
  // 3-bit SAR: (0.538·3 + 4.3753) µW × 4 ns = 23.9572 fJ per conversion.
  EXPECT_NEAR(cost.energy_J.at("readout"), 4 * 23.9572e-15, 1e-24);
  // One (3 + 2)-bit add per conversion at 1.8 fJ per bit.
  EXPECT_NEAR(cost.energy_J.at("shift_add"), 4 * 5 * 1.8e-15, 1e-27);
  // Buffer: 4 inputs × 2 bits + 1 output × 8 bits, 60 fJ per bit.
  EXPECT_NEAR(cost.energy_J.at("buffer"), 16 * 60e-15, 1e-25);
  // 1 GEMM row × 2 input bits × 1 row group × (2 columns per ADC × 4 ns).
  EXPECT_DOUBLE_EQ(cost.latency_s, 16e-9);
  // One 4×8 array, 4 ADCs (8 columns / 2), 4 accumulators of 8 bits × 52 transistors.
  const double f2 = 22e-9 * 22e-9, transistor = 84 * f2;
  EXPECT_NEAR(cost.area_m2.at("array"), 32 * 280 * f2, 1e-22);
  EXPECT_NEAR(cost.area_m2.at("readout"), 4 * (269 + 2 * 109 + 209 + 2 * 73) * transistor, 1e-20);
  EXPECT_NEAR(cost.area_m2.at("shift_add"), 4 * 8 * 52 * transistor, 1e-20);
  EXPECT_EQ(cost.physical_arrays, 1);

  // The post-layout factor scales every energy and nothing else.
  const auto tech2 = circuit::load_technology(kTech, {"technology.post_layout_energy_factor=2.0"});
  const auto cost2 = arch::layer_cost(config, tech2, shape, counters, 1.0);
  EXPECT_NEAR(cost2.total_energy_J(), 2 * cost.total_energy_J(), 1e-24);
  EXPECT_DOUBLE_EQ(cost2.latency_s, cost.latency_s);
  EXPECT_DOUBLE_EQ(cost2.total_area_m2(), cost.total_area_m2());

  const auto net = arch::network_cost({cost}, config, tech);
  EXPECT_DOUBLE_EQ(net.energy_total_J, cost.total_energy_J());
  EXPECT_NEAR(net.tops_per_W(), 2.0 * 4 / cost.total_energy_J() / 1e12, 1e-9);
  EXPECT_NEAR(net.edp_J_s(), cost.total_energy_J() * 16e-9, 1e-40);
}

TEST(CostRollup, MoreAdcBitsNeverCheaper) {
  const auto tech = circuit::load_technology(kTech);
  double energy = 0, latency = 0, area = 0;
  for (int bits = 2; bits <= 10; ++bits) {
    const auto net = analytic_network(adc_config(128, bits), tech, kVgg8, 0.3, 0.5);
    EXPECT_GT(net.energy_total_J, energy) << bits;
    EXPECT_GT(net.latency_s, latency) << bits;
    EXPECT_GT(net.area_total_m2, area) << bits;
    energy = net.energy_total_J;
    latency = net.latency_s;
    area = net.area_total_m2;
  }
}

TEST(CostRollup, DigitalLayersUseMacsAndSharedUnits) {
  const auto tech = circuit::load_technology(kTech);
  arch::LayerShape s{"fc", 1, 1000, 100, true};
  const auto cost = arch::layer_cost(adc_config(128, 5), tech, s, {}, 1.0);
  EXPECT_EQ(cost.readout, "digital");
  EXPECT_NEAR(cost.energy_J.at("digital"), 1.22 * 100000 * 89e-15, 1e-18);
  EXPECT_DOUBLE_EQ(cost.latency_s, std::ceil(100000.0 / 256) * 1e-9);
  const auto net = arch::network_cost({cost, cost}, adc_config(128, 5), tech);
  EXPECT_NEAR(net.area_m2.at("digital"), 256 * circuit::digital_mac(tech).area_m2, 1e-18);
}

TEST(CostRollup, CountersAndAnalyticAgreeForAGivenDensity) {
  // Random activations whose bits are each 1 with probability 0.05 and uniform int8 weights
  // (each two's-complement bit 1 with probability 1/2): the engine's exact counts and the
  // analytic expectation must agree; with ~10^5 counts per field the sampling error is below
  // 1 %, so 3 % bounds the independence approximation too.
  const auto tech = circuit::load_technology(kTech);
  auto config = adc_config(128, 5);
  config.readout.adc.sparse = true;
  const int m = 64, k = 300, n = 64;
  std::mt19937 gen(20261122);
  std::bernoulli_distribution bit(0.05);
  std::uniform_int_distribution<int> byte(-128, 127);
  std::vector<std::uint8_t> a(static_cast<std::size_t>(m) * k);
  for (auto& v : a) {
    int x = 0;
    for (int b = 0; b < 8; ++b) x |= bit(gen) << b;
    v = static_cast<std::uint8_t>(x);
  }
  std::vector<std::int8_t> w(static_cast<std::size_t>(n) * k);
  for (auto& v : w) v = static_cast<std::int8_t>(byte(gen));
  const arch::LayerShape shape{"l", static_cast<std::uint64_t>(m), static_cast<std::uint64_t>(k),
                               static_cast<std::uint64_t>(n)};
  auto lcu = config;
  lcu.readout.kind = ReadoutKind::kZebraLcu;
  lcu.readout.lcu.group_rows = 8;
  auto mtj = config;
  mtj.readout.kind = ReadoutKind::kStochasticMtj;
  mtj.readout.mtj.samples = 4;
  auto sparse_mtj = mtj;
  sparse_mtj.readout.mtj.sparse = true;
  sparse_mtj.readout.mtj.ideal_zero_detection = true;
  const circuit::MtjConverter electrical = test_converter();
  for (const auto& cfg : {config, lcu, mtj, sparse_mtj}) {
    SCOPED_TRACE(std::string(circuit::readout_name(cfg.readout.kind)));
    const arch::CrossbarLayer layer(cfg, 0, w, n, k);
    std::vector<double> out(static_cast<std::size_t>(m) * n);
    arch::Counters measured;
    layer.run(a, m, {}, 7, out, measured);
    const auto expected = arch::analytic_counters(cfg, shape, 0.05, 0.5);
    const auto near = [](std::uint64_t got, std::uint64_t want) {
      EXPECT_NEAR(static_cast<double>(got), static_cast<double>(want), 0.03 * static_cast<double>(want) + 1);
    };
    EXPECT_EQ(measured.partial_sums, expected.partial_sums);
    EXPECT_EQ(measured.column_reads, expected.column_reads);
    if (cfg.readout.mtj.sparse) {
      SCOPED_TRACE("sparse");
      near(measured.mtj_samples, expected.mtj_samples);
      near(measured.mtj_skipped, expected.mtj_skipped);
      EXPECT_GT(expected.mtj_skipped, expected.partial_sums / 10);  // most of these PS are sampled, not all
    } else {
      EXPECT_EQ(measured.mtj_samples, expected.mtj_samples);
    }
    near(measured.active_rows, expected.active_rows);
    near(measured.adc_conversions, expected.adc_conversions);
    near(measured.lcu_senses, expected.lcu_senses);
    near(measured.lcu_skipped, expected.lcu_skipped);
    near(measured.shift_adds, expected.shift_adds);
    const auto from_counters = arch::layer_cost(cfg, tech, shape, measured, 1.0, &electrical);
    const auto from_density = arch::layer_cost(cfg, tech, shape, expected, 1.0, &electrical);
    EXPECT_NEAR(from_counters.total_energy_J(), from_density.total_energy_J(), 0.03 * from_density.total_energy_J());
    EXPECT_DOUBLE_EQ(from_counters.latency_s, from_density.latency_s);
    EXPECT_DOUBLE_EQ(from_counters.total_area_m2(), from_density.total_area_m2());
  }
  // Digital zero detection skips the PS of an idle input stream (or an all-zero column, here
  // negligible: 0.5^44): whole (row, stream, tile) events of N·groups PS each, so the skip count
  // fluctuates by N·groups·sqrt(Σ p(1 − p)) over the events, p = 0.95^rows of the tile.
  auto digital = sparse_mtj;
  digital.readout.mtj.ideal_zero_detection = false;
  const arch::CrossbarLayer layer(digital, 0, w, n, k);
  std::vector<double> out(static_cast<std::size_t>(m) * n);
  arch::Counters measured;
  layer.run(a, m, {}, 7, out, measured);
  const auto expected = arch::analytic_counters(digital, shape, 0.05, 0.5);
  double variance = 0;
  for (int rows : {128, 128, 44}) {
    const double p = std::pow(0.95, rows);
    variance += static_cast<double>(m) * 8 * p * (1 - p);  // m rows × 8 input streams per tile
  }
  const double groups = static_cast<double>(measured.partial_sums) / (static_cast<double>(m) * 8 * 3 * n);
  const double se = n * groups * std::sqrt(variance);
  EXPECT_NEAR(static_cast<double>(measured.mtj_skipped), static_cast<double>(expected.mtj_skipped), 3 * se);
  EXPECT_LT(measured.mtj_skipped, arch::analytic_counters(sparse_mtj, shape, 0.05, 0.5).mtj_skipped);
  // Every digitally known zero is a zero: the ideal detection skips at least as many.
  arch::Counters oracle;
  arch::CrossbarLayer(sparse_mtj, 0, w, n, k).run(a, m, {}, 7, out, oracle);
  EXPECT_LE(measured.mtj_skipped, oracle.mtj_skipped);
  EXPECT_GT(measured.mtj_skipped, 0u);
}

TEST(CostCalibration, NeuroSimVgg8Sram22nm) {
  // NeuroSim (VGG-8, CIFAR-10, 22 nm SRAM, 8-bit weights and inputs, 1 bit per cell, 128×128
  // subarrays, 4-bit ADC shared by 8 columns): 8.76 TOPS/W with 32 parallel rows and 17.13 with
  // 64, the ADC being the largest energy share. cimmc must land within ±30 % of both with the
  // ADC (readout) as its largest component. Densities: inputs 0.3, weights 0.5 (only the word
  // line energy depends on them).
  const auto tech = circuit::load_technology(kTech);
  ASSERT_EQ(adc_config(32, 4).periphery.array_rows, 128);
  ASSERT_EQ(adc_config(32, 4).periphery.columns_per_adc, 8);
  const std::pair<int, double> points[] = {{32, 8.76}, {64, 17.13}};
  for (const auto& [rows, published] : points) {
    const auto net = analytic_network(adc_config(rows, 4), tech, kVgg8, 0.3, 0.5);
    std::printf("VGG-8 R=%d: cimmc %.2f TOPS/W vs NeuroSim %.2f (%+.0f %%); readout %.0f %% of energy\n", rows,
                net.tops_per_W(), published, 100 * (net.tops_per_W() / published - 1),
                100 * net.energy_J.at("readout") / net.energy_total_J);
    EXPECT_NEAR(net.tops_per_W(), published, 0.30 * published) << "R = " << rows;
    for (const auto& [component, e] : net.energy_J) {
      if (component == "readout") continue;
      EXPECT_LT(e, net.energy_J.at("readout")) << component << " at R = " << rows;
    }
  }
}

// The stochastic readout's trim by hand (docs/cost.md, "Trim and decode"): per column the trim
// stage (trim_transistors), 2 streams × (gain + offset bits) of code registers, and with in-situ
// calibration a reference trim (current_trim_transistors) and its code register; all in "trim",
// none in the counters' "shift_add" area. The power-up calibration is a note, not an energy.
TEST(CostRollup, TrimAndInSituCalibrationByHand) {
  const auto tech = circuit::load_technology(kTech, {"technology.post_layout_energy_factor=1.0"});
  arch::CrossbarConfig config;
  config.periphery.array_rows = 4;
  config.rows = 4;
  config.columns = 8;
  config.input_bits = 2;
  config.weight_bits = 2;
  config.readout.kind = ReadoutKind::kStochasticMtj;
  config.readout.mtj.samples = 4;
  const circuit::MtjConverter electrical = test_converter();
  const arch::LayerShape shape{"l0", 1, 4, 1};
  arch::Counters counters;
  counters.partial_sums = counters.mtj_reads = 4;
  counters.mtj_samples = 16;
  const auto ideal = arch::layer_cost(config, tech, shape, counters, 1.0, &electrical);
  EXPECT_EQ(ideal.area_m2.count("trim"), 0u);

  config.readout.mtj.trim.ideal = false;
  config.readout.mtj.trim.gain_bits = 6;
  config.readout.mtj.trim.offset_bits = 5;
  const auto trimmed = arch::layer_cost(config, tech, shape, counters, 1.0, &electrical);
  const double transistor = 84 * 22e-9 * 22e-9, columns = 8;  // one array of 8 columns
  EXPECT_NEAR(trimmed.area_m2.at("trim"), columns * (40 + 2 * (6 + 5) * 24) * transistor, 1e-20);
  EXPECT_DOUBLE_EQ(trimmed.area_m2.at("shift_add"), ideal.area_m2.at("shift_add"));
  EXPECT_NEAR(trimmed.energy_J.at("trim"), 4 * 5e-15, 1e-27);

  config.readout.mtj.trim.in_situ = true;
  config.readout.mtj.trim.current_trim_bits = 7;
  config.readout.mtj.trim.calibration_pulses = 100;
  const auto calibrated = arch::layer_cost(config, tech, shape, counters, 1.0, &electrical);
  EXPECT_NEAR(calibrated.area_m2.at("trim"), trimmed.area_m2.at("trim") + columns * (20 + 7 * 24) * transistor, 1e-20);
  EXPECT_DOUBLE_EQ(calibrated.total_energy_J(), trimmed.total_energy_J());
  bool noted = false;
  for (const auto& note : calibrated.notes)
    noted |= note.find("in-situ MTJ calibration") != std::string::npos &&
             note.find("7 code steps x 100 samples") != std::string::npos;
  EXPECT_TRUE(noted);
}
