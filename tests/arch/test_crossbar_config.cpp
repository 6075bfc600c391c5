#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "cimmc/arch/crossbar_config.hpp"
#include "cimmc/core/error.hpp"

using namespace cimmc::arch;
using cimmc::circuit::ReadoutKind;

namespace {
std::string error_of(const std::string& text) {
  try {
    read_crossbar_config(cimmc::core::config::parse_string(text, "hw.toml"));
  } catch (const cimmc::core::ConfigError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST(CrossbarConfig, ShippedHardwareFilesLoad) {
  const std::filesystem::path dir = std::filesystem::path(CIMMC_SOURCE_DIR) / "data" / "hw";
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".toml") continue;
    EXPECT_NO_THROW(load_crossbar_config(entry.path())) << entry.path();
    ++files;
  }
  EXPECT_GE(files, 3);
  const auto stox = load_crossbar_config(dir / "stox_mtj_t4.toml");
  EXPECT_EQ(stox.readout.kind, ReadoutKind::kStochasticMtj);
  EXPECT_EQ(stox.readout.mtj.samples, 4);
  EXPECT_EQ(stox.rows, 128);
  EXPECT_TRUE(stox.is_digital(0, 8));
  EXPECT_TRUE(stox.is_digital(7, 8));
  EXPECT_FALSE(stox.is_digital(3, 8));
  const auto zebra = load_crossbar_config(dir / "zebra_lcu.toml");
  EXPECT_EQ(zebra.readout.kind, ReadoutKind::kZebraLcu);
  EXPECT_EQ(zebra.encoding, Encoding::kAdaptiveFlip);
}

TEST(CrossbarConfig, DigitalGemmsAreReadFromTheFormerTableLayersWithAWarning) {
  testing::internal::CaptureStderr();
  const auto c = read_crossbar_config(
      cimmc::core::config::parse_string("[layers]\ndigital_last = true\ndigital = [2]\n", "old_hw.toml"));
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_FALSE(c.gemms.digital_first);
  EXPECT_TRUE(c.gemms.digital_last);
  EXPECT_TRUE(c.is_digital(2, 5));
  EXPECT_TRUE(c.is_digital(4, 5));
  EXPECT_FALSE(c.is_digital(0, 5));
  EXPECT_NE(err.find("old_hw.toml:1: key 'layers' is deprecated, use 'gemms'"), std::string::npos) << err;
}

TEST(CrossbarConfig, OverridesApplyBeforeValidation) {
  const std::filesystem::path file = std::filesystem::path(CIMMC_SOURCE_DIR) / "data" / "hw" / "adc_baseline.toml";
  const auto c = load_crossbar_config(file, {"noise.sense_sigma_lsb=2.5", "readout.adc.bits=4", "crossbar.rows=64"});
  EXPECT_DOUBLE_EQ(c.noise.sense_sigma_lsb, 2.5);
  EXPECT_EQ(c.readout.adc.bits, 4);
  EXPECT_EQ(c.rows, 64);
  EXPECT_THROW(load_crossbar_config(file, {"crossbar.bits_per_cell=9"}), cimmc::core::ConfigError);
}

TEST(CrossbarConfig, EveryProblemIsReportedWithItsLine) {
  const std::string msg = error_of(
      "[crossbar]\n"
      "rows = 0\n"                           // 2
      "bits_per_cell = 9\n"                  // 3
      "signed_scheme = \"offset_binary\"\n"  // 4
      "encoding = \"csd\"\n"                 // 5
      "input_bit = 8\n"                      // 6
      "[noise]\n"
      "sigma_fraction = -0.1\n"  // 8
      "[readout]\n"
      "kind = \"zebra_lcu\"\n"
      "[readout.lcu]\n"
      "group_rows = 16\n"
      "[gemms]\n"
      "digital = [-1]\n");  // 14
  EXPECT_NE(msg.find("hw.toml:2: key 'crossbar.rows': value 0 is out of range"), std::string::npos) << msg;
  EXPECT_NE(msg.find("hw.toml:3: key 'crossbar.bits_per_cell': value 9 is out of range: expected an integer in [1, 8]"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("hw.toml:5: key 'crossbar.encoding': value \"csd\" is out of range: expected \"twos_complement\" "
                     "with signed_scheme = \"offset_binary\""),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("hw.toml:6: key 'crossbar.input_bit': unknown key (did you mean 'input_bits'?)"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("hw.toml:8: key 'noise.sigma_fraction': value -0.1 is out of range"), std::string::npos) << msg;
  EXPECT_NE(msg.find("key 'readout.lcu.group_rows': value 16 exceeds crossbar.rows = 0"), std::string::npos) << msg;
  EXPECT_NE(msg.find("hw.toml:14: key 'gemms.digital'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("key 'crossbar.bits_per_cell': value 9 is not allowed: the zebra_lcu readout takes 1- or 2-bit"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("8 problems"), std::string::npos) << msg;
}

TEST(CrossbarConfig, MultiBitInputsAndCells) {
  const auto c = read_crossbar_config(cimmc::core::config::parse_string(
      "[crossbar]\nrows = 128\nbits_per_cell = 4\ninput_bits = 4\ndac_bits = 4\n", "hw.toml"));
  EXPECT_EQ(c.dac_bits, 4);
  EXPECT_EQ(c.input_streams(), 1);
  EXPECT_DOUBLE_EQ(c.full_scale(), 128.0 * 15 * 15);
  CrossbarConfig d;
  d.input_bits = 8;
  d.dac_bits = 3;
  EXPECT_EQ(d.input_streams(), 3);  // bits 0-2, 3-5, 6-7
  EXPECT_NE(error_of("[crossbar]\ninput_bits = 4\ndac_bits = 5\n")
                .find("hw.toml:3: key 'crossbar.dac_bits': value 5 is out of range: expected an integer in [1, "
                      "input_bits = 4]"),
            std::string::npos);
  EXPECT_NE(
      error_of("[crossbar]\nrows = 512\nbits_per_cell = 8\ninput_bits = 8\ndac_bits = 8\n")
          .find("key 'crossbar.rows': value 512 is too large: rows × (2^bits_per_cell − 1) × (2^dac_bits − 1) must "
                "be <= 2^24 (it is 512 × 255 × 255)"),
      std::string::npos);
  EXPECT_NE(error_of("[crossbar]\ninput_bits = 4\ndac_bits = 2\n[readout]\nkind = \"zebra_lcu\"\n")
                .find("key 'crossbar.dac_bits': value 2 is not allowed: the zebra_lcu readout senses bit-products"),
            std::string::npos);
}

TEST(CrossbarConfig, UnknownTablesAndKindsAreErrors) {
  EXPECT_NE(error_of("[nois]\nsigma = 0.1\n").find("key 'nois': unknown key (did you mean 'noise'?)"),
            std::string::npos);
  EXPECT_NE(error_of("[crossbar]\nencoding = \"gray\"\n").find("expected one of \"twos_complement\""),
            std::string::npos);
}

TEST(CrossbarConfig, ProgrammaticValidation) {
  CrossbarConfig c;
  EXPECT_NO_THROW(c.validate());
  c.weight_bits = 9;
  EXPECT_THROW(c.validate(), cimmc::core::ConfigError);
}

// sampling = "rare_event" is refused for the readouts that sample directly in configurations
// built in code, as in a file (an engine given it would silently sample directly).
TEST(CrossbarConfig, ProgrammaticRareEventSamplingNeedsAnAdcOrLcu) {
  for (ReadoutKind kind :
       {ReadoutKind::kIdeal, ReadoutKind::kStochasticMtj, ReadoutKind::kAdc, ReadoutKind::kZebraLcu}) {
    CrossbarConfig c;
    c.readout.kind = kind;
    c.readout.sampling = cimmc::circuit::ReadoutSampling::kRareEvent;
    if (kind == ReadoutKind::kAdc || kind == ReadoutKind::kZebraLcu) {
      EXPECT_NO_THROW(c.validate());
      continue;
    }
    try {
      c.validate();
      ADD_FAILURE() << "accepted rare_event sampling with " << cimmc::circuit::readout_name(kind);
    } catch (const cimmc::core::ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find("key 'readout.sampling': value is out of range: expected \"rare_event\" "
                                           "only with kind = \"adc\" or \"zebra_lcu\""),
                std::string::npos)
          << e.what();
    }
    c.readout.sampling = cimmc::circuit::ReadoutSampling::kDirect;
    EXPECT_NO_THROW(c.validate());
  }
}

TEST(CrossbarConfig, PeripheryArrayRowsFormerNameIsReadWithADeprecationWarning) {
  testing::internal::CaptureStderr();
  const CrossbarConfig c = read_crossbar_config(cimmc::core::config::parse_string(
      "[crossbar]\nrows = 64\n[periphery]\nsubarray_rows = 256\n", "periphery_hw.toml"));
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(c.periphery.array_rows, 256);
  EXPECT_NE(err.find("periphery_hw.toml:4: key 'periphery.subarray_rows' is deprecated, use 'periphery.array_rows'"),
            std::string::npos)
      << err;
  EXPECT_NE(error_of("[periphery]\narray_rows = 256\nsubarray_rows = 128\n")
                .find("hw.toml:3: key 'periphery.subarray_rows': the former name of 'periphery.array_rows'"),
            std::string::npos);
}
