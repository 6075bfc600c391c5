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

// T(1 -> 0) = 2 tau_N int_0^1 e^{U(z)} / (1 - z^2) int_z^1 e^{-U(t)} dt dz  (seconds), with the
// reduced potential U(z) = -Delta (z^2 + 2 h z): h = 0 is the field-free oracle of physics.md;
// h = H_z / H_K is a field along the axis, or the damping-like torque of a current polarized
// along the axis (h = H_DL / (alpha H_K) = I / I_c0), which acts on m_z exactly like that field
// when the particle is axially symmetric. |h| < 1.
double mean_first_passage_time_s(double delta, double neel_brown_time_s, double reduced_field = 0.0);

// The large-Delta form tau_N (sqrt(pi)/2) Delta^{-3/2} e^Delta / (1 - 1/Delta) (Brown).
double mean_first_passage_time_asymptotic_s(double delta, double neel_brown_time_s);

}  // namespace cimmc::device
