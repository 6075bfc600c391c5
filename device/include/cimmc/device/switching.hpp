// Switching probability P_sw(I, t_pulse) of an SOT-MTJ: Monte Carlo over the macrospin solver
// with Wilson 95 % intervals, the thermal-activation (Neel-Brown) model with fitted attempt time
// tau0 and exponent n, and a per-pulse-width sigmoid fit P = 1 / (1 + exp(-(I - I50) / w)).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "cimmc/device/macrospin.hpp"
#include "cimmc/device/sot_mtj_params.hpp"

namespace cimmc::device {

struct WilsonInterval {
  double low, high;
};
// Wilson score interval for `successes` of `trials` (z = 1.96: 95 %).
WilsonInterval wilson_interval(std::uint64_t successes, std::uint64_t trials, double z = 1.959963984540054);

// The switching protocol (docs/physics.md): every trajectory starts at the zero-temperature
// equilibrium under the bias field (equilibrium_direction, tilted off the easy axis), spends
// equilibrate_time_s at zero current in the thermal field so that it reaches thermal equilibrium
// in its well, then gets the pulse (rise, plateau, fall) and relax_time_s at zero current before
// its final state is classified against the initial easy-axis direction.
struct MonteCarloSettings {
  std::size_t trials = 1000;  // trajectories per (current, pulse width)
  double time_step_s = 0.0;   // 0: recommended_time_step_s at the largest |current|
  // Zero-current time before the pulse (the waveform's settle segment). < 0: automatic,
  // default_equilibrate_time_s. (This was settle_time_s, 0 by default, with an axis start.)
  double equilibrate_time_s = -1.0;
  // false: start exactly on the easy axis instead of at the tilted equilibrium (for comparison
  // with the protocol that ignores the bias-field tilt; not physical for a device in use).
  bool start_at_equilibrium = true;
  double rise_time_s = 0.0;
  double fall_time_s = 0.0;
  // < 0: automatic, five relaxation_time_s (at least 1 ns), so the final state has settled.
  double relax_time_s = -1.0;
  int initial_direction = +1;
  std::uint64_t seed = 0;
  std::uint32_t point = 0;  // thermal-field stream address (study sweep point and trial)
  std::uint32_t trial = 0;
  std::uint64_t first_element = 0;
  // Called after each pulse width with the trajectories done so far (for a progress line).
  std::function<void(std::size_t trajectories_done)> on_progress;
};

// Monte Carlo switching curves; arrays are [current][pulse width], row-major.
struct SwitchingCurves {
  std::vector<double> currents_A;
  std::vector<double> pulse_widths_s;
  std::size_t trials = 0;
  double time_step_s = 0.0;
  double equilibrate_time_s = 0.0;  // as used
  double relax_time_s = 0.0;        // as used
  Vec3 initial_m{0, 0, 0};          // where every trajectory started
  std::vector<std::int64_t> switched_count;
  std::vector<double> probability, ci_low, ci_high;
  // Mean over the switched trajectories of the first step after the pulse start with m past the
  // equator, measured from the pulse start; NaN if none switched.
  std::vector<double> mean_switching_time_s;
  std::size_t index(std::size_t current, std::size_t pulse) const { return current * pulse_widths_s.size() + pulse; }
};

// Five relaxation_time_s (each (1 + alpha^2) / (alpha gamma0 H_K,eff)), at least 1 ns: the
// thermal fluctuations about the tilted equilibrium then have their equilibrium spread (their
// variance relaxes at twice the rate of m).
double default_equilibrate_time_s(const SotMtjParams& params);

// Trajectory k of current i and pulse j uses thermal stream element
// first_element + (j * currents + i) * trials + k.
SwitchingCurves monte_carlo_switching(const SotMtjParams& params, std::span<const double> currents_A,
                                      std::span<const double> pulse_widths_s, const MonteCarloSettings& settings);

// Thermal activation: tau(I) = tau0 exp[Delta (1 - |I|/I_c0)^n] for |I| < I_c0, tau0 above;
// P = 1 - exp(-t / tau). Valid for long pulses and sub-critical currents (physics.md oracle 3).
struct ThermalActivationModel {
  double thermal_stability = 0.0;
  double critical_current_A = 0.0;
  double attempt_time_s = 1e-9;
  double exponent = 2.0;
  double switching_time_s(double current_A) const;
  double probability(double current_A, double pulse_width_s) const;
};

struct ThermalActivationFit {
  ThermalActivationModel model;
  double rms_log_residual = 0.0;  // RMS of ln(tau_MC / tau_model) over the points used
  std::size_t points_used = 0;
};

// Fits tau0 and n (and I_c0 when critical_current_A is NaN) to Monte Carlo points with
// 0.02 < P < 0.98, by least squares on ln tau = ln t - ln(-ln(1 - P)). Throws core::ModelError with
// fewer than 3 usable points.
ThermalActivationFit fit_thermal_activation(const SwitchingCurves& curves, double thermal_stability,
                                            double critical_current_A);

struct SigmoidFit {
  double i50_A = 0.0;
  double width_A = 0.0;       // negative if P falls with I
  double rms_residual = 0.0;  // RMS of P - fit over all points
  double max_abs_residual = 0.0;
};
// Least-squares (Levenberg-Marquardt) fit of P = 1 / (1 + exp(-(I - I50) / w)).
SigmoidFit fit_sigmoid(std::span<const double> currents_A, std::span<const double> probability);
double sigmoid(const SigmoidFit& fit, double current_A);

// The column of pulse width j of curves (P versus current).
std::vector<double> probability_column(const SwitchingCurves& curves, std::size_t pulse);

}  // namespace cimmc::device
