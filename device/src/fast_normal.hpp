// Vectorizable pieces of the thermal-field generator (private to the device layer): Philox4x32-10
// on scalar words (so a loop over lanes becomes SIMD code), and Box-Muller in single precision
// with polynomial log, sin and cos. Float accuracy (~1e-7 relative) is far below the statistical
// resolution of any thermal-noise result; the largest |z| is sqrt(2 * 25 ln 2) ~ 5.9.
#pragma once

#include <bit>
#include <cstdint>

namespace cimmc::device::detail {

struct Words4 {
  std::uint32_t w0, w1, w2, w3;
};

inline Words4 philox_words(std::uint32_t c0, std::uint32_t c1, std::uint32_t c2, std::uint32_t c3, std::uint32_t k0,
                           std::uint32_t k1) {
#pragma GCC unroll 10
  for (int r = 0; r < 10; ++r) {
    const std::uint64_t p0 = std::uint64_t{0xD2511F53u} * c0;
    const std::uint64_t p1 = std::uint64_t{0xCD9E8D57u} * c2;
    const std::uint32_t n0 = static_cast<std::uint32_t>(p1 >> 32) ^ c1 ^ k0;
    const std::uint32_t n2 = static_cast<std::uint32_t>(p0 >> 32) ^ c3 ^ k1;
    c1 = static_cast<std::uint32_t>(p1);
    c3 = static_cast<std::uint32_t>(p0);
    c0 = n0;
    c2 = n2;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  return {c0, c1, c2, c3};
}

// -2 ln(u) for u = (top 24 bits of w + 0.5) / 2^24, in (0, 1): Cephes logf polynomial.
inline float minus_two_log_u(std::uint32_t w) {
  const float u = (static_cast<float>(w >> 8) + 0.5f) * 0x1p-24f;
  const std::uint32_t bits = std::bit_cast<std::uint32_t>(u);
  float e = static_cast<float>(static_cast<int>(bits >> 23) - 126);
  float x = std::bit_cast<float>((bits & 0x007FFFFFu) | 0x3F000000u);  // [0.5, 1)
  const bool small = x < 0.70710678f;
  e = small ? e - 1.0f : e;
  x = small ? x + x - 1.0f : x - 1.0f;
  const float z = x * x;
  float y = 7.0376836292e-2f;
  y = y * x - 1.1514610310e-1f;
  y = y * x + 1.1676998740e-1f;
  y = y * x - 1.2420140846e-1f;
  y = y * x + 1.4249322787e-1f;
  y = y * x - 1.6668057665e-1f;
  y = y * x + 2.0000714765e-1f;
  y = y * x - 2.4999993993e-1f;
  y = y * x + 3.3333331174e-1f;
  y = y * x * z;
  y += -2.12194440e-4f * e;
  y += -0.5f * z;
  const float ln = x + y + 0.693359375f * e;
  return -2.0f * ln;
}

// (cos, sin) of a uniform angle from w: the top two bits pick a quadrant, the rest an angle in
// [-pi/4, pi/4) within it; together a uniform point on the circle.
inline void unit_circle(std::uint32_t w, float& c, float& s) {
  const std::uint32_t q = w >> 30;
  const float y = (static_cast<float>(w & 0x3FFFFFFFu) * 0x1p-30f - 0.5f) * 1.57079632679f;
  const float y2 = y * y;
  const float sn = y * (1.0f + y2 * (-1.6666667e-1f + y2 * (8.3333333e-3f + y2 * (-1.9841270e-4f + y2 * 2.7557319e-6f))));
  const float cs = 1.0f + y2 * (-0.5f + y2 * (4.1666667e-2f + y2 * (-1.3888889e-3f + y2 * (2.4801587e-5f - y2 * 2.7557319e-7f))));
  const bool odd = (q & 1u) != 0;
  const float a = odd ? -sn : cs;
  const float b = odd ? cs : sn;
  const bool neg = (q & 2u) != 0;
  c = neg ? -a : a;
  s = neg ? -b : b;
}

inline void box_muller(std::uint32_t w_radius, std::uint32_t w_angle, float& z0, float& z1) {
  const float r = __builtin_sqrtf(minus_two_log_u(w_radius));
  float c, s;
  unit_circle(w_angle, c, s);
  z0 = r * c;
  z1 = r * s;
}

}  // namespace cimmc::device::detail
