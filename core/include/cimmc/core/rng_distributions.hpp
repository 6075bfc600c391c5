#pragma once
// Random draws off the hot loops (docs/architecture.md, section 4): Boost.Random's distributions
// on a Philox stream (core::rng::Stream is a uniform random bit generator of 32-bit words). Used
// where a number is drawn once per device, cell, layer, image or epoch: device-to-device
// variation, storage-cell faults and programming spread, trim mismatch, calibration errors,
// initial weights, data shuffling, augmentation and calibration subsets. Hot loops (partial-sum
// noise, thermal fields, MTJ samples) use the vectorized batch generators of rng_batch.hpp.
//
// Boost's algorithms decide how many words a draw takes and what it returns (the normal is a
// ziggurat, integers use rejection, so both are exact). The first values of each function are
// pinned by known-answer tests (tests/core/test_rng_distributions.cpp): a Boost release that
// changed one would fail them rather than silently change results.
#include <boost/random/bernoulli_distribution.hpp>
#include <boost/random/lognormal_distribution.hpp>
#include <boost/random/normal_distribution.hpp>
#include <boost/random/uniform_01.hpp>
#include <boost/random/uniform_int_distribution.hpp>
#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>

#include "cimmc/core/rng.hpp"

namespace cimmc::core::rng {

// A normal of mean `mean` and standard deviation `sigma` (Boost's ziggurat).
inline double normal(Stream& s, double mean = 0.0, double sigma = 1.0) {
  return boost::random::normal_distribution<double>(mean, sigma)(s);
}

// exp of a normal of mean `mu` and standard deviation `sigma`.
inline double lognormal(Stream& s, double mu, double sigma) {
  return boost::random::lognormal_distribution<double>(mu, sigma)(s);
}

// Uniform in [0, 1) (one 32-bit word).
inline double uniform01(Stream& s) { return boost::random::uniform_01<double>()(s); }

// An integer uniform on [lo, hi], both included (exact: Boost's rejection method).
inline std::int64_t uniform_int(Stream& s, std::int64_t lo, std::int64_t hi) {
  return boost::random::uniform_int_distribution<std::int64_t>(lo, hi)(s);
}

// true with probability p.
inline bool bernoulli(Stream& s, double p) { return boost::random::bernoulli_distribution<double>(p)(s); }

// The first `count` items of `v` become a uniform random selection of `count` of its items, in
// random order (Fisher–Yates, stopped after `count` steps); `count` = v.size() shuffles it all.
template <class T>
void partial_shuffle(Stream& s, std::span<T> v, std::size_t count) {
  const std::size_t n = v.size();
  for (std::size_t i = 0; i < count && i + 1 < n; ++i) {
    const auto j =
        static_cast<std::size_t>(uniform_int(s, static_cast<std::int64_t>(i), static_cast<std::int64_t>(n) - 1));
    std::swap(v[i], v[j]);
  }
}

// A uniform random permutation of `v`.
template <class T>
void shuffle(Stream& s, std::span<T> v) {
  partial_shuffle(s, v, v.size());
}

}  // namespace cimmc::core::rng
