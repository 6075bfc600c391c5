// An estimate of the memory a study or command holds at its peak (its dominant allocations:
// results arrays, images held, the working set of a forward or training pass, crossbar layers),
// compared with the memory available before any work starts. A run that cannot fit is refused
// with a clear error (exit 2) instead of ending in "out of memory" or in the kernel's
// out-of-memory killer (docs/reliability.md, section 9).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "cimmc/arch/crossbar_config.hpp"
#include "cimmc/network/model.hpp"

namespace cimmc::studies {

struct MemoryEstimate {
  struct Item {
    std::string what;
    double bytes = 0;
  };
  std::vector<Item> items;
  void add(std::string what, double bytes);
  double total() const;
  // "results arrays 3.1 GB, images held 55 MB, ..." (items of at least a byte)
  std::string breakdown() const;
  // "about 3.2 GB (results arrays 3.1 GB, images held 55 MB, ...)"
  std::string text() const;
  // The estimate of `processes` copies of this process on one machine (MPI ranks sharing its
  // memory): every item times `processes`, named so ("results arrays (x 3 ranks)").
  MemoryEstimate times(int processes) const;
};

struct AvailableMemory {
  double bytes = 0;    // infinity if nothing is known
  std::string source;  // where the figure comes from
};

// What this process may still allocate: the least of MemAvailable in /proc/meminfo, the cgroup's
// limit less its usage (cgroup v2 memory.max and memory.current, v1 memory.limit_in_bytes and
// memory.usage_in_bytes) and $CIMMC_MEMORY_LIMIT (bytes, or a number with K, M, G or T: binary
// units). A malformed $CIMMC_MEMORY_LIMIT is an ArgumentError.
AvailableMemory available_memory();

// core::ConfigError if the estimate exceeds the available memory: "<what> needs about X of memory
// (breakdown), more than the Y available (source); <advice>".
void check_memory(const MemoryEstimate& estimate, const std::string& what, const std::string& advice);

// "1.5 GB", "220 MB", "12 kB" (binary units).
std::string format_bytes(double bytes);

// Bytes of a model's parameters and buffers (values only).
double model_bytes(network::Model& model);
// Bytes of the node outputs of a forward pass of `batch` images (every node's output is kept),
// and twice the largest output again for the working copies of the largest layer.
double forward_bytes(const network::Model& model, int batch);
// The dominant allocations of evaluating `model` (inference): `images_held` bytes of images, the
// model and its quantized copy, and the node outputs of a forward pass of `batch` images. A
// crossbar evaluation adds crossbar_bytes.
MemoryEstimate inference_memory(network::Model& model, double images_held, int batch);
// Bytes of a model's GEMM layers programmed into crossbars of this design (weight bit planes, a
// float deviation per cell, and a stochastic MTJ readout's threshold tables: per layer and
// sample count T at most the engine's 16 MiB cap, none with analog noise) and of `threads`
// threads' row buffers.
double crossbar_bytes(const network::Model& model, const arch::CrossbarConfig& config, int threads);
// Bytes of a switching characterization on a grid of `currents` x `pulse_widths` points (the
// statistics kept per point and the trajectories' working buffers of `threads` threads).
double switching_bytes(std::size_t currents, std::size_t pulse_widths, int threads);

}  // namespace cimmc::studies
