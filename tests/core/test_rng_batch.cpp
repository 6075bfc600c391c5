// Batch Philox and normals (core/rng_batch.hpp): every kernel level this CPU runs gives exactly the
// words of the scalar Philox (itself checked against Random123 in test_rng.cpp) and exactly the
// normals of the scalar transform; the transform is within its stated accuracy of a
// double-precision Box–Muller on the same uniforms, and a few values are pinned so that a change
// of the stream is noticed.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "cimmc/core/error.hpp"
#include "cimmc/core/rng_batch.hpp"

using namespace cimmc;
using cimmc::core::KernelIsa;

namespace {

std::vector<cimmc::core::KernelIsa> supported_levels() {
  std::vector<cimmc::core::KernelIsa> out;
  for (cimmc::core::KernelIsa isa :
       {cimmc::core::KernelIsa::kPortable, cimmc::core::KernelIsa::kAvx2, cimmc::core::KernelIsa::kAvx512})
    if (cimmc::core::kernel_isa_supported(isa)) out.push_back(isa);
  return out;
}

std::uint32_t bits_of(float x) {
  std::uint32_t b;
  std::memcpy(&b, &x, sizeof b);
  return b;
}

}  // namespace

// Words of blocks first, first + 1, ... one scalar Philox call per block.
static std::vector<std::uint32_t> scalar_blocks(cimmc::core::rng::Key key, cimmc::core::rng::Counter base,
                                                std::uint32_t first, std::size_t n) {
  std::vector<std::uint32_t> out(n);
  for (std::size_t i = 0; i < n; i += 4) {
    cimmc::core::rng::Counter c = base;
    c[0] = first + static_cast<std::uint32_t>(i / 4);
    const cimmc::core::rng::Counter r = cimmc::core::rng::philox4x32_10(c, key);
    for (std::size_t j = 0; j < 4 && i + j < n; ++j) out[i + j] = r[j];
  }
  return out;
}

TEST(RngBatch, PhiloxBlocksAreScalarPhiloxAtEveryLevel) {
  const cimmc::core::rng::StreamAddress address{cimmc::core::rng::Purpose::kPartialSumNoise, 3, 77,
                                                (std::uint64_t{5} << 38) | 12345};
  const cimmc::core::rng::Key key = cimmc::core::rng::key_from_seed(2024);
  const cimmc::core::rng::Counter base = cimmc::core::rng::stream_counter(address, 0);
  for (cimmc::core::KernelIsa isa : supported_levels()) {
    for (std::size_t n : {1u, 3u, 4u, 63u, 64u, 65u, 127u, 128u, 129u, 255u, 256u, 257u, 1000u, 4099u}) {
      for (std::uint32_t first : {0u, 10u, 0xFFFFF000u}) {
        std::vector<std::uint32_t> got(n);
        cimmc::core::rng::philox_blocks(isa, key, base, first, got);
        EXPECT_EQ(got, scalar_blocks(key, base, first, n)) << cimmc::core::kernel_isa_name(isa) << " n=" << n;
      }
    }
  }
}

TEST(RngBatch, StreamFillIsTheStreamsBlocksInOrder) {
  const cimmc::core::rng::StreamAddress address{cimmc::core::rng::Purpose::kTest, 1, 2, 3};
  cimmc::core::rng::Stream stream(7, address);
  std::vector<std::uint32_t> first(41), second(530);
  stream.fill_u32(first);   // blocks 0..10 (the last one's remaining words are skipped)
  stream.fill_u32(second);  // blocks 11..143
  const cimmc::core::rng::Key key = cimmc::core::rng::key_from_seed(7);
  const cimmc::core::rng::Counter base = cimmc::core::rng::stream_counter(address, 0);
  EXPECT_EQ(first, scalar_blocks(key, base, 0, 41));
  EXPECT_EQ(second, scalar_blocks(key, base, 11, 530));
  EXPECT_EQ(stream.next_block(), 144u);
}

TEST(RngBatch, PhiloxBlocksRefuseToRunPastTheEndOfAStream) {
  std::vector<std::uint32_t> out(16);
  EXPECT_THROW(cimmc::core::rng::philox_blocks(cimmc::core::rng::key_from_seed(1),
                                               cimmc::core::rng::stream_counter({cimmc::core::rng::Purpose::kTest}, 0),
                                               0xFFFFFFFEu, out),
               cimmc::core::RuntimeFailure);
}

TEST(RngBatch, PhiloxLanesAreScalarPhiloxPerLaneAtEveryLevel) {
  const cimmc::core::rng::Key key = cimmc::core::rng::key_from_seed(0x0123456789ABCDEFull);
  for (cimmc::core::KernelIsa isa : supported_levels()) {
    for (std::size_t n : {1u, 7u, 8u, 31u, 32u, 33u, 64u, 100u, 256u, 257u}) {
      std::vector<std::uint32_t> c1(n), c2(n), o0(n), o1(n), o2(n), o3(n);
      for (std::size_t i = 0; i < n; ++i) {
        c1[i] = static_cast<std::uint32_t>(i * 2654435761u);
        c2[i] = static_cast<std::uint32_t>(0xFFFF0000u ^ (i << 5));
      }
      const cimmc::core::rng::LaneCounters k{42u, c1.data(), c2.data(), 0x05000000u};
      cimmc::core::rng::philox_lanes(isa, key, k, n, o0.data(), o1.data(), o2.data(), o3.data());
      for (std::size_t i = 0; i < n; ++i) {
        const cimmc::core::rng::Counter r = cimmc::core::rng::philox4x32_10({k.c0, c1[i], c2[i], k.c3}, key);
        ASSERT_EQ((cimmc::core::rng::Counter{o0[i], o1[i], o2[i], o3[i]}), r)
            << cimmc::core::kernel_isa_name(isa) << " lane " << i;
      }
    }
  }
}

// Every radius the transform can see (the top 24 bits of the word), each with a different angle
// word, at every level against the scalar transform: the vector versions derive the logarithm's
// exponent and mantissa differently from the scalar one.
TEST(RngBatch, EveryRadiusGivesTheScalarNormalsAtEveryLevel) {
  constexpr std::uint32_t kRadii = 1u << 24, kPiece = 1u << 16;
  std::vector<std::uint32_t> radius(kPiece), angle(kPiece);
  std::vector<float> ref0(kPiece), ref1(kPiece), z0(kPiece), z1(kPiece);
  for (std::uint32_t first = 0; first < kRadii; first += kPiece) {
    for (std::uint32_t i = 0; i < kPiece; ++i) {
      const std::uint32_t m = first + i;
      radius[i] = (m << 8) | (m * 37u & 0xFFu);  // the low byte is not used
      angle[i] = m * 0x9E3779B9u;
      cimmc::core::rng::normal_pair_scalar(radius[i], angle[i], ref0[i], ref1[i]);
    }
    for (cimmc::core::KernelIsa isa : supported_levels()) {
      cimmc::core::rng::normal_pairs(isa, radius.data(), angle.data(), kPiece, z0.data(), z1.data());
      for (std::uint32_t i = 0; i < kPiece; ++i) {
        ASSERT_EQ(bits_of(z0[i]), bits_of(ref0[i])) << cimmc::core::kernel_isa_name(isa) << " radius " << first + i;
        ASSERT_EQ(bits_of(z1[i]), bits_of(ref1[i])) << cimmc::core::kernel_isa_name(isa) << " radius " << first + i;
      }
    }
  }
}

TEST(RngBatch, NormalsAreBitIdenticalAtEveryLevel) {
  // Random words plus the edges of the radius and angle ranges.
  std::vector<std::uint32_t> words(2 * 20011);
  cimmc::core::rng::Stream(99, {cimmc::core::rng::Purpose::kTest, 0, 0, 5}).fill_u32(words);
  const std::uint32_t edges[] = {0u,          1u,          0xFFu,       0x100u,      0x3FFFFFFFu, 0x40000000u,
                                 0x7FFFFFFFu, 0x80000000u, 0xBFFFFFFFu, 0xC0000000u, 0xFFFFFF00u, 0xFFFFFFFFu};
  for (std::size_t i = 0; i < std::size(edges); ++i)
    for (std::size_t j = 0; j < std::size(edges); ++j) {
      words[2 * (i * std::size(edges) + j)] = edges[i];
      words[2 * (i * std::size(edges) + j) + 1] = edges[j];
    }
  const std::size_t pairs = words.size() / 2;
  std::vector<float> ref(words.size());
  for (std::size_t i = 0; i < pairs; ++i)
    cimmc::core::rng::normal_pair_scalar(words[2 * i], words[2 * i + 1], ref[2 * i], ref[2 * i + 1]);
  std::vector<std::uint32_t> radius(pairs), angle(pairs);
  for (std::size_t i = 0; i < pairs; ++i) {
    radius[i] = words[2 * i];
    angle[i] = words[2 * i + 1];
  }
  for (cimmc::core::KernelIsa isa : supported_levels()) {
    std::vector<float> inter(words.size()), z0(pairs), z1(pairs);
    cimmc::core::rng::normals_from_words(isa, words, inter);
    cimmc::core::rng::normal_pairs(isa, radius.data(), angle.data(), pairs, z0.data(), z1.data());
    for (std::size_t i = 0; i < pairs; ++i) {
      ASSERT_EQ(bits_of(inter[2 * i]), bits_of(ref[2 * i])) << cimmc::core::kernel_isa_name(isa) << " pair " << i;
      ASSERT_EQ(bits_of(inter[2 * i + 1]), bits_of(ref[2 * i + 1]))
          << cimmc::core::kernel_isa_name(isa) << " pair " << i;
      ASSERT_EQ(bits_of(z0[i]), bits_of(ref[2 * i])) << cimmc::core::kernel_isa_name(isa) << " pair " << i;
      ASSERT_EQ(bits_of(z1[i]), bits_of(ref[2 * i + 1])) << cimmc::core::kernel_isa_name(isa) << " pair " << i;
    }
  }
}

TEST(RngBatch, PhiloxNormalsAreTheNormalsOfTheStreamsWords) {
  // One pass (philox_normals) against the two steps (philox_blocks, then normals_from_words), bit
  // for bit, at every level: sizes around the AVX2 group of 32 blocks (128 normals) and the
  // buffer of the other paths (2048), and block offsets that are not multiples of 32.
  const cimmc::core::rng::Key key = cimmc::core::rng::key_from_seed(77);
  const cimmc::core::rng::Counter base =
      cimmc::core::rng::stream_counter({cimmc::core::rng::Purpose::kTest, 3, 1, 9}, 0);
  for (const std::size_t n : {std::size_t{2}, std::size_t{6}, std::size_t{126}, std::size_t{128}, std::size_t{130},
                              std::size_t{2046}, std::size_t{2048}, std::size_t{2050}, std::size_t{16390}})
    for (const std::uint32_t first : {0u, 5u, 1000003u}) {
      std::vector<std::uint32_t> words(n);
      cimmc::core::rng::philox_blocks(KernelIsa::kPortable, key, base, first, words);
      std::vector<float> expected(n);
      cimmc::core::rng::normals_from_words(KernelIsa::kPortable, words, expected);
      for (KernelIsa isa : supported_levels()) {
        std::vector<float> z(n, -100.0f);
        cimmc::core::rng::philox_normals(isa, key, base, first, z);
        for (std::size_t i = 0; i < n; ++i)
          ASSERT_EQ(bits_of(z[i]), bits_of(expected[i]))
              << cimmc::core::kernel_isa_name(isa) << " n " << n << " first block " << first << " normal " << i;
      }
    }
  std::vector<float> odd(7);
  EXPECT_THROW(cimmc::core::rng::philox_normals(key, base, 0, odd), cimmc::core::ArgumentError);
  std::vector<float> past(8);
  EXPECT_THROW(cimmc::core::rng::philox_normals(key, base, 0xFFFFFFFFu, past), cimmc::core::RuntimeFailure);
}

TEST(RngBatch, NormalsAreAccurateAgainstDoublePrecisionBoxMuller) {
  // The same uniforms through libm in double: radius from the top 24 bits, angle = quadrant ·
  // pi/2 + y with y from the low 30 bits (the layout documented in rng_batch.hpp).
  std::vector<std::uint32_t> words(2 * 100000);
  cimmc::core::rng::Stream(3, {cimmc::core::rng::Purpose::kTest, 0, 0, 6}).fill_u32(words);
  double worst = 0.0;
  for (std::size_t i = 0; i < words.size() / 2; ++i) {
    float z0, z1;
    cimmc::core::rng::normal_pair_scalar(words[2 * i], words[2 * i + 1], z0, z1);
    const double u = (static_cast<double>(words[2 * i] >> 8) + 0.5) * 0x1p-24;
    const double r = std::sqrt(-2.0 * std::log(u));
    const std::uint32_t a = words[2 * i + 1];
    const double phi = (a >> 30) * M_PI / 2 + (static_cast<double>(a & 0x3FFFFFFFu) * 0x1p-30 - 0.5) * M_PI / 2;
    worst = std::max({worst, std::abs(z0 - r * std::cos(phi)), std::abs(z1 - r * std::sin(phi))});
  }
  // Float round-off of a handful of operations on values up to 5.9: a few ulp of 5.9 (~5e-7 each).
  EXPECT_LT(worst, 4e-6);
}

TEST(RngBatch, PinnedNormals) {
  // The first normals of one stream: a change of the generator or the transform changes every
  // noisy result, so it must be deliberate (update these values and say so in the changelog).
  std::vector<std::uint32_t> words(8);
  cimmc::core::rng::philox_blocks(cimmc::core::rng::key_from_seed(2024),
                                  cimmc::core::rng::stream_counter({cimmc::core::rng::Purpose::kTest, 0, 0, 0}, 0), 0,
                                  words);
  std::vector<float> z(8);
  cimmc::core::rng::normals_from_words(words, z);
  // IEEE single bit patterns of 0.622919, 0.788265, 0.170259, -0.0453198, -0.543723, 1.35106,
  // -0.246038, 0.393531.
  const std::uint32_t expected[8] = {1059026843u, 1061800889u, 1043224699u, 3174670659u,
                                     3205181802u, 1068298101u, 3195793730u, 1053392103u};
  for (int i = 0; i < 8; ++i) EXPECT_EQ(bits_of(z[i]), expected[i]) << i << ": " << z[i];
}
