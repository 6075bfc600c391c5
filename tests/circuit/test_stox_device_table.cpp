// The shipped device-curve StoX hardware file (data/hw/stox_mtj_device.toml): its table_file
// resolves from any working directory (relative to the hardware file), its curve is the shipped
// switching table, x in [-1, 1] spans it like sigmoid(4x), and the readout's binomial sampler
// draws switching frequencies that match the table's P. Fixed seed; tolerances in standard
// errors of the binomial frequencies.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <vector>

#include "cimmc/circuit/readout.hpp"
#include "cimmc/core/config.hpp"
#include "cimmc/core/data_files.hpp"
#include "cimmc/core/rng.hpp"
#include "cimmc/device/switching_table.hpp"

using namespace cimmc::circuit;

namespace {
MtjParams read_mtj(const std::filesystem::path& path) {
  const auto doc = cimmc::core::config::parse_file(path);
  cimmc::core::config::Problems problems;
  cimmc::core::config::TableReader root(doc.root, doc.source, "", problems);
  auto t = root.child("readout");
  const ReadoutParams p = read_readout_params(t);
  problems.throw_if_any(doc.source);
  EXPECT_EQ(p.kind, ReadoutKind::kStochasticMtj);
  return p.mtj;
}
}  // namespace

TEST(StoxDeviceTable, ReadoutSamplesTheTablesProbabilities) {
  const auto hw = cimmc::core::data_files::resolve("hw", "stox_mtj_device", ".toml", "hardware configuration");
  // Another working directory: table_file is relative to the hardware file, not to it.
  const auto cwd = std::filesystem::current_path();
  std::filesystem::current_path(std::filesystem::temp_directory_path());
  const MtjParams mtj = read_mtj(std::filesystem::absolute(cwd / hw));
  const auto curve = mtj.make_curve();
  std::filesystem::current_path(cwd);
  EXPECT_EQ(mtj.curve, "device_table");
  EXPECT_DOUBLE_EQ(mtj.pulse_width_s, 1e-9);

  const auto table = cimmc::device::SwitchingTable::load(
      cimmc::core::data_files::resolve("tables", "stox_converter_1ns", ".h5", "switching table"));
  EXPECT_EQ(table.device(), "stox_converter");
  ASSERT_EQ(table.pulse_widths_s().size(), 1u);
  EXPECT_DOUBLE_EQ(table.pulse_widths_s()[0], mtj.pulse_width_s);

  // 40 000 conversions of T samples each per x, drawn as the readout draws them: one 32-bit word
  // per conversion through the binomial thresholds of P. SE = sqrt(P (1 - P) / (40 000 T)).
  const int samples = mtj.samples;
  const std::size_t conversions = 40000;
  cimmc::core::rng::Stream stream(20251203, {cimmc::core::rng::Purpose::kTest, 0, 0, 0});
  std::vector<std::uint32_t> thresholds(static_cast<std::size_t>(samples));
  for (double x : {-1.0, -0.5, -0.25, 0.0, 0.25, 0.5, 1.0}) {
    const double current = mtj.current_at_zero_A + x * mtj.current_per_unit_A;
    const double p_table = table.probability(current, mtj.pulse_width_s);
    EXPECT_NEAR(curve->probability(current), p_table, 1e-5) << "x = " << x;  // the curve's linear resampling
    binomial_thresholds(samples, curve->probability(current), thresholds);
    std::uint64_t switched = 0;
    for (std::size_t c = 0; c < conversions; ++c)
      switched += static_cast<std::uint64_t>(binomial_from_word(thresholds, stream()));
    const double n = static_cast<double>(conversions) * samples;
    const double freq = static_cast<double>(switched) / n;
    const double se = std::sqrt(std::max(p_table * (1 - p_table), 1.0 / n) / n);
    const double s4 = 1.0 / (1.0 + std::exp(-4.0 * x));
    std::printf("x = %+.2f: I = %.2f uA, table P = %.4f, sampled %.4f (%.2f SE), sigmoid(4x) = %.4f\n", x,
                current * 1e6, p_table, freq, (freq - p_table) / se, s4);
    EXPECT_NEAR(freq, p_table, 3 * se) << "x = " << x;
    // The map I(x) = I50 + 4 w x from the table's sigmoid fit: the device curve follows
    // sigmoid(4x) to within the fit's largest residual (0.023) plus the isotonic smoothing.
    EXPECT_NEAR(p_table, s4, 0.03) << "x = " << x;
  }
}

// The temperature knob: readout.mtj.temperature_K names the table's own temperature (its
// /device/temperature_K), so a study that zips it with table_file cannot pair a table with the
// wrong temperature; a mismatch, or the key without a device table, is an error naming the key.
TEST(StoxDeviceTable, TemperatureMustBeTheTables) {
  const auto hw = std::filesystem::absolute(
      cimmc::core::data_files::resolve("hw", "stox_mtj_device", ".toml", "hardware configuration"));
  const auto error_with = [&](const std::vector<std::string>& overrides) {
    auto doc = cimmc::core::config::parse_file(hw);
    cimmc::core::config::apply_overrides(doc, overrides);
    cimmc::core::config::Problems problems;
    cimmc::core::config::TableReader root(doc.root, doc.source, "", problems);
    auto t = root.child("readout");
    (void)read_readout_params(t);
    try {
      problems.throw_if_any(doc.source);
    } catch (const cimmc::core::ConfigError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_EQ(error_with({"readout.mtj.temperature_K=300"}), "");
  const auto hot = error_with({"readout.mtj.temperature_K=350"});
  EXPECT_NE(hot.find("key 'readout.mtj.temperature_K'"), std::string::npos) << hot;
  EXPECT_NE(hot.find("300 K in"), std::string::npos) << hot;
  EXPECT_EQ(
      error_with({"readout.mtj.temperature_K=350", "readout.mtj.table_file=\"../tables/stox_converter_1ns_350K.h5\""}),
      "");
  EXPECT_EQ(
      error_with({"readout.mtj.temperature_K=250", "readout.mtj.table_file=\"../tables/stox_converter_1ns_250K.h5\""}),
      "");
  const auto sigmoid = error_with({"readout.mtj.temperature_K=300", "readout.mtj.curve=\"sigmoid\""});
  EXPECT_NE(sigmoid.find("only with curve = \"device_table\""), std::string::npos) << sigmoid;
  EXPECT_NE(error_with({"readout.mtj.temperature_K=-5"}).find("a temperature > 0 K"), std::string::npos);
}
