// Rare-event sampling of readout errors (docs/rare_event_sampling.md) against the direct method:
// one normal per sense. Every case runs M identical GEMM rows (each row has its own random
// streams, so the rows are M independent draws) on a layer whose columns each carry one sense of
// a known noise-free level, once per method, with fixed seeds. Compared, per noise level σ from
// 0.01 to 1 LSB:
//  - the error rate (share of outputs off the noise-free level) and the output histogram around
//    it (one level down, one level up, two or more levels away) of rare_event against direct:
//    |p_rare − p_direct| <= z SE of the difference of two proportions (pooled p̂: SE = sqrt(p̂ (1 − p̂)
//    · 2 / n), n outputs per method);
//  - where the noise-free analog value is an integer (no offsets), the error rate of each method
//    against the exact Φ expression: |p̂ − p| <= z sqrt(p (1 − p) / n) + 1 / n (one output of
//    slack for the discreteness of counts at p n < 1);
//  - the clipped counts of the two methods: |c_rare − c_direct| <= z sqrt(c_rare + c_direct) + 1
//    (Poisson counts).
// z is a family-wise bound: the file makes 136 such checks (24 noisy cases × 5, plus 8 cases × 2
// against the exact rate), and z = 4 keeps the chance that a correct sampler fails any of them
// below 1 % (Bonferroni: 136 · 2 (1 − Φ(4)) = 0.9 %).
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

constexpr int kRows = 20000;  // draws per method and case
constexpr double kZ = 4.0;    // family-wise bound in standard errors (see the top of the file)

// Shares of outputs off the reference by k levels: [0] k = −1, [1] k = +1, [2] |k| >= 2, [3] k != 0.
std::vector<double> shares(const RowsOutcome& o, const std::vector<double>& ref, double unit) {
  std::vector<double> s(4, 0.0);
  const std::size_t n = ref.size();
  for (std::size_t i = 0; i < o.out.size(); ++i) {
    const long k = std::lround((o.out[i] - ref[i % n]) / unit);
    if (k == -1) s[0] += 1;
    if (k == 1) s[1] += 1;
    if (k <= -2 || k >= 2) s[2] += 1;
    if (k != 0) s[3] += 1;
  }
  for (double& v : s) v /= static_cast<double>(o.out.size());
  return s;
}

void expect_same_proportion(double a, double b, double n, const std::string& what) {
  const double pooled = 0.5 * (a + b);
  const double se = std::sqrt(pooled * (1.0 - pooled) * 2.0 / n);
  EXPECT_LE(std::abs(a - b), kZ * se + 1e-15) << what << ": rare_event " << a << ", direct " << b << ", SE " << se;
}

// Runs both methods and the noise-free reference (the same configuration without the per-sense
// noise: the same offsets); `exact_error(column)` is the exact error probability of a column, or
// negative when it is not known in closed form.
template <class Exact>
void compare(const std::string& name, const CrossbarConfig& noisy, const CrossbarConfig& noise_free,
             const std::vector<std::int8_t>& w, int n, int k, double unit, Exact exact_error) {
  const RowsOutcome ref_run = run_rows(noise_free, ReadoutSampling::kDirect, w, n, k, 1);
  const std::vector<double> ref(ref_run.out.begin(), ref_run.out.end());
  const RowsOutcome rare = run_rows(noisy, ReadoutSampling::kRareEvent, w, n, k, kRows);
  const RowsOutcome direct = run_rows(noisy, ReadoutSampling::kDirect, w, n, k, kRows);
  const double total = static_cast<double>(rare.out.size());
  const auto sr = shares(rare, ref, unit), sd = shares(direct, ref, unit);
  const char* bins[] = {"one level down", "one level up", "two or more levels away", "error rate"};
  for (int b = 0; b < 4; ++b) expect_same_proportion(sr[b], sd[b], total, name + ", " + bins[b]);
  std::printf(
      "%s: error rate rare_event %.4g, direct %.4g; one down %.4g / %.4g, one up %.4g / %.4g, two+ %.4g / %.4g; "
      "clipped %llu / %llu\n",
      name.c_str(), sr[3], sd[3], sr[0], sd[0], sr[1], sd[1], sr[2], sd[2],
      static_cast<unsigned long long>(rare.clipped), static_cast<unsigned long long>(direct.clipped));
  const double cr = static_cast<double>(rare.clipped), cd = static_cast<double>(direct.clipped);
  EXPECT_LE(std::abs(cr - cd), kZ * std::sqrt(cr + cd) + 1.0) << name << ": clipped " << cr << " vs " << cd;
  // Against the exact error probability, averaged over the columns.
  double p = 0.0;
  for (int col = 0; col < n; ++col) {
    const double pc = exact_error(col);
    if (pc < 0.0) return;
    p += pc / n;
  }
  const double se = std::sqrt(p * (1.0 - p) / total);
  std::printf("%s: exact error rate %.4g (SE %.3g)\n", name.c_str(), p, se);
  EXPECT_LE(std::abs(sr[3] - p), kZ * se + 1.0 / total)
      << name << ": rare_event error rate " << sr[3] << ", exact " << p;
  EXPECT_LE(std::abs(sd[3] - p), kZ * se + 1.0 / total) << name << ": direct error rate " << sd[3] << ", exact " << p;
}

const double kSigmas[] = {0.01, 0.1, 0.3, 1.0};

// n columns over k rows of 1-bit cells: column `col` holds `count(col)` weights from row `first(col)`,
// each +1, or alternately +1 and −1 over the columns when `alternate_sign`.
template <class Count, class First>
std::vector<std::int8_t> column_weights(int n, int k, Count count, First first, bool alternate_sign = false) {
  std::vector<std::int8_t> w(static_cast<std::size_t>(n) * k, 0);
  for (int col = 0; col < n; ++col)
    for (int r = 0; r < count(col); ++r)
      w[static_cast<std::size_t>(col) * k + first(col) + r] =
          static_cast<std::int8_t>(alternate_sign && col % 2 ? -1 : 1);
  return w;
}

// R rows of 1-bit cells, 1-bit inputs, 2-bit weights, read by `kind`.
CrossbarConfig one_bit_config(int rows, ReadoutKind kind) {
  CrossbarConfig c;
  c.rows = rows;
  c.bits_per_cell = 1;
  c.input_bits = 1;
  c.weight_bits = 2;
  c.readout.kind = kind;
  return c;
}

// The ZEBRA LCU over R rows in groups of G rows with `levels` levels.
CrossbarConfig lcu_config(int rows, int group_rows, int levels) {
  CrossbarConfig c = one_bit_config(rows, ReadoutKind::kZebraLcu);
  c.readout.lcu.group_rows = group_rows;
  c.readout.lcu.levels = levels;
  return c;
}

}  // namespace

// LCU, G = 8 over R = 128 rows (16 groups in two 64-row words: the byte-popcount path where the
// build has it), 9 levels of step 1. Column n senses one group (group n mod 16) of c = 1 + n mod 8
// active cells under the physical model: σ_c² = σ² + (σ/2)² · c.
TEST(RareEventSampling, LcuMatchesDirectSamplingAndTheExactErrorRates) {
  const int k = 128, n = 32;
  const auto count = [](int col) { return 1 + col % 8; };
  const auto w = column_weights(n, k, count, [](int col) { return (col % 16) * 8; });
  const CrossbarConfig c = lcu_config(128, 8, 9);
  const CrossbarConfig& noise_free = c;
  for (double sigma : kSigmas) {
    CrossbarConfig noisy = c;
    noisy.noise.sense_sigma_lsb = sigma;
    noisy.noise.cell_sigma_lsb = sigma / 2;
    compare("lcu G = 8, sigma " + std::to_string(sigma), noisy, noise_free, w, n, k, 1.0, [&](int col) {
      const double sd = sigma * std::sqrt(1.0 + 0.25 * count(col));
      // Level 8 is the top level: noise above it clips to 8 (no error in the output).
      return (count(col) < 8 ? 2.0 : 1.0) * phi_c(0.5 / sd);
    });
  }
}

// LCU, G = 4 over R = 64 (the scalar path), 5 levels, relative_full_scale noise with sense-
// amplifier offsets (0.2 LSB), so every column's thresholds sit at its own distance.
TEST(RareEventSampling, LcuWithOffsetsMatchesDirectSampling) {
  const int k = 64, n = 32;
  const auto w = column_weights(
      n, k, [](int col) { return 1 + col % 4; }, [](int col) { return (col % 16) * 4; });
  const CrossbarConfig c = lcu_config(64, 4, 5);
  CrossbarConfig noise_free = c;
  noise_free.noise = cimmc::circuit::NoiseParams::relative_full_scale(0.0, 0.0, 0.05);
  for (double sigma : kSigmas) {
    CrossbarConfig noisy = c;
    noisy.noise = cimmc::circuit::NoiseParams::relative_full_scale(sigma / 4, 0.0, 0.05);  // σ LSB of a 4-row group
    compare("lcu G = 4 with offsets, sigma " + std::to_string(sigma), noisy, noise_free, w, n, k, 1.0,
            [](int) { return -1.0; });
  }
}

// A fine ADC: 8 bits over R = 128 rows (step 1), sparse. Column n carries PS = 4n + 1 under the
// physical model, σ_PS² = σ² + (σ/8)² · PS.
TEST(RareEventSampling, FineAdcMatchesDirectSamplingAndTheExactErrorRates) {
  const int k = 128, n = 32;
  const auto w = column_weights(
      n, k, [](int col) { return 4 * col + 1; }, [](int) { return 0; });
  CrossbarConfig c = one_bit_config(128, ReadoutKind::kAdc);
  c.readout.adc.bits = 8;
  c.readout.adc.sparse = true;  // the −2^1 column (all zero) is not converted: no noise of its own
  const CrossbarConfig& noise_free = c;
  for (double sigma : kSigmas) {
    CrossbarConfig noisy = c;
    noisy.noise.sense_sigma_lsb = sigma;
    noisy.noise.cell_sigma_lsb = sigma / 8;
    compare("fine adc, sigma " + std::to_string(sigma), noisy, noise_free, w, n, k, 1.0,
            [&](int col) { return 2.0 * phi_c(0.5 / (sigma * std::sqrt(1.0 + (4.0 * col + 1) / 64.0))); });
  }
}

// A differential ADC whose step is not 1 (7-bit signed codes over ±128: step 128/127) with
// sense-amplifier offsets (0.3 LSB): thresholds at a different distance for every column.
TEST(RareEventSampling, DifferentialAdcWithOffsetsMatchesDirectSampling) {
  const int k = 128, n = 32;
  const auto w = column_weights(
      n, k, [](int col) { return 4 * col + 1; }, [](int) { return 0; }, true);
  CrossbarConfig c = one_bit_config(128, ReadoutKind::kAdc);
  c.signed_scheme = SignedScheme::kDifferential;
  c.encoding = Encoding::kSignMagnitude;  // ±1 is one digit: each column's PS is in its 2^0 slice
  c.readout.adc.bits = 8;
  CrossbarConfig noise_free = c;
  noise_free.noise.offset_sigma_lsb = 0.3;
  for (double sigma : kSigmas) {
    CrossbarConfig noisy = noise_free;
    noisy.noise.sense_sigma_lsb = sigma;
    noisy.noise.cell_sigma_lsb = sigma / 8;
    compare("differential adc with offsets, sigma " + std::to_string(sigma), noisy, noise_free, w, n, k, 128.0 / 127.0,
            [](int) { return -1.0; });
  }
}

// LCU, G = 8 over R = 128 where the integer-level shortcut does not apply: with sense-amplifier
// offsets (0.15 LSB; the byte-popcount path where the build has it, else the scalar one), and with
// 5 levels of step 2 (odd counts sit on a threshold: the noise-free level is a tie, error
// probability about 1/2).
TEST(RareEventSampling, LcuWithOffsetsOrCoarseLevelsMatchesDirectSampling) {
  const int k = 128, n = 32;
  const auto w = column_weights(
      n, k, [](int col) { return 1 + col % 8; }, [](int col) { return (col % 16) * 8; });
  const CrossbarConfig c = lcu_config(128, 8, 9);
  for (const bool coarse : {false, true}) {
    CrossbarConfig noise_free = c;
    if (coarse) noise_free.readout.lcu.levels = 5;
    else noise_free.noise.offset_sigma_lsb = 0.15;
    for (double sigma : kSigmas) {
      CrossbarConfig noisy = noise_free;
      noisy.noise.sense_sigma_lsb = sigma;
      noisy.noise.cell_sigma_lsb = sigma / 2;
      compare(
          std::string(coarse ? "lcu G = 8, 5 levels" : "lcu G = 8 with offsets") + ", sigma " + std::to_string(sigma),
          noisy, noise_free, w, n, k, coarse ? 2.0 : 1.0, [](int) { return -1.0; });
    }
  }
}
