#include "cimmc/device/switching_table.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>

#include "cimmc/core/error.hpp"
#include "cimmc/core/filetypes.hpp"

namespace cimmc::device {

namespace {
constexpr const char* kInterpolation = "pchip in current, linear in ln(pulse width), clamped to the grid";

void check_axis(const std::vector<double>& v, const char* name, bool positive) {
  if (v.empty()) throw core::ArgumentError(fmt::format("switching table: {} axis is empty", name));
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (!std::isfinite(v[i]) || (positive && !(v[i] > 0)))
      throw core::ArgumentError(
          fmt::format("switching table: {}[{}] = {} must be finite{}", name, i, v[i], positive ? " and > 0" : ""));
    if (i > 0 && !(v[i] > v[i - 1]))
      throw core::ArgumentError(fmt::format("switching table: {} must be strictly ascending ({}[{}] = {} after {})",
                                            name, name, i, v[i], v[i - 1]));
  }
}

// Pool adjacent violators: the non-decreasing least-squares fit of y.
std::vector<double> isotonic_increasing(const std::vector<double>& y) {
  std::vector<double> value, weight;
  std::vector<std::size_t> count;
  for (double v : y) {
    value.push_back(v);
    weight.push_back(1.0);
    count.push_back(1);
    while (value.size() > 1 && value[value.size() - 2] > value.back()) {
      const std::size_t k = value.size() - 1;
      const double w = weight[k - 1] + weight[k];
      value[k - 1] = (value[k - 1] * weight[k - 1] + value[k] * weight[k]) / w;
      weight[k - 1] = w;
      count[k - 1] += count[k];
      value.pop_back();
      weight.pop_back();
      count.pop_back();
    }
  }
  std::vector<double> out;
  for (std::size_t b = 0; b < value.size(); ++b) out.insert(out.end(), count[b], value[b]);
  return out;
}
}  // namespace

SwitchingTable::SwitchingTable(std::vector<double> currents, std::vector<double> pulses,
                               std::vector<double> probability, std::string device, std::string method)
    : currents_(std::move(currents)),
      pulses_(std::move(pulses)),
      p_(std::move(probability)),
      device_(std::move(device)),
      method_(std::move(method)) {
  check_axis(currents_, "current_A", false);
  check_axis(pulses_, "pulse_width_s", true);
  if (p_.size() != currents_.size() * pulses_.size())
    throw core::ArgumentError(fmt::format("switching table: {} probabilities for a {} x {} grid", p_.size(),
                                          currents_.size(), pulses_.size()));
  for (std::size_t i = 0; i < p_.size(); ++i)
    if (!(p_[i] >= 0 && p_[i] <= 1))
      throw core::ArgumentError(
          fmt::format("switching table: probability {} at (current {}, pulse {}) is outside [0, 1]", p_[i],
                      i / pulses_.size(), i % pulses_.size()));
  build_slopes();
}

void SwitchingTable::build_slopes() {
  // Fritsch-Carlson: harmonic-mean slopes at interior points, zero at local extrema, one-sided
  // three-point slopes at the ends limited to keep monotonicity.
  const std::size_t n = currents_.size(), m = pulses_.size();
  slopes_.assign(n * m, 0.0);
  if (n < 2) return;
  for (std::size_t j = 0; j < m; ++j) {
    std::vector<double> h(n - 1), d(n - 1);
    for (std::size_t i = 0; i + 1 < n; ++i) {
      h[i] = currents_[i + 1] - currents_[i];
      d[i] = (p_[(i + 1) * m + j] - p_[i * m + j]) / h[i];
    }
    auto s = [&](std::size_t i) -> double& { return slopes_[i * m + j]; };
    if (n == 2) {
      s(0) = s(1) = d[0];
      continue;
    }
    for (std::size_t i = 1; i + 1 < n; ++i) {
      if (d[i - 1] * d[i] <= 0) {
        s(i) = 0;
      } else {
        const double w1 = 2 * h[i] + h[i - 1], w2 = h[i] + 2 * h[i - 1];
        s(i) = (w1 + w2) / (w1 / d[i - 1] + w2 / d[i]);
      }
    }
    auto end_slope = [](double h0, double h1, double d0, double d1) {
      double e = ((2 * h0 + h1) * d0 - h0 * d1) / (h0 + h1);
      if (e * d0 <= 0) e = 0;
      else if (d0 * d1 <= 0 && std::abs(e) > std::abs(3 * d0)) e = 3 * d0;
      return e;
    };
    s(0) = end_slope(h[0], h[1], d[0], d[1]);
    s(n - 1) = end_slope(h[n - 2], h[n - 3], d[n - 2], d[n - 3]);
  }
}

double SwitchingTable::column_value(std::size_t j, double x) const {
  const std::size_t n = currents_.size(), m = pulses_.size();
  if (n == 1 || x <= currents_.front()) return p_[j];
  if (x >= currents_.back()) return p_[(n - 1) * m + j];
  const std::size_t i =
      static_cast<std::size_t>(std::upper_bound(currents_.begin(), currents_.end(), x) - currents_.begin()) - 1;
  const double h = currents_[i + 1] - currents_[i], t = (x - currents_[i]) / h;
  const double y0 = p_[i * m + j], y1 = p_[(i + 1) * m + j];
  const double s0 = slopes_[i * m + j], s1 = slopes_[(i + 1) * m + j];
  const double t2 = t * t, t3 = t2 * t;
  const double v =
      (2 * t3 - 3 * t2 + 1) * y0 + (t3 - 2 * t2 + t) * h * s0 + (-2 * t3 + 3 * t2) * y1 + (t3 - t2) * h * s1;
  return std::clamp(v, 0.0, 1.0);
}

double SwitchingTable::probability(double current_A, double pulse_width_s) const {
  if (currents_.empty()) throw core::ArgumentError("switching table is empty");
  if (!std::isfinite(current_A) || !(pulse_width_s > 0))
    throw core::ArgumentError(fmt::format(
        "switching table: need a finite current and a pulse width > 0 (got {} A, {} s)", current_A, pulse_width_s));
  const std::size_t m = pulses_.size();
  if (m == 1 || pulse_width_s <= pulses_.front()) return column_value(0, current_A);
  if (pulse_width_s >= pulses_.back()) return column_value(m - 1, current_A);
  const std::size_t j =
      static_cast<std::size_t>(std::upper_bound(pulses_.begin(), pulses_.end(), pulse_width_s) - pulses_.begin()) - 1;
  const double f = (std::log(pulse_width_s) - std::log(pulses_[j])) / (std::log(pulses_[j + 1]) - std::log(pulses_[j]));
  return (1 - f) * column_value(j, current_A) + f * column_value(j + 1, current_A);
}

void SwitchingTable::probabilities(std::span<const double> currents, double pulse_width_s,
                                   std::span<double> out) const {
  if (out.size() != currents.size())
    throw core::ArgumentError(fmt::format("switching table: {} outputs for {} currents", out.size(), currents.size()));
  for (std::size_t i = 0; i < currents.size(); ++i) out[i] = probability(currents[i], pulse_width_s);
}

SwitchingTable SwitchingTable::from_monte_carlo(const SwitchingCurves& c, const std::string& device,
                                                bool make_monotone) {
  std::vector<double> p = c.probability;
  const std::size_t n = c.currents_A.size(), m = c.pulse_widths_s.size();
  if (make_monotone)
    for (std::size_t j = 0; j < m; ++j) {
      std::vector<double> col = probability_column(c, j);
      const bool falling = col.back() < col.front();
      if (falling) std::reverse(col.begin(), col.end());
      col = isotonic_increasing(col);
      if (falling) std::reverse(col.begin(), col.end());
      for (std::size_t i = 0; i < n; ++i) p[i * m + j] = col[i];
    }
  return SwitchingTable(c.currents_A, c.pulse_widths_s, std::move(p), device,
                        make_monotone ? "monte_carlo_isotonic" : "monte_carlo");
}

SwitchingTable SwitchingTable::from_model(const ThermalActivationModel& model, std::vector<double> currents,
                                          std::vector<double> pulses, const std::string& device) {
  std::vector<double> p;
  for (double i : currents)
    for (double t : pulses) p.push_back(model.probability(i, t));
  return SwitchingTable(std::move(currents), std::move(pulses), std::move(p), device, "thermal_activation");
}

void SwitchingTable::write(core::h5::Group& g) const {
  g.write_1d<double>("current_A", currents_, "A", "current");
  g.write_1d<double>("pulse_width_s", pulses_, "s", "pulse_width");
  g.write<double>("p_switch", std::span<const double>(p_), {currents_.size(), pulses_.size()}, "1",
                  {"current", "pulse_width"});
  g.set_attr("device", device_);
  g.set_attr("method", method_);
  g.set_attr("interpolation", std::string(kInterpolation));
}

SwitchingTable SwitchingTable::read(const core::h5::Group& g) {
  const auto where = [&] { return fmt::format("{}:{}", g.file_name(), g.path()); };
  for (const char* name : {"current_A", "pulse_width_s", "p_switch"})
    if (!g.exists(name)) throw core::FormatError(fmt::format("{}: switching table has no dataset '{}'", where(), name));
  auto cur = g.read<double>("current_A");
  auto pul = g.read<double>("pulse_width_s");
  auto p = g.read<double>("p_switch");
  if (p.shape.size() != 2 || p.shape[0] != cur.size() || p.shape[1] != pul.size())
    throw core::FormatError(fmt::format("{}: p_switch has shape [{}], expected [{}, {}]", where(),
                                        fmt::join(p.shape, ", "), cur.size(), pul.size()));
  const std::string device = g.has_attr("device") ? g.attr_string("device") : "";
  const std::string method = g.has_attr("method") ? g.attr_string("method") : "";
  try {
    return SwitchingTable(std::move(cur.data), std::move(pul.data), std::move(p.data), device, method);
  } catch (const core::ArgumentError& e) {
    throw core::FormatError(fmt::format("{}: {}", where(), e.what()));
  }
}

void SwitchingTable::save(const std::filesystem::path& path, std::uint64_t seed, const std::string& config_text) const {
  core::h5::AtomicFile out(path);
  auto& f = out.file();
  core::h5::write_provenance(f, std::string(core::filetypes::kSwitchingTable.name),
                             {core::filetypes::kSwitchingTable.major, core::filetypes::kSwitchingTable.minor}, seed,
                             config_text);
  write(f);
  out.commit();
}

SwitchingTable SwitchingTable::load(const std::filesystem::path& path) {
  core::h5::File f = core::h5::File::open(path);
  const core::h5::Provenance prov = core::h5::read_provenance(f);
  if (prov.filetype == core::filetypes::kSwitching.name) {
    f = core::h5::open_cimmc_file(path, std::string(core::filetypes::kSwitching.name),
                                  core::filetypes::kSwitching.major);
    if (!f.exists("table"))
      throw core::FormatError(fmt::format("{}: cimmc.switching file has no /table group", path.string()));
    SwitchingTable table = read(f.open_group("table"));
    if (f.exists("device/temperature_K")) table.temperature_K_ = f.read_scalar<double>("device/temperature_K");
    return table;
  }
  f = core::h5::open_cimmc_file(path, std::string(core::filetypes::kSwitchingTable.name),
                                core::filetypes::kSwitchingTable.major);
  return read(f);
}

}  // namespace cimmc::device
