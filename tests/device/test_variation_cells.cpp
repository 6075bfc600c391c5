// Device-to-device variation and storage-cell models: sample moments within 4 standard errors
// (SE) of their exact values (fixed seeds), determinism by stream address, and bad input.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <vector>

#include "cimmc/core/error.hpp"
#include "cimmc/device/storage_cell.hpp"
#include "cimmc/device/variation.hpp"

using namespace cimmc::device;

namespace {
struct Moments {
  double mean, sd, n;
};
Moments moments(const std::vector<double>& x) {
  const double n = static_cast<double>(x.size());
  const double m = std::accumulate(x.begin(), x.end(), 0.0) / n;
  double v = 0;
  for (double y : x) v += (y - m) * (y - m);
  return {m, std::sqrt(v / (n - 1)), n};
}
}  // namespace

TEST(Variation, FactorsHaveMeanOneAndTheGivenSpread) {
  for (SpreadKind kind : {SpreadKind::kLognormal, SpreadKind::kNormal}) {
    DeviceVariation v;
    v.anisotropy = {0.1, kind};
    v.size = {0.03, kind};
    std::vector<double> k, s, theta;
    for (std::uint64_t d = 0; d < 20000; ++d) {
      const auto f = sample_factors(v, 7, 0, 0, d);
      k.push_back(f.anisotropy);
      s.push_back(f.size);
      theta.push_back(f.spin_hall_angle);
    }
    const auto mk = moments(k), ms = moments(s);
    EXPECT_NEAR(mk.mean, 1.0, 4 * mk.sd / std::sqrt(mk.n));
    // SE of a standard deviation ~ sd / sqrt(2n) (near-normal samples).
    EXPECT_NEAR(mk.sd, 0.1, 4 * 0.1 / std::sqrt(2 * mk.n));
    EXPECT_NEAR(ms.sd, 0.03, 4 * 0.03 / std::sqrt(2 * ms.n));
    for (double t : theta) ASSERT_EQ(t, 1.0);  // no spread given
  }
}

TEST(Variation, DevicesAreDeterministicAndScaleTheRightFields) {
  const auto nominal = load_sot_mtj(resolve_device_file("perpendicular_sot"));
  // perpendicular_sot keeps only H_K,eff = H_K − Ms ΔN ≈ 5.0e4 A/m of H_K ≈ 1.21e6 A/m, so its easy
  // axis is fragile: 0.5 % anisotropy and 0.2 % Ms spread move H_K,eff by σ ≈ 7.7e3 A/m (6.5 σ from
  // instability, so every sampled device here is valid whatever the draws).
  DeviceVariation v;
  v.anisotropy = {0.005, SpreadKind::kLognormal};
  v.spin_hall_angle = {0.05, SpreadKind::kNormal};
  v.saturation_magnetization = {0.002, SpreadKind::kLognormal};
  v.size = {0.02, SpreadKind::kNormal};
  const auto a = sample_devices(nominal, v, 5, 99);
  const auto b = sample_devices(nominal, v, 3, 99);
  for (std::size_t d = 0; d < 3; ++d) EXPECT_EQ(to_toml(a[d]), to_toml(b[d]));
  const auto f = sample_factors(v, 99, 0, 0, 4);
  EXPECT_DOUBLE_EQ(a[4].free_layer.interface_anisotropy_J_per_m2,
                   nominal.free_layer.interface_anisotropy_J_per_m2 * f.anisotropy);
  EXPECT_DOUBLE_EQ(a[4].heavy_metal.spin_hall_angle, nominal.heavy_metal.spin_hall_angle * f.spin_hall_angle);
  EXPECT_DOUBLE_EQ(a[4].free_layer.length_m, nominal.free_layer.length_m * f.size);
  EXPECT_NE(derive(a[0]).thermal_stability, derive(a[1]).thermal_stability);
  // A spread that makes the easy axis unstable is refused with the device index.
  DeviceVariation wild;
  wild.anisotropy = {1.0, SpreadKind::kNormal};
  EXPECT_THROW(sample_devices(nominal, wild, 200, 1), cimmc::core::ModelError);
}

TEST(Variation, ReadsAndValidatesTheTable) {
  const auto doc = cimmc::core::config::parse_string(
      "[variation]\nanisotropy = {relative_sigma = 0.05}\nsize = {relative_sigma = 0.02, kind = \"normal\"}\n",
      "v.toml");
  const auto v = read_variation(doc.root.as_table().at("variation"), doc.source);
  EXPECT_DOUBLE_EQ(v.anisotropy.relative_sigma, 0.05);
  EXPECT_EQ(v.anisotropy.kind, SpreadKind::kLognormal);
  EXPECT_EQ(v.size.kind, SpreadKind::kNormal);
  const auto bad = cimmc::core::config::parse_string(
      "[variation]\nanisotropy = {relative_sigma = -1}\nsise = {relative_sigma = 0.1}\n", "v.toml");
  try {
    read_variation(bad.root.as_table().at("variation"), bad.source);
    FAIL();
  } catch (const cimmc::core::ConfigError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("v.toml:2: key 'variation.anisotropy.relative_sigma'"), std::string::npos) << m;
    EXPECT_NE(m.find("did you mean 'size'"), std::string::npos) << m;
  }
}

TEST(Variation, PopulationSwitchingSummarizesDevices) {
  const auto nominal = load_sot_mtj(resolve_device_file("low_barrier"));
  DeviceVariation v;
  // K_i of a low-barrier device nearly cancels the demag field, so 1 % in K is ~20 % in Delta.
  v.anisotropy = {0.01, SpreadKind::kLognormal};
  MonteCarloSettings s;
  s.trials = 64;
  s.seed = 4;
  s.relax_time_s = 0.3e-9;
  const std::vector<double> currents{30e-6, 60e-6}, pulses{1e-9};
  const auto r = population_switching(nominal, v, 6, currents, pulses, s);
  ASSERT_EQ(r.per_device.size(), 12u);
  ASSERT_EQ(r.thermal_stability.size(), 6u);
  for (std::size_t k = 0; k < 2; ++k) {
    double sum = 0;
    for (std::size_t d = 0; d < 6; ++d) sum += r.per_device[d * 2 + k];
    EXPECT_NEAR(r.mean[k], sum / 6, 1e-12);
    EXPECT_LE(r.min[k], r.mean[k]);
    EXPECT_GE(r.max[k], r.mean[k]);
  }
  EXPECT_LE(r.mean[0], r.mean[1]);
}

TEST(StorageCell, SramIsExact) {
  const auto cell = StorageCellModel::sram();
  EXPECT_TRUE(cell.exact());
  const std::vector<std::uint8_t> levels{0, 1, 1, 0};
  std::vector<double> dev(4, 7.0);
  std::vector<CellFault> faults(4, CellFault::kStuckAtOne);
  cell.deviations(levels, {}, dev, faults);
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(dev[i], 0.0);
    EXPECT_EQ(faults[i], CellFault::kNone);
  }
}

TEST(StorageCell, LognormalProgrammingVariationHasTheExactMoments) {
  StorageCellParams p;
  p.technology = CellTechnology::kRram;
  p.levels = 4;
  p.on_conductance_S = 1e-4;
  p.on_off_ratio = 10;
  p.programming_sigma = 0.1;
  const StorageCellModel cell(p);
  EXPECT_NEAR(cell.level_step_S(), (1e-4 - 1e-5) / 3, 1e-18);
  const std::size_t n = 100000;
  const std::vector<std::uint8_t> levels(n, 2);
  std::vector<double> dev(n);
  cell.deviations(levels, {5, 0, 0, 0}, dev);
  // G = G_2 exp(sigma z): E = G_2 (e^{s^2/2} - 1) / step, Var = G_2^2 e^{s^2} (e^{s^2} - 1) / step^2.
  const double g2 = cell.level_conductance_S(2), s2 = 0.01, step = cell.level_step_S();
  const double mean = g2 * (std::exp(s2 / 2) - 1) / step, sd = g2 * std::sqrt(std::exp(s2) * (std::exp(s2) - 1)) / step;
  const auto m = moments(dev);
  EXPECT_NEAR(m.mean, mean, 4 * sd / std::sqrt(m.n));
  EXPECT_NEAR(m.sd, sd, 4 * sd / std::sqrt(2 * m.n));
}

TEST(StorageCell, StuckAtFaultRatesAndValues) {
  const auto device = load_sot_mtj(resolve_device_file("perpendicular_sot"));
  const auto cell = StorageCellModel::mtj(device, 0.0, 0.01, 0.02);
  EXPECT_NEAR(cell.params().on_off_ratio, 2.2, 1e-12);
  const std::size_t n = 200000;
  std::vector<std::uint8_t> levels(n);
  for (std::size_t i = 0; i < n; ++i) levels[i] = i % 2;
  std::vector<double> dev(n);
  std::vector<CellFault> faults(n);
  cell.deviations(levels, {6, 0, 0, 1000}, dev, faults);
  double s0 = 0, s1 = 0;
  for (std::size_t i = 0; i < n; ++i) {
    s0 += faults[i] == CellFault::kStuckAtZero;
    s1 += faults[i] == CellFault::kStuckAtOne;
    const double expect = faults[i] == CellFault::kStuckAtZero  ? -levels[i]
                          : faults[i] == CellFault::kStuckAtOne ? 1 - levels[i]
                                                                : 0;
    ASSERT_NEAR(dev[i], expect, 1e-12) << i;
  }
  const double nn = static_cast<double>(n);
  EXPECT_NEAR(s0 / nn, 0.01, 4 * std::sqrt(0.01 * 0.99 / nn));
  EXPECT_NEAR(s1 / nn, 0.02, 4 * std::sqrt(0.02 * 0.98 / nn));
  // The same cells drawn in two chunks give the same values (addressed by cell index).
  std::vector<double> part(n / 2);
  cell.deviations(std::span(levels).subspan(n / 2), {6, 0, 0, 1000 + n / 2}, part);
  for (std::size_t i = 0; i < n / 2; ++i) ASSERT_EQ(part[i], dev[n / 2 + i]);
}

TEST(StorageCell, BadParametersAreRefused) {
  StorageCellParams p;
  p.technology = CellTechnology::kMtj;
  p.levels = 4;
  EXPECT_THROW(StorageCellModel{p}, cimmc::core::ArgumentError);
  p.levels = 2;
  p.on_off_ratio = 0.5;
  EXPECT_THROW(StorageCellModel{p}, cimmc::core::ArgumentError);
  p.on_off_ratio = 2;
  p.stuck_at_zero_rate = 0.7;
  p.stuck_at_one_rate = 0.7;
  EXPECT_THROW(StorageCellModel{p}, cimmc::core::ArgumentError);
  const std::vector<std::uint8_t> levels{3};
  std::vector<double> out(1);
  EXPECT_THROW(StorageCellModel::sram().deviations(levels, {}, out), cimmc::core::ArgumentError);
  const auto doc = cimmc::core::config::parse_string(
      "[cell]\ntechnology = \"rram\"\nlevels = 1\nprograming_sigma = 0.1\n", "c.toml");
  try {
    StorageCellModel::from_config(doc.root.as_table().at("cell"), doc.source);
    FAIL();
  } catch (const cimmc::core::ConfigError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("c.toml:3: key 'cell.levels'"), std::string::npos) << m;
    EXPECT_NE(m.find("did you mean 'programming_sigma'"), std::string::npos) << m;
  }
}
