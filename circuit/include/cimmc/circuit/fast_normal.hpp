// Sequential standard normals and random words from one addressed stream, for partial-sum noise,
// sense offsets and stochastic readouts. Once partial sums come from popcounts, drawing one
// Gaussian per analog accumulation is the dominant cost of a noisy crossbar; the numbers come from
// the batch generators of core (core::rng::philox_normals, core::rng::philox_blocks: Philox4x32-10 and a
// single-precision Box–Muller, |z| <= 5.9, vectorized for AVX2 and AVX-512 with identical results).
//
// NormalBuffer and WordBuffer hand out numbers from one random stream (seed, address) in a fixed
// order, in chunks, so whoever consumes them sequentially gets the same values on any thread.
// Their words are exactly those of core::rng::Stream::fill_u32 on the same stream (block 0, 1, ...).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "cimmc/core/rng.hpp"

namespace cimmc::circuit {

// Sequential standard normals from one stream, generated a chunk at a time.
class NormalBuffer {
 public:
  explicit NormalBuffer(std::size_t chunk = 2048);
  // Starts over on a new stream (discarding what is left of the old one).
  void reset(std::uint64_t seed, const core::rng::StreamAddress& address);
  // The next n normals, contiguous. If fewer than n are left in the current chunk, the rest of
  // the chunk is dropped and a new chunk (at least n long) is drawn: deterministic all the same.
  const float* take(std::size_t n);
  std::uint64_t drawn() const { return drawn_; }
  // Size of the chunks drawn from now on (a caller that knows how many it will take avoids
  // drawing numbers it never uses).
  void set_chunk(std::size_t chunk) { chunk_ = std::max<std::size_t>(2, chunk + chunk % 2); }

 private:
  core::rng::Key key_{};
  core::rng::Counter base_{};
  std::uint32_t next_block_ = 0;
  std::vector<float> values_;
  std::size_t chunk_;
  std::size_t pos_ = 0;
  std::uint64_t drawn_ = 0;
};

// Sequential 32-bit random words from one stream, a chunk at a time (same contract as above).
class WordBuffer {
 public:
  explicit WordBuffer(std::size_t chunk = 2048);
  void reset(std::uint64_t seed, const core::rng::StreamAddress& address);
  const std::uint32_t* take(std::size_t n);
  void set_chunk(std::size_t chunk) { chunk_ = std::max<std::size_t>(1, chunk); }

 private:
  core::rng::Key key_{};
  core::rng::Counter base_{};
  std::uint32_t next_block_ = 0;
  std::vector<std::uint32_t> words_;
  std::size_t chunk_;
  std::size_t pos_ = 0;
};

}  // namespace cimmc::circuit
