#include "study_jobs.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <optional>

#include "cimmc/core/error.hpp"
#include "cimmc/core/rng.hpp"
#include "cimmc/network/dataset.hpp"
#include "cimmc/network/model_file.hpp"
#include "cimmc/network/quantize.hpp"
#include "cimmc/studies/cost_inputs.hpp"
#include "cimmc/studies/cost_report.hpp"
#include "cimmc/studies/crossbar_eval.hpp"
#include "cimmc/studies/one_point.hpp"
#include "cimmc/studies/training_run.hpp"

namespace cimmc::studies {

namespace {

// Every component the cost roll-up books (arch/cost_rollup.cpp); fill_components refuses one
// that is not listed, so a breakdown never silently drops a part of the total.
const std::vector<std::string> kEnergyComponents{"array",       "readout",   "decode", "trim",
                                                 "skip_detect", "shift_add", "buffer", "digital"};
const std::vector<std::string> kAreaComponents{"array", "readout", "trim", "shift_add", "digital"};

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void fill_components(double* out, const std::map<std::string, double>& values, const std::vector<std::string>& names) {
  for (const auto& [name, value] : values)
    if (std::find(names.begin(), names.end(), name) == names.end())
      throw core::RuntimeFailure(
          fmt::format("cost breakdown: component '{}' is not one of the study's components", name));
  for (std::size_t c = 0; c < names.size(); ++c) {
    const auto it = values.find(names[c]);
    out[c] = it == values.end() ? 0.0 : it->second;
  }
}

std::vector<std::string> layer_names(const network::Model& model, const arch::CrossbarConfig& config) {
  std::vector<std::string> names;
  for (const auto& s : gemm_shapes(model, config)) names.push_back(s.name);
  return names;
}

std::vector<std::optional<circuit::MtjConverter>> converters(const std::vector<ResolvedDesign>& designs) {
  std::vector<std::optional<circuit::MtjConverter>> out;
  out.reserve(designs.size());
  for (const auto& d : designs) out.push_back(mtj_converter_for(d.crossbar, d.tech));
  return out;
}

// ---- inference: the model on the crossbar design, one readout-noise realization per trial ----

struct CounterField {
  const char* name;
  std::uint64_t arch::Counters::*field;
};
const std::vector<CounterField> kCounterFields{
    {"macs", &arch::Counters::macs},
    {"partial_sums", &arch::Counters::partial_sums},
    {"zero_partial_sums", &arch::Counters::zero_partial_sums},
    {"clipped", &arch::Counters::clipped},
    {"adc_conversions", &arch::Counters::adc_conversions},
    {"adc_skipped", &arch::Counters::adc_skipped},
    {"mtj_samples", &arch::Counters::mtj_samples},
    {"mtj_skipped", &arch::Counters::mtj_skipped},
    {"lcu_senses", &arch::Counters::lcu_senses},
    {"lcu_skips", &arch::Counters::lcu_skipped},  // keeps its cimmc.study 1.x name (docs/formats.md)
    {"shift_adds", &arch::Counters::shift_adds},
};

class InferenceJobs final : public StudyJobs {
 public:
  InferenceJobs(const StudySpec& spec, const std::vector<ResolvedDesign>& designs)
      : spec_(spec), designs_(designs), mtj_(converters(designs)) {
    model_ = network::load_model(spec.model);
    test_ = network::load_dataset(spec.dataset, "test");
    try {
      calibration_ = network::load_dataset(spec.dataset, "train");
    } catch (const core::Error&) {
      calibration_ = test_;  // no training split next to the test files
    }
    if (model_.input_shape() != test_.image_shape())
      throw core::ConfigError(fmt::format("{}: model {} takes inputs {}, dataset {} has images {}", spec.source,
                                          spec.model, network::shape_text(model_.input_shape()), spec.dataset,
                                          network::shape_text(test_.image_shape())));
    if (!model_.quantized()) {
      network::QuantOptions q;
      q.weight_bits = q.activation_bits = spec.bits;
      q.calibration_images = spec.calibration_images;
      q.seed = spec.seed;
      model_ = network::quantize_model(model_, calibration_, q);
    }
    images_ = spec.limit > 0 ? std::min(spec.limit, test_.size()) : test_.size();
    layers_ = layer_names(model_, designs.front().crossbar);
  }

  void define(StudyResults& r) const override {
    const std::vector<std::size_t> layers{layers_.size()};
    r.define("/trials/accuracy", "1", false);
    r.define("/trials/loss", "1", false);
    r.define("/trials/correct", "1", true);
    r.define("/trials/images", "1", true);
    r.define("/trials/energy_J", "J", false);
    r.define("/trials/latency_s", "s", false);
    r.define("/trials/energy_by_component_J", "J", false, {kEnergyComponents.size()}, {"component"});
    for (const auto& f : kCounterFields) r.define(fmt::format("/layers/{}", f.name), "1", true, layers, {"layer"});
    r.define("/layers/lcu_groups", "1", true, layers, {"layer"});
    r.summaries.push_back({"accuracy", true, "/trials/correct", "/trials/images", 0});
    for (const char* m : {"loss", "energy_J", "latency_s"}) r.summaries.push_back({m, false, "", "", 0});
    r.ratios.push_back({"clip_rate", "/layers/clipped", "/layers/partial_sums"});
    r.ratios.push_back({"zero_ps_ratio", "/layers/zero_partial_sums", "/layers/partial_sums"});
    r.ratios.push_back({"lcu_skip_ratio", "/layers/lcu_skips", "/layers/lcu_groups"});
    r.statics.push_back({"/layers/name", "", "layer", {}, layers_});
    r.statics.push_back({"/components/energy", "", "component", {}, kEnergyComponents});
  }

  bool run(std::size_t point, std::size_t trial, StudyResults& r, const JobContext&) override {
    const auto& design = designs_[point];
    const auto e = evaluate(point, trial, images_);
    *r.real_slot("/trials/accuracy", point, trial) = e.result.accuracy;
    *r.real_slot("/trials/loss", point, trial) = e.result.loss;
    *r.int_slot("/trials/correct", point, trial) = e.result.correct;
    *r.int_slot("/trials/images", point, trial) = e.result.images;
    const auto& mtj = mtj_[point];
    const auto cost = measured_cost(model_, e, design.crossbar, design.tech, mtj ? &*mtj : nullptr);
    *r.real_slot("/trials/energy_J", point, trial) = cost.energy_total_J;
    *r.real_slot("/trials/latency_s", point, trial) = cost.latency_s;
    fill_components(r.real_slot("/trials/energy_by_component_J", point, trial), cost.energy_J, kEnergyComponents);
    for (const auto& f : kCounterFields) {
      auto* slot = r.int_slot(fmt::format("/layers/{}", f.name), point, trial);
      for (std::size_t l = 0; l < e.layers.size(); ++l)
        slot[l] = static_cast<std::int64_t>(e.layers[l].counters.*f.field);
    }
    auto* groups = r.int_slot("/layers/lcu_groups", point, trial);
    for (std::size_t l = 0; l < e.layers.size(); ++l)
      groups[l] = static_cast<std::int64_t>(e.layers[l].counters.lcu_senses + e.layers[l].counters.lcu_skipped);
    return true;
  }

  std::string slot_work() const override {
    return fmt::format(
        "{} images of {} through {} on a crossbar (plus {} calibration images where the readout needs them)", images_,
        spec_.dataset, spec_.model, spec_.calibration_images);
  }

  // Two probes (one and three batches of images) give a fixed and a per-image time.
  double probe_seconds_per_slot(std::size_t point) override {
    const int small = std::min(spec_.batch, images_), large = std::min(3 * spec_.batch, images_);
    auto t0 = std::chrono::steady_clock::now();
    evaluate(point, 0, small);
    const double ts = seconds_since(t0);
    if (large == small) return ts;
    t0 = std::chrono::steady_clock::now();
    evaluate(point, 0, large);
    const double tl = seconds_since(t0);
    const double per_image = std::max(0.0, (tl - ts) / (large - small));
    return std::max(ts, tl - per_image * large) + per_image * images_;
  }

  void estimate_memory(MemoryEstimate& memory, int threads) override {
    const auto inference =
        inference_memory(model_, static_cast<double>(test_.pixels.size() + calibration_.pixels.size()),
                         std::min(spec_.batch, std::max(images_, spec_.calibration_images)));
    memory.items.insert(memory.items.end(), inference.items.begin(), inference.items.end());
    double crossbar = 0;
    for (const auto& d : designs_) crossbar = std::max(crossbar, crossbar_bytes(model_, d.crossbar, threads));
    memory.add("crossbar layers", crossbar);
  }

 private:
  CrossbarEvaluation evaluate(std::size_t point, std::size_t trial, int images) {
    CrossbarEvalOptions o;
    o.seed = spec_.seed;
    o.point = static_cast<std::uint32_t>(point);
    o.trial = static_cast<std::uint32_t>(trial);
    o.limit = images;
    o.calibration_images = spec_.calibration_images;
    o.batch = spec_.batch;
    return inference_slot(model_, test_, calibration_, designs_[point], o);
  }

  const StudySpec& spec_;
  const std::vector<ResolvedDesign>& designs_;
  std::vector<std::optional<circuit::MtjConverter>> mtj_;
  network::Model model_;
  network::Dataset test_, calibration_;
  int images_ = 0;
  std::vector<std::string> layers_;
};

// ---- cost: analytic roll-up of the network on each design (deterministic: one trial) ----

class CostJobs final : public StudyJobs {
 public:
  CostJobs(const StudySpec& spec, const std::vector<ResolvedDesign>& designs)
      : spec_(spec), designs_(designs), mtj_(converters(designs)) {
    for (const auto& d : designs) model_for(d.crossbar.weight_bits);
    layers_ = layer_names(model_for(designs.front().crossbar.weight_bits).model, designs.front().crossbar);
  }

  void define(StudyResults& r) const override {
    for (const auto& [name, units] :
         std::vector<std::pair<std::string, std::string>>{{"energy_J", "J"},
                                                          {"latency_s", "s"},
                                                          {"area_m2", "m^2"},
                                                          {"edp_J_s", "J*s"},
                                                          {"tops_per_W", "1e12/s/W"},
                                                          {"tops_per_mm2", "1e12/s/mm^2"}}) {
      r.define("/trials/" + name, units, false);
      r.summaries.push_back({name, false, "", "", 0});
    }
    r.define("/trials/energy_by_component_J", "J", false, {kEnergyComponents.size()}, {"component"});
    r.define("/trials/area_by_component_m2", "m^2", false, {kAreaComponents.size()}, {"component"});
    r.define("/layers/energy_J", "J", false, {layers_.size()}, {"layer"});
    r.define("/layers/latency_s", "s", false, {layers_.size()}, {"layer"});
    r.statics.push_back({"/layers/name", "", "layer", {}, layers_});
    r.statics.push_back({"/components/energy", "", "component", {}, kEnergyComponents});
    r.statics.push_back({"/components/area", "", "component", {}, kAreaComponents});
  }

  bool run(std::size_t point, std::size_t trial, StudyResults& r, const JobContext&) override {
    const auto& d = designs_[point];
    const auto& priced = model_for(d.crossbar.weight_bits);
    const auto& mtj = mtj_[point];
    const auto cost = cost_slot(priced, d, mtj ? &*mtj : nullptr);
    if (cost.layers.size() != layers_.size())
      throw core::RuntimeFailure(
          fmt::format("cost study: point {} has {} layers, point 0 {}", point, cost.layers.size(), layers_.size()));
    *r.real_slot("/trials/energy_J", point, trial) = cost.energy_total_J;
    *r.real_slot("/trials/latency_s", point, trial) = cost.latency_s;
    *r.real_slot("/trials/area_m2", point, trial) = cost.area_total_m2;
    *r.real_slot("/trials/edp_J_s", point, trial) = cost.edp_J_s();
    *r.real_slot("/trials/tops_per_W", point, trial) = cost.tops_per_W();
    *r.real_slot("/trials/tops_per_mm2", point, trial) = cost.tops_per_mm2();
    fill_components(r.real_slot("/trials/energy_by_component_J", point, trial), cost.energy_J, kEnergyComponents);
    fill_components(r.real_slot("/trials/area_by_component_m2", point, trial), cost.area_m2, kAreaComponents);
    for (std::size_t l = 0; l < cost.layers.size(); ++l) {
      r.real_slot("/layers/energy_J", point, trial)[l] = cost.layers[l].total_energy_J();
      r.real_slot("/layers/latency_s", point, trial)[l] = cost.layers[l].latency_s;
    }
    return true;
  }

  std::string slot_work() const override {
    return fmt::format("an analytic cost roll-up of {} ({} GEMM layers)", spec_.model, layers_.size());
  }

  double probe_seconds_per_slot(std::size_t point) override {
    StudyResults scratch(designs_.size(), 1);
    define(scratch);
    const auto t0 = std::chrono::steady_clock::now();
    run(point, 0, scratch, JobContext{});
    return seconds_since(t0);
  }

  void estimate_memory(MemoryEstimate& memory, int) override {
    double models = 0;
    for (auto& [bits, m] : models_) models += model_bytes(m.model);
    memory.add("models", models);
  }

 private:
  const CostModel& model_for(int weight_bits) {
    auto it = models_.find(weight_bits);
    if (it == models_.end())
      it = models_.emplace(weight_bits, cost_model(spec_.model, spec_.input, spec_.classes, weight_bits, spec_.seed))
               .first;
    return it->second;
  }

  const StudySpec& spec_;
  const std::vector<ResolvedDesign>& designs_;
  std::vector<std::optional<circuit::MtjConverter>> mtj_;
  std::map<int, CostModel> models_;
  std::vector<std::string> layers_;
};

// ---- switching: P_sw on the current x pulse-width grid by stochastic LLG, per trial ----

class SwitchingJobs final : public StudyJobs {
 public:
  SwitchingJobs(const StudySpec& spec, const std::vector<ResolvedDesign>& designs) : spec_(spec), designs_(designs) {
    const auto& g = designs.front().grid;
    for (const auto& d : designs)
      if (d.grid.currents_A != g.currents_A || d.grid.pulse_widths_s != g.pulse_widths_s)
        throw core::ConfigError(
            fmt::format("{}: every point of a switching study has the same current x pulse-width grid", spec.source));
  }

  void define(StudyResults& r) const override {
    const auto& g = designs_.front().grid;
    const std::vector<std::size_t> grid{g.currents_A.size(), g.pulse_widths_s.size()};
    const std::vector<std::string> dims{"current", "pulse_width"};
    r.define("/trials/p_switch", "1", false, grid, dims);
    r.define("/curves/switched_count", "1", true, grid, dims);
    r.define("/curves/trajectories", "1", true, grid, dims);
    r.define("/curves/mean_switching_time_s", "s", false, grid, dims);
    r.define("/trials/i50_A", "A", false, {grid[1]}, {"pulse_width"});
    r.define("/trials/width_A", "A", false, {grid[1]}, {"pulse_width"});
    r.summaries.push_back({"p_switch", true, "/curves/switched_count", "/curves/trajectories", 0});
    r.summaries.push_back({"i50_A", false, "", "", 0});
    r.summaries.push_back({"width_A", false, "", "", 0});
    r.statics.push_back({"/curves/current_A", "A", "current", g.currents_A, {}});
    r.statics.push_back({"/curves/pulse_width_s", "s", "pulse_width", g.pulse_widths_s, {}});
  }

  bool run(std::size_t point, std::size_t trial, StudyResults& r, const JobContext&) override {
    const auto report = characterize(point, trial, 0);
    const auto& c = report.curves;
    const std::size_t n = c.probability.size();
    std::copy_n(c.probability.begin(), n, r.real_slot("/trials/p_switch", point, trial));
    std::copy_n(c.switched_count.begin(), n, r.int_slot("/curves/switched_count", point, trial));
    std::fill_n(r.int_slot("/curves/trajectories", point, trial), n, static_cast<std::int64_t>(c.trials));
    std::copy_n(c.mean_switching_time_s.begin(), n, r.real_slot("/curves/mean_switching_time_s", point, trial));
    for (std::size_t j = 0; j < report.sigmoids.size(); ++j) {
      r.real_slot("/trials/i50_A", point, trial)[j] = report.sigmoids[j].i50_A;
      r.real_slot("/trials/width_A", point, trial)[j] = report.sigmoids[j].width_A;
    }
    return true;
  }

  std::string slot_work() const override {
    const auto& g = designs_.front().grid;
    return fmt::format("{} x {} grid points x {} LLG trajectories of {}", g.currents_A.size(), g.pulse_widths_s.size(),
                       g.settings.trials, designs_.front().device_params.name);
  }

  double probe_seconds_per_slot(std::size_t point) override {
    const std::size_t full = designs_[point].grid.settings.trials, probe = std::min<std::size_t>(full, 16);
    const auto t0 = std::chrono::steady_clock::now();
    characterize(point, 0, probe);
    return seconds_since(t0) * static_cast<double>(full) / static_cast<double>(probe);
  }

  // The curves of a slot (a few numbers per grid point); trajectories are not kept.
  void estimate_memory(MemoryEstimate& memory, int threads) override {
    const auto& g = designs_.front().grid;
    memory.add("curves", switching_bytes(g.currents_A.size(), g.pulse_widths_s.size(), threads));
  }

 private:
  device::SwitchingReport characterize(std::size_t point, std::size_t trial, std::size_t trials_override) const {
    return switching_slot(designs_[point], spec_.seed, point, trial, trials_override);
  }

  const StudySpec& spec_;
  const std::vector<ResolvedDesign>& designs_;
};

// ---- train: one training run per slot; the trial's seed drives initialization, data order,
// augmentation and the crossbar's noise, the same seed for every point of a trial ----

class TrainJobs final : public StudyJobs {
 public:
  TrainJobs(const StudySpec& spec, const std::vector<ResolvedDesign>& designs) : spec_(spec), designs_(designs) {
    for (const auto& d : designs) {
      epochs_ = std::max(epochs_, d.train.config.epochs);
      data_for(d.train);  // every dataset a point needs, loaded (and checked) before any work
    }
    if (spec.model.ends_with(".h5")) {
      const auto base = network::load_model(spec.model);
      const auto& data = data_for(designs.front().train);
      if (base.input_shape() != data.train.image_shape())
        throw core::ConfigError(fmt::format("{}: model {} takes inputs {}, dataset {} has images {}", spec.source,
                                            spec.model, network::shape_text(base.input_shape()), spec.dataset,
                                            network::shape_text(data.train.image_shape())));
    }
  }

  void define(StudyResults& r) const override {
    const std::vector<std::size_t> epochs{static_cast<std::size_t>(epochs_)};
    r.define("/trials/accuracy", "1", false);
    r.define("/trials/loss", "1", false);
    r.define("/trials/correct", "1", true);
    r.define("/trials/images", "1", true);
    r.define("/trials/train_loss", "1", false);
    r.define("/trials/train_accuracy", "1", false);
    for (const char* m : {"accuracy", "loss", "train_loss", "train_accuracy", "lr"})
      r.define(fmt::format("/epochs/{}", m), "1", false, epochs, {"epoch"});
    r.summaries.push_back({"accuracy", true, "/trials/correct", "/trials/images", 0});
    for (const char* m : {"loss", "train_loss", "train_accuracy"}) r.summaries.push_back({m, false, "", "", 0});
    std::vector<double> numbers;
    for (int e = 1; e <= epochs_; ++e) numbers.push_back(e);
    r.statics.push_back({"/epochs/epoch", "1", "epoch", numbers, {}});
  }

  bool run(std::size_t point, std::size_t trial, StudyResults& r, const JobContext& context) override {
    const auto& d = designs_[point];
    const auto& data = data_for(d.train);
    const auto slot_file = [&](const char* suffix) {
      auto path = context.output;
      path += fmt::format(".models/point{:05}_trial{:04}{}", point, trial, suffix);
      return path;
    };
    std::filesystem::create_directories(slot_file("").parent_path());
    auto run = training_run(point, trial);
    run.checkpoint = slot_file(".ckpt.h5");
    run.resume = context.resume;
    TrainingEvents events;
    events.stop = context.stop;
    events.on_batch = [&, epoch = 0](int done, int total, double loss, double) mutable {
      if (done == 1) ++epoch;
      if (context.note && (done == 1 || done == total))
        context.note(fmt::format("point {}/{} trial {}: batch {}/{} loss {:.3f}", point + 1, designs_.size(), trial + 1,
                                 done, total, loss));
    };
    auto outcome = run_training(run, data, events);
    if (!outcome.finished) return false;
    const auto& f = outcome.final_eval;
    *r.real_slot("/trials/accuracy", point, trial) = f.accuracy;
    *r.real_slot("/trials/loss", point, trial) = f.loss;
    *r.int_slot("/trials/correct", point, trial) = f.correct;
    *r.int_slot("/trials/images", point, trial) = f.images;
    const auto& history = outcome.record.training.history;
    *r.real_slot("/trials/train_loss", point, trial) = history.back().train_loss;
    *r.real_slot("/trials/train_accuracy", point, trial) = history.back().train_accuracy;
    for (const char* m : {"accuracy", "loss", "train_loss", "train_accuracy", "lr"})
      std::fill_n(r.real_slot(fmt::format("/epochs/{}", m), point, trial), epochs_, std::nan(""));
    for (std::size_t e = 0; e < history.size(); ++e) {
      r.real_slot("/epochs/accuracy", point, trial)[e] = history[e].test_accuracy;
      r.real_slot("/epochs/loss", point, trial)[e] = history[e].test_loss;
      r.real_slot("/epochs/train_loss", point, trial)[e] = history[e].train_loss;
      r.real_slot("/epochs/train_accuracy", point, trial)[e] = history[e].train_accuracy;
      r.real_slot("/epochs/lr", point, trial)[e] = history[e].lr;
    }
    if (spec_.keep_models) network::save_model(slot_file(".h5"), outcome.model, outcome.record);
    std::filesystem::remove(run.checkpoint);
    return true;
  }

  std::string slot_work() const override {
    const auto& d = designs_.front();
    const auto& data = data_for(d.train);
    return fmt::format("training {} on {} images of {} for {} epochs ({}{}), judged on {} {} images{}", spec_.model,
                       data.train.size(), spec_.dataset, d.train.config.epochs,
                       d.train.qat ? fmt::format("{}-bit quantization-aware", d.train.bits) : std::string("float"),
                       d.crossbar_aware ? ", through the crossbar design" : "", data.eval.size(), data.eval_split(),
                       spec_.keep_models ? "; each trained model is kept next to the results file" : "");
  }

  // Two probes of one epoch give a fixed and a per-image time: the smaller on two batches or the
  // calibration images, whichever is more, the larger on three times as many, both with the
  // slot's calibration images and judged images in the slot's proportion. The fixed part
  // (quantization and readout calibration, the crossbar layers) is counted once per epoch, since
  // crossbar-aware training recalibrates after each: a slot is epochs × (fixed + per-image ×
  // (training + judged images)).
  double probe_seconds_per_slot(std::size_t point) override {
    const auto& d = designs_[point];
    const auto& full = data_for(d.train);
    const int small = std::min(full.train.size(), std::max(2 * d.train.config.batch, d.train.calibration_images));
    const int large = std::min(full.train.size(), 3 * small);
    const auto probe_epoch = [&](int train_images) {
      TrainingData probe;
      const double eval_share =
          static_cast<double>(full.eval.size()) / static_cast<double>(std::max(1, full.train.size()));
      const auto eval_images = static_cast<int>(std::lround(train_images * eval_share));
      probe.train = network::take(full.train, train_images);
      probe.eval = network::take(full.eval, std::clamp(eval_images, std::min(1, full.eval.size()), full.eval.size()));
      auto run = training_run(point, 0);
      run.settings.config.epochs = 1;
      run.settings.calibration_images = std::min(run.settings.calibration_images, small);
      const auto t0 = std::chrono::steady_clock::now();
      run_training(run, probe);
      return std::pair{seconds_since(t0), static_cast<double>(probe.train.size() + probe.eval.size())};
    };
    const double images = static_cast<double>(full.train.size() + full.eval.size());
    const auto [ts, ns] = probe_epoch(small);
    if (large == small) return ts / ns * images * d.train.config.epochs;
    const auto [tl, nl] = probe_epoch(large);
    const double per_image = std::max(0.0, (tl - ts) / (nl - ns));
    const double fixed = std::max(0.0, ts - per_image * ns);
    return d.train.config.epochs * (fixed + per_image * images);
  }

  // The largest point's training (its batch and design), with every dataset the points hold.
  void estimate_memory(MemoryEstimate& memory, int threads) override {
    double images = 0;
    for (const auto& [key, data] : data_)
      images += static_cast<double>(data.train.pixels.size() + data.eval.pixels.size());
    memory.add("images held", images);
    MemoryEstimate largest;
    for (std::size_t p = 0; p < designs_.size(); ++p) {
      auto run = training_run(p, 0);
      const auto m = training_memory(run, data_for(designs_[p].train), threads);
      if (m.total() > largest.total()) largest = m;
    }
    for (auto& item : largest.items)
      if (item.what != "images held") memory.add(item.what, item.bytes);
  }

 private:
  TrainingRun training_run(std::size_t point, std::size_t trial) const {
    const auto& d = designs_[point];
    TrainingRun run;
    run.model = spec_.model;
    run.dataset = spec_.dataset;
    run.settings = d.train;
    // The trial's seed: the study seed's study_trial stream at (trial), the same for every point
    // (common random numbers: points differ only in what their sweep values change).
    core::rng::Stream seeds(spec_.seed, {core::rng::Purpose::kStudyTrial, 0, static_cast<std::uint32_t>(trial), 0});
    const std::uint64_t lo = seeds(), hi = seeds();
    run.settings.config.seed = hi << 32 | lo;
    if (d.crossbar_aware) {
      run.hardware = &d.crossbar;
      run.hardware_name = d.hardware_file;
    }
    run.config_text =
        fmt::format("{}\n[study_slot]\nstudy = {}\npoint = {}\ntrial = {}\nseed = {}\n", d.text(),
                    core::config::to_toml(core::config::Value(spec_.name)), point, trial, run.settings.config.seed);
    return run;
  }

  const TrainingData& data_for(const TrainingSettings& t) const {
    const auto key = std::make_pair(t.validation, t.eval_limit);
    auto it = data_.find(key);
    if (it == data_.end()) {
      try {
        it = data_.emplace(key, load_training_data(spec_.dataset, spec_.limit, t.validation, t.eval_limit)).first;
      } catch (const core::Error& e) {
        throw core::ConfigError(fmt::format("{}: dataset '{}': {}", spec_.source, spec_.dataset, e.what()));
      }
    }
    return it->second;
  }

  const StudySpec& spec_;
  const std::vector<ResolvedDesign>& designs_;
  int epochs_ = 0;
  mutable std::map<std::pair<int, int>, TrainingData> data_;
};

}  // namespace

std::unique_ptr<StudyJobs> make_study_jobs(const StudySpec& spec, const std::vector<ResolvedDesign>& designs) {
  switch (spec.kind) {
    case StudyKind::kInference: return std::make_unique<InferenceJobs>(spec, designs);
    case StudyKind::kCost: return std::make_unique<CostJobs>(spec, designs);
    case StudyKind::kSwitching: return std::make_unique<SwitchingJobs>(spec, designs);
    case StudyKind::kTrain: return std::make_unique<TrainJobs>(spec, designs);
  }
  throw core::ConfigError(fmt::format("{}: unknown study kind", spec.source));
}

}  // namespace cimmc::studies
