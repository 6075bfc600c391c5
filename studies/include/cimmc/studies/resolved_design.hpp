// One resolved design: the fully resolved configuration of one study point (hardware,
// technology, device and switching grid, training settings, as each kind needs them), built once from the files
// the study names, its [set] overrides and the point's sweep values. It prints as canonical
// TOML (sorted keys, full precision) and hashes that text, so two designs with the same hash
// computed the same thing; the runner stores the text and refuses to resume a study whose hash
// changed. The engine receives the typed configurations; nothing reads a file after this.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cimmc/arch/crossbar_config.hpp"
#include "cimmc/circuit/technology.hpp"
#include "cimmc/core/config.hpp"
#include "cimmc/device/sot_mtj_params.hpp"
#include "cimmc/device/switching_study.hpp"
#include "cimmc/studies/study_spec.hpp"
#include "cimmc/studies/training_run.hpp"

namespace cimmc::studies {

struct ResolvedDesign {
  StudyKind kind = StudyKind::kInference;
  std::string hardware_file, technology_file, device_file;  // resolved paths ("" if unused)
  double input_density = 0.25;                              // cost kind
  // The documents after every override (inference and cost: hardware, technology; switching:
  // device, switching; train: training and, for crossbar-aware training, hardware, technology).
  core::config::Document hardware, technology, device, switching, training;
  bool crossbar_aware = false;  // train: through the hardware design (base.hardware given)
  arch::CrossbarConfig crossbar;
  circuit::Technology tech;
  device::SotMtjParams device_params;
  device::SwitchingConfig grid;
  TrainingSettings train;  // train kind (its seed is set per trial)

  // Canonical TOML: one `dotted.key = value` line per leaf, keys sorted, in tables per document.
  std::string text() const;
  std::uint64_t hash() const;  // FNV-1a 64 of text()
};

// The design of `point`: the base files, then [set], then the point's sweep values. Throws
// core::ConfigError (naming the study file's line for a value that came from it) or core::IoError.
ResolvedDesign resolve_design(const StudySpec& spec, std::size_t point);

// Canonical TOML of a document (sorted dotted keys; floats with 17 significant digits).
std::string canonical_toml(const core::config::Value& root, const std::string& prefix = "");
// One TOML value as canonical text (floats with 17 significant digits, always with a point).
std::string toml_value_text(const core::config::Value& v);
// FNV-1a 64-bit hash of a text, as 16 hex digits.
std::string hash_hex(std::uint64_t hash);
std::uint64_t fnv1a64(const std::string& text);

// The document a dotted override key belongs to: "hardware" ([crossbar], [readout], [noise],
// [gemms]), "technology" (the tables of data/tech files), "device" ([device]), "switching"
// ([switching]), or "" for an unknown head.
std::string document_of_key(std::string_view key);
// The first parts of the keys of a document ("hardware": crossbar, readout, noise, ...).
std::vector<std::string> document_heads(std::string_view document);

}  // namespace cimmc::studies
