// The cost report as text: the per-layer table with energy by component, the network totals and
// efficiency, and the shares of each component.
#include <fmt/format.h>

#include <string>

#include "cimmc/studies/cost_report.hpp"
#include "cost_summaries.hpp"

namespace cimmc::studies {

std::string format_cost_report(const arch::NetworkCost& cost) {
  const auto names = component_names(cost.layers, true);
  std::string out = fmt::format("{:<12} {:>14} {:>10} {:>8} {:>12} {:>12} {:>12}", "layer", "readout", "MACs", "w dens",
                                "energy nJ", "latency us", "area mm2");
  for (const auto& n : names) out += fmt::format(" {:>11}", n + " nJ");
  out += "\n";
  for (const auto& l : cost.layers) {
    const std::string density = l.weight_density >= 0 ? fmt::format("{:.4f}", l.weight_density) : "-";
    out += fmt::format("{:<12} {:>14} {:>10} {:>8} {:>12.4g} {:>12.4g} {:>12.4g}", l.name, l.readout, l.macs, density,
                       l.total_energy_J() * 1e9, l.latency_s * 1e6, l.total_area_m2() * 1e6);
    for (const auto& n : names) out += fmt::format(" {:>11.4g}", component_value(l.energy_J, n) * 1e9);
    out += "\n";
  }
  out += fmt::format("\nper image: energy {:.4g} uJ, latency {:.4g} us, EDP {:.4g} J·s; area {:.4g} mm2\n",
                     cost.energy_total_J * 1e6, cost.latency_s * 1e6, cost.edp_J_s(), cost.area_total_m2 * 1e6);
  out += fmt::format("efficiency: {:.4g} TOPS/W, {:.4g} TOPS/mm2 ({} MACs per image)\n", cost.tops_per_W(),
                     cost.tops_per_mm2(), cost.macs);
  out += "energy by component:";
  for (const auto& [k, v] : cost.energy_J) out += fmt::format("  {} {:.1f} %", k, 100 * v / cost.energy_total_J);
  out += "\narea by component:  ";
  for (const auto& [k, v] : cost.area_m2) out += fmt::format("  {} {:.1f} %", k, 100 * v / cost.area_total_m2);
  out += "\n";
  if (const double t = mean_mtj_samples(cost); t > 0)
    out += fmt::format("stochastic MTJ: mean T {:.4f} samples per converted PS\n", t);
  for (const auto& note : cost.notes) out += fmt::format("note: {}\n", note);
  return out;
}

}  // namespace cimmc::studies
