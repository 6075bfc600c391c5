// `cimmc train`: trains a zoo model (or fine-tunes a model file) on a dataset, float or
// quantization-aware, checkpointing every epoch; writes a model file.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstdio>
#include <filesystem>

#include "cimmc/arch/crossbar_config.hpp"
#include "cimmc/core/data_files.hpp"
#include "cimmc/core/error.hpp"
#include "cimmc/core/progress.hpp"
#include "cimmc/network/crossbar_training_hook.hpp"
#include "cimmc/network/dataset.hpp"
#include "cimmc/network/model_file.hpp"
#include "cimmc/network/quantize.hpp"
#include "cimmc/network/train.hpp"
#include "cimmc/network/zoo.hpp"
#include "cimmc/studies/cli.hpp"

namespace cimmc::cli {

namespace {

struct TrainOptions {
  std::string model, dataset = "fashion-mnist", output, checkpoint;
  network::TrainConfig config;
  double width = 1.0;
  int limit = 0, test_limit = 0;
  int validation = 0;                 // > 0: hold out the last N training images and judge epochs on them
  bool resume = false, qat = false;
  int bits = 4, calibration = 512;
  int recalibrate_every = 0;          // crossbar-aware QAT: batches between recalibrations (0: per epoch)
  std::string hardware;               // crossbar-aware QAT: a data/hw name or TOML file
  std::string ps_gradient;            // crossbar-aware QAT: backward through the readout (empty: straight-through)
  std::vector<std::string> overrides;  // --set for the hardware file
  std::string teacher;                // knowledge distillation from this model file
  bool distill_alpha_set = false, distill_temperature_set = false;
};

// "a", "b" with quotes and backslashes escaped: the items of a TOML array of strings.
std::string toml_strings(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += ", ";
    out += '"';
    for (char ch : item) {
      if (ch == '"' || ch == '\\') out += '\\';
      out += ch;
    }
    out += '"';
  }
  return out;
}

std::string config_text(const TrainOptions& o) {
  const auto& c = o.config;
  return fmt::format(
      "[train]\nmodel = \"{}\"\ndataset = \"{}\"\nwidth = {}\nepochs = {}\nlr = {}\nbatch = {}\nseed = {}\n"
      "optimizer = \"{}\"\nmomentum = {}\nweight_decay = {}\nschedule = \"{}\"\nstep_epochs = {}\nstep_gamma = {}\n"
      "crop_padding = {}\nflip = {}\nlimit = {}\nqat = {}\nbits = {}\ncalibration_images = {}\nrecalibrate_every = {}\n"
      "ps_gradient = \"{}\"\nhardware = \"{}\"\nhardware_overrides = [{}]\nteacher = \"{}\"\ndistill_alpha = {}\n"
      "distill_temperature = {}\nvalidation = {}\n",
      o.model, o.dataset, o.width, c.epochs, c.lr, c.batch, c.seed, c.optimizer, c.momentum, c.weight_decay, c.schedule,
      c.step_epochs, c.step_gamma, c.augment.crop_padding, c.augment.flip, o.limit, o.qat, o.bits, o.calibration,
      o.recalibrate_every, o.ps_gradient.empty() ? "straight-through" : o.ps_gradient, o.hardware, toml_strings(o.overrides), o.teacher, o.teacher.empty() ? 0.0 : c.distill_alpha,
      c.distill_temperature, o.validation);
}

void run_train(const TrainOptions& o, const GlobalOptions& global) {
  namespace fs = std::filesystem;
  namespace nw = cimmc::network;
  nw::TrainConfig config = o.config;
  config.validate();
  if (o.qat && (o.bits < 2 || o.bits > 8)) throw ArgumentError(fmt::format("--bits {}: expected 2..8", o.bits));
  if (o.recalibrate_every < 0)
    throw ArgumentError(fmt::format("--recalibrate-every {}: expected a number of batches >= 0", o.recalibrate_every));
  if (o.recalibrate_every > 0 && o.hardware.empty()) throw ArgumentError("--recalibrate-every applies to --hw training");
  if (!o.ps_gradient.empty() && o.hardware.empty()) throw ArgumentError("--ps-gradient applies to --hw training");
  const nw::PsGradient ps_gradient =
      o.ps_gradient.empty() ? nw::PsGradient::kStraightThrough : nw::parse_ps_gradient(o.ps_gradient);
  if (o.teacher.empty() && (o.distill_alpha_set || o.distill_temperature_set))
    throw ArgumentError("--distill-alpha and --distill-temperature apply to --teacher training");
  // Knowledge distillation: the teacher sees the same augmented batches, in its own precision
  // (loaded before the data, so that a bad file fails fast).
  nw::Model teacher;
  if (!o.teacher.empty()) teacher = nw::load_model(o.teacher);
  // With --validation N every per-epoch evaluation (and the accuracy the model file records) is
  // on the last N training images, held out of training; the test set is not read.
  if (o.validation < 0) throw ArgumentError(fmt::format("--validation {}: expected a number of images >= 0", o.validation));
  nw::Dataset train_set, test_set;
  if (o.validation > 0) {
    auto [fit, held_out] = nw::split_validation(nw::load_dataset(o.dataset, "train"), o.validation);
    train_set = nw::take(fit, o.limit);
    test_set = nw::take(held_out, o.test_limit);
  } else {
    train_set = nw::take(nw::load_dataset(o.dataset, "train"), o.limit);
    test_set = nw::take(nw::load_dataset(o.dataset, "test"), o.test_limit);
  }
  const char* eval_split = o.validation > 0 ? "validation" : "test";
  const std::string ckpt = o.checkpoint.empty() ? o.output + ".ckpt.h5" : o.checkpoint;

  nw::ModelRecord record;
  record.dataset = o.dataset;
  record.config = config_text(o);
  record.seed = config.seed;
  if (o.qat) config.mode = nw::ExecMode::kFakeQuant;
  nw::Optimizer opt(config);
  nw::Model model;
  if (o.resume && fs::exists(ckpt)) {
    nw::ModelRecord saved;
    model = nw::load_checkpoint(ckpt, saved, opt);
    record.zoo_name = saved.zoo_name;
    record.training = saved.training;
    std::fprintf(stderr, "resuming from %s after epoch %d\n", ckpt.c_str(), record.training.epochs_done);
  } else if (o.model.ends_with(".h5")) {
    nw::ModelRecord base;
    model = nw::load_model(o.model, &base);
    record.zoo_name = base.zoo_name;
    if (model.input_shape() != train_set.image_shape())
      throw ArgumentError(fmt::format("model {} takes inputs {}, dataset {} has images {}", o.model,
                                      network::shape_text(model.input_shape()), o.dataset,
                                      network::shape_text(train_set.image_shape())));
  } else {
    nw::ZooOptions zo;
    zo.width = o.width;
    model = nw::Model::from_spec(nw::zoo_spec(o.model, train_set.image_shape(), train_set.classes, zo));
    nw::initialize_weights(model, config.seed);
    record.zoo_name = o.model;
  }
  if (o.qat && !model.quantized()) {
    nw::QuantOptions qo;
    qo.weight_bits = qo.activation_bits = o.bits;
    qo.calibration_images = o.calibration;
    qo.seed = config.seed;
    model = nw::quantize_model(model, train_set, qo);
    nw::RunContext q;
    q.mode = nw::ExecMode::kFakeQuant;
    const auto r = nw::evaluate(model, test_set, q);
    std::fprintf(stderr, "quantized to %d bits (BatchNorm folded, %d calibration images): %s accuracy %.2f %% before QAT\n",
                 o.bits, o.calibration, eval_split, 100 * r.accuracy);
  }
  // Crossbar-aware QAT: every crossbar layer's output in the forward pass comes from the crossbar
  // engine (noise, readout), gradients pass straight through; readouts that need calibration are
  // recalibrated on the calibration images before training, after every epoch and, with
  // --recalibrate-every N, every N batches (the maps follow the weights as they change).
  std::unique_ptr<nw::CrossbarTrainingHook> hook;
  auto calibrate_hook = [&] {
    if (!hook || !hook->needs_calibration()) return;
    nw::RunContext q;
    q.mode = nw::ExecMode::kFakeQuant;
    q.hook = hook.get();
    hook->begin_calibration();
    nw::evaluate(model, train_set, q, 256, o.calibration);
    hook->end_calibration();
  };
  if (!o.hardware.empty()) {
    if (!o.qat) throw ArgumentError("--hw (crossbar-aware training) needs --qat");
    const auto hw = arch::load_crossbar_config(data_files::resolve("hw", o.hardware, ".toml", "hardware configuration"),
                                               o.overrides);
    hook = std::make_unique<nw::CrossbarTrainingHook>(hw, static_cast<int>(model.gemm_layers().size()), config.seed,
                                                   ps_gradient);
    calibrate_hook();
    config.hook = hook.get();
    config.test_through_hook = true;  // the reported test accuracy is the crossbar's
    std::fprintf(stderr, "crossbar-aware training on %s (%s readout, %s PS gradient)\n", o.hardware.c_str(),
                 std::string(circuit::readout_name(hw.readout.kind)).c_str(),
                 std::string(nw::ps_gradient_name(ps_gradient)).c_str());
  } else if (!o.overrides.empty()) {
    throw ArgumentError("--set applies to the hardware file of --hw");
  }
  if (!o.teacher.empty()) {
    if (teacher.input_shape() != model.input_shape() || teacher.classes() != model.classes())
      throw ArgumentError(fmt::format("--teacher {}: takes inputs {} into {} classes, the model {} into {}", o.teacher,
                                      network::shape_text(teacher.input_shape()), teacher.classes(),
                                      network::shape_text(model.input_shape()), model.classes()));
    config.teacher = &teacher;
    config.teacher_mode = teacher.quantized() ? nw::ExecMode::kFakeQuant : nw::ExecMode::kFloat;
    std::fprintf(stderr, "distilling from %s (alpha %g, temperature %g)\n", o.teacher.c_str(), config.distill_alpha,
                 config.distill_temperature);
  }
  std::fprintf(stderr, "training %s on %s: %d training / %d %s images, %zu parameters, %d epochs\n",
               record.zoo_name.empty() ? o.model.c_str() : record.zoo_name.c_str(), o.dataset.c_str(), train_set.size(),
               test_set.size(), eval_split, model.parameter_count(), config.epochs);

  std::unique_ptr<Progress> progress;
  int current_epoch = record.training.epochs_done + 1;
  auto on_batch = [&](int done, int total, double loss, double acc) {
    if (!progress) {
      progress = std::make_unique<Progress>(fmt::format("epoch {}/{}", current_epoch, config.epochs), total, "batches", global.quiet);
    }
    if (o.recalibrate_every > 0 && done % o.recalibrate_every == 0 && done < total) calibrate_hook();
    progress->set_note(fmt::format("loss {:.4f} acc {:.2f} %", loss, 100 * acc));
    progress->advance();
    if (done == total) {
      progress->finish();
      progress.reset();
    }
  };
  auto on_epoch = [&](const nw::TrainState& state, nw::Optimizer& optimizer) {
    const auto& e = state.history.back();
    std::fprintf(stderr, "epoch %d/%d  lr %.5f  train loss %.4f acc %.2f %%  %s%s loss %.4f acc %.2f %%  %.1f s\n", e.epoch,
                 config.epochs, e.lr, e.train_loss, 100 * e.train_accuracy, eval_split, hook ? " (crossbar)" : "",
                 e.test_loss, 100 * e.test_accuracy, e.seconds);
    std::fflush(stderr);
    record.training = state;
    nw::save_checkpoint(ckpt, model, record, optimizer);
    current_epoch = e.epoch + 1;
    calibrate_hook();
  };
  nw::train(model, train_set, &test_set, config, record.training, opt, on_epoch, on_batch);
  nw::save_model(o.output, model, record);
  const double acc = record.training.history.empty() ? 0.0 : record.training.history.back().test_accuracy;
  fmt::print("wrote {} ({} accuracy {:.2f} %)\n", o.output, eval_split, 100 * acc);
}

void register_train(Registry& r) {
  static TrainOptions o;
  auto* sub = r.add("train", "Train a zoo model (or fine-tune a model file) on a dataset", [&r] { run_train(o, r.global()); });
  sub->add_option("--model", o.model, "Zoo model (mlp, lenet5, vgg_small, resnet20) or a model file .h5 to fine-tune")->required();
  sub->add_option("--dataset", o.dataset, "fashion-mnist, cifar10:DIR, cifar100:DIR or a path")->capture_default_str();
  sub->add_option("-o,--output", o.output, "Model file to write")->required();
  sub->add_option("--epochs", o.config.epochs, "Epochs")->capture_default_str()->check(cli::count_at_least(1));
  sub->add_option("--lr", o.config.lr, "Peak learning rate")->capture_default_str();
  sub->add_option("--batch", o.config.batch, "Mini-batch size")->capture_default_str()->check(cli::count_at_least(1));
  sub->add_option("--seed", o.config.seed, "Seed of initialization, shuffling and augmentation")->capture_default_str();
  sub->add_option("--optimizer", o.config.optimizer, "sgd or adam")->capture_default_str();
  sub->add_option("--momentum", o.config.momentum, "SGD momentum")->capture_default_str();
  sub->add_option("--weight-decay", o.config.weight_decay, "L2 weight decay on Conv2d/Linear weights")->capture_default_str();
  sub->add_option("--schedule", o.config.schedule, "constant, step or cosine")->capture_default_str();
  sub->add_option("--step-epochs", o.config.step_epochs, "Step schedule: epochs between decays")->capture_default_str()->check(cli::count_at_least(1));
  sub->add_option("--step-gamma", o.config.step_gamma, "Step schedule: decay factor")->capture_default_str();
  sub->add_option("--width", o.width, "Width multiplier of the zoo model")->capture_default_str();
  sub->add_option("--crop-padding", o.config.augment.crop_padding, "Random-crop augmentation: zero padding in pixels (0: off)")
      ->capture_default_str()
      ->check(cli::count_at_least(0));
  sub->add_flag("--flip", o.config.augment.flip, "Random horizontal flips");
  sub->add_option("--limit", o.limit, "Use only the first N training images (0: all)")->check(cli::count_at_least(0));
  sub->add_option("--test-limit", o.test_limit, "Use only the first N test (or validation) images (0: all)")
      ->check(cli::count_at_least(0));
  sub->add_option("--validation", o.validation,
                  "Hold out the last N training images as a validation set: epochs are judged on it, the test set is "
                  "not read (0: judge on the test set)")
      ->check(cli::count_at_least(0));
  sub->add_option("--checkpoint", o.checkpoint, "Checkpoint file (default OUTPUT.ckpt.h5), written every epoch");
  sub->add_flag("--resume", o.resume, "Resume from the checkpoint if it exists");
  sub->add_flag("--qat", o.qat, "Quantization-aware training (folds BatchNorm, calibrates, trains fake-quantized)");
  sub->add_option("--bits", o.bits, "QAT: weight and activation bits")->capture_default_str();
  sub->add_option("--calibration", o.calibration, "QAT: calibration images")->capture_default_str()->check(cli::count_at_least(1));
  sub->add_option("--recalibrate-every", o.recalibrate_every,
                  "Crossbar-aware QAT: recalibrate the readouts every N batches (0: after every epoch)")
      ->capture_default_str()
      ->check(cli::count_at_least(0));
  sub->add_option("--hw", o.hardware, "QAT on a crossbar: forward through this hardware's noise and readout (data/hw name or TOML)");
  sub->add_option("--ps-gradient", o.ps_gradient,
                  "Crossbar-aware QAT: straight-through (the exact GEMM's gradient), readout-range (per subarray, "
                  "zero where the PS was clipped by the readout) or expected-curve (per subarray, the slope of the "
                  "readout's mean response, e.g. the MTJ's tanh)");
  sub->add_option("--set", o.overrides, "key=value override of the --hw file (repeatable)");
  sub->add_option("--teacher", o.teacher, "Knowledge distillation: match this model file's softened outputs too");
  sub->add_option("--distill-alpha", o.config.distill_alpha,
                  "Distillation: weight of the teacher term (the labels' cross-entropy gets 1 - alpha)")
      ->capture_default_str()
      ->each([](const std::string&) { o.distill_alpha_set = true; });
  sub->add_option("--distill-temperature", o.config.distill_temperature, "Distillation: softmax temperature")
      ->capture_default_str()
      ->each([](const std::string&) { o.distill_temperature_set = true; });
}

}  // namespace

CIMMC_REGISTER_COMMAND(40, register_train);

}  // namespace cimmc::cli
