// Switching tables exported for circuit tools (device/switching_export.hpp): the CSV and the
// Verilog-A table-model data read back equal the table, the fit comes from the switching file or
// from the table, the module names its data file, and bad input is refused with clear errors.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cimmc/core/error.hpp"
#include "cimmc/core/hdf5.hpp"
#include "cimmc/device/switching_export.hpp"

using namespace cimmc::device;
namespace fs = std::filesystem;

namespace {

fs::path temp_dir(const std::string& test) {
  auto dir = fs::temp_directory_path() / ("cimmc_test_export_" + std::to_string(::getpid()) + "_" + test);
  fs::create_directories(dir);
  return dir;
}

// 4 currents x 2 pulse widths, values with many digits; P rises with I and with t.
SwitchingTable small_table() {
  const std::vector<double> currents{40e-6, 80.123456789e-6, 120e-6, 160e-6};
  const std::vector<double> pulses{1e-9, 3.3e-9};
  std::vector<double> p;
  for (double i : currents)
    for (double t : pulses)
      p.push_back(1.0 / (1.0 + std::exp(-(i - 100e-6 + 10e-6 * std::log(t / 1e-9)) / 9.87654321e-6)));
  return SwitchingTable(currents, pulses, p, "test device", "monte_carlo");
}

struct Row {
  std::vector<std::string> fields;
};

// Lines that are not comments, split on `sep` (a run of spaces when sep == ' ').
std::vector<Row> read_rows(std::istream& in, char sep) {
  std::vector<Row> rows;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    Row r;
    if (sep == ' ') {
      std::istringstream s(line);
      std::string f;
      while (s >> f) r.fields.push_back(f);
    } else {
      std::string f;
      std::istringstream s(line);
      while (std::getline(s, f, sep)) r.fields.push_back(f);
      if (!line.empty() && line.back() == sep) r.fields.push_back("");
    }
    rows.push_back(r);
  }
  return rows;
}

double value(const std::string& s) { return s.empty() ? std::nan("") : std::stod(s); }

std::string read_text(const fs::path& p) {
  std::ifstream f(p);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

}  // namespace

TEST(SwitchingExport, CsvReadsBackToTheTable) {
  const ExportableTable e = exportable_table(small_table(), "small.h5");
  std::stringstream csv;
  write_switching_csv(csv, e);
  const std::string text = csv.str();
  EXPECT_NE(text.find("# units: current_A A, pulse_width_s s, p_switch 1, i50_A A, width_A A"), std::string::npos);
  EXPECT_NE(text.find("# device: test device"), std::string::npos);
  const auto rows = read_rows(csv, ',');
  const auto& t = e.table;
  ASSERT_EQ(rows.size(), 1 + t.currents_A().size() * t.pulse_widths_s().size());
  EXPECT_EQ(rows[0].fields, (std::vector<std::string>{"current_A", "pulse_width_s", "p_switch", "i50_A", "width_A"}));
  // Pulse width outer, current inner; printed as the shortest text that reads back exactly.
  std::size_t k = 1;
  for (std::size_t j = 0; j < t.pulse_widths_s().size(); ++j)
    for (std::size_t i = 0; i < t.currents_A().size(); ++i, ++k) {
      ASSERT_EQ(rows[k].fields.size(), 5u) << "row " << k;
      EXPECT_EQ(value(rows[k].fields[0]), t.currents_A()[i]);
      EXPECT_EQ(value(rows[k].fields[1]), t.pulse_widths_s()[j]);
      EXPECT_EQ(value(rows[k].fields[2]), t.values()[i * 2 + j]);
      EXPECT_EQ(value(rows[k].fields[3]), e.i50_A[j]);
      EXPECT_EQ(value(rows[k].fields[4]), e.width_A[j]);
    }
}

TEST(SwitchingExport, FitOfTheTableColumns) {
  const ExportableTable e = exportable_table(small_table());
  EXPECT_EQ(e.fit_source, "fitted to the table");
  ASSERT_EQ(e.i50_A.size(), 2u);
  // The columns are exact sigmoids: I50 = 100 uA - 10 uA ln(t / 1 ns), w = 9.87654321 uA.
  EXPECT_NEAR(e.i50_A[0], 100e-6, 1e-10);
  EXPECT_NEAR(e.i50_A[1], 100e-6 - 10e-6 * std::log(3.3), 1e-10);
  EXPECT_NEAR(e.width_A[0], 9.87654321e-6, 1e-11);
  EXPECT_NEAR(e.width_A[1], 9.87654321e-6, 1e-11);
}

TEST(SwitchingExport, ColumnWithoutTransitionHasAnEmptyFit) {
  const SwitchingTable flat({1e-6, 2e-6, 3e-6}, {1e-9}, {0.0, 0.0, 0.01}, "flat", "monte_carlo");
  const ExportableTable e = exportable_table(flat);
  EXPECT_TRUE(std::isnan(e.i50_A[0]));
  std::stringstream csv;
  write_switching_csv(csv, e);
  EXPECT_NE(csv.str().find("no transition to fit"), std::string::npos);
  const auto rows = read_rows(csv, ',');
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[1].fields.size(), 5u);
  EXPECT_EQ(rows[1].fields[3], "");
  EXPECT_EQ(rows[1].fields[4], "");
}

TEST(SwitchingExport, VerilogAFilesReadBack) {
  const auto dir = temp_dir("veriloga");
  const SwitchingTable table = small_table();
  table.save(dir / "small.h5", 1, "");
  const ExportableTable e = load_exportable_table(dir / "small.h5");
  EXPECT_EQ(e.filetype, "cimmc.switching_table");
  EXPECT_EQ(e.fit_source, "fitted to the table");
  const auto files = export_switching_table(e, TableExportFormat::kVerilogA, dir / "out.va");
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0], dir / "out.tbl");
  EXPECT_EQ(files[1], dir / "out.va");
  std::ifstream data(files[0]);
  const auto rows = read_rows(data, ' ');
  ASSERT_EQ(rows.size(), 8u);
  std::size_t k = 0;
  for (std::size_t j = 0; j < 2; ++j)
    for (std::size_t i = 0; i < 4; ++i, ++k) {
      ASSERT_EQ(rows[k].fields.size(), 3u);
      EXPECT_EQ(value(rows[k].fields[0]), std::log(table.pulse_widths_s()[j]));
      EXPECT_NEAR(std::exp(value(rows[k].fields[0])), table.pulse_widths_s()[j], 1e-14 * table.pulse_widths_s()[j]);
      EXPECT_EQ(value(rows[k].fields[1]), table.currents_A()[i]);
      EXPECT_EQ(value(rows[k].fields[2]), table.values()[i * 2 + j]);
    }
  const std::string module = read_text(files[1]);
  EXPECT_NE(module.find("module cimmc_switching_test_device(i_in, t_in, p_out);"), std::string::npos);
  EXPECT_NE(module.find("parameter string table_file = \"out.tbl\";"), std::string::npos);
  EXPECT_NE(module.find("$table_model(ln_pulse_width, current_A, table_file, \"1CC,1CC\")"), std::string::npos);
  EXPECT_NE(module.find("endmodule"), std::string::npos);
  // No temporary file is left behind.
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& f : fs::directory_iterator(dir)) ++n;
  EXPECT_EQ(n, 3u);
  fs::remove_all(dir);
}

TEST(SwitchingExport, OnePulseWidthIsALookupInTime) {
  const SwitchingTable t({1e-6, 2e-6, 3e-6}, {2e-9}, {0.1, 0.5, 0.9}, "one", "monte_carlo");
  const ExportableTable e = exportable_table(t);
  EXPECT_EQ(table_model_control(e), "D,1CC");
  std::stringstream va;
  write_verilog_a_module(va, e, "one.tbl");
  EXPECT_NE(va.str().find("\"D,1CC\""), std::string::npos);
  EXPECT_NE(va.str().find("P does not depend on t_in"), std::string::npos);
}

TEST(SwitchingExport, OutputNames) {
  const auto dir = temp_dir("names");
  const ExportableTable e = exportable_table(small_table());
  EXPECT_EQ(export_switching_table(e, TableExportFormat::kVerilogA, dir / "a.tbl"),
            (std::vector<fs::path>{dir / "a.tbl", dir / "a.va"}));
  EXPECT_EQ(export_switching_table(e, TableExportFormat::kVerilogA, dir / "b"),
            (std::vector<fs::path>{dir / "b.tbl", dir / "b.va"}));
  EXPECT_EQ(export_switching_table(e, TableExportFormat::kCsv, dir / "c.csv"), (std::vector<fs::path>{dir / "c.csv"}));
  EXPECT_EQ(verilog_a_module_name("stox_converter"), "cimmc_switching_stox_converter");
  EXPECT_EQ(verilog_a_module_name("a-b.c"), "cimmc_switching_a_b_c");
  fs::remove_all(dir);
}

TEST(SwitchingExport, SwitchingFileGivesItsOwnFit) {
  const auto e = load_exportable_table(fs::path(CIMMC_SOURCE_DIR) / "data/tables/stox_converter_1ns.h5");
  EXPECT_EQ(e.filetype, "cimmc.switching");
  EXPECT_EQ(e.fit_source, "sigmoid group of the switching file");
  ASSERT_EQ(e.i50_A.size(), 1u);
  // data/tables/README.md: I50 = 111.74 uA, w = 10.29 uA.
  EXPECT_NEAR(e.i50_A[0], 111.74e-6, 0.01e-6);
  EXPECT_NEAR(e.width_A[0], 10.29e-6, 0.01e-6);
  EXPECT_EQ(e.table.temperature_K(), 300.0);
}

TEST(SwitchingExport, ShippedTableCsvReadsBack) {
  const fs::path path = fs::path(CIMMC_SOURCE_DIR) / "data/tables/stox_converter_1ns_350K.h5";
  const SwitchingTable table = SwitchingTable::load(path);
  const auto dir = temp_dir("shipped");
  const auto files = export_switching_table(load_exportable_table(path), TableExportFormat::kCsv, dir / "t.csv");
  std::ifstream in(files.at(0));
  const auto rows = read_rows(in, ',');
  ASSERT_EQ(rows.size(), 1 + table.currents_A().size());
  for (std::size_t i = 0; i < table.currents_A().size(); ++i) {
    EXPECT_EQ(value(rows[i + 1].fields.at(0)), table.currents_A()[i]);
    EXPECT_EQ(value(rows[i + 1].fields.at(1)), table.pulse_widths_s()[0]);
    EXPECT_EQ(value(rows[i + 1].fields.at(2)), table.values()[i]);
  }
  fs::remove_all(dir);
}

TEST(SwitchingExport, BadInput) {
  const auto dir = temp_dir("bad");
  EXPECT_THROW(parse_table_export_format("spice"), cimmc::core::ArgumentError);
  try {
    parse_table_export_format("spice");
  } catch (const cimmc::core::Error& err) {
    EXPECT_STREQ(err.what(), "--format 'spice': expected csv or verilog-a");
    EXPECT_EQ(err.exit_code(), 2);
  }
  EXPECT_EQ(parse_table_export_format("csv"), TableExportFormat::kCsv);
  EXPECT_EQ(parse_table_export_format("verilog-a"), TableExportFormat::kVerilogA);
  EXPECT_THROW(load_exportable_table(dir / "missing.h5"), cimmc::core::IoError);
  {
    auto f = cimmc::core::h5::File::create(dir / "other.h5");
    cimmc::core::h5::write_provenance(f, "cimmc.test", {1, 0}, 0, "");
  }
  try {
    load_exportable_table(dir / "other.h5");
    ADD_FAILURE() << "a cimmc.test file was accepted";
  } catch (const cimmc::core::FormatError& err) {
    EXPECT_NE(std::string(err.what()).find("is a 'cimmc.test' file, expected a switching table"), std::string::npos)
        << err.what();
  }
  const ExportableTable e = exportable_table(small_table());
  try {
    export_switching_table(e, TableExportFormat::kCsv, dir / "no/such/folder/x.csv");
    ADD_FAILURE() << "an unwritable output was accepted";
  } catch (const cimmc::core::IoError& err) {
    EXPECT_NE(std::string(err.what()).find("x.csv: cannot write: No such file or directory"), std::string::npos)
        << err.what();
    EXPECT_EQ(err.exit_code(), 2);
  }
  fs::remove_all(dir);
}
