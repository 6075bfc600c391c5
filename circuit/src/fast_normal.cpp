#include "cimmc/circuit/fast_normal.hpp"

#include <algorithm>

#include "cimmc/core/rng_batch.hpp"

namespace cimmc::circuit {

NormalBuffer::NormalBuffer(std::size_t chunk) : chunk_(std::max<std::size_t>(2, chunk + chunk % 2)) {}

void NormalBuffer::reset(std::uint64_t seed, const core::rng::StreamAddress& address) {
  key_ = core::rng::key_from_seed(seed);
  base_ = core::rng::stream_counter(address, 0);
  next_block_ = 0;
  pos_ = values_.size();
}

const float* NormalBuffer::take(std::size_t n) {
  if (pos_ + n > values_.size()) {
    std::size_t size = std::max(chunk_, n + n % 2);
    values_.resize(size);
    core::rng::philox_normals(key_, base_, next_block_, values_);
    next_block_ += static_cast<std::uint32_t>((size + 3) / 4);
    drawn_ += size;
    pos_ = 0;
  }
  const float* p = values_.data() + pos_;
  pos_ += n;
  return p;
}

WordBuffer::WordBuffer(std::size_t chunk) : chunk_(std::max<std::size_t>(1, chunk)) {}

void WordBuffer::reset(std::uint64_t seed, const core::rng::StreamAddress& address) {
  key_ = core::rng::key_from_seed(seed);
  base_ = core::rng::stream_counter(address, 0);
  next_block_ = 0;
  pos_ = words_.size();
}

const std::uint32_t* WordBuffer::take(std::size_t n) {
  if (pos_ + n > words_.size()) {
    words_.resize(std::max(chunk_, n));
    core::rng::philox_blocks(key_, base_, next_block_, words_);
    next_block_ += static_cast<std::uint32_t>((words_.size() + 3) / 4);
    pos_ = 0;
  }
  const std::uint32_t* p = words_.data() + pos_;
  pos_ += n;
  return p;
}

}  // namespace cimmc::circuit
