// What the crossbar engine draws per trial at its variation address (docs/architecture.md,
// section 4): the trim mismatch of the calibrated maps, MTJ-to-MTJ variation of the converters
// and their in-situ calibration (docs/physics.md).
#include "cimmc/arch/crossbar_layer.hpp"

#include <cmath>
#include <map>

#include "cimmc/core/rng.hpp"
#include "cimmc/core/rng_distributions.hpp"
#include "cimmc/device/variation.hpp"

namespace cimmc::arch {

using circuit::ReadoutKind;

void CrossbarLayer::set_variation_address(std::uint64_t seed, std::uint32_t point, std::uint32_t trial) {
  variation_ = {seed, point, trial};
  if (!config_.cell.exact()) apply_cell_model();
  else if (config_.readout.kind == ReadoutKind::kStochasticMtj &&
           (!config_.readout.mtj.trim.ideal || config_.readout.mtj.has_variation || config_.readout.mtj.trim.in_situ))
    prepare_readout();
}

circuit::AffineMap CrossbarLayer::trimmed(const circuit::AffineMap& target, std::size_t trim) const {
  const auto& t = config_.readout.mtj.trim;
  if (t.ideal) return target;
  // One trim per calibrated map of this layer; its mismatch is drawn per (layer, map) and trial.
  core::rng::Stream stream(variation_.seed, {core::rng::Purpose::kTrimMismatch, variation_.point, variation_.trial,
                                             (static_cast<std::uint64_t>(layer_id_) << 32) + trim});
  const double z_gain = core::rng::normal(stream), z_offset = core::rng::normal(stream);
  return circuit::trimmed_map(t, target, 1.0 / full_scale(), z_gain, z_offset);
}

void CrossbarLayer::prepare_mtj_variation() {
  const auto& mtj = config_.readout.mtj;
  mtj_current_gain_.clear();
  mtj_gain_estimate_.clear();
  const bool vary = mtj.has_variation && mtj.converter_device;
  if (!vary && !mtj.trim.in_situ) return;
  // The converter of physical column (subarray s, group g, output n) is device
  // layer · 2^32 + (s · G + g) · N_pad + n; it serves the maps of every input stream.
  const int groups = static_cast<int>(groups_.size()), conv = map_conversions_;
  const double nominal = vary ? device::derive(*mtj.converter_device).critical_current_A : 0.0;
  const bool in_situ = mtj.trim.in_situ;
  // In-situ calibration (docs/physics.md, "Calibration as a circuit"): the column's 50 % current
  // I50 / g is found from `calibration_pulses` pulses, a frequency with standard error
  // sqrt(0.25 / N); through the column's slope g · P'(I50) that is a current error
  // sigma_I = sqrt(0.25 / N) / (g · P'(I50)). The column's driver reference is then trimmed by
  // 1 / ĝ (quantized): the MTJ sees (g / ĝ) · I(x).
  double i50 = 0.0, slope50 = 0.0;
  if (in_situ) {
    i50 = circuit::half_switching_current(*curve_, mtj.current_at_zero_A, mtj.current_per_unit_A);
    const double h = 1e-3 * std::abs(mtj.current_per_unit_A);
    slope50 = (curve_->probability(i50 + h) - curve_->probability(i50 - h)) / (2 * h);
  }
  std::map<std::uint64_t, std::pair<double, double>> gain_of_column;
  mtj_current_gain_.assign(maps_.size() / 2, 1.0);
  if (in_situ) mtj_gain_estimate_.assign(maps_.size() / 2, 1.0);
  for (int s = 0; s < geometry_.subarrays; ++s)
    for (int q = 0; q < conv; ++q)
      for (int n = 0; n < n_pad_; ++n) {
        const std::uint64_t column = (static_cast<std::uint64_t>(layer_id_) << 32) +
                                     (static_cast<std::uint64_t>(s) * groups + q % groups) * n_pad_ + n;
        auto [it, fresh] = gain_of_column.try_emplace(column, 1.0, 1.0);
        if (fresh) {
          double g = 1.0;
          if (vary) {
            const auto f =
                device::sample_factors(mtj.variation, variation_.seed, variation_.point, variation_.trial, column);
            g = nominal / device::derive(device::apply_factors(*mtj.converter_device, f)).critical_current_A;
          }
          it->second = {g, 1.0};
          if (in_situ) {
            core::rng::Stream stream(
                variation_.seed, {core::rng::Purpose::kDeviceCalibration, variation_.point, variation_.trial, column});
            const double sigma_i = std::sqrt(0.25 / mtj.trim.calibration_pulses) / (g * slope50);
            const double estimate = mtj.current_at_zero_A / (i50 / g + sigma_i * core::rng::normal(stream));
            it->second = {g * circuit::current_trim(mtj.trim, 1.0 / estimate), estimate};
          }
        }
        const auto map = static_cast<std::size_t>(map_of(s, q, n));
        mtj_current_gain_[map] = it->second.first;
        if (in_situ) mtj_gain_estimate_[map] = it->second.second;
      }
}

}  // namespace cimmc::arch
