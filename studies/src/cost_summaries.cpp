// Summaries of a network cost: the components over all layers, a component's value, and the mean
// number of stochastic MTJ samples per conversion.
#include "cost_summaries.hpp"

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "cimmc/studies/cost_report.hpp"

namespace cimmc::studies {

double mean_mtj_samples(const arch::NetworkCost& cost) {
  double reads = 0, samples = 0;
  for (const auto& l : cost.layers) {
    reads += l.mtj_reads;
    samples += l.mtj_samples;
  }
  return reads > 0 ? samples / reads : 0.0;
}

std::vector<std::string> component_names(const std::vector<arch::LayerCost>& layers, bool energy) {
  std::vector<std::string> names;
  for (const auto& l : layers)
    for (const auto& [k, v] : energy ? l.energy_J : l.area_m2)
      if (std::find(names.begin(), names.end(), k) == names.end()) names.push_back(k);
  std::sort(names.begin(), names.end());
  return names;
}
double component_value(const std::map<std::string, double>& m, const std::string& k) {
  const auto it = m.find(k);
  return it == m.end() ? 0.0 : it->second;
}

}  // namespace cimmc::studies
