// Private to the crossbar engine's per-row pass (crossbar_run.cpp) and its block readouts
// (crossbar_mtj_readout.cpp, crossbar_lcu_readout.cpp): each thread's scratch buffers and the
// LCU's sense-amplifier slots (docs/architecture.md, 3.3 to 3.6).
#pragma once

#include <cstdint>
#include <vector>

#include "cimmc/arch/crossbar_layer.hpp"
#include "cimmc/circuit/fast_normal.hpp"
#include "rare_event.hpp"

namespace cimmc::arch {

struct CrossbarLayer::Scratch {
  std::vector<std::uint64_t> act;
  std::vector<std::int32_t> tmp, pos, neg, zeros, index, successes;
  std::vector<std::uint32_t> thresholds;  // MTJ: one PS's binomial thresholds (T of them)
  std::vector<float> vpos, vneg, value;
  std::vector<float> lane_sums;  // LCU: [n_pad][8] partial sums of sensed groups
  std::vector<double> acc;
  std::vector<double> current, probability;  // MTJ: a block's analog currents and P ([n_pad])
  std::vector<double> slope_weighted;        // a run's slopes: one subarray's weighted sums per output
  // Physical noise: σ_sense² on the sides that carry a sense amplifier, 0 elsewhere
  // ([side][group · n_pad + n]).
  std::vector<float> sense_variance[2];
  circuit::NormalBuffer normals{4096};
  circuit::WordBuffer words{4096};
  // Level sampling in this run: the uniforms' words (sc.words then holds their low bits).
  bool level = false;
  circuit::WordBuffer level_words{4096};
  // Rare-event sampling of the readout's errors in this run (rare_event.hpp): for the LCU, the
  // bound on every sense's error probability and the row's candidate senses.
  bool rare = false;
  double rare_bound = 0.0;
  rare::Gaps gaps;
};

// LCU sense amplifiers per column and subarray: one per group of G rows, counted per 64-row word
// (64 / G slots in each) so that the slots of a word are contiguous.
inline int lcu_slots(const PlaneGeometry& geometry, const CrossbarConfig& config) {
  return geometry.words_per_subarray * (64 / config.readout.lcu.group_rows);
}

}  // namespace cimmc::arch
