#include "cimmc/device/switching.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "cimmc/core/error.hpp"

namespace cimmc::device {

WilsonInterval wilson_interval(std::uint64_t k, std::uint64_t n, double z) {
  if (n == 0) return {0.0, 1.0};
  const double nn = static_cast<double>(n), p = static_cast<double>(k) / nn;
  const double z2 = z * z;
  const double centre = (p + z2 / (2 * nn)) / (1 + z2 / nn);
  const double half = z / (1 + z2 / nn) * std::sqrt(p * (1 - p) / nn + z2 / (4 * nn * nn));
  // The interval reaches 0 (1) exactly when no (every) trial switched.
  return {k == 0 ? 0.0 : std::max(0.0, centre - half), k == n ? 1.0 : std::min(1.0, centre + half)};
}

double default_equilibrate_time_s(const SotMtjParams& params) {
  return std::max(1e-9, 5.0 * relaxation_time_s(params));
}

SwitchingCurves monte_carlo_switching(const SotMtjParams& params, std::span<const double> currents,
                                      std::span<const double> pulses, const MonteCarloSettings& s) {
  if (currents.empty() || pulses.empty())
    throw core::ArgumentError("monte_carlo_switching: need at least one current and one pulse width");
  if (s.trials == 0) throw core::ArgumentError("monte_carlo_switching: trials must be >= 1");
  for (double t : pulses)
    if (!(t > 0) || !std::isfinite(t))
      throw core::ArgumentError(fmt::format("monte_carlo_switching: pulse width {} s must be > 0", t));
  double i_max = 0;
  for (double i : currents) {
    if (!std::isfinite(i))
      throw core::ArgumentError(fmt::format("monte_carlo_switching: current {} A is not finite", i));
    i_max = std::max(i_max, std::abs(i));
  }
  SwitchingCurves c;
  c.currents_A.assign(currents.begin(), currents.end());
  c.pulse_widths_s.assign(pulses.begin(), pulses.end());
  c.trials = s.trials;
  c.time_step_s = s.time_step_s > 0 ? s.time_step_s : recommended_time_step_s(params, i_max);
  const std::size_t ni = currents.size(), nt = pulses.size(), size = ni * nt;
  c.switched_count.resize(size);
  c.probability.resize(size);
  c.ci_low.resize(size);
  c.ci_high.resize(size);
  c.mean_switching_time_s.resize(size);

  std::vector<double> amps(ni * s.trials);
  for (std::size_t i = 0; i < ni; ++i)
    std::fill_n(amps.begin() + static_cast<std::ptrdiff_t>(i * s.trials), s.trials, currents[i]);
  c.relax_time_s = s.relax_time_s >= 0 ? s.relax_time_s : std::max(1e-9, 5.0 * relaxation_time_s(params));
  c.equilibrate_time_s = s.equilibrate_time_s >= 0 ? s.equilibrate_time_s : default_equilibrate_time_s(params);
  if (!std::isfinite(c.equilibrate_time_s))
    throw core::ArgumentError(
        fmt::format("monte_carlo_switching: equilibration time {} s must be finite", s.equilibrate_time_s));
  if (s.initial_direction != 1 && s.initial_direction != -1)
    throw core::ArgumentError(
        fmt::format("monte_carlo_switching: initial_direction {} must be +1 or -1", s.initial_direction));
  if (s.start_at_equilibrium) {
    c.initial_m = equilibrium_direction(params, s.initial_direction);
  } else {
    c.initial_m[static_cast<std::size_t>(params.free_layer.easy_axis)] = s.initial_direction;
  }
  for (std::size_t j = 0; j < nt; ++j) {
    Waveform w{c.equilibrate_time_s, s.rise_time_s, pulses[j], s.fall_time_s, c.relax_time_s};
    SolverSettings ss;
    ss.time_step_s = c.time_step_s;
    ss.initial_direction = s.initial_direction;
    ss.initial_m = c.initial_m;
    // A thermal excursion across the equator while equilibrating is not a switching event.
    ss.switch_detect_from_s = c.equilibrate_time_s;
    ss.seed = s.seed;
    ss.point = s.point;
    ss.trial = s.trial;
    ss.first_element = s.first_element + j * ni * s.trials;
    const MacrospinResult r = simulate(params, w, amps, ss);
    for (std::size_t i = 0; i < ni; ++i) {
      std::int64_t k = 0;
      double t_sum = 0;
      for (std::size_t m = 0; m < s.trials; ++m) {
        const std::size_t idx = i * s.trials + m;
        if (r.switched[idx]) {
          ++k;
          t_sum += r.first_switch_time_s[idx];
        }
      }
      const std::size_t o = c.index(i, j);
      c.switched_count[o] = k;
      c.probability[o] = static_cast<double>(k) / static_cast<double>(s.trials);
      const auto ci = wilson_interval(static_cast<std::uint64_t>(k), s.trials);
      c.ci_low[o] = ci.low;
      c.ci_high[o] = ci.high;
      // Measured from the start of the pulse.
      c.mean_switching_time_s[o] =
          k > 0 ? t_sum / static_cast<double>(k) - c.equilibrate_time_s : std::numeric_limits<double>::quiet_NaN();
    }
    if (s.on_progress) s.on_progress((j + 1) * ni * s.trials);
  }
  return c;
}

double ThermalActivationModel::switching_time_s(double current_A) const {
  const double x = std::abs(current_A) / critical_current_A;
  if (x >= 1.0) return attempt_time_s;
  return attempt_time_s * std::exp(thermal_stability * std::pow(1.0 - x, exponent));
}

double ThermalActivationModel::probability(double current_A, double pulse_width_s) const {
  return -std::expm1(-pulse_width_s / switching_time_s(current_A));
}

namespace {
struct LogTauPoint {
  double abs_current, log_tau;
};

// For fixed I_c0 and n, the best ln tau0 is the mean residual; returns the sum of squares.
double sse_for(const std::vector<LogTauPoint>& pts, double delta, double ic, double n, double& log_tau0) {
  double sum = 0;
  std::vector<double> g(pts.size());
  for (std::size_t i = 0; i < pts.size(); ++i) {
    const double x = std::min(1.0, pts[i].abs_current / ic);
    g[i] = delta * std::pow(1.0 - x, n);
    sum += pts[i].log_tau - g[i];
  }
  log_tau0 = sum / static_cast<double>(pts.size());
  double sse = 0;
  for (std::size_t i = 0; i < pts.size(); ++i) {
    const double r = pts[i].log_tau - log_tau0 - g[i];
    sse += r * r;
  }
  return sse;
}

// Golden-section minimum of f on [a, b].
template <typename F>
double golden_min(F f, double a, double b, int iterations = 60) {
  const double g = (std::sqrt(5.0) - 1) / 2;
  double c = b - g * (b - a), d = a + g * (b - a);
  double fc = f(c), fd = f(d);
  for (int i = 0; i < iterations; ++i) {
    if (fc < fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - g * (b - a);
      fc = f(c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + g * (b - a);
      fd = f(d);
    }
  }
  return 0.5 * (a + b);
}
}  // namespace

ThermalActivationFit fit_thermal_activation(const SwitchingCurves& c, double delta, double ic) {
  if (!(delta > 0) || !std::isfinite(delta))
    throw core::ArgumentError(
        fmt::format("fit_thermal_activation: thermal stability {} must be finite and > 0", delta));
  std::vector<LogTauPoint> pts;
  double i_max = 0;
  for (std::size_t i = 0; i < c.currents_A.size(); ++i)
    for (std::size_t j = 0; j < c.pulse_widths_s.size(); ++j) {
      const double p = c.probability[c.index(i, j)];
      if (p <= 0.02 || p >= 0.98) continue;
      pts.push_back({std::abs(c.currents_A[i]), std::log(c.pulse_widths_s[j]) - std::log(-std::log1p(-p))});
      i_max = std::max(i_max, std::abs(c.currents_A[i]));
    }
  if (pts.size() < 3)
    throw core::ModelError(
        fmt::format("thermal-activation fit: {} points with 0.02 < P < 0.98, need at least 3 (widen the current range "
                    "or add pulse widths)",
                    pts.size()));
  ThermalActivationFit fit;
  fit.points_used = pts.size();
  fit.model.thermal_stability = delta;
  double log_tau0 = 0;
  auto best_n = [&](double icc) {
    return golden_min([&](double n) { return sse_for(pts, delta, icc, n, log_tau0); }, 0.2, 5.0);
  };
  if (std::isnan(ic)) {
    // I_c0 unknown: nested one-dimensional searches over ln I_c0 and n.
    const double lic =
        golden_min([&](double l) { return sse_for(pts, delta, std::exp(l), best_n(std::exp(l)), log_tau0); },
                   std::log(i_max), std::log(i_max * 20.0), 50);
    ic = std::exp(lic);
  }
  fit.model.critical_current_A = ic;
  fit.model.exponent = best_n(ic);
  const double sse = sse_for(pts, delta, ic, fit.model.exponent, log_tau0);
  fit.model.attempt_time_s = std::exp(log_tau0);
  fit.rms_log_residual = std::sqrt(sse / static_cast<double>(pts.size()));
  return fit;
}

double sigmoid(const SigmoidFit& f, double i) { return 1.0 / (1.0 + std::exp(-(i - f.i50_A) / f.width_A)); }

SigmoidFit fit_sigmoid(std::span<const double> x, std::span<const double> p) {
  if (x.size() != p.size() || x.size() < 2)
    throw core::ArgumentError(fmt::format(
        "fit_sigmoid: need matching currents and probabilities, at least 2 (got {} and {})", x.size(), p.size()));
  const double span_x = *std::max_element(x.begin(), x.end()) - *std::min_element(x.begin(), x.end());
  if (!(span_x > 0)) throw core::ArgumentError("fit_sigmoid: all currents are equal");
  const auto [p_lo, p_hi] = std::minmax_element(p.begin(), p.end());
  if (*p_hi - *p_lo < 0.05)
    throw core::ModelError(
        fmt::format("fit_sigmoid: P varies only from {} to {} over the currents: no transition to fit", *p_lo, *p_hi));
  // Start: linear regression of logit(P) on I over interior points; else the 0.5 crossing.
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  int m = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (p[i] <= 0.02 || p[i] >= 0.98) continue;
    const double y = std::log(p[i] / (1 - p[i]));
    sx += x[i];
    sy += y;
    sxx += x[i] * x[i];
    sxy += x[i] * y;
    ++m;
  }
  double a = 0, b = 0;  // logit = a + b I  ->  I50 = -a/b, w = 1/b
  const double den = m * sxx - sx * sx;
  if (m >= 2 && std::abs(den) > 0 && std::abs(m * sxy - sx * sy) > 0) {
    b = (m * sxy - sx * sy) / den;
    a = (sy - b * sx) / m;
  } else {
    const bool rising = p.back() >= p.front();
    double i50 = 0.5 * (x.front() + x.back());
    for (std::size_t i = 0; i + 1 < x.size(); ++i)
      if ((p[i] - 0.5) * (p[i + 1] - 0.5) <= 0 && p[i] != p[i + 1]) {
        i50 = x[i] + (0.5 - p[i]) / (p[i + 1] - p[i]) * (x[i + 1] - x[i]);
        break;
      }
    b = (rising ? 1 : -1) * 20.0 / span_x;
    a = -b * i50;
  }
  // Levenberg-Marquardt on (a, b) in units scaled by the current span.
  const double scale = span_x;
  double ua = a, ub = b * scale, lambda = 1e-3;
  auto sse_of = [&](double aa, double bb) {
    double s = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      const double f = 1.0 / (1.0 + std::exp(-(aa + bb * x[i] / scale)));
      s += (p[i] - f) * (p[i] - f);
    }
    return s;
  };
  double sse = sse_of(ua, ub);
  for (int it = 0; it < 200; ++it) {
    double jtj00 = 0, jtj01 = 0, jtj11 = 0, g0 = 0, g1 = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      const double xs = x[i] / scale;
      const double f = 1.0 / (1.0 + std::exp(-(ua + ub * xs)));
      const double d = f * (1 - f);
      const double r = p[i] - f;
      jtj00 += d * d;
      jtj01 += d * d * xs;
      jtj11 += d * d * xs * xs;
      g0 += d * r;
      g1 += d * r * xs;
    }
    // Raise lambda until a step lowers the sum of squares; stop when none does, or when the
    // decrease is at round-off level.
    bool stepped = false, converged = false;
    for (int tries = 0; tries < 20 && !stepped; ++tries) {
      const double m00 = jtj00 * (1 + lambda) + 1e-12, m11 = jtj11 * (1 + lambda) + 1e-12, m01 = jtj01;
      const double det = m00 * m11 - m01 * m01;
      if (!(std::abs(det) > 0)) break;
      const double da = (m11 * g0 - m01 * g1) / det, db = (m00 * g1 - m01 * g0) / det;
      const double s_new = sse_of(ua + da, ub + db);
      if (s_new < sse) {
        ua += da;
        ub += db;
        converged = sse - s_new <= 1e-15 * (1 + sse);
        sse = s_new;
        lambda = std::max(lambda / 3, 1e-9);
        stepped = true;
      } else {
        lambda *= 4;
      }
    }
    if (!stepped || converged) break;
  }
  SigmoidFit f;
  const double bb = ub / scale;
  if (!(std::abs(bb) > 0) || !std::isfinite(bb))
    throw core::ModelError("fit_sigmoid: the data have no transition to fit");
  f.i50_A = -ua / bb;
  f.width_A = 1.0 / bb;
  double mx = 0, s2 = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double r = p[i] - sigmoid(f, x[i]);
    s2 += r * r;
    mx = std::max(mx, std::abs(r));
  }
  f.rms_residual = std::sqrt(s2 / static_cast<double>(x.size()));
  f.max_abs_residual = mx;
  return f;
}

std::vector<double> probability_column(const SwitchingCurves& c, std::size_t pulse) {
  std::vector<double> col(c.currents_A.size());
  for (std::size_t i = 0; i < col.size(); ++i) col[i] = c.probability[c.index(i, pulse)];
  return col;
}

}  // namespace cimmc::device
