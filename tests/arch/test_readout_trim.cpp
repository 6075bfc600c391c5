// The stochastic readout's trim circuit in the engine: with mismatch, each trial's trims differ
// (and the outputs with them) while the same trial reproduces bit for bit; the ideal trim does
// not depend on the trial at all.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "cimmc/arch/crossbar_layer.hpp"

using namespace cimmc;

namespace {
struct Run {
  std::vector<double> out;
};

arch::CrossbarConfig stox_config(bool circuit_trim) {
  arch::CrossbarConfig c;
  c.rows = 64;
  c.columns = 64;
  c.input_bits = 2;
  c.weight_bits = 4;
  c.signed_scheme = arch::SignedScheme::kDifferential;
  c.readout.kind = circuit::ReadoutKind::kStochasticMtj;
  c.readout.mtj.samples = 8;
  c.readout.mtj.trim.ideal = !circuit_trim;
  c.readout.mtj.trim.gain_mismatch = 0.05;
  c.readout.mtj.trim.offset_mismatch = 0.05;
  return c;
}

std::vector<double> run(const arch::CrossbarConfig& config, std::uint32_t trial) {
  const int m = 16, n = 8, k = 128;
  std::mt19937 gen(11);
  std::vector<std::int8_t> w(static_cast<std::size_t>(n) * k);
  for (auto& x : w) x = static_cast<std::int8_t>(static_cast<int>(gen() % 15) - 7);
  std::vector<std::uint8_t> a(static_cast<std::size_t>(m) * k);
  for (auto& x : a) x = static_cast<std::uint8_t>(gen() % 4);
  arch::CrossbarLayer layer(config, 3, w, n, k);
  layer.set_variation_address(5, 0, trial);
  layer.calibrate(layer.collect_statistics(a, m));
  std::vector<double> out(static_cast<std::size_t>(m) * n);
  arch::Counters counters;
  layer.run(a, m, {}, 9, out, counters);  // the same sampling streams in every run
  return out;
}
}  // namespace

TEST(ReadoutTrim, MismatchIsDrawnPerTrialAndReproducible) {
  const auto config = stox_config(true);
  const auto a = run(config, 0), again = run(config, 0), other = run(config, 1);
  EXPECT_EQ(a, again);
  EXPECT_NE(a, other);
}

TEST(ReadoutTrim, IdealTrimIgnoresTheTrial) {
  const auto config = stox_config(false);
  EXPECT_EQ(run(config, 0), run(config, 1));
}

TEST(ReadoutTrim, CircuitWithoutMismatchOnlyQuantizes) {
  auto config = stox_config(true);
  config.readout.mtj.trim.gain_mismatch = config.readout.mtj.trim.offset_mismatch = 0;
  EXPECT_EQ(run(config, 0), run(config, 1));  // no draw left: the trial does not matter
  // 16 bits of gain and offset come within ~1e-4 of the calibrated maps. An output changes only
  // if one of its 16 conversions (2 subarrays × 2 streams × 4 groups) draws one of its T = 8
  // words inside the shifted probability (|Δp| <~ 1e-4): about 1.5 % of the 128 outputs expected,
  // binomial σ ~1.1 %; the bound of 10 % is more than 7 σ away, a broken trim fails it.
  config.readout.mtj.trim.gain_bits = config.readout.mtj.trim.offset_bits = 16;
  const auto fine = run(config, 0), ideal = run(stox_config(false), 0);
  int same = 0;
  for (std::size_t i = 0; i < fine.size(); ++i) same += std::abs(fine[i] - ideal[i]) < 1e-3 * (1 + std::abs(ideal[i]));
  EXPECT_GT(same, static_cast<int>(fine.size() * 9 / 10));
}

// Zero detection of the sparse stochastic readout, by hand. R = 4, K = 8 (two subarrays), 1-bit
// inputs, 2-bit two's-complement weights in two single-ended groups (digit 0, and the −2 digit).
// Output 0: w = (1, 0, 0, 0 | 1, 1, 1, 1); output 1: w = −1 everywhere (both digits set).
// Input (0, 1, 0, 0 | 1, 1, 1, 1): no stream is idle; output 0's −2 column is empty in both
// subarrays (2 PS known zero); output 0's digit-0 PS of subarray 0 is zero too (row 1 meets a
// zero cell) but only the ideal detection knows it. An idle stream skips every PS it feeds.
TEST(ReadoutTrim, DigitalZeroDetectionKnowsIdleStreamsAndEmptyColumns) {
  arch::CrossbarConfig c;
  c.rows = 4;
  c.columns = 8;
  c.input_bits = 1;
  c.weight_bits = 2;
  c.readout.kind = circuit::ReadoutKind::kStochasticMtj;
  c.readout.mtj.sparse = true;
  const std::vector<std::int8_t> w{1, 0, 0, 0, 1, 1, 1, 1, -1, -1, -1, -1, -1, -1, -1, -1};
  const auto skipped = [&](bool ideal, const std::vector<std::uint8_t>& a) {
    auto config = c;
    config.readout.mtj.ideal_zero_detection = ideal;
    const arch::CrossbarLayer layer(config, 0, w, 2, 8);
    std::vector<double> out(2);
    arch::Counters counters;
    layer.run(a, 1, {}, 1, out, counters);
    EXPECT_EQ(counters.partial_sums, 8u);
    return counters.mtj_skipped;
  };
  const std::vector<std::uint8_t> a{0, 1, 0, 0, 1, 1, 1, 1};
  EXPECT_EQ(skipped(false, a), 2u);
  EXPECT_EQ(skipped(true, a), 3u);
  const std::vector<std::uint8_t> idle{0, 0, 0, 0, 1, 1, 1, 1};  // subarray 0 idle: its 4 PS
  EXPECT_EQ(skipped(false, idle), 4u + 1u);
  EXPECT_EQ(skipped(true, idle), 4u + 1u);
}
