// Moments and cross-correlations of the generators over many draws. Tolerances are five
// standard errors of each estimator for a normal (uniform) population.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "cimmc/core/rng.hpp"

using namespace cimmc::core::rng;

namespace {
struct Moments {
  double mean, variance, skewness, excess_kurtosis;
};
template <typename T>
Moments moments(const std::vector<T>& x) {
  long double s1 = 0;
  for (T v : x) s1 += v;
  const long double n = static_cast<long double>(x.size());
  const long double m = s1 / n;
  long double m2 = 0, m3 = 0, m4 = 0;
  for (T v : x) {
    const long double d = v - m, d2 = d * d;
    m2 += d2;
    m3 += d2 * d;
    m4 += d2 * d2;
  }
  m2 /= n;
  m3 /= n;
  m4 /= n;
  return {static_cast<double>(m), static_cast<double>(m2), static_cast<double>(m3 / std::pow(m2, 1.5L)),
          static_cast<double>(m4 / (m2 * m2) - 3)};
}
}  // namespace

TEST(NormalMoments, TenMillionBlockNormals) {
  const std::size_t n = 10'000'000;
  std::vector<double> z(n);
  Stream s(20261122, {Purpose::kTest, 0, 0, 1});
  s.fill_normal(z);
  const auto m = moments(z);
  const double dn = static_cast<double>(n);
  EXPECT_NEAR(m.mean, 0.0, 5 * std::sqrt(1 / dn));
  EXPECT_NEAR(m.variance, 1.0, 5 * std::sqrt(2 / dn));
  EXPECT_NEAR(m.skewness, 0.0, 5 * std::sqrt(6 / dn));
  EXPECT_NEAR(m.excess_kurtosis, 0.0, 5 * std::sqrt(24 / dn));
}

TEST(NormalMoments, OneMillionScalarNormals) {
  const std::size_t n = 1'000'000;
  std::vector<double> z(n);
  Stream s(77, {Purpose::kTest, 0, 0, 2});
  for (auto& v : z) v = s.normal();
  const auto m = moments(z);
  const double dn = static_cast<double>(n);
  EXPECT_NEAR(m.mean, 0.0, 5 * std::sqrt(1 / dn));
  EXPECT_NEAR(m.variance, 1.0, 5 * std::sqrt(2 / dn));
  EXPECT_NEAR(m.skewness, 0.0, 5 * std::sqrt(6 / dn));
  EXPECT_NEAR(m.excess_kurtosis, 0.0, 5 * std::sqrt(24 / dn));
}

TEST(UniformMoments, TenMillionUniforms) {
  const std::size_t n = 10'000'000;
  std::vector<double> u(n);
  Stream s(5, {Purpose::kTest, 0, 0, 3});
  s.fill_uniform(u);
  const auto m = moments(u);
  const double dn = static_cast<double>(n);
  // Uniform(0,1): mean 1/2, variance 1/12; SE of the variance estimator sqrt((1/80 - 1/144)/n).
  EXPECT_NEAR(m.mean, 0.5, 5 * std::sqrt(1.0 / 12 / dn));
  EXPECT_NEAR(m.variance, 1.0 / 12, 5 * std::sqrt((1.0 / 80 - 1.0 / 144) / dn));
  EXPECT_NEAR(m.skewness, 0.0, 0.005);
  EXPECT_NEAR(m.excess_kurtosis, -1.2, 0.005);
}

TEST(StreamIndependence, NeighbouringAddressesAreUncorrelated) {
  // Streams that differ in one address field by one: the sample correlation of their uniforms
  // must be within 5 standard errors (1/sqrt(n)) of zero, at lags 0 and 1.
  const std::size_t n = 1'000'000;
  const StreamAddress base{Purpose::kPartialSumNoise, 10, 20, 30};
  std::vector<StreamAddress> others(5, base);
  others[0].element += 1;
  others[1].trial += 1;
  others[2].point += 1;
  others[3].purpose = Purpose::kMtjSampling;
  others[4].element += std::uint64_t{1} << 32;
  std::vector<double> x(n), y(n);
  Stream(1, base).fill_uniform(x);
  for (const auto& o : others) {
    Stream(1, o).fill_uniform(y);
    for (int lag = 0; lag <= 1; ++lag) {
      long double sxy = 0, sx = 0, sy = 0, sxx = 0, syy = 0;
      for (std::size_t i = 0; i + lag < n; ++i) {
        const double a = x[i], b = y[i + lag];
        sx += a;
        sy += b;
        sxy += a * b;
        sxx += a * a;
        syy += b * b;
      }
      const long double m = static_cast<long double>(n - lag);
      const long double cov = sxy / m - sx / m * sy / m;
      const long double r = cov / std::sqrt((sxx / m - sx / m * sx / m) * (syy / m - sy / m * sy / m));
      EXPECT_LT(std::abs(static_cast<double>(r)), 5 / std::sqrt(static_cast<double>(n))) << "lag " << lag;
    }
  }
}

TEST(StreamIndependence, DifferentSeedsAreUncorrelated) {
  const std::size_t n = 1'000'000;
  std::vector<double> x(n), y(n);
  Stream(1, {Purpose::kTest, 0, 0, 0}).fill_normal(x);
  Stream(2, {Purpose::kTest, 0, 0, 0}).fill_normal(y);
  long double sxy = 0;
  for (std::size_t i = 0; i < n; ++i) sxy += x[i] * y[i];
  EXPECT_LT(std::abs(static_cast<double>(sxy / n)), 5 / std::sqrt(static_cast<double>(n)));
}
