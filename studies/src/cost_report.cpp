#include "cimmc/studies/cost_report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "cimmc/arch/zero_bit_encoding.hpp"
#include "cimmc/core/data_files.hpp"
#include "cimmc/core/error.hpp"
#include "cimmc/core/filetypes.hpp"
#include "cimmc/core/hdf5.hpp"
#include "cimmc/network/zoo.hpp"

namespace cimmc::studies {

std::vector<arch::LayerShape> gemm_shapes(const network::Model& model, const arch::CrossbarConfig& config) {
  std::vector<arch::LayerShape> shapes;
  for (const auto& node : model.nodes()) {
    const auto* gemm = dynamic_cast<const network::GemmLayer*>(node.layer.get());
    if (!gemm) continue;
    arch::LayerShape s;
    s.name = node.name;
    s.rows_per_image = node.shape.size() == 3 ? static_cast<std::uint64_t>(node.shape[1]) * node.shape[2] : 1;
    s.k = static_cast<std::uint64_t>(gemm->fan_in());
    s.n = static_cast<std::uint64_t>(gemm->out_features());
    shapes.push_back(s);
  }
  for (std::size_t i = 0; i < shapes.size(); ++i) {
    shapes[i].digital = config.is_digital(static_cast<int>(i), static_cast<int>(shapes.size()));
    shapes[i].gemm_index = static_cast<int>(i);
  }
  return shapes;
}

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

double mean_mtj_samples(const arch::NetworkCost& cost) {
  double reads = 0, samples = 0;
  for (const auto& l : cost.layers) {
    reads += l.mtj_reads;
    samples += l.mtj_samples;
  }
  return reads > 0 ? samples / reads : 0.0;
}

namespace {
std::vector<std::string> components(const std::vector<arch::LayerCost>& layers, bool energy) {
  std::vector<std::string> names;
  for (const auto& l : layers)
    for (const auto& [k, v] : energy ? l.energy_J : l.area_m2)
      if (std::find(names.begin(), names.end(), k) == names.end()) names.push_back(k);
  std::sort(names.begin(), names.end());
  return names;
}
double at(const std::map<std::string, double>& m, const std::string& k) {
  const auto it = m.find(k);
  return it == m.end() ? 0.0 : it->second;
}
}  // namespace

std::string format_cost_report(const arch::NetworkCost& cost) {
  const auto names = components(cost.layers, true);
  std::string out = fmt::format("{:<12} {:>14} {:>10} {:>8} {:>12} {:>12} {:>12}", "layer", "readout", "MACs", "w dens",
                                "energy nJ", "latency us", "area mm2");
  for (const auto& n : names) out += fmt::format(" {:>11}", n + " nJ");
  out += "\n";
  for (const auto& l : cost.layers) {
    const std::string density = l.weight_density >= 0 ? fmt::format("{:.4f}", l.weight_density) : "-";
    out += fmt::format("{:<12} {:>14} {:>10} {:>8} {:>12.4g} {:>12.4g} {:>12.4g}", l.name, l.readout, l.macs, density,
                       l.total_energy_J() * 1e9, l.latency_s * 1e6, l.total_area_m2() * 1e6);
    for (const auto& n : names) out += fmt::format(" {:>11.4g}", at(l.energy_J, n) * 1e9);
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

void write_cost_file(const std::filesystem::path& path, const arch::NetworkCost& cost, std::uint64_t seed,
                     const std::string& config_text) {
  core::h5::AtomicFile out(path);
  auto& f = out.file();
  core::h5::write_provenance(f, std::string(core::filetypes::kCost.name),
                             {core::filetypes::kCost.major, core::filetypes::kCost.minor}, seed, config_text);
  const auto energy_names = components(cost.layers, true), area_names = components(cost.layers, false);
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
      energy[i * energy_names.size() + c] = at(l.energy_J, energy_names[c]);
    for (std::size_t c = 0; c < area_names.size(); ++c) area[i * area_names.size() + c] = at(l.area_m2, area_names[c]);
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
  for (const auto& c : energy_names) e.push_back(at(cost.energy_J, c));
  for (const auto& c : area_names) a.push_back(at(cost.area_m2, c));
  net.write_1d<double>("energy_by_component_J", e, "J", "component");
  net.write_1d<double>("area_by_component_m2", a, "m^2", "component");
  out.commit();
}

}  // namespace cimmc::studies
