// Rare-event sampling of readout errors (docs/rare_event_sampling.md): instead of one normal per
// analog sense, the noise-free level of every sense is computed, and from the same addressed
// stream only the senses the noise moves to another level are drawn:
//  - candidates: i.i.d. Bernoulli(P) over the senses, enumerated by geometric gaps, where P bounds
//    every sense's error probability p_i;
//  - thinning: a candidate errs when t = U · P < p_i (so with probability p_i / P), U uniform;
//  - the new level: given an error, t is uniform on (0, p_i) and is mapped through the normal's
//    tails to the level the noise reaches (inverse CDF).
// Each sense thus errs independently with probability p_i and moves to level k with probability
// P(noise puts the value in level k's interval): the direct method's distribution.
//
// Private to the crossbar engine (crossbar_run.cpp, crossbar_lcu_readout.cpp).
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>

#include "cimmc/circuit/fast_normal.hpp"
#include "cimmc/circuit/noise_model.hpp"
#include "cimmc/core/rng.hpp"

namespace cimmc::arch::rare {

inline constexpr std::uint64_t kNever = std::numeric_limits<std::uint64_t>::max();

// Φ(x) and 1 − Φ(x), accurate in the tails (no cancellation).
inline double lower_tail(double x) { return 0.5 * std::erfc(-x * 0.70710678118654752440); }
inline double upper_tail(double x) { return 0.5 * std::erfc(x * 0.70710678118654752440); }

// A uniform in (0, 1) from the next two words of the stream (52-bit resolution).
inline double uniform(circuit::WordBuffer& words) {
  const std::uint32_t* w = words.take(2);
  return core::rng::u01_open_64(w[0], w[1]);
}

// Distance from v to the nearest decision threshold of a quantizer with this step: thresholds at
// (k + 1/2) · step for every integer k (those beyond the clamped range too: crossing them changes
// the clipped count).
inline double threshold_distance(double v, double step) {
  const double x = v / step;
  return std::abs(x - std::floor(x) - 0.5) * step;
}

// An upper bound on the error probability of a sense at distance d (>= 0) from the nearest
// threshold with noise σ: both tails at the nearer distance, rounded up.
inline double error_bound(double d, double sigma) {
  if (!(sigma > 0.0)) return 0.0;
  if (!(d > 0.0)) return 1.0;
  const double p = 2.0 * upper_tail(d / sigma) * (1.0 + 1e-12);
  return p < 1.0 ? p : 1.0;
}

// The candidate senses of a sequence, as i.i.d. Bernoulli(p) over indices 0, 1, ...: `next` is the
// index of the next candidate (kNever when there is none), found by geometric gaps.
struct Gaps {
  double p = 0.0, log_q = 0.0;
  // Uniforms at or below this give a gap of at least `limit`, the most indices a sequence has:
  // no candidate (found without a logarithm; 0 when the limit is not known).
  double no_candidate = 0.0;
  std::uint64_t next = kNever;
  std::uint64_t index = 0;  // senses enumerated so far (kept by the caller)

  // The bound, for sequences of at most `limit` indices (0: unknown).
  void prepare(double bound, std::uint64_t limit = 0) {
    p = bound;
    log_q = p < 1.0 ? std::log1p(-p) : 0.0;
    no_candidate = limit > 0 && p > 0.0 && p < 1.0 ? std::exp(static_cast<double>(limit) * log_q) : 0.0;
  }
  // Starts a sequence at index 0 (draws nothing when p = 0).
  void restart(circuit::WordBuffer& words) {
    index = 0;
    next = skip(words, 0);
  }
  void start(double bound, circuit::WordBuffer& words) {
    prepare(bound);
    restart(words);
  }
  // The candidate after `from` − 1: from + a Geometric(p) number of failures, floor(ln U / ln(1 − p)).
  std::uint64_t skip(circuit::WordBuffer& words, std::uint64_t from) const {
    if (!(p > 0.0)) return kNever;
    if (p >= 1.0) return from;
    const double u = uniform(words);
    if (u <= no_candidate) return kNever;
    const double g = std::floor(std::log(u) / log_q);
    if (!(g < 0x1p62)) return kNever;
    return from + static_cast<std::uint64_t>(g);
  }
  // After the candidate `next` has been handled.
  void advance(circuit::WordBuffer& words) { next = skip(words, next + 1); }
};

// The level of one candidate sense: v0 the noise-free analog value, level0 its noise-free level
// (round to nearest of v0 / step, not clamped), σ its noise, p the gap bound (>= its error
// probability), levels below lo or above hi all read as lo − 1 or hi + 1 (they clamp alike).
// Consumes two words. Returns level0 when the thinning rejects the candidate.
inline int candidate_level(double v0, double sigma, double step, int level0, int lo, int hi, double p,
                           circuit::WordBuffer& words) {
  double t = uniform(words) * p;
  if (!(sigma > 0.0)) return level0;
  const double inv_sigma = 1.0 / sigma;
  // Below: level0 − j when Φ(a_j) <= t < Φ(a_(j−1)), a_j = ((level0 − j − 1/2)·step − v0) / σ.
  const double lower = lower_tail(((level0 - 0.5) * step - v0) * inv_sigma);
  if (t < lower) {
    int k = level0 - 1;
    for (; k >= lo; --k)
      if (t >= lower_tail(((k - 0.5) * step - v0) * inv_sigma)) return k;
    return k < lo - 1 ? k : lo - 1;
  }
  t -= lower;
  // Above: level0 + j when 1 − Φ(b_j) <= t < 1 − Φ(b_(j−1)), b_j = ((level0 + j + 1/2)·step − v0) / σ.
  if (t < upper_tail(((level0 + 0.5) * step - v0) * inv_sigma)) {
    int k = level0 + 1;
    for (; k <= hi; ++k)
      if (t >= upper_tail(((k + 0.5) * step - v0) * inv_sigma)) return k;
    return k > hi + 1 ? k : hi + 1;
  }
  return level0;
}

// σ of one LCU group sense of `count` unit signals, in single precision as the direct method
// computes it (crossbar_lcu_readout.cpp); group_full_scale = G · largest cell value.
inline float lcu_sigma(const circuit::NoiseParams& noise, float count, float group_full_scale) {
  const float sigma_add = static_cast<float>(noise.sigma_fraction) * group_full_scale;
  const float sigma_prop = static_cast<float>(noise.proportional_fraction);
  if (noise.physical())
    return std::sqrt(static_cast<float>(noise.sense_sigma_lsb * noise.sense_sigma_lsb) +
                     static_cast<float>(noise.cell_sigma_lsb * noise.cell_sigma_lsb) * count);
  const float b = sigma_prop * count;
  return sigma_prop > 0.0f ? std::sqrt(sigma_add * sigma_add + b * b) : sigma_add;
}

}  // namespace cimmc::arch::rare
