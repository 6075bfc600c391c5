// Helpers of the readout and noise statistics tests: sample moments with their standard errors,
// and runs of one layer on many identical rows (every row has its own random streams, so M rows
// are M independent draws).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "cimmc/arch/crossbar_layer.hpp"

namespace cimmc::arch::readout_test {

struct Moments {
  double mean = 0, var = 0, se_mean = 0, se_var = 0;
};

// Mean and sample variance; the standard error of the variance uses the fourth central moment.
inline Moments moments(const std::vector<double>& x) {
  const double n = static_cast<double>(x.size());
  Moments m;
  for (double v : x) m.mean += v;
  m.mean /= n;
  double m2 = 0, m4 = 0;
  for (double v : x) {
    const double d = v - m.mean;
    m2 += d * d;
    m4 += d * d * d * d;
  }
  m.var = m2 / (n - 1);
  m4 /= n;
  m.se_mean = std::sqrt(m.var / n);
  m.se_var = std::sqrt(std::max(m4 - m.var * m.var, 0.0) / n);
  return m;
}

// Runs `rows` identical rows of activations `act` (length K); returns the outputs by column.
inline std::vector<std::vector<double>> run_columns(const CrossbarLayer& layer, const std::vector<std::uint8_t>& act,
                                                    int rows, Counters& counters, std::uint32_t trial = 0) {
  std::vector<std::uint8_t> all;
  for (int r = 0; r < rows; ++r) all.insert(all.end(), act.begin(), act.end());
  std::vector<double> out(static_cast<std::size_t>(rows) * layer.n());
  layer.run(all, rows, {0, trial, 1, 0, 1}, 2024, out, counters);
  std::vector<std::vector<double>> cols(static_cast<std::size_t>(layer.n()));
  for (int r = 0; r < rows; ++r)
    for (int n = 0; n < layer.n(); ++n)
      cols[static_cast<std::size_t>(n)].push_back(out[static_cast<std::size_t>(r) * layer.n() + n]);
  return cols;
}

// The seed of the statistical tests: fixed, or CIMMC_TEST_SEED to try others.
inline std::uint64_t test_seed() {
  const char* s = std::getenv("CIMMC_TEST_SEED");
  return s ? std::strtoull(s, nullptr, 10) : 1u;
}

// Outputs [row][column] and the clipped count of `rows` rows of all-ones inputs (K of them) on a
// layer of weights w (N × K) sampling its noise by `sampling`.
struct RowsOutcome {
  std::vector<double> out;
  std::uint64_t clipped = 0;
};
inline RowsOutcome run_rows(CrossbarConfig c, circuit::ReadoutSampling sampling, const std::vector<std::int8_t>& w,
                            int n, int k, int rows) {
  c.readout.sampling = sampling;
  const CrossbarLayer layer(c, 1, w, n, k);
  std::vector<std::uint8_t> act(static_cast<std::size_t>(rows) * k, 1);
  RowsOutcome o;
  o.out.resize(static_cast<std::size_t>(rows) * n);
  Counters counters;
  layer.run(act, rows, {0, 0, 1, 0, 1}, test_seed(), o.out, counters);
  o.clipped = counters.clipped;
  return o;
}

// Upper tail of the standard normal.
inline double phi_c(double x) { return 0.5 * std::erfc(x / std::sqrt(2.0)); }

}  // namespace cimmc::arch::readout_test
