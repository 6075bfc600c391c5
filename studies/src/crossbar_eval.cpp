#include "cimmc/studies/crossbar_eval.hpp"

#include <fmt/format.h>

#include "cimmc/core/error.hpp"
#include "cimmc/studies/cost_report.hpp"

namespace cimmc::studies {

CrossbarEvaluation evaluate_on_crossbar(network::Model& model, const network::Dataset& data,
                                        const network::Dataset& calibration, const arch::CrossbarConfig& config,
                                        const CrossbarEvalOptions& o) {
  if (!model.quantized())
    throw ModelError("the crossbar executor needs a quantized model (train with quantization or quantize it first)");
  network::CrossbarBackend backend(config, static_cast<int>(model.gemm_layers().size()), o.seed, o.point, o.trial);
  network::RunContext ctx;
  ctx.mode = network::ExecMode::kInteger;
  ctx.backend = &backend;
  if (backend.needs_calibration()) {
    backend.begin_calibration();
    network::evaluate(model, calibration, ctx, o.batch, o.calibration_images);
    backend.end_calibration();
  }
  CrossbarEvaluation e;
  e.result = network::evaluate(model, data, ctx, o.batch, o.limit);
  e.layers = backend.reports();
  return e;
}

arch::NetworkCost measured_cost(const network::Model& model, const CrossbarEvaluation& evaluation,
                                const arch::CrossbarConfig& config, const circuit::Technology& tech,
                                const arch::MtjElectrical& mtj) {
  const auto shapes = gemm_shapes(model, config);
  if (shapes.size() != evaluation.layers.size())
    throw ArgumentError(fmt::format("measured cost: {} GEMM layers in the model but {} evaluated", shapes.size(),
                                    evaluation.layers.size()));
  const double images = evaluation.result.images;
  std::vector<arch::LayerCost> layers;
  for (std::size_t i = 0; i < shapes.size(); ++i) {
    const auto& counters = evaluation.layers[i].counters;
    layers.push_back(shapes[i].digital ? arch::layer_cost(config, tech, shapes[i], {}, 1.0, mtj)
                                       : arch::layer_cost(config, tech, shapes[i], counters, images, mtj));
  }
  return arch::network_cost(std::move(layers), tech);
}

std::string format_counters(const std::vector<network::CrossbarBackend::LayerReport>& layers) {
  std::string out = fmt::format("{:<12} {:>8} {:>14} {:>14} {:>14} {:>14} {:>14} {:>12} {:>8} {:>8}\n", "layer", "readout",
                                "PS", "zero PS", "conversions", "MTJ samples", "LCU senses", "clipped", "in dens",
                                "w dens");
  for (const auto& l : layers) {
    const auto& c = l.counters;
    if (l.digital) {
      out += fmt::format("{:<12} {:>8} {:>14}\n", l.name, "digital", fmt::format("{} MACs", c.macs));
      continue;
    }
    double in = 0, w = 0;
    for (std::size_t b = 0; b < c.input_bit_ones.size(); ++b) in += c.input_density(static_cast<int>(b));
    for (std::size_t p = 0; p < c.weight_plane_ones.size(); ++p) w += c.weight_density(static_cast<int>(p));
    if (!c.input_bit_ones.empty()) in /= static_cast<double>(c.input_bit_ones.size());
    if (!c.weight_plane_ones.empty()) w /= static_cast<double>(c.weight_plane_ones.size());
    out += fmt::format("{:<12} {:>8} {:>14} {:>14} {:>14} {:>14} {:>14} {:>12} {:>8.3f} {:>8.3f}\n", l.name,
                       c.readout.substr(0, 8), c.partial_sums, c.zero_partial_sums, c.adc_conversions, c.mtj_samples,
                       c.lcu_senses, c.clipped, in, w);
  }
  return out;
}

}  // namespace cimmc::studies
