// Cost roll-up: a crossbar run's operation counts (Counters), or counts estimated analytically
// from layer shapes and bit-plane densities, times the circuit layer's per-operation costs
// (technology table) give energy by component, latency and area per layer and per network,
// with EDP, TOPS/W and TOPS/mm².
//
// Model (stated so a reader can check every number):
//  - Mapping: weights stay in place; each layer has its own physical arrays. An array has
//    P = max(periphery.array_rows, R) rows and crossbar.columns columns; R of its rows (the
//    engine's subarray) are read at once, so its row groups are read one after another. A layer
//    of K inputs and N outputs with c physical columns per output (column groups × sides) takes
//    ceil(K/P) × ceil(N·c / columns) arrays.
//  - Energy per image: word lines (active rows × column tiles × C_WL·columns·V²), bit lines
//    (column reads × C_BL·P·V·V_swing), the readout (ADC conversions, MTJ samples or LCU senses;
//    the ideal readout is free), one shift-add per readout value, buffer traffic (input bits
//    once per column tile, output activations once), and digital MACs for layers kept digital;
//    all times the technology's post-layout energy factor.
//  - Latency per image: layers run one after another (no inter-layer pipelining); within a
//    layer the GEMM rows (output pixels) and input bits are sequential, every array works in
//    parallel, and one readout round costs columns_per_adc ADC conversions (ADC), the largest T
//    of the stream's column groups in MTJ samples (stochastic MTJ: one MTJ per column, T from the
//    readout's sample rules), lcu_columns_shared senses (LCU), or a clock (ideal).
//    Digital layers take MACs / digital_mac_units clocks.
//  - Area: cells + ADCs (one per columns_per_adc columns) + MTJ columns + LCU sense amplifiers
//    (one per row group of G rows and lcu_columns_shared columns) + shift-add accumulators (one
//    per readout) + the digital MAC units (once, if any layer is digital).
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "cimmc/arch/counters.hpp"
#include "cimmc/arch/crossbar_config.hpp"
#include "cimmc/circuit/component_cost.hpp"
#include "cimmc/circuit/technology.hpp"

namespace cimmc::arch {

// One Conv/Linear layer as a GEMM: rows_per_image GEMM rows (output pixels) of K inputs,
// N outputs.
struct LayerShape {
  std::string name;
  std::uint64_t rows_per_image = 1;
  std::uint64_t k = 0, n = 0;
  bool digital = false;  // kept digital (the crossbar config's [gemms])
  int gemm_index = 0;    // position among the network's GEMM layers: the readout's sample rules' "gemms"
  std::uint64_t macs_per_image() const { return rows_per_image * k * n; }
};

// Bit densities behind the analytic counters of one layer.
struct BitDensities {
  // Fraction of input values whose bit b is 1, b < input_bits (a single value: every bit alike).
  std::vector<double> input_by_bit;
  // Fraction of the layer's weights with a nonzero digit in each weight plane, in the order of
  // CrossbarLayer::plane_names() (from real weights: weight_plane_densities).
  std::vector<double> weight_by_plane;
  // Every input bit is 1 with probability `input`; every stored digit position is nonzero with
  // probability `weight` (split evenly between the + and − planes of a position that has both;
  // an adaptive-flip flag is set with probability `weight` too).
  static BitDensities uniform(const CrossbarConfig& config, double input, double weight);
};

// Plane densities of a layer's weight codes (N×K, row-major, values within the config's weight
// bits) under the config's encoding and signed scheme, with a uniform input density.
BitDensities measured_densities(const CrossbarConfig& config, std::span<const std::int8_t> weights, int n, int k,
                                double input_density);

// Fraction of stored weight digits that are nonzero (flag planes excluded): Σ plane densities /
// weight bits.
double stored_digit_density(const CrossbarConfig& config, const BitDensities& densities);

// Energy (J), latency (s) and area (m²) of one layer per image, by component.
struct LayerCost {
  std::string name;
  std::string readout;
  std::uint64_t macs = 0;                  // per image
  std::map<std::string, double> energy_J;  // array, readout, shift_add, buffer, digital
  std::map<std::string, double> area_m2;   // array, readout, shift_add, digital
  double latency_s = 0;
  int physical_arrays = 0;
  double mtj_reads = 0, mtj_samples = 0;           // per image (stochastic MTJ readout)
  double input_density = -1, weight_density = -1;  // bit densities priced (-1: not stated)
  std::vector<std::string> notes;                  // what the model leaves out for this layer
  double total_energy_J() const;
  double total_area_m2() const;
};

struct NetworkCost {
  std::vector<LayerCost> layers;
  std::map<std::string, double> energy_J, area_m2;  // summed by component
  double energy_total_J = 0, latency_s = 0, area_total_m2 = 0;
  std::uint64_t macs = 0;
  std::vector<std::string> notes;  // the layers' notes, each once
  double edp_J_s() const { return energy_total_J * latency_s; }
  // Operations are 2 per MAC.
  double tops_per_W() const;
  double tops_per_mm2() const;
};

// Expected counts for one image of `shape`, assuming independent bits with the given densities.
// A PS of (input stream q, column group g) is all zero when no driven row meets a nonzero cell of
// the group; the stochastic MTJ draws samples_for(shape.gemm_index, input bit, group weight bit)
// samples per converted PS (the readout's full sample-count rules).
Counters analytic_counters(const CrossbarConfig& config, const LayerShape& shape, const BitDensities& densities);
// The same with BitDensities::uniform(config, input_density, weight_density).
Counters analytic_counters(const CrossbarConfig& config, const LayerShape& shape, double input_density,
                           double weight_density);

// Sequential stochastic-MTJ sample rounds per GEMM row and row group: Σ over input streams of
// the largest T among the column groups (their columns convert in parallel).
int mtj_sample_rounds(const CrossbarConfig& config, int gemm_index);

// Cost of one image of a layer from counters that cover `images` images. The stochastic MTJ
// readout needs its converter (circuit::mtj_converter); other readouts ignore it.
LayerCost layer_cost(const CrossbarConfig& config, const circuit::Technology& tech, const LayerShape& shape,
                     const Counters& counters, double images, const circuit::MtjConverter* mtj = nullptr);

// Sums layers; the digital MAC units' area (config.periphery.digital_mac_units) is counted once
// if any layer is digital.
NetworkCost network_cost(std::vector<LayerCost> layers, const CrossbarConfig& config, const circuit::Technology& tech);

// Physical columns per output of a layer under `config` (column groups × sides).
int physical_columns_per_output(const CrossbarConfig& config);
// Column groups per output (each read out separately) under `config`.
int column_groups_per_output(const CrossbarConfig& config);

}  // namespace cimmc::arch
