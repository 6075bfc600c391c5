// The seed papers' cost comparisons (docs/reproductions.md): every printed metric against the
// committed baseline tests/studies/reproductions_true.txt (regenerate it, and review the diff, with
// `CIMMC_UPDATE_BASELINES=1 build/release/bin/cimmc_test_studies --gtest_filter='CostReproduction.*'`),
// the zoo model's weights (never zero, densities equal to a direct count), the readout's sample
// rules in the roll-up (mean T by hand), and what must hold whatever the technology numbers.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include "cimmc/circuit/technology.hpp"
#include "cimmc/core/data_files.hpp"
#include "cimmc/studies/cost_inputs.hpp"
#include "cimmc/studies/cost_report.hpp"
#include "cimmc/studies/reproductions.hpp"

using namespace cimmc;

namespace {
const circuit::Technology& tech() {
  static const auto t = circuit::load_technology(std::string(CIMMC_SOURCE_DIR) + "/data/tech/22nm.toml");
  return t;
}
const std::string kBaseline = std::string(CIMMC_SOURCE_DIR) + "/tests/studies/reproductions_true.txt";

arch::CrossbarConfig shipped(const std::string& name, const std::vector<std::string>& overrides = {}) {
  return arch::load_crossbar_config(cimmc::core::data_files::resolve("hw", name, ".toml", "hardware"), overrides);
}

struct Run {
  std::string reproduction;
  studies::Scenario scenario;
};
const Run kRuns[] = {{"stox", studies::Scenario::kCimmc},
                     {"stox", studies::Scenario::kPaperAssumptions},
                     {"zebra", studies::Scenario::kCimmc},
                     {"zebra", studies::Scenario::kPaperAssumptions}};

studies::Comparison compare(const Run& r) {
  return r.reproduction == "stox" ? studies::stox_comparison(tech(), 0.25, r.scenario)
                                  : studies::zebra_comparison(tech(), 0.25, r.scenario);
}
}  // namespace

TEST(CostReproduction, EveryMetricMatchesTheBaseline) {
  std::map<std::string, double> now;
  for (const auto& r : kRuns) {
    const auto c = compare(r);
    std::printf("%s\n", c.format().c_str());
    for (const auto& [name, value] : c.metrics())
      now[r.reproduction + "\t" + std::string(studies::scenario_name(r.scenario)) + "\t" + name] = value;
  }
  if (std::getenv("CIMMC_UPDATE_BASELINES")) {
    std::ofstream out(kBaseline);
    out << "# Every metric `cimmc cost --reproduce stox|zebra [--scenario paper-assumptions]` prints\n"
           "# (reproduction, scenario, metric, value; tab separated). Regenerate with\n"
           "# CIMMC_UPDATE_BASELINES=1 build/release/bin/cimmc_test_studies --gtest_filter='CostReproduction.*'\n"
           "# and review the diff: a change here is a change to a printed paper comparison.\n";
    for (const auto& [name, value] : now) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.12e", value);
      out << name << '\t' << buf << '\n';
    }
    GTEST_SKIP() << "wrote " << kBaseline;
  }
  std::ifstream in(kBaseline);
  ASSERT_TRUE(in) << "missing " << kBaseline;
  std::map<std::string, double> base;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    const auto tab = line.rfind('\t');
    base[line.substr(0, tab)] = std::stod(line.substr(tab + 1));
  }
  for (const auto& [name, value] : now) {
    const auto it = base.find(name);
    if (it == base.end()) {
      ADD_FAILURE() << "not in the baseline: " << name;
      continue;
    }
    // Deterministic arithmetic; the tolerance only absorbs fused multiply-adds across machines.
    EXPECT_NEAR(value, it->second, 1e-7 * std::abs(it->second)) << name;
  }
  for (const auto& [name, value] : base) EXPECT_TRUE(now.count(name)) << "no longer printed: " << name;
}

TEST(CostReproduction, PrintsEveryMetricThePapersState) {
  const auto stox = studies::stox_comparison(tech(), 0.25, studies::Scenario::kCimmc);
  // v2 and v1 abstracts: energy, latency, area (vs standard ADC), EDP vs full-precision and vs
  // sparse low-bit ADC.
  ASSERT_EQ(stox.paper.size(), 10u);
  for (const auto& p : stox.paper) {
    const double r = stox.ratio(p.metric, p.baseline);
    EXPECT_TRUE(std::isfinite(r) && r > 0) << p.metric << " " << p.baseline;
  }
  const auto text = stox.format();
  for (const char* want : {"v1 abstract", "v2 abstract", "energy", "latency", "area", "edp", "MTJ sample"})
    EXPECT_NE(text.find(want), std::string::npos) << want;
  const auto zebra = studies::zebra_comparison(tech(), 0.25, studies::Scenario::kCimmc);
  ASSERT_EQ(zebra.paper.size(), 4u);  // energy and area efficiency vs both conventional designs
  EXPECT_EQ(zebra.paper[0].low, 2);
  EXPECT_EQ(zebra.paper[0].high, 4);
}

TEST(CostReproduction, ZooWeightsAreNeverZeroAndMatchADirectCount) {
  // No trained ResNet-20 for CIFAR is shipped: seeded He-normal weights, stated as such.
  for (const auto& [hw, encoding] :
       {std::pair{"stox_mtj_bitserial", "twos_complement"}, {"zebra_lcu", "adaptive_flip"}}) {
    SCOPED_TRACE(hw);
    const auto config = shipped(hw);
    ASSERT_EQ(std::string(arch::encoding_name(config.encoding)), encoding);
    const auto priced = studies::cost_model("resnet20", {3, 32, 32}, 10, config.weight_bits, 1);
    EXPECT_FALSE(priced.trained);
    EXPECT_NE(priced.weights.find("He-normal initialization, seed 1"), std::string::npos);
    const auto densities = studies::layer_densities(priced.model, config, 0.25);
    const auto layers = priced.model.gemm_layers();
    ASSERT_EQ(densities.size(), layers.size());
    const int bits = config.weight_bits;
    const unsigned mask = (1u << bits) - 1;
    for (std::size_t i = 0; i < layers.size(); ++i) {
      if (densities[i].weight_by_plane.empty()) continue;  // digital
      // Direct count: every bit of a two's-complement code is a nonzero digit (the MSB weighs
      // −2^(B−1)); adaptive flip stores the code or its complement, whichever has fewer ones.
      const auto codes = layers[i]->weight_codes(bits, layers[i]->weight_scales(bits));
      double ones = 0;
      for (std::int8_t v : codes) {
        const int pop = std::popcount(static_cast<unsigned>(v) & mask);
        ones += config.encoding == arch::Encoding::kAdaptiveFlip ? std::min(pop, bits - pop) : pop;
      }
      const double direct = ones / (static_cast<double>(codes.size()) * bits);
      const double priced_density = arch::stored_digit_density(config, densities[i]);
      EXPECT_GT(priced_density, 0.05) << "layer " << i;  // zero weights would give 0
      EXPECT_NEAR(priced_density, direct, 1e-12) << "layer " << i;
    }
    EXPECT_GT(studies::weight_bit_density(priced.model, config), 0.05);
  }
}

TEST(CostReproduction, ShippedTrainedModelIsPreferredForItsArchitecture) {
  // LeNet-5 on 1×28×28 with 10 classes is shipped trained (data/models/lenet5_fmnist.h5).
  const auto priced = studies::cost_model("lenet5", {1, 28, 28}, 10, 8, 1);
  EXPECT_TRUE(priced.trained);
  EXPECT_NE(priced.weights.find("lenet5_fmnist.h5"), std::string::npos) << priced.weights;
  // The same architecture for 3×32×32 is not shipped: initialized, not zero.
  const auto fresh = studies::cost_model("lenet5", {3, 32, 32}, 10, 8, 1);
  EXPECT_FALSE(fresh.trained);
  EXPECT_GT(studies::weight_bit_density(fresh.model, shipped("adc_baseline")), 0.05);
}

TEST(CostReproduction, SampleRulesByLayerInputBitAndWeightBit) {
  // stox_mtj_bitserial: T = 4, 8 on input bit 3 (the MSB of 4): every (input bit, weight bit) of
  // a dense readout converts the same number of PS, so the mean T is (3·4 + 8) / 4 = 5.
  const auto stox = studies::stox_comparison(tech(), 0.25, studies::Scenario::kCimmc);
  EXPECT_DOUBLE_EQ(studies::mean_mtj_samples(stox.designs[0].cost), 5.0);
  // Rules by layer and weight bit: default 4; input bit 3 → 8; weight bit 0 → 2; layer 1 → 16
  // (the last matching rule wins). Layer 2, 4 streams × 4 weight bits: T = 4 on 9 pairs, 2 on the
  // 4 pairs of weight bit 0, 8 on 3 pairs: (36 + 8 + 24) / 16 = 4.25; rounds per GEMM row: the
  // largest T of each stream, 4 + 4 + 4 + 8 = 20. Layer 1: 16 everywhere, 64 rounds.
  auto config = shipped("stox_mtj_bitserial");
  config.readout.mtj.samples_rule = {{{}, {3}, {}, 8}, {{}, {}, {0}, 2}, {{1}, {}, {}, 16}};
  arch::LayerShape shape{"l", 4, 256, 32};
  const auto uniform = arch::BitDensities::uniform(config, 0.3, 0.4);
  shape.gemm_index = 2;
  const auto c2 = arch::analytic_counters(config, shape, uniform);
  EXPECT_DOUBLE_EQ(static_cast<double>(c2.mtj_samples) / static_cast<double>(c2.mtj_reads), 4.25);
  EXPECT_EQ(arch::mtj_sample_rounds(config, 2), 20);
  shape.gemm_index = 1;
  const auto c1 = arch::analytic_counters(config, shape, uniform);
  EXPECT_EQ(c1.mtj_samples, 16 * c1.mtj_reads);
  EXPECT_EQ(arch::mtj_sample_rounds(config, 1), 64);
}

TEST(CostReproduction, StoxOrdering) {
  for (const auto scenario : {studies::Scenario::kCimmc, studies::Scenario::kPaperAssumptions}) {
    const auto c = studies::stox_comparison(tech(), 0.25, scenario);
    ASSERT_EQ(c.designs.size(), 3u);
    // Same network: the same MACs, and first conv / last FC digital in every design.
    for (const auto& d : c.designs) {
      EXPECT_EQ(d.cost.macs, c.designs[0].cost.macs);
      EXPECT_EQ(d.cost.layers.front().readout, "digital");
      EXPECT_EQ(d.cost.layers.back().readout, "digital");
    }
    EXPECT_EQ(c.designs[0].cost.layers[1].readout, "stochastic_mtj");
    EXPECT_EQ(c.designs[1].cost.layers[1].readout, "adc");
    const auto& fp = c.designs[1].label;
    EXPECT_NEAR(c.ratio("edp", fp), c.ratio("energy", fp) * c.ratio("latency", fp), 1e-9 * c.ratio("edp", fp));
    // A handful of MTJ samples against 8 multiplexed full-precision SAR conversions.
    EXPECT_GT(c.ratio("latency", fp), 1.0);
    // The sparse 4-bit ADC converts fewer PS than the dense full-precision one and each costs less.
    EXPECT_LT(c.designs[2].cost.energy_J.at("readout"), c.designs[1].cost.energy_J.at("readout"));
  }
}

TEST(CostReproduction, ZebraOrdering) {
  const auto c = studies::zebra_comparison(tech(), 0.25, studies::Scenario::kCimmc);
  ASSERT_EQ(c.designs.size(), 3u);
  EXPECT_EQ(c.designs[0].cost.layers[1].readout, "zebra_lcu");
  // The LCU senses real (nonzero) groups: zero weights would make its readout free.
  EXPECT_GT(c.designs[0].cost.energy_J.at("readout"), 0.0);
  // LCU groups are sensed in parallel: far fewer sequential rounds than 8 multiplexed ADC
  // conversions.
  EXPECT_LT(c.designs[0].cost.latency_s, c.designs[2].cost.latency_s);
}
