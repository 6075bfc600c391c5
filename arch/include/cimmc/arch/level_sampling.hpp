// Level sampling of an ADC conversion's additive noise (docs/rare_event_sampling.md, "Level
// sampling"): a conversion of an integer partial sum p with Gaussian noise of one σ reads code c
// with probability P(round((p + σ z) / step) = c), clipped to the code range. Instead of drawing
// the normal z and quantizing p + σ z, the code is drawn from that distribution by inverse CDF,
// with one uniform U in [0, 2^64) per conversion:
//
//   T_c = floor(2^64 · Φ(((c + 1/2) · step − p) / σ))   for c in [lo − 1, hi]
//   code = the smallest c with U < T_c                  (code hi + 1 when there is none)
//
// where codes lo − 1 and hi + 1 stand for "below" and "above" the range (both clip; the clipped
// count needs them). The thresholds depend on p alone, so a table per quantizer and σ holds them
// for every p in [0, 255]. U is read lazily: its top 16 bits u16 come from one stream (half a
// word per conversion), its 48 low bits from a second stream only when u16 does not decide.
//
// Two stages, the same codes on every kernel:
//  1. u16's top byte b against the top bytes of T(k0 − 1) and T(k0), k0 the noise-free code:
//     code k0 − 1, k0 or k0 + 1 (byte-table lookups, vectorized). A table is usable only where
//     this is exact for every b except those flagged: b equal to one of the two bytes, 0 or 255.
//  2. Flagged conversions: u16 against the top 16 bits of the four thresholds around k0, and
//     where it ties with one (or is 0 or 2^16 − 1), `Table::code`: comparisons of U with the
//     thresholds, drawing the 48 low bits when u16 ties with one.
//
// Exact in distribution to the resolution of the double-precision Φ (about 2^-53): the same
// distribution as the direct method, not the same draws.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "cimmc/circuit/fast_normal.hpp"
#include "cimmc/circuit/readout.hpp"

namespace cimmc::arch::level {

// The largest partial sum a table covers (stage 1 works on bytes).
inline constexpr int kMaxPartialSum = 255;
// Conversions per group of uniforms: 16 words (64 bytes), conversion j of the group takes the top
// byte of its u16 from byte j and the low byte from byte 32 + j (bytes of the words in little-
// endian order: byte i is bits 8·(i mod 4) .. of word i / 4).
inline constexpr int kGroup = 32;
inline constexpr int kWordsPerGroup = 16;
// Words of uniforms that `n` conversions take (whole groups).
inline constexpr std::size_t words_for(std::size_t n) { return (n + kGroup - 1) / kGroup * kWordsPerGroup; }

// One conversion's uniform: its top 16 bits, and the 48 low bits drawn from `refine` when a
// comparison needs them (at most once per conversion, in the order conversions ask).
class Uniform {
 public:
  Uniform(std::uint16_t u16, circuit::WordBuffer& refine) : value_(std::uint64_t{u16} << 48), refine_(&refine) {}
  // U < t, where t = UINT64_MAX stands for 2^64 (always).
  bool below(std::uint64_t t);
  bool refined() const { return refined_; }

 private:
  std::uint64_t value_;
  bool refined_ = false;
  circuit::WordBuffer* refine_;
};

class Table {
 public:
  // The table of quantizer q with noise σ >= 0 (in PS units); none when stage 1 would not be
  // exact for some p (σ too large against the step: levels k0 ± 2 reachable from bytes 1..254).
  static std::optional<Table> build(const circuit::AdcQuantizer& q, double sigma);

  // Stage 2: the exact code of partial sum p (0..255) for the uniform u.
  int code(int p, Uniform& u) const;
  // T_c of partial sum p (0 below the stored window, UINT64_MAX above it).
  std::uint64_t threshold(int p, int c) const;

  int lo() const { return lo_; }
  int hi() const { return hi_; }
  float step() const { return step_; }
  float inverse_step() const { return inverse_step_; }
  // Stage 1 tables, [p]: k0, and the top bytes of T(k0 − 1) and T(k0).
  const std::array<std::int16_t, 256>& k0() const { return k0_; }
  const std::array<std::uint8_t, 256>& below() const { return below_; }
  const std::array<std::uint8_t, 256>& above() const { return above_; }
  // The top 16 bits of T(k0 − 2), T(k0 − 1), T(k0), T(k0 + 1) of p (0 for a code below lo − 1,
  // 2^16 for T = 2^64 or a code above hi): stage 2 decides from u16 alone when u16 equals none
  // of them and is neither 0 nor 2^16 − 1 (the build checks that k0 ± 3 then cannot be reached).
  struct Near {
    std::uint32_t t[4];
  };
  const std::array<Near, 256>& near() const { return near_; }
  // Whether every code lo − 1 .. hi + 1 fits a byte as code − (lo − 1), and k0 so, [p].
  bool byte_codes() const { return hi_ - lo_ + 2 <= 255; }
  const std::array<std::uint8_t, 256>& k0_byte() const { return k0_byte_; }

 private:
  int lo_ = 0, hi_ = 0;
  float step_ = 1.0f, inverse_step_ = 1.0f;
  std::array<std::int16_t, 256> k0_{};
  std::array<std::uint8_t, 256> below_{}, above_{};
  std::array<Near, 256> near_{};
  std::array<std::uint8_t, 256> k0_byte_{};
  // Thresholds strictly inside (0, 2^64) of each p: codes first_[p] .. first_[p] + count, at
  // offset_[p] of thresholds_.
  std::array<std::int16_t, 256> first_{};
  std::array<std::uint32_t, 257> offset_{};
  std::vector<std::uint64_t> thresholds_;
};

// One block of conversions of single-ended partial sums with one table: what the fused ADC pass
// reads and writes (crossbar_run.cpp).
struct Block {
  const std::int32_t* ps = nullptr;      // partial sums, 0..255
  const std::uint8_t* valid = nullptr;   // 1 for real outputs
  const std::uint32_t* words = nullptr;  // words_for(elements) words of uniforms; conversion e is
                                         // conversion e − first of them (first a multiple of kGroup)
  int first = 0;                         // the block's conversions [first, last)
  int last = 0;
  bool sparse = false;  // a zero PS is skipped: value 0, not converted
  float* value = nullptr;
};

struct Counts {
  int clipped = 0;  // conversions of real outputs whose code is outside [lo, hi]
  int zero = 0;     // zero PS of real outputs
};

// Converts conversions [first, last) of the block: value = clamp(code, lo, hi) · step (0 when
// skipped). Stage 2 runs for flagged conversions of real outputs that are not skipped, in order
// of e, drawing from `refine`. The fastest kernel this build has; `convert_reference` is the
// plain loop it is tested against (identical values, counts and refine draws).
Counts convert(const Table& table, const Block& block, circuit::WordBuffer& refine);
Counts convert_reference(const Table& table, const Block& block, circuit::WordBuffer& refine);

}  // namespace cimmc::arch::level
