#include "cimmc/studies/crossbar_eval.hpp"

#include <fmt/format.h>

#include "cimmc/core/error.hpp"
#include "cimmc/studies/cost_report.hpp"

namespace cimmc::studies {

CrossbarEvaluation evaluate_on_crossbar(network::Model& model, const network::Dataset& data,
                                        const network::Dataset& calibration, const arch::CrossbarConfig& config,
                                        const CrossbarEvalOptions& o) {
  if (!model.quantized())
    throw core::ModelError(
        "the crossbar backend needs a quantized model (train with quantization or quantize it first)");
  network::CrossbarBackend backend(config, static_cast<int>(model.gemm_layers().size()), o.seed, o.point, o.trial);
  network::RunContext ctx;
  ctx.mode = network::ExecMode::kInteger;
  ctx.backend = &backend;
  CrossbarEvaluation e;
  if (backend.needs_calibration()) {
    backend.begin_calibration();
    network::evaluate(model, calibration, ctx, o.batch, o.calibration_images);
    backend.end_calibration();
    e.calibrated = true;
  }
  e.result = network::evaluate(model, data, ctx, o.batch, o.limit);
  e.layers = backend.reports();
  return e;
}

arch::NetworkCost measured_cost(const network::Model& model, const CrossbarEvaluation& evaluation,
                                const arch::CrossbarConfig& config, const circuit::Technology& tech,
                                const circuit::MtjConverter* mtj) {
  const auto shapes = gemm_shapes(model, config);
  if (shapes.size() != evaluation.layers.size())
    throw core::ArgumentError(fmt::format("measured cost: {} GEMM layers in the model but {} evaluated", shapes.size(),
                                          evaluation.layers.size()));
  const double images = evaluation.result.images;
  std::vector<arch::LayerCost> layers;
  for (std::size_t i = 0; i < shapes.size(); ++i) {
    const auto& counters = evaluation.layers[i].counters;
    layers.push_back(shapes[i].digital ? arch::layer_cost(config, tech, shapes[i], {}, 1.0, mtj)
                                       : arch::layer_cost(config, tech, shapes[i], counters, images, mtj));
  }
  return arch::network_cost(std::move(layers), config, tech);
}

}  // namespace cimmc::studies
