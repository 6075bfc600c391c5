// The crossbar's stream buffers hand out exactly the numbers of the core random stream, in order,
// across chunk boundaries.
#include <gtest/gtest.h>

#include <vector>

#include "cimmc/circuit/fast_normal.hpp"
#include "cimmc/core/rng_batch.hpp"

using namespace cimmc;

TEST(StreamBuffers, WordBufferGivesTheStreamsWordsInOrder) {
  const cimmc::core::rng::StreamAddress address{cimmc::core::rng::Purpose::kPartialSumNoise, 3, 77,
                                                (std::uint64_t{5} << 38) | 12345};
  circuit::WordBuffer buffer(100);
  buffer.reset(2024, address);
  std::vector<std::uint32_t> got;
  for (std::size_t n : {1u, 3u, 40u, 56u, 100u, 7u}) {  // 100 words per chunk: 1+3+40+56 fill the first
    const std::uint32_t* p = buffer.take(n);
    got.insert(got.end(), p, p + n);
  }
  std::vector<std::uint32_t> expected(200 + 7);
  cimmc::core::rng::Stream(2024, address).fill_u32(expected);
  ASSERT_EQ(got.size(), 207u);
  EXPECT_EQ(got, expected);
}

TEST(StreamBuffers, NormalBufferGivesTheTransformedWordsAndDropsChunkTails) {
  const cimmc::core::rng::StreamAddress address{cimmc::core::rng::Purpose::kPartialSumNoise, 0, 1, 99};
  circuit::NormalBuffer buffer(64);
  buffer.reset(5, address);
  std::vector<std::uint32_t> words(128);
  cimmc::core::rng::Stream(5, address).fill_u32(words);
  std::vector<float> normals(128);
  cimmc::core::rng::normals_from_words(words, normals);
  const float* a = buffer.take(60);
  for (int i = 0; i < 60; ++i) EXPECT_EQ(a[i], normals[i]) << i;
  // 10 more do not fit in the 4 left: those are dropped and the next chunk starts at word 64.
  const float* b = buffer.take(10);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(b[i], normals[64 + i]) << i;
  EXPECT_EQ(buffer.drawn(), 128u);
}
