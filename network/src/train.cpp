#include "cimmc/network/train.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <numbers>

#include "cimmc/core/error.hpp"
#include "cimmc/core/rng.hpp"
#include "cimmc/core/rng_distributions.hpp"
#include "cimmc/network/layers.hpp"

namespace cimmc::network {

void initialize_weights(Model& model, std::uint64_t seed) {
  auto& nodes = model.nodes();
  for (std::size_t i = 1; i < nodes.size(); ++i) {
    auto* g = dynamic_cast<GemmLayer*>(nodes[i].layer.get());
    if (g) {
      core::rng::Stream s(seed, {core::rng::Purpose::kWeightInit, 0, 0, static_cast<std::uint64_t>(i)});
      const double std = std::sqrt(2.0 / g->fan_in());
      for (float& w : g->weight().value.data) w = static_cast<float>(core::rng::normal(s, 0.0, std));
      if (g->has_bias()) g->bias().value.zero();
    }
    if (auto* bn = dynamic_cast<BatchNorm*>(nodes[i].layer.get())) {
      for (auto* p : bn->parameters())
        std::fill(p->value.data.begin(), p->value.data.end(), p->name == "gamma" ? 1.0f : 0.0f);
    }
  }
}

void TrainConfig::validate() const {
  std::vector<std::string> problems;
  if (optimizer != "sgd" && optimizer != "adam")
    problems.push_back(fmt::format("optimizer '{}' (expected sgd or adam)", optimizer));
  if (schedule != "constant" && schedule != "step" && schedule != "cosine")
    problems.push_back(fmt::format("schedule '{}' (expected constant, step or cosine)", schedule));
  if (!(lr > 0)) problems.push_back(fmt::format("lr = {} (expected > 0)", lr));
  if (momentum < 0 || momentum >= 1) problems.push_back(fmt::format("momentum = {} (expected in [0, 1))", momentum));
  if (weight_decay < 0) problems.push_back(fmt::format("weight_decay = {} (expected >= 0)", weight_decay));
  if (epochs < 1) problems.push_back(fmt::format("epochs = {} (expected >= 1)", epochs));
  if (batch < 1) problems.push_back(fmt::format("batch = {} (expected >= 1)", batch));
  if (step_epochs < 1) problems.push_back(fmt::format("step_epochs = {} (expected >= 1)", step_epochs));
  if (!(distill_alpha >= 0 && distill_alpha <= 1))
    problems.push_back(fmt::format("distill_alpha = {} (expected in [0, 1])", distill_alpha));
  if (!(distill_temperature > 0))
    problems.push_back(fmt::format("distill_temperature = {} (expected > 0)", distill_temperature));
  if (augment.crop_padding < 0)
    problems.push_back(fmt::format("crop padding = {} (expected >= 0)", augment.crop_padding));
  if (!problems.empty()) {
    std::string msg = "training configuration:";
    for (const auto& p : problems) msg += "\n  " + p;
    throw core::ConfigError(msg);
  }
}

double learning_rate(const TrainConfig& c, int epoch) {
  if (c.schedule == "step") return c.lr * std::pow(c.step_gamma, epoch / c.step_epochs);
  if (c.schedule == "cosine") return 0.5 * c.lr * (1.0 + std::cos(std::numbers::pi * epoch / c.epochs));
  return c.lr;
}

void Optimizer::step(std::vector<std::pair<std::string, Parameter*>>& params, double lr) {
  ++steps_;
  const float flr = static_cast<float>(lr);
  for (auto& [name, p] : params) {
    const std::size_t n = p->value.size();
    const float wd = p->weight_decay ? static_cast<float>(config_.weight_decay) : 0.0f;
    float* w = p->value.data.data();
    const float* g = p->grad.data.data();
    if (config_.optimizer == "sgd") {
      auto& v = state_[name + "/momentum"];
      if (v.size() != n) v.assign(n, 0.0f);
      const float mu = static_cast<float>(config_.momentum);
      for (std::size_t i = 0; i < n; ++i) {
        v[i] = mu * v[i] + g[i] + wd * w[i];
        w[i] -= flr * v[i];
      }
    } else {
      auto& m = state_[name + "/m"];
      auto& v = state_[name + "/v"];
      if (m.size() != n || v.size() != n) m.assign(n, 0.0f), v.assign(n, 0.0f);
      const float b1 = static_cast<float>(config_.beta1), b2 = static_cast<float>(config_.beta2);
      const double c1 = 1.0 - std::pow(config_.beta1, static_cast<double>(steps_));
      const double c2 = 1.0 - std::pow(config_.beta2, static_cast<double>(steps_));
      const float step = static_cast<float>(lr / c1), eps = static_cast<float>(config_.adam_eps);
      const float inv_c2 = static_cast<float>(1.0 / c2);
      for (std::size_t i = 0; i < n; ++i) {
        const float gi = g[i] + wd * w[i];
        m[i] = b1 * m[i] + (1 - b1) * gi;
        v[i] = b2 * v[i] + (1 - b2) * gi * gi;
        w[i] -= step * m[i] / (std::sqrt(v[i] * inv_c2) + eps);
      }
    }
  }
}

EvalResult evaluate(Model& model, const Dataset& data, const RunContext& base, int batch, int limit) {
  const int n = (limit > 0 && limit < data.size()) ? limit : data.size();
  EvalResult r;
  Tensor x;
  std::vector<int> labels, idx;
  double loss_sum = 0.0;
  for (int b0 = 0; b0 < n; b0 += batch) {
    const int bs = std::min(batch, n - b0);
    idx.resize(bs);
    for (int i = 0; i < bs; ++i) idx[i] = b0 + i;
    make_batch(data, idx, x, labels);
    RunContext ctx = base;
    ctx.training = false;
    ctx.image_offset = base.image_offset + b0;
    const Tensor& logits = model.forward(x, ctx);
    int correct = 0;
    loss_sum += softmax_cross_entropy(logits, labels, nullptr, &correct) * bs;
    r.correct += correct;
  }
  r.images = n;
  r.accuracy = n ? static_cast<double>(r.correct) / n : 0.0;
  r.loss = n ? loss_sum / n : 0.0;
  return r;
}

void train(Model& model, const Dataset& train_set, const Dataset* test, const TrainConfig& c, TrainState& state,
           Optimizer& opt, const EpochCallback& on_epoch, const BatchCallback& on_batch, const StopCallback& stop) {
  c.validate();
  auto params = model.parameters();
  const int n = train_set.size();
  const int batches = (n + c.batch - 1) / c.batch;
  Tensor x, grad;
  std::vector<int> labels;
  for (int epoch = state.epochs_done; epoch < c.epochs; ++epoch) {
    if (stop && stop()) return;
    const auto t0 = std::chrono::steady_clock::now();
    const double lr = learning_rate(c, epoch);
    const auto order = shuffled_indices(n, c.seed, static_cast<std::uint32_t>(epoch));
    double loss_sum = 0.0;
    long correct_sum = 0, seen = 0;
    for (int bi = 0; bi < batches; ++bi) {
      const int b0 = bi * c.batch, bs = std::min(c.batch, n - b0);
      make_batch(train_set, std::span<const int>(order).subspan(b0, bs), x, labels, c.augment, c.seed,
                 static_cast<std::uint32_t>(epoch));
      RunContext ctx;
      ctx.training = true;
      ctx.mode = c.mode;
      ctx.hook = c.hook;
      ctx.image_offset = static_cast<std::size_t>(epoch) * n + b0;
      ctx.step = opt.steps();
      model.zero_grad();
      const Tensor& logits = model.forward(x, ctx);
      int correct = 0;
      double loss = 0.0;
      if (c.teacher) {
        RunContext tctx;
        tctx.mode = c.teacher_mode;
        tctx.image_offset = ctx.image_offset;
        loss = distillation_loss(logits, c.teacher->forward(x, tctx), labels, c.distill_alpha, c.distill_temperature,
                                 &grad, &correct);
      } else {
        loss = softmax_cross_entropy(logits, labels, &grad, &correct);
      }
      if (!std::isfinite(loss))
        throw core::RuntimeFailure(fmt::format(
            "training diverged: loss {} at epoch {}, batch {} (lower the learning rate)", loss, epoch + 1, bi + 1));
      model.backward(grad, ctx);
      opt.step(params, lr);
      loss_sum += loss * bs;
      correct_sum += correct;
      seen += bs;
      if (on_batch) on_batch(bi + 1, batches, loss_sum / seen, static_cast<double>(correct_sum) / seen);
    }
    EpochStats s;
    s.epoch = epoch + 1;
    s.lr = lr;
    s.train_loss = loss_sum / seen;
    s.train_accuracy = static_cast<double>(correct_sum) / seen;
    if (test) {
      RunContext ectx;
      ectx.mode = c.mode;
      if (c.test_through_hook) ectx.hook = c.hook;
      const auto r = evaluate(model, *test, ectx);
      s.test_loss = r.loss;
      s.test_accuracy = r.accuracy;
    }
    s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    state.history.push_back(s);
    state.epochs_done = epoch + 1;
    if (on_epoch) on_epoch(state, opt);
  }
}

}  // namespace cimmc::network
