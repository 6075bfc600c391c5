// Zero-bit encodings of signed B-bit weights (ZEBRA; docs/cost.md, zero skipping). A crossbar computes only
// with the nonzero bits of what it stores: a zero bit needs no analog computation and adds no
// noise, so an encoding with more zero bits gives sparser bit planes and more skipped work.
//
// Every encoding writes a value as signed binary digits plus an optional flag:
//     v = Σ_j digit_j · 2^j − flag,   digit_j in {−1, 0, +1}, j < B,
//  - twos_complement: digits 0/1 for j < B−1 and 0/−1 at the MSB (negative-weighted MSB);
//  - sign_magnitude: all digits carry the sign of v (−2^(B−1) uses the digit at position B−1);
//  - adaptive_flip: store v or its B-bit complement ~v = −v−1 (then flag = 1), whichever has
//    fewer ones (ties keep v); the complement's digits are those of ~v negated, and the flag
//    supplies the −1;
//  - csd: canonical signed digit (non-adjacent form): no two adjacent nonzero digits, the
//    fewest nonzero digits of any signed-digit form.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace cimmc::arch {

enum class Encoding { kTwosComplement, kSignMagnitude, kAdaptiveFlip, kCsd };
std::string_view encoding_name(Encoding e);  // "twos_complement", "sign_magnitude", "adaptive_flip", "csd"
std::optional<Encoding> parse_encoding(std::string_view name);

inline constexpr int kMaxWeightBits = 8;

struct SignedDigits {
  std::array<std::int8_t, kMaxWeightBits> digit{};  // digit[j] weighs 2^j
  bool flag = false;                                // adaptive flip: value stored complemented
};

// Encodes value (in [−2^(B−1), 2^(B−1)−1], 2 <= B <= 8); out of range throws core::ArgumentError.
SignedDigits encode(int value, int bits, Encoding encoding);
int decode(const SignedDigits& d);
// Nonzero digits (stored ones), not counting the flag.
int nonzero_digits(const SignedDigits& d);

struct EncodingStatistics {
  std::uint64_t values = 0;
  std::uint64_t nonzero_digits = 0;                // ones stored in digit planes
  std::uint64_t flags = 0;                         // values stored complemented (adaptive flip)
  std::vector<std::uint64_t> nonzero_by_position;  // [B]
  // Fraction of stored digit bits that are nonzero (of values · B).
  double density(int bits) const {
    return values ? static_cast<double>(nonzero_digits) / (static_cast<double>(values) * bits) : 0.0;
  }
};

EncodingStatistics encoding_statistics(std::span<const std::int8_t> values, int bits, Encoding encoding);

}  // namespace cimmc::arch
