// Physics of the batched stochastic LLG against analytic oracles (physics.md). Fixed seeds;
// every statistical tolerance is stated in standard errors (SE) estimated from independent
// trajectories (per-trajectory means, so correlations along a trajectory are accounted for).
#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <cstdio>
#include <numeric>
#include <vector>

#include "cimmc/device/macrospin.hpp"
#include "cimmc/device/thermal_oracles.hpp"
#include "device_fixtures.hpp"

using namespace cimmc::device;

namespace {
struct MeanSe {
  double mean, se;
};
MeanSe mean_se(const std::vector<double>& x) {
  const double n = static_cast<double>(x.size());
  const double m = std::accumulate(x.begin(), x.end(), 0.0) / n;
  double v = 0;
  for (double y : x) v += (y - m) * (y - m);
  return {m, std::sqrt(v / (n - 1) / n)};
}

// Runs n trajectories, half started at +z and half at -z, and returns m_z samples
// [trajectory][sample] after `equilibrate` Neel-Brown times, every tau_N for `samples` samples.
std::vector<std::vector<double>> equilibrium_samples(const SotMtjParams& p, std::size_t n, int samples,
                                                     double equilibrate) {
  const double tau = derive(p).neel_brown_time_s;
  SolverSettings s;
  s.time_step_s = 1e-12;
  s.seed = 20240611;
  const std::size_t every = static_cast<std::size_t>(std::round(tau / s.time_step_s));
  s.record_every_steps = every;
  s.record_trajectories = n / 2;
  Waveform w;
  w.relax_time_s = static_cast<double>(every) * s.time_step_s * (equilibrate + samples - 1);
  const std::vector<double> amps(n / 2, 0.0);
  std::vector<std::vector<double>> out;
  for (int dir : {+1, -1}) {
    s.initial_direction = dir;
    s.first_element = dir > 0 ? 0 : n / 2;
    const auto r = simulate(p, w, amps, s);
    const std::size_t ns = r.record_time_s.size();
    for (std::size_t t = 0; t < n / 2; ++t) {
      std::vector<double> mz;
      for (std::size_t j = static_cast<std::size_t>(equilibrate); j < ns; ++j)
        mz.push_back(r.record_m[(t * ns + j) * 3 + 2]);
      out.push_back(std::move(mz));
    }
  }
  return out;
}
}  // namespace

class Boltzmann : public ::testing::TestWithParam<std::pair<double, double>> {};

// <m_z^2> within 4 SE of the exact value and every bin of the m_z histogram within 4 SE of the
// Boltzmann probability; alpha = 1 would expose an extra (1 + alpha^2) in the thermal field.
TEST_P(Boltzmann, MatchesEquilibriumDistribution) {
  const auto [delta, alpha] = GetParam();
  const auto p = fixtures::uniaxial(delta, alpha);
  const auto samples = equilibrium_samples(p, 2048, 16, 4);
  std::vector<double> mz2;
  constexpr int kBins = 10;
  std::vector<std::vector<double>> bins(kBins);
  for (const auto& traj : samples) {
    double s2 = 0;
    std::vector<double> counts(kBins, 0.0);
    for (double z : traj) {
      s2 += z * z;
      counts[std::min(kBins - 1, static_cast<int>((z + 1.0) / 2.0 * kBins))] += 1.0;
    }
    mz2.push_back(s2 / traj.size());
    for (int b = 0; b < kBins; ++b) bins[b].push_back(counts[b] / traj.size());
  }
  const double exact = boltzmann_mean_mz2(delta);
  const MeanSe m = mean_se(mz2);
  std::printf("Delta=%g alpha=%g: <m_z^2> = %.4f +- %.4f, exact %.4f (%.2f SE)\n", delta, alpha, m.mean, m.se, exact,
              (m.mean - exact) / m.se);
  EXPECT_NEAR(m.mean, exact, 4 * m.se);
  for (int b = 0; b < kBins; ++b) {
    const double lo = -1.0 + 2.0 * b / kBins, hi = lo + 2.0 / kBins;
    const double pb = boltzmann_probability(delta, lo, hi);
    const MeanSe h = mean_se(bins[b]);
    EXPECT_NEAR(h.mean, pb, 4 * h.se) << "bin [" << lo << ", " << hi << ")";
  }
}
INSTANTIATE_TEST_SUITE_P(DeltaAlpha, Boltzmann,
                         ::testing::Values(std::pair{1.0, 0.1}, std::pair{1.0, 1.0}, std::pair{3.0, 0.1},
                                           std::pair{3.0, 1.0}));

class NeelBrown : public ::testing::TestWithParam<std::pair<double, double>> {};

// Mean first-passage time from m_z = 1 to m_z = 0 within 15 % of the exact integral (with 1024
// trajectories the SE is ~3 %, so 15 % is about 5 SE).
TEST_P(NeelBrown, MeanFirstPassageTimeMatchesExactIntegral) {
  const auto [delta, alpha] = GetParam();
  const auto p = fixtures::uniaxial(delta, alpha);
  const double exact = mean_first_passage_time_s(delta, derive(p).neel_brown_time_s);
  SolverSettings s;
  s.time_step_s = 1e-12;
  s.seed = 77;
  s.stop_when_all_switched = true;
  Waveform w;
  w.relax_time_s = 20 * exact;
  const std::vector<double> amps(1024, 0.0);
  const auto r = simulate(p, w, amps, s);
  for (double t : r.first_switch_time_s) ASSERT_FALSE(std::isnan(t)) << "a trajectory never crossed m_z = 0";
  const MeanSe m = mean_se(r.first_switch_time_s);
  std::printf("Delta=%g alpha=%g: T(1->0) = %.4g +- %.2g s, exact %.4g s (ratio %.3f)\n", delta, alpha, m.mean, m.se,
              exact, m.mean / exact);
  EXPECT_NEAR(m.mean / exact, 1.0, 0.15);
}
INSTANTIATE_TEST_SUITE_P(DeltaAlpha, NeelBrown,
                         ::testing::Values(std::pair{3.0, 1.0}, std::pair{3.0, 0.1}, std::pair{5.0, 1.0},
                                           std::pair{8.0, 1.0}));

class CriticalCurrent : public ::testing::TestWithParam<double> {};

// Zero temperature, alpha = 0.3: the smallest switching current of a 20 ns pulse within 10 % of
// Lee et al. (2013) for H_x / H_K,eff = 0.1-0.3.
TEST_P(CriticalCurrent, PerpendicularSotMatchesLee2013) {
  SotMtjParams p = load_sot_mtj(resolve_device_file("perpendicular_sot"));
  p.temperature_K = 0.0;
  p.free_layer.damping = 0.3;
  const auto d0 = derive(p);
  p.external_field_A_per_m = {GetParam() * d0.effective_anisotropy_field_A_per_m, 0, 0};
  const double ic = derive(p).critical_current_A;
  const int n = 161;  // currents 0.5 .. 1.5 I_c, both polarities
  std::vector<double> amps;
  for (int sign : {+1, -1})
    for (int i = 0; i < n; ++i) amps.push_back(sign * ic * (0.5 + static_cast<double>(i) / (n - 1)));
  Waveform w;
  w.settle_time_s = 2e-9;
  w.pulse_width_s = 20e-9;
  w.relax_time_s = 5e-9;
  SolverSettings s;
  s.time_step_s = recommended_time_step_s(p, 1.5 * ic);
  const auto r = simulate(p, w, amps, s);
  double found = NAN;
  for (int sign = 0; sign < 2; ++sign) {
    int first = -1;
    for (int i = 0; i < n; ++i)
      if (r.switched[sign * n + i] && first < 0) first = i;
    if (first > 0) {
      for (int i = first; i < n; ++i) EXPECT_TRUE(r.switched[sign * n + i]) << "switching not monotone above I_c";
      found = 0.5 * (std::abs(amps[sign * n + first]) + std::abs(amps[sign * n + first - 1]));
    }
  }
  std::printf("H_x/H_K,eff=%.1f: simulated I_c = %.4g A, Lee 2013 %.4g A (ratio %.3f)\n", GetParam(), found, ic,
              found / ic);
  ASSERT_FALSE(std::isnan(found)) << "no polarity switched between 0.5 and 1.5 I_c";
  EXPECT_NEAR(found / ic, 1.0, 0.10);
}
INSTANTIATE_TEST_SUITE_P(BiasField, CriticalCurrent, ::testing::Values(0.1, 0.2, 0.3));

TEST(Macrospin, NormIsOneToRoundOff) {
  const auto p = load_sot_mtj(resolve_device_file("low_barrier"));
  SolverSettings s;
  s.time_step_s = 1e-12;
  s.seed = 5;
  s.record_every_steps = 10;
  s.record_trajectories = 64;
  Waveform w;
  w.rise_time_s = 0.1e-9;
  w.pulse_width_s = 1e-9;
  w.fall_time_s = 0.1e-9;
  w.relax_time_s = 1e-9;
  const std::vector<double> amps(300, 1.5 * derive(p).critical_current_A);
  const auto r = simulate(p, w, amps, s);
  double worst = 0;
  for (std::size_t i = 0; i < r.trajectories; ++i)
    worst = std::max(worst, std::abs(std::sqrt(r.mx[i] * r.mx[i] + r.my[i] * r.my[i] + r.mz[i] * r.mz[i]) - 1.0));
  for (std::size_t i = 0; i + 2 < r.record_m.size(); i += 3)
    worst = std::max(worst, std::abs(std::hypot(r.record_m[i], r.record_m[i + 1], r.record_m[i + 2]) - 1.0));
  EXPECT_LT(worst, 1e-12);
  // A step far too large for accuracy still keeps |m| = 1 (the exact renormalization path).
  s.time_step_s = 5e-11;
  s.record_every_steps = 0;
  const auto big = simulate(p, w, amps, s);
  for (std::size_t i = 0; i < big.trajectories; ++i)
    ASSERT_LT(std::abs(std::sqrt(big.mx[i] * big.mx[i] + big.my[i] * big.my[i] + big.mz[i] * big.mz[i]) - 1.0), 1e-12);
}

TEST(Macrospin, ResultsDoNotDependOnThreadCount) {
  const auto p = load_sot_mtj(resolve_device_file("low_barrier"));
  SolverSettings s;
  s.time_step_s = 1e-12;
  s.seed = 9;
  s.first_element = 12345;
  Waveform w;
  w.pulse_width_s = 0.5e-9;
  w.relax_time_s = 0.5e-9;
  std::vector<double> amps(1000);
  for (std::size_t i = 0; i < amps.size(); ++i) amps[i] = 1e-6 * static_cast<double>(i % 97);
  const int saved = omp_get_max_threads();
  omp_set_num_threads(1);
  const auto a = simulate(p, w, amps, s);
  omp_set_num_threads(2);
  const auto b = simulate(p, w, amps, s);
  omp_set_num_threads(saved);
  EXPECT_EQ(a.mx, b.mx);
  EXPECT_EQ(a.my, b.my);
  EXPECT_EQ(a.mz, b.mz);
  EXPECT_EQ(a.switched, b.switched);
  for (std::size_t i = 0; i < a.trajectories; ++i)
    EXPECT_TRUE(a.first_switch_time_s[i] == b.first_switch_time_s[i] ||
                (std::isnan(a.first_switch_time_s[i]) && std::isnan(b.first_switch_time_s[i])));
  // A trajectory's result depends on its own index, not on the batch around it.
  const std::vector<double> one{amps[700]};
  SolverSettings s1 = s;
  s1.first_element = s.first_element + 700;
  const auto c = simulate(p, w, one, s1);
  EXPECT_EQ(c.mz[0], a.mz[700]);
}

TEST(Macrospin, WaveformShape) {
  Waveform w{1e-9, 0.2e-9, 1e-9, 0.4e-9, 1e-9};
  EXPECT_DOUBLE_EQ(w.total_time_s(), 3.6e-9);
  EXPECT_EQ(w.shape(0.5e-9), 0.0);
  EXPECT_NEAR(w.shape(1.1e-9), 0.5, 1e-12);
  EXPECT_EQ(w.shape(1.5e-9), 1.0);
  EXPECT_NEAR(w.shape(2.4e-9), 0.5, 1e-12);
  EXPECT_EQ(w.shape(3e-9), 0.0);
}

TEST(Macrospin, BadSettingsAreRejected) {
  const auto p = fixtures::uniaxial(3, 0.1);
  const std::vector<double> amps(4, 0.0);
  SolverSettings s;
  s.time_step_s = 0;
  EXPECT_THROW(simulate(p, Waveform{0, 0, 1e-9, 0, 0}, amps, s), cimmc::core::ArgumentError);
  s.time_step_s = 1e-12;
  EXPECT_THROW(simulate(p, Waveform{0, -1e-9, 1e-9, 0, 0}, amps, s), cimmc::core::ArgumentError);
  s.initial_direction = 0;
  EXPECT_THROW(simulate(p, Waveform{0, 0, 1e-9, 0, 0}, amps, s), cimmc::core::ArgumentError);
}

class CollinearTorque : public ::testing::TestWithParam<double> {};

// A current polarized along the axis of an axially symmetric magnet acts on m_z like a field
// H_DL / alpha, so the mean first-passage time follows the exact integral with the reduced
// potential -Delta (z^2 + 2 h z), h = I / I_c0 (I_c0 = alpha H_K / H_DL per ampere); within 15 %
// with 1024 trajectories (SE ~3 %). Checks the SOT torque and its coupling to the thermal field.
TEST_P(CollinearTorque, MeanFirstPassageTimeUnderCurrent) {
  const double h = GetParam();
  auto p = fixtures::uniaxial(8.0, 0.5);
  p.spin_polarization = {0, 0, 1};
  const auto d = derive(p);
  EXPECT_EQ(d.critical_current_model, "collinear_perpendicular");
  EXPECT_NEAR(d.critical_current_A * std::abs(d.damping_like_field_A_per_m_per_A), 0.5 * d.anisotropy_field_A_per_m,
              1e-9 * d.anisotropy_field_A_per_m);
  const double exact = mean_first_passage_time_s(8.0, d.neel_brown_time_s, h);
  SolverSettings s;
  s.time_step_s = 1e-12;
  s.seed = 31;
  s.stop_when_all_switched = true;
  Waveform w;
  w.pulse_width_s = 20 * exact;
  const std::vector<double> amps(1024, h * d.critical_current_A);
  const auto r = simulate(p, w, amps, s);
  for (double t : r.first_switch_time_s) ASSERT_FALSE(std::isnan(t));
  const MeanSe m = mean_se(r.first_switch_time_s);
  std::printf("Delta=8 alpha=0.5 I/I_c0=%.2f: T(1->0) = %.4g +- %.2g s, exact %.4g s (ratio %.3f)\n", h, m.mean, m.se,
              exact, m.mean / exact);
  EXPECT_NEAR(m.mean / exact, 1.0, 0.15);
}
INSTANTIATE_TEST_SUITE_P(ReducedCurrent, CollinearTorque, ::testing::Values(-0.3, -0.5));
