// Energy, latency and area of one operation of each circuit component, from a Technology
// table: an ADC conversion, a word-line activation, a bit-line read, an LCU sense, a stochastic
// MTJ sample, one shift-add into an accumulator, a buffer access, a digital MAC. The arch
// layer's roll-up multiplies these by the crossbar's operation counts.
#pragma once

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

// One stochastic-MTJ sample: write pulse I²·R_HM·t_pulse with ⟨I²⟩ given, a read at
// V_read²/R_mean·t_read plus one comparator, and a reset pulse equal to the write pulse.
// Latency: write + read + reset. Area: the column's drivers, read access and comparator.
struct MtjSampleCost {
  double write_J = 0, read_J = 0, reset_J = 0;
  UnitCost total;
};
MtjSampleCost mtj_sample(const Technology& tech, double heavy_metal_resistance_ohm, double mean_mtj_resistance_ohm,
                         double mean_square_current_A2);

// One addition into a `bits`-bit accumulator (adder + register), one clock; area of the adder
// and register.
UnitCost shift_add(const Technology& tech, int bits);

// Moving `bits` bits through the on-chip buffer.
double buffer_energy_J(const Technology& tech, double bits);

// One 8-bit digital MAC (layers kept digital).
UnitCost digital_mac(const Technology& tech);

}  // namespace cimmc::circuit
