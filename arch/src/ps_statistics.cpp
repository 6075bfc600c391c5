// PsStatistics: histograms and per-column moments of exact partial sums (percentiles, means,
// standard deviations, merging).
#include "cimmc/arch/crossbar_layer.hpp"

#include <algorithm>
#include <cmath>

#include "cimmc/core/error.hpp"

namespace cimmc::arch {

double PsStatistics::abs_percentile(double pct) const {
  std::vector<std::uint64_t> by_abs(static_cast<std::size_t>(full_scale) + 1, 0);
  std::uint64_t total = 0;
  for (const auto& h : histogram)
    for (std::size_t i = 0; i < h.size(); ++i) {
      by_abs[static_cast<std::size_t>(std::abs(static_cast<int>(i) - full_scale))] += h[i];
      total += h[i];
    }
  if (total == 0) return 0.0;
  const double target = pct / 100.0 * static_cast<double>(total);
  std::uint64_t cum = 0;
  for (std::size_t c = 0; c < by_abs.size(); ++c) {
    cum += by_abs[c];
    if (static_cast<double>(cum) >= target) return static_cast<double>(c);
  }
  return static_cast<double>(full_scale);
}

std::pair<double, double> PsStatistics::moments(std::size_t first, std::size_t count) const {
  double c = 0, sum = 0, sum2 = 0;
  for (std::size_t j = first; j < first + count; ++j) {
    c += column_count.at(j);
    sum += column_sum[j];
    sum2 += column_sum_squares[j];
  }
  if (c <= 0) return {0.0, 0.0};
  const double mu = sum / c;
  return {mu, c < 2 ? 0.0 : std::sqrt(std::max(0.0, (sum2 - c * mu * mu) / (c - 1)))};
}

double PsStatistics::column_mean(int s, int q, int n) const {
  return moments((static_cast<std::size_t>(s) * conversions + q) * columns + n, 1).first;
}

double PsStatistics::column_stddev(int s, int q, int n) const {
  return moments((static_cast<std::size_t>(s) * conversions + q) * columns + n, 1).second;
}

double PsStatistics::conversion_mean(int s, int q) const {
  return moments((static_cast<std::size_t>(s) * conversions + q) * columns, static_cast<std::size_t>(columns)).first;
}

double PsStatistics::conversion_stddev(int s, int q) const {
  return moments((static_cast<std::size_t>(s) * conversions + q) * columns, static_cast<std::size_t>(columns)).second;
}

void PsStatistics::merge(const PsStatistics& o) {
  if (histogram.empty()) {
    *this = o;
    return;
  }
  if (o.full_scale != full_scale || o.histogram.size() != histogram.size() || o.columns != columns ||
      o.conversions != conversions)
    throw core::ArgumentError("PS statistics of different layers cannot be merged");
  for (std::size_t s = 0; s < histogram.size(); ++s)
    for (std::size_t i = 0; i < histogram[s].size(); ++i) histogram[s][i] += o.histogram[s][i];
  for (std::size_t i = 0; i < column_count.size(); ++i) {
    column_count[i] += o.column_count[i];
    column_sum[i] += o.column_sum[i];
    column_sum_squares[i] += o.column_sum_squares[i];
  }
}

}  // namespace cimmc::arch
