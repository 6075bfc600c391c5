#include "cimmc/circuit/switching_curve.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "cimmc/core/error.hpp"
#include "cimmc/device/switching_table.hpp"

namespace cimmc::circuit {

void SwitchingCurve::probabilities(std::span<const double> current_A, std::span<double> out) const {
  if (out.size() != current_A.size())
    throw core::ArgumentError(
        fmt::format("switching curve: {} currents but room for {} probabilities", current_A.size(), out.size()));
  for (std::size_t i = 0; i < current_A.size(); ++i) out[i] = probability(current_A[i]);
}

SigmoidSwitchingCurve::SigmoidSwitchingCurve(double current_50_A, double width_A)
    : current_50_A_(current_50_A), width_A_(width_A) {
  if (!(width_A > 0.0) || !std::isfinite(width_A) || !std::isfinite(current_50_A))
    throw core::ArgumentError(
        fmt::format("sigmoid switching curve: width {} A must be finite and > 0 (I50 = {} A)", width_A, current_50_A));
}

double SigmoidSwitchingCurve::probability(double current_A) const {
  return 1.0 / (1.0 + std::exp(-(current_A - current_50_A_) / width_A_));
}

TabulatedSwitchingCurve::TabulatedSwitchingCurve(std::vector<double> current_A, std::vector<double> probability)
    : current_A_(std::move(current_A)), probability_(std::move(probability)) {
  if (current_A_.size() != probability_.size() || current_A_.size() < 2)
    throw core::ArgumentError(
        fmt::format("tabulated switching curve: needs at least 2 points and as many currents as "
                    "probabilities, found {} currents and {} probabilities",
                    current_A_.size(), probability_.size()));
  for (std::size_t i = 0; i < current_A_.size(); ++i) {
    if (!(probability_[i] >= 0.0 && probability_[i] <= 1.0))
      throw core::ArgumentError(
          fmt::format("tabulated switching curve: probability[{}] = {} is not in [0, 1]", i, probability_[i]));
    if (i > 0 && !(current_A_[i] > current_A_[i - 1]))
      throw core::ArgumentError(
          fmt::format("tabulated switching curve: current[{}] = {} A does not exceed current[{}] = {} A", i,
                      current_A_[i], i - 1, current_A_[i - 1]));
    if (i > 0 && probability_[i] < probability_[i - 1])
      throw core::ArgumentError(
          fmt::format("tabulated switching curve: probability[{}] = {} is below probability[{}] = {} "
                      "(the curve must not decrease with current)",
                      i, probability_[i], i - 1, probability_[i - 1]));
  }
}

double TabulatedSwitchingCurve::probability(double current_A) const {
  // NaN reads the first point, as the device table's curve does (the search below needs an order).
  if (!(current_A > current_A_.front())) return probability_.front();
  if (current_A >= current_A_.back()) return probability_.back();
  const auto it = std::upper_bound(current_A_.begin(), current_A_.end(), current_A);
  const std::size_t hi = static_cast<std::size_t>(it - current_A_.begin()), lo = hi - 1;
  const double f = (current_A - current_A_[lo]) / (current_A_[hi] - current_A_[lo]);
  return probability_[lo] + f * (probability_[hi] - probability_[lo]);
}

DeviceTableSwitchingCurve::DeviceTableSwitchingCurve(std::shared_ptr<const device::SwitchingTable> table,
                                                     double pulse_width_s)
    : table_(std::move(table)), pulse_width_s_(pulse_width_s) {
  if (!table_ || !(pulse_width_s > 0.0))
    throw core::ArgumentError(
        fmt::format("device-table switching curve: needs a table and a pulse width > 0 s (found {} s)", pulse_width_s));
  // The table at this pulse width on a uniform grid of the table's current range, read by linear
  // interpolation: the readout asks for P once per analog PS, and a PCHIP evaluation with its
  // search costs several times more. Outside the range the table's edge values hold, as in the
  // table itself.
  const auto& currents = table_->currents_A();
  lo_ = currents.front();
  const double hi = currents.back();
  step_ = (hi - lo_) / (kLutPoints - 1);
  lut_.resize(kLutPoints);
  for (int i = 0; i < kLutPoints; ++i)
    lut_[static_cast<std::size_t>(i)] = table_->probability(lo_ + i * step_, pulse_width_s_);
}

double DeviceTableSwitchingCurve::probability(double current_A) const {
  const double u = (current_A - lo_) / step_;
  if (!(u > 0.0)) return lut_.front();
  if (u >= kLutPoints - 1) return lut_.back();
  const auto i = static_cast<std::size_t>(u);
  const double f = u - static_cast<double>(i);
  return lut_[i] + f * (lut_[i + 1] - lut_[i]);
}

void DeviceTableSwitchingCurve::probabilities(std::span<const double> current_A, std::span<double> out) const {
  if (out.size() != current_A.size())
    throw core::ArgumentError(fmt::format("device-table switching curve: {} currents but room for {} probabilities",
                                          current_A.size(), out.size()));
  // probability()'s arithmetic without its branches or a virtual call per current: the index is
  // clamped to a valid segment and the edge values are selected afterwards, as probability()
  // returns them. (GCC 12 leaves the loop scalar: its lookups would be gathers.)
  const double* lut = lut_.data();
  const double lo = lo_, step = step_, last = kLutPoints - 1;
  const double front = lut_.front(), back = lut_.back();
  const std::size_t n = current_A.size();
  const double* c = current_A.data();
  double* o = out.data();
  for (std::size_t k = 0; k < n; ++k) {
    const double u = (c[k] - lo) / step;
    const double low = u > 0.0 ? u : 0.0;  // NaN gives 0 (`front` below)
    const int i = static_cast<int>(low < last - 1.0 ? low : last - 1.0);
    const double f = u - static_cast<double>(i);
    const double p = lut[i] + f * (lut[i + 1] - lut[i]);
    o[k] = !(u > 0.0) ? front : (u >= last ? back : p);
  }
}

double half_switching_current(const SwitchingCurve& curve, double current_at_zero_A, double current_per_unit_A) {
  double lo = current_at_zero_A - 16 * std::abs(current_per_unit_A),
         hi = current_at_zero_A + 16 * std::abs(current_per_unit_A);
  if (curve.probability(lo) >= 0.5) return lo;
  if (curve.probability(hi) <= 0.5) return hi;
  for (int i = 0; i < 100 && hi - lo > 1e-12 * std::abs(hi); ++i) {
    const double mid = 0.5 * (lo + hi);
    (curve.probability(mid) < 0.5 ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

}  // namespace cimmc::circuit
