// One training run, as `cimmc train` and the `train` study kind both perform it: a zoo model
// built and initialized (or a model file fine-tuned), quantized for quantization-aware training,
// trained through a crossbar design's noise and readout when one is given (crossbar-aware
// training), checkpointed every epoch and resumable from the checkpoint, judged after every epoch
// on a held-out validation split or on the test set. The settings are read from a TOML table
// ([train] of a study file; docs/studies.md) or filled from the command's flags.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "cimmc/arch/crossbar_config.hpp"
#include "cimmc/core/config.hpp"
#include "cimmc/network/crossbar_training_hook.hpp"
#include "cimmc/network/dataset.hpp"
#include "cimmc/network/model_file.hpp"
#include "cimmc/network/train.hpp"

namespace cimmc::studies {

struct MemoryEstimate;

// How to train (everything but the data, the model to start from and the hardware).
struct TrainingSettings {
  network::TrainConfig config;   // epochs, lr, batch, optimizer, schedule, augmentation, seed
  double width = 1.0;            // width multiplier of a zoo model
  bool qat = false;              // quantization-aware (fake-quantized) training
  int bits = 4;                  // QAT: weight and activation bits
  int calibration_images = 512;  // QAT and readout calibration
  int recalibrate_every = 0;     // crossbar-aware: batches between readout recalibrations (0: per epoch)
  network::PsGradient ps_gradient = network::PsGradient::kStraightThrough;
  int validation = 0;  // > 0: hold out the last N training images and judge epochs on them
  int eval_limit = 0;  // judge on the first N validation (or test) images (0: all)
  // Throws core::ArgumentError (a CLI flag's wording) for an inconsistent combination.
  void validate(bool crossbar_aware) const;
};

// Reads a [train] table: every key optional, checked with its line; problems are added to
// `problems` (the caller throws). Keys: epochs, lr, batch, optimizer, momentum, weight_decay,
// schedule, step_epochs, step_gamma, crop_padding, flip, width, qat, bits, calibration_images,
// recalibrate_every, ps_gradient, validation, eval_limit. The seed is not a key (the study's).
TrainingSettings read_training_settings(const core::config::Value& table, const std::string& source,
                                        const std::string& key_path, core::config::Problems& problems);

// The datasets of a run: the (possibly limited) training images and the images epochs are
// judged on (validation split or test set).
struct TrainingData {
  network::Dataset train, eval;
  bool validation = false;  // eval is a held-out part of the training split
  const char* eval_split() const { return validation ? "validation" : "test"; }
};
TrainingData load_training_data(const std::string& dataset, int train_limit, int validation, int eval_limit);

struct TrainingRun {
  std::string model;    // zoo name (mlp, lenet5, vgg_small, resnet20) or a model file to fine-tune
  std::string dataset;  // recorded in the model file
  TrainingSettings settings;
  const arch::CrossbarConfig* hardware = nullptr;  // crossbar-aware training through this design
  std::string hardware_name;                       // for messages
  network::Model* teacher = nullptr;               // knowledge distillation (settings.config.distill_*)
  std::string config_text;                         // recorded in the model file
  std::filesystem::path checkpoint;                // written after every epoch ("" : none)
  bool resume = false;                             // continue from the checkpoint if it exists
};

struct TrainingEvents {
  std::function<void(const std::string&)> message;  // one line of progress text
  network::BatchCallback on_batch;                  // after every mini-batch
  std::function<void(const network::EpochStats&)> on_epoch;
  std::function<bool()> stop;  // checked between epochs: stop (resumable)
};

struct TrainingOutcome {
  network::Model model;
  network::ModelRecord record;
  bool finished = false;           // every epoch ran (false: stopped, the checkpoint holds the rest)
  network::EvalResult final_eval;  // the last epoch's evaluation (counts from its accuracy)
};

// Runs (or resumes) one training. Throws core::ArgumentError / core::ConfigError for inconsistent inputs
// before training, core::RuntimeFailure if the loss diverges.
TrainingOutcome run_training(const TrainingRun& run, const TrainingData& data, const TrainingEvents& events = {});

// The dominant allocations of run_training with `threads` threads: the images held, the model's
// parameters with gradients and optimizer state, the forward and backward pass of a mini-batch and,
// in crossbar-aware training, the crossbar layers (studies/memory_estimate.hpp).
MemoryEstimate training_memory(const TrainingRun& run, const TrainingData& data, int threads);

}  // namespace cimmc::studies
