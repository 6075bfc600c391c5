// `cimmc switching`: switching probability of an SOT-MTJ on a current x pulse-width grid by
// Monte Carlo over the stochastic LLG, with Wilson intervals, mean switching times, a sigmoid fit
// per pulse width, the thermal-activation fit and the lookup table, written to a
// cimmc.switching file (docs/formats.md).
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "cimmc/core/error.hpp"
#include "cimmc/core/parallel.hpp"
#include "cimmc/core/progress.hpp"
#include "cimmc/device/switching_study.hpp"
#include "cimmc/studies/cli.hpp"
#include "cimmc/studies/memory_estimate.hpp"
#include "cimmc/studies/one_point.hpp"
#include "cimmc/studies/resolved_design.hpp"

namespace cimmc::studies {

namespace {

struct SwitchingOptions {
  std::string device, currents, pulses, output, table_output, table_source = "monte_carlo";
  std::int64_t trials = 1000;  // signed, so that -3 is reported as -3
  std::uint64_t seed = 1;
  double time_step_s = 0, equilibrate_s = -1, rise_s = 0, fall_s = 0, relax_s = -1;
  std::vector<std::string> overrides;
};

// `text` is one element of the option's value `whole`.
double parse_number(const std::string& text, const std::string& option, const std::string& whole) {
  double v = 0;
  const char* b = text.data();
  const char* e = b + text.size();
  const auto [ptr, ec] = std::from_chars(b, e, v);
  if (text.empty() || ec != std::errc() || ptr != e || !std::isfinite(v))
    throw core::ArgumentError(fmt::format("{} '{}': '{}' is not a number", option, whole, text));
  return v;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    const auto p = s.find(sep, start);
    parts.push_back(s.substr(start, p == std::string::npos ? std::string::npos : p - start));
    if (p == std::string::npos) break;
    start = p + 1;
  }
  return parts;
}

// "A:B:N" (N evenly spaced values from A to B) or "a,b,c".
std::vector<double> parse_currents(const std::string& text) {
  const std::string opt = "--current-A";
  std::vector<double> v;
  if (text.find(':') != std::string::npos) {
    const auto parts = split(text, ':');
    if (parts.size() != 3)
      throw core::ArgumentError(fmt::format("{} '{}': expected A:B:N, e.g. 50e-6:150e-6:11", opt, text));
    const double a = parse_number(parts[0], opt, text), b = parse_number(parts[1], opt, text);
    int n = 0;
    const auto [ptr, ec] = std::from_chars(parts[2].data(), parts[2].data() + parts[2].size(), n);
    if (ec != std::errc() || ptr != parts[2].data() + parts[2].size() || n < 1 || n > 100000)
      throw core::ArgumentError(
          fmt::format("{} '{}': N = '{}' must be an integer from 1 to 100000", opt, text, parts[2]));
    if (n == 1 && a != b) throw core::ArgumentError(fmt::format("{} '{}': N = 1 needs A = B", opt, text));
    if (n > 1 && !(b > a)) throw core::ArgumentError(fmt::format("{} '{}': need B > A", opt, text));
    for (int i = 0; i < n; ++i) v.push_back(n == 1 ? a : a + (b - a) * i / (n - 1));
  } else {
    for (const auto& p : split(text, ',')) v.push_back(parse_number(p, opt, text));
    for (std::size_t i = 1; i < v.size(); ++i)
      if (!(v[i] > v[i - 1]))
        throw core::ArgumentError(fmt::format("{} '{}': currents must be strictly ascending", opt, text));
  }
  return v;
}

std::vector<double> parse_pulses(const std::string& text) {
  std::vector<double> v;
  for (const auto& p : split(text, ',')) {
    const double t = parse_number(p, "--pulse-s", text);
    if (!(t > 0)) throw core::ArgumentError(fmt::format("--pulse-s '{}': pulse width {} must be > 0 s", text, p));
    v.push_back(t);
  }
  for (std::size_t i = 1; i < v.size(); ++i)
    if (!(v[i] > v[i - 1]))
      throw core::ArgumentError(fmt::format("--pulse-s '{}': pulse widths must be strictly ascending", text));
  return v;
}

void run_switching(const SwitchingOptions& o, bool quiet) {
  if (o.trials < 1 || o.trials > 100000000)
    throw core::ArgumentError(fmt::format("--trials {}: expected 1 to 1e8", o.trials));
  for (auto [name, v] : {std::pair{"--rise-s", o.rise_s}, {"--fall-s", o.fall_s}})
    if (!(v >= 0) || !std::isfinite(v)) throw core::ArgumentError(fmt::format("{} {}: expected a time >= 0", name, v));
  if (!(o.relax_s >= 0 || o.relax_s == -1) || !std::isfinite(o.relax_s))
    throw core::ArgumentError(fmt::format("--relax-s {}: expected a time >= 0 (or -1: automatic)", o.relax_s));
  if (!(o.equilibrate_s >= 0 || o.equilibrate_s == -1) || !std::isfinite(o.equilibrate_s) || o.equilibrate_s > 1e-3)
    throw core::ArgumentError(
        fmt::format("--equilibrate-s {}: expected a time from 0 to 1e-3 s (or -1: automatic)", o.equilibrate_s));
  if (o.time_step_s < 0 || !std::isfinite(o.time_step_s) || o.time_step_s > 1e-10)
    throw core::ArgumentError(fmt::format("--dt-s {}: expected 0 (automatic) or a step up to 1e-10 s", o.time_step_s));
  const auto currents = parse_currents(o.currents);
  const auto pulses = parse_pulses(o.pulses);
  if (o.table_source != "monte_carlo" && o.table_source != "thermal_activation")
    throw core::ArgumentError(
        fmt::format("--table-source '{}': expected monte_carlo or thermal_activation", o.table_source));
  {
    // Memory before any work (docs/reliability.md, section 9): the statistics of every grid point.
    studies::MemoryEstimate memory;
    memory.add("curves", studies::switching_bytes(currents.size(), pulses.size(), core::max_threads()));
    studies::check_memory(
        memory, fmt::format("cimmc switching ({} currents x {} pulse widths)", currents.size(), pulses.size()),
        "characterize fewer currents or pulse widths per run");
  }

  // A one-point switching study (studies/one_point.hpp): the design resolved like a study point,
  // its slot (0, 0) computed by the study's slot function.
  studies::StudySpec spec;
  spec.source = "cimmc switching";
  spec.kind = studies::StudyKind::kSwitching;
  spec.seed = o.seed;
  spec.device = o.device;
  spec.set = studies::override_assignments(o.overrides, "device.");
  toml::array current_values, pulse_values;
  for (double c : currents) current_values.push_back(c);
  for (double t : pulses) pulse_values.push_back(t);
  spec.switching = toml::table{{"current_A", current_values},
                               {"pulse_width_s", pulse_values},
                               {"trials", static_cast<std::int64_t>(o.trials)},
                               {"time_step_s", o.time_step_s},
                               {"equilibrate_time_s", o.equilibrate_s},
                               {"rise_time_s", o.rise_s},
                               {"fall_time_s", o.fall_s},
                               {"relax_time_s", o.relax_s}};
  const auto design = studies::resolve_design(spec, 0);
  const auto& params = design.device_params;
  core::Progress progress("switching", currents.size() * pulses.size() * static_cast<std::size_t>(o.trials),
                          "trajectories", quiet);
  std::size_t reported = 0;
  auto report = studies::switching_slot(design, o.seed, 0, 0, 0, [&](std::size_t done) {
    progress.advance(done - reported);
    reported = done;
  });
  progress.finish();
  if (o.table_source == "thermal_activation") {
    if (!report.activation)
      throw core::ModelError(
          fmt::format("--table-source thermal_activation: no thermal-activation fit ({})", report.activation_note));
    report.table = device::SwitchingTable::from_model(report.activation->model, currents, pulses, params.name);
  }

  const std::string config =
      device::to_toml(params) +
      fmt::format(
          "\n[switching]\ncurrent_A = [{:.17g}]\npulse_width_s = [{:.17g}]\ntrials = {}\nseed = {}\n"
          "time_step_s = {:.17g}\nequilibrate_time_s = {:.17g}\nrise_time_s = {:.17g}\nfall_time_s = "
          "{:.17g}\nrelax_time_s = {:.17g}\n"
          "# lookup table from: {}\n",
          fmt::join(currents, ", "), fmt::join(pulses, ", "), o.trials, o.seed, report.curves.time_step_s,
          report.curves.equilibrate_time_s, o.rise_s, o.fall_s, report.curves.relax_time_s, o.table_source);
  device::write_switching_file(o.output, report, config);
  if (!o.table_output.empty()) report.table.save(o.table_output, o.seed, config);

  const auto& d = report.derived;
  fmt::print("device {}: Delta = {:.3g}, I_c0 = {:.4g} A ({}), time step {:.3g} s, relaxation {:.3g} s\n", params.name,
             d.thermal_stability, d.critical_current_A, d.critical_current_model, report.curves.time_step_s,
             report.curves.relax_time_s);
  const auto& m0 = report.curves.initial_m;
  fmt::print(
      "start: zero-temperature equilibrium m = ({:.4f}, {:.4f}, {:.4f}), {:.3g} s at zero current before the pulse\n",
      m0[0], m0[1], m0[2], report.curves.equilibrate_time_s);
  for (std::size_t j = 0; j < pulses.size(); ++j) {
    const auto& f = report.sigmoids[j];
    fmt::print("pulse {:.4g} s: sigmoid I50 = {:.4g} A, w = {:.4g} A, rms residual {:.3g}\n", pulses[j], f.i50_A,
               f.width_A, f.rms_residual);
  }
  if (report.activation)
    fmt::print("thermal activation: tau0 = {:.4g} s, n = {:.3g}, I_c0 = {:.4g} A, rms ln-residual {:.3g} ({} points)\n",
               report.activation->model.attempt_time_s, report.activation->model.exponent,
               report.activation->model.critical_current_A, report.activation->rms_log_residual,
               report.activation->points_used);
  else fmt::print("thermal activation: not fitted ({})\n", report.activation_note);
  fmt::print("wrote {}\n", o.output);
}

void register_switching(Registry& r) {
  static SwitchingOptions o;
  auto* sub = r.add("switching", "Switching probability of an SOT-MTJ versus current and pulse width (Monte Carlo LLG)",
                    [&r] { run_switching(o, r.global().quiet); });
  sub->add_option("--device", o.device, "Device preset name (e.g. perpendicular_sot) or a .toml file")->required();
  sub->add_option("--current-A", o.currents, "Heavy-metal currents: A:B:N (N values from A to B) or a,b,c (A)")
      ->required();
  sub->add_option("--pulse-s", o.pulses, "Pulse widths, comma-separated (s)")->required();
  sub->add_option("--trials", o.trials, "Trajectories per (current, pulse width)")->capture_default_str();
  sub->add_option("--seed", o.seed, "Random seed")->capture_default_str()->check(seed_value());
  sub->add_option("-o,--output", o.output, "Output file (cimmc.switching HDF5)")->required();
  sub->add_option("--table", o.table_output, "Also write the lookup table as a cimmc.switching_table file");
  sub->add_option("--table-source", o.table_source,
                  "What the lookup table holds: monte_carlo (isotonic in current) or thermal_activation (the fit)")
      ->capture_default_str();
  sub->add_option("--dt-s", o.time_step_s, "Time step (s); 0 chooses one from the device")->capture_default_str();
  sub->add_option(
         "--equilibrate-s", o.equilibrate_s,
         "Time at zero current before the pulse, from the zero-temperature equilibrium under the bias field (s); "
         "-1: five damping times, at least 1 ns")
      ->capture_default_str();
  sub->add_option("--rise-s", o.rise_s, "Pulse rise time (s)")->capture_default_str();
  sub->add_option("--fall-s", o.fall_s, "Pulse fall time (s)")->capture_default_str();
  sub->add_option("--relax-s", o.relax_s, "Relaxation at zero current after the pulse (s); -1: five damping times")
      ->capture_default_str();
  sub->add_option("--set", o.overrides, "Override a device parameter, relative to [device]: free_layer.damping=0.1");
}

}  // namespace

CIMMC_REGISTER_COMMAND(20, register_switching);

}  // namespace cimmc::studies
