#include "cimmc/circuit/component_cost.hpp"

#include <fmt/format.h>

#include <cmath>

#include "cimmc/core/error.hpp"

namespace cimmc::circuit {

namespace {
void check_bits(int bits, const char* what) {
  if (bits < 1 || bits > 16) throw ArgumentError(fmt::format("{}: {} bits is outside 1..16", what, bits));
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
    case AdcModel::kSurveySar:
      return {tech.survey.sar_fom_J_per_step * steps, sar_latency, sar_area};
    case AdcModel::kSurveyFlash:
      return {tech.survey.flash_fom_J_per_step * steps, tech.survey.flash_latency_s,
              (steps - 1) * tech.comparator.transistors * tech.transistor_area_m2()};
  }
  throw ArgumentError("unknown ADC model");
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
  if (levels < 2 || levels > 1024) throw ArgumentError(fmt::format("sense amplifier: {} levels is outside 2..1024", levels));
  const int comparators = levels - 1;
  return {comparators * tech.comparator.energy_J, tech.comparator.latency_s,
          comparators * tech.comparator.transistors * tech.transistor_area_m2()};
}

MtjSampleCost mtj_sample(const Technology& tech, double heavy_metal_resistance_ohm, double mean_mtj_resistance_ohm,
                         double mean_square_current_A2) {
  if (!(heavy_metal_resistance_ohm > 0) || !(mean_mtj_resistance_ohm > 0) || !(mean_square_current_A2 >= 0))
    throw ArgumentError("MTJ sample cost: resistances must be positive and <I^2> non-negative");
  MtjSampleCost c;
  c.write_J = mean_square_current_A2 * heavy_metal_resistance_ohm * tech.mtj.pulse_width_s;
  c.reset_J = c.write_J;
  c.read_J = tech.mtj.read_voltage_V * tech.mtj.read_voltage_V / mean_mtj_resistance_ohm * tech.mtj.read_time_s +
             tech.comparator.energy_J;
  c.total.energy_J = c.write_J + c.read_J + c.reset_J;
  c.total.latency_s = 2 * tech.mtj.pulse_width_s + tech.mtj.read_time_s;
  c.total.area_m2 = (tech.mtj.transistors_per_column + tech.comparator.transistors) * tech.transistor_area_m2() +
                    tech.mtj.mtj_area_F2 * tech.feature_area_m2();
  return c;
}

UnitCost shift_add(const Technology& tech, int bits) {
  if (bits < 1 || bits > 64) throw ArgumentError(fmt::format("shift-add: {} accumulator bits is outside 1..64", bits));
  const auto& d = tech.digital;
  return {bits * (d.adder_energy_J_per_bit + d.register_energy_J_per_bit), tech.clock_period_s,
          bits * (d.adder_transistors_per_bit + d.register_transistors_per_bit) * tech.transistor_area_m2()};
}

double buffer_energy_J(const Technology& tech, double bits) { return bits * tech.digital.buffer_energy_J_per_bit; }

UnitCost digital_mac(const Technology& tech) {
  return {tech.digital.mac8_energy_J, tech.clock_period_s, tech.digital.mac8_transistors * tech.transistor_area_m2()};
}

}  // namespace cimmc::circuit
