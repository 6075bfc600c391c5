// SotMtjParams: derived quantities against hand computation, presets, and precise errors for
// bad files.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "cimmc/core/error.hpp"
#include "cimmc/device/sot_mtj_params.hpp"

using namespace cimmc::device;

namespace {
constexpr double kMu0 = 1.25663706212e-6, kKb = 1.380649e-23, kHbar = 1.054571817e-34, kE = 1.602176634e-19;

// One folder per test process: ctest runs the tests of this file as parallel processes, which
// would otherwise overwrite each other's bad.toml.
std::string write_temp(const std::string& name, const std::string& text) {
  const auto dir = std::filesystem::temp_directory_path() / ("cimmc_test_device_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto path = dir / name;
  std::ofstream(path) << text;
  return path.string();
}

const char* kGood = R"([device]
temperature_K = 300.0
external_field_A_per_m = [5.0e3, 0.0, 0.0]

[device.free_layer]
saturation_magnetization_A_per_m = 1.2e6
interface_anisotropy_J_per_m2 = 1.0056e-3
damping = 0.03
thickness_m = 1.1e-9
length_m = 50e-9
width_m = 50e-9
demag_factors = [0.0106, 0.0106, 0.979]

[device.heavy_metal]
spin_hall_angle = 0.3
resistivity_ohm_m = 2.0e-6
length_m = 100e-9
width_m = 100e-9
thickness_m = 3e-9

[device.electrical]
resistance_parallel_ohm = 5000.0
tmr = 1.2
)";

std::string error_of(const std::string& text, const std::string& name = "bad.toml") {
  const auto path = write_temp(name, text);
  try {
    load_sot_mtj(path);
  } catch (const cimmc::core::ConfigError& e) {
    return e.what();
  }
  return "";
}

std::string replace(std::string s, const std::string& from, const std::string& to) {
  const auto pos = s.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  return s.replace(pos, from.size(), to);
}
}  // namespace

TEST(SotMtjParams, DerivedValuesMatchHandComputation) {
  const auto p = load_sot_mtj(write_temp("good.toml", kGood));
  const auto d = derive(p);
  const double ms = 1.2e6, t = 1.1e-9;
  const double area = M_PI / 4 * 50e-9 * 50e-9, v = area * t;
  EXPECT_NEAR(d.volume_m3 / v, 1.0, 1e-12);
  const double hk = 2 * 1.0056e-3 / (kMu0 * ms * t);
  EXPECT_NEAR(d.anisotropy_field_A_per_m / hk, 1.0, 1e-12);
  const double hkeff = hk - ms * (0.979 - 0.0106);
  EXPECT_NEAR(d.effective_anisotropy_field_A_per_m / hkeff, 1.0, 1e-12);
  // physics.md: mu0 H_K,eff ~ 64 mT, Delta ~ 19.9 for this set.
  EXPECT_NEAR(kMu0 * d.effective_anisotropy_field_A_per_m, 0.0633, 0.001);
  EXPECT_NEAR(d.thermal_stability, kMu0 * ms * hkeff * v / (2 * kKb * 300), 1e-9);
  EXPECT_NEAR(d.thermal_stability, 19.9, 0.2);
  const double h_per_A = kHbar * 0.3 / (2 * kE * kMu0 * ms * t * 100e-9 * 3e-9);
  EXPECT_NEAR(d.damping_like_field_A_per_m_per_A / h_per_A, 1.0, 1e-8);  // hbar rounded here
  // physics.md: H_DL ~ 0.59 H_K,eff at J = 5e11 A/m^2.
  EXPECT_NEAR(d.damping_like_field_A_per_m_per_A * 5e11 * 100e-9 * 3e-9 / hkeff, 0.59, 0.01);
  EXPECT_EQ(d.critical_current_model, "lee2013_perpendicular");
  EXPECT_NEAR(d.critical_current_A / ((hkeff / 2 - 5e3 / std::sqrt(2.0)) / h_per_A), 1.0, 1e-8);
  EXPECT_NEAR(d.heavy_metal_resistance_ohm, 2e-6 * 100e-9 / (100e-9 * 3e-9), 1e-9);
  EXPECT_NEAR(write_energy_J(p, 200e-6, 1e-9), 200e-6 * 200e-6 * d.heavy_metal_resistance_ohm * 1e-9, 1e-25);
  EXPECT_NEAR(d.resistance_antiparallel_ohm, 11000.0, 1e-9);
  const double tau_n = (1 + 0.03 * 0.03) * kMu0 * ms * v / (2 * 0.03 * 2.2127610e5 * kKb * 300);
  EXPECT_NEAR(d.neel_brown_time_s / tau_n, 1.0, 1e-6);
}

TEST(SotMtjParams, TypeYCriticalCurrentFollowsLiu) {
  auto p = load_sot_mtj(resolve_device_file("inplane_type_y"));
  const auto d = derive(p);
  const auto& f = p.free_layer;
  const double ms = f.saturation_magnetization_A_per_m;
  const double hkeff = ms * (f.demag_factors[0] - f.demag_factors[1]);
  EXPECT_NEAR(d.effective_anisotropy_field_A_per_m, hkeff, 1e-9 * hkeff);
  const double meff = ms * (f.demag_factors[2] - f.demag_factors[0]);  // out-of-plane beyond in-plane hard
  const double jc = 2 * kE / kHbar * kMu0 * ms * f.thickness_m / 0.12 * 0.02 * (hkeff + meff / 2);
  EXPECT_NEAR(d.critical_current_A / (jc * 1e-6 * 6.2e-9), 1.0, 1e-9);
  EXPECT_EQ(d.critical_current_model, "liu2012_type_y");
  // RA given: R_P = RA / area.
  EXPECT_NEAR(p.electrical.resistance_parallel_ohm, 5e-12 / d.area_m2, 1e-6);
}

TEST(SotMtjParams, PresetsLoadAndHaveTheirIntendedBarriers) {
  const auto names = preset_names();
  ASSERT_GE(names.size(), 3u);
  for (const auto& n : names) EXPECT_NO_THROW(load_sot_mtj(resolve_device_file(n))) << n;
  const auto low = derive(load_sot_mtj(resolve_device_file("low_barrier")));
  EXPECT_GE(low.thermal_stability, 3.0);
  EXPECT_LE(low.thermal_stability, 10.0);
  EXPECT_NEAR(derive(load_sot_mtj(resolve_device_file("perpendicular_sot"))).thermal_stability, 19.9, 0.2);
}

TEST(SotMtjParams, OverridesApplyRelativeToTheDeviceTable) {
  const auto p = load_sot_mtj(resolve_device_file("perpendicular_sot"), {"free_layer.damping=0.3", "temperature_K=0"});
  EXPECT_DOUBLE_EQ(p.free_layer.damping, 0.3);
  EXPECT_TRUE(std::isinf(derive(p).thermal_stability));
}

TEST(SotMtjParams, TomlRoundTrip) {
  const auto p = load_sot_mtj(resolve_device_file("low_barrier"));
  const auto q = load_sot_mtj(write_temp("round.toml", to_toml(p)));
  EXPECT_EQ(to_toml(p), to_toml(q));
  EXPECT_DOUBLE_EQ(derive(p).thermal_stability, derive(q).thermal_stability);
}

TEST(SotMtjParams, BadValuesNameFileLineAndKey) {
  std::string text = replace(kGood, "damping = 0.03", "damping = 1.5");
  text = replace(text, "saturation_magnetization_A_per_m = 1.2e6", "saturation_magnetization_A_per_m = -1.0");
  text = replace(text, "temperature_K = 300.0", "temperature_K = -4.0");
  text = replace(text, "width_m = 100e-9", "width_m = 0.0");
  const std::string msg = error_of(text);
  EXPECT_NE(msg.find("bad.toml:8: key 'device.free_layer.damping': value 1.5 is out of range: expected 0 < alpha <= 1"),
            std::string::npos)
      << msg;
  EXPECT_NE(
      msg.find("bad.toml:6: key 'device.free_layer.saturation_magnetization_A_per_m': value -1.0 is out of range"),
      std::string::npos)
      << msg;
  EXPECT_NE(msg.find("bad.toml:2: key 'device.temperature_K'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("key 'device.heavy_metal.width_m'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("4 problems"), std::string::npos) << msg;
}

TEST(SotMtjParams, UnknownMissingAndMistypedKeys) {
  std::string text = replace(kGood, "damping = 0.03", "dampin = 0.03");
  text = replace(text, "spin_hall_angle = 0.3", "spin_hall_angle = \"large\"");
  const std::string msg = error_of(text);
  EXPECT_NE(msg.find("key 'device.free_layer.dampin': unknown key (did you mean 'damping'?)"), std::string::npos)
      << msg;
  EXPECT_NE(msg.find("required key 'device.free_layer.damping' is missing"), std::string::npos) << msg;
  EXPECT_NE(msg.find("key 'device.heavy_metal.spin_hall_angle': expected a number, found a string"), std::string::npos)
      << msg;
}

TEST(SotMtjParams, AnisotropyMustBeGivenOnceAndMakeTheAxisStable) {
  std::string two = replace(kGood, "interface_anisotropy_J_per_m2 = 1.0056e-3",
                            "interface_anisotropy_J_per_m2 = 1.0056e-3\nuniaxial_anisotropy_J_per_m3 = 1e5");
  EXPECT_NE(error_of(two).find("give exactly one of interface_anisotropy_J_per_m2"), std::string::npos)
      << error_of(two);
  std::string weak =
      replace(kGood, "interface_anisotropy_J_per_m2 = 1.0056e-3", "interface_anisotropy_J_per_m2 = 1.0e-4");
  const std::string msg = error_of(weak);
  EXPECT_NE(msg.find("bad.toml:7: key 'device.free_layer.interface_anisotropy_J_per_m2'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("easy axis z is stable"), std::string::npos) << msg;
  std::string demag = replace(kGood, "demag_factors = [0.0106, 0.0106, 0.979]", "demag_factors = [0.5, 0.5, 0.5]");
  EXPECT_NE(error_of(demag).find("sum to 1"), std::string::npos);
  std::string axis = replace(kGood, "damping = 0.03", "damping = 0.03\neasy_axis = \"w\"");
  EXPECT_NE(error_of(axis).find("one of \"x\", \"y\", \"z\""), std::string::npos);
}

TEST(SotMtjParams, MalformedFileAndMissingTable) {
  EXPECT_NE(error_of("[device\nx = 1\n").find("bad.toml:1"), std::string::npos);
  EXPECT_NE(error_of("[other]\nx = 1\n").find("required table [device] is missing"), std::string::npos);
  EXPECT_THROW(load_sot_mtj("/nonexistent/dev.toml"), cimmc::core::IoError);
}

TEST(SotMtjParams, PresetLookupSuggestsNames) {
  try {
    resolve_device_file("low_barier");
    FAIL();
  } catch (const cimmc::core::IoError& e) {
    EXPECT_NE(std::string(e.what()).find("did you mean 'low_barrier'"), std::string::npos) << e.what();
  }
  EXPECT_THROW(resolve_device_file("missing/dir/x.toml"), cimmc::core::IoError);
}

TEST(SotMtjParams, EllipsoidDemagFactors) {
  const auto sphere = ellipsoid_demag_factors(5e-9, 5e-9, 5e-9);
  for (double n : sphere) EXPECT_NEAR(n, 1.0 / 3.0, 1e-9);
  // Oblate spheroid a = b = m c: N_z = m^2/(m^2-1) [1 - asin(sqrt(m^2-1)/m) / sqrt(m^2-1)].
  for (double m : {2.0, 30.0, 100.0}) {
    const auto nf = ellipsoid_demag_factors(m * 1e-9, m * 1e-9, 1e-9);
    const double q = std::sqrt(m * m - 1);
    const double nz = m * m / (m * m - 1) * (1 - std::asin(q / m) / q);
    EXPECT_NEAR(nf[2], nz, 1e-8) << m;
    EXPECT_NEAR(nf[0], (1 - nz) / 2, 1e-8) << m;
  }
  // The values quoted in the in-plane preset (semi-axes 50 x 175 x 0.8 nm).
  const auto ip = ellipsoid_demag_factors(50e-9, 175e-9, 0.8e-9);
  EXPECT_NEAR(ip[0], 0.0149, 1e-4);
  EXPECT_NEAR(ip[1], 0.0022, 1e-4);
  EXPECT_NEAR(ip[0] + ip[1] + ip[2], 1.0, 1e-9);
  // Without demag_factors in the file, the ellipsoid of the free layer is used.
  std::string text = kGood;
  text.erase(text.find("demag_factors"), std::string("demag_factors = [0.0106, 0.0106, 0.979]\n").size());
  const auto p = load_sot_mtj(write_temp("nodemag.toml", text));
  const auto expect = ellipsoid_demag_factors(25e-9, 25e-9, 0.55e-9);
  EXPECT_NEAR(p.free_layer.demag_factors[2], expect[2], 1e-12);
  EXPECT_NEAR(p.free_layer.demag_factors[2], 0.9664, 1e-3);
}

TEST(SotMtjParams, MissingTablesAndKeysAreReportedOnce) {
  std::string text = kGood;
  text.erase(text.find("[device.electrical]"));
  text = replace(text, "damping = 0.03\n", "");
  const std::string msg = error_of(text);
  EXPECT_NE(msg.find("required table [device.electrical] is missing"), std::string::npos) << msg;
  EXPECT_NE(msg.find("required key 'device.free_layer.damping' is missing"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("default value is out of range"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("expected a table"), std::string::npos) << msg;
  EXPECT_NE(msg.find("2 problems"), std::string::npos) << msg;
}
