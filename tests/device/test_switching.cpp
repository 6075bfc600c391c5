// Switching models without sampling: Wilson intervals, sigmoid and thermal-activation fits on
// synthetic data, the lookup table (monotone interpolation, clamping, HDF5 round trip, errors).
#include <gtest/gtest.h>

#include <limits>

#include <cmath>
#include <filesystem>

#include "cimmc/core/data_files.hpp"
#include "cimmc/core/error.hpp"
#include "cimmc/core/hdf5.hpp"
#include "cimmc/device/macrospin.hpp"
#include "cimmc/device/switching.hpp"
#include "cimmc/device/switching_study.hpp"
#include "cimmc/device/switching_table.hpp"

using namespace cimmc::device;

namespace {
std::filesystem::path temp_file(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / "cimmc_test_device";
  std::filesystem::create_directories(dir);
  return dir / name;
}
}  // namespace

TEST(Wilson, KnownValues) {
  auto a = wilson_interval(5, 10);
  EXPECT_NEAR(a.low, 0.2366, 1e-4);
  EXPECT_NEAR(a.high, 0.7634, 1e-4);
  a = wilson_interval(0, 10);
  EXPECT_EQ(a.low, 0.0);
  EXPECT_NEAR(a.high, 0.2775, 1e-4);
  a = wilson_interval(10, 10);
  EXPECT_NEAR(a.low, 0.7225, 1e-4);
  EXPECT_EQ(a.high, 1.0);
}

TEST(SigmoidFit, RecoversExactParameters) {
  std::vector<double> x, p;
  for (int i = 0; i <= 20; ++i) {
    x.push_back(50e-6 + 5e-6 * i);
    p.push_back(1.0 / (1.0 + std::exp(-(x.back() - 97e-6) / 6e-6)));
  }
  const auto f = fit_sigmoid(x, p);
  EXPECT_NEAR(f.i50_A, 97e-6, 1e-10);
  EXPECT_NEAR(f.width_A, 6e-6, 1e-10);
  EXPECT_LT(f.rms_residual, 1e-8);
  EXPECT_NEAR(sigmoid(f, 97e-6), 0.5, 1e-6);
}

TEST(SigmoidFit, StepDataAndFallingCurves) {
  // A sharp step (no interior points) still gives the crossing, with a small residual.
  const std::vector<double> x{1, 2, 3, 4, 5, 6}, step{0, 0, 0, 1, 1, 1};
  const auto f = fit_sigmoid(x, step);
  EXPECT_NEAR(f.i50_A, 3.5, 0.05);
  EXPECT_LT(f.rms_residual, 0.05);
  const std::vector<double> falling{0.95, 0.8, 0.5, 0.2, 0.05, 0.01};
  EXPECT_LT(fit_sigmoid(x, falling).width_A, 0.0);
  EXPECT_THROW(fit_sigmoid(std::vector<double>{1.0}, std::vector<double>{0.5}), cimmc::core::ArgumentError);
}

TEST(ThermalActivation, FitRecoversAttemptTimeAndExponent) {
  ThermalActivationModel truth{40.0, 100e-6, 0.7e-9, 1.6};
  SwitchingCurves c;
  for (int i = 0; i < 12; ++i) c.currents_A.push_back(40e-6 + 5e-6 * i);
  c.pulse_widths_s = {1e-9, 3e-9, 10e-9, 30e-9, 100e-9};
  for (double i : c.currents_A)
    for (double t : c.pulse_widths_s) c.probability.push_back(truth.probability(i, t));
  const auto fit = fit_thermal_activation(c, truth.thermal_stability, truth.critical_current_A);
  EXPECT_NEAR(fit.model.exponent, 1.6, 1e-3);
  EXPECT_NEAR(fit.model.attempt_time_s / 0.7e-9, 1.0, 1e-3);
  EXPECT_LT(fit.rms_log_residual, 1e-4);
  // I_c0 unknown: fitted as well.
  const auto fit2 = fit_thermal_activation(c, truth.thermal_stability, NAN);
  EXPECT_NEAR(fit2.model.critical_current_A / 100e-6, 1.0, 0.02);
  EXPECT_NEAR(fit2.model.exponent, 1.6, 0.1);
  // Too few transition points.
  SwitchingCurves flat = c;
  std::fill(flat.probability.begin(), flat.probability.end(), 1.0);
  EXPECT_THROW(fit_thermal_activation(flat, 40.0, 100e-6), cimmc::core::ModelError);
  EXPECT_NEAR(truth.probability(200e-6, 1e-9), 1.0 - std::exp(-1.0 / 0.7), 1e-12);
}

namespace {
SwitchingTable sample_table() {
  const std::vector<double> cur{10e-6, 20e-6, 30e-6, 40e-6, 50e-6}, pul{1e-9, 4e-9};
  const std::vector<double> p{0.0, 0.01, 0.02, 0.1, 0.3, 0.6, 0.7, 0.95, 0.99, 1.0};
  return SwitchingTable(cur, pul, p, "test_device", "test");
}
}  // namespace

TEST(SwitchingTable, InterpolatesMonotonicallyAndHitsNodes) {
  const auto t = sample_table();
  EXPECT_DOUBLE_EQ(t.probability(30e-6, 1e-9), 0.3);
  EXPECT_DOUBLE_EQ(t.probability(30e-6, 4e-9), 0.6);
  for (int j : {0, 1}) {
    const double pw = j ? 4e-9 : 1e-9;
    double prev = -1;
    for (int k = 0; k <= 400; ++k) {
      const double v = t.probability(5e-6 + k * 50e-6 / 400, pw);
      EXPECT_GE(v, prev - 1e-15);
      EXPECT_GE(v, 0.0);
      EXPECT_LE(v, 1.0);
      prev = v;
    }
  }
  // Linear in ln t between columns: at the geometric mean, the average of the two columns.
  EXPECT_NEAR(t.probability(30e-6, 2e-9), 0.45, 1e-12);
  // Clamped outside the grid.
  EXPECT_DOUBLE_EQ(t.probability(-1.0, 1e-9), 0.0);
  EXPECT_DOUBLE_EQ(t.probability(1.0, 100e-9), 1.0);
  std::vector<double> in{10e-6, 30e-6}, out(2);
  t.probabilities(in, 4e-9, out);
  EXPECT_DOUBLE_EQ(out[1], 0.6);
}

TEST(SwitchingTable, Hdf5RoundTrip) {
  const auto t = sample_table();
  const auto path = temp_file("table.h5");
  t.save(path, 42, "[device]\nname = \"test_device\"\n");
  const auto u = SwitchingTable::load(path);
  EXPECT_EQ(u.currents_A(), t.currents_A());
  EXPECT_EQ(u.pulse_widths_s(), t.pulse_widths_s());
  EXPECT_EQ(u.values(), t.values());
  EXPECT_EQ(u.device(), "test_device");
  EXPECT_EQ(u.method(), "test");
  for (double i : {12e-6, 27e-6, 44e-6}) EXPECT_EQ(u.probability(i, 2.5e-9), t.probability(i, 2.5e-9));
  auto f = cimmc::core::h5::File::open(path);
  EXPECT_EQ(f.attr_string("filetype"), "cimmc.switching_table");
  EXPECT_EQ(f.dataset_info("p_switch").units, "1");
  EXPECT_EQ(f.dataset_info("current_A").units, "A");
  EXPECT_EQ(f.dataset_info("p_switch").dimensions, (std::vector<std::string>{"current", "pulse_width"}));
}

TEST(SwitchingTable, RejectsBadGridsAndWrongFiles) {
  EXPECT_THROW(SwitchingTable({2, 1}, {1e-9}, {0, 0}, "d", "m"), cimmc::core::ArgumentError);
  EXPECT_THROW(SwitchingTable({1, 2}, {0.0}, {0, 0}, "d", "m"), cimmc::core::ArgumentError);
  EXPECT_THROW(SwitchingTable({1, 2}, {1e-9}, {0, 1.5}, "d", "m"), cimmc::core::ArgumentError);
  EXPECT_THROW(SwitchingTable({1, 2}, {1e-9}, {0}, "d", "m"), cimmc::core::ArgumentError);
  // NaN and infinities, in the grid or the probabilities.
  const double nan = std::nan(""), inf = std::numeric_limits<double>::infinity();
  EXPECT_THROW(SwitchingTable({1, nan}, {1e-9}, {0, 1}, "d", "m"), cimmc::core::ArgumentError);
  EXPECT_THROW(SwitchingTable({1, 2}, {inf}, {0, 1}, "d", "m"), cimmc::core::ArgumentError);
  EXPECT_THROW(SwitchingTable({1, 2}, {1e-9}, {0, nan}, "d", "m"), cimmc::core::ArgumentError);
  EXPECT_THROW(SwitchingTable({1, 2}, {1e-9}, {inf, 1}, "d", "m"), cimmc::core::ArgumentError);
  const auto path = temp_file("other.h5");
  {
    cimmc::core::h5::AtomicFile out(path);
    cimmc::core::h5::write_provenance(out.file(), "cimmc.test", {1, 0}, 1, "");
    out.commit();
  }
  try {
    SwitchingTable::load(path);
    FAIL();
  } catch (const cimmc::core::FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("cimmc.switching_table"), std::string::npos) << e.what();
  }
  EXPECT_THROW(SwitchingTable::load(temp_file("missing.h5")), cimmc::core::IoError);
}

TEST(SwitchingTable, MonteCarloTableIsMadeMonotone) {
  SwitchingCurves c;
  c.currents_A = {1, 2, 3, 4, 5};
  c.pulse_widths_s = {1e-9};
  c.probability = {0.0, 0.2, 0.15, 0.6, 1.0};
  const auto t = SwitchingTable::from_monte_carlo(c, "d");
  EXPECT_EQ(t.values(), (std::vector<double>{0.0, 0.175, 0.175, 0.6, 1.0}));
  EXPECT_EQ(t.method(), "monte_carlo_isotonic");
  c.probability = {1.0, 0.9, 0.95, 0.2, 0.0};
  EXPECT_EQ(SwitchingTable::from_monte_carlo(c, "d").values(), (std::vector<double>{1.0, 0.925, 0.925, 0.2, 0.0}));
}

TEST(SwitchingConfig, ReadsAndValidatesTheTable) {
  const auto doc = cimmc::core::config::parse_string(
      "[switching]\ncurrent_A = [1e-4, 2e-4]\npulse_width_s = [1e-9]\ntrials = 50\nrelax_time_s = 1e-9\n", "s.toml");
  const auto c = read_switching_config(doc.root.as_table().at("switching"), doc.source);
  EXPECT_EQ(c.currents_A, (std::vector<double>{1e-4, 2e-4}));
  EXPECT_LT(c.settings.equilibrate_time_s, 0.0);  // automatic unless given
  const auto eq = cimmc::core::config::parse_string(
      "[switching]\ncurrent_A = [1e-4]\npulse_width_s = [1e-9]\nequilibrate_time_s = 2e-9\n", "e.toml");
  EXPECT_DOUBLE_EQ(read_switching_config(eq.root.as_table().at("switching"), eq.source).settings.equilibrate_time_s,
                   2e-9);
  EXPECT_EQ(c.settings.trials, 50u);
  EXPECT_DOUBLE_EQ(c.settings.relax_time_s, 1e-9);
  // The configuration a switching file stores reads back.
  const auto p = load_sot_mtj(resolve_device_file("low_barrier"));
  const std::vector<double> cur{10e-6, 50e-6}, pul{1e-9};
  MonteCarloSettings s;
  s.trials = 8;
  s.seed = 5;
  s.relax_time_s = 0.2e-9;
  const auto report = characterize_switching(p, cur, pul, s);
  const auto path = temp_file("switching.h5");
  write_switching_file(
      path, report,
      to_toml(p) + "\n[switching]\ncurrent_A = [10e-6, 50e-6]\npulse_width_s = [1e-9]\ntrials = 8\nseed = 5\n");
  auto f = cimmc::core::h5::File::open(path);
  const auto stored = cimmc::core::config::parse_string(f.attr_string("config"), "config");
  EXPECT_EQ(read_switching_config(stored.root.as_table().at("switching"), "config").settings.seed, 5u);
  EXPECT_EQ(to_toml(read_sot_mtj(stored.root.as_table().at("device"), "config")), to_toml(p));
  EXPECT_EQ(SwitchingTable::load(path).values(), report.table.values());
  // The protocol as run: the automatic equilibration and the tilted start.
  EXPECT_DOUBLE_EQ(f.open_group("monte_carlo").read_scalar<double>("equilibrate_time_s"),
                   default_equilibrate_time_s(p));
  EXPECT_EQ(f.open_group("monte_carlo").read<double>("initial_m").data,
            (std::vector<double>(report.curves.initial_m.begin(), report.curves.initial_m.end())));
  const auto bad = cimmc::core::config::parse_string(
      "[switching]\ncurrent_A = [2e-4, 1e-4]\npulse_width_s = [0.0]\ntrials = 0\nrise_time = 1e-10\n", "s.toml");
  try {
    read_switching_config(bad.root.as_table().at("switching"), bad.source);
    FAIL();
  } catch (const cimmc::core::ConfigError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("s.toml:2: key 'switching.current_A'"), std::string::npos) << m;
    EXPECT_NE(m.find("s.toml:3: key 'switching.pulse_width_s'"), std::string::npos) << m;
    EXPECT_NE(m.find("s.toml:4: key 'switching.trials'"), std::string::npos) << m;
    EXPECT_NE(m.find("did you mean 'rise_time_s'"), std::string::npos) << m;
  }
}

// The zero-temperature start: the energy minimum near the easy axis. For a perpendicular magnet
// with a field H_x the minimum lies in the xz plane at sin(theta) = H_x / (H_K + Ms (N_x - N_z));
// without a field it is the axis; a field that removes the state is refused.
TEST(EquilibriumDirection, TiltsTowardsTheBiasField) {
  auto p = load_sot_mtj(resolve_device_file("perpendicular_sot"));
  const auto d = derive(p);
  const auto& f = p.free_layer;
  const double stiff =
      d.anisotropy_field_A_per_m + f.saturation_magnetization_A_per_m * (f.demag_factors[0] - f.demag_factors[2]);
  for (int dir : {+1, -1}) {
    const auto m = equilibrium_direction(p, dir);
    const double s0 = p.external_field_A_per_m[0] / stiff;
    EXPECT_NEAR(m[0], s0, 1e-10);
    EXPECT_NEAR(m[1], 0.0, 1e-10);
    EXPECT_NEAR(m[2], dir * std::sqrt(1 - s0 * s0), 1e-10);
  }
  auto bare = p;
  bare.external_field_A_per_m = {0, 0, 0};
  const auto axis = equilibrium_direction(bare, -1);
  EXPECT_NEAR(axis[2], -1.0, 1e-12);
  EXPECT_NEAR(std::hypot(axis[0], axis[1]), 0.0, 1e-10);
  // In-plane easy axis (y): a field along x tilts it in the xy plane.
  auto ip = load_sot_mtj(resolve_device_file("inplane_type_y"));
  ip.external_field_A_per_m = {500.0, 0, 0};
  const auto& g = ip.free_layer;
  const double ip_stiff = g.saturation_magnetization_A_per_m * (g.demag_factors[0] - g.demag_factors[1]);
  const auto mi = equilibrium_direction(ip, +1);
  EXPECT_NEAR(mi[0], 500.0 / ip_stiff, 1e-8);
  EXPECT_GT(mi[1], 0.0);
  p.external_field_A_per_m = {1.2 * stiff, 0, 0};
  EXPECT_THROW(equilibrium_direction(p, +1), cimmc::core::ModelError);
  p.external_field_A_per_m = {0, 0, -2 * stiff};
  EXPECT_THROW(equilibrium_direction(p, +1), cimmc::core::ModelError);
  EXPECT_THROW(equilibrium_direction(bare, 0), cimmc::core::ArgumentError);
}

// monte_carlo_switching starts from that direction and reports the times it used.
TEST(MonteCarloSwitching, RecordsTheProtocol) {
  auto p = load_sot_mtj(resolve_device_file("perpendicular_sot"));
  MonteCarloSettings s;
  s.trials = 4;
  s.relax_time_s = 0.1e-9;
  auto c = monte_carlo_switching(p, std::vector<double>{0.0}, std::vector<double>{0.1e-9}, s);
  EXPECT_DOUBLE_EQ(c.equilibrate_time_s, std::max(1e-9, 5 * relaxation_time_s(p)));
  EXPECT_EQ(c.initial_m, equilibrium_direction(p, +1));
  s.equilibrate_time_s = 0.2e-9;
  s.start_at_equilibrium = false;
  s.initial_direction = -1;
  c = monte_carlo_switching(p, std::vector<double>{0.0}, std::vector<double>{0.1e-9}, s);
  EXPECT_DOUBLE_EQ(c.equilibrate_time_s, 0.2e-9);
  EXPECT_EQ(c.initial_m, (Vec3{0, 0, -1}));
}

// The shipped stox_converter table (data/tables/README.md): its Monte Carlo P_sw rises from ~0
// to ~1 without a decrease larger than 3 SE of the difference of neighbours (10 000 trajectories
// each), the stored table is non-decreasing, and the sigmoid fits it: rms residual below 0.02
// (the binomial SE of a point is at most 0.005; the curve's heavier low-current tail adds ~0.01)
// and the fit stored in the file is the fit of its points.
TEST(ShippedTables, StoxConverterIsAMonotoneSigmoid) {
  const auto path = cimmc::core::data_files::resolve("tables", "stox_converter_1ns", ".h5", "switching table");
  auto f = cimmc::core::h5::File::open(path);
  const auto mc = f.open_group("monte_carlo");
  const auto currents = mc.read<double>("current_A").data;
  const auto p = mc.read<double>("p_switch").data;
  const double n = static_cast<double>(mc.read_scalar<std::int64_t>("trials"));
  ASSERT_EQ(p.size(), currents.size());
  EXPECT_GE(n, 10000.0);
  EXPECT_LT(p.front(), 0.01);
  EXPECT_GT(p.back(), 0.99);
  for (std::size_t i = 0; i + 1 < p.size(); ++i) {
    const double se = std::sqrt((p[i] * (1 - p[i]) + p[i + 1] * (1 - p[i + 1])) / n + 1e-12);
    EXPECT_GE(p[i + 1], p[i] - 3 * se) << "current " << currents[i + 1];
  }
  const auto table = SwitchingTable::load(path);
  for (std::size_t i = 0; i + 1 < table.values().size(); ++i) EXPECT_LE(table.values()[i], table.values()[i + 1]);
  const auto fit = fit_sigmoid(currents, p);
  std::printf("stox_converter 1 ns: I50 = %.5g A, w = %.5g A, rms residual %.4f, max %.4f\n", fit.i50_A, fit.width_A,
              fit.rms_residual, fit.max_abs_residual);
  EXPECT_GT(fit.width_A, 0.0);
  EXPECT_LT(fit.rms_residual, 0.02);
  EXPECT_NEAR(f.open_group("sigmoid").read<double>("i50_A").data.at(0), fit.i50_A, 1e-12);
  EXPECT_NEAR(f.open_group("sigmoid").read<double>("width_A").data.at(0), fit.width_A, 1e-12);
  // The grid covers the readout's range I50 +- 4 w with a margin.
  EXPECT_LT(currents.front(), fit.i50_A - 5 * fit.width_A);
  EXPECT_GT(currents.back(), fit.i50_A + 5 * fit.width_A);
}
