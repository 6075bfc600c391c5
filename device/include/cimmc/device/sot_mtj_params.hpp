// Parameters of a spin-orbit-torque magnetic tunnel junction (SOT-MTJ) and the quantities derived
// from them (anisotropy field, thermal stability, SOT field per ampere, critical current, write
// energy). Read from the [device] table of a TOML file with every field validated; presets live
// in data/devices/*.toml. Equations: docs of the device layer and physics.md (LL form, SI units,
// fields in A/m).
#pragma once

#include <array>
#include <filesystem>
#include <string>
#include <vector>

#include "cimmc/core/config.hpp"

namespace cimmc::device {

using Vec3 = std::array<double, 3>;

enum class Shape { kEllipse, kRectangle };

struct FreeLayer {
  double saturation_magnetization_A_per_m = 0.0;
  // Exactly one anisotropy source is given; the others stay 0.
  double interface_anisotropy_J_per_m2 = 0.0;  // K_i: H_K = 2 K_i / (mu0 Ms t_F)
  double uniaxial_anisotropy_J_per_m3 = 0.0;   // K_u: H_K = 2 K_u / (mu0 Ms)
  double anisotropy_field_A_per_m = 0.0;       // H_K directly
  int easy_axis = 2;                           // 0 = x, 1 = y, 2 = z
  double damping = 0.0;                        // Gilbert alpha
  double thickness_m = 0.0;
  double length_m = 0.0;  // along x (the heavy-metal current direction)
  double width_m = 0.0;   // along y
  Shape shape = Shape::kEllipse;
  // Diagonal N. Without demag_factors in the file: those of the ellipsoid with semi-axes
  // length/2, width/2, thickness/2 (an approximation for a flat ellipse or rectangle).
  Vec3 demag_factors{0.0, 0.0, 1.0};
};

struct HeavyMetal {
  double spin_hall_angle = 0.0;
  double resistivity_ohm_m = 0.0;
  double length_m = 0.0;  // along the current
  double width_m = 0.0;
  double thickness_m = 0.0;
};

struct Electrical {
  double resistance_parallel_ohm = 0.0;  // R_P (from RA / area if only RA was given)
  double resistance_area_ohm_m2 = 0.0;   // 0 if not given
  double tmr = 0.0;                      // (R_AP - R_P) / R_P, e.g. 1.2 for 120 %
};

struct SotMtjParams {
  std::string name;  // preset or file stem
  std::string description;
  std::string source;  // literature source
  FreeLayer free_layer;
  HeavyMetal heavy_metal;
  Electrical electrical;
  double temperature_K = 300.0;
  double field_like_ratio = 0.0;  // xi = H_FL / H_DL
  Vec3 external_field_A_per_m{0, 0, 0};
  Vec3 spin_polarization{0, 1, 0};  // unit vector sigma (y for current along x)
};

// Derived values, all SI.
struct DerivedQuantities {
  double volume_m3;
  double area_m2;                             // free-layer area
  double anisotropy_field_A_per_m;            // H_K from the anisotropy source
  double effective_anisotropy_field_A_per_m;  // H_K,eff: barrier field including demag
  double thermal_stability;                   // Delta = mu0 Ms H_K,eff V / (2 kB T); inf at T = 0
  double damping_like_field_A_per_m_per_A;    // H_DL per ampere of heavy-metal current
  double heavy_metal_resistance_ohm;
  double critical_current_A;  // analytic I_c0 where an oracle applies, NaN otherwise
  // "lee2013_perpendicular", "liu2012_type_y", "collinear_perpendicular" or "none"
  std::string critical_current_model;
  double resistance_antiparallel_ohm;
  double neel_brown_time_s;  // tau_N = (1+a^2) mu0 Ms V / (2 a gamma0 kB T)
};

DerivedQuantities derive(const SotMtjParams& p);

// Demagnetizing factors of an ellipsoid with semi-axes a (x), b (y), c (z) (Osborn 1945), by
// quadrature; they sum to 1.
Vec3 ellipsoid_demag_factors(double a_m, double b_m, double c_m);

// I^2 R t in the heavy metal for a rectangular pulse (J).
double write_energy_J(const SotMtjParams& p, double current_A, double pulse_width_s);

// Reads the [device] table. `source` names the file for messages; all problems are collected
// and thrown as one core::ConfigError (file:line: key 'device.free_layer.damping': ...).
SotMtjParams read_sot_mtj(const core::config::Value& device_table, const std::string& source,
                          const std::string& key_path = "device");
// Parses a TOML file whose [device] table describes the junction; overrides are "a.b=value"
// relative to [device] (e.g. "free_layer.damping=0.1").
SotMtjParams load_sot_mtj(const std::filesystem::path& path, const std::vector<std::string>& overrides = {});
// A preset name ("perpendicular_sot") or a path to a .toml file. Names are looked up in
// $CIMMC_DATA_DIR/devices, the installed share folder and the source tree, in that order.
std::filesystem::path resolve_device_file(const std::string& name_or_path);
std::vector<std::string> preset_names();
// The TOML text of a parameter set, for provenance (reads back to the same values).
std::string to_toml(const SotMtjParams& p);

}  // namespace cimmc::device
