// Statistical checks of the fast normal generator with a fixed seed. Tolerances: moments within
// 4 standard errors of their normal-distribution values, tail frequencies within 3.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "cimmc/circuit/fast_normal.hpp"

using namespace cimmc;

TEST(FastNormal, MomentsAndTailsOfAStandardNormal) {
  constexpr std::size_t kN = std::size_t{64} << 16;
  circuit::NormalBuffer normals(1 << 16);
  normals.reset(12345, {cimmc::core::rng::Purpose::kTest, 0, 0, 7});
  double s1 = 0, s2 = 0, s3 = 0, s4 = 0;
  std::size_t tail2 = 0, tail3 = 0;
  for (std::size_t done = 0; done < kN; done += 1 << 16) {
    const float* z = normals.take(1 << 16);
    for (std::size_t i = 0; i < (1 << 16); ++i) {
      const double x = z[i];
      s1 += x;
      s2 += x * x;
      s3 += x * x * x;
      s4 += x * x * x * x;
      tail2 += std::abs(x) > 2.0;
      tail3 += std::abs(x) > 3.0;
    }
  }
  const double n = static_cast<double>(kN);
  EXPECT_NEAR(s1 / n, 0.0, 4.0 * std::sqrt(1.0 / n));
  EXPECT_NEAR(s2 / n, 1.0, 4.0 * std::sqrt(2.0 / n));
  EXPECT_NEAR(s3 / n, 0.0, 4.0 * std::sqrt(15.0 / n));
  EXPECT_NEAR(s4 / n, 3.0, 4.0 * std::sqrt(96.0 / n));
  const double p2 = std::erfc(2.0 / std::sqrt(2.0)), p3 = std::erfc(3.0 / std::sqrt(2.0));
  EXPECT_NEAR(tail2 / n, p2, 3.0 * std::sqrt(p2 * (1 - p2) / n));
  EXPECT_NEAR(tail3 / n, p3, 3.0 * std::sqrt(p3 * (1 - p3) / n));
}

TEST(FastNormal, SameStreamSameNumbersWhateverTheChunking) {
  const cimmc::core::rng::StreamAddress s{cimmc::core::rng::Purpose::kTest, 0, 1, 2};
  circuit::NormalBuffer a(64), b(64);
  a.reset(99, s);
  b.reset(99, s);
  std::vector<float> x, y;
  for (int i = 0; i < 8; ++i) {
    const float* p = a.take(8);
    x.insert(x.end(), p, p + 8);
  }
  const float* q = b.take(64);
  y.assign(q, q + 64);
  EXPECT_EQ(x, y);
}
