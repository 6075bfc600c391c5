// Exact results for a uniaxial macrospin without field or current (physics.md, oracles 1-2):
// the Boltzmann distribution P(m_z) ~ exp(Delta m_z^2) and the axisymmetric mean first-passage
// time from m_z = 1 to m_z = 0 (evaluated by quadrature). They are the physics tests' oracles and
// the reference for fitted thermal-activation models.
#pragma once

namespace cimmc::device {

// <m_z^2> in equilibrium = int z^2 e^{D z^2} dz / int e^{D z^2} dz over [-1, 1].
double boltzmann_mean_mz2(double delta);

// Probability that m_z lies in [a, b] (-1 <= a <= b <= 1) in equilibrium.
double boltzmann_probability(double delta, double a, double b);

// T(1 -> 0) = 2 tau_N int_0^1 e^{-D z^2} / (1 - z^2) int_z^1 e^{D t^2} dt dz  (seconds).
double mean_first_passage_time_s(double delta, double neel_brown_time_s);

// The large-Delta form tau_N (sqrt(pi)/2) Delta^{-3/2} e^Delta / (1 - 1/Delta) (Brown).
double mean_first_passage_time_asymptotic_s(double delta, double neel_brown_time_s);

}  // namespace cimmc::device
