// Summaries of a network cost that the text report and the cimmc.cost file share
// (cost_summaries.cpp); private to the studies library.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "cimmc/arch/cost_rollup.hpp"

namespace cimmc::studies {

// The energy (or, with energy false, area) components of any of `layers`, sorted by name.
std::vector<std::string> component_names(const std::vector<arch::LayerCost>& layers, bool energy);
// The value of component `k` in `m`; 0 if absent.
double component_value(const std::map<std::string, double>& m, const std::string& k);

}  // namespace cimmc::studies
