#include "cimmc/circuit/trim.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace cimmc::circuit {

TrimParams read_trim_params(core::config::TableReader& t) {
  TrimParams p;
  std::string model = p.ideal ? "ideal" : "circuit";
  t.optional("model", model);
  if (model == "ideal") p.ideal = true;
  else if (model == "circuit") p.ideal = false;
  else
    t.check(false, "model", "\"ideal\" (the calibrated map exactly) or \"circuit\" (finite resolution and mismatch)");
  t.optional("gain_bits", p.gain_bits);
  t.check(p.gain_bits >= 1 && p.gain_bits <= 16, "gain_bits", "an integer in [1, 16]");
  t.optional("gain_max", p.gain_max);
  t.check(p.gain_max > 1 && std::isfinite(p.gain_max), "gain_max", "a gain ratio > 1 over the full-scale map");
  t.optional("offset_bits", p.offset_bits);
  t.check(p.offset_bits >= 1 && p.offset_bits <= 16, "offset_bits", "an integer in [1, 16]");
  t.optional("offset_range", p.offset_range);
  t.check(p.offset_range > 0 && std::isfinite(p.offset_range), "offset_range", "a positive offset range in x units");
  t.optional("gain_mismatch", p.gain_mismatch);
  t.check(p.gain_mismatch >= 0 && p.gain_mismatch < 0.5, "gain_mismatch", "a relative standard deviation in [0, 0.5)");
  t.optional("offset_mismatch", p.offset_mismatch);
  t.check(p.offset_mismatch >= 0 && std::isfinite(p.offset_mismatch), "offset_mismatch",
          "a standard deviation >= 0 in x units");
  std::string calibration = p.in_situ ? "in_situ" : "none";
  t.optional("device_calibration", calibration);
  if (calibration == "none") p.in_situ = false;
  else if (calibration == "in_situ") p.in_situ = true;
  else
    t.check(false, "device_calibration",
            "\"none\" (trim set for the nominal MTJ) or \"in_situ\" (each MTJ's own 50 % current measured)");
  t.optional("calibration_pulses", p.calibration_pulses);
  t.check(p.calibration_pulses >= 1 && p.calibration_pulses <= (1 << 24), "calibration_pulses",
          "an integer in [1, 16777216]");
  t.optional("current_trim_bits", p.current_trim_bits);
  t.check(p.current_trim_bits >= 1 && p.current_trim_bits <= 16, "current_trim_bits", "an integer in [1, 16]");
  t.optional("current_trim_range", p.current_trim_range);
  t.check(p.current_trim_range > 0 && p.current_trim_range < 1, "current_trim_range",
          "a relative range in (0, 1): codes over [1 - range, 1 + range]");
  t.finish();
  return p;
}

AffineMap trimmed_map(const TrimParams& trim, const AffineMap& target, double nominal_scale, double z_gain,
                      double z_offset) {
  if (trim.ideal) return target;
  // Gain: the nearest log-spaced code (gains below 1 or above gain_max clip to the ends).
  const double codes = std::ldexp(1.0, trim.gain_bits) - 1;
  const double gain = std::abs(target.scale / nominal_scale);
  const double code =
      std::clamp(std::round(std::log(std::max(gain, 1.0)) / std::log(trim.gain_max) * codes), 0.0, codes);
  const double gain_q = std::pow(trim.gain_max, code / codes) * (1 + trim.gain_mismatch * z_gain);
  // Offset: the nearest of the evenly spaced codes over [-range, range].
  const double ocodes = std::ldexp(1.0, trim.offset_bits) - 1;
  const double step = 2 * trim.offset_range / ocodes;
  const double index = std::clamp(std::round((target.offset + trim.offset_range) / step), 0.0, ocodes);
  const double offset_q = -trim.offset_range + index * step + trim.offset_mismatch * z_offset;
  return {std::copysign(gain_q * std::abs(nominal_scale), target.scale), offset_q};
}

double current_trim(const TrimParams& trim, double ratio) {
  if (trim.ideal) return ratio;
  const double codes = std::ldexp(1.0, trim.current_trim_bits) - 1;
  const double lo = 1 - trim.current_trim_range, step = 2 * trim.current_trim_range / codes;
  return lo + std::clamp(std::round((ratio - lo) / step), 0.0, codes) * step;
}

}  // namespace cimmc::circuit
