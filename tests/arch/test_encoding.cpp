#include <gtest/gtest.h>

#include <bit>
#include <vector>

#include "cimmc/arch/zero_bit_encoding.hpp"
#include "cimmc/core/error.hpp"

using namespace cimmc::arch;

namespace {
constexpr Encoding kAll[] = {Encoding::kTwosComplement, Encoding::kSignMagnitude, Encoding::kAdaptiveFlip,
                             Encoding::kCsd};
}

TEST(Encoding, EveryInt8AndInt4ValueRoundTrips) {
  for (Encoding e : kAll)
    for (int bits : {2, 3, 4, 8})
      for (int v = -(1 << (bits - 1)); v < (1 << (bits - 1)); ++v) {
        const SignedDigits d = encode(v, bits, e);
        EXPECT_EQ(decode(d), v) << encoding_name(e) << " bits " << bits;
        for (int j = bits; j < kMaxWeightBits; ++j) EXPECT_EQ(d.digit[j], 0);
        for (int j = 0; j < bits; ++j) EXPECT_TRUE(d.digit[j] >= -1 && d.digit[j] <= 1);
      }
}

TEST(Encoding, TwosComplementHasANegativeMsbOnly) {
  const SignedDigits d = encode(-3, 4, Encoding::kTwosComplement);  // 1101
  EXPECT_EQ(d.digit[0], 1);
  EXPECT_EQ(d.digit[1], 0);
  EXPECT_EQ(d.digit[2], 1);
  EXPECT_EQ(d.digit[3], -1);
}

TEST(Encoding, AdaptiveFlipStoresWhicheverHasFewerOnes) {
  for (int v = -128; v < 128; ++v) {
    const unsigned pattern = static_cast<unsigned>(v) & 0xFFu;
    const int ones = std::popcount(pattern);
    const SignedDigits d = encode(v, 8, Encoding::kAdaptiveFlip);
    EXPECT_EQ(nonzero_digits(d), std::min(ones, 8 - ones)) << v;
    EXPECT_EQ(d.flag, 8 - ones < ones) << v;
  }
  const SignedDigits minus_one = encode(-1, 8, Encoding::kAdaptiveFlip);
  EXPECT_TRUE(minus_one.flag);
  EXPECT_EQ(nonzero_digits(minus_one), 0);
}

TEST(Encoding, CsdIsNonAdjacentAndMinimal) {
  for (int v = -128; v < 128; ++v) {
    const SignedDigits d = encode(v, 8, Encoding::kCsd);
    for (int j = 0; j + 1 < 8; ++j) EXPECT_FALSE(d.digit[j] != 0 && d.digit[j + 1] != 0) << v;
    // Never more nonzero digits than two's complement or sign-magnitude.
    EXPECT_LE(nonzero_digits(d), nonzero_digits(encode(v, 8, Encoding::kTwosComplement))) << v;
    if (v > -128) {
      EXPECT_LE(nonzero_digits(d), nonzero_digits(encode(v, 8, Encoding::kSignMagnitude))) << v;
    }
  }
  EXPECT_EQ(nonzero_digits(encode(127, 8, Encoding::kCsd)), 2);  // 2^7 - 1
}

TEST(Encoding, StatisticsCountNonzeroBits) {
  const std::vector<std::int8_t> values{0, 1, -1, 3, -128, 127};
  const auto tc = encoding_statistics(values, 8, Encoding::kTwosComplement);
  EXPECT_EQ(tc.values, 6u);
  EXPECT_EQ(tc.nonzero_digits, 0u + 1 + 8 + 2 + 1 + 7);
  EXPECT_EQ(tc.nonzero_by_position[7], 2u);  // -1 and -128
  EXPECT_DOUBLE_EQ(tc.density(8), 19.0 / 48.0);
  const auto flip = encoding_statistics(values, 8, Encoding::kAdaptiveFlip);
  EXPECT_EQ(flip.flags, 2u);  // -1 and 127 are stored complemented
  EXPECT_EQ(flip.nonzero_digits, 0u + 1 + 0 + 2 + 1 + 1);
}

TEST(Encoding, OutOfRangeValuesAreRejected) {
  EXPECT_THROW(encode(8, 4, Encoding::kCsd), cimmc::core::ArgumentError);
  EXPECT_THROW(encode(-9, 4, Encoding::kTwosComplement), cimmc::core::ArgumentError);
  EXPECT_THROW(encode(0, 9, Encoding::kTwosComplement), cimmc::core::ArgumentError);
  EXPECT_EQ(parse_encoding("csd"), Encoding::kCsd);
  EXPECT_FALSE(parse_encoding("gray").has_value());
}
