// Energy, latency and area of one operation of each circuit component, from a Technology
// table: an ADC conversion, a word-line activation, a bit-line read, an LCU sense, a stochastic
// MTJ sample, one shift-add into an accumulator, a buffer access, a digital MAC. The arch
// layer's roll-up multiplies these by the crossbar's operation counts.
#pragma once

#include <string>

#include "cimmc/circuit/readout.hpp"
#include "cimmc/circuit/switching_curve.hpp"
#include "cimmc/circuit/technology.hpp"

namespace cimmc::circuit {

// One operation of a component: energy per operation, latency of one operation, and the area
// of one instance of the component.
struct UnitCost {
  double energy_J = 0;
  double latency_s = 0;
  double area_m2 = 0;
};

// One N-bit conversion. NeuroSim SAR: E = (a N + b)·(N + 1)·t_bit, latency (N + 1)·t_bit, area
// from its transistor counts. Survey models: E = FoM·2^N; SAR latency as NeuroSim's, flash one
// cycle; flash area (2^N - 1) comparators, survey SAR area as NeuroSim's.
UnitCost adc_conversion(const Technology& tech, AdcModel model, int bits);

// Driving one word line across `columns` cells: C_WL·columns·V_DD².
double wordline_activation_energy_J(const Technology& tech, int columns);
// Reading one bit line of `rows` cells: C_BL·rows·V_DD·V_swing.
double bitline_read_energy_J(const Technology& tech, int rows);
// Area of a rows × columns array of cells.
double array_area_m2(const Technology& tech, int rows, int columns);

// One sense of an L-level sense amplifier (a flash of L - 1 comparators).
UnitCost multilevel_sense(const Technology& tech, int levels);

// The stochastic-MTJ converter as priced (docs/cost.md): the device it samples (its heavy-metal
// and junction resistances) and the currents the readout drives through that device.
struct MtjConverter {
  std::string device;  // preset name of the sampled (= priced) device
  double heavy_metal_resistance_ohm = 0;
  double resistance_parallel_ohm = 0, resistance_antiparallel_ohm = 0;
  double pulse_width_s = 0;           // write pulse; the reset pulse has the same width
  double mean_abs_current_A = 0;      // ⟨|I|⟩ of the write pulse
  double mean_square_current_A2 = 0;  // ⟨I²⟩ of the write pulse
  double max_abs_current_A = 0;       // largest |I(x)| for x in [-1, 1]
  double reset_current_A = 0;         // |I| of the reset pulse
};

// The converter's operating point for a readout and the switching curve it samples, with the
// resistances of its device. The write current is I(x) = current_at_zero_A + x·current_per_unit_A
// with x = clamp(z / calibration_sigmas, -1, 1), z standard normal: the calibrated map of a
// Gaussian PS. The reset pulse drives −I_reset with P_sw(I_reset) = reset_probability (the
// reverse switch mirrors the forward one: docs/cost.md); a curve that never reaches it throws
// core::ModelError (such an MTJ cannot be reset reliably).
MtjConverter mtj_converter(const MtjParams& readout, const SwitchingCurve& curve, std::string device,
                           double heavy_metal_resistance_ohm, double resistance_parallel_ohm,
                           double resistance_antiparallel_ohm, double reset_probability);

// One stochastic-MTJ sample (write pulse, read, reset pulse), as energy drawn from the supplies:
//  - write: the driver, a current source on mtj.driver_supply_V, draws V·⟨|I|⟩·t_pulse; of that,
//    ⟨I²⟩·R_HM·t_pulse heats the heavy metal and the rest drops across the driver;
//  - read: V_read across the junction (mean of its two states) and across a reference resistor
//    at (R_P + R_AP)/2, both fed from technology.supply_V for mtj.read_time_s, plus one comparator;
//  - reset: as the write, at I_reset.
// The driver must have headroom: max|I|·R_HM <= driver_supply_V, else core::ModelError.
// Latency: write + read + reset. Area: the column's drivers, read access and comparator, and the
// MTJ pillar.
struct MtjSampleCost {
  double write_J = 0, write_heavy_metal_J = 0, write_driver_J = 0;
  double read_J = 0, read_junction_J = 0, read_reference_J = 0, read_comparator_J = 0;
  double reset_J = 0, reset_heavy_metal_J = 0, reset_driver_J = 0;
  UnitCost total;
};
MtjSampleCost mtj_sample(const Technology& tech, const MtjConverter& converter);

// One addition into a `bits`-bit accumulator (adder + register), one clock; area of the adder
// and register.
UnitCost shift_add(const Technology& tech, int bits);

// Moving `bits` bits through the on-chip buffer.
double buffer_energy_J(const Technology& tech, double bits);

// One 8-bit digital MAC (layers kept digital).
UnitCost digital_mac(const Technology& tech);

}  // namespace cimmc::circuit
