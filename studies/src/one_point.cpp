#include "cimmc/studies/one_point.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "cimmc/core/error.hpp"
#include "cimmc/studies/cost_report.hpp"

namespace cimmc::studies {

namespace {

// The leaves of a table as dotted keys.
void leaves(const core::config::Value& table, const std::string& prefix, std::vector<Assignment>& out) {
  for (const auto& [k, v] : table.as_table()) {
    const std::string key = prefix.empty() ? k : fmt::format("{}.{}", prefix, k);
    if (v.is_table()) leaves(v, key, out);
    else out.push_back({key, v});
  }
}

}  // namespace

std::vector<Assignment> override_assignments(const std::vector<std::string>& overrides, const std::string& prefix) {
  std::vector<Assignment> out;
  for (const auto& o : overrides) {
    const auto eq = o.find('=');
    if (eq == std::string::npos || eq == 0)
      throw core::ArgumentError(fmt::format("--set '{}': expected key=value, e.g. free_layer.damping=0.1", o));
    core::config::Document one{toml::table{}, "--set"};
    core::config::apply_override(one, prefix + o);
    std::vector<Assignment> parsed;
    leaves(one.root, "", parsed);
    // A later --set of the same key replaces an earlier one, as on a file.
    for (auto& a : parsed) {
      std::erase_if(out, [&](const Assignment& b) { return b.key == a.key; });
      out.push_back(std::move(a));
    }
  }
  return out;
}

void check_override_documents(const std::vector<Assignment>& overrides, const std::vector<std::string>& documents) {
  std::vector<std::string> heads;
  for (const auto& document : documents)
    for (auto& h : document_heads(document)) heads.push_back(std::move(h));
  for (const auto& a : overrides) {
    if (std::find(documents.begin(), documents.end(), document_of_key(a.key)) != documents.end()) continue;
    const std::string head = a.key.substr(0, a.key.find('.'));
    const auto guess = core::config::did_you_mean(head, heads);
    throw core::ArgumentError(
        fmt::format("--set {}: '{}' is not a table of the {} (tables: {}){}", a.key, head,
                    documents.size() == 1 ? documents[0] + " file" : "hardware file or technology table",
                    fmt::join(heads, ", "), guess ? fmt::format("; did you mean '{}'?", *guess) : ""));
  }
}

device::SwitchingReport switching_slot(const ResolvedDesign& design, std::uint64_t seed, std::size_t point,
                                       std::size_t trial, std::size_t trials_override,
                                       const std::function<void(std::size_t)>& on_progress) {
  auto s = design.grid.settings;
  s.seed = seed;
  s.point = static_cast<std::uint32_t>(point);
  s.trial = static_cast<std::uint32_t>(trial);
  if (trials_override > 0) s.trials = trials_override;
  if (on_progress) s.on_progress = on_progress;
  return device::characterize_switching(design.device_params, design.grid.currents_A, design.grid.pulse_widths_s, s);
}

CrossbarEvaluation inference_slot(network::Model& model, const network::Dataset& data,
                                  const network::Dataset& calibration, const ResolvedDesign& design,
                                  const CrossbarEvalOptions& options) {
  return evaluate_on_crossbar(model, data, calibration, design.crossbar, options);
}

arch::NetworkCost cost_slot(const CostModel& priced, const ResolvedDesign& design, const circuit::MtjConverter* mtj,
                            double weight_density) {
  const auto& hw = design.crossbar;
  auto densities = layer_densities(priced.model, hw, design.input_density);
  if (weight_density >= 0)
    for (auto& d : densities)
      if (!d.weight_by_plane.empty()) d = arch::BitDensities::uniform(hw, design.input_density, weight_density);
  return analytic_cost(gemm_shapes(priced.model, hw), hw, design.tech, densities, mtj);
}

}  // namespace cimmc::studies
