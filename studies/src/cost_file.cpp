// The cimmc.cost file: per-layer and network datasets with provenance, written atomically.
#include <cstdint>
#include <filesystem>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "cimmc/core/filetypes.hpp"
#include "cimmc/core/hdf5.hpp"
#include "cimmc/studies/cost_report.hpp"
#include "cost_summaries.hpp"

namespace cimmc::studies {

void write_cost_file(const std::filesystem::path& path, const arch::NetworkCost& cost, std::uint64_t seed,
                     const std::string& config_text) {
  core::h5::AtomicFile out(path);
  auto& f = out.file();
  core::h5::write_provenance(f, std::string(core::filetypes::kCost.name),
                             {core::filetypes::kCost.major, core::filetypes::kCost.minor}, seed, config_text);
  const auto energy_names = component_names(cost.layers, true), area_names = component_names(cost.layers, false);
  const std::size_t n = cost.layers.size();
  std::vector<std::string> names, readouts;
  std::vector<std::int64_t> macs;
  std::vector<double> latency, weight_density, energy(n * energy_names.size()), area(n * area_names.size());
  for (std::size_t i = 0; i < n; ++i) {
    const auto& l = cost.layers[i];
    names.push_back(l.name);
    readouts.push_back(l.readout);
    macs.push_back(static_cast<std::int64_t>(l.macs));
    latency.push_back(l.latency_s);
    weight_density.push_back(l.weight_density >= 0 ? l.weight_density : std::numeric_limits<double>::quiet_NaN());
    for (std::size_t c = 0; c < energy_names.size(); ++c)
      energy[i * energy_names.size() + c] = component_value(l.energy_J, energy_names[c]);
    for (std::size_t c = 0; c < area_names.size(); ++c)
      area[i * area_names.size() + c] = component_value(l.area_m2, area_names[c]);
  }
  auto layers = f.create_group("layers");
  layers.write_strings("name", names);
  layers.write_strings("readout", readouts);
  layers.write_strings("energy_components", energy_names);
  layers.write_strings("area_components", area_names);
  layers.write_1d<std::int64_t>("macs", macs, "1", "layer");
  layers.write_1d<double>("latency_s", latency, "s", "layer");
  layers.write_1d<double>("weight_density", weight_density, "1", "layer");
  layers.write<double>("energy_J", std::span<const double>(energy), {n, energy_names.size()}, "J",
                       {"layer", "component"});
  layers.write<double>("area_m2", std::span<const double>(area), {n, area_names.size()}, "m^2", {"layer", "component"});
  auto net = f.create_group("network");
  net.write_scalar<double>("energy_J", cost.energy_total_J, "J");
  net.write_scalar<double>("latency_s", cost.latency_s, "s");
  net.write_scalar<double>("area_m2", cost.area_total_m2, "m^2");
  net.write_scalar<double>("edp_J_s", cost.edp_J_s(), "J*s");
  net.write_scalar<double>("tops_per_W", cost.tops_per_W(), "TOPS/W");
  net.write_scalar<double>("tops_per_mm2", cost.tops_per_mm2(), "TOPS/mm^2");
  net.write_strings("notes", cost.notes);
  net.write_scalar<std::int64_t>("macs", static_cast<std::int64_t>(cost.macs), "1");
  net.write_scalar<double>("mean_mtj_samples", mean_mtj_samples(cost), "1");
  std::vector<double> e, a;
  for (const auto& c : energy_names) e.push_back(component_value(cost.energy_J, c));
  for (const auto& c : area_names) a.push_back(component_value(cost.area_m2, c));
  net.write_1d<double>("energy_by_component_J", e, "J", "component");
  net.write_1d<double>("area_by_component_m2", a, "m^2", "component");
  out.commit();
}

}  // namespace cimmc::studies
