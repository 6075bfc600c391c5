// The commands `cimmc switching`, `cimmc cost` and `cimmc eval --backend crossbar` as one-point
// studies (docs/studies.md, "One-point studies"): a command's flags become a StudySpec without
// sweep axes, resolved by resolve_design like every point of a study file, and its slot (0, 0)
// is computed by the same function the runner's jobs call. A command therefore gives exactly the
// numbers of the one-point study of the same kind and seed (test studies.one_point_equivalence).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "cimmc/arch/cost_rollup.hpp"
#include "cimmc/circuit/component_cost.hpp"
#include "cimmc/device/switching_study.hpp"
#include "cimmc/studies/cost_inputs.hpp"
#include "cimmc/studies/crossbar_eval.hpp"
#include "cimmc/studies/resolved_design.hpp"
#include "cimmc/studies/study_spec.hpp"

namespace cimmc::studies {

// `key=value` overrides as [set] assignments, each key prefixed ("device." for the relative keys
// of `cimmc switching --set`; "" for hardware and technology keys). The values are parsed as TOML
// (a bare word is a string). Throws core::ArgumentError for text that is not key=value.
std::vector<Assignment> override_assignments(const std::vector<std::string>& overrides, const std::string& prefix = "");

// Throws core::ArgumentError for an override whose table belongs to none of `documents` ("hardware",
// "technology"), naming the tables it could be (with the nearest as a suggestion).
void check_override_documents(const std::vector<Assignment>& overrides, const std::vector<std::string>& documents);

// The slot computation of a switching study: P_sw on the point's grid by stochastic LLG, every
// trajectory addressed by (point, trial). `trials_override` > 0 replaces the grid's trajectories
// per grid point (the dry run's probe); `on_progress` receives trajectories done.
device::SwitchingReport switching_slot(const ResolvedDesign& design, std::uint64_t seed, std::size_t point,
                                       std::size_t trial, std::size_t trials_override = 0,
                                       const std::function<void(std::size_t)>& on_progress = {});

// The slot computation of an inference study: the quantized model on the point's crossbar design
// (readouts calibrated on `calibration` first where they need it), every random draw addressed
// by (options.point, options.trial).
CrossbarEvaluation inference_slot(network::Model& model, const network::Dataset& data,
                                  const network::Dataset& calibration, const ResolvedDesign& design,
                                  const CrossbarEvalOptions& options);

// The slot computation of a cost study: the analytic roll-up of `priced` on the point's design
// at its input bit density, with the weights' own bit densities or, if `weight_density` >= 0,
// that uniform density. `mtj` prices a stochastic MTJ readout (mtj_converter_for).
arch::NetworkCost cost_slot(const CostModel& priced, const ResolvedDesign& design, const circuit::MtjConverter* mtj,
                            double weight_density = -1);

}  // namespace cimmc::studies
