// Training in C++: weight initialization, optimizers (SGD with momentum and weight decay, Adam),
// learning-rate schedules (constant, step, cosine), the epoch loop over shuffled mini-batches
// with optional augmentation, evaluation, and the state a checkpoint needs to resume exactly.
// Mini-batch order and augmentation depend only on (seed, epoch), so a resumed run continues
// with the same batches as an uninterrupted one.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "cimmc/network/dataset.hpp"
#include "cimmc/network/model.hpp"

namespace cimmc::network {

// He (Kaiming) normal weights for Conv2d/Linear (std = sqrt(2 / fan_in)), zero biases, BatchNorm
// γ = 1, β = 0. Stream kWeightInit, element = node index.
void initialize_weights(Model& model, std::uint64_t seed);

struct TrainConfig {
  std::string optimizer = "sgd";  // "sgd" or "adam"
  double lr = 0.05;
  double momentum = 0.9;       // SGD
  double weight_decay = 5e-4;  // L2 on conv/linear weights
  double beta1 = 0.9, beta2 = 0.999, adam_eps = 1e-8;
  std::string schedule = "cosine";  // "constant", "step", "cosine"
  int step_epochs = 10;             // step schedule: multiply by step_gamma every step_epochs
  double step_gamma = 0.1;
  int epochs = 10;
  int batch = 128;
  std::uint64_t seed = 1;
  Augment augment;
  ExecMode mode = ExecMode::kFloat;  // kFakeQuant for quantization-aware training
  GemmHook* hook = nullptr;          // noise-aware / partial-sum-aware training
  bool test_through_hook = false;    // evaluate the test set through the hook too (the hardware's accuracy)
  // Knowledge distillation: with a teacher, the loss is distillation_loss against the teacher's
  // logits on the same (augmented) batch, the teacher run in teacher_mode without hook.
  Model* teacher = nullptr;
  ExecMode teacher_mode = ExecMode::kFloat;
  double distill_alpha = 0.5;
  double distill_temperature = 4.0;
  // Throws core::ConfigError listing every problem.
  void validate() const;
};

// Learning rate at the start of `epoch` (0-based).
double learning_rate(const TrainConfig& c, int epoch);

class Optimizer {
 public:
  explicit Optimizer(const TrainConfig& config) : config_(config) {}
  // Applies one update to every parameter from its gradient.
  void step(std::vector<std::pair<std::string, Parameter*>>& params, double lr);
  std::uint64_t steps() const { return steps_; }
  // State by "param name/slot" (slot "momentum", "m", "v") for checkpoints.
  std::map<std::string, std::vector<float>>& state() { return state_; }
  void set_steps(std::uint64_t s) { steps_ = s; }

 private:
  TrainConfig config_;
  std::map<std::string, std::vector<float>> state_;
  std::uint64_t steps_ = 0;
};

struct EpochStats {
  int epoch = 0;  // 1-based
  double lr = 0, train_loss = 0, train_accuracy = 0, test_loss = 0, test_accuracy = 0, seconds = 0;
};

struct EvalResult {
  double accuracy = 0, loss = 0;
  int images = 0, correct = 0;
};

// Accuracy and mean loss of `model` on the first `limit` images (all if limit <= 0).
EvalResult evaluate(Model& model, const Dataset& data, const RunContext& ctx, int batch = 256, int limit = 0);

struct TrainState {
  int epochs_done = 0;
  std::vector<EpochStats> history;
};

// Called after each epoch with the state so far (for checkpoints and progress lines).
using EpochCallback = std::function<void(const TrainState&, Optimizer&)>;
// Called after each mini-batch with (batches done in this epoch, total, running loss, accuracy).
using BatchCallback = std::function<void(int, int, double, double)>;

// Checked before each epoch: true stops training there (state holds the epochs done, so a
// checkpoint written by on_epoch resumes exactly).
using StopCallback = std::function<bool()>;

// Trains from state.epochs_done to config.epochs. `test` may be null (then test metrics are 0).
void train(Model& model, const Dataset& train_set, const Dataset* test, const TrainConfig& config, TrainState& state,
           Optimizer& optimizer, const EpochCallback& on_epoch = {}, const BatchCallback& on_batch = {},
           const StopCallback& stop = {});

}  // namespace cimmc::network
