// Network-level cost reports: the GEMM shapes of a model, analytic roll-ups under a hardware
// configuration and technology, the per-layer table and component breakdown, the cimmc.cost
// HDF5 file, and the comparisons behind the seed papers' cost claims.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "cimmc/arch/cost_rollup.hpp"
#include "cimmc/device/sot_mtj_params.hpp"
#include "cimmc/network/model.hpp"

namespace cimmc::studies {

// The model's Conv/Linear layers as GEMMs, in order (conv: output pixels × Cin·k² × Cout;
// linear: 1 × in × out); layers the config keeps digital are marked.
std::vector<arch::LayerShape> gemm_shapes(const network::Model& model, const arch::CrossbarConfig& config);

// Fraction of nonzero stored digits of the model's crossbar layers' weights, quantized to the
// config's weight bits (symmetric per channel) and written in its zero-bit encoding.
double weight_bit_density(const network::Model& model, const arch::CrossbarConfig& config);

// Heavy-metal and mean junction resistance of a device preset, for the MTJ readout's cost.
arch::MtjElectrical mtj_electrical(const device::SotMtjParams& device);

// Analytic roll-up of every layer for one image.
arch::NetworkCost analytic_cost(const std::vector<arch::LayerShape>& shapes, const arch::CrossbarConfig& config,
                                const circuit::Technology& tech, double input_density, double weight_density,
                                const arch::MtjElectrical& mtj);

// Per-layer table (energy by component, latency, area) and the network totals, as text.
std::string format_cost_report(const arch::NetworkCost& cost);

// Writes a cimmc.cost file (layout in docs/formats.md) atomically.
void write_cost_file(const std::filesystem::path& path, const arch::NetworkCost& cost, std::uint64_t seed,
                     const std::string& config_text);

// One hardware design of a comparison, priced on the same network.
struct Design {
  std::string label;
  arch::CrossbarConfig config;
  arch::NetworkCost cost;
};

// A published ratio (energy, latency, area, EDP, ...) of a baseline over the design.
struct PublishedRatio {
  std::string metric;    // "energy", "latency", "area", "edp", "tops_per_W", "tops_per_mm2"
  std::string baseline;  // label of the baseline design
  double value;
};

struct Comparison {
  std::string title, assumptions;
  std::vector<Design> designs;  // designs[0] is the proposed design
  std::vector<PublishedRatio> published;
  // baseline / proposed for energy, latency, area, EDP; proposed / baseline for TOPS/W, TOPS/mm².
  double ratio(const std::string& metric, const std::string& baseline) const;
  std::string format() const;
};

// StoX-Net (arXiv 2407.12378) on ResNet-20 / CIFAR-10 shapes: the stochastic MTJ readout of
// data/hw/stox_mtj_bitserial.toml vs the same crossbar with a full-precision ADC (8 bits for 128 rows)
// and with a sparse 4-bit ADC; paper: 16×, 8×, 10× (energy, latency, area) and 130× / 24× EDP.
Comparison stox_comparison(const circuit::Technology& tech, const arch::MtjElectrical& mtj, double input_density);
// ZEBRA (ASP-DAC 2024) on ResNet-20 / CIFAR-10 shapes: the LCU design of data/hw/zebra_lcu.toml
// vs conventional CIM (two's complement, 8-bit and 5-bit ADC); paper: 2-4× energy and area
// efficiency.
Comparison zebra_comparison(const circuit::Technology& tech, double input_density);

}  // namespace cimmc::studies
