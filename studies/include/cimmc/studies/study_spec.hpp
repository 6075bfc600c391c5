// Study files: what a study computes (its kind), the base configuration every point starts
// from, and the sweep axes whose cartesian product (with zip groups advancing together) gives
// the points. Reading a study file checks every key against the real configuration schemas
// (hardware, technology, device, switching grid) for every point before any work starts, and
// reports all problems at once with the file, line and key. The layout of study files is in
// docs/studies.md; commented examples are in studies/specs/.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cimmc/core/config.hpp"

namespace cimmc::studies {

// A cost input has at most this many values per image (C x H x W; `base.input`, `cimmc cost --input`).
constexpr double kMaxInputValues = 1 << 18;

enum class StudyKind { kInference, kSwitching, kCost, kTrain };
std::string_view study_kind_name(StudyKind kind);  // "inference", "switching", "cost", "train"

// One sweep axis: a dotted key and its values, all numbers, all strings or all booleans.
struct Axis {
  std::string key;                          // "noise.cell_sigma_lsb", "hardware", "device.free_layer.damping"
  std::vector<core::config::Value> values;  // as written in the study file (they keep their lines)
  std::string units;                        // "1", "s", "A", ...; "" for strings and booleans
  bool numeric() const { return !values.empty() && (values[0].is_floating() || values[0].is_integer()); }
  bool textual() const { return !values.empty() && values[0].is_string(); }
  double number(std::size_t i) const;     // a numeric axis' value i
  std::string text(std::size_t i) const;  // value i as written ("0.05", "zebra_lcu", "true")
};

// A key of the base configuration or of a sweep, with the value it takes.
struct Assignment {
  std::string key;
  core::config::Value value;
};

struct StudySpec {
  std::string source;  // the study file
  // [study]
  std::string name;
  StudyKind kind = StudyKind::kInference;
  std::uint64_t seed = 1;
  int trials = 1;
  std::string output;              // results file (after -o)
  double checkpoint_seconds = 60;  // rewrite the results file at least this often
  // [base]
  std::string model;  // resolved model file (inference), file or zoo name (cost, train)
  std::string dataset = "fashion-mnist";
  int limit = 0;                 // test images (0: all); train: training images
  int calibration_images = 512;  // quantization of a float model and readout calibration (as cimmc eval)
  int batch = 64;
  int bits = 8;                                       // when a float model is quantized
  std::string hardware, technology = "22nm", device;  // names or paths, as written
  std::vector<int> input{3, 32, 32};                  // cost of a zoo model: C, H, W
  int classes = 10;
  double input_density = 0.25;    // cost: fraction of input bits that are 1
  std::vector<Assignment> set;    // [set]: overrides applied to every point
  core::config::Value switching;  // [switching]: the current x pulse-width grid (switching kind)
  core::config::Value training;   // [train]: how each trial trains (train kind; docs/studies.md)
  bool keep_models = true;        // train: write each slot's model next to the results file
  bool priced = true;             // the slots price the design (cimmc eval's one-point study does not)
  // [sweep]
  std::vector<Axis> axes;                        // in the order of the file (sorted by key)
  std::vector<std::vector<std::size_t>> groups;  // axis indices; a zip group or a single axis

  std::size_t points() const;
  // Index of point p's value on each axis (the first group varies slowest).
  std::vector<std::size_t> point_index(std::size_t point) const;
  // The sweep values of point p, one per axis.
  std::vector<Assignment> point_assignments(std::size_t point) const;
  // Trials per point that are run (cost studies are deterministic: one).
  int trials_run() const { return kind == StudyKind::kCost ? 1 : trials; }
};

// Reads and checks a study file. `overrides` are "key=value": keys under study., base., set. or
// sweep. change the study file; any other key is a [set] override (e.g. noise.cell_sigma_lsb=0.2).
// `output` (if not empty) replaces study.output. Every point's design is resolved once to check
// it. Throws core::ConfigError (or core::IoError for a missing study file) listing every problem.
StudySpec load_study(const std::filesystem::path& path, const std::vector<std::string>& overrides = {},
                     const std::string& output = "");

// The units of a dotted key from its name's suffix (_s: s, _A: A, _m: m, ...; "1" otherwise).
std::string units_of_key(std::string_view key);

}  // namespace cimmc::studies
