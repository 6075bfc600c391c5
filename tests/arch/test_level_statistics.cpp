// Level sampling of ADC codes (docs/rare_event_sampling.md, "Level sampling") against the direct
// method (one normal per conversion) and against the exact code probabilities. Every case runs
// M identical GEMM rows (each row has its own random streams: M independent draws) on a layer
// whose columns each carry one PS of a known value into a single-ended, sparse 5-bit ADC over
// R = 128 rows (step 128/31; the all-zero MSB column is skipped, so each output is one
// conversion), once per method with fixed seeds, for σ from 0.01 to 0.36 LSB (the tables' range):
//  - per column, the share of outputs one code down, one code up and two or more away from the
//    noise-free code, level against direct: |p_level − p_direct| <= z SE of the difference of two
//    proportions (pooled p̂: SE = sqrt(p̂ (1 − p̂) · 2 / n));
//  - per column, the share of each method against the exact probability from Φ:
//    |p̂ − p| <= z sqrt(p (1 − p) / n) + 1 / n;
//  - the clipped counts: |c_level − c_direct| <= z sqrt(c_level + c_direct) + 1 (Poisson).
// z is a family-wise bound: 5 σ × (12 columns × 3 shares × 3 comparisons + 1) = 545 checks, and
// z = 4.5 keeps the chance that a correct sampler fails any of them below 0.4 % (Bonferroni:
// 545 · 2 (1 − Φ(4.5)) = 0.37 %).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "cimmc/arch/crossbar_layer.hpp"
#include "readout_test_util.hpp"

using namespace cimmc::arch;
using namespace cimmc::arch::readout_test;
using cimmc::circuit::ReadoutKind;
using cimmc::circuit::ReadoutSampling;

namespace {

constexpr int kRows = 20000;  // draws per method, case and column
constexpr double kZ = 4.5;    // family-wise bound in standard errors (see the top of the file)
// PS of the columns: on a code, a quarter and close to half a step from one (step 4.129).
const int kPartialSums[] = {1, 2, 4, 6, 8, 10, 31, 33, 35, 64, 66, 125};

CrossbarConfig config(double sigma_lsb) {
  CrossbarConfig c;
  c.rows = 128;
  c.bits_per_cell = 1;
  c.input_bits = 1;
  c.weight_bits = 2;
  c.readout.kind = ReadoutKind::kAdc;
  c.readout.adc.bits = 5;
  c.readout.adc.sparse = true;
  const double step = 128.0 / 31.0;
  c.noise = cimmc::circuit::NoiseParams::relative_full_scale(sigma_lsb * step / 128.0);
  return c;
}

}  // namespace

TEST(LevelSampling, MatchesDirectSamplingAndTheExactCodeProbabilities) {
  const int n = static_cast<int>(std::size(kPartialSums)), k = 128;
  std::vector<std::int8_t> w(static_cast<std::size_t>(n) * k, 0);
  for (int col = 0; col < n; ++col)
    for (int r = 0; r < kPartialSums[col]; ++r) w[static_cast<std::size_t>(col) * k + r] = 1;
  const cimmc::circuit::AdcQuantizer q(5, 128.0, false);
  const double step = static_cast<double>(q.step), inv = static_cast<double>(q.inverse_step);
  for (double sigma_lsb : {0.01, 0.1, 0.2, 0.3, 0.36}) {
    const CrossbarConfig c = config(sigma_lsb);
    const RowsOutcome level = run_rows(c, ReadoutSampling::kLevel, w, n, k, kRows);
    const RowsOutcome direct = run_rows(c, ReadoutSampling::kDirect, w, n, k, kRows);
    const double sigma = static_cast<double>(static_cast<float>(c.noise.sigma_fraction) * 128.0f);
    for (int col = 0; col < n; ++col) {
      const int p = kPartialSums[col];
      const int k0 = static_cast<int>(std::nearbyint(static_cast<float>(p) * static_cast<float>(inv)));
      // Shares one code down, one up, two or more away (outputs are code · step, codes 0..31).
      double sl[3] = {0, 0, 0}, sd[3] = {0, 0, 0};
      for (int r = 0; r < kRows; ++r) {
        for (int m = 0; m < 2; ++m) {
          const double v = (m == 0 ? level : direct).out[static_cast<std::size_t>(r) * n + col];
          const long d = std::lround(v / step) - k0;
          double* s = m == 0 ? sl : sd;
          if (d == -1) s[0] += 1;
          if (d == 1) s[1] += 1;
          if (d <= -2 || d >= 2) s[2] += 1;
        }
      }
      // Exact: P(code = c) = Φ(((c + 1/2)/inv − p)/σ) − Φ(((c − 1/2)/inv − p)/σ), codes clamp to 0..31.
      auto cdf = [&](int code) {
        if (code < 0) return 0.0;
        if (code >= 31) return 1.0;
        return phi_c((p - (code + 0.5) / inv) / sigma);
      };
      const double exact[3] = {cdf(k0 - 1) - cdf(k0 - 2), cdf(k0 + 1) - cdf(k0), cdf(k0 - 2) + (1.0 - cdf(k0 + 1))};
      const char* bins[] = {"one code down", "one code up", "two or more away"};
      for (int b = 0; b < 3; ++b) {
        const double pl = sl[b] / kRows, pd = sd[b] / kRows;
        const std::string what = "σ " + std::to_string(sigma_lsb) + " LSB, PS " + std::to_string(p) + ", " + bins[b];
        const double pooled = 0.5 * (pl + pd);
        EXPECT_LE(std::abs(pl - pd), kZ * std::sqrt(pooled * (1.0 - pooled) * 2.0 / kRows) + 1e-15)
            << what << ": level " << pl << ", direct " << pd;
        const double se = std::sqrt(exact[b] * (1.0 - exact[b]) / kRows);
        EXPECT_LE(std::abs(pl - exact[b]), kZ * se + 1.0 / kRows) << what << ": level " << pl << ", exact " << exact[b];
        EXPECT_LE(std::abs(pd - exact[b]), kZ * se + 1.0 / kRows)
            << what << ": direct " << pd << ", exact " << exact[b];
      }
      if (col == 1 || col == 5)
        std::printf("σ %.2f LSB, PS %d: down %.4g / %.4g / %.4g, up %.4g / %.4g / %.4g (level / direct / exact)\n",
                    sigma_lsb, p, sl[0] / kRows, sd[0] / kRows, exact[0], sl[1] / kRows, sd[1] / kRows, exact[1]);
    }
    const double cl = static_cast<double>(level.clipped), cd = static_cast<double>(direct.clipped);
    EXPECT_LE(std::abs(cl - cd), kZ * std::sqrt(cl + cd) + 1.0)
        << "σ " << sigma_lsb << ": clipped " << cl << " vs " << cd;
  }
}
