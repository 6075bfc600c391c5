// Boost.Random's distributions on Philox streams (core/rng_distributions.hpp): known answers, so a
// Boost release that changed an algorithm (and with it every result drawn off the hot loops) fails
// here; and the properties each draw must have.
#include "cimmc/core/rng_distributions.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <vector>

using cimmc::core::rng::Purpose;
using cimmc::core::rng::Stream;
namespace rng = cimmc::core::rng;

namespace {

Stream test_stream(std::uint64_t element = 0) { return Stream(2024, {Purpose::kTest, 3, 5, element}); }

}  // namespace

// The first values of each distribution on one stream, recorded with Boost 1.74 (Debian 12).
// Integers and booleans exactly; doubles to 4 ulp (EXPECT_DOUBLE_EQ), since a compiler may fuse
// the final mean + sigma · z or round exp differently, while a changed algorithm changes the values
// entirely.
TEST(RngDistributions, KnownAnswers) {
  Stream s = test_stream();
  const double normals[] = {-0.026284243181784888, 0.92518856903390234, 0.90333015820455342,
                            2.1944263919708673,    0.30284031316465998, 0.24101979268604407};
  for (double expected : normals) EXPECT_DOUBLE_EQ(rng::normal(s), expected);
  const double scaled[] = {1.5688472137032052, 2.9309940507669276, 1.7817208193514809};
  for (double expected : scaled) EXPECT_DOUBLE_EQ(rng::normal(s, 2.0, 0.5), expected);
  const double lognormals[] = {1.1749242411255529, 0.93207208241925277, 0.92624045056100512};
  for (double expected : lognormals) EXPECT_DOUBLE_EQ(rng::lognormal(s, 0.0, 0.1), expected);
  const double uniforms[] = {0.39553544390946627, 0.7076480989344418, 0.35077461716718972};
  for (double expected : uniforms) EXPECT_DOUBLE_EQ(rng::uniform01(s), expected);
  const std::int64_t ints[] = {1, -3, 9, 5, -1, 3, 4, -2};
  for (std::int64_t expected : ints) EXPECT_EQ(rng::uniform_int(s, -3, 9), expected);
  const bool coins[] = {false, false, false, true, true, false, false, false};
  for (bool expected : coins) EXPECT_EQ(rng::bernoulli(s, 0.3), expected);
  std::vector<int> v(10);
  std::iota(v.begin(), v.end(), 0);
  rng::shuffle(s, std::span<int>(v));
  EXPECT_EQ(v, (std::vector<int>{7, 4, 8, 5, 3, 2, 9, 1, 0, 6}));
}

// The same address gives the same numbers; another element gives others.
TEST(RngDistributions, DrawsArePureFunctionsOfTheAddress) {
  Stream a = test_stream(), b = test_stream(), c = test_stream(1);
  for (int i = 0; i < 100; ++i) {
    const double x = rng::normal(a);
    EXPECT_EQ(x, rng::normal(b));
    EXPECT_NE(x, rng::normal(c));
  }
}

// Integers stay in [lo, hi] and reach both ends; a degenerate range returns its one value.
TEST(RngDistributions, UniformIntCoversItsRangeOnly) {
  Stream s = test_stream();
  std::vector<int> seen(13, 0);
  for (int i = 0; i < 2000; ++i) {
    const std::int64_t x = rng::uniform_int(s, -3, 9);
    ASSERT_GE(x, -3);
    ASSERT_LE(x, 9);
    ++seen[static_cast<std::size_t>(x + 3)];
  }
  for (int count : seen) EXPECT_GT(count, 0);
  EXPECT_EQ(rng::uniform_int(s, 7, 7), 7);
}

// A shuffle is a permutation; a partial shuffle's prefix is a selection without repeats and the
// rest keeps every other item.
TEST(RngDistributions, ShufflesArePermutations) {
  Stream s = test_stream();
  std::vector<int> v(1000);
  std::iota(v.begin(), v.end(), 0);
  rng::shuffle(s, std::span<int>(v));
  std::vector<int> sorted = v;
  std::sort(sorted.begin(), sorted.end());
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(sorted[static_cast<std::size_t>(i)], i);
  EXPECT_NE(v, sorted);
  std::vector<int> w(50);
  std::iota(w.begin(), w.end(), 0);
  rng::partial_shuffle(s, std::span<int>(w), 10);
  std::vector<int> all = w;
  std::sort(all.begin(), all.end());
  for (int i = 0; i < 50; ++i) EXPECT_EQ(all[static_cast<std::size_t>(i)], i);
  std::vector<int> empty;
  rng::shuffle(s, std::span<int>(empty));  // no draw, no access
}

// Moments of 200 000 normals and uniforms within 5 standard errors (mean: 1/sqrt(n); variance of
// a normal: sqrt(2/n); mean of a uniform: sqrt(1/12n)), and the Bernoulli rate within 5
// sqrt(p(1-p)/n).
TEST(RngDistributions, MomentsMatchTheDistributions) {
  constexpr int kDraws = 200000;
  Stream s = test_stream(7);
  double sum = 0, sum2 = 0, usum = 0;
  int heads = 0;
  for (int i = 0; i < kDraws; ++i) {
    const double z = rng::normal(s);
    sum += z;
    sum2 += z * z;
    usum += rng::uniform01(s);
    heads += rng::bernoulli(s, 0.3) ? 1 : 0;
  }
  const double mean = sum / kDraws, var = sum2 / kDraws - mean * mean;
  EXPECT_NEAR(mean, 0.0, 5.0 / std::sqrt(kDraws));
  EXPECT_NEAR(var, 1.0, 5.0 * std::sqrt(2.0 / kDraws));
  EXPECT_NEAR(usum / kDraws, 0.5, 5.0 * std::sqrt(1.0 / (12.0 * kDraws)));
  EXPECT_NEAR(static_cast<double>(heads) / kDraws, 0.3, 5.0 * std::sqrt(0.21 / kDraws));
}
