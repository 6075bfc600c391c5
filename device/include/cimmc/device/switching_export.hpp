// A switching table written for circuit tools (`cimmc export-table`): P_sw over the current ×
// pulse-width grid with units and the per-pulse-width sigmoid fit, as CSV or as a Verilog-A
// `$table_model` data file plus a behavioural module that reads it. The layouts are described in
// docs/formats.md, "Exported switching tables".
#pragma once

#include <filesystem>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

#include "cimmc/device/switching_table.hpp"

namespace cimmc::device {

// A table with what an export writes besides the grid.
struct ExportableTable {
  SwitchingTable table;
  // Sigmoid fit P = 1 / (1 + exp(-(I - I50) / w)) per pulse width of the table; NaN where the
  // column has no transition.
  std::vector<double> i50_A, width_A;
  // Where the fit comes from: "sigmoid group of the switching file" or "fitted to the table".
  std::string fit_source;
  std::string source;    // the file it was read from (its name, for the headers)
  std::string filetype;  // cimmc.switching or cimmc.switching_table
};

// Fits a sigmoid to every pulse-width column of the table (NaN where there is no transition).
ExportableTable exportable_table(SwitchingTable table, std::string source = "");

// Reads a cimmc.switching file (its /table and /sigmoid groups) or a cimmc.switching_table file
// (the fit is then made from the table's columns). Missing file: core::IoError; a file of another kind
// or a broken table: core::FormatError.
ExportableTable load_exportable_table(const std::filesystem::path& path);

enum class TableExportFormat { kCsv, kVerilogA };
// "csv" or "verilog-a"; anything else is an core::ArgumentError naming the value.
TableExportFormat parse_table_export_format(std::string_view name);

// One row per grid node, current fastest: current_A,pulse_width_s,p_switch,i50_A,width_A, after
// '#' comment lines (source, device, method, units, interpolation). Numbers are printed as the
// shortest text that reads back to the same double; a fit value that is NaN is an empty field.
void write_switching_csv(std::ostream& out, const ExportableTable& t);

// The `$table_model` data file: '#' comment lines, then "ln_pulse_width current_A p_switch" per
// node, pulse width outer and current inner (isolines of constant pulse width).
void write_table_model_data(std::ostream& out, const ExportableTable& t);
// The Verilog-A module that interpolates the data file `data_file_name` (its default
// `table_file` parameter). `module_name` empty: cimmc_switching_<device>.
void write_verilog_a_module(std::ostream& out, const ExportableTable& t, const std::string& data_file_name,
                            const std::string& module_name = "");
// The `$table_model` control string the module uses: "1CC,1CC" (linear in ln t and in I, clamped
// at the grid's edges), or "D,1CC" for a table of one pulse width (closest lookup in t).
std::string table_model_control(const ExportableTable& t);
// A Verilog-A identifier from a device name: cimmc_switching_<name with non-alphanumerics as _>.
std::string verilog_a_module_name(const std::string& device);

// Writes the export: for kCsv the file `output`; for kVerilogA the data file and the module,
// named after `output` with the extension .tbl and .va (a .va or .tbl extension of `output` is
// replaced, any other is kept and the two are appended). Each file is written to a temporary
// file in the same folder and renamed. Returns the files written. core::IoError if one cannot be
// written (the message names the file and the reason).
std::vector<std::filesystem::path> export_switching_table(const ExportableTable& t, TableExportFormat format,
                                                          const std::filesystem::path& output);

}  // namespace cimmc::device
