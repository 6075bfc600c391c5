// The seed papers' cost comparisons, priced by cimmc: every metric the paper states beside
// cimmc's value, under cimmc's own assumptions or under the ones the paper (or its authors' code)
// states. docs/reproductions.md explains each gap.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "cimmc/arch/cost_rollup.hpp"
#include "cimmc/circuit/technology.hpp"

namespace cimmc::studies {

// One hardware design of a comparison, priced on the same network.
struct Design {
  std::string label;
  arch::CrossbarConfig config;
  arch::NetworkCost cost;
};

// A ratio the paper states: baseline over proposed for energy, latency, area and EDP; proposed
// over baseline for TOPS/W and TOPS/mm². A range ("2-4x") has low < high.
struct PaperMetric {
  std::string metric;    // "energy", "latency", "area", "edp", "tops_per_W", "tops_per_mm2"
  std::string baseline;  // label of the baseline design
  double low = 0, high = 0;
  std::string source;  // where the paper states it, e.g. "v2 abstract"
};

enum class Scenario {
  kCimmc,             // cimmc's own designs (data/hw) and technology table
  kPaperAssumptions,  // what the paper or its authors' code states, where cimmc can adopt it
};
std::string_view scenario_name(Scenario s);        // "cimmc", "paper-assumptions"
Scenario parse_scenario(const std::string& name);  // core::ArgumentError naming the choices

struct Comparison {
  std::string title, scenario, assumptions;
  std::vector<std::string> details;  // weights, densities, mean T, the MTJ sample's breakdown
  std::vector<Design> designs;       // designs[0] is the proposed design
  std::vector<PaperMetric> paper;
  double ratio(const std::string& metric, const std::string& baseline) const;
  std::string format() const;
  // Every number format() prints, by a stable name ("<design>/energy_J", "ratio/<metric>/<baseline>").
  std::vector<std::pair<std::string, double>> metrics() const;
};

// StoX-Net (arXiv 2407.12378) on ResNet-20 / CIFAR-10 shapes. cimmc: data/hw/stox_mtj_bitserial.toml
// (bit-serial, 1-bit cells, T = 4 and 8 on the input MSB); paper assumptions: the authors' code's
// array (data/hw/stox_mtj_t4.toml: 4-bit inputs in one pulse, 4-bit weights in one cell, T = 4).
// Baselines change only the readout: a full-precision ADC (bits for every PS level) and a sparse
// 4-bit ADC. Paper: v2 16×/8×/10× energy/latency/area and 130× EDP vs full-precision ADC, 24× EDP
// vs sparse low-bit ADC; v1 22×/30×/142×, 666× and 111×.
Comparison stox_comparison(const circuit::Technology& tech, double input_density, Scenario scenario);
// ZEBRA (ASP-DAC 2024) on ResNet-20 / CIFAR-10 shapes: data/hw/zebra_lcu.toml vs conventional
// bit-sliced CIM on the same array (two's complement, an ADC per 8 columns, 8-bit exact and
// 5-bit); paper: 2-4× energy and area efficiency over existing CIM.
Comparison zebra_comparison(const circuit::Technology& tech, double input_density, Scenario scenario);

// Bits of an ADC that resolves every PS level of the config's readout (signed readouts need one
// more bit for the sign).
int full_precision_adc_bits(const arch::CrossbarConfig& config);

}  // namespace cimmc::studies
