#include "cimmc/studies/cost_inputs.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "cimmc/core/data_files.hpp"
#include "cimmc/core/error.hpp"
#include "cimmc/device/sot_mtj_params.hpp"
#include "cimmc/device/switching_table.hpp"
#include "cimmc/network/model_file.hpp"
#include "cimmc/network/train.hpp"
#include "cimmc/network/zoo.hpp"

namespace cimmc::studies {

CostModel cost_model(const std::string& model_or_zoo, const network::Shape& input, int classes, int weight_bits,
                     std::uint64_t seed) {
  const bool is_file = std::filesystem::exists(model_or_zoo) || model_or_zoo.find('/') != std::string::npos ||
                       std::filesystem::path(model_or_zoo).extension() == ".h5";
  if (is_file) return {network::load_model(model_or_zoo), "trained: " + model_or_zoo, true};
  const auto names = network::zoo_names();
  if (std::find(names.begin(), names.end(), model_or_zoo) == names.end())
    throw core::ArgumentError(
        fmt::format("--model {}: neither a model file nor a zoo model ({})", model_or_zoo, fmt::join(names, ", ")));
  const std::string zoo = network::zoo_spec(model_or_zoo, input, classes);
  const std::string spec = network::Model::from_spec(zoo, "zoo " + model_or_zoo).spec();  // canonical form
  // Shipped models of exactly this architecture; preference: quantized to weight_bits, float,
  // anything else; ties by file name.
  std::optional<std::pair<int, std::filesystem::path>> best;
  auto shipped = core::data_files::names("models", ".h5");
  std::sort(shipped.begin(), shipped.end());
  for (const auto& name : shipped) {
    const auto path = core::data_files::resolve("models", name, ".h5", "model");
    network::ModelRecord record;
    network::Model m;
    try {
      m = network::load_model(path, &record);
    } catch (const core::Error&) {
      continue;  // not a model file this version reads: not a candidate
    }
    if (record.zoo_name != model_or_zoo || m.spec() != spec) continue;
    int rank = 2;
    if (m.quantized()) {
      const auto layers = m.gemm_layers();
      if (!layers.empty() && layers.front()->quant().weight_bits == weight_bits) rank = 0;
    } else {
      rank = 1;
    }
    if (!best || rank < best->first) best = std::pair{rank, path};
  }
  if (best)
    return {network::load_model(best->second), "trained: " + best->second.filename().string() + " (shipped)", true};
  CostModel c{network::Model::from_spec(zoo, "zoo " + model_or_zoo),
              fmt::format("He-normal initialization, seed {} (no trained {} for this input shape is shipped)", seed,
                          model_or_zoo),
              false};
  network::initialize_weights(c.model, seed);
  return c;
}

std::vector<arch::BitDensities> layer_densities(const network::Model& model, const arch::CrossbarConfig& config,
                                                double input_density) {
  const auto layers = model.gemm_layers();
  std::vector<arch::BitDensities> out(layers.size());
  for (std::size_t i = 0; i < layers.size(); ++i) {
    if (config.is_digital(static_cast<int>(i), static_cast<int>(layers.size()))) continue;
    const auto* l = layers[i];
    const auto codes = l->weight_codes(config.weight_bits, l->weight_scales(config.weight_bits));
    out[i] = arch::measured_densities(config, codes, l->out_features(), l->fan_in(), input_density);
  }
  return out;
}

double weight_bit_density(const network::Model& model, const arch::CrossbarConfig& config) {
  const auto layers = model.gemm_layers();
  const auto densities = layer_densities(model, config, 0.0);
  double ones = 0, cells = 0;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    if (densities[i].weight_by_plane.empty()) continue;
    const double weights = static_cast<double>(layers[i]->out_features()) * layers[i]->fan_in();
    ones += arch::stored_digit_density(config, densities[i]) * weights * config.weight_bits;
    cells += weights * config.weight_bits;
  }
  if (cells == 0) throw core::ModelError("the model has no Conv/Linear layer that runs on crossbars");
  return ones / cells;
}

std::optional<circuit::MtjConverter> mtj_converter_for(const arch::CrossbarConfig& config,
                                                       const circuit::Technology& tech,
                                                       const std::string& device_override) {
  if (config.readout.kind != circuit::ReadoutKind::kStochasticMtj) return std::nullopt;
  const auto& mtj = config.readout.mtj;
  std::string device = device_override.empty() ? mtj.device : device_override;
  if (mtj.curve == "device_table") {
    const std::string table_device =
        mtj.table ? mtj.table->device() : device::SwitchingTable::load(mtj.table_file).device();
    if (!device.empty() && device != table_device)
      throw core::ConfigError(
          fmt::format("readout.mtj.device = \"{}\" but the switching table {} was computed for \"{}\": the "
                      "priced device must be the sampled one",
                      device, mtj.table_file, table_device));
    device = table_device;
  }
  if (device.empty())
    throw core::ConfigError(
        fmt::format("readout.mtj.device: the {} curve names no device; pricing the converter needs the "
                    "SOT-MTJ preset it stands for (e.g. readout.mtj.device = \"stox_converter\")",
                    mtj.curve));
  const auto params = device::load_sot_mtj(device::resolve_device_file(device));
  const auto derived = device::derive(params);
  const auto curve = mtj.make_curve();
  return circuit::mtj_converter(mtj, *curve, params.name, derived.heavy_metal_resistance_ohm,
                                params.electrical.resistance_parallel_ohm, derived.resistance_antiparallel_ohm,
                                tech.mtj.reset_probability);
}

std::string format_mtj_sample(const circuit::Technology& tech, const circuit::MtjConverter& m) {
  const auto s = circuit::mtj_sample(tech, m);
  const auto fj = [](double j) { return j * 1e15; };
  std::string out = fmt::format(
      "MTJ converter {}: R_HM {:.4g} Ohm, R_P {:.4g} Ohm, R_AP {:.4g} Ohm; pulse {:.3g} ns; write <|I|> {:.4g} uA "
      "(max {:.4g} uA), reset {:.4g} uA\n",
      m.device, m.heavy_metal_resistance_ohm, m.resistance_parallel_ohm, m.resistance_antiparallel_ohm,
      m.pulse_width_s * 1e9, m.mean_abs_current_A * 1e6, m.max_abs_current_A * 1e6, m.reset_current_A * 1e6);
  out += fmt::format(
      "MTJ sample {:.4g} fJ (before the post-layout factor): write {:.4g} (heavy metal {:.4g}, driver {:.4g}), read "
      "{:.4g} (junction {:.4g}, reference {:.4g}, comparator {:.4g}), reset {:.4g} (heavy metal {:.4g}, driver "
      "{:.4g}); "
      "{:.3g} ns\n",
      fj(s.total.energy_J), fj(s.write_J), fj(s.write_heavy_metal_J), fj(s.write_driver_J), fj(s.read_J),
      fj(s.read_junction_J), fj(s.read_reference_J), fj(s.read_comparator_J), fj(s.reset_J), fj(s.reset_heavy_metal_J),
      fj(s.reset_driver_J), s.total.latency_s * 1e9);
  return out;
}

}  // namespace cimmc::studies
