// Fast standard normals for partial-sum noise. Once partial sums come from popcounts, drawing
// one Gaussian per analog accumulation is the dominant cost of a noisy crossbar, so normals are
// made here in single precision by Box–Muller with polynomial logarithm and sine/cosine written
// as plain arithmetic on arrays (the compiler vectorizes the loop; no libm calls). Accuracy is
// about 1e-6 relative, far below any noise level a study sets; |z| <= 5.9 (24-bit uniforms).
//
// NormalBuffer and WordBuffer hand out numbers from one random stream (seed, address) in a fixed
// order, in chunks, so whoever consumes them sequentially gets the same values on any thread.
// Their words are exactly those of rng::Stream::fill_u32 on the same stream (block 0, 1, ...),
// made by a Philox4x32-10 written for AVX-512 (16 blocks per step) where the CPU has it.
#pragma once

#include <cstddef>
#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

#include "cimmc/core/rng.hpp"

namespace cimmc::circuit {

// The words of blocks first_block, first_block + 1, ... of the stream with this key and
// block-0 counter, four per block (the layout of rng::Stream::fill_u32).
void philox_words(rng::Key key, rng::Counter base, std::uint32_t first_block, std::span<std::uint32_t> out);

// Turns 2·k random words into 2·k standard normals (pairs from Box–Muller).
void normals_from_words(std::span<const std::uint32_t> words, std::span<float> out);

// Sequential standard normals from one stream, generated a chunk at a time.
class NormalBuffer {
 public:
  explicit NormalBuffer(std::size_t chunk = 2048);
  // Starts over on a new stream (discarding what is left of the old one).
  void reset(std::uint64_t seed, const rng::StreamAddress& address);
  // The next n normals, contiguous. If fewer than n are left in the current chunk, the rest of
  // the chunk is dropped and a new chunk (at least n long) is drawn: deterministic all the same.
  const float* take(std::size_t n);
  std::uint64_t drawn() const { return drawn_; }
  // Size of the chunks drawn from now on (a caller that knows how many it will take avoids
  // drawing numbers it never uses).
  void set_chunk(std::size_t chunk) { chunk_ = std::max<std::size_t>(2, chunk + chunk % 2); }

 private:
  rng::Key key_{};
  rng::Counter base_{};
  std::uint32_t next_block_ = 0;
  std::vector<std::uint32_t> words_;
  std::vector<float> values_;
  std::size_t chunk_;
  std::size_t pos_ = 0;
  std::uint64_t drawn_ = 0;
};

// Sequential 32-bit random words from one stream, a chunk at a time (same contract as above).
class WordBuffer {
 public:
  explicit WordBuffer(std::size_t chunk = 2048);
  void reset(std::uint64_t seed, const rng::StreamAddress& address);
  const std::uint32_t* take(std::size_t n);
  void set_chunk(std::size_t chunk) { chunk_ = std::max<std::size_t>(1, chunk); }

 private:
  rng::Key key_{};
  rng::Counter base_{};
  std::uint32_t next_block_ = 0;
  std::vector<std::uint32_t> words_;
  std::size_t chunk_;
  std::size_t pos_ = 0;
};

}  // namespace cimmc::circuit
