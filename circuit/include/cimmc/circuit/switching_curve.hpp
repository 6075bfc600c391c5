// Switching probability of the readout MTJ as a function of the heavy-metal current: the seam
// between the stochastic readout (circuit) and the device layer's switching models.
//
// The readout maps a normalized partial sum x in [-1, 1] to a current
//     I(x) = current_at_zero_A + x · current_per_unit_A
// and asks a SwitchingCurve for P_sw(I). Two curves live here: the sigmoid abstraction of the
// stochastic-PS paper's code (P = sigmoid(a·x), expressed in current through the same map),
// and a tabulated curve (points of I and P, monotone piecewise-linear in between) that any
// source can fill — the device layer's lookup table at one pulse width, a measured curve, or
// an inline table in a hardware file.
#pragma once

#include <memory>
#include <span>
#include <vector>

namespace cimmc::device {
class SwitchingTable;
}

namespace cimmc::circuit {

class SwitchingCurve {
 public:
  virtual ~SwitchingCurve() = default;
  // Probability in [0, 1] that one write pulse of current_A switches the MTJ.
  virtual double probability(double current_A) const = 0;
  // probability() of every current, into `out` (of the same size), each value bit for bit what
  // probability() gives: the readout asks for a block of analog partial sums in one call.
  virtual void probabilities(std::span<const double> current_A, std::span<double> out) const;
};

// P = 1 / (1 + exp(-(I - I50) / width_A)); with I50 = current_at_zero_A and
// width_A = current_per_unit_A / a this is sigmoid(a·x).
class SigmoidSwitchingCurve final : public SwitchingCurve {
 public:
  SigmoidSwitchingCurve(double current_50_A, double width_A);
  double probability(double current_A) const override;

 private:
  double current_50_A_, width_A_;
};

// Piecewise-linear in current between tabulated points, clamped to the end values outside.
// Currents must increase strictly; probabilities must lie in [0, 1] and not decrease (a
// switching curve is monotone in current); violations throw core::ArgumentError naming the index.
class TabulatedSwitchingCurve final : public SwitchingCurve {
 public:
  TabulatedSwitchingCurve(std::vector<double> current_A, std::vector<double> probability);
  double probability(double current_A) const override;
  // The block evaluation of the base class, beside the accessor of the tabulated points below.
  using SwitchingCurve::probabilities;
  std::span<const double> currents_A() const { return current_A_; }
  std::span<const double> probabilities() const { return probability_; }

 private:
  std::vector<double> current_A_, probability_;
};

// The device layer's switching lookup table (Monte Carlo over the LLG or thermal activation) at
// one pulse width: P_sw(I) = table.probability(I, pulse_width_s), sampled at construction on
// kLutPoints evenly spaced currents over the table's range and interpolated linearly (the
// interpolation error is below 1e-5 for tables of a few tens of points; tested).
class DeviceTableSwitchingCurve final : public SwitchingCurve {
 public:
  static constexpr int kLutPoints = 4096;
  DeviceTableSwitchingCurve(std::shared_ptr<const device::SwitchingTable> table, double pulse_width_s);
  double probability(double current_A) const override;
  void probabilities(std::span<const double> current_A, std::span<double> out) const override;

 private:
  std::shared_ptr<const device::SwitchingTable> table_;
  double pulse_width_s_;
  double lo_ = 0.0, step_ = 1.0;
  std::vector<double> lut_;
};

// The current where a monotone curve switches with probability 1/2, found by bisection within
// current_at_zero_A ± 16 · |current_per_unit_A| (the end of that range if the curve does not
// cross 1/2 inside it).
double half_switching_current(const SwitchingCurve& curve, double current_at_zero_A, double current_per_unit_A);

}  // namespace cimmc::circuit
