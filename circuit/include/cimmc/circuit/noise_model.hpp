// Analog non-idealities of one accumulation in a crossbar column (DESIGN.md, circuit).
//
// A partial sum (PS) leaves the array as an exact integer; the analog value that reaches the
// readout is
//     v = PS · (cell deviations) + offset(column) + σ(PS) · z,   z ~ N(0, 1),
//     σ(PS) = sqrt( (sigma_fraction · FS)² + (proportional_fraction · |PS|)² ),
// where FS is that accumulation's full scale (rows × largest cell value): the usual convention
// for "typical noise" quoted as a percentage of full scale. The per-column sense-amplifier
// offset is drawn once per physical column and trial (offset_fraction · FS · z). Per-cell
// conductance deviations (in units of the level step, one per stored cell) come from the device
// layer's storage-cell model; the crossbar engine adds those of the cells on driven rows.
#pragma once

#include <cmath>

#include "cimmc/core/config.hpp"

namespace cimmc::circuit {

struct NoiseParams {
  double sigma_fraction = 0.0;         // σ of the additive term / full scale
  double proportional_fraction = 0.0;  // σ of the signal-proportional term / |PS|
  double offset_fraction = 0.0;        // σ of the per-column sense-amplifier offset / full scale

  bool has_additive() const { return sigma_fraction > 0.0 || proportional_fraction > 0.0; }
  bool any() const { return has_additive() || offset_fraction > 0.0; }

  // σ (in PS units) of the Gaussian term for an accumulation of exact value ps and full scale fs.
  double sigma(double ps, double full_scale) const {
    const double a = sigma_fraction * full_scale, b = proportional_fraction * ps;
    return proportional_fraction > 0.0 ? std::sqrt(a * a + b * b) : a;
  }
};

// Reads the [noise] table: sigma, proportional, sense_offset (all fractions, >= 0).
NoiseParams read_noise_params(config::TableReader& table);

}  // namespace cimmc::circuit
