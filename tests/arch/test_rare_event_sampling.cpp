// Rare-event sampling of readout errors (docs/rare_event_sampling.md): the same numbers for any
// thread count and batching, the choice made by readout.sampling = "auto", and the key's checks.
#include <gtest/gtest.h>
#include <omp.h>

#include <random>
#include <string>
#include <vector>

#include "cimmc/arch/crossbar_config.hpp"
#include "cimmc/arch/crossbar_layer.hpp"
#include "cimmc/core/error.hpp"

using namespace cimmc::arch;
using cimmc::circuit::ReadoutKind;
using cimmc::circuit::ReadoutSampling;

namespace {

struct Problem {
  int m, n, k;
  std::vector<std::uint8_t> act;
  std::vector<std::int8_t> w;
};

Problem random_problem(int m, int n, int k) {
  std::mt19937 gen(20261203);
  Problem p{m, n, k, std::vector<std::uint8_t>(static_cast<std::size_t>(m) * k),
            std::vector<std::int8_t>(static_cast<std::size_t>(n) * k)};
  for (auto& a : p.act) a = gen() % 3 == 0 ? 0 : static_cast<std::uint8_t>(gen() % 256);
  for (auto& x : p.w) x = static_cast<std::int8_t>(static_cast<int>(gen() % 255) - 127);
  return p;
}

struct Result {
  std::vector<double> out;
  Counters counters;
};

Result run(const CrossbarLayer& layer, const Problem& p, int threads, const RunAddress& address) {
  Result r;
  r.out.resize(static_cast<std::size_t>(p.m) * p.n);
  omp_set_num_threads(threads);
  layer.run(p.act, p.m, address, 77, r.out, r.counters);
  return r;
}

// Configurations where rare-event sampling does work: noise well below the level spacing, with
// the LCU's integer-level (no offsets), byte (G = 8) and scalar (G = 4, differential, R > 64)
// paths and fine ADCs.
std::vector<std::pair<std::string, CrossbarConfig>> cases() {
  std::vector<std::pair<std::string, CrossbarConfig>> out;
  {
    CrossbarConfig c;
    c.rows = 128;
    c.encoding = Encoding::kAdaptiveFlip;
    c.readout.kind = ReadoutKind::kZebraLcu;
    c.readout.lcu.group_rows = 8;
    c.readout.lcu.levels = 9;
    c.noise.sense_sigma_lsb = 0.2;
    c.noise.cell_sigma_lsb = 0.05;
    c.noise.offset_sigma_lsb = 0.05;
    out.emplace_back("lcu G = 8", c);
    c.noise.offset_sigma_lsb = 0.0;  // integer levels: the path that counts senses without sensing them
    out.emplace_back("lcu G = 8, no offsets", c);
  }
  {
    CrossbarConfig c;
    c.rows = 100;
    c.bits_per_cell = 2;
    c.signed_scheme = SignedScheme::kDifferential;
    c.encoding = Encoding::kCsd;
    c.readout.kind = ReadoutKind::kZebraLcu;
    c.readout.lcu.group_rows = 4;
    c.readout.lcu.levels = 13;
    c.noise = cimmc::circuit::NoiseParams::relative_full_scale(0.02, 0.01, 0.005);
    out.emplace_back("lcu G = 4, differential, 2-bit cells", c);
  }
  {
    CrossbarConfig c;
    c.rows = 128;
    c.signed_scheme = SignedScheme::kDifferential;
    c.readout.kind = ReadoutKind::kAdc;
    c.readout.adc.bits = 9;
    c.noise.sense_sigma_lsb = 0.15;
    c.noise.cell_sigma_lsb = 0.02;
    c.noise.offset_sigma_lsb = 0.1;
    out.emplace_back("adc differential", c);
  }
  {
    CrossbarConfig c;
    c.rows = 64;
    c.readout.kind = ReadoutKind::kAdc;
    c.readout.adc.bits = 7;
    c.readout.adc.sparse = true;
    c.noise = cimmc::circuit::NoiseParams::relative_full_scale(0.003);
    out.emplace_back("adc sparse", c);
  }
  return out;
}

}  // namespace

TEST(RareEventSampling, ResultsDoNotDependOnThreadsOrBatching) {
  const int rows_per_image = 5, images = 9;
  const Problem p = random_problem(rows_per_image * images, 11, 300);
  const RunAddress address{3, 7, 5, 40, rows_per_image};
  for (auto [name, c] : cases()) {
    c.readout.sampling = ReadoutSampling::kRareEvent;
    const CrossbarLayer layer(c, 5, p.w, p.n, p.k);
    const Result one = run(layer, p, 1, address);
    for (int threads : {2, 3}) {
      const Result r = run(layer, p, threads, address);
      EXPECT_EQ(one.out, r.out) << name << ", " << threads << " threads";
      EXPECT_EQ(one.counters.clipped, r.counters.clipped) << name;
      EXPECT_EQ(one.counters.lcu_senses, r.counters.lcu_senses) << name;
    }
    // The same images in two batches, the second one first.
    const int m1 = 4 * rows_per_image;
    std::vector<double> split(one.out.size());
    Counters counters;
    RunAddress second = address;
    second.first_image += 4;
    omp_set_num_threads(2);
    layer.run(std::span(p.act).subspan(static_cast<std::size_t>(m1) * p.k), p.m - m1, second, 77,
              std::span(split).subspan(static_cast<std::size_t>(m1) * p.n), counters);
    layer.run(std::span(p.act).first(static_cast<std::size_t>(m1) * p.k), m1, address, 77,
              std::span(split).first(static_cast<std::size_t>(m1) * p.n), counters);
    EXPECT_EQ(one.out, split) << name;
    // The noise is there (some output differs from the noise-free run) and changes with the trial.
    CrossbarConfig quiet = c;
    quiet.noise.sense_sigma_lsb = quiet.noise.cell_sigma_lsb = 0.0;
    quiet.noise.sigma_fraction = quiet.noise.proportional_fraction = 0.0;
    const CrossbarLayer quiet_layer(quiet, 5, p.w, p.n, p.k);
    EXPECT_NE(one.out, run(quiet_layer, p, 2, address).out) << name;
    RunAddress next = address;
    next.trial += 1;
    EXPECT_NE(one.out, run(layer, p, 2, next).out) << name;
  }
  omp_set_num_threads(1);
}

TEST(RareEventSampling, AutoChoosesRareEventOnlyWhereErrorsAreRare) {
  const Problem p = random_problem(20, 9, 200);
  const RunAddress address{0, 1, 2, 0, 4};
  for (auto [name, c] : cases()) {
    for (const bool rare_errors : {true, false}) {
      CrossbarConfig small = c;
      if (!rare_errors) {  // σ near the level spacing: every sense's error probability is large
        small.noise.sense_sigma_lsb = small.noise.sense_sigma_lsb > 0 ? 0.5 : 0.0;
        small.noise.sigma_fraction = small.noise.sigma_fraction > 0 ? 0.5 / small.full_scale() * 16 : 0.0;
        if (small.readout.kind == ReadoutKind::kZebraLcu && !small.noise.physical())
          small.noise.sigma_fraction = 0.5 / (small.readout.lcu.group_rows * small.max_cell_value());
      } else {  // far below
        small.noise.sense_sigma_lsb /= 4;
        small.noise.cell_sigma_lsb /= 4;
        small.noise.offset_sigma_lsb /= 4;
        small.noise.sigma_fraction /= 4;
        small.noise.proportional_fraction /= 4;
        small.noise.offset_fraction /= 4;
      }
      std::vector<Result> by[3];
      for (ReadoutSampling s : {ReadoutSampling::kAuto, ReadoutSampling::kDirect, ReadoutSampling::kRareEvent}) {
        CrossbarConfig x = small;
        x.readout.sampling = s;
        const CrossbarLayer layer(x, 2, p.w, p.n, p.k);
        by[static_cast<int>(s)].push_back(run(layer, p, 2, address));
      }
      const auto& expected =
          by[static_cast<int>(rare_errors ? ReadoutSampling::kRareEvent : ReadoutSampling::kDirect)][0];
      EXPECT_EQ(by[0][0].out, expected.out) << name << (rare_errors ? ", small noise" : ", large noise");
      EXPECT_EQ(by[0][0].counters.noise_draws, expected.counters.noise_draws) << name;
      // Rare-event sampling draws no normals.
      EXPECT_EQ(by[static_cast<int>(ReadoutSampling::kRareEvent)][0].counters.noise_draws, 0u) << name;
      EXPECT_GT(by[static_cast<int>(ReadoutSampling::kDirect)][0].counters.noise_draws, 0u) << name;
    }
  }
  omp_set_num_threads(1);
}

TEST(RareEventSampling, SamplingKeyIsReadAndChecked) {
  const auto read = [](const std::string& text) {
    return read_crossbar_config(cimmc::core::config::parse_string(text, "hw.toml"));
  };
  EXPECT_EQ(read("[readout]\nkind = \"adc\"\n").readout.sampling, ReadoutSampling::kAuto);
  EXPECT_EQ(read("[readout]\nkind = \"zebra_lcu\"\nsampling = \"rare_event\"\n").readout.sampling,
            ReadoutSampling::kRareEvent);
  EXPECT_EQ(read("[readout]\nkind = \"stochastic_mtj\"\nsampling = \"direct\"\n").readout.sampling,
            ReadoutSampling::kDirect);
  const auto error_of = [&](const std::string& text) -> std::string {
    try {
      read(text);
    } catch (const cimmc::core::ConfigError& e) {
      return e.what();
    }
    return "";
  };
  const std::string unknown = error_of("[readout]\nkind = \"adc\"\nsampling = \"rare\"\n");
  EXPECT_NE(unknown.find("hw.toml:3: key 'readout.sampling'"), std::string::npos) << unknown;
  EXPECT_NE(unknown.find("\"rare_event\""), std::string::npos) << unknown;
  const std::string mtj = error_of("[readout]\nkind = \"stochastic_mtj\"\nsampling = \"rare_event\"\n");
  EXPECT_NE(mtj.find("hw.toml:3: key 'readout.sampling'"), std::string::npos) << mtj;
  EXPECT_NE(mtj.find("only with kind = \"adc\" or \"zebra_lcu\""), std::string::npos) << mtj;
  // Level sampling (docs/rare_event_sampling.md, "Level sampling"): the ADC only.
  EXPECT_EQ(read("[readout]\nkind = \"adc\"\nsampling = \"level\"\n").readout.sampling, ReadoutSampling::kLevel);
  EXPECT_NE(unknown.find("\"level\""), std::string::npos) << unknown;
  const std::string lcu = error_of("[readout]\nkind = \"zebra_lcu\"\nsampling = \"level\"\n");
  EXPECT_NE(lcu.find("hw.toml:3: key 'readout.sampling'"), std::string::npos) << lcu;
  EXPECT_NE(lcu.find("\"level\" only with kind = \"adc\""), std::string::npos) << lcu;
}
