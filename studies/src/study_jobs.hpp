// The work of one (point, trial) slot for each study kind, behind one interface the runner
// drives: inference (crossbar evaluation of a model on a dataset, with per-layer counters and
// the cost of what was counted), cost (analytic roll-up), switching (Monte Carlo LLG curves) and
// train (one training run per slot, checkpointed per epoch next to the results file).
// Private to the studies library.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cimmc/studies/memory_estimate.hpp"
#include "cimmc/studies/resolved_design.hpp"
#include "cimmc/studies/study_results.hpp"

namespace cimmc::studies {

// What the runner gives a slot besides its address.
struct JobContext {
  std::filesystem::path output;                  // the results file (slot files go next to it)
  bool resume = false;                           // continue a slot's own checkpoint if it has one
  std::function<bool()> stop;                    // a long slot checks it and stops resumably
  std::function<void(const std::string&)> note;  // progress note ("epoch 3/10")
};

class StudyJobs {
 public:
  virtual ~StudyJobs() = default;
  // Declares the slot arrays, summaries, ratios and static datasets of the kind.
  virtual void define(StudyResults& results) const = 0;
  // Fills slot (point, trial) of every array; the random streams are addressed by (point, trial).
  // Returns false if the slot stopped early on context.stop (it is then not done).
  virtual bool run(std::size_t point, std::size_t trial, StudyResults& results, const JobContext& context) = 0;
  // What one slot computes, for the dry run ("500 images of ...").
  virtual std::string slot_work() const = 0;
  // Seconds one slot of `point` takes, estimated from a small probe run.
  virtual double probe_seconds_per_slot(std::size_t point) = 0;
  // Adds the kind's dominant allocations besides the results arrays (images and models held, the
  // working set of a slot run with `threads` threads), for the check before any work.
  virtual void estimate_memory(MemoryEstimate& memory, int threads) = 0;
};

// Loads what the kind needs once (model, dataset, devices) and checks it against the designs.
std::unique_ptr<StudyJobs> make_study_jobs(const StudySpec& spec, const std::vector<ResolvedDesign>& designs);

}  // namespace cimmc::studies
