// Fast standard normals for partial-sum noise. Once partial sums come from popcounts, drawing
// one Gaussian per analog accumulation is the dominant cost of a noisy crossbar, so normals are
// made here in single precision by Box–Muller with polynomial logarithm and sine/cosine written
// as plain arithmetic on arrays (the compiler vectorizes the loop; no libm calls). Accuracy is
// about 1e-6 relative, far below any noise level a study sets; |z| <= 5.9 (24-bit uniforms).
//
// NormalBuffer and WordBuffer hand out numbers from one rng::Stream in a fixed order, in
// chunks, so whoever consumes them sequentially gets the same values on any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "cimmc/core/rng.hpp"

namespace cimmc::circuit {

// Turns 2·k random words into 2·k standard normals (pairs from Box–Muller).
void normals_from_words(std::span<const std::uint32_t> words, std::span<float> out);

// Sequential standard normals from one stream, generated a chunk at a time.
class NormalBuffer {
 public:
  explicit NormalBuffer(std::size_t chunk = 2048);
  // Starts over on a new stream (discarding what is left of the old one).
  void reset(const rng::Stream& stream);
  // The next n normals, contiguous. If fewer than n are left in the current chunk, the rest of
  // the chunk is dropped and a new chunk (at least n long) is drawn: deterministic all the same.
  const float* take(std::size_t n);
  std::uint64_t drawn() const { return drawn_; }

 private:
  rng::Stream stream_{0, {}};
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
  void reset(const rng::Stream& stream);
  const std::uint32_t* take(std::size_t n);

 private:
  rng::Stream stream_{0, {}};
  std::vector<std::uint32_t> words_;
  std::size_t chunk_;
  std::size_t pos_ = 0;
};

}  // namespace cimmc::circuit
