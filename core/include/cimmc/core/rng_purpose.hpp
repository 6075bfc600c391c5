// Every purpose a random stream can serve, in one list (as HOOMD's RNGIdentifiers.h).
// A stream is addressed by (purpose, sweep point, trial, element) and never by thread, so a
// result does not depend on how work is scheduled. Values are part of the file format of
// results (same seed, same numbers): append new purposes, never renumber.
#pragma once

#include <cstdint>
#include <string_view>

namespace cimmc::core::rng {

enum class Purpose : std::uint8_t {
  kTest = 0,                // unit tests
  kThermalField = 1,        // device: stochastic LLG thermal field
  kDeviceVariation = 2,     // device: device-to-device parameter spread
  kCellProgramming = 3,     // device: storage-cell conductance programming variation
  kCellFaults = 4,          // device: stuck-at faults
  kWeightInit = 5,          // network: initial weights
  kDataShuffle = 6,         // network: mini-batch order
  kDataAugment = 7,         // network: random crop and flip
  kPartialSumNoise = 8,     // circuit: Gaussian noise on analog accumulations
  kSenseOffset = 9,         // circuit: per-column sense-amplifier offsets
  kMtjSampling = 10,        // circuit: stochastic MTJ readout samples
  kLcuNoise = 11,           // circuit: ZEBRA local computing unit sensing noise
  kTrainingNoise = 12,      // network: noise-aware and PS-aware training forward pass
  kCalibrationSubset = 13,  // network: which images calibrate quantization
  kStudyTrial = 14,         // studies: anything a trial draws that is not listed above
  kTrimMismatch = 15,       // circuit: mismatch of the stochastic readout's gain/offset trim circuits
  kDeviceCalibration = 16,  // circuit: sampling error of the in-situ calibration of each converter MTJ
  kLevelRefine = 17,        // circuit: the low bits of level sampling's uniforms, drawn when needed
};

constexpr std::string_view purpose_name(Purpose p) {
  switch (p) {
    case Purpose::kTest: return "test";
    case Purpose::kThermalField: return "thermal_field";
    case Purpose::kDeviceVariation: return "device_variation";
    case Purpose::kCellProgramming: return "cell_programming";
    case Purpose::kCellFaults: return "cell_faults";
    case Purpose::kWeightInit: return "weight_init";
    case Purpose::kDataShuffle: return "data_shuffle";
    case Purpose::kDataAugment: return "data_augment";
    case Purpose::kPartialSumNoise: return "partial_sum_noise";
    case Purpose::kSenseOffset: return "sense_offset";
    case Purpose::kMtjSampling: return "mtj_sampling";
    case Purpose::kLcuNoise: return "lcu_noise";
    case Purpose::kTrainingNoise: return "training_noise";
    case Purpose::kCalibrationSubset: return "calibration_subset";
    case Purpose::kStudyTrial: return "study_trial";
    case Purpose::kTrimMismatch: return "trim_mismatch";
    case Purpose::kDeviceCalibration: return "device_calibration";
    case Purpose::kLevelRefine: return "level_refine";
  }
  return "unknown";
}

}  // namespace cimmc::core::rng
