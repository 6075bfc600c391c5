// The results of a study in memory and in its cimmc.study HDF5 file (layout in
// docs/formats.md): one slot per (point, trial) in every per-slot array, a done mask, the axes
// and point index, summaries over the finished trials of each point (Wilson intervals for
// proportions, Student t otherwise) and per-layer diagnostics. The file is always rewritten
// whole and atomically, so it holds every finished slot and nothing half-written; a resumed run
// reads the slots back and fills in the rest.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "cimmc/studies/study_spec.hpp"

namespace cimmc::studies {

// An array with one slot per (point, trial): shape [point, trial, inner...].
struct SlotArray {
  std::string path;  // "/trials/accuracy", "/layers/clipped", ...
  std::string units;
  std::vector<std::size_t> inner;       // extra dimensions of one slot
  std::vector<std::string> dimensions;  // names of all dimensions, point and trial first
  bool integer = false;
  std::vector<double> real;        // NaN in slots not done
  std::vector<std::int64_t> ints;  // 0 in slots not done
  std::size_t slot_size() const;
};

// A summary over the finished trials of each point: /summary/<name>/{mean, std, ci_low, ci_high, n}.
struct MetricSummary {
  std::string name;        // of the slot array /trials/<name>
  bool wilson = false;     // a proportion: Wilson interval of the pooled counts below
  std::string count_path;  // successes per slot (integer slot array of the same inner shape)
  std::string total_path;  // trials of the proportion per slot ("" : total_per_slot)
  std::int64_t total_per_slot = 0;
};

// A dataset written as is (names of layers, components, grid values).
struct StaticData {
  std::string path, units, dimension;
  std::vector<double> values;
  std::vector<std::string> strings;  // a string dataset if not empty
};

struct StudyResults {
  std::size_t points = 0, trials = 0;
  std::vector<std::uint8_t> done;  // [point, trial]
  std::vector<SlotArray> arrays;
  std::vector<MetricSummary> summaries;
  std::vector<StaticData> statics;
  // Per-point ratios Σ numerator / Σ denominator over the done trials, [point, inner...]:
  // /diagnostics/<name> (clip rates, zero-skip ratios).
  struct Ratio {
    std::string name, numerator, denominator;
  };
  std::vector<Ratio> ratios;

  StudyResults(std::size_t points, std::size_t trials);
  SlotArray& define(const std::string& path, const std::string& units, bool integer,
                    std::vector<std::size_t> inner = {}, std::vector<std::string> inner_dims = {});
  SlotArray& array(const std::string& path);
  const SlotArray& array(const std::string& path) const;
  double* real_slot(const std::string& path, std::size_t point, std::size_t trial);
  std::int64_t* int_slot(const std::string& path, std::size_t point, std::size_t trial);
  bool is_done(std::size_t point, std::size_t trial) const { return done[point * trials + trial] != 0; }
  std::size_t done_count() const;
};

// What the file records besides the results.
struct StudyProvenance {
  std::string name, kind, config_text, config_hash;
  std::uint64_t seed = 0;
};

// Writes the cimmc.study file atomically (temporary file + rename).
void write_study_file(const std::filesystem::path& path, const StudySpec& spec, const StudyResults& results,
                      const StudyProvenance& provenance);

// The config_hash attribute of a study file (core::FormatError if it is not a cimmc.study file).
std::string read_study_hash(const std::filesystem::path& path);
// Reads the done mask and every slot array defined in `results` back from a study file of the
// same shape (core::FormatError naming what differs).
void read_study_slots(const std::filesystem::path& path, StudyResults& results);

// 95 % intervals: Wilson score interval of k successes in n; Student t of a sample.
struct Interval {
  double low, high;
};
Interval wilson_interval(double successes, double trials);
Interval student_t_interval(double mean, double std, std::size_t n);

}  // namespace cimmc::studies
