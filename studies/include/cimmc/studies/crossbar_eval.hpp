// Accuracy of a quantized model on a crossbar design: calibrate the readouts on a few images,
// run the evaluation set through the crossbar backend, and keep the per-layer counters, which
// the cost model turns into measured (counters-based) energy, latency and area.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cimmc/arch/cost_rollup.hpp"
#include "cimmc/network/crossbar_backend.hpp"
#include "cimmc/network/dataset.hpp"
#include "cimmc/network/model.hpp"
#include "cimmc/network/train.hpp"

namespace cimmc::studies {

struct CrossbarEvalOptions {
  std::uint64_t seed = 1;
  std::uint32_t point = 0, trial = 0;
  int limit = 0;                 // images of the evaluation set (0: all)
  int calibration_images = 512;  // first images of the calibration set (readouts that need it), as cimmc eval
  int batch = 64;
};

struct CrossbarEvaluation {
  network::EvalResult result;
  std::vector<network::CrossbarBackend::LayerReport> layers;
  bool calibrated = false;  // the readouts were calibrated on the calibration images first
};

// The model must be quantized (core::ModelError otherwise).
CrossbarEvaluation evaluate_on_crossbar(network::Model& model, const network::Dataset& data,
                                        const network::Dataset& calibration, const arch::CrossbarConfig& config,
                                        const CrossbarEvalOptions& options);

// Per-image cost of the evaluated images from the measured counters.
arch::NetworkCost measured_cost(const network::Model& model, const CrossbarEvaluation& evaluation,
                                const arch::CrossbarConfig& config, const circuit::Technology& tech,
                                const circuit::MtjConverter* mtj);

}  // namespace cimmc::studies
