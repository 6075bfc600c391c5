#include "cimmc/studies/cost_report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
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
  for (std::size_t i = 0; i < shapes.size(); ++i)
    shapes[i].digital = config.is_digital(static_cast<int>(i), static_cast<int>(shapes.size()));
  return shapes;
}

double weight_bit_density(const network::Model& model, const arch::CrossbarConfig& config) {
  std::uint64_t values = 0, ones = 0;
  const auto layers = model.gemm_layers();
  for (std::size_t i = 0; i < layers.size(); ++i) {
    if (config.is_digital(static_cast<int>(i), static_cast<int>(layers.size()))) continue;
    const auto codes = layers[i]->weight_codes(config.weight_bits, layers[i]->weight_scales(config.weight_bits));
    const auto stats = arch::encoding_statistics(codes, config.weight_bits, config.encoding);
    values += stats.values;
    ones += stats.nonzero_digits;
  }
  if (values == 0) throw ModelError("the model has no Conv/Linear layer that runs on crossbars");
  return static_cast<double>(ones) / (static_cast<double>(values) * config.weight_bits);
}

arch::MtjElectrical mtj_electrical(const device::SotMtjParams& device) {
  const auto d = device::derive(device);
  return {d.heavy_metal_resistance_ohm, 0.5 * (device.electrical.resistance_parallel_ohm + d.resistance_antiparallel_ohm)};
}

arch::NetworkCost analytic_cost(const std::vector<arch::LayerShape>& shapes, const arch::CrossbarConfig& config,
                                const circuit::Technology& tech, double input_density, double weight_density,
                                const arch::MtjElectrical& mtj) {
  std::vector<arch::LayerCost> layers;
  for (const auto& s : shapes) {
    const arch::Counters c = s.digital ? arch::Counters{} : arch::analytic_counters(config, s, input_density, weight_density);
    layers.push_back(arch::layer_cost(config, tech, s, c, 1.0, mtj));
  }
  return arch::network_cost(std::move(layers), tech);
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
  std::string out = fmt::format("{:<12} {:>14} {:>10} {:>12} {:>12} {:>12}", "layer", "readout", "MACs", "energy nJ",
                                "latency us", "area mm2");
  for (const auto& n : names) out += fmt::format(" {:>11}", n + " nJ");
  out += "\n";
  for (const auto& l : cost.layers) {
    out += fmt::format("{:<12} {:>14} {:>10} {:>12.4g} {:>12.4g} {:>12.4g}", l.name, l.readout, l.macs,
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
  for (const auto& note : cost.notes) out += fmt::format("note: {}\n", note);
  return out;
}

void write_cost_file(const std::filesystem::path& path, const arch::NetworkCost& cost, std::uint64_t seed,
                     const std::string& config_text) {
  h5::AtomicFile out(path);
  auto& f = out.file();
  h5::write_provenance(f, std::string(filetypes::kCost.name), {filetypes::kCost.major, filetypes::kCost.minor}, seed,
                       config_text);
  const auto energy_names = components(cost.layers, true), area_names = components(cost.layers, false);
  const std::size_t n = cost.layers.size();
  std::vector<std::string> names, readouts;
  std::vector<std::int64_t> macs;
  std::vector<double> latency, energy(n * energy_names.size()), area(n * area_names.size());
  for (std::size_t i = 0; i < n; ++i) {
    const auto& l = cost.layers[i];
    names.push_back(l.name);
    readouts.push_back(l.readout);
    macs.push_back(static_cast<std::int64_t>(l.macs));
    latency.push_back(l.latency_s);
    for (std::size_t c = 0; c < energy_names.size(); ++c) energy[i * energy_names.size() + c] = at(l.energy_J, energy_names[c]);
    for (std::size_t c = 0; c < area_names.size(); ++c) area[i * area_names.size() + c] = at(l.area_m2, area_names[c]);
  }
  auto layers = f.create_group("layers");
  layers.write_strings("name", names);
  layers.write_strings("readout", readouts);
  layers.write_strings("energy_components", energy_names);
  layers.write_strings("area_components", area_names);
  layers.write_1d<std::int64_t>("macs", macs, "1", "layer");
  layers.write_1d<double>("latency_s", latency, "s", "layer");
  layers.write<double>("energy_J", std::span<const double>(energy), {n, energy_names.size()}, "J", {"layer", "component"});
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
  std::vector<double> e, a;
  for (const auto& c : energy_names) e.push_back(at(cost.energy_J, c));
  for (const auto& c : area_names) a.push_back(at(cost.area_m2, c));
  net.write_1d<double>("energy_by_component_J", e, "J", "component");
  net.write_1d<double>("area_by_component_m2", a, "m^2", "component");
  out.commit();
}

double Comparison::ratio(const std::string& metric, const std::string& baseline) const {
  const auto it = std::find_if(designs.begin(), designs.end(), [&](const Design& d) { return d.label == baseline; });
  if (it == designs.end() || designs.empty()) throw ArgumentError(fmt::format("comparison: no design '{}'", baseline));
  const auto& p = designs.front().cost;
  const auto& b = it->cost;
  if (metric == "energy") return b.energy_total_J / p.energy_total_J;
  if (metric == "latency") return b.latency_s / p.latency_s;
  if (metric == "area") return b.area_total_m2 / p.area_total_m2;
  if (metric == "edp") return b.edp_J_s() / p.edp_J_s();
  if (metric == "tops_per_W") return p.tops_per_W() / b.tops_per_W();
  if (metric == "tops_per_mm2") return p.tops_per_mm2() / b.tops_per_mm2();
  throw ArgumentError(fmt::format("comparison: unknown metric '{}'", metric));
}

std::string Comparison::format() const {
  std::string out = fmt::format("{}\n{}\n\n", title, assumptions);
  out += fmt::format("{:<30} {:>12} {:>12} {:>12} {:>12} {:>10} {:>12}\n", "design", "energy uJ", "latency us",
                     "area mm2", "EDP nJ·s", "TOPS/W", "TOPS/mm2");
  for (const auto& d : designs)
    out += fmt::format("{:<30} {:>12.4g} {:>12.4g} {:>12.4g} {:>12.4g} {:>10.4g} {:>12.4g}\n", d.label,
                       d.cost.energy_total_J * 1e6, d.cost.latency_s * 1e6, d.cost.area_total_m2 * 1e6,
                       d.cost.edp_J_s() * 1e9, d.cost.tops_per_W(), d.cost.tops_per_mm2());
  out += fmt::format("\n{:<12} {:<30} {:>10} {:>10}\n", "metric", "baseline / " + designs.front().label, "cimmc",
                     "paper");
  for (const auto& p : published)
    out += fmt::format("{:<12} {:<30} {:>9.3g}x {:>9.3g}x\n", p.metric, p.baseline, ratio(p.metric, p.baseline), p.value);
  return out;
}

namespace {
arch::CrossbarConfig shipped_hw(const std::string& name, const std::vector<std::string>& overrides) {
  return arch::load_crossbar_config(data_files::resolve("hw", name, ".toml", "hardware configuration"), overrides);
}

network::Model resnet20_cifar() {
  return network::Model::from_spec(network::zoo_spec("resnet20", {3, 32, 32}, 10), "zoo resnet20");
}

Design priced(const std::string& label, const arch::CrossbarConfig& config, const network::Model& model,
              const circuit::Technology& tech, double input_density, const arch::MtjElectrical& mtj) {
  const auto shapes = gemm_shapes(model, config);
  return {label, config, analytic_cost(shapes, config, tech, input_density, weight_bit_density(model, config), mtj)};
}
}  // namespace

Comparison stox_comparison(const circuit::Technology& tech, const arch::MtjElectrical& mtj, double input_density) {
  const auto model = resnet20_cifar();
  Comparison c;
  c.title = "StoX-Net (arXiv 2407.12378): ResNet-20 on CIFAR-10 shapes, stochastic MTJ readout vs ADCs";
  c.assumptions = fmt::format(
      "data/hw/stox_mtj_bitserial.toml (4b/4b bit-sliced and bit-serial, R = 128, differential, first conv and last FC "
      "digital); baselines change only "
      "the readout: an 8-bit ADC (full precision for 128 rows of 1-bit cells) and a sparse 4-bit ADC; {} technology, "
      "ADC model {}, input bit density {}, weight densities from the zoo model's initial weights.",
      tech.name, circuit::adc_model_name(tech.periphery.adc_model), input_density);
  c.designs.push_back(priced("stochastic MTJ (T=4, 8 on MSB)", shipped_hw("stox_mtj_bitserial", {}), model, tech, input_density, mtj));
  c.designs.push_back(priced("full-precision ADC (8 bit)",
                             shipped_hw("stox_mtj_bitserial", {"readout.kind=adc", "readout.adc.bits=8"}), model, tech,
                             input_density, mtj));
  c.designs.push_back(priced("sparse low-bit ADC (4 bit)",
                             shipped_hw("stox_mtj_bitserial", {"readout.kind=adc", "readout.adc.bits=4", "readout.adc.sparse=true"}),
                             model, tech, input_density, mtj));
  const std::string fp = c.designs[1].label, sparse = c.designs[2].label;
  c.published = {{"energy", fp, 16}, {"latency", fp, 8}, {"area", fp, 10}, {"edp", fp, 130}, {"edp", sparse, 24}};
  return c;
}

Comparison zebra_comparison(const circuit::Technology& tech, double input_density) {
  const auto model = resnet20_cifar();
  Comparison c;
  c.title = "ZEBRA (ASP-DAC 2024): ResNet-20 on CIFAR-10 shapes, multi-level LCU vs conventional CIM";
  c.assumptions = fmt::format(
      "data/hw/zebra_lcu.toml (8b/8b, R = 128, adaptive-flip encoding, G = 8, 9-level sense); conventional CIM: the "
      "same array with two's-complement weights and an ADC per 8 columns (8-bit full precision, or 5-bit); {} "
      "technology, ADC model {}, input bit density {}, weight densities from the zoo model's initial weights.",
      tech.name, circuit::adc_model_name(tech.periphery.adc_model), input_density);
  const arch::MtjElectrical none{};
  c.designs.push_back(priced("ZEBRA LCU (G=8, L=9)", shipped_hw("zebra_lcu", {}), model, tech, input_density, none));
  c.designs.push_back(priced("conventional, 8-bit ADC",
                             shipped_hw("zebra_lcu", {"crossbar.encoding=twos_complement", "readout.kind=adc",
                                                      "readout.adc.bits=8"}),
                             model, tech, input_density, none));
  c.designs.push_back(priced("conventional, 5-bit ADC",
                             shipped_hw("zebra_lcu", {"crossbar.encoding=twos_complement", "readout.kind=adc",
                                                      "readout.adc.bits=5"}),
                             model, tech, input_density, none));
  for (const auto& d : {c.designs[1].label, c.designs[2].label}) {
    c.published.push_back({"tops_per_W", d, 3});      // "2x-4x": the midpoint
    c.published.push_back({"tops_per_mm2", d, 3});
  }
  return c;
}

}  // namespace cimmc::studies
