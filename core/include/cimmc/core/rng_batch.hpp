// Batch random numbers for the hot loops: Philox4x32-10 many counters at a time and fast
// single-precision standard normals, written once here for every layer (device: the thermal
// field; circuit and arch: partial-sum noise, sense offsets, stochastic readout words).
//
// Each function has a portable, an AVX2 and an AVX-512 version chosen at run time
// (core::process_kernel_isa, or the `isa` argument). All versions give bit-identical results:
// Philox is integer arithmetic, and the normal transform is compiled without contraction into
// fused multiply-adds, so each float operation is the same IEEE operation at every width.
// Known-answer tests pin the words (against Random123) and the normals (tests/core).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "cimmc/core/kernel_isa.hpp"
#include "cimmc/core/rng.hpp"

namespace cimmc::core::rng {

// The words of blocks first_block, first_block + 1, ... of the stream with this key and block-0
// counter `base`, four per block in block order: exactly core::rng::Stream::fill_u32 on that stream.
// Throws core::RuntimeFailure if the blocks run past 2^32.
void philox_blocks(Key key, Counter base, std::uint32_t first_block, std::span<std::uint32_t> out);
void philox_blocks(core::KernelIsa isa, Key key, Counter base, std::uint32_t first_block, std::span<std::uint32_t> out);

// One block for each of n lanes that differ in counter words 1 and 2: lane i uses the counter
// (c0, c1[i], c2[i], c3), and its four words go to out0[i] .. out3[i] (structure of arrays).
struct LaneCounters {
  std::uint32_t c0 = 0;
  const std::uint32_t* c1 = nullptr;
  const std::uint32_t* c2 = nullptr;
  std::uint32_t c3 = 0;
};
void philox_lanes(Key key, const LaneCounters& counters, std::size_t n, std::uint32_t* out0, std::uint32_t* out1,
                  std::uint32_t* out2, std::uint32_t* out3);
void philox_lanes(core::KernelIsa isa, Key key, const LaneCounters& counters, std::size_t n, std::uint32_t* out0,
                  std::uint32_t* out1, std::uint32_t* out2, std::uint32_t* out3);

// Box–Muller in single precision from two words: radius sqrt(-2 ln u), u = (top 24 bits of
// `radius_word` + 1/2) / 2^24 in (0, 1), so |z| <= sqrt(-2 ln 2^-25) ≈ 5.9; the angle's top two
// bits pick a quadrant and the next 30 bits the angle within it. ln, sin and cos are polynomials
// (Cephes logf; Taylor series to y^11 on |y| <= pi/4): about 1e-7 relative error.
// z0 = r cos(phi), z1 = r sin(phi).
//
// Pairs from separate arrays: z0[i], z1[i] from radius[i], angle[i].
void normal_pairs(const std::uint32_t* radius, const std::uint32_t* angle, std::size_t n, float* z0, float* z1);
void normal_pairs(core::KernelIsa isa, const std::uint32_t* radius, const std::uint32_t* angle, std::size_t n,
                  float* z0, float* z1);
// Interleaved: out[2i], out[2i + 1] from words[2i] (radius) and words[2i + 1] (angle), for
// i < min(words, out) / 2.
void normals_from_words(std::span<const std::uint32_t> words, std::span<float> out);
void normals_from_words(core::KernelIsa isa, std::span<const std::uint32_t> words, std::span<float> out);

// The normals of the stream's words: exactly normals_from_words on the words philox_blocks draws
// (blocks first_block, first_block + 1, ...), for an even out.size(), in one pass: the AVX2
// version transforms each group of 32 blocks while its words are still in registers, the others
// go through a small buffer. Throws core::ArgumentError for an odd size, core::RuntimeFailure as
// philox_blocks.
void philox_normals(Key key, Counter base, std::uint32_t first_block, std::span<float> out);
void philox_normals(core::KernelIsa isa, Key key, Counter base, std::uint32_t first_block, std::span<float> out);

// The same transform, one pair at a time (the reference the batch versions are tested against).
void normal_pair_scalar(std::uint32_t radius, std::uint32_t angle, float& z0, float& z1);

}  // namespace cimmc::core::rng
