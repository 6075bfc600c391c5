// Study files and results: point order with zip groups, --set routing, canonical design text and
// its hash, and the 95 % intervals of the summaries.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "cimmc/core/error.hpp"
#include "cimmc/studies/resolved_design.hpp"
#include "cimmc/studies/study_results.hpp"
#include "cimmc/studies/study_spec.hpp"

namespace cimmc::studies {
namespace {

std::filesystem::path write_study(const std::string& name, const std::string& text) {
  const auto dir = std::filesystem::path(CIMMC_BINARY_DIR) / "tests" / "studies" / "unit";
  std::filesystem::create_directories(dir);
  auto path = dir / name;
  std::ofstream(path) << text;
  return path;
}

const char* kCost = R"([study]
name = "unit"
kind = "cost"
output = "unit.h5"
[base]
model = "lenet5"
input = [1, 28, 28]
hardware = "adc_baseline"
[sweep]
"crossbar.rows" = [32, 64, 128]
input_density = [0.1, 0.2, 0.3]
"crossbar.columns" = [64, 128]
zip = [["crossbar.rows", "input_density"]]
)";

TEST(StudySpec, ZipGroupsAdvanceTogetherAndTheFirstGroupVariesSlowest) {
  const auto spec = load_study(write_study("zip.toml", kCost));
  ASSERT_EQ(spec.axes.size(), 3u);
  EXPECT_EQ(spec.points(), 6u);  // 3 zipped x 2
  // Axes are sorted by key: crossbar.columns, crossbar.rows, input_density.
  EXPECT_EQ(spec.axes[0].key, "crossbar.columns");
  const auto last = spec.point_index(5);
  EXPECT_EQ(last, (std::vector<std::size_t>{1, 2, 2}));
  const auto second = spec.point_index(1);
  EXPECT_EQ(second[1], second[2]);  // zipped
  const auto d = resolve_design(spec, 5);
  EXPECT_EQ(d.crossbar.rows, 128);
  EXPECT_EQ(d.crossbar.columns, 128);
  EXPECT_DOUBLE_EQ(d.input_density, 0.3);
}

// Zipped axes are validated as tuples: a temperature and the table built at it are only valid
// together (each alone, on the other's first value, is an error), and the study loads; a wrong
// pairing is reported with both values.
TEST(StudySpec, ZipGroupsAreValidatedTogether) {
  const std::string head = R"([study]
name = "unit"
kind = "cost"
output = "unit.h5"
[base]
model = "lenet5"
input = [1, 28, 28]
hardware = "stox_mtj_device"
[sweep]
)";
  const auto spec =
      load_study(write_study("zip_pairs.toml", head + R"("readout.mtj.temperature_K" = [250.0, 300.0, 350.0]
"readout.mtj.table_file" = ["../tables/stox_converter_1ns_250K.h5", "../tables/stox_converter_1ns.h5", "../tables/stox_converter_1ns_350K.h5"]
zip = [["readout.mtj.temperature_K", "readout.mtj.table_file"]]
)"));
  EXPECT_EQ(spec.points(), 3u);
  try {
    load_study(write_study("zip_wrong.toml", head + R"("readout.mtj.temperature_K" = [250.0, 350.0]
"readout.mtj.table_file" = ["../tables/stox_converter_1ns_250K.h5", "../tables/stox_converter_1ns.h5"]
zip = [["readout.mtj.temperature_K", "readout.mtj.table_file"]]
)"));
    ADD_FAILURE() << "a table paired with the wrong temperature was accepted";
  } catch (const cimmc::core::ConfigError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("readout.mtj.temperature_K = 350, readout.mtj.table_file = ../tables/stox_converter_1ns.h5"),
              std::string::npos)
        << what;
    EXPECT_EQ(what.find("= 250,"), std::string::npos) << what;  // the right pair is not reported
  }
}

// The storage-cell model of the hardware file is a design table like the others: sweepable.
TEST(StudySpec, CellKeysAreHardwareKeys) {
  EXPECT_EQ(document_of_key("cell.programming_sigma"), "hardware");
  const auto spec = load_study(write_study("cell.toml", R"([study]
name = "unit"
kind = "cost"
output = "unit.h5"
[base]
model = "lenet5"
input = [1, 28, 28]
hardware = "adc_baseline"
[set]
"cell.technology" = "rram"
[sweep]
"cell.stuck_at_zero_rate" = [0.0, 0.01]
)"));
  EXPECT_EQ(spec.points(), 2u);
}

TEST(StudySpec, SetOverridesGoToTheStudyOrToTheDesign) {
  const auto spec = load_study(write_study("set.toml", kCost), {"study.name=renamed", "crossbar.weight_bits=4"});
  EXPECT_EQ(spec.name, "renamed");
  EXPECT_EQ(resolve_design(spec, 0).crossbar.weight_bits, 4);
}

TEST(StudySpec, DesignTextIsCanonicalAndItsHashChangesWithAnyValue) {
  const auto spec = load_study(write_study("hash.toml", kCost));
  const auto a = resolve_design(spec, 0), b = resolve_design(spec, 0), c = resolve_design(spec, 1);
  EXPECT_EQ(a.text(), b.text());
  EXPECT_EQ(a.hash(), b.hash());
  EXPECT_NE(a.hash(), c.hash());
  EXPECT_NE(a.text().find("\n[hardware]\n"), std::string::npos);
  EXPECT_NE(a.text().find("\ncrossbar.rows = 32\n"), std::string::npos);
}

TEST(StudySpec, UnitsComeFromKeySuffixes) {
  EXPECT_EQ(units_of_key("switching.rise_time_s"), "s");
  EXPECT_EQ(units_of_key("device.external_field_A_per_m"), "A/m");
  EXPECT_EQ(units_of_key("noise.cell_sigma_lsb"), "LSB");
  EXPECT_EQ(units_of_key("crossbar.rows"), "1");
}

TEST(StudyResults, WilsonAndStudentIntervals) {
  // Wilson 95 %: 8 of 10 -> [0.4902, 0.9433] (Newcombe 1998, method 3).
  const auto w = wilson_interval(8, 10);
  EXPECT_NEAR(w.low, 0.4902, 1e-4);
  EXPECT_NEAR(w.high, 0.9433, 1e-4);
  const auto zero = wilson_interval(0, 10);
  EXPECT_EQ(zero.low, 0.0);
  // Student t, 4 samples: t(0.975, 3) = 3.182446.
  const auto t = student_t_interval(1.0, 2.0, 4);
  EXPECT_NEAR(t.high - 1.0, 3.182446 * 2.0 / 2.0, 1e-5);
  EXPECT_TRUE(std::isnan(student_t_interval(1.0, 0.0, 1).low));
}

}  // namespace
}  // namespace cimmc::studies
