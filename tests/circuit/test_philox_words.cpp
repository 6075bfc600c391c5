// The crossbar's vectorized Philox must give exactly the words of the core random stream.
#include <gtest/gtest.h>

#include <vector>

#include "cimmc/circuit/fast_normal.hpp"

using namespace cimmc;

TEST(FastNormal, PhiloxWordsAreThoseOfTheCoreStream) {
  const rng::StreamAddress address{rng::Purpose::kPartialSumNoise, 3, 77, (std::uint64_t{5} << 38) | 12345};
  for (std::size_t n : {1u, 3u, 4u, 63u, 64u, 65u, 1000u, 4099u}) {
    std::vector<std::uint32_t> expected(n), got(n);
    rng::Stream stream(2024, address);
    stream.fill_u32(expected);
    circuit::philox_words(rng::key_from_seed(2024), rng::stream_counter(address, 0), 0, got);
    EXPECT_EQ(got, expected) << n;
  }
  // A later block range matches the stream after skipping the earlier blocks.
  rng::Stream stream(7, address);
  std::vector<std::uint32_t> skip(40), expected(130), got(130);
  stream.fill_u32(skip);
  stream.fill_u32(expected);
  circuit::philox_words(rng::key_from_seed(7), rng::stream_counter(address, 0), 10, got);
  EXPECT_EQ(got, expected);
}
