#include "cimmc/device/switching_export.hpp"

#include <fmt/format.h>
#include <fmt/ostream.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <ostream>
#include <sstream>

#include "cimmc/core/error.hpp"
#include "cimmc/core/filetypes.hpp"
#include "cimmc/core/hdf5.hpp"
#include "cimmc/core/version.hpp"

namespace cimmc::device {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The shortest text that reads back to the same double (fmt's default for doubles).
std::string number(double v) { return fmt::format("{}", v); }
std::string fit_field(double v) { return std::isfinite(v) ? number(v) : std::string(); }

std::vector<double> column(const SwitchingTable& t, std::size_t pulse) {
  const std::size_t n_t = t.pulse_widths_s().size();
  std::vector<double> col(t.currents_A().size());
  for (std::size_t i = 0; i < col.size(); ++i) col[i] = t.values()[i * n_t + pulse];
  return col;
}

// Comment lines shared by the CSV and the table-model data file.
void write_header(std::ostream& out, const ExportableTable& e, const char* what) {
  const SwitchingTable& t = e.table;
  fmt::print(out, "# {} exported by cimmc {} (cimmc export-table)\n", what, core::version::version());
  if (!e.source.empty()) fmt::print(out, "# source: {} ({})\n", e.source, e.filetype);
  fmt::print(out, "# device: {}\n", t.device().empty() ? "(unnamed)" : t.device());
  fmt::print(out, "# method: {}\n", t.method().empty() ? "(not recorded)" : t.method());
  if (std::isfinite(t.temperature_K())) fmt::print(out, "# temperature_K: {}\n", number(t.temperature_K()));
  fmt::print(out, "# grid: {} currents from {} to {} A x {} pulse widths from {} to {} s\n", t.currents_A().size(),
             number(t.currents_A().front()), number(t.currents_A().back()), t.pulse_widths_s().size(),
             number(t.pulse_widths_s().front()), number(t.pulse_widths_s().back()));
  fmt::print(
      out, "# cimmc interpolates monotone cubic (PCHIP) in current, linear in ln(pulse width), clamped to the grid\n");
  fmt::print(out, "# sigmoid fit P = 1 / (1 + exp(-(I - i50_A) / width_A)) per pulse width ({}):\n", e.fit_source);
  for (std::size_t j = 0; j < t.pulse_widths_s().size(); ++j) {
    if (std::isfinite(e.i50_A[j]) && std::isfinite(e.width_A[j]))
      fmt::print(out, "#   pulse_width_s {}: i50_A {} width_A {}\n", number(t.pulse_widths_s()[j]), number(e.i50_A[j]),
                 number(e.width_A[j]));
    else fmt::print(out, "#   pulse_width_s {}: no transition to fit\n", number(t.pulse_widths_s()[j]));
  }
}

// Writes `text` to `path` through a temporary file in the same folder and a rename.
void write_file_atomically(const std::filesystem::path& path, const std::string& text) {
  const std::filesystem::path tmp = path.string() + fmt::format(".tmp{}", static_cast<long>(::getpid()));
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) throw core::IoError(fmt::format("{}: cannot write: {}", path.string(), std::strerror(errno)));
    f << text;
    f.flush();
    if (!f) {
      const int err = errno;
      f.close();
      std::error_code ec;
      std::filesystem::remove(tmp, ec);
      throw core::IoError(fmt::format("{}: cannot write: {}", path.string(), std::strerror(err)));
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::error_code ignored;
    std::filesystem::remove(tmp, ignored);
    throw core::IoError(fmt::format("{}: cannot write: {}", path.string(), ec.message()));
  }
}

}  // namespace

ExportableTable exportable_table(SwitchingTable table, std::string source) {
  ExportableTable e;
  const std::size_t n_t = table.pulse_widths_s().size();
  e.i50_A.assign(n_t, kNaN);
  e.width_A.assign(n_t, kNaN);
  for (std::size_t j = 0; j < n_t; ++j) {
    if (table.currents_A().size() < 2) break;
    try {
      const SigmoidFit f = fit_sigmoid(table.currents_A(), column(table, j));
      e.i50_A[j] = f.i50_A;
      e.width_A[j] = f.width_A;
    } catch (const core::ModelError&) {
      // no transition in this column: the fit stays NaN
    }
  }
  e.table = std::move(table);
  e.fit_source = "fitted to the table";
  e.source = std::move(source);
  e.filetype = std::string(core::filetypes::kSwitchingTable.name);
  return e;
}

ExportableTable load_exportable_table(const std::filesystem::path& path) {
  const std::string kind = [&] {
    core::h5::File f = core::h5::File::open(path);
    return core::h5::read_provenance(f).filetype;
  }();
  if (kind != core::filetypes::kSwitching.name && kind != core::filetypes::kSwitchingTable.name)
    throw core::FormatError(fmt::format("{}: is a '{}' file, expected a switching table ('{}' or '{}')", path.string(),
                                        kind, core::filetypes::kSwitching.name, core::filetypes::kSwitchingTable.name));
  ExportableTable e = exportable_table(SwitchingTable::load(path), path.filename().string());
  e.filetype = kind;
  if (kind != core::filetypes::kSwitching.name) return e;
  // A switching file carries the fit of its raw Monte Carlo curves; use it when it matches the table.
  core::h5::File f =
      core::h5::open_cimmc_file(path, std::string(core::filetypes::kSwitching.name), core::filetypes::kSwitching.major);
  if (!f.exists("sigmoid/i50_A") || !f.exists("sigmoid/width_A") || !f.exists("monte_carlo/pulse_width_s")) return e;
  const auto i50 = f.read<double>("sigmoid/i50_A");
  const auto width = f.read<double>("sigmoid/width_A");
  const auto pulses = f.read<double>("monte_carlo/pulse_width_s");
  if (pulses.data != e.table.pulse_widths_s() || i50.size() != pulses.size() || width.size() != pulses.size()) return e;
  e.i50_A = i50.data;
  e.width_A = width.data;
  e.fit_source = "sigmoid group of the switching file";
  return e;
}

TableExportFormat parse_table_export_format(std::string_view name) {
  if (name == "csv") return TableExportFormat::kCsv;
  if (name == "verilog-a") return TableExportFormat::kVerilogA;
  throw core::ArgumentError(fmt::format("--format '{}': expected csv or verilog-a", name));
}

void write_switching_csv(std::ostream& out, const ExportableTable& e) {
  const SwitchingTable& t = e.table;
  write_header(out, e, "switching probability table");
  fmt::print(out, "# units: current_A A, pulse_width_s s, p_switch 1, i50_A A, width_A A\n");
  fmt::print(out, "current_A,pulse_width_s,p_switch,i50_A,width_A\n");
  const std::size_t n_t = t.pulse_widths_s().size();
  for (std::size_t j = 0; j < n_t; ++j)
    for (std::size_t i = 0; i < t.currents_A().size(); ++i)
      fmt::print(out, "{},{},{},{},{}\n", number(t.currents_A()[i]), number(t.pulse_widths_s()[j]),
                 number(t.values()[i * n_t + j]), fit_field(e.i50_A[j]), fit_field(e.width_A[j]));
}

void write_table_model_data(std::ostream& out, const ExportableTable& e) {
  const SwitchingTable& t = e.table;
  write_header(out, e, "Verilog-A $table_model data");
  fmt::print(out, "# columns: ln(pulse width / 1 s), current (A), switching probability (1)\n");
  fmt::print(out, "# isolines of constant pulse width (outer), current ascending (inner)\n");
  const std::size_t n_t = t.pulse_widths_s().size();
  for (std::size_t j = 0; j < n_t; ++j)
    for (std::size_t i = 0; i < t.currents_A().size(); ++i)
      fmt::print(out, "{} {} {}\n", number(std::log(t.pulse_widths_s()[j])), number(t.currents_A()[i]),
                 number(t.values()[i * n_t + j]));
}

std::string table_model_control(const ExportableTable& e) {
  return e.table.pulse_widths_s().size() < 2 ? "D,1CC" : "1CC,1CC";
}

std::string verilog_a_module_name(const std::string& device) {
  std::string name = "cimmc_switching";
  if (!device.empty()) name += '_';
  for (char c : device) name += (std::isalnum(static_cast<unsigned char>(c)) ? c : '_');
  return name;
}

void write_verilog_a_module(std::ostream& out, const ExportableTable& e, const std::string& data_file_name,
                            const std::string& module_name) {
  const SwitchingTable& t = e.table;
  const std::string name = module_name.empty() ? verilog_a_module_name(t.device()) : module_name;
  const bool one_pulse = t.pulse_widths_s().size() < 2;
  fmt::print(out, "// Switching probability of the SOT-MTJ '{}' as a behavioural model, exported by cimmc {}\n",
             t.device(), core::version::version());
  if (!e.source.empty()) fmt::print(out, "// (cimmc export-table {} --format verilog-a).\n", e.source);
  fmt::print(out,
             "//\n"
             "// Inputs are node voltages in scaled units: V(i_in) * current_unit_A is the heavy-metal write\n"
             "// current (A) and V(t_in) * time_unit_s the pulse width (s). The output V(p_out) is the\n"
             "// probability (0 to 1) that one pulse of that current and width switches the free layer.\n"
             "// P comes from the table file (parameter table_file), interpolated linearly in ln(pulse width)\n"
             "// and in current and held at the grid's edge values outside it. cimmc itself interpolates the\n"
             "// current with a monotone cubic, so between grid currents the two differ slightly.\n");
  if (one_pulse)
    fmt::print(out, "// The table holds one pulse width ({} s): P does not depend on t_in.\n",
               number(t.pulse_widths_s().front()));
  fmt::print(out, "// Grid: currents {} to {} A ({} points), pulse widths {} to {} s ({} points).\n",
             number(t.currents_A().front()), number(t.currents_A().back()), t.currents_A().size(),
             number(t.pulse_widths_s().front()), number(t.pulse_widths_s().back()), t.pulse_widths_s().size());
  fmt::print(out, "// Sigmoid fit P = 1 / (1 + exp(-(I - i50) / w)) ({}):\n", e.fit_source);
  for (std::size_t j = 0; j < t.pulse_widths_s().size(); ++j) {
    if (std::isfinite(e.i50_A[j]) && std::isfinite(e.width_A[j]))
      fmt::print(out, "//   t = {} s: i50 = {} A, w = {} A\n", number(t.pulse_widths_s()[j]), number(e.i50_A[j]),
                 number(e.width_A[j]));
    else fmt::print(out, "//   t = {} s: no transition to fit\n", number(t.pulse_widths_s()[j]));
  }
  fmt::print(out,
             "\n"
             "`include \"disciplines.vams\"\n"
             "\n"
             "module {}(i_in, t_in, p_out);\n"
             "  input i_in, t_in;\n"
             "  output p_out;\n"
             "  electrical i_in, t_in, p_out;\n"
             "  parameter string table_file = \"{}\";\n"
             "  parameter real current_unit_A = 1e-6 from (0:inf);\n"
             "  parameter real time_unit_s = 1e-9 from (0:inf);\n"
             "  real current_A, ln_pulse_width, p;\n"
             "  analog begin\n"
             "    current_A = V(i_in) * current_unit_A;\n"
             "    ln_pulse_width = ln(max(V(t_in) * time_unit_s, 1e-18));\n"
             "    p = $table_model(ln_pulse_width, current_A, table_file, \"{}\");\n"
             "    V(p_out) <+ min(max(p, 0.0), 1.0);\n"
             "  end\n"
             "endmodule\n",
             name, data_file_name, table_model_control(e));
}

std::vector<std::filesystem::path> export_switching_table(const ExportableTable& e, TableExportFormat format,
                                                          const std::filesystem::path& output) {
  if (output.empty()) throw core::ArgumentError("export: the output file name is empty");
  if (format == TableExportFormat::kCsv) {
    std::ostringstream text;
    write_switching_csv(text, e);
    write_file_atomically(output, text.str());
    return {output};
  }
  std::filesystem::path stem = output;
  if (stem.extension() == ".va" || stem.extension() == ".tbl") stem.replace_extension();
  const std::filesystem::path data = stem.string() + ".tbl", module = stem.string() + ".va";
  std::ostringstream data_text, module_text;
  write_table_model_data(data_text, e);
  write_verilog_a_module(module_text, e, data.filename().string());
  write_file_atomically(data, data_text.str());
  write_file_atomically(module, module_text.str());
  return {data, module};
}

}  // namespace cimmc::device
