#include <gtest/gtest.h>

#include "cimmc/circuit/technology.hpp"

using namespace cimmc;

namespace {
const std::string kTechFile = std::string(CIMMC_SOURCE_DIR) + "/data/tech/22nm.toml";

std::string error_of(const std::string& text) {
  try {
    circuit::read_technology(cimmc::core::config::parse_string(text, "tech.toml"));
  } catch (const cimmc::core::ConfigError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST(Technology, Loads22nmTable) {
  const auto t = circuit::load_technology(kTechFile);
  EXPECT_EQ(t.name, "22nm");
  EXPECT_DOUBLE_EQ(t.feature_size_m, 22e-9);
  EXPECT_DOUBLE_EQ(t.sar.power_per_bit_W, 0.538e-6);
  EXPECT_DOUBLE_EQ(t.sar.power_offset_W, 4.3753e-6);
  EXPECT_DOUBLE_EQ(t.survey.sar_fom_J_per_step, 28.5e-15);
  EXPECT_DOUBLE_EQ(t.survey.flash_fom_J_per_step, 823e-15);
  EXPECT_EQ(t.adc_model, circuit::AdcModel::kNeuroSimSar);
}

TEST(Technology, OverridesApply) {
  const auto t = circuit::load_technology(kTechFile, {"adc.model=survey_flash", "comparator.energy_J=2e-14"});
  EXPECT_EQ(t.adc_model, circuit::AdcModel::kSurveyFlash);
  EXPECT_DOUBLE_EQ(t.comparator.energy_J, 2e-14);
}

// The periphery's organisation is the design's (the hardware file's [periphery]); a technology
// table that still has one is told where it belongs.
TEST(Technology, PeripheryTableBelongsToTheHardwareFile) {
  try {
    circuit::load_technology(kTechFile, {"periphery.columns_per_adc=4"});
    FAIL() << "expected cimmc::core::ConfigError";
  } catch (const cimmc::core::ConfigError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("key 'periphery': the periphery's organisation"), std::string::npos) << msg;
    EXPECT_NE(msg.find("hardware file's [periphery] table"), std::string::npos) << msg;
  }
}

TEST(Technology, BadValuesAreReportedWithLineAndKey) {
  auto doc = cimmc::core::config::parse_file(kTechFile);
  cimmc::core::config::apply_overrides(doc, {"array.cell_area_F2=-1", "adc.model=pipelined", "digital.adder_energy=1"});
  try {
    circuit::read_technology(doc);
    FAIL() << "expected cimmc::core::ConfigError";
  } catch (const cimmc::core::ConfigError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("key 'array.cell_area_F2': value -1 is out of range: expected a positive number"),
              std::string::npos)
        << msg;
    EXPECT_NE(msg.find("key 'adc.model'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("'digital.adder_energy': unknown key (did you mean 'adder_energy_J_per_bit'?)"),
              std::string::npos)
        << msg;
  }
}

TEST(Technology, MissingTablesAreNamed) {
  const std::string msg = error_of(
      "[technology]\nname = \"x\"\nfeature_size_m = 1e-8\nsupply_V = 1.0\nclock_period_s = "
      "1e-9\npost_layout_energy_factor = 1.0\n");
  EXPECT_NE(msg.find("required key 'array.cell_area_F2' is missing"), std::string::npos) << msg;
  EXPECT_NE(msg.find("required key 'adc.sar.power_per_bit_W' is missing"), std::string::npos) << msg;
}

TEST(Technology, MissingFileIsAnIoError) {
  EXPECT_THROW(circuit::load_technology("/nonexistent/tech.toml"), cimmc::core::IoError);
}
