// The trim circuit ahead of the stochastic MTJ converter (docs/physics.md, "Calibration"): the
// affine map x = scale·PS + offset that calibration computes per column and conversion is
// realized by a programmable gain stage and an offset DAC, each set by a few bits over a finite
// range and each off by its own mismatch. The "ideal" model applies the calibrated map exactly
// and is named as such (no chip gets it); "circuit" quantizes and perturbs it.
#pragma once

#include "cimmc/circuit/readout_map.hpp"
#include "cimmc/core/config.hpp"

namespace cimmc::circuit {

struct TrimParams {
  bool ideal = true;  // model = "ideal" | "circuit"
  // Gain relative to the full-scale map (scale 1/FS): 2^gain_bits codes spaced evenly in log
  // between 1 and gain_max (a ratio of gain_max^(1/(2^bits - 1)) per code); larger gains clip.
  int gain_bits = 8;
  double gain_max = 256.0;
  // Offset in x units: 2^offset_bits codes spaced evenly over [-offset_range, offset_range].
  int offset_bits = 8;
  double offset_range = 8.0;
  // Mismatch, drawn per trim and trial: relative σ of the gain, σ of the offset in x units.
  double gain_mismatch = 0.0;
  double offset_mismatch = 0.0;
  // In-situ calibration of each converter MTJ (docs/physics.md, "Calibration as a circuit"):
  // "none" drives every MTJ as the nominal device; "in_situ" measures each column's own 50 %
  // switching current with `calibration_pulses` pulses and trims the column's driver reference
  // current by the measured ratio (with the measurement's sampling error): a current-scale trim
  // of 2^current_trim_bits codes spaced evenly over [1 − current_trim_range, 1 + current_trim_range]
  // (exact for the ideal model).
  bool in_situ = false;  // device_calibration = "none" | "in_situ"
  int calibration_pulses = 1024;
  int current_trim_bits = 8;
  double current_trim_range = 0.5;
};

// Reads a [readout.mtj.trim] table (all keys optional; problems go to the table's Problems).
TrimParams read_trim_params(core::config::TableReader& table);

// The map a trim realizes for the calibrated `target`, with full-scale scale `nominal_scale`
// (1/FS) and the trim's mismatch draws z_gain, z_offset (standard normals). The ideal model
// returns `target`.
AffineMap trimmed_map(const TrimParams& trim, const AffineMap& target, double nominal_scale, double z_gain,
                      double z_offset);

// The driver-reference scale the current trim realizes for the wanted `ratio` (the nearest code,
// clipped to the range; `ratio` itself for the ideal model).
double current_trim(const TrimParams& trim, double ratio);

}  // namespace cimmc::circuit
