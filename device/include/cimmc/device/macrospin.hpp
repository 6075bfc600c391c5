// Batched macrospin integrator: N independent trajectories of the stochastic Landau-Lifshitz
// equation with spin-orbit torques (physics.md), stochastic Heun (Stratonovich) with the same
// thermal field in predictor and corrector, |m| renormalized after every step.
//
// Layout: structure of arrays over trajectories, blocks of kBlockLanes trajectories stepped in
// lock-step by one vectorized loop, OpenMP across blocks. Trajectory i draws its thermal field from
// its own Philox stream (purpose, point, trial, element = first_element + i), so every result is
// bit-identical for any thread count.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "cimmc/core/rng.hpp"
#include "cimmc/device/sot_mtj_params.hpp"

namespace cimmc::device {

// Heavy-metal current waveform (shape between 0 and 1; each trajectory has its own amplitude):
// zero for settle_time_s, linear rise, plateau of pulse_width_s, linear fall, then zero for
// relax_time_s. The pulse width is the plateau; rise and fall add to it.
struct Waveform {
  double settle_time_s = 0.0;
  double rise_time_s = 0.0;
  double pulse_width_s = 0.0;
  double fall_time_s = 0.0;
  double relax_time_s = 0.0;

  double total_time_s() const { return settle_time_s + rise_time_s + pulse_width_s + fall_time_s + relax_time_s; }
  double shape(double t_s) const;
};

struct SolverSettings {
  double time_step_s = 1e-12;
  // The state a trajectory starts in and is judged against: +easy axis (+1) or -easy axis (-1).
  int initial_direction = +1;
  // Where m starts (normalized by the solver); none: exactly on initial_direction * easy axis.
  // Switching studies start at equilibrium_direction(), tilted by the bias field.
  std::optional<Vec3> initial_m;
  // First switching time: the first step ending after switch_detect_from_s after which
  // direction * (m . u) < -switch_threshold (a trajectory already past the threshold then gets
  // the first such step). Excursions during an equilibration before the pulse are not counted.
  double switch_threshold = 0.0;
  double switch_detect_from_s = 0.0;
  // Stop a block early once every trajectory in it has switched (first-passage studies).
  bool stop_when_all_switched = false;
  // Down-sampled trajectories for plots: m every record_every_steps steps (0: none) for the first
  // record_trajectories trajectories.
  std::size_t record_every_steps = 0;
  std::size_t record_trajectories = 0;
  std::uint64_t seed = 0;
  std::uint32_t point = 0;  // stream address of the thermal field
  std::uint32_t trial = 0;
  std::uint64_t first_element = 0;  // trajectory i uses element first_element + i
};

struct MacrospinResult {
  std::size_t trajectories = 0;
  std::size_t steps = 0;  // steps taken (the last block may stop early)
  double time_step_s = 0.0;
  std::vector<double> mx, my, mz;           // final magnetization
  std::vector<double> first_switch_time_s;  // NaN if the threshold was never crossed
  std::vector<std::uint8_t> switched;       // final state opposite to the initial one
  std::vector<double> record_time_s;        // [sample]
  std::vector<double> record_m;             // [trajectory][sample][3]
};

inline constexpr std::size_t kBlockLanes = 256;

// Integrates one trajectory per amplitude (heavy-metal current at the plateau, A).
MacrospinResult simulate(const SotMtjParams& params, const Waveform& waveform, std::span<const double> amplitude_A,
                         const SolverSettings& settings);

// A time step that resolves the fastest precession: gamma0 * H_scale * dt <= 0.05 rad, at most
// 1 ps, where H_scale is the spread of the anisotropy + demag stiffness plus the external and SOT
// fields at max_current_A.
double recommended_time_step_s(const SotMtjParams& params, double max_current_A);

// Time constant of the damped return to the easy axis, (1 + alpha^2) / (alpha gamma0 H_K,eff):
// how long a relaxation at zero current must last for the final state to be settled.
double relaxation_time_s(const SotMtjParams& params);

// The zero-temperature equilibrium of m near direction * easy axis (direction +1 or -1) under
// the bias field: the minimum of the energy the solver integrates,
//   E(m) = mu0 Ms V [ -H_ext . m + 1/2 sum_i (Ms N_i - H_K [i = axis]) m_i^2 ],
// found by gradient flow on the sphere from the easy axis. A device waiting for a pulse sits
// there (tilted towards the in-plane field), not on the axis. Throws core::ModelError if the field
// leaves no stable state in that hemisphere.
Vec3 equilibrium_direction(const SotMtjParams& params, int direction);

// Thermal-field standard deviation per component and step (A/m), physics.md.
double thermal_field_sigma_A_per_m(const SotMtjParams& params, double time_step_s);

}  // namespace cimmc::device
