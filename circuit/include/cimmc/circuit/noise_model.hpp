// Analog non-idealities of one accumulation in a crossbar column (docs/physics.md, "Noise").
//
// A partial sum (PS) leaves the array as an exact integer: the number of unit-cell signals the
// driven cells put on a column (a cell storing level L driven with input value x carries L · x of
// them). One unit-cell signal is the column's LSB, the unit of every physical noise term, so that
// designs that sense different numbers of rows at once are compared at the same physics.
//
// model = "physical" (the default). The analog value of one sense of a sum of s unit signals is
//     v = s + (cell deviations) + offset + sqrt(s · cell_sigma_lsb² + sense_sigma_lsb²) · z,
// with z ~ N(0, 1) drawn afresh for every sense:
//  - cell deviations: static conductance deviation of every stored cell, drawn per cell and trial
//    from the device layer's storage-cell model (CrossbarLayer::set_cell_deviations);
//  - cell_sigma_lsb: per-read noise of the conducting cells, σ per unit of cell signal. Each unit
//    signal is assumed to fluctuate independently (shot- or telegraph-like current noise, whose
//    variance grows with the current), so a sum of s unit signals has variance s · σ_cell²,
//    whether they come from s one-bit cells or from fewer multi-level cells or multi-bit input
//    pulses; cells that carry no signal (level 0 or input 0) add none;
//  - sense_sigma_lsb: noise of the sense node, once per analog sense (kT/C-like): per ADC
//    conversion, per MTJ conversion input, per LCU group sense;
//  - offset_sigma_lsb: sense-amplifier offset, drawn once per sense amplifier and trial (static):
//    one per physical column read single-ended, one per differential pair (the pair's difference
//    is sensed once), one per local sense amplifier of a ZEBRA LCU (every group of G rows of a
//    column has its own).
// A differential pair's two sides are analog sums of their own cells, so their cell noise adds.
// The noise of an analog sum of n active unit cells is thus n · σ_cell² + σ_sense² plus the
// offset for a 128-row ADC column and an 8-row LCU group alike.
//
// model = "relative_full_scale": the convention of papers that quote noise as a fraction of the
// readout's own full scale FS (rows × largest cell value × largest input value; for the LCU the
// group's G × largest cell value):
//     v = PS + (cell deviations) + offset + sqrt((sigma_fraction · FS)² + (proportional_fraction · PS)²) · z,
// with the offset (offset_fraction · FS · z) drawn per physical column and trial. The same σ is then a
// different absolute noise for every readout: 1 % is 1.28 LSB on a 128-row ADC column and 0.08 LSB
// on an 8-row LCU group.
#pragma once

#include <cmath>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cimmc/core/config.hpp"

namespace cimmc::circuit {

enum class NoiseModel { kPhysical, kRelativeFullScale };
std::string_view noise_model_name(NoiseModel m);

struct NoiseParams {
  NoiseModel model = NoiseModel::kPhysical;
  // model = physical, in LSB (one unit-cell signal).
  double cell_sigma_lsb = 0.0;    // per-read σ per unit of cell signal: a sum of s has s · σ²
  double sense_sigma_lsb = 0.0;   // σ per analog sense
  double offset_sigma_lsb = 0.0;  // σ of the static offset of each sense amplifier
  // model = relative_full_scale, fractions.
  double sigma_fraction = 0.0;         // σ of the additive term / full scale
  double proportional_fraction = 0.0;  // σ of the signal-proportional term / |PS|
  double offset_fraction = 0.0;        // σ of the per-column sense-amplifier offset / full scale

  bool physical() const { return model == NoiseModel::kPhysical; }
  // Whether a Gaussian is drawn per sense.
  bool has_additive() const {
    return physical() ? cell_sigma_lsb > 0.0 || sense_sigma_lsb > 0.0
                      : sigma_fraction > 0.0 || proportional_fraction > 0.0;
  }
  bool has_offset() const { return (physical() ? offset_sigma_lsb : offset_fraction) > 0.0; }
  bool any() const { return has_additive() || has_offset(); }

  // relative_full_scale: σ (PS units) of the Gaussian term for an accumulation of exact value ps
  // and full scale fs.
  double sigma(double ps, double full_scale) const {
    const double a = sigma_fraction * full_scale, b = proportional_fraction * ps;
    return proportional_fraction > 0.0 ? std::sqrt(a * a + b * b) : a;
  }
  // physical: variance (LSB²) of one sense of an analog sum of `unit_signals` unit-cell signals.
  double sense_variance(double unit_signals) const {
    return unit_signals * cell_sigma_lsb * cell_sigma_lsb + sense_sigma_lsb * sense_sigma_lsb;
  }

  // The relative_full_scale convention, for comparisons with papers that use it.
  static NoiseParams relative_full_scale(double sigma_fraction, double proportional_fraction = 0.0,
                                         double offset_fraction = 0.0);
  // (key, message) for every field that is out of range or set (nonzero) for the other model,
  // e.g. ("noise.sigma_fraction", "..."): for parameters built in code.
  std::vector<std::pair<std::string, std::string>> problems() const;
};

// Reads the [noise] table, whose keys are the field names: model ["physical"] |
// "relative_full_scale"; with physical cell_sigma_lsb, sense_sigma_lsb, offset_sigma_lsb (LSB,
// >= 0); with relative_full_scale sigma_fraction, proportional_fraction, offset_fraction
// (fractions, >= 0; until 0.2 also read under their former names sigma, proportional and
// sense_offset, with a deprecation warning). A key of the other model is accepted only at 0
// (so that `--set noise.model=...` can switch a file's model after zeroing its keys); otherwise
// it is an error naming the file, line and key.
NoiseParams read_noise_params(core::config::TableReader& table);

}  // namespace cimmc::circuit
