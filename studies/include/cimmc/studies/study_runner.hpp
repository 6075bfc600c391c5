// The study runner: expands a study's points x trials into jobs, each with its own random-stream
// address (point, trial) and result slot, runs them in a fixed order with the engine's own
// threads inside each job (so results are bit-identical for any thread count), marks finished
// slots in the done mask, rewrites the cimmc.study file atomically at checkpoints, resumes a
// file of the same configuration hash, and stops cleanly on SIGINT/SIGTERM keeping every
// finished slot. Launched by mpirun (in a build with CIMMC_WITH_MPI) the slots are shared among
// the ranks and rank 0 writes the file, bit-identical to a single-process run. `cimmc run` is a
// thin adapter over run_study.
#pragma once

#include <cstddef>
#include <cstdio>
#include <string>

#include "cimmc/studies/study_spec.hpp"

namespace cimmc::studies {

struct RunOptions {
  int threads = 0;       // OpenMP threads (0: the default)
  bool resume = false;   // continue an existing results file of the same configuration
  bool force = false;    // replace an existing results file
  bool dry_run = false;  // print the plan and an estimate of work and time; write nothing
  bool quiet = false;    // no progress line
  std::FILE* out = stdout;
};

struct RunOutcome {
  std::size_t slots = 0, done_before = 0, done_after = 0;
  bool interrupted = false;  // stopped by SIGINT/SIGTERM/SIGUSR1; the file holds every finished slot
  double seconds = 0;
  std::string config_hash;
  bool root = true;  // false on the worker ranks of a distributed run (rank 0 reports and writes)
};

// Runs (or with dry_run, plans) a study read by load_study. Throws core::ConfigError for an existing
// results file that may not be replaced or resumed (exit code 2), before writing anything.
RunOutcome run_study(const StudySpec& spec, const RunOptions& options);

// The resolved configuration text of a study (study settings, the design of point 0 in full and
// what each other point changes) and its hash, as stored in the results file.
struct ResolvedStudy {
  std::string text, hash;
};
ResolvedStudy resolve_study(const StudySpec& spec);

}  // namespace cimmc::studies
