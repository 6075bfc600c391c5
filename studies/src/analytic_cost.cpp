// The analytic cost of a network for one image: every layer rolled up with its own bit densities.
#include <fmt/format.h>

#include <vector>

#include "cimmc/core/error.hpp"
#include "cimmc/studies/cost_report.hpp"

namespace cimmc::studies {

arch::NetworkCost analytic_cost(const std::vector<arch::LayerShape>& shapes, const arch::CrossbarConfig& config,
                                const circuit::Technology& tech, const std::vector<arch::BitDensities>& densities,
                                const circuit::MtjConverter* mtj) {
  if (densities.size() != shapes.size())
    throw core::ArgumentError(
        fmt::format("analytic cost: {} density sets for {} layers", densities.size(), shapes.size()));
  std::vector<arch::LayerCost> layers;
  for (std::size_t i = 0; i < shapes.size(); ++i) {
    const auto& s = shapes[i];
    const arch::Counters c = s.digital ? arch::Counters{} : arch::analytic_counters(config, s, densities[i]);
    auto cost = arch::layer_cost(config, tech, s, c, 1.0, mtj);
    if (!s.digital) {
      cost.input_density = densities[i].input_by_bit.size() == 1 ? densities[i].input_by_bit[0] : -1;
      cost.weight_density = arch::stored_digit_density(config, densities[i]);
    }
    layers.push_back(std::move(cost));
  }
  return arch::network_cost(std::move(layers), config, tech);
}

}  // namespace cimmc::studies
