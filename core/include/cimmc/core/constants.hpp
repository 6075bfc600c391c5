// Physical constants (CODATA 2018, exact where the SI defines them) and unit conventions.
// Code is in SI; where the unit is not obvious it is part of the name: pulse_width_s, current_A,
// field_A_per_m, energy_J.
#pragma once

namespace cimmc::core::constants {

inline constexpr double kPi = 3.14159265358979323846;
// Exact in the 2019 SI.
inline constexpr double kElementaryCharge_C = 1.602176634e-19;
inline constexpr double kPlanck_Js = 6.62607015e-34;
inline constexpr double kHbar_Js = kPlanck_Js / (2.0 * kPi);  // 1.054571817e-34
inline constexpr double kBoltzmann_J_per_K = 1.380649e-23;
// CODATA 2018 measured values.
inline constexpr double kMu0_H_per_m = 1.25663706212e-6;
// Electron gyromagnetic ratio |gamma_e| (CODATA 2018: 1.76085963023e11 s^-1 T^-1).
inline constexpr double kGammaElectron_per_s_per_T = 1.76085963023e11;
// gamma_0 = mu0 |gamma_e|, the prefactor of the LL equation with fields in A/m.
inline constexpr double kGamma0_m_per_A_s = kMu0_H_per_m * kGammaElectron_per_s_per_T;
inline constexpr double kBohrMagneton_J_per_T = 9.2740100783e-24;

}  // namespace cimmc::core::constants
