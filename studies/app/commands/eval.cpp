// `cimmc eval`: accuracy of a model file on a dataset with the built-in float or exact integer
// backend, or a registered hardware backend (network/backends.hpp).
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <optional>

#include "cimmc/core/config.hpp"
#include "cimmc/core/error.hpp"
#include "cimmc/core/parallel.hpp"
#include "cimmc/network/backends.hpp"
#include "cimmc/network/crossbar_backend.hpp"
#include "cimmc/network/dataset.hpp"
#include "cimmc/network/model_file.hpp"
#include "cimmc/network/quantize.hpp"
#include "cimmc/network/train.hpp"
#include "cimmc/studies/cli.hpp"
#include "cimmc/studies/crossbar_eval.hpp"
#include "cimmc/studies/memory_estimate.hpp"
#include "cimmc/studies/one_point.hpp"
#include "cimmc/studies/resolved_design.hpp"

namespace cimmc::studies {

namespace {

struct EvalOptions {
  std::string model, dataset = "fashion-mnist", backend = "float", hardware;
  std::string former_executor;  // --executor, the former name of --backend (read until cimmc 0.2)
  std::vector<std::string> overrides;
  int bits = 8, limit = 0, calibration = 512, batch = 256;
  std::string split = "test";
  int validation = 5000;
  std::uint64_t seed = 1;
  bool json = false;
  CLI::Option* bits_option = nullptr;
  CLI::Option* validation_option = nullptr;
  CLI::Option* backend_option = nullptr;
  CLI::Option* former_executor_option = nullptr;
};

// --executor, renamed --backend in 0.1 (one name for the inference seam, network/backends.hpp),
// is read until cimmc 0.2 with a warning; both names at once is an error.
void read_former_names(EvalOptions& o) {
  if (o.former_executor_option->count() == 0) return;
  if (o.backend_option->count() > 0)
    throw core::ArgumentError("--executor is the former name of --backend, which is also given: give only --backend");
  core::config::warn(fmt::format("--executor is deprecated, use --backend (the former name is read until cimmc {})",
                                 core::config::kRenamedKeysReadUntil));
  o.backend = o.former_executor;
}

std::string json_escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '"' || c == '\\') o += '\\';
    if (static_cast<unsigned char>(c) < 0x20) {
      o += fmt::format("\\u{:04x}", static_cast<int>(c));
      continue;
    }
    o += c;
  }
  return o;
}

void run_eval(const EvalOptions& o) {
  const bool builtin = o.backend == "float" || o.backend == "int";
  bool hardware = false;
  for (const auto& [name, description] : network::backend_names()) hardware |= name == o.backend;
  if (!builtin && !hardware) {
    std::vector<std::string> names{"float", "int"};
    for (const auto& [name, description] : network::backend_names()) names.push_back(name);
    throw core::ArgumentError(fmt::format("--backend '{}': expected one of {}", o.backend, fmt::join(names, ", ")));
  }
  if (o.bits < 2 || o.bits > 8) throw core::ArgumentError(fmt::format("--bits {}: expected 2..8", o.bits));
  if (!hardware && (!o.hardware.empty() || !o.overrides.empty()))
    throw core::ArgumentError(fmt::format("--hw/--set apply to hardware backends, not to --backend {}", o.backend));
  network::ModelRecord record;
  network::Model model = network::load_model(o.model, &record);
  // On a crossbar: a one-point inference study (studies/one_point.hpp), its design resolved like
  // a study point (before the dataset: bad options fail fast) and its slot (0, 0) evaluated by
  // the study's slot function.
  std::optional<studies::ResolvedDesign> design;
  if (hardware) {
    if (o.hardware.empty())
      throw core::ArgumentError(
          "--backend crossbar needs --hw: a data/hw name (e.g. adc_baseline) or a hardware TOML file");
    studies::StudySpec spec;
    spec.source = "cimmc eval";
    spec.kind = studies::StudyKind::kInference;
    spec.seed = o.seed;
    spec.hardware = o.hardware;
    spec.priced = false;  // eval prints no cost, so a converter need not name its device
    spec.set = studies::override_assignments(o.overrides);
    studies::check_override_documents(spec.set, {"hardware"});
    design = studies::resolve_design(spec, 0);
  }
  // --split validation: the last --validation images of the training split (held out by
  // `cimmc train --validation`), for model choices that must not look at the test set.
  network::Dataset test;
  if (o.split == "test") {
    if (o.validation_option->count() > 0) throw core::ArgumentError("--validation goes with --split validation");
    test = network::load_dataset(o.dataset, "test");
  } else if (o.split == "validation") {
    test = network::split_validation(network::load_dataset(o.dataset, "train"), o.validation).second;
  } else {
    throw core::ArgumentError(fmt::format("--split {}: expected test or validation", o.split));
  }
  if (model.input_shape() != test.image_shape())
    throw core::ArgumentError(fmt::format("model {} takes inputs {}, dataset {} has images {}", o.model,
                                          network::shape_text(model.input_shape()), o.dataset,
                                          network::shape_text(test.image_shape())));
  {
    // Memory before any work: the test images, the model (and its quantized copy), a forward
    // pass of one batch and the crossbar layers.
    const int images = o.limit > 0 ? std::min(o.limit, test.size()) : test.size();
    auto memory = studies::inference_memory(model, static_cast<double>(test.pixels.size()),
                                            std::min(o.batch, std::max(images, 1)));
    if (design) memory.add("crossbar layers", studies::crossbar_bytes(model, design->crossbar, core::max_threads()));
    studies::check_memory(memory, fmt::format("cimmc eval --model {} --batch {}", o.model, o.batch),
                          "use a smaller --batch");
  }
  network::RunContext ctx;
  int bits = 0;
  std::string calibration_note;
  // The training split calibrates quantization and readouts; it is read once, when first needed
  // (the test images stand in when there is no training split next to the test files).
  std::optional<network::Dataset> calibration_set;
  bool calibration_from_test = false;
  const auto calibration = [&]() -> const network::Dataset& {
    if (!calibration_set) {
      try {
        calibration_set = network::load_dataset(o.dataset, "train");
      } catch (const core::Error&) {
        calibration_set = test;
        calibration_from_test = true;
      }
    }
    return *calibration_set;
  };
  if (o.backend != "float" || model.quantized()) {
    if (model.quantized()) {
      bits = model.gemm_layers().back()->quant().weight_bits;
      if (o.bits_option->count() > 0 && o.bits != bits)
        throw core::ArgumentError(fmt::format("--bits {}: {} is already quantized at {} bits", o.bits, o.model, bits));
    } else {
      bits = o.bits;
      const auto& calib = calibration();
      calibration_note = calibration_from_test ? fmt::format("{} test images (no training split found)", o.calibration)
                                               : fmt::format("{} training images", o.calibration);
      network::QuantOptions q;
      q.weight_bits = q.activation_bits = bits;
      q.calibration_images = o.calibration;
      q.seed = o.seed;
      model = network::quantize_model(model, calib, q);
    }
    ctx.mode = o.backend == "float" ? network::ExecMode::kFakeQuant : network::ExecMode::kInteger;
  }
  network::EvalResult r;
  std::vector<network::CrossbarBackend::LayerReport> layers;
  double seconds = 0;
  if (design) {
    const auto& calib = calibration();
    studies::CrossbarEvalOptions eo;
    eo.seed = o.seed;
    eo.limit = o.limit;
    eo.calibration_images = o.calibration;
    eo.batch = o.batch;
    const auto t0 = std::chrono::steady_clock::now();
    auto e = studies::inference_slot(model, test, calib, *design, eo);
    seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (e.calibrated && !o.json)
      fmt::print("readouts calibrated on the first {} images of {}\n", std::min(o.calibration, calib.size()),
                 calib.name);
    r = e.result;
    layers = std::move(e.layers);
  } else {
    const auto t0 = std::chrono::steady_clock::now();
    r = network::evaluate(model, test, ctx, o.batch, o.limit);
    seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  if (o.json) {
    fmt::print(
        "{{\"model\": \"{}\", \"dataset\": \"{}\", \"split\": \"{}\", \"backend\": \"{}\", \"bits\": {}, \"images\": "
        "{}, "
        "\"correct\": {}, \"accuracy\": {:.6f}, \"loss\": {:.6f}, \"seconds\": {:.3f}, \"counters\": {}}}\n",
        json_escape(o.model), json_escape(o.dataset), o.split, o.backend, bits, r.images, r.correct, r.accuracy, r.loss,
        seconds, design ? network::layer_reports_json(layers, design->crossbar.readout.kind) : "{}");
  } else {
    fmt::print("{}: accuracy {:.2f} % ({} / {} images of {}), backend {}{}\n", o.model, 100 * r.accuracy, r.correct,
               r.images, test.name, o.backend, bits ? fmt::format(", {} bits", bits) : "");
    if (!calibration_note.empty())
      fmt::print("quantized after BatchNorm folding; calibrated on {}\n", calibration_note);
    if (design) fmt::print("{}", network::layer_reports_text(layers));
  }
}

void register_eval(Registry& r) {
  static EvalOptions o;
  auto* sub = r.add("eval", "Accuracy of a model file on a dataset", [] {
    read_former_names(o);
    run_eval(o);
  });
  sub->add_option("--model", o.model, "Model file (.h5)")->required();
  sub->add_option("--dataset", o.dataset, "fashion-mnist, cifar10:DIR, cifar100:DIR or a path")->capture_default_str();
  o.backend_option =
      sub->add_option("--backend", o.backend, "float, int, or a registered hardware backend")->capture_default_str();
  // Renamed in 0.1 (one name for the inference seam): hidden, read until cimmc 0.2.
  o.former_executor_option =
      sub->add_option("--executor", o.former_executor, "Former name of --backend (deprecated)")->group("");
  o.bits_option = sub->add_option("--bits", o.bits, "Weight and activation bits when quantizing a float model")
                      ->capture_default_str();
  sub->add_option("--limit", o.limit, "Evaluate only the first N images of the split (0: all)")
      ->check(count_at_least(0));
  sub->add_option("--split", o.split, "test, or validation (the last --validation training images)")
      ->capture_default_str();
  o.validation_option =
      sub->add_option("--validation", o.validation, "Images of the validation split (as given to cimmc train)")
          ->capture_default_str()
          ->check(count_at_least(1));
  sub->add_option("--calibration", o.calibration, "Calibration images when quantizing a float model")
      ->capture_default_str()
      ->check(count_at_least(1));
  sub->add_option("--seed", o.seed, "Seed of the calibration subset and of backend noise")
      ->capture_default_str()
      ->check(seed_value());
  sub->add_option("--batch", o.batch, "Images per forward pass")
      ->capture_default_str()
      ->check(count_at_least(1, 65536));
  sub->add_option("--hw", o.hardware, "Hardware description for a hardware backend");
  sub->add_option("--set", o.overrides, "key=value override for a hardware backend (repeatable)");
  sub->add_flag("--json", o.json, "Print one JSON object");
}

}  // namespace

CIMMC_REGISTER_COMMAND(41, register_eval);

}  // namespace cimmc::studies
