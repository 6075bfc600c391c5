// The processes a study's slots are shared among (docs/studies.md, "Distributed runs"): one
// process, or, in a build with CIMMC_WITH_MPI launched by mpirun, the ranks of MPI_COMM_WORLD.
// Pending slots are dealt round-robin in point-major order; every rank computes its slots with
// its own threads, workers send each finished slot to rank 0, and rank 0 alone prints, writes
// checkpoints and the results file. A slot's numbers depend only on its address, so the file is
// bit-identical for any number of ranks. Private to the studies library.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "cimmc/studies/study_results.hpp"

namespace cimmc::studies {

class StudyRanks {
 public:
  // The world of this process: initializes MPI on first use when launched by mpirun (and
  // finalizes it at exit); a single process otherwise.
  static StudyRanks& world();

  int rank() const { return rank_; }
  int size() const { return size_; }
  bool root() const { return rank_ == 0; }
  // Ranks of this world on this machine (sharing its memory), this one included: each holds its
  // own copy of a study's arrays, so the memory check multiplies by it.
  int ranks_on_this_machine() const { return local_size_; }
  // Whether this rank computes the k-th pending slot.
  bool owns(std::size_t k) const { return static_cast<int>(k % static_cast<std::size_t>(size_)) == rank_; }

  // Every rank, once before any slot runs: whether every rank is ready to run (a rank that
  // failed to start passes false, and then no rank waits for it: all return false); if so, rank
  // 0's done mask is copied to every rank. Only rank 0 reads an existing results file: a worker
  // that read it itself could see a checkpoint rank 0 wrote after its own start, deal the pending
  // slots from another mask, and leave slots to no rank.
  bool start(bool ready, std::vector<std::uint8_t>& done);
  // Worker: sends slot (point, trial) of every array to rank 0.
  void send_slot(const StudyResults& results, std::size_t point, std::size_t trial);
  // Worker: tells rank 0 that it sends no more slots (after its last one, or when stopped).
  void send_finished();
  // Root: stores every slot that has arrived (does not wait); returns how many.
  std::size_t receive_ready(StudyResults& results);
  // Every rank, at the end: returns once every rank is there, that is, once rank 0 has written
  // the file. A worker waits here, inside the run and its stop handlers, not in MPI_Finalize
  // where a forwarded stop signal would kill it, and mpirun then the whole job (rank 0 with its
  // last checkpoint unwritten).
  void finish();
  // Root: waits until every worker has finished, storing their slots; returns how many.
  std::size_t receive_all(StudyResults& results);

 private:
  StudyRanks();
  int rank_ = 0, size_ = 1, local_size_ = 1;
  int finished_ = 0;                        // root: workers that sent their last message
  std::vector<std::vector<char>> pending_;  // worker: buffers of sends in flight
  std::vector<void*> requests_;
};

}  // namespace cimmc::studies
