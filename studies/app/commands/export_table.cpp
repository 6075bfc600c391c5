// `cimmc export-table SWITCHING.h5 --format csv|verilog-a -o FILE`: a switching table (and its
// sigmoid fit) in a form circuit tools read: CSV, or a Verilog-A $table_model data file plus a
// behavioural module that uses it (device/include/cimmc/device/switching_export.hpp; layouts in
// docs/formats.md, "Exported switching tables").
#include <fmt/format.h>

#include <filesystem>
#include <string>

#include "cimmc/device/switching_export.hpp"
#include "cimmc/studies/cli.hpp"

namespace cimmc::studies {

namespace {

void register_export_table(Registry& r) {
  static std::string input, format = "csv", output;
  auto* sub = r.add("export-table", "Write a switching table (and its sigmoid fit) as CSV or for Verilog-A", [] {
    const device::TableExportFormat kind = device::parse_table_export_format(format);
    const device::ExportableTable table = device::load_exportable_table(input);
    const auto files = device::export_switching_table(table, kind, output);
    const auto& t = table.table;
    std::string names;
    for (const auto& f : files) names += (names.empty() ? "" : " and ") + f.string();
    fmt::print("wrote {} ({} currents x {} pulse widths; sigmoid fit {})\n", names, t.currents_A().size(),
               t.pulse_widths_s().size(), table.fit_source);
    if (kind == device::TableExportFormat::kVerilogA)
      fmt::print("module {} reads {}\n", device::verilog_a_module_name(t.device()), files.front().filename().string());
  });
  sub->add_option("table", input, "A cimmc.switching or cimmc.switching_table file")->required();
  sub->add_option("--format", format, "csv (default) or verilog-a (a $table_model data file .tbl and a module .va)");
  sub->add_option("-o,--output", output, "Output file; for verilog-a the .tbl and .va files are named after it")
      ->required();
}

}  // namespace

CIMMC_REGISTER_COMMAND(25, register_export_table);

}  // namespace cimmc::studies
