#include "cimmc/circuit/component_cost.hpp"

#include <fmt/format.h>

#include <cmath>
#include <numbers>

#include "cimmc/core/error.hpp"

namespace cimmc::circuit {

namespace {
void check_bits(int bits, const char* what) {
  if (bits < 1 || bits > 16) throw core::ArgumentError(fmt::format("{}: {} bits is outside 1..16", what, bits));
}
}  // namespace

UnitCost adc_conversion(const Technology& tech, AdcModel model, int bits) {
  check_bits(bits, "ADC");
  const auto& s = tech.sar;
  const double sar_latency = (bits + 1) * s.bit_time_s;
  const double sar_area = tech.transistor_area_m2() *
                          (s.nmos_base + s.nmos_per_bit * (bits - 1) + s.pmos_base + s.pmos_per_bit * (bits - 1));
  const double steps = std::ldexp(1.0, bits);
  switch (model) {
    case AdcModel::kNeuroSimSar:
      return {(s.power_per_bit_W * bits + s.power_offset_W) * sar_latency, sar_latency, sar_area};
    case AdcModel::kSurveySar: return {tech.survey.sar_fom_J_per_step * steps, sar_latency, sar_area};
    case AdcModel::kSurveyFlash:
      return {tech.survey.flash_fom_J_per_step * steps, tech.survey.flash_latency_s,
              (steps - 1) * tech.comparator.transistors * tech.transistor_area_m2()};
  }
  throw core::ArgumentError("unknown ADC model");
}

double wordline_activation_energy_J(const Technology& tech, int columns) {
  return tech.array.wordline_capacitance_F_per_cell * columns * tech.supply_V * tech.supply_V;
}

double bitline_read_energy_J(const Technology& tech, int rows) {
  return tech.array.bitline_capacitance_F_per_cell * rows * tech.supply_V * tech.array.bitline_swing_V;
}

double array_area_m2(const Technology& tech, int rows, int columns) {
  return tech.array.cell_area_F2 * tech.feature_area_m2() * rows * columns;
}

UnitCost multilevel_sense(const Technology& tech, int levels) {
  if (levels < 2 || levels > 1024)
    throw core::ArgumentError(fmt::format("sense amplifier: {} levels is outside 2..1024", levels));
  const int comparators = levels - 1;
  return {comparators * tech.comparator.energy_J, tech.comparator.latency_s,
          comparators * tech.comparator.transistors * tech.transistor_area_m2()};
}

MtjConverter mtj_converter(const MtjParams& readout, const SwitchingCurve& curve, std::string device,
                           double heavy_metal_resistance_ohm, double resistance_parallel_ohm,
                           double resistance_antiparallel_ohm, double reset_probability) {
  if (!(heavy_metal_resistance_ohm > 0) || !(resistance_parallel_ohm > 0) || !(resistance_antiparallel_ohm > 0))
    throw core::ArgumentError(fmt::format("MTJ converter {}: resistances must be positive", device));
  if (!(reset_probability > 0 && reset_probability < 1))
    throw core::ArgumentError(
        fmt::format("MTJ converter {}: reset probability {} is outside (0, 1)", device, reset_probability));
  MtjConverter c;
  c.device = std::move(device);
  c.heavy_metal_resistance_ohm = heavy_metal_resistance_ohm;
  c.resistance_parallel_ohm = resistance_parallel_ohm;
  c.resistance_antiparallel_ohm = resistance_antiparallel_ohm;
  c.pulse_width_s = readout.pulse_width_s;
  const double i0 = readout.current_at_zero_A, i1 = readout.current_per_unit_A;
  const auto current = [&](double x) { return i0 + x * i1; };
  // ⟨|I|⟩ and ⟨I²⟩ over x = clamp(z / c, -1, 1): the clipped tails put mass 2Φ(-c) at x = ±1,
  // the interior is integrated by the midpoint rule over z in (-c, c).
  const double cs = readout.calibration_sigmas;
  const double tail = 0.5 * std::erfc(cs / std::sqrt(2.0));
  double abs_sum = tail * (std::abs(current(-1)) + std::abs(current(1)));
  double sq_sum = tail * (current(-1) * current(-1) + current(1) * current(1));
  constexpr int kSteps = 4000;
  const double dz = 2 * cs / kSteps;
  for (int i = 0; i < kSteps; ++i) {
    const double z = -cs + (i + 0.5) * dz;
    const double w = std::exp(-0.5 * z * z) / std::sqrt(2 * std::numbers::pi) * dz;
    const double current_A = current(z / cs);
    abs_sum += w * std::abs(current_A);
    sq_sum += w * current_A * current_A;
  }
  c.mean_abs_current_A = abs_sum;
  c.mean_square_current_A2 = sq_sum;
  c.max_abs_current_A = std::max(std::abs(current(-1)), std::abs(current(1)));
  // Reset current: the smallest I >= I(x = 1) with P_sw(I) >= reset_probability, by doubling the
  // step past I(1) and bisection.
  const double start = std::max(current(-1), current(1));
  double lo = start, step = std::max(std::abs(i1), 1e-9), hi = start;
  int doublings = 0;
  while (curve.probability(hi) < reset_probability) {
    if (++doublings > 40)
      throw core::ModelError(
          fmt::format("MTJ converter {}: its switching curve never reaches P = {} (at {} A it is {}); "
                      "the MTJ cannot be reset reliably",
                      c.device, reset_probability, hi, curve.probability(hi)));
    lo = hi;
    hi += step;
    step *= 2;
  }
  for (int it = 0; it < 60 && hi > lo; ++it) {
    const double mid = 0.5 * (lo + hi);
    (curve.probability(mid) < reset_probability ? lo : hi) = mid;
  }
  c.reset_current_A = std::abs(hi);
  return c;
}

MtjSampleCost mtj_sample(const Technology& tech, const MtjConverter& m) {
  if (!(m.heavy_metal_resistance_ohm > 0) || !(m.resistance_parallel_ohm > 0) || !(m.resistance_antiparallel_ohm > 0) ||
      !(m.pulse_width_s > 0) || !(m.mean_square_current_A2 >= 0) || !(m.mean_abs_current_A >= 0))
    throw core::ArgumentError(
        fmt::format("MTJ sample cost ({}): resistances and pulse width must be positive", m.device));
  const double v = tech.mtj.driver_supply_V;
  const double drop = std::max(m.max_abs_current_A, m.reset_current_A) * m.heavy_metal_resistance_ohm;
  if (drop > v)
    throw core::ModelError(
        fmt::format("MTJ converter {}: {:.3g} A through the {:.4g} Ohm heavy metal needs {:.3g} V, more than "
                    "the driver supply mtj.driver_supply_V = {} V",
                    m.device, std::max(m.max_abs_current_A, m.reset_current_A), m.heavy_metal_resistance_ohm, drop, v));
  MtjSampleCost c;
  const double t = m.pulse_width_s;
  c.write_J = v * m.mean_abs_current_A * t;
  c.write_heavy_metal_J = m.mean_square_current_A2 * m.heavy_metal_resistance_ohm * t;
  c.write_driver_J = c.write_J - c.write_heavy_metal_J;
  c.reset_J = v * m.reset_current_A * t;
  c.reset_heavy_metal_J = m.reset_current_A * m.reset_current_A * m.heavy_metal_resistance_ohm * t;
  c.reset_driver_J = c.reset_J - c.reset_heavy_metal_J;
  const double vr = tech.mtj.read_voltage_V, tr = tech.mtj.read_time_s;
  const double junction_conductance = 0.5 * (1 / m.resistance_parallel_ohm + 1 / m.resistance_antiparallel_ohm);
  const double reference_conductance = 2 / (m.resistance_parallel_ohm + m.resistance_antiparallel_ohm);
  c.read_junction_J = tech.supply_V * vr * junction_conductance * tr;
  c.read_reference_J = tech.supply_V * vr * reference_conductance * tr;
  c.read_comparator_J = tech.comparator.energy_J;
  c.read_J = c.read_junction_J + c.read_reference_J + c.read_comparator_J;
  c.total.energy_J = c.write_J + c.read_J + c.reset_J;
  c.total.latency_s = 2 * t + tr;
  c.total.area_m2 = (tech.mtj.transistors_per_column + tech.comparator.transistors) * tech.transistor_area_m2() +
                    tech.mtj.mtj_area_F2 * tech.feature_area_m2();
  return c;
}

UnitCost shift_add(const Technology& tech, int bits) {
  if (bits < 1 || bits > 64)
    throw core::ArgumentError(fmt::format("shift-add: {} accumulator bits is outside 1..64", bits));
  const auto& d = tech.digital;
  return {bits * (d.adder_energy_J_per_bit + d.register_energy_J_per_bit), tech.clock_period_s,
          bits * (d.adder_transistors_per_bit + d.register_transistors_per_bit) * tech.transistor_area_m2()};
}

double buffer_energy_J(const Technology& tech, double bits) { return bits * tech.digital.buffer_energy_J_per_bit; }

UnitCost digital_mac(const Technology& tech) {
  return {tech.digital.mac8_energy_J, tech.clock_period_s, tech.digital.mac8_transistors * tech.transistor_area_m2()};
}

}  // namespace cimmc::circuit
