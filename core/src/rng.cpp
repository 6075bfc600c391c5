#include "cimmc/core/rng.hpp"

#include <fmt/format.h>

#include <vector>

#include "cimmc/core/error.hpp"
#include "cimmc/core/rng_batch.hpp"

namespace cimmc::core::rng {

Counter stream_counter(const StreamAddress& a, std::uint32_t block) {
  if (a.element > kMaxElement)
    throw core::ArgumentError(fmt::format("random stream element {} is out of range (at most 2^48-1)", a.element));
  if (a.trial > kMaxTrial)
    throw core::ArgumentError(fmt::format("random stream trial {} is out of range (at most {})", a.trial, kMaxTrial));
  if (a.point > kMaxPoint)
    throw core::ArgumentError(
        fmt::format("random stream sweep point {} is out of range (at most {})", a.point, kMaxPoint));
  const auto purpose = static_cast<std::uint32_t>(a.purpose);
  return {block, static_cast<std::uint32_t>(a.element),
          static_cast<std::uint32_t>(a.element >> 32) | (a.trial & 0xFFFFu) << 16,
          (a.trial >> 16) | a.point << 8 | purpose << 24};
}

Stream::Stream(std::uint64_t seed, const StreamAddress& address)
    : key_(key_from_seed(seed)), base_(stream_counter(address, 0)) {}

std::uint32_t Stream::reserve_blocks(std::size_t blocks) {
  const std::uint64_t end = std::uint64_t{next_block_} + blocks;
  if (end > std::numeric_limits<std::uint32_t>::max())
    throw core::RuntimeFailure("random stream exhausted: more than 2^32 blocks drawn from one stream");
  const std::uint32_t first = next_block_;
  next_block_ = static_cast<std::uint32_t>(end);
  used_ = 4;  // leftover scalar words are skipped
  return first;
}

void Stream::refill() {
  const std::uint32_t block = reserve_blocks(1);
  Counter c = base_;
  c[0] = block;
  buffer_ = philox4x32_10(c, key_);
  used_ = 0;
}

double Stream::normal() {
  if (has_spare_normal_) {
    has_spare_normal_ = false;
    return spare_normal_;
  }
  const double u1 = uniform(), u2 = uniform();
  const double r = std::sqrt(-2.0 * std::log(u1));
  const double phi = 2.0 * 3.14159265358979323846 * u2;
  spare_normal_ = r * std::sin(phi);
  has_spare_normal_ = true;
  return r * std::cos(phi);
}

void Stream::fill_u32(std::span<std::uint32_t> out) {
  const std::size_t blocks = (out.size() + 3) / 4;
  philox_blocks(key_, base_, reserve_blocks(blocks), out);
}

void Stream::fill_uniform(std::span<double> out) {
  constexpr std::size_t kChunk = 1024;
  std::uint32_t words[kChunk];
  for (std::size_t start = 0; start < out.size(); start += kChunk) {
    const std::size_t n = std::min(kChunk, out.size() - start);
    fill_u32({words, n});
    double* o = out.data() + start;
#pragma omp simd
    for (std::size_t i = 0; i < n; ++i) o[i] = u01_open_32(words[i]);
  }
}

namespace {
template <typename T>
void box_muller_block(const std::uint32_t* words, T* out, std::size_t pairs) {
  constexpr double kTwoPi = 2.0 * 3.14159265358979323846;
  for (std::size_t i = 0; i < pairs; ++i) {
    const double r = std::sqrt(-2.0 * std::log(u01_open_32(words[2 * i])));
    const double phi = kTwoPi * u01_open_32(words[2 * i + 1]);
    out[2 * i] = static_cast<T>(r * std::cos(phi));
    out[2 * i + 1] = static_cast<T>(r * std::sin(phi));
  }
}

template <typename T>
void fill_normal_impl(Stream& s, std::span<T> out) {
  constexpr std::size_t kChunk = 1024;  // even
  std::uint32_t words[kChunk];
  T tail[2];
  for (std::size_t start = 0; start < out.size(); start += kChunk) {
    const std::size_t n = std::min(kChunk, out.size() - start);
    const std::size_t pairs = (n + 1) / 2;
    s.fill_u32({words, 2 * pairs});
    box_muller_block(words, out.data() + start, n / 2);
    if (n % 2 == 1) {
      box_muller_block(words + 2 * (n / 2), tail, 1);
      out[start + n - 1] = tail[0];
    }
  }
}
}  // namespace

void Stream::fill_normal(std::span<double> out) { fill_normal_impl(*this, out); }
void Stream::fill_normal(std::span<float> out) { fill_normal_impl(*this, out); }

}  // namespace cimmc::core::rng
