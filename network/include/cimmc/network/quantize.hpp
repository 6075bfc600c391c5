// Post-training quantization: BatchNorm folding into the preceding Conv2d/Linear, and calibration
// of per-tensor activation scales on a data subset. Weights are symmetric per output channel
// (scale = max|w| / (2^(b-1) - 1), recomputed from the weights, so QAT and folding keep them
// consistent); activations entering a GEMM are unsigned b-bit codes (they follow ReLU, pooling
// or the [0, 1] image). The model input is always quantized at `input_bits` (8) with scale 1/255,
// so an 8-bit image enters the first layer exactly.
#pragma once

#include <cmath>

#include "cimmc/network/dataset.hpp"
#include "cimmc/network/model.hpp"

namespace cimmc::network {

struct QuantOptions {
  int weight_bits = 8;
  int activation_bits = 8;
  int input_bits = 8;            // for GEMM layers that read the model input
  int calibration_images = 512;  // drawn at random (stream kCalibrationSubset) from the set
  std::uint64_t seed = 1;
  void validate() const;  // core::ConfigError listing every problem
};

// A copy of `model` where every BatchNorm directly after a Conv2d/Linear (its only consumer) is
// folded into that layer's weight and bias and removed. Inference outputs are unchanged up to
// float rounding.
Model fold_batchnorm(const Model& model);

// Sets every GEMM layer's quantization (bits and calibrated activation scale). The activation
// clip of each layer minimizes the mean squared quantization error on the calibration images.
void calibrate(Model& model, const Dataset& data, const QuantOptions& options);

// fold_batchnorm + calibrate.
Model quantize_model(const Model& model, const Dataset& calibration_data, const QuantOptions& options);

// std::round(x) for every float (halves away from zero; signed zeros, NaN and ±inf as std::round
// gives them), without the libm call that std::round compiles to, so that quantization loops
// inline. x − trunc(x) is exact (the fraction bits of x), so the compare decides the half-way
// cases as std::round does, and t ± 1 is exact where x has a fraction (|x| < 2^23). Tested bit
// for bit against std::round.
inline float round_half_away(float x) {
  const float t = std::trunc(x);
  return std::abs(x - t) >= 0.5f ? t + std::copysign(1.0f, x) : t;
}

// Clip value in (0, max] that minimizes the squared error of b-bit unsigned quantization of
// `values` (exposed for tests).
float optimal_clip(const std::vector<float>& values, int bits);

}  // namespace cimmc::network
