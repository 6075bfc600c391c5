#include <Random123/philox.h>
#include <gtest/gtest.h>

#include <boost/random/normal_distribution.hpp>
#include <boost/random/uniform_int_distribution.hpp>
#include <vector>

#include "cimmc/core/error.hpp"
#include "cimmc/core/rng.hpp"

using namespace cimmc::core::rng;

// Random123's published known-answer vectors for Philox4x32-10 (kat_vectors).
struct Kat {
  Counter ctr;
  Key key;
  Counter expected;
};
static const Kat kKats[] = {
    {{0, 0, 0, 0}, {0, 0}, {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
    {{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff},
     {0xffffffff, 0xffffffff},
     {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
    {{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344},
     {0xa4093822, 0x299f31d0},
     {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
};

TEST(Philox, KnownAnswerVectors) {
  for (const auto& k : kKats) EXPECT_EQ(philox4x32_10(k.ctr, k.key), k.expected);
}

TEST(Philox, AgreesWithRandom123) {
  r123::Philox4x32 ref;
  for (std::uint32_t i = 0; i < 1000; ++i) {
    const Counter c{i, i * 7u, ~i, i ^ 0x5555u};
    const Key k{i * 13u + 1u, 0xdeadbeefu - i};
    const auto out =
        ref(r123::Philox4x32::ctr_type{{c[0], c[1], c[2], c[3]}}, r123::Philox4x32::key_type{{k[0], k[1]}});
    EXPECT_EQ(philox4x32_10(c, k), (Counter{out.v[0], out.v[1], out.v[2], out.v[3]}));
  }
}

TEST(Stream, SameAddressSameNumbersWhateverTheCreationOrder) {
  const StreamAddress a{Purpose::kThermalField, 3, 7, 12345};
  const StreamAddress b{Purpose::kThermalField, 3, 7, 12346};
  Stream first(42, a);
  std::vector<std::uint32_t> x(100);
  for (auto& v : x) v = first();
  // Create and consume other streams first, then the same address again.
  Stream other(42, b);
  for (int i = 0; i < 1000; ++i) other();
  Stream again(42, a);
  for (auto v : x) EXPECT_EQ(again(), v);
}

TEST(Stream, AddressFieldsAllMatter) {
  const std::uint64_t seed = 7;
  const StreamAddress base{Purpose::kPartialSumNoise, 1, 2, 3};
  std::vector<StreamAddress> variants = {base, base, base, base, base};
  variants[1].purpose = Purpose::kMtjSampling;
  variants[2].point = 2;
  variants[3].trial = 3;
  variants[4].element = 4;
  std::vector<std::uint32_t> firsts;
  firsts.reserve(variants.size());
  for (const auto& v : variants) firsts.push_back(Stream(seed, v)());
  for (std::size_t i = 0; i < firsts.size(); ++i)
    for (std::size_t j = i + 1; j < firsts.size(); ++j) EXPECT_NE(firsts[i], firsts[j]) << i << " " << j;
  EXPECT_NE(Stream(1, base)(), Stream(2, base)());
}

TEST(Stream, CounterLayoutUsesFullRanges) {
  const StreamAddress top{Purpose::kStudyTrial, kMaxPoint, kMaxTrial, kMaxElement};
  const Counter c = stream_counter(top, 5);
  EXPECT_EQ(c[0], 5u);
  EXPECT_EQ(c[1], 0xFFFFFFFFu);
  EXPECT_EQ(c[2], 0xFFFFFFFFu);
  EXPECT_EQ(c[3], (14u << 24) | 0xFFFFFFu);
}

TEST(Stream, OutOfRangeAddressIsAnError) {
  EXPECT_THROW(Stream(1, StreamAddress{Purpose::kTest, 0, 0, kMaxElement + 1}), cimmc::core::ArgumentError);
  EXPECT_THROW(Stream(1, StreamAddress{Purpose::kTest, 0, kMaxTrial + 1, 0}), cimmc::core::ArgumentError);
  EXPECT_THROW(Stream(1, StreamAddress{Purpose::kTest, kMaxPoint + 1, 0, 0}), cimmc::core::ArgumentError);
}

TEST(Stream, BlockFillMatchesScalarWords) {
  const StreamAddress a{Purpose::kTest, 0, 0, 99};
  Stream scalar(5, a), block(5, a);
  std::vector<std::uint32_t> words(4 * 300 + 3);
  block.fill_u32(words);
  for (std::size_t i = 0; i < words.size(); ++i) ASSERT_EQ(words[i], scalar()) << i;
}

TEST(Stream, UniformsAreInsideTheOpenInterval) {
  Stream s(11, {Purpose::kTest, 0, 0, 1});
  std::vector<double> u(100000);
  s.fill_uniform(u);
  for (double x : u) ASSERT_TRUE(x > 0.0 && x < 1.0);
  EXPECT_GT(u01_open_32(0), 0.0);
  EXPECT_LT(u01_open_32(0xFFFFFFFFu), 1.0);
  EXPECT_GT(u01_open_64(0, 0), 0.0);
  EXPECT_LT(u01_open_64(0xFFFFFFFFu, 0xFFFFFFFFu), 1.0);
}

TEST(Stream, FloatAndDoubleNormalsAgree) {
  const StreamAddress a{Purpose::kTest, 0, 0, 3};
  Stream sd(9, a), sf(9, a);
  std::vector<double> d(1001);
  std::vector<float> f(1001);
  sd.fill_normal(d);
  sf.fill_normal(f);
  for (std::size_t i = 0; i < d.size(); ++i) ASSERT_FLOAT_EQ(static_cast<float>(d[i]), f[i]);
}

TEST(Stream, WorksAsUniformRandomBitGeneratorForBoost) {
  Stream s(3, {Purpose::kTest, 0, 0, 0});
  boost::random::uniform_int_distribution<int> die(1, 6);
  boost::random::normal_distribution<double> normal(0.0, 1.0);
  int counts[7] = {};
  for (int i = 0; i < 6000; ++i) counts[die(s)]++;
  for (int k = 1; k <= 6; ++k) EXPECT_NEAR(counts[k], 1000, 5 * std::sqrt(1000.0 * 5 / 6));
  double sum = 0;
  for (int i = 0; i < 10000; ++i) sum += normal(s);
  EXPECT_NEAR(sum / 10000, 0.0, 5.0 / 100);
}
