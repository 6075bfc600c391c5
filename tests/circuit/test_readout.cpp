#include <gtest/gtest.h>
#include <unistd.h>

#include <bit>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <vector>

#include "cimmc/circuit/readout.hpp"
#include "cimmc/circuit/switching_curve.hpp"
#include "cimmc/core/error.hpp"
#include "cimmc/device/switching_table.hpp"
#include "config_test_util.hpp"

using namespace cimmc::circuit;

namespace {
ReadoutParams read(const std::string& text, std::string* error = nullptr) {
  return cimmc::circuit::config_test::read_table(text, "readout", read_readout_params, error);
}
}  // namespace

TEST(ReadoutNames, ParseIsTheInverseOfTheName) {
  using cimmc::circuit::ReadoutKind;
  using cimmc::circuit::ReadoutSampling;
  for (const ReadoutKind k :
       {ReadoutKind::kIdeal, ReadoutKind::kAdc, ReadoutKind::kStochasticMtj, ReadoutKind::kZebraLcu})
    EXPECT_EQ(cimmc::circuit::parse_readout_kind(cimmc::circuit::readout_name(k)), k);
  for (const ReadoutSampling v : {ReadoutSampling::kAuto, ReadoutSampling::kDirect, ReadoutSampling::kRareEvent})
    EXPECT_EQ(cimmc::circuit::parse_readout_sampling(cimmc::circuit::readout_sampling_name(v)), v);
  for (const char* bad : {"", "ADC", "lcu", "rare-event", "unknown", "auto "}) {
    EXPECT_FALSE(cimmc::circuit::parse_readout_kind(bad).has_value()) << bad;
    EXPECT_FALSE(cimmc::circuit::parse_readout_sampling(bad).has_value()) << bad;
  }
}

TEST(AdcQuantizer, StepNeverBelowOneSoEnoughBitsAreExact) {
  const AdcQuantizer q(8, 128.0, false);
  EXPECT_EQ(q.max_code, 255);
  EXPECT_FLOAT_EQ(q.step, 1.0f);
  const AdcQuantizer q5(5, 128.0, false);
  EXPECT_EQ(q5.max_code, 31);
  EXPECT_FLOAT_EQ(q5.step, 128.0f / 31.0f);
  const AdcQuantizer s5(5, 128.0, true);
  EXPECT_EQ(s5.min_code, -15);
  EXPECT_EQ(s5.max_code, 15);
  EXPECT_FLOAT_EQ(s5.step, 128.0f / 15.0f);
  EXPECT_THROW(AdcQuantizer(0, 10.0, false), cimmc::core::ArgumentError);
}

TEST(LcuSense, LevelsCoverTheGroup) {
  const LcuSense full(9, 8.0);
  EXPECT_FLOAT_EQ(full.step, 1.0f);
  EXPECT_EQ(full.max_level, 8);
  const LcuSense coarse(5, 8.0);
  EXPECT_FLOAT_EQ(coarse.step, 2.0f);
}

TEST(Binomial, ThresholdsAreTheCumulativeDistribution) {
  std::vector<std::uint32_t> t(4);
  binomial_thresholds(4, 0.5, t);
  // P(K <= k) = 1/16, 5/16, 11/16, 15/16.
  EXPECT_EQ(t[0], 1u << 28);
  EXPECT_EQ(t[1], 5u << 28);
  EXPECT_EQ(t[2], 11u << 28);
  EXPECT_EQ(t[3], 15u << 28);
  EXPECT_EQ(binomial_from_word(t, 0), 0);
  EXPECT_EQ(binomial_from_word(t, (1u << 28) - 1), 0);
  EXPECT_EQ(binomial_from_word(t, 1u << 28), 1);
  EXPECT_EQ(binomial_from_word(t, 0xFFFFFFFFu), 4);
  binomial_thresholds(4, 0.0, t);
  EXPECT_EQ(binomial_from_word(t, 0x80000000u), 0);
  binomial_thresholds(4, 1.0, t);
  EXPECT_EQ(binomial_from_word(t, 0u), 4);
}

TEST(SwitchingCurve, SigmoidMatchesTheAbstraction) {
  MtjParams p;  // a = 4, I(x) = 100 uA + x 50 uA
  const auto curve = p.make_curve();
  for (double x : {-1.0, -0.3, 0.0, 0.5, 1.0})
    EXPECT_NEAR(curve->probability(p.current_at_zero_A + x * p.current_per_unit_A), 1.0 / (1.0 + std::exp(-4.0 * x)),
                1e-12);
}

TEST(SwitchingCurve, TableInterpolatesAndRejectsBadPoints) {
  TabulatedSwitchingCurve c({1e-4, 2e-4, 3e-4}, {0.1, 0.5, 0.9});
  EXPECT_DOUBLE_EQ(c.probability(0.0), 0.1);
  EXPECT_DOUBLE_EQ(c.probability(1.5e-4), 0.3);
  EXPECT_DOUBLE_EQ(c.probability(9.0), 0.9);
  EXPECT_THROW(TabulatedSwitchingCurve({1e-4, 1e-4}, {0.1, 0.2}), cimmc::core::ArgumentError);
  EXPECT_THROW(TabulatedSwitchingCurve({1e-4, 2e-4}, {0.5, 0.2}), cimmc::core::ArgumentError);
  EXPECT_THROW(TabulatedSwitchingCurve({1e-4, 2e-4}, {0.5, 1.2}), cimmc::core::ArgumentError);
}

TEST(ReadoutParams, SamplesRulesSelectTPerLayerAndBit) {
  const auto p = read(
      "[readout]\nkind = \"stochastic_mtj\"\n[readout.mtj]\nsamples = 4\n"
      "[[readout.mtj.samples_rule]]\ngemms = [2]\nsamples = 8\n"
      "[[readout.mtj.samples_rule]]\ngemms = [2]\ninput_bit = [3]\nweight_bit = [3]\nsamples = 16\n");
  EXPECT_EQ(p.kind, ReadoutKind::kStochasticMtj);
  EXPECT_EQ(p.mtj.samples_for(0, 0, 0), 4);
  EXPECT_EQ(p.mtj.samples_for(2, 0, 0), 8);
  EXPECT_EQ(p.mtj.samples_for(2, 3, 3), 16);
  EXPECT_EQ(p.mtj.samples_for(2, 3, 2), 8);
}

TEST(ReadoutParams, SamplesRuleFormerKeysAreReadWithADeprecationWarning) {
  testing::internal::CaptureStderr();
  const auto p = read(
      "[readout]\nkind = \"stochastic_mtj\"\n[readout.mtj]\nsamples = 4\n"
      "[[readout.mtj.samples_rule]]\nlayers = [2]\ninput_bits = [3]\nweight_bits = [3]\nsamples = 16\n");
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(p.mtj.samples_for(2, 3, 3), 16);
  EXPECT_EQ(p.mtj.samples_for(2, 3, 2), 4);
  EXPECT_EQ(p.mtj.samples_for(1, 3, 3), 4);
  EXPECT_NE(err.find("hw.toml:6: key 'readout.mtj.samples_rule[0].layers' is deprecated, use "
                     "'readout.mtj.samples_rule[0].gemms'"),
            std::string::npos)
      << err;
  EXPECT_NE(err.find("hw.toml:7: key 'readout.mtj.samples_rule[0].input_bits' is deprecated, use "
                     "'readout.mtj.samples_rule[0].input_bit'"),
            std::string::npos)
      << err;
  std::string error;
  read(
      "[readout]\nkind = \"stochastic_mtj\"\n[[readout.mtj.samples_rule]]\nweight_bits = [1]\nweight_bit = [2]\n"
      "samples = 2\n",
      &error);
  EXPECT_NE(error.find("hw.toml:4: key 'readout.mtj.samples_rule[0].weight_bits': the former name of "
                       "'readout.mtj.samples_rule[0].weight_bit', which is also given"),
            std::string::npos)
      << error;
}

TEST(ReadoutParams, BadValuesAreAllReported) {
  std::string error;
  read(
      "[readout]\nkind = \"adc\"\n[readout.adc]\nbits = 0\nrange = \"auto\"\n[readout.lcu]\ngroup_rows = 6\n"
      "[readout.mtj]\nsamples = 0\n[[readout.mtj.samples_rule]]\nsample = 3\n",
      &error);
  EXPECT_NE(error.find("hw.toml:4: key 'readout.adc.bits': value 0 is out of range"), std::string::npos) << error;
  EXPECT_NE(error.find("key 'readout.adc.range'"), std::string::npos) << error;
  EXPECT_NE(error.find("key 'readout.lcu.group_rows': value 6 is out of range: expected a power of two"),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("key 'readout.mtj.samples'"), std::string::npos) << error;
  EXPECT_NE(error.find("required key 'readout.mtj.samples_rule[0].samples' is missing"), std::string::npos) << error;
  EXPECT_NE(error.find("'readout.mtj.samples_rule[0].sample': unknown key (did you mean 'samples'?)"),
            std::string::npos)
      << error;
}

TEST(ReadoutParams, UnknownKindNamesTheChoices) {
  std::string error;
  read("[readout]\nkind = \"flash\"\n", &error);
  EXPECT_NE(error.find("hw.toml:2: key 'readout.kind': value \"flash\" is out of range: expected one of \"ideal\""),
            std::string::npos)
      << error;
}

TEST(SwitchingCurve, DeviceTableAdapterReadsTheLookupTableAtOnePulseWidth) {
  auto table = std::make_shared<const cimmc::device::SwitchingTable>(
      std::vector<double>{1e-4, 2e-4, 3e-4}, std::vector<double>{1e-9, 2e-9},
      std::vector<double>{0.0, 0.1, 0.4, 0.6, 0.9, 1.0}, "test", "model");
  const DeviceTableSwitchingCurve curve(table, 2e-9);
  // The adapter reads a 4096-point linear resampling of the PCHIP curve: within 1e-6 of the
  // table everywhere (the resampling step is 1/4095 of the range), exact at the range's ends.
  for (double i : {0.5e-4, 1e-4, 1.7e-4, 2.5e-4, 4e-4})
    EXPECT_NEAR(curve.probability(i), table->probability(i, 2e-9), 1e-6);
  for (int j = 0; j <= 1000; ++j) {
    const double i = 1e-4 + j * 2e-7;
    EXPECT_NEAR(curve.probability(i), table->probability(i, 2e-9), 1e-6) << i;
  }
  EXPECT_DOUBLE_EQ(curve.probability(1e-4), 0.1);
  EXPECT_DOUBLE_EQ(curve.probability(3e-4), 1.0);
  EXPECT_NEAR(curve.probability(2e-4), 0.6, 1e-6);
  EXPECT_THROW(DeviceTableSwitchingCurve(table, 0.0), cimmc::core::ArgumentError);
}

// The block call gives what probability() gives, bit for bit, for every curve: inside the range,
// on its ends and grid points, outside it on both sides, and at NaN (the tables' first value,
// as probability() returns it; the tabulated curve's search once read past its points there).
// A size mismatch is an error.
TEST(SwitchingCurve, ProbabilitiesOfABlockAreProbabilityBitForBit) {
  auto table = std::make_shared<const cimmc::device::SwitchingTable>(
      std::vector<double>{1e-4, 2e-4, 3e-4}, std::vector<double>{1e-9, 2e-9},
      std::vector<double>{0.0, 0.1, 0.4, 0.6, 0.9, 1.0}, "test", "model");
  const DeviceTableSwitchingCurve device(table, 2e-9);
  const TabulatedSwitchingCurve tabulated({1e-4, 2e-4, 3e-4}, {0.1, 0.5, 0.9});
  const SigmoidSwitchingCurve sigmoid(2e-4, 2.5e-5);
  std::vector<double> current{-1.0, 0.0, 0.99e-4, 1e-4, 3e-4, 3.01e-4, 1.0, std::nan("")};
  const double step = (3e-4 - 1e-4) / (DeviceTableSwitchingCurve::kLutPoints - 1);
  for (int i : {0, 1, 2, 2047, 4093, 4094, 4095}) current.push_back(1e-4 + i * step);
  std::mt19937_64 gen(11);
  std::uniform_real_distribution<double> inside(0.9e-4, 3.1e-4);
  for (int i = 0; i < 2000; ++i) current.push_back(inside(gen));
  for (const SwitchingCurve* curve : std::initializer_list<const SwitchingCurve*>{&device, &tabulated, &sigmoid}) {
    std::vector<double> out(current.size(), -1.0);
    curve->probabilities(current, out);
    for (std::size_t i = 0; i < current.size(); ++i) {
      const double want = curve->probability(current[i]);
      if (std::isnan(want)) {
        EXPECT_TRUE(std::isnan(out[i])) << i;
        continue;
      }
      EXPECT_EQ(std::bit_cast<std::uint64_t>(out[i]), std::bit_cast<std::uint64_t>(want)) << i << " " << current[i];
    }
    std::vector<double> short_out(current.size() - 1);
    EXPECT_THROW(curve->probabilities(current, short_out), cimmc::core::ArgumentError);
  }
  std::vector<double> one(1);
  device.probabilities(std::vector<double>{std::nan("")}, one);
  EXPECT_EQ(one[0], device.probability(1e-4));  // the table's front value
  EXPECT_EQ(tabulated.probability(std::nan("")), 0.1);
}

TEST(ReadoutParams, DeviceTableNeedsAFile) {
  std::string error;
  read("[readout]\nkind = \"stochastic_mtj\"\n[readout.mtj]\ncurve = \"device_table\"\n", &error);
  EXPECT_NE(error.find("key 'readout.mtj.table_file'"), std::string::npos) << error;
  read("[readout]\nkind = \"stochastic_mtj\"\n[readout.mtj]\ncurve = \"device_table\"\ntable_file = \"missing.h5\"\n",
       &error);
  EXPECT_NE(error.find("missing.h5 not found"), std::string::npos) << error;
}

// A table_file that exists but is not a switching table is reported on the key, not thrown later.
TEST(ReadoutParams, DeviceTableMustBeReadable) {
  const auto path =
      std::filesystem::temp_directory_path() / ("cimmc_not_a_table_" + std::to_string(::getpid()) + ".h5");
  { std::ofstream(path) << "not hdf5\n"; }
  std::string error;
  read("[readout]\nkind = \"stochastic_mtj\"\n[readout.mtj]\ncurve = \"device_table\"\ntable_file = \"" +
           path.string() + "\"\n",
       &error);
  std::filesystem::remove(path);
  EXPECT_NE(error.find("key 'readout.mtj.table_file'"), std::string::npos) << error;
  EXPECT_NE(error.find("a readable switching-table file"), std::string::npos) << error;
}

// The trim's in-situ calibration keys: every bad value is reported with its key.
TEST(ReadoutParams, BadTrimCalibrationValuesAreAllReported) {
  std::string error;
  read(
      "[readout]\nkind = \"stochastic_mtj\"\n[readout.mtj.trim]\ndevice_calibration = \"insitu\"\n"
      "calibration_pulses = 0\ncurrent_trim_bits = 20\ncurrent_trim_range = 1.5\n",
      &error);
  EXPECT_NE(error.find("hw.toml:4: key 'readout.mtj.trim.device_calibration'"), std::string::npos) << error;
  EXPECT_NE(error.find("key 'readout.mtj.trim.calibration_pulses': value 0 is out of range"), std::string::npos)
      << error;
  EXPECT_NE(error.find("key 'readout.mtj.trim.current_trim_bits': value 20 is out of range"), std::string::npos)
      << error;
  EXPECT_NE(error.find("key 'readout.mtj.trim.current_trim_range': value 1.5 is out of range"), std::string::npos)
      << error;
}

TEST(Binomial, BucketShortcutAgreesWithTheThresholds) {
  std::vector<std::uint32_t> t(8);
  std::vector<std::uint8_t> buckets(256);
  std::uint32_t x = 12345;
  for (double p : {0.0, 1e-6, 0.02, 0.3, 0.5, 0.77, 0.999999, 1.0}) {
    binomial_thresholds(8, p, t);
    binomial_buckets(t, buckets);
    int ambiguous = 0;
    for (int b = 0; b < 256; ++b) ambiguous += buckets[b] == kBinomialAmbiguous;
    EXPECT_LE(ambiguous, 8) << p;
    for (int i = 0; i < 20000; ++i) {
      x = x * 1664525u + 1013904223u;
      const std::uint8_t k = buckets[x >> 24];
      if (k != kBinomialAmbiguous) {
        EXPECT_EQ(k, binomial_from_word(t, x)) << p << " " << x;
      }
    }
    for (std::uint32_t tv : t)  // words next to a threshold
      for (std::uint32_t w : {tv - 1, tv, tv + 1}) {
        if (buckets[w >> 24] != kBinomialAmbiguous) {
          EXPECT_EQ(buckets[w >> 24], binomial_from_word(t, w));
        }
      }
  }
}

TEST(MtjMeanResponse, MeanDecodingOfTheSigmoidIsTanh) {
  // StoX's estimator: with x̂ = 2K/T − 1 and P = sigmoid(a·x), E[x̂] = 2P − 1 = tanh(a·x/2) for
  // every T, and its slope (a/2)(1 − tanh²(a·x/2)) (central differences: error O(h²)).
  MtjParams p;
  p.decode = MtjDecode::kMean;
  const auto curve = p.make_curve();
  const int points = 1025;
  for (int t : {1, 4, 8}) {
    const auto mean = mtj_expected_decode(p, *curve, t, points);
    const auto slope = mtj_expected_slope(p, *curve, t, points);
    ASSERT_EQ(mean.size(), static_cast<std::size_t>(points));
    for (int i = 0; i < points; i += 64) {
      const double x = -1.0 + 2.0 * i / (points - 1), th = std::tanh(2.0 * x);
      EXPECT_NEAR(mean[static_cast<std::size_t>(i)], th, 1e-12) << "T " << t << " x " << x;
      const double tol = i == 0 || i == points - 1 ? 1e-2 : 1e-4;  // one-sided ends: O(h)
      EXPECT_NEAR(slope[static_cast<std::size_t>(i)], 2.0 * (1.0 - th * th), tol) << "T " << t << " x " << x;
    }
  }
  EXPECT_THROW(mtj_expected_decode(p, *curve, 4, 1), cimmc::core::ArgumentError);
}

TEST(MtjMeanResponse, InverseDecodingIsTheBinomialMeanOfTheDecodedPoints) {
  // Against the binomial sum written with explicit coefficients, at T = 4 (inverse decoding
  // clips K = 0 and K = T at x̂ = ∓1, so E[x̂] is not x).
  MtjParams p;
  const auto curve = p.make_curve();
  const auto x_hat = mtj_decode_points(p, *curve, 4);
  const auto mean = mtj_expected_decode(p, *curve, 4, 5);
  const double binomial[5] = {1, 4, 6, 4, 1};
  for (int i = 0; i < 5; ++i) {
    const double x = -1.0 + 0.5 * i, prob = 1.0 / (1.0 + std::exp(-4.0 * x));
    double e = 0.0;
    for (int k = 0; k <= 4; ++k)
      e += binomial[k] * std::pow(prob, k) * std::pow(1.0 - prob, 4 - k) * x_hat[static_cast<std::size_t>(k)];
    EXPECT_NEAR(mean[static_cast<std::size_t>(i)], e, 1e-12) << "x " << x;
  }
  EXPECT_NEAR(mean[2], 0.0, 1e-12);  // symmetric curve
  EXPECT_GT(mean[3], 0.6);           // not x: K = T decodes to x̂ = 1, pushing E[x̂](0.5) out
}
