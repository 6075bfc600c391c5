// Network-level cost reports: the GEMM shapes of a model, analytic roll-ups under a hardware
// configuration and technology, the per-layer table and component breakdown, and the cimmc.cost
// HDF5 file. The paper comparisons are in reproductions.hpp.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "cimmc/arch/cost_rollup.hpp"
#include "cimmc/network/model.hpp"

namespace cimmc::studies {

// The model's Conv/Linear layers as GEMMs, in order (conv: output pixels × Cin·k² × Cout;
// linear: 1 × in × out); layers the config keeps digital are marked.
std::vector<arch::LayerShape> gemm_shapes(const network::Model& model, const arch::CrossbarConfig& config);

// Analytic roll-up of every layer for one image, each crossbar layer with its own bit densities
// (densities[i] for shapes[i]; see cost_inputs.hpp). `mtj` prices a stochastic MTJ readout.
arch::NetworkCost analytic_cost(const std::vector<arch::LayerShape>& shapes, const arch::CrossbarConfig& config,
                                const circuit::Technology& tech, const std::vector<arch::BitDensities>& densities,
                                const circuit::MtjConverter* mtj);

// Σ samples / Σ converted PS of a network's stochastic MTJ readouts (0 if none).
double mean_mtj_samples(const arch::NetworkCost& cost);

// Per-layer table (energy by component, latency, area) and the network totals, as text.
std::string format_cost_report(const arch::NetworkCost& cost);

// Writes a cimmc.cost file (layout in docs/formats.md) atomically.
void write_cost_file(const std::filesystem::path& path, const arch::NetworkCost& cost, std::uint64_t seed,
                     const std::string& config_text);

}  // namespace cimmc::studies
