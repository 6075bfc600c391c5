// Cost roll-up: a crossbar run's operation counts (Counters), or counts estimated analytically
// from layer shapes and bit-plane densities, times the circuit layer's per-operation costs
// (technology table) give energy by component, latency and area per layer and per network,
// with EDP, TOPS/W and TOPS/mm².
//
// Model (stated so a reader can check every number):
//  - Mapping: weights stay in place; each layer has its own subarrays. A physical subarray has
//    P = max(periphery.subarray_rows, R) rows and crossbar.columns columns; R of its rows are
//    read at once, so its row groups are read one after another. A layer of K inputs and
//    N outputs with c physical columns per output (column groups × sides) takes
//    ceil(K/P) × ceil(N·c / columns) subarrays.
//  - Energy per image: word lines (active rows × column tiles × C_WL·columns·V²), bit lines
//    (column reads × C_BL·P·V·V_swing), the readout (ADC conversions, MTJ samples or LCU senses;
//    the ideal readout is free), one shift-add per readout value, buffer traffic (input bits
//    once per column tile, output activations once), and digital MACs for layers kept digital;
//    all times the technology's post-layout energy factor.
//  - Latency per image: layers run one after another (no inter-layer pipelining); within a
//    layer the GEMM rows (output pixels) and input bits are sequential, every subarray works in
//    parallel, and one readout round costs columns_per_adc ADC conversions (ADC), T MTJ samples
//    (stochastic MTJ: one MTJ per column), lcu_columns_shared senses (LCU), or a clock (ideal).
//    Digital layers take MACs / digital_mac_units clocks.
//  - Area: cells + ADCs (one per columns_per_adc columns) + MTJ columns + LCU sense amplifiers
//    (one per row group of G rows and lcu_columns_shared columns) + shift-add accumulators (one
//    per readout) + the digital MAC units (once, if any layer is digital).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "cimmc/arch/counters.hpp"
#include "cimmc/arch/crossbar_config.hpp"
#include "cimmc/circuit/technology.hpp"

namespace cimmc::arch {

// One Conv/Linear layer as a GEMM: rows_per_image GEMM rows (output pixels) of K inputs,
// N outputs.
struct LayerShape {
  std::string name;
  std::uint64_t rows_per_image = 1;
  std::uint64_t k = 0, n = 0;
  bool digital = false;  // kept digital (the crossbar config's digital layers)
  std::uint64_t macs_per_image() const { return rows_per_image * k * n; }
};

// Electrical values of the stochastic MTJ readout (from a device preset) and the readout's
// current mapping; used only when the readout is the stochastic MTJ.
struct MtjElectrical {
  double heavy_metal_resistance_ohm = 0;
  double mean_mtj_resistance_ohm = 0;  // (R_P + R_AP) / 2
};

// Energy (J), latency (s) and area (m²) of one layer per image, by component.
struct LayerCost {
  std::string name;
  std::string readout;
  std::uint64_t macs = 0;                   // per image
  std::map<std::string, double> energy_J;   // array, readout, shift_add, buffer, digital
  std::map<std::string, double> area_m2;    // array, readout, shift_add, digital
  double latency_s = 0;
  int physical_subarrays = 0;
  std::vector<std::string> notes;           // what the model leaves out for this layer
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

// Expected counts for one image of `shape`, assuming independent bits: every input bit is 1
// with probability input_density, every stored weight bit with weight_density.
Counters analytic_counters(const CrossbarConfig& config, const LayerShape& shape, double input_density,
                           double weight_density);

// Cost of one image of a layer from counters that cover `images` images.
LayerCost layer_cost(const CrossbarConfig& config, const circuit::Technology& tech, const LayerShape& shape,
                     const Counters& counters, double images, const MtjElectrical& mtj = {});

// Sums layers; the digital MAC units' area (tech.periphery.digital_mac_units) is counted once
// if any layer is digital.
NetworkCost network_cost(std::vector<LayerCost> layers, const circuit::Technology& tech);

// Physical columns per output of a layer under `config` (column groups × sides).
int physical_columns_per_output(const CrossbarConfig& config);

}  // namespace cimmc::arch
