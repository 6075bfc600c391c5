// Counter-based random streams: Philox4x32-10 (Salmon et al., SC'11; Random123) keyed by the
// 64-bit study seed. The 128-bit counter holds the stream address and a block index:
//
//   word 0: block index within the stream (2^32 blocks of four 32-bit words)
//   word 1: element bits 0..31
//   word 2: element bits 32..47 | trial bits 0..15 << 16
//   word 3: trial bits 16..23 | sweep point (16 bits) << 8 | purpose << 24
//
// so element < 2^48, trial < 2^24, point < 2^16. Streams are cheap values; build one where it
// is needed. The same address always gives the same numbers, whatever was created before.
#pragma once

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>

#include "cimmc/core/rng_purpose.hpp"

namespace cimmc::core::rng {

using Counter = std::array<std::uint32_t, 4>;
using Key = std::array<std::uint32_t, 2>;

inline constexpr std::uint64_t kMaxElement = (std::uint64_t{1} << 48) - 1;
inline constexpr std::uint32_t kMaxTrial = (1u << 24) - 1;
inline constexpr std::uint32_t kMaxPoint = (1u << 16) - 1;

// Where a stream sits. The purpose is required: there is no default stream (an address always
// names what it is drawn for; Purpose::kTest is for tests and benchmarks only).
struct StreamAddress {
  constexpr StreamAddress(Purpose for_purpose, std::uint32_t at_point = 0, std::uint32_t at_trial = 0,
                          std::uint64_t at_element = 0)
      : purpose(for_purpose), point(at_point), trial(at_trial), element(at_element) {}

  Purpose purpose;
  std::uint32_t point;    // sweep point of a study
  std::uint32_t trial;    // Monte Carlo trial
  std::uint64_t element;  // device, trajectory, GEMM row, ...
};

// The Philox4x32 round function, ten rounds, bumping the key between rounds. Written on plain
// integers so loops over independent counters vectorize.
inline Counter philox4x32_10(Counter c, Key k) {
  constexpr std::uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u;
  constexpr std::uint32_t kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;
  for (int r = 0; r < 10; ++r) {
    const std::uint64_t p0 = std::uint64_t{kM0} * c[0];
    const std::uint64_t p1 = std::uint64_t{kM1} * c[2];
    const std::uint32_t hi0 = static_cast<std::uint32_t>(p0 >> 32), lo0 = static_cast<std::uint32_t>(p0);
    const std::uint32_t hi1 = static_cast<std::uint32_t>(p1 >> 32), lo1 = static_cast<std::uint32_t>(p1);
    c = {hi1 ^ c[1] ^ k[0], lo1, hi0 ^ c[3] ^ k[1], lo0};
    k[0] += kW0;
    k[1] += kW1;
  }
  return c;
}

inline Key key_from_seed(std::uint64_t seed) {
  return {static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)};
}

// Counter of block `block` of the stream at `address`. Throws core::ArgumentError if a field of the
// address is out of its range.
Counter stream_counter(const StreamAddress& address, std::uint32_t block = 0);

// A uniform double in (0, 1) from 32 random bits (resolution 2^-32, never 0 or 1).
inline double u01_open_32(std::uint32_t x) { return (static_cast<double>(x) + 0.5) * 0x1p-32; }
// A uniform double in (0, 1) from 64 random bits (52-bit resolution, never 0 or 1).
inline double u01_open_64(std::uint32_t lo, std::uint32_t hi) {
  const std::uint64_t x = (std::uint64_t{hi} << 32 | lo) >> 12;
  return (static_cast<double>(x) + 0.5) * 0x1p-52;
}

// A random stream. Satisfies UniformRandomBitGenerator (32-bit results), so Boost.Random and
// <random> distributions may sit on top; uniform() and normal() are cimmc's own so that numbers
// are identical across standard libraries.
class Stream {
 public:
  using result_type = std::uint32_t;

  Stream(std::uint64_t seed, const StreamAddress& address);

  static constexpr result_type min() { return 0; }
  static constexpr result_type max() { return std::numeric_limits<result_type>::max(); }

  result_type operator()() {
    if (used_ == 4) refill();
    return buffer_[used_++];
  }
  // Uniform in (0, 1) with 52-bit resolution.
  double uniform() {
    const std::uint32_t lo = (*this)();
    return u01_open_64(lo, (*this)());
  }
  // Standard normal (Box–Muller on 52-bit uniforms; the second value is kept for the next call).
  double normal();

  // Block generators: fill whole arrays from the next unused block on (words left over in the
  // scalar buffer are skipped), four words per Philox call, in a loop the compiler vectorizes.
  void fill_u32(std::span<std::uint32_t> out);
  // Uniform in (0, 1), one 32-bit word each (resolution 2^-32).
  void fill_uniform(std::span<double> out);
  // Standard normals by Box–Muller, one 32-bit uniform per factor: |z| <= 6.8.
  void fill_normal(std::span<double> out);
  void fill_normal(std::span<float> out);

  // Blocks of four words consumed so far (the next block index).
  std::uint32_t next_block() const { return next_block_; }

 private:
  void refill();
  std::uint32_t reserve_blocks(std::size_t blocks);

  Key key_;
  Counter base_;  // counter of block 0
  std::uint32_t next_block_ = 0;
  std::array<std::uint32_t, 4> buffer_{};
  int used_ = 4;
  bool has_spare_normal_ = false;
  double spare_normal_ = 0.0;
};

}  // namespace cimmc::core::rng
