#include "cimmc/circuit/fast_normal.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace cimmc::circuit {

namespace {

// ln(x) for x in (0, 1]: x = 2^e · m with m in [sqrt(1/2), sqrt(2)), ln m by the atanh series
// in t = (m-1)/(m+1), |t| <= 0.172 (terms to t^9: relative error < 1e-8 before rounding).
inline float log_positive(float x) {
  std::uint32_t bits = std::bit_cast<std::uint32_t>(x);
  int e = static_cast<int>(bits >> 23) - 127;
  bits = (bits & 0x007FFFFFu) | 0x3F800000u;  // m in [1, 2)
  float m = std::bit_cast<float>(bits);
  const bool big = m > 1.41421356f;
  m = big ? m * 0.5f : m;
  e = big ? e + 1 : e;
  const float t = (m - 1.0f) / (m + 1.0f);
  const float t2 = t * t;
  const float series = t * (2.0f + t2 * (2.0f / 3 + t2 * (2.0f / 5 + t2 * (2.0f / 7 + t2 * (2.0f / 9)))));
  return static_cast<float>(e) * 0.69314718f + series;
}

}  // namespace

void normals_from_words(std::span<const std::uint32_t> words, std::span<float> out) {
  const std::size_t pairs = std::min(words.size(), out.size()) / 2;
  const std::uint32_t* w = words.data();
  float* o = out.data();
  constexpr float kHalfPi = 1.57079632679f;
  constexpr float kQuarterPi = 0.78539816340f;
  constexpr float kInvSqrt2 = 0.70710678118f;
#pragma omp simd
  for (std::size_t i = 0; i < pairs; ++i) {
    // Radius from the top 24 bits: u in (0, 1), never 0.
    const float u = (static_cast<float>(w[2 * i] >> 8) + 0.5f) * 0x1p-24f;
    const float r = std::sqrt(-2.0f * log_positive(u));
    // Angle: two bits pick the quadrant, 24 bits the position inside it; sin and cos of the
    // offset from the quadrant's middle by Taylor series (|y| <= pi/4, error < 4e-8).
    const std::uint32_t a = w[2 * i + 1];
    const std::uint32_t quadrant = a >> 30;
    const float y = (static_cast<float>((a >> 6) & 0xFFFFFFu) + 0.5f) * 0x1p-24f * kHalfPi - kQuarterPi;
    const float y2 = y * y;
    const float sy = y * (1.0f - y2 * (1.0f / 6 - y2 * (1.0f / 120 - y2 * (1.0f / 5040 - y2 * (1.0f / 362880)))));
    const float cy = 1.0f - y2 * (0.5f - y2 * (1.0f / 24 - y2 * (1.0f / 720 - y2 * (1.0f / 40320))));
    // Rotate by pi/4 to get the angle inside the quadrant, then by the quadrant.
    const float c0 = (cy - sy) * kInvSqrt2;
    const float s0 = (cy + sy) * kInvSqrt2;
    const float c = quadrant == 0 ? c0 : quadrant == 1 ? -s0 : quadrant == 2 ? -c0 : s0;
    const float s = quadrant == 0 ? s0 : quadrant == 1 ? c0 : quadrant == 2 ? -s0 : -c0;
    o[2 * i] = r * c;
    o[2 * i + 1] = r * s;
  }
}

NormalBuffer::NormalBuffer(std::size_t chunk) : chunk_(std::max<std::size_t>(2, chunk + chunk % 2)) {}

void NormalBuffer::reset(const rng::Stream& stream) {
  stream_ = stream;
  pos_ = values_.size();
}

const float* NormalBuffer::take(std::size_t n) {
  if (pos_ + n > values_.size()) {
    std::size_t size = std::max(chunk_, n + n % 2);
    words_.resize(size);
    values_.resize(size);
    stream_.fill_u32(words_);
    normals_from_words(words_, values_);
    drawn_ += size;
    pos_ = 0;
  }
  const float* p = values_.data() + pos_;
  pos_ += n;
  return p;
}

WordBuffer::WordBuffer(std::size_t chunk) : chunk_(std::max<std::size_t>(1, chunk)) {}

void WordBuffer::reset(const rng::Stream& stream) {
  stream_ = stream;
  pos_ = words_.size();
}

const std::uint32_t* WordBuffer::take(std::size_t n) {
  if (pos_ + n > words_.size()) {
    words_.resize(std::max(chunk_, n));
    stream_.fill_u32(words_);
    pos_ = 0;
  }
  const std::uint32_t* p = words_.data() + pos_;
  pos_ += n;
  return p;
}

}  // namespace cimmc::circuit
