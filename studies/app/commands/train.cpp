// `cimmc train`: trains a zoo model (or fine-tunes a model file) on a dataset, float or
// quantization-aware, checkpointing every epoch; writes a model file.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstdio>
#include <limits>
#include <memory>

#include "cimmc/arch/crossbar_config.hpp"
#include "cimmc/core/data_files.hpp"
#include "cimmc/core/error.hpp"
#include "cimmc/core/parallel.hpp"
#include "cimmc/core/progress.hpp"
#include "cimmc/network/model_file.hpp"
#include "cimmc/studies/cli.hpp"
#include "cimmc/studies/memory_estimate.hpp"
#include "cimmc/studies/training_run.hpp"

namespace cimmc::studies {

namespace {

struct TrainOptions {
  std::string model, dataset = "fashion-mnist", output, checkpoint;
  network::TrainConfig config;
  double width = 1.0;
  int limit = 0, test_limit = 0;
  int validation = 0;  // > 0: hold out the last N training images and judge epochs on them
  bool resume = false, qat = false;
  int bits = 4, calibration = 512;
  int recalibrate_every = 0;           // crossbar-aware QAT: batches between recalibrations (0: per epoch)
  std::string hardware;                // crossbar-aware QAT: a data/hw name or TOML file
  std::string ps_gradient;             // crossbar-aware QAT: backward through the readout (empty: straight-through)
  std::vector<std::string> overrides;  // --set for the hardware file
  std::string teacher;                 // knowledge distillation from this model file
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
      o.recalibrate_every, o.ps_gradient.empty() ? "straight-through" : o.ps_gradient, o.hardware,
      toml_strings(o.overrides), o.teacher, o.teacher.empty() ? 0.0 : c.distill_alpha, c.distill_temperature,
      o.validation);
}

void run_train(const TrainOptions& o, const GlobalOptions& global) {
  if (o.teacher.empty() && (o.distill_alpha_set || o.distill_temperature_set))
    throw core::ArgumentError("--distill-alpha and --distill-temperature apply to --teacher training");
  if (!o.ps_gradient.empty() && o.hardware.empty()) throw core::ArgumentError("--ps-gradient applies to --hw training");
  if (o.hardware.empty() && !o.overrides.empty())
    throw core::ArgumentError("--set applies to the hardware file of --hw");
  studies::TrainingRun run;
  run.model = o.model;
  run.dataset = o.dataset;
  auto& s = run.settings;
  s.config = o.config;
  s.width = o.width;
  s.qat = o.qat;
  s.bits = o.bits;
  s.calibration_images = o.calibration;
  s.recalibrate_every = o.recalibrate_every;
  s.ps_gradient =
      o.ps_gradient.empty() ? network::PsGradient::kStraightThrough : network::parse_ps_gradient(o.ps_gradient);
  s.validation = o.validation;
  s.eval_limit = o.test_limit;
  s.validate(!o.hardware.empty());
  // Knowledge distillation: the teacher sees the same augmented batches, in its own precision
  // (loaded before the data, so that a bad file fails fast).
  network::Model teacher;
  if (!o.teacher.empty()) {
    teacher = network::load_model(o.teacher);
    run.teacher = &teacher;
    std::fprintf(stderr, "distilling from %s (alpha %g, temperature %g)\n", o.teacher.c_str(), o.config.distill_alpha,
                 o.config.distill_temperature);
  }
  arch::CrossbarConfig hw;
  if (!o.hardware.empty()) {
    hw = arch::load_crossbar_config(core::data_files::resolve("hw", o.hardware, ".toml", "hardware configuration"),
                                    o.overrides);
    run.hardware = &hw;
    run.hardware_name = o.hardware;
  }
  // With --validation N every per-epoch evaluation (and the accuracy the model file records) is
  // on the last N training images, held out of training; the test set is not read.
  const auto data = studies::load_training_data(o.dataset, o.limit, o.validation, o.test_limit);
  studies::check_memory(studies::training_memory(run, data, core::max_threads()),
                        fmt::format("cimmc train --model {} --batch {}", o.model, o.config.batch),
                        "use a smaller --batch or --width, or fewer images (--limit)");
  run.config_text = config_text(o);
  run.checkpoint = o.checkpoint.empty() ? o.output + ".ckpt.h5" : o.checkpoint;
  run.resume = o.resume;

  std::unique_ptr<core::Progress> progress;
  int current_epoch = 1;
  studies::TrainingEvents events;
  events.message = [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); };
  events.on_batch = [&](int done, int total, double loss, double acc) {
    if (!progress)
      progress = std::make_unique<core::Progress>(fmt::format("epoch {}/{}", current_epoch, o.config.epochs), total,
                                                  "batches", global.quiet);
    progress->set_note(fmt::format("loss {:.4f} acc {:.2f} %", loss, 100 * acc));
    progress->advance();
    if (done == total) {
      progress->finish();
      progress.reset();
    }
  };
  events.on_epoch = [&](const network::EpochStats& e) {
    std::fprintf(stderr, "epoch %d/%d  lr %.5f  train loss %.4f acc %.2f %%  %s%s loss %.4f acc %.2f %%  %.1f s\n",
                 e.epoch, o.config.epochs, e.lr, e.train_loss, 100 * e.train_accuracy, data.eval_split(),
                 run.hardware ? " (crossbar)" : "", e.test_loss, 100 * e.test_accuracy, e.seconds);
    std::fflush(stderr);
    current_epoch = e.epoch + 1;
  };
  auto outcome = studies::run_training(run, data, events);
  network::save_model(o.output, outcome.model, outcome.record);
  fmt::print("wrote {} ({} accuracy {:.2f} %)\n", o.output, data.eval_split(), 100 * outcome.final_eval.accuracy);
}

void register_train(Registry& r) {
  static TrainOptions o;
  auto* sub =
      r.add("train", "Train a zoo model (or fine-tune a model file) on a dataset", [&r] { run_train(o, r.global()); });
  sub->add_option("--model", o.model, "Zoo model (mlp, lenet5, vgg_small, resnet20) or a model file .h5 to fine-tune")
      ->required();
  sub->add_option("--dataset", o.dataset, "fashion-mnist, cifar10:DIR, cifar100:DIR or a path")->capture_default_str();
  sub->add_option("-o,--output", o.output, "Model file to write")->required();
  sub->add_option("--epochs", o.config.epochs, "Epochs")->capture_default_str()->check(count_at_least(1, 100000));
  sub->add_option("--lr", o.config.lr, "Peak learning rate")
      ->capture_default_str()
      ->check(number_in(0, std::numeric_limits<double>::infinity(), true));
  sub->add_option("--batch", o.config.batch, "Mini-batch size")->capture_default_str()->check(count_at_least(1, 65536));
  sub->add_option("--seed", o.config.seed, "Seed of initialization, shuffling and augmentation")
      ->capture_default_str()
      ->check(seed_value());
  sub->add_option("--optimizer", o.config.optimizer, "sgd or adam")->capture_default_str();
  sub->add_option("--momentum", o.config.momentum, "SGD momentum")
      ->capture_default_str()
      ->check(number_in(0, 1, false, true));
  sub->add_option("--weight-decay", o.config.weight_decay, "L2 weight decay on Conv2d/Linear weights")
      ->capture_default_str()
      ->check(number_in(0, std::numeric_limits<double>::infinity()));
  sub->add_option("--schedule", o.config.schedule, "constant, step or cosine")->capture_default_str();
  sub->add_option("--step-epochs", o.config.step_epochs, "Step schedule: epochs between decays")
      ->capture_default_str()
      ->check(count_at_least(1));
  sub->add_option("--step-gamma", o.config.step_gamma, "Step schedule: decay factor")
      ->capture_default_str()
      ->check(number_in(0, 1, true, false));
  sub->add_option("--width", o.width, "Width multiplier of the zoo model")
      ->capture_default_str()
      ->check(number_in(0, 16, true, false));
  sub->add_option("--crop-padding", o.config.augment.crop_padding,
                  "Random-crop augmentation: zero padding in pixels (0: off)")
      ->capture_default_str()
      ->check(count_at_least(0, 64));
  sub->add_flag("--flip", o.config.augment.flip, "Random horizontal flips");
  sub->add_option("--limit", o.limit, "Use only the first N training images (0: all)")->check(count_at_least(0));
  sub->add_option("--test-limit", o.test_limit, "Use only the first N test (or validation) images (0: all)")
      ->check(count_at_least(0));
  sub->add_option("--validation", o.validation,
                  "Hold out the last N training images as a validation set: epochs are judged on it, the test set is "
                  "not read (0: judge on the test set)")
      ->check(count_at_least(0));
  sub->add_option("--checkpoint", o.checkpoint, "Checkpoint file (default OUTPUT.ckpt.h5), written every epoch");
  sub->add_flag("--resume", o.resume, "Resume from the checkpoint if it exists");
  sub->add_flag("--qat", o.qat, "Quantization-aware training (folds BatchNorm, calibrates, trains fake-quantized)");
  sub->add_option("--bits", o.bits, "QAT: weight and activation bits")
      ->capture_default_str()
      ->check(count_at_least(2, 8));
  sub->add_option("--calibration", o.calibration, "QAT: calibration images")
      ->capture_default_str()
      ->check(count_at_least(1));
  sub->add_option("--recalibrate-every", o.recalibrate_every,
                  "Crossbar-aware QAT: recalibrate the readouts every N batches (0: after every epoch)")
      ->capture_default_str()
      ->check(count_at_least(0));
  sub->add_option("--hw", o.hardware,
                  "QAT on a crossbar: forward through this hardware's noise and readout (data/hw name or TOML)");
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
      ->check(number_in(0, std::numeric_limits<double>::infinity(), true))
      ->each([](const std::string&) { o.distill_temperature_set = true; });
}

}  // namespace

CIMMC_REGISTER_COMMAND(40, register_train);

}  // namespace cimmc::studies
