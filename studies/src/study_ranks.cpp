#include "study_ranks.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "cimmc/core/error.hpp"

#ifdef CIMMC_HAVE_MPI
#include <mpi.h>
#endif

namespace cimmc::studies {

namespace {

#ifdef CIMMC_HAVE_MPI
// A slot on the wire: point, trial, then every array's slot in definition order (the same on
// every rank, since every rank defines the same study).
std::vector<char> pack(const StudyResults& r, std::size_t point, std::size_t trial) {
  std::vector<char> out(2 * sizeof(std::uint64_t));
  const std::uint64_t head[2] = {point, trial};
  std::memcpy(out.data(), head, sizeof head);
  for (const auto& a : r.arrays) {
    const std::size_t n = a.slot_size(), at = out.size(), first = (point * r.trials + trial) * n;
    if (a.integer) {
      out.resize(at + n * sizeof(std::int64_t));
      std::memcpy(out.data() + at, a.ints.data() + first, n * sizeof(std::int64_t));
    } else {
      out.resize(at + n * sizeof(double));
      std::memcpy(out.data() + at, a.real.data() + first, n * sizeof(double));
    }
  }
  return out;
}

void unpack(const std::vector<char>& in, StudyResults& r) {
  std::uint64_t head[2];
  if (in.size() < sizeof head) throw core::RuntimeFailure("distributed run: a slot message is too short");
  std::memcpy(head, in.data(), sizeof head);
  const std::size_t point = head[0], trial = head[1];
  if (point >= r.points || trial >= r.trials)
    throw core::RuntimeFailure(fmt::format("distributed run: slot ({}, {}) is outside the study", point, trial));
  std::size_t at = sizeof head;
  for (auto& a : r.arrays) {
    const std::size_t n = a.slot_size(), first = (point * r.trials + trial) * n;
    const std::size_t bytes = n * (a.integer ? sizeof(std::int64_t) : sizeof(double));
    if (at + bytes > in.size())
      throw core::RuntimeFailure("distributed run: a slot message is shorter than the study's slot");
    if (a.integer) std::memcpy(a.ints.data() + first, in.data() + at, bytes);
    else std::memcpy(a.real.data() + first, in.data() + at, bytes);
    at += bytes;
  }
  r.done[point * r.trials + trial] = 1;
}

constexpr int kSlotTag = 1, kFinishedTag = 2;

void check(int code, const char* what) {
  if (code != MPI_SUCCESS)
    throw core::RuntimeFailure(fmt::format("distributed run: {} failed (MPI error {})", what, code));
}

// Launched by mpirun (OpenMPI or MPICH set these); a plain start stays a single process.
bool launched_by_mpirun() {
  return std::getenv("OMPI_COMM_WORLD_SIZE") != nullptr || std::getenv("PMI_SIZE") != nullptr;
}

void finalize_at_exit() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Finalize();
}
#endif

}  // namespace

StudyRanks::StudyRanks() {
#ifdef CIMMC_HAVE_MPI
  if (!launched_by_mpirun()) return;
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized) {
    int provided = 0;
    check(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
    std::atexit(finalize_at_exit);
  }
  check(MPI_Comm_rank(MPI_COMM_WORLD, &rank_), "MPI_Comm_rank");
  check(MPI_Comm_size(MPI_COMM_WORLD, &size_), "MPI_Comm_size");
  MPI_Comm local = MPI_COMM_NULL;
  check(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &local), "MPI_Comm_split_type");
  check(MPI_Comm_size(local, &local_size_), "MPI_Comm_size");
  MPI_Comm_free(&local);
#endif
}

StudyRanks& StudyRanks::world() {
  static StudyRanks ranks;
  return ranks;
}

bool StudyRanks::start(bool ready, std::vector<std::uint8_t>& done) {
#ifdef CIMMC_HAVE_MPI
  if (size_ == 1) return ready;
  int mine = ready ? 1 : 0, all = 0;
  check(MPI_Allreduce(&mine, &all, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD), "MPI_Allreduce");
  if (all == 0) return false;
  // In pieces that an int counts (a mask of more than 2^31 slots is possible on a large machine).
  constexpr std::size_t kPiece = std::size_t{1} << 30;
  for (std::size_t at = 0; at < done.size(); at += kPiece)
    check(
        MPI_Bcast(done.data() + at, static_cast<int>(std::min(kPiece, done.size() - at)), MPI_BYTE, 0, MPI_COMM_WORLD),
        "MPI_Bcast");
  return true;
#else
  (void)done;
  return ready;
#endif
}

void StudyRanks::send_slot(const StudyResults& results, std::size_t point, std::size_t trial) {
#ifdef CIMMC_HAVE_MPI
  if (size_ == 1) return;
  pending_.push_back(pack(results, point, trial));
  auto* request = new MPI_Request;
  check(MPI_Isend(pending_.back().data(), static_cast<int>(pending_.back().size()), MPI_BYTE, 0, kSlotTag,
                  MPI_COMM_WORLD, request),
        "MPI_Isend");
  requests_.push_back(request);
#else
  (void)results, (void)point, (void)trial;
#endif
}

void StudyRanks::send_finished() {
#ifdef CIMMC_HAVE_MPI
  if (size_ == 1) return;
  for (void* r : requests_) {
    auto* request = static_cast<MPI_Request*>(r);
    check(MPI_Wait(request, MPI_STATUS_IGNORE), "MPI_Wait");
    delete request;
  }
  requests_.clear();
  pending_.clear();
  char none = 0;
  check(MPI_Send(&none, 0, MPI_BYTE, 0, kFinishedTag, MPI_COMM_WORLD), "MPI_Send");
#endif
}

void StudyRanks::finish() {
#ifdef CIMMC_HAVE_MPI
  if (size_ > 1) check(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier");
#endif
}

std::size_t StudyRanks::receive_ready(StudyResults& results) {
  std::size_t received = 0;
#ifdef CIMMC_HAVE_MPI
  while (size_ > 1) {
    int flag = 0;
    MPI_Status status;
    check(MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &status), "MPI_Iprobe");
    if (!flag) break;
    int bytes = 0;
    MPI_Get_count(&status, MPI_BYTE, &bytes);
    std::vector<char> message(static_cast<std::size_t>(bytes));
    check(
        MPI_Recv(message.data(), bytes, MPI_BYTE, status.MPI_SOURCE, status.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE),
        "MPI_Recv");
    if (status.MPI_TAG == kFinishedTag) {
      ++finished_;
    } else {
      unpack(message, results);
      ++received;
    }
  }
#else
  (void)results;
#endif
  return received;
}

std::size_t StudyRanks::receive_all(StudyResults& results) {
  std::size_t received = 0;
#ifdef CIMMC_HAVE_MPI
  while (size_ > 1 && finished_ < size_ - 1) {
    MPI_Status status;
    check(MPI_Probe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &status), "MPI_Probe");
    received += receive_ready(results);
  }
#else
  (void)results;
#endif
  return received;
}

}  // namespace cimmc::studies
