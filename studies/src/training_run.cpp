#include "cimmc/studies/training_run.hpp"

#include <fmt/format.h>

#include <cmath>
#include <memory>

#include "cimmc/core/error.hpp"
#include "cimmc/network/quantize.hpp"
#include "cimmc/network/zoo.hpp"
#include "cimmc/studies/memory_estimate.hpp"

namespace cimmc::studies {

void TrainingSettings::validate(bool crossbar_aware) const {
  config.validate();
  if (qat && (bits < 2 || bits > 8)) throw core::ArgumentError(fmt::format("--bits {}: expected 2..8", bits));
  if (recalibrate_every < 0)
    throw core::ArgumentError(
        fmt::format("--recalibrate-every {}: expected a number of batches >= 0", recalibrate_every));
  if (!crossbar_aware && recalibrate_every > 0)
    throw core::ArgumentError("--recalibrate-every applies to --hw training");
  if (!crossbar_aware && ps_gradient != network::PsGradient::kStraightThrough)
    throw core::ArgumentError("--ps-gradient applies to --hw training");
  if (crossbar_aware && !qat) throw core::ArgumentError("--hw (crossbar-aware training) needs --qat");
  if (validation < 0)
    throw core::ArgumentError(fmt::format("--validation {}: expected a number of images >= 0", validation));
  if (eval_limit < 0)
    throw core::ArgumentError(fmt::format("--test-limit {}: expected a number of images >= 0", eval_limit));
  if (!(width > 0 && width <= 16))
    throw core::ArgumentError(fmt::format("--width {}: expected a multiplier in (0, 16]", width));
}

TrainingSettings read_training_settings(const core::config::Value& table, const std::string& source,
                                        const std::string& key_path, core::config::Problems& problems) {
  TrainingSettings s;
  auto& c = s.config;
  core::config::TableReader r(table, source, key_path, problems);
  r.optional("epochs", c.epochs);
  r.check(c.epochs >= 1 && c.epochs <= 100000, "epochs", "1 to 100000 epochs");
  r.optional("lr", c.lr);
  r.check(c.lr > 0 && std::isfinite(c.lr), "lr", "a learning rate > 0");
  r.optional("batch", c.batch);
  r.check(c.batch >= 1 && c.batch <= 65536, "batch", "1 to 65536 images per mini-batch");
  if (r.optional("optimizer", c.optimizer))
    r.check(c.optimizer == "sgd" || c.optimizer == "adam", "optimizer", "\"sgd\" or \"adam\"");
  r.optional("momentum", c.momentum);
  r.check(c.momentum >= 0 && c.momentum < 1, "momentum", "a momentum in [0, 1)");
  r.optional("weight_decay", c.weight_decay);
  r.check(c.weight_decay >= 0 && std::isfinite(c.weight_decay), "weight_decay", "a decay >= 0");
  if (r.optional("schedule", c.schedule))
    r.check(c.schedule == "constant" || c.schedule == "step" || c.schedule == "cosine", "schedule",
            "\"constant\", \"step\" or \"cosine\"");
  r.optional("step_epochs", c.step_epochs);
  r.check(c.step_epochs >= 1, "step_epochs", "a number of epochs >= 1");
  r.optional("step_gamma", c.step_gamma);
  r.check(c.step_gamma > 0 && c.step_gamma <= 1, "step_gamma", "a decay factor in (0, 1]");
  r.optional("crop_padding", c.augment.crop_padding);
  r.check(c.augment.crop_padding >= 0 && c.augment.crop_padding <= 64, "crop_padding", "0 to 64 pixels");
  r.optional("flip", c.augment.flip);
  r.optional("width", s.width);
  r.check(s.width > 0 && s.width <= 16, "width", "a width multiplier in (0, 16]");
  r.optional("qat", s.qat);
  r.optional("bits", s.bits);
  r.check(s.bits >= 2 && s.bits <= 8, "bits", "2 to 8 bits");
  r.optional("calibration_images", s.calibration_images);
  r.check(s.calibration_images >= 1, "calibration_images", "a number of images >= 1");
  r.optional("recalibrate_every", s.recalibrate_every);
  r.check(s.recalibrate_every >= 0, "recalibrate_every", "a number of batches >= 0 (0: after every epoch)");
  std::string gradient;
  if (r.optional("ps_gradient", gradient)) {
    try {
      s.ps_gradient = network::parse_ps_gradient(gradient);
    } catch (const core::Error&) {
      r.check(false, "ps_gradient", "\"straight-through\", \"readout-range\" or \"expected-curve\"");
    }
  }
  r.optional("validation", s.validation);
  r.check(s.validation >= 0, "validation", "a number of held-out training images >= 0 (0: judge on the test set)");
  r.optional("eval_limit", s.eval_limit);
  r.check(s.eval_limit >= 0, "eval_limit", "a number of images >= 0 (0: all)");
  r.finish();
  return s;
}

TrainingData load_training_data(const std::string& dataset, int train_limit, int validation, int eval_limit) {
  TrainingData d;
  d.validation = validation > 0;
  if (d.validation) {
    auto [fit, held_out] = network::split_validation(network::load_dataset(dataset, "train"), validation);
    d.train = network::take(fit, train_limit);
    d.eval = network::take(held_out, eval_limit);
  } else {
    d.train = network::take(network::load_dataset(dataset, "train"), train_limit);
    d.eval = network::take(network::load_dataset(dataset, "test"), eval_limit);
  }
  return d;
}

TrainingOutcome run_training(const TrainingRun& run, const TrainingData& data, const TrainingEvents& events) {
  namespace fs = std::filesystem;
  const auto& s = run.settings;
  s.validate(run.hardware != nullptr);
  const auto say = [&](const std::string& line) {
    if (events.message) events.message(line);
  };
  network::TrainConfig config = s.config;
  if (s.qat) config.mode = network::ExecMode::kFakeQuant;

  TrainingOutcome out;
  auto& record = out.record;
  auto& model = out.model;
  record.dataset = run.dataset;
  record.config = run.config_text;
  record.seed = config.seed;
  network::Optimizer opt(config);
  if (run.resume && !run.checkpoint.empty() && fs::exists(run.checkpoint)) {
    network::ModelRecord saved;
    model = network::load_checkpoint(run.checkpoint, saved, opt);
    record.zoo_name = saved.zoo_name;
    record.training = saved.training;
    say(fmt::format("resuming from {} after epoch {}", run.checkpoint.string(), record.training.epochs_done));
  } else if (run.model.ends_with(".h5")) {
    network::ModelRecord base;
    model = network::load_model(run.model, &base);
    record.zoo_name = base.zoo_name;
    if (model.input_shape() != data.train.image_shape())
      throw core::ArgumentError(fmt::format("model {} takes inputs {}, dataset {} has images {}", run.model,
                                            network::shape_text(model.input_shape()), run.dataset,
                                            network::shape_text(data.train.image_shape())));
  } else {
    network::ZooOptions zo;
    zo.width = s.width;
    model = network::Model::from_spec(network::zoo_spec(run.model, data.train.image_shape(), data.train.classes, zo));
    network::initialize_weights(model, config.seed);
    record.zoo_name = run.model;
  }
  if (s.qat && !model.quantized()) {
    network::QuantOptions qo;
    qo.weight_bits = qo.activation_bits = s.bits;
    qo.calibration_images = s.calibration_images;
    qo.seed = config.seed;
    model = network::quantize_model(model, data.train, qo);
    network::RunContext q;
    q.mode = network::ExecMode::kFakeQuant;
    const auto r = network::evaluate(model, data.eval, q);
    say(fmt::format("quantized to {} bits (BatchNorm folded, {} calibration images): {} accuracy {:.2f} % before QAT",
                    s.bits, s.calibration_images, data.eval_split(), 100 * r.accuracy));
  }
  // Crossbar-aware QAT: every crossbar layer's output in the forward pass comes from the crossbar
  // engine (noise, readout); readouts that need calibration are recalibrated on the calibration
  // images before training, after every epoch and, with recalibrate_every = N, every N batches
  // (the maps follow the weights as they change).
  std::unique_ptr<network::CrossbarTrainingHook> hook;
  const auto calibrate_hook = [&] {
    if (!hook || !hook->needs_calibration()) return;
    network::RunContext q;
    q.mode = network::ExecMode::kFakeQuant;
    q.hook = hook.get();
    hook->begin_calibration();
    network::evaluate(model, data.train, q, 256, s.calibration_images);
    hook->end_calibration();
  };
  if (run.hardware) {
    hook = std::make_unique<network::CrossbarTrainingHook>(*run.hardware, static_cast<int>(model.gemm_layers().size()),
                                                           config.seed, s.ps_gradient);
    calibrate_hook();
    config.hook = hook.get();
    config.test_through_hook = true;  // the reported accuracy is the crossbar's
    say(fmt::format("crossbar-aware training on {} ({} readout, {} PS gradient)", run.hardware_name,
                    circuit::readout_name(run.hardware->readout.kind), network::ps_gradient_name(s.ps_gradient)));
  }
  if (run.teacher) {
    if (run.teacher->input_shape() != model.input_shape() || run.teacher->classes() != model.classes())
      throw core::ArgumentError(fmt::format("teacher: takes inputs {} into {} classes, the model {} into {}",
                                            network::shape_text(run.teacher->input_shape()), run.teacher->classes(),
                                            network::shape_text(model.input_shape()), model.classes()));
    config.teacher = run.teacher;
    config.teacher_mode = run.teacher->quantized() ? network::ExecMode::kFakeQuant : network::ExecMode::kFloat;
  }
  say(fmt::format("training {} on {}: {} training / {} {} images, {} parameters, {} epochs",
                  record.zoo_name.empty() ? run.model : record.zoo_name, run.dataset, data.train.size(),
                  data.eval.size(), data.eval_split(), model.parameter_count(), config.epochs));

  const auto on_batch = [&](int done, int total, double loss, double acc) {
    if (s.recalibrate_every > 0 && done % s.recalibrate_every == 0 && done < total) calibrate_hook();
    if (events.on_batch) events.on_batch(done, total, loss, acc);
  };
  const auto on_epoch = [&](const network::TrainState& state, network::Optimizer& optimizer) {
    record.training = state;
    if (!run.checkpoint.empty()) network::save_checkpoint(run.checkpoint, model, record, optimizer);
    if (events.on_epoch) events.on_epoch(state.history.back());
    calibrate_hook();
  };
  network::train(model, data.train, &data.eval, config, record.training, opt, on_epoch, on_batch, events.stop);
  out.finished = record.training.epochs_done >= config.epochs;
  if (!record.training.history.empty()) {
    const auto& last = record.training.history.back();
    out.final_eval.accuracy = last.test_accuracy;
    out.final_eval.loss = last.test_loss;
    out.final_eval.images = data.eval.size();
    out.final_eval.correct = static_cast<int>(std::llround(last.test_accuracy * data.eval.size()));
  }
  return out;
}

MemoryEstimate training_memory(const TrainingRun& run, const TrainingData& data, int threads) {
  const auto& s = run.settings;
  network::Model model;
  if (run.model.ends_with(".h5")) {
    model = network::load_model(run.model);
  } else {
    network::ZooOptions zo;
    zo.width = s.width;
    model = network::Model::from_spec(network::zoo_spec(run.model, data.train.image_shape(), data.train.classes, zo));
  }
  MemoryEstimate memory;
  memory.add("images held", static_cast<double>(data.train.pixels.size() + data.eval.pixels.size()));
  // Values, gradients, optimizer state (Adam: two arrays) and the best model kept.
  memory.add("model, gradients and optimizer state", 5 * model_bytes(model));
  const int batch = std::max(1, std::min(s.config.batch, std::max(data.train.size(), data.eval.size())));
  // Node outputs, their gradients and the layers' saved inputs.
  memory.add("training pass", 3 * forward_bytes(model, batch));
  if (run.hardware) memory.add("crossbar layers", crossbar_bytes(model, *run.hardware, threads));
  if (run.teacher) memory.add("teacher", model_bytes(*run.teacher) + forward_bytes(*run.teacher, batch));
  return memory;
}

}  // namespace cimmc::studies
