#include "cimmc/device/switching_study.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "cimmc/core/error.hpp"
#include "cimmc/core/filetypes.hpp"
#include "cimmc/core/hdf5.hpp"

namespace cimmc::device {

namespace {
bool strictly_ascending(const std::vector<double>& v) {
  for (std::size_t i = 1; i < v.size(); ++i)
    if (!(v[i] > v[i - 1])) return false;
  return true;
}
}  // namespace

SwitchingConfig read_switching_config(const core::config::Value& table, const std::string& source,
                                      const std::string& key_path) {
  core::config::Problems problems;
  core::config::TableReader r(table, source, key_path, problems);
  SwitchingConfig c;
  auto& s = c.settings;
  if (r.required("current_A", c.currents_A))
    r.check(!c.currents_A.empty() && strictly_ascending(c.currents_A) &&
                std::all_of(c.currents_A.begin(), c.currents_A.end(), [](double x) { return std::isfinite(x); }),
            "current_A", "a non-empty, strictly ascending list of currents (A)");
  if (r.required("pulse_width_s", c.pulse_widths_s))
    r.check(!c.pulse_widths_s.empty() && strictly_ascending(c.pulse_widths_s) &&
                std::all_of(c.pulse_widths_s.begin(), c.pulse_widths_s.end(),
                            [](double x) { return x > 0 && std::isfinite(x); }),
            "pulse_width_s", "a non-empty, strictly ascending list of pulse widths > 0 (s)");
  std::int64_t trials = static_cast<std::int64_t>(s.trials);
  r.optional("trials", trials);
  r.check(trials >= 1 && trials <= 100000000, "trials", "1 to 1e8 trajectories per grid point");
  s.trials = static_cast<std::size_t>(std::max<std::int64_t>(trials, 1));
  r.optional("seed", s.seed);
  r.optional("time_step_s", s.time_step_s);
  r.check(std::isfinite(s.time_step_s) && s.time_step_s >= 0 && s.time_step_s <= 1e-10, "time_step_s",
          "0 (automatic) or a step up to 1e-10 s");
  r.optional("equilibrate_time_s", s.equilibrate_time_s);
  r.check(std::isfinite(s.equilibrate_time_s) && s.equilibrate_time_s <= 1e-3, "equilibrate_time_s",
          "a time >= 0 s (at most 1e-3 s), or < 0 for automatic");
  r.optional("rise_time_s", s.rise_time_s);
  r.check(std::isfinite(s.rise_time_s) && s.rise_time_s >= 0, "rise_time_s", "a time >= 0 s");
  r.optional("fall_time_s", s.fall_time_s);
  r.check(std::isfinite(s.fall_time_s) && s.fall_time_s >= 0, "fall_time_s", "a time >= 0 s");
  r.optional("relax_time_s", s.relax_time_s);
  r.check(std::isfinite(s.relax_time_s), "relax_time_s", "a time >= 0 s, or < 0 for automatic");
  r.finish();
  problems.throw_if_any(source);
  return c;
}

SwitchingReport characterize_switching(const SotMtjParams& params, const std::vector<double>& currents,
                                       const std::vector<double>& pulses, const MonteCarloSettings& settings) {
  SwitchingReport r;
  r.params = params;
  r.derived = derive(params);
  r.settings = settings;
  r.curves = monte_carlo_switching(params, currents, pulses, settings);
  for (std::size_t j = 0; j < pulses.size(); ++j) {
    const auto col = probability_column(r.curves, j);
    SigmoidFit f{};
    f.i50_A = f.width_A = f.rms_residual = f.max_abs_residual = std::nan("");
    if (currents.size() >= 2) {
      try {
        f = fit_sigmoid(currents, col);
      } catch (const core::ModelError&) {
        // A flat column (all 0 or all 1) has no transition: NaN parameters.
      }
    }
    r.sigmoids.push_back(f);
  }
  if (std::isfinite(r.derived.thermal_stability)) {
    try {
      r.activation = fit_thermal_activation(r.curves, r.derived.thermal_stability, r.derived.critical_current_A);
    } catch (const core::ModelError& e) {
      r.activation_note = e.what();
    }
  } else {
    r.activation_note = "no thermal-activation fit at T = 0";
  }
  r.table = SwitchingTable::from_monte_carlo(r.curves, params.name);
  return r;
}

void write_switching_file(const std::filesystem::path& path, const SwitchingReport& r, const std::string& config_text) {
  core::h5::AtomicFile out(path);
  auto& f = out.file();
  core::h5::write_provenance(f, std::string(core::filetypes::kSwitching.name),
                             {core::filetypes::kSwitching.major, core::filetypes::kSwitching.minor}, r.settings.seed,
                             config_text);
  const auto& c = r.curves;
  const std::size_t ni = c.currents_A.size(), nt = c.pulse_widths_s.size();
  const std::vector<std::size_t> shape{ni, nt};
  const std::vector<std::string> dims{"current", "pulse_width"};

  auto dev = f.create_group("device");
  dev.set_attr("name", r.params.name);
  dev.set_attr("critical_current_model", r.derived.critical_current_model);
  dev.write_scalar<double>("thermal_stability", r.derived.thermal_stability, "1");
  dev.write_scalar<double>("effective_anisotropy_field_A_per_m", r.derived.effective_anisotropy_field_A_per_m, "A/m");
  dev.write_scalar<double>("critical_current_A", r.derived.critical_current_A, "A");
  dev.write_scalar<double>("damping_like_field_A_per_m_per_A", r.derived.damping_like_field_A_per_m_per_A, "A/m/A");
  dev.write_scalar<double>("heavy_metal_resistance_ohm", r.derived.heavy_metal_resistance_ohm, "ohm");
  dev.write_scalar<double>("volume_m3", r.derived.volume_m3, "m^3");
  dev.write_scalar<double>("temperature_K", r.params.temperature_K, "K");

  auto mc = f.create_group("monte_carlo");
  mc.write_1d<double>("current_A", c.currents_A, "A", "current");
  mc.write_1d<double>("pulse_width_s", c.pulse_widths_s, "s", "pulse_width");
  mc.write_scalar<std::int64_t>("trials", static_cast<std::int64_t>(c.trials), "1");
  mc.write_scalar<double>("time_step_s", c.time_step_s, "s");
  mc.write_scalar<double>("equilibrate_time_s", c.equilibrate_time_s, "s");
  mc.write_1d<double>("initial_m", std::vector<double>(c.initial_m.begin(), c.initial_m.end()), "1", "component");
  mc.write_scalar<double>("rise_time_s", r.settings.rise_time_s, "s");
  mc.write_scalar<double>("fall_time_s", r.settings.fall_time_s, "s");
  mc.write_scalar<double>("relax_time_s", c.relax_time_s, "s");
  mc.write<std::int64_t>("switched_count", std::span<const std::int64_t>(c.switched_count), shape, "1", dims);
  mc.write<double>("p_switch", std::span<const double>(c.probability), shape, "1", dims);
  mc.write<double>("ci_low", std::span<const double>(c.ci_low), shape, "1", dims);
  mc.write<double>("ci_high", std::span<const double>(c.ci_high), shape, "1", dims);
  mc.write<double>("mean_switching_time_s", std::span<const double>(c.mean_switching_time_s), shape, "s", dims);
  std::vector<double> energy(ni * nt);
  for (std::size_t i = 0; i < ni; ++i)
    for (std::size_t j = 0; j < nt; ++j)
      energy[c.index(i, j)] = write_energy_J(r.params, c.currents_A[i], c.pulse_widths_s[j]);
  mc.write<double>("write_energy_J", std::span<const double>(energy), shape, "J", dims);

  auto sg = f.create_group("sigmoid");
  std::vector<double> i50, w, rms, mx;
  for (const auto& s : r.sigmoids) {
    i50.push_back(s.i50_A);
    w.push_back(s.width_A);
    rms.push_back(s.rms_residual);
    mx.push_back(s.max_abs_residual);
  }
  sg.write_1d<double>("i50_A", i50, "A", "pulse_width");
  sg.write_1d<double>("width_A", w, "A", "pulse_width");
  sg.write_1d<double>("rms_residual", rms, "1", "pulse_width");
  sg.write_1d<double>("max_abs_residual", mx, "1", "pulse_width");

  auto ta = f.create_group("thermal_activation");
  if (r.activation) {
    const auto& m = r.activation->model;
    ta.write_scalar<double>("attempt_time_s", m.attempt_time_s, "s");
    ta.write_scalar<double>("exponent", m.exponent, "1");
    ta.write_scalar<double>("thermal_stability", m.thermal_stability, "1");
    ta.write_scalar<double>("critical_current_A", m.critical_current_A, "A");
    ta.write_scalar<double>("rms_log_residual", r.activation->rms_log_residual, "1");
    ta.write_scalar<std::int64_t>("points_used", static_cast<std::int64_t>(r.activation->points_used), "1");
  } else {
    ta.set_attr("note", r.activation_note);
  }

  auto tb = f.create_group("table");
  r.table.write(tb);
  out.commit();
}

}  // namespace cimmc::device
