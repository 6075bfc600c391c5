#include "cimmc/device/sot_mtj_params.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <set>

#include "cimmc/core/constants.hpp"
#include "cimmc/core/data_files.hpp"
#include "cimmc/core/error.hpp"

namespace cimmc::device {

namespace c = cimmc::core::constants;

namespace {
constexpr const char* kAxisNames[] = {"x", "y", "z"};

bool positive(double x) { return std::isfinite(x) && x > 0.0; }

// A required key whose value must be finite and > 0; one problem whether it is missing or bad.
void require_positive(core::config::TableReader& t, std::string_view key, double& value, std::string_view expected) {
  if (t.required(key, value)) t.check(positive(value), key, std::string(expected));
}

double anisotropy_field(const SotMtjParams& p) {
  const FreeLayer& f = p.free_layer;
  if (f.interface_anisotropy_J_per_m2 > 0)
    return 2.0 * f.interface_anisotropy_J_per_m2 /
           (c::kMu0_H_per_m * f.saturation_magnetization_A_per_m * f.thickness_m);
  if (f.uniaxial_anisotropy_J_per_m3 > 0)
    return 2.0 * f.uniaxial_anisotropy_J_per_m3 / (c::kMu0_H_per_m * f.saturation_magnetization_A_per_m);
  return f.anisotropy_field_A_per_m;
}

// Barrier field: from the easy axis over the lower of the two hard directions.
double effective_anisotropy_field(const SotMtjParams& p, double hk) {
  const auto& n = p.free_layer.demag_factors;
  const int a = p.free_layer.easy_axis;
  double n_min = std::numeric_limits<double>::infinity();
  for (int j = 0; j < 3; ++j)
    if (j != a) n_min = std::min(n_min, n[j]);
  return hk + p.free_layer.saturation_magnetization_A_per_m * (n_min - n[a]);
}
}  // namespace

DerivedQuantities derive(const SotMtjParams& p) {
  const FreeLayer& f = p.free_layer;
  const HeavyMetal& hm = p.heavy_metal;
  DerivedQuantities d{};
  d.area_m2 = f.shape == Shape::kEllipse ? c::kPi / 4.0 * f.length_m * f.width_m : f.length_m * f.width_m;
  d.volume_m3 = d.area_m2 * f.thickness_m;
  d.anisotropy_field_A_per_m = anisotropy_field(p);
  d.effective_anisotropy_field_A_per_m = effective_anisotropy_field(p, d.anisotropy_field_A_per_m);
  const double ms = f.saturation_magnetization_A_per_m;
  const double kt = c::kBoltzmann_J_per_K * p.temperature_K;
  d.thermal_stability = kt > 0 ? c::kMu0_H_per_m * ms * d.effective_anisotropy_field_A_per_m * d.volume_m3 / (2.0 * kt)
                               : std::numeric_limits<double>::infinity();
  d.damping_like_field_A_per_m_per_A =
      c::kHbar_Js * hm.spin_hall_angle /
      (2.0 * c::kElementaryCharge_C * c::kMu0_H_per_m * ms * f.thickness_m * hm.width_m * hm.thickness_m);
  d.heavy_metal_resistance_ohm = hm.resistivity_ohm_m * hm.length_m / (hm.width_m * hm.thickness_m);
  d.resistance_antiparallel_ohm = p.electrical.resistance_parallel_ohm * (1.0 + p.electrical.tmr);
  d.neel_brown_time_s = kt > 0 ? (1.0 + f.damping * f.damping) * c::kMu0_H_per_m * ms * d.volume_m3 /
                                     (2.0 * f.damping * c::kGamma0_m_per_A_s * kt)
                               : std::numeric_limits<double>::infinity();

  // Analytic critical currents (physics.md oracles 4 and 5), in magnitude.
  const double h_per_A = std::abs(d.damping_like_field_A_per_m_per_A);
  const Vec3& s = p.spin_polarization;
  const int a = f.easy_axis;
  const double hkeff = d.effective_anisotropy_field_A_per_m;
  d.critical_current_A = std::numeric_limits<double>::quiet_NaN();
  d.critical_current_model = "none";
  if (a == 2 && std::abs(s[2]) < 1e-12) {
    // Lee et al., APL 102, 112410 (2013): J_c = (2e/hbar)(mu0 Ms t_F/theta)(H_K,eff/2 - H_x/sqrt2),
    // H_x the bias field along the current.
    d.critical_current_A = (hkeff / 2.0 - std::abs(p.external_field_A_per_m[0]) / std::sqrt(2.0)) / h_per_A;
    d.critical_current_model = "lee2013_perpendicular";
  } else if (std::abs(std::abs(s[a]) - 1.0) < 1e-12) {
    // Torque collinear with the easy axis (anti-damping): threshold alpha times the mean of the
    // stiffness fields of the two hard directions. For an in-plane type-y magnet this is Liu et
    // al., Science 336, 555 (2012): J_c0 = (2e/hbar)(mu0 Ms t_F/theta) alpha (H_K + M_eff/2);
    // for an axially symmetric perpendicular magnet it is alpha H_K,eff.
    const auto& n = f.demag_factors;
    double stiffness_sum = 0;
    for (int j = 0; j < 3; ++j)
      if (j != a) stiffness_sum += d.anisotropy_field_A_per_m + ms * (n[j] - n[a]);
    d.critical_current_A = f.damping * stiffness_sum / 2.0 / h_per_A;
    d.critical_current_model = a == 2 ? "collinear_perpendicular" : "liu2012_type_y";
  }
  return d;
}

Vec3 ellipsoid_demag_factors(double a, double b, double c) {
  if (!(a > 0 && b > 0 && c > 0))
    throw core::ArgumentError(fmt::format("ellipsoid semi-axes must be > 0 (got {}, {}, {})", a, b, c));
  // N_i = (abc/2) int_0^inf ds / ((s + a_i^2) sqrt((s + a^2)(s + b^2)(s + c^2))), with s = e^v
  // so that the very different scales of a thin film are all resolved; Simpson in v.
  const double lo = std::log(std::min({a, b, c}) * std::min({a, b, c})) - 30.0;
  const double hi = std::log(std::max({a, b, c}) * std::max({a, b, c})) + 40.0;
  const int n = 8000;
  const double h = (hi - lo) / n;
  const double axes2[3] = {a * a, b * b, c * c};
  Vec3 out{};
  for (int i = 0; i < 3; ++i) {
    double sum = 0;
    for (int k = 0; k <= n; ++k) {
      const double sv = std::exp(lo + k * h);
      const double f = sv / ((sv + axes2[i]) * std::sqrt((sv + axes2[0]) * (sv + axes2[1]) * (sv + axes2[2])));
      sum += (k == 0 || k == n ? 1.0 : (k % 2 ? 4.0 : 2.0)) * f;
    }
    out[i] = a * b * c / 2.0 * sum * h / 3.0;
  }
  return out;
}

double write_energy_J(const SotMtjParams& p, double current_A, double pulse_width_s) {
  return current_A * current_A * derive(p).heavy_metal_resistance_ohm * pulse_width_s;
}

SotMtjParams read_sot_mtj(const core::config::Value& device_table, const std::string& source,
                          const std::string& key_path) {
  core::config::Problems problems;
  core::config::TableReader dev(device_table, source, key_path, problems);
  SotMtjParams p;
  dev.optional("name", p.name);
  dev.optional("description", p.description);
  dev.optional("source", p.source);
  dev.optional("temperature_K", p.temperature_K);
  dev.check(std::isfinite(p.temperature_K) && p.temperature_K >= 0, "temperature_K", "a temperature >= 0 K");
  dev.optional("field_like_ratio", p.field_like_ratio);
  dev.check(std::isfinite(p.field_like_ratio), "field_like_ratio", "a finite number");
  dev.optional("external_field_A_per_m", p.external_field_A_per_m);
  dev.check(std::all_of(p.external_field_A_per_m.begin(), p.external_field_A_per_m.end(),
                        [](double x) { return std::isfinite(x); }),
            "external_field_A_per_m", "three finite numbers (A/m)");
  dev.optional("spin_polarization", p.spin_polarization);
  {
    const double n = std::hypot(p.spin_polarization[0], p.spin_polarization[1], p.spin_polarization[2]);
    dev.check(std::isfinite(n) && n > 0, "spin_polarization", "a nonzero vector (it is normalized)");
    if (std::isfinite(n) && n > 0)
      for (double& x : p.spin_polarization) x /= n;
  }

  // A missing sub-table is one problem, not one per key inside it.
  const auto table_present = [&](const char* key) {
    if (dev.has(key)) return true;
    problems.add(fmt::format("{}: required table [{}] is missing", source, dev.path_of(key)));
    return false;
  };
  const bool has_free_layer = table_present("free_layer");
  const bool has_heavy_metal = table_present("heavy_metal");
  const bool has_electrical = table_present("electrical");
  // Readers of absent tables read an empty table and report into a list that is dropped.
  static const core::config::Value kEmptyTable = toml::table{};
  core::config::Problems dropped;
  const auto reader = [&](bool present, const char* key) {
    return present ? dev.child(key) : core::config::TableReader(kEmptyTable, source, dev.path_of(key), dropped);
  };
  core::config::TableReader fl = reader(has_free_layer, "free_layer");
  FreeLayer& f = p.free_layer;
  require_positive(fl, "saturation_magnetization_A_per_m", f.saturation_magnetization_A_per_m, "Ms > 0 (A/m)");
  const int sources = int(fl.has("interface_anisotropy_J_per_m2")) + int(fl.has("uniaxial_anisotropy_J_per_m3")) +
                      int(fl.has("anisotropy_field_A_per_m"));
  if (sources != 1)
    fl.problems().add(
        fmt::format("{}: key '{}': give exactly one of interface_anisotropy_J_per_m2, uniaxial_anisotropy_J_per_m3, "
                    "anisotropy_field_A_per_m (found {})",
                    source, fl.path_of("*anisotropy*"), sources));
  const char* aniso_key = "anisotropy_field_A_per_m";
  if (fl.optional("interface_anisotropy_J_per_m2", f.interface_anisotropy_J_per_m2))
    aniso_key = "interface_anisotropy_J_per_m2";
  if (fl.optional("uniaxial_anisotropy_J_per_m3", f.uniaxial_anisotropy_J_per_m3))
    aniso_key = "uniaxial_anisotropy_J_per_m3";
  fl.optional("anisotropy_field_A_per_m", f.anisotropy_field_A_per_m);
  fl.check(std::isfinite(f.interface_anisotropy_J_per_m2) && f.interface_anisotropy_J_per_m2 >= 0,
           "interface_anisotropy_J_per_m2", "K_i >= 0 (J/m^2)");
  fl.check(std::isfinite(f.uniaxial_anisotropy_J_per_m3) && f.uniaxial_anisotropy_J_per_m3 >= 0,
           "uniaxial_anisotropy_J_per_m3", "K_u >= 0 (J/m^3)");
  fl.check(std::isfinite(f.anisotropy_field_A_per_m) && f.anisotropy_field_A_per_m >= 0, "anisotropy_field_A_per_m",
           "H_K >= 0 (A/m)");
  std::string axis = "z";
  fl.optional("easy_axis", axis);
  fl.check(axis == "x" || axis == "y" || axis == "z", "easy_axis", "one of \"x\", \"y\", \"z\"");
  f.easy_axis = axis == "x" ? 0 : axis == "y" ? 1 : 2;
  if (fl.required("damping", f.damping))
    fl.check(std::isfinite(f.damping) && f.damping > 0 && f.damping <= 1, "damping", "0 < alpha <= 1");
  require_positive(fl, "thickness_m", f.thickness_m, "a thickness > 0 (m)");
  require_positive(fl, "length_m", f.length_m, "a length > 0 (m)");
  require_positive(fl, "width_m", f.width_m, "a width > 0 (m)");
  std::string shape = "ellipse";
  fl.optional("shape", shape);
  fl.check(shape == "ellipse" || shape == "rectangle", "shape", "\"ellipse\" or \"rectangle\"");
  f.shape = shape == "rectangle" ? Shape::kRectangle : Shape::kEllipse;
  if (!fl.optional("demag_factors", f.demag_factors) && positive(f.length_m) && positive(f.width_m) &&
      positive(f.thickness_m))
    f.demag_factors = ellipsoid_demag_factors(f.length_m / 2, f.width_m / 2, f.thickness_m / 2);
  {
    const auto& n = f.demag_factors;
    const bool each = std::all_of(n.begin(), n.end(), [](double x) { return std::isfinite(x) && x >= 0 && x <= 1; });
    fl.check(each && std::abs(n[0] + n[1] + n[2] - 1.0) <= 0.02, "demag_factors",
             "three factors in [0, 1] that sum to 1 (within 0.02)");
  }
  fl.finish();

  core::config::TableReader hm = reader(has_heavy_metal, "heavy_metal");
  HeavyMetal& h = p.heavy_metal;
  if (hm.required("spin_hall_angle", h.spin_hall_angle))
    hm.check(std::isfinite(h.spin_hall_angle) && h.spin_hall_angle != 0 && std::abs(h.spin_hall_angle) <= 1,
             "spin_hall_angle", "a nonzero spin Hall angle with |theta_SH| <= 1");
  require_positive(hm, "resistivity_ohm_m", h.resistivity_ohm_m, "a resistivity > 0 (ohm m)");
  require_positive(hm, "length_m", h.length_m, "a length > 0 (m)");
  require_positive(hm, "width_m", h.width_m, "a width > 0 (m)");
  require_positive(hm, "thickness_m", h.thickness_m, "a thickness > 0 (m)");
  hm.finish();

  core::config::TableReader el = reader(has_electrical, "electrical");
  Electrical& e = p.electrical;
  el.optional("tmr", e.tmr);
  el.check(std::isfinite(e.tmr) && e.tmr >= 0, "tmr", "a TMR ratio >= 0 (1.2 means 120 %)");
  const bool has_r = el.optional("resistance_parallel_ohm", e.resistance_parallel_ohm);
  const bool has_ra = el.optional("resistance_area_ohm_m2", e.resistance_area_ohm_m2);
  if (has_r == has_ra)
    el.problems().add(fmt::format("{}: key '{}': give exactly one of resistance_parallel_ohm, resistance_area_ohm_m2",
                                  source, el.path_of("resistance_*")));
  el.check(!has_r || positive(e.resistance_parallel_ohm), "resistance_parallel_ohm", "R_P > 0 (ohm)");
  el.check(!has_ra || positive(e.resistance_area_ohm_m2), "resistance_area_ohm_m2", "RA > 0 (ohm m^2)");
  el.finish();
  dev.finish();

  if (problems.empty()) {
    const DerivedQuantities d = derive(p);
    if (has_ra) e.resistance_parallel_ohm = e.resistance_area_ohm_m2 / d.area_m2;
    if (!(d.effective_anisotropy_field_A_per_m > 0))
      fl.check(false, aniso_key,
               fmt::format(
                   "an anisotropy large enough that the easy axis {} is stable: H_K,eff = H_K + Ms (N_hard - N_easy) "
                   "= {:.4g} A/m must be > 0",
                   kAxisNames[f.easy_axis], d.effective_anisotropy_field_A_per_m));
  }
  problems.throw_if_any(source);
  return p;
}

SotMtjParams load_sot_mtj(const std::filesystem::path& path, const std::vector<std::string>& overrides) {
  core::config::Document doc = core::config::parse_file(path);
  std::vector<std::string> prefixed;
  prefixed.reserve(overrides.size());
  for (const auto& o : overrides) prefixed.push_back("device." + o);
  core::config::apply_overrides(doc, prefixed);
  core::config::Problems problems;
  core::config::TableReader root(doc.root, doc.source, "", problems);
  if (!root.has("device")) problems.add(fmt::format("{}: required table [device] is missing", doc.source));
  const core::config::Value* dev = root.value("device");
  root.finish();
  problems.throw_if_any(doc.source);
  SotMtjParams p = read_sot_mtj(*dev, doc.source, "device");
  if (p.name.empty()) p.name = path.stem().string();
  return p;
}

std::vector<std::string> preset_names() { return core::data_files::names("devices", ".toml"); }

std::filesystem::path resolve_device_file(const std::string& name_or_path) {
  return core::data_files::resolve("devices", name_or_path, ".toml", "device preset");
}

std::string to_toml(const SotMtjParams& p) {
  const FreeLayer& f = p.free_layer;
  const HeavyMetal& h = p.heavy_metal;
  auto vec = [](const Vec3& v) { return fmt::format("[{:.17g}, {:.17g}, {:.17g}]", v[0], v[1], v[2]); };
  std::string s = "[device]\n";
  s += fmt::format("name = \"{}\"\n", p.name);
  s += fmt::format("temperature_K = {:.17g}\n", p.temperature_K);
  s += fmt::format("field_like_ratio = {:.17g}\n", p.field_like_ratio);
  s += fmt::format("external_field_A_per_m = {}\n", vec(p.external_field_A_per_m));
  s += fmt::format("spin_polarization = {}\n", vec(p.spin_polarization));
  s += "\n[device.free_layer]\n";
  s += fmt::format("saturation_magnetization_A_per_m = {:.17g}\n", f.saturation_magnetization_A_per_m);
  if (f.interface_anisotropy_J_per_m2 > 0)
    s += fmt::format("interface_anisotropy_J_per_m2 = {:.17g}\n", f.interface_anisotropy_J_per_m2);
  else if (f.uniaxial_anisotropy_J_per_m3 > 0)
    s += fmt::format("uniaxial_anisotropy_J_per_m3 = {:.17g}\n", f.uniaxial_anisotropy_J_per_m3);
  else s += fmt::format("anisotropy_field_A_per_m = {:.17g}\n", f.anisotropy_field_A_per_m);
  s += fmt::format("easy_axis = \"{}\"\n", kAxisNames[f.easy_axis]);
  s += fmt::format("damping = {:.17g}\n", f.damping);
  s += fmt::format("thickness_m = {:.17g}\nlength_m = {:.17g}\nwidth_m = {:.17g}\n", f.thickness_m, f.length_m,
                   f.width_m);
  s += fmt::format("shape = \"{}\"\n", f.shape == Shape::kEllipse ? "ellipse" : "rectangle");
  s += fmt::format("demag_factors = {}\n", vec(f.demag_factors));
  s += "\n[device.heavy_metal]\n";
  s += fmt::format("spin_hall_angle = {:.17g}\nresistivity_ohm_m = {:.17g}\n", h.spin_hall_angle, h.resistivity_ohm_m);
  s += fmt::format("length_m = {:.17g}\nwidth_m = {:.17g}\nthickness_m = {:.17g}\n", h.length_m, h.width_m,
                   h.thickness_m);
  s += "\n[device.electrical]\n";
  s += fmt::format("resistance_parallel_ohm = {:.17g}\ntmr = {:.17g}\n", p.electrical.resistance_parallel_ohm,
                   p.electrical.tmr);
  return s;
}

}  // namespace cimmc::device
