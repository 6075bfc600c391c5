// Thermally activated switching from Monte Carlo P_sw: for an axially symmetric magnet with
// a current polarized along its axis, the switching time is the exact first-passage time with the
// reduced potential -Delta (z^2 + 2 h z), h = I / I_c0. The thermal-activation model
// tau0 exp[Delta (1 - I/I_c0)^n] fitted to the Monte Carlo P_sw must reproduce it within 25 % over
// the fitted currents, and its exponent must match the one fitted the same way to the exact
// P = 1 - exp(-t / T_exact) within 0.5. (n -> 2 for collinear torque only when the remaining
// barrier is high; at Delta (1 - h)^2 = 2-5 the current dependence of the prefactor raises it.)
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "cimmc/device/switching.hpp"
#include "cimmc/device/thermal_oracles.hpp"
#include "device_fixtures.hpp"

using namespace cimmc::device;

TEST(ThermalActivationMonteCarlo, FitToMonteCarloMatchesExactSwitchingTime) {
  const double delta = 15.0;
  auto p = fixtures::uniaxial(delta, 0.5);
  p.spin_polarization = {0, 0, 1};
  const auto d = derive(p);
  // Negative currents destabilize +z (theta_SH > 0).
  std::vector<double> currents;
  for (double h : {-0.65, -0.6, -0.55, -0.5, -0.45, -0.4}) currents.push_back(h * d.critical_current_A);
  MonteCarloSettings s;
  s.trials = 400;
  s.seed = 8;
  s.relax_time_s = 1e-9;
  s.time_step_s = 1e-12;
  const auto c = monte_carlo_switching(p, currents, std::vector<double>{3e-9, 10e-9, 30e-9, 100e-9}, s);
  const auto fit = fit_thermal_activation(c, delta, d.critical_current_A);
  std::printf("fit: tau0 = %.3g s, n = %.3f, rms ln residual %.3f over %zu points\n", fit.model.attempt_time_s,
              fit.model.exponent, fit.rms_log_residual, fit.points_used);
  EXPECT_GE(fit.points_used, 10u);
  SwitchingCurves oracle = c;
  for (std::size_t i = 0; i < currents.size(); ++i)
    for (std::size_t j = 0; j < c.pulse_widths_s.size(); ++j) {
      const double t = mean_first_passage_time_s(delta, d.neel_brown_time_s, currents[i] / d.critical_current_A);
      oracle.probability[c.index(i, j)] = -std::expm1(-c.pulse_widths_s[j] / t);
    }
  const auto oracle_fit = fit_thermal_activation(oracle, delta, d.critical_current_A);
  std::printf("fit to the exact first-passage times: tau0 = %.3g s, n = %.3f\n", oracle_fit.model.attempt_time_s,
              oracle_fit.model.exponent);
  EXPECT_NEAR(fit.model.exponent, oracle_fit.model.exponent, 0.5);
  for (double i : currents) {
    const double h = i / d.critical_current_A;
    const double exact = mean_first_passage_time_s(delta, d.neel_brown_time_s, h);
    const double model = fit.model.switching_time_s(i);
    std::printf("I/I_c0 = %.2f: fitted tau %.3g s, exact first passage %.3g s (ratio %.3f)\n", h, model, exact,
                model / exact);
    EXPECT_NEAR(model / exact, 1.0, 0.25);
  }
}
