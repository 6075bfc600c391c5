#include "cimmc/arch/zero_bit_encoding.hpp"

#include <fmt/format.h>

#include <bit>

#include "cimmc/core/error.hpp"

namespace cimmc::arch {

std::string_view encoding_name(Encoding e) {
  switch (e) {
    case Encoding::kTwosComplement: return "twos_complement";
    case Encoding::kSignMagnitude: return "sign_magnitude";
    case Encoding::kAdaptiveFlip: return "adaptive_flip";
    case Encoding::kCsd: return "csd";
  }
  return "unknown";
}

std::optional<Encoding> parse_encoding(std::string_view name) {
  for (Encoding e : {Encoding::kTwosComplement, Encoding::kSignMagnitude, Encoding::kAdaptiveFlip, Encoding::kCsd})
    if (encoding_name(e) == name) return e;
  return std::nullopt;
}

namespace {

SignedDigits twos_complement_digits(int value, int bits) {
  SignedDigits d;
  const unsigned pattern = static_cast<unsigned>(value) & ((1u << bits) - 1);
  for (int j = 0; j < bits - 1; ++j) d.digit[j] = static_cast<std::int8_t>((pattern >> j) & 1u);
  d.digit[bits - 1] = static_cast<std::int8_t>(-static_cast<int>((pattern >> (bits - 1)) & 1u));
  return d;
}

}  // namespace

SignedDigits encode(int value, int bits, Encoding encoding) {
  if (bits < 2 || bits > kMaxWeightBits)
    throw core::ArgumentError(fmt::format("encode: weight bits {} not in [2, {}]", bits, kMaxWeightBits));
  const int lo = -(1 << (bits - 1)), hi = (1 << (bits - 1)) - 1;
  if (value < lo || value > hi)
    throw core::ArgumentError(
        fmt::format("encode: value {} does not fit in {} bits (expected [{}, {}])", value, bits, lo, hi));
  switch (encoding) {
    case Encoding::kTwosComplement: return twos_complement_digits(value, bits);
    case Encoding::kSignMagnitude: {
      SignedDigits d;
      const int sign = value < 0 ? -1 : 1;
      const unsigned mag = static_cast<unsigned>(value < 0 ? -value : value);
      for (int j = 0; j < bits; ++j) d.digit[j] = static_cast<std::int8_t>(sign * static_cast<int>((mag >> j) & 1u));
      return d;
    }
    case Encoding::kAdaptiveFlip: {
      const unsigned mask = (1u << bits) - 1;
      const unsigned pattern = static_cast<unsigned>(value) & mask;
      if (std::popcount(pattern) <= std::popcount(~pattern & mask)) return twos_complement_digits(value, bits);
      SignedDigits d = twos_complement_digits(-value - 1, bits);  // ~v
      for (int j = 0; j < bits; ++j) d.digit[j] = static_cast<std::int8_t>(-d.digit[j]);
      d.flag = true;
      return d;
    }
    case Encoding::kCsd: {
      SignedDigits d;
      int v = value;
      for (int j = 0; v != 0; ++j) {
        if (j >= bits) throw core::RuntimeFailure(fmt::format("csd: value {} needs more than {} digits", value, bits));
        if (v & 1) {
          const int r = ((v % 4) + 4) % 4;  // 1 or 3
          const int digit = r == 1 ? 1 : -1;
          d.digit[j] = static_cast<std::int8_t>(digit);
          v -= digit;
        }
        v /= 2;
      }
      return d;
    }
  }
  throw core::ArgumentError("encode: unknown encoding");
}

int decode(const SignedDigits& d) {
  int v = 0;
  for (int j = 0; j < kMaxWeightBits; ++j) v += d.digit[j] * (1 << j);
  return v - (d.flag ? 1 : 0);
}

int nonzero_digits(const SignedDigits& d) {
  int n = 0;
  for (auto x : d.digit) n += x != 0;
  return n;
}

EncodingStatistics encoding_statistics(std::span<const std::int8_t> values, int bits, Encoding encoding) {
  EncodingStatistics s;
  s.nonzero_by_position.assign(static_cast<std::size_t>(bits), 0);
  for (std::int8_t v : values) {
    const SignedDigits d = encode(v, bits, encoding);
    ++s.values;
    s.flags += d.flag;
    for (int j = 0; j < bits; ++j)
      if (d.digit[j] != 0) {
        ++s.nonzero_digits;
        ++s.nonzero_by_position[static_cast<std::size_t>(j)];
      }
  }
  return s;
}

}  // namespace cimmc::arch
