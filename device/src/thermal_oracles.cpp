#include "cimmc/device/thermal_oracles.hpp"

#include <fmt/format.h>

#include <cmath>
#include <vector>

#include "cimmc/core/error.hpp"

namespace cimmc::device {

namespace {
constexpr double kPi = 3.14159265358979323846;

// Composite Simpson on [a, b] with n (even) intervals.
template <typename F>
double simpson(F f, double a, double b, int n) {
  const double h = (b - a) / n;
  double s = f(a) + f(b);
  for (int i = 1; i < n; ++i) s += (i % 2 ? 4.0 : 2.0) * f(a + i * h);
  return s * h / 3.0;
}

void check_delta(double delta) {
  if (!(delta >= 0) || !std::isfinite(delta) || delta > 200)
    throw core::ArgumentError(fmt::format("thermal stability {} out of range: expected 0 <= Delta <= 200", delta));
}
}  // namespace

double boltzmann_mean_mz2(double delta) {
  check_delta(delta);
  // Scaled by e^{-D} to stay finite for large D.
  const auto w = [delta](double z) { return std::exp(delta * (z * z - 1.0)); };
  const double num = simpson([&](double z) { return z * z * w(z); }, 0.0, 1.0, 20000);
  const double den = simpson(w, 0.0, 1.0, 20000);
  return num / den;
}

double boltzmann_probability(double delta, double a, double b) {
  check_delta(delta);
  if (!(a >= -1 && a <= b && b <= 1))
    throw core::ArgumentError(fmt::format("boltzmann_probability: need -1 <= a <= b <= 1, got [{}, {}]", a, b));
  const auto w = [delta](double z) { return std::exp(delta * (z * z - 1.0)); };
  return simpson(w, a, b, 20000) / simpson(w, -1.0, 1.0, 40000);
}

double mean_first_passage_time_s(double delta, double tau_n, double h) {
  check_delta(delta);
  if (!(std::abs(h) < 1)) throw core::ArgumentError(fmt::format("reduced field {} out of range: expected |h| < 1", h));
  // Midpoint rule in z on n cells; the inner integral from each midpoint to 1 is accumulated from
  // the top with Simpson on every half cell. The integrand has a finite limit at z = 1. Both
  // exponentials are scaled by the largest value of -U on [0, 1] to stay finite.
  const int n = 200000;
  const double step = 1.0 / n;
  const double scale = std::max(0.0, delta * (1.0 + 2.0 * h));
  const auto g = [=](double t) { return std::exp(delta * (t * t + 2.0 * h * t) - scale); };
  double inner = 0.0, outer = 0.0;
  double upper = 1.0;
  for (int j = n - 1; j >= 0; --j) {
    const double z = (j + 0.5) * step;
    inner += (upper - z) / 6.0 * (g(z) + 4.0 * g(0.5 * (z + upper)) + g(upper));
    upper = z;
    outer += std::exp(-delta * (z * z + 2.0 * h * z) + scale) * inner / (1.0 - z * z);
  }
  return 2.0 * tau_n * outer * step;
}

double mean_first_passage_time_asymptotic_s(double delta, double tau_n) {
  return tau_n * std::sqrt(kPi) / 2.0 * std::pow(delta, -1.5) * std::exp(delta) / (1.0 - 1.0 / delta);
}

}  // namespace cimmc::device
