// What a cost report prices besides the hardware file: the network's weights (a model file, a
// shipped trained model, or a stated seeded initialization), the bit densities of each layer's
// stored weights, and the stochastic-MTJ converter (the sampled device, its currents and pulse).
// docs/cost.md states the model.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cimmc/arch/cost_rollup.hpp"
#include "cimmc/circuit/component_cost.hpp"
#include "cimmc/network/model.hpp"

namespace cimmc::studies {

// The network a cost report prices and where its weights come from.
struct CostModel {
  network::Model model;
  std::string weights;  // e.g. "trained: data/models/x.h5" or "He-normal initialization, seed 1 (...)"
  bool trained = false;
};

// A model file (a path, or a name ending in .h5), or a zoo name built for `input` (C×H×W) and
// `classes`: the shipped trained model (data/models) of exactly that architecture if there is one
// — the one quantized to `weight_bits` first, then a float one — else He-normal weights drawn
// from `seed` (network::initialize_weights). Never a model with untouched (zero) weights.
CostModel cost_model(const std::string& model_or_zoo, const network::Shape& input, int classes, int weight_bits,
                     std::uint64_t seed);

// Per GEMM layer of the model (digital ones included, with empty densities): the fraction of
// each weight plane's cells that are nonzero for the layer's weights quantized to the config's
// weight bits (symmetric per channel) in its encoding and signed scheme, with a uniform input
// bit density.
std::vector<arch::BitDensities> layer_densities(const network::Model& model, const arch::CrossbarConfig& config,
                                                double input_density);

// Fraction of nonzero stored digits over the crossbar layers (flag planes excluded).
double weight_bit_density(const network::Model& model, const arch::CrossbarConfig& config);

// The stochastic-MTJ converter of a hardware configuration (nullopt for other readouts): the
// device is readout.mtj.device, or with curve = "device_table" the table's own device (naming a
// different one is an error: the priced device is the sampled one); `device_override` (the cost
// command's --device) stands for readout.mtj.device. Throws core::ConfigError when no device is named.
std::optional<circuit::MtjConverter> mtj_converter_for(const arch::CrossbarConfig& config,
                                                       const circuit::Technology& tech,
                                                       const std::string& device_override = "");

// One line per term of one MTJ sample's energy (write, read, reset and their parts), for reports.
std::string format_mtj_sample(const circuit::Technology& tech, const circuit::MtjConverter& converter);

}  // namespace cimmc::studies
