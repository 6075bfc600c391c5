// Model and checkpoint files (HDF5, layouts in docs/formats.md): the architecture spec, float
// weights and BatchNorm statistics, quantization parameters of each GEMM layer and the training
// provenance. A model file is small (no optimizer state); a checkpoint adds what resuming needs.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "cimmc/network/model.hpp"
#include "cimmc/network/train.hpp"

namespace cimmc::network {

struct ModelRecord {
  std::string zoo_name;  // zoo architecture it was built from ("" if none)
  std::string dataset;   // dataset it was trained on
  std::string config;    // training configuration as TOML text (the provenance `config`)
  std::uint64_t seed = 0;
  TrainState training;  // per-epoch history
};

void save_model(const std::filesystem::path& path, Model& model, const ModelRecord& record);
// Throws core::IoError/core::FormatError for a missing or foreign file, core::ModelError for inconsistent content.
Model load_model(const std::filesystem::path& path, ModelRecord* record = nullptr);

void save_checkpoint(const std::filesystem::path& path, Model& model, const ModelRecord& record, Optimizer& optimizer);
Model load_checkpoint(const std::filesystem::path& path, ModelRecord& record, Optimizer& optimizer);

}  // namespace cimmc::network
