#include "cimmc/network/quantize.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "cimmc/core/error.hpp"
#include "cimmc/core/rng.hpp"
#include "cimmc/core/rng_distributions.hpp"
#include "cimmc/network/layers.hpp"

namespace cimmc::network {

void QuantOptions::validate() const {
  std::vector<std::string> p;
  if (weight_bits < 2 || weight_bits > 8) p.push_back(fmt::format("weight bits = {} (expected 2..8)", weight_bits));
  if (activation_bits < 1 || activation_bits > 8)
    p.push_back(fmt::format("activation bits = {} (expected 1..8)", activation_bits));
  if (input_bits < 1 || input_bits > 8) p.push_back(fmt::format("input bits = {} (expected 1..8)", input_bits));
  if (calibration_images < 1) p.push_back(fmt::format("calibration images = {} (expected >= 1)", calibration_images));
  if (!p.empty()) {
    std::string msg = "quantization options:";
    for (const auto& s : p) msg += "\n  " + s;
    throw core::ConfigError(msg);
  }
}

Model fold_batchnorm(const Model& src) {
  Model m = src.clone();
  auto& nodes = m.nodes();
  const int n = static_cast<int>(nodes.size());
  std::vector<int> consumers(n, 0);
  for (const auto& node : nodes)
    for (int j : node.inputs) ++consumers[j];
  std::vector<int> remap(n, -1);  // old index -> index of the node that replaces it
  std::vector<Node> kept;
  for (int i = 0; i < n; ++i) {
    Node& node = nodes[i];
    auto* bn = dynamic_cast<BatchNorm*>(node.layer.get());
    if (bn && node.inputs.size() == 1 && consumers[node.inputs[0]] == 1) {
      const int j = node.inputs[0];
      if (auto* g = remap[j] >= 0 ? dynamic_cast<GemmLayer*>(kept[remap[j]].layer.get()) : nullptr) {
        g->enable_bias();
        const int C = g->out_features(), K = g->fan_in();
        for (int c = 0; c < C; ++c) {
          const float a = bn->gamma().value.data[c] / std::sqrt(bn->running_var().data[c] + bn->eps());
          float* w = g->weight().value.data.data() + static_cast<std::size_t>(c) * K;
          for (int k = 0; k < K; ++k) w[k] *= a;
          float& b = g->bias().value.data[c];
          b = a * (b - bn->running_mean().data[c]) + bn->beta().value.data[c];
        }
        remap[i] = remap[j];
        continue;
      }
    }
    for (int& in : node.inputs) in = remap[in];
    remap[i] = static_cast<int>(kept.size());
    kept.push_back(std::move(node));
  }
  m.reset_nodes(std::move(kept));
  return m;
}

float optimal_clip(const std::vector<float>& v, int bits) {
  float vmax = 0.0f;
  for (float x : v) vmax = std::max(vmax, x);
  if (!(vmax > 0.0f)) return 1.0f;
  const float qmax = static_cast<float>((1 << bits) - 1);
  float best_clip = vmax;
  double best_err = -1.0;
  for (int i = 1; i <= 200; ++i) {
    const float clip = vmax * static_cast<float>(i) / 200.0f;
    const float s = clip / qmax;
    double err = 0.0;
    for (float x : v) {
      const float q = std::clamp(round_half_away(x / s), 0.0f, qmax) * s;
      err += static_cast<double>(x - q) * (x - q);
    }
    if (best_err < 0 || err < best_err) best_err = err, best_clip = clip;
  }
  return best_clip;
}

void calibrate(Model& model, const Dataset& data, const QuantOptions& o) {
  o.validate();
  if (data.size() == 0) throw core::ArgumentError("calibration: the dataset is empty");
  const int count = std::min(o.calibration_images, data.size());
  // A random subset, so that calibration does not depend on how the set is ordered.
  std::vector<int> idx(data.size());
  for (int i = 0; i < data.size(); ++i) idx[i] = i;
  core::rng::Stream s(o.seed, {core::rng::Purpose::kCalibrationSubset, 0, 0, 0});
  core::rng::partial_shuffle(s, std::span<int>(idx), static_cast<std::size_t>(count));
  idx.resize(count);
  std::sort(idx.begin(), idx.end());

  auto& nodes = model.nodes();
  std::vector<int> gemm_nodes;
  for (std::size_t i = 0; i < nodes.size(); ++i)
    if (dynamic_cast<GemmLayer*>(nodes[i].layer.get())) gemm_nodes.push_back(static_cast<int>(i));
  // Keep about 200 000 samples per layer (a fixed stride through each activation tensor).
  std::vector<std::vector<float>> samples(gemm_nodes.size());
  Tensor x;
  std::vector<int> labels;
  RunContext ctx;  // float, inference
  for (int b0 = 0; b0 < count; b0 += 128) {
    const int bs = std::min(128, count - b0);
    make_batch(data, std::span<const int>(idx).subspan(b0, bs), x, labels);
    model.forward(x, ctx);
    for (std::size_t g = 0; g < gemm_nodes.size(); ++g) {
      const int in = nodes[gemm_nodes[g]].inputs[0];
      if (in == 0) continue;
      const Tensor& a = model.activation(in);
      const std::size_t total = a.item_size() * static_cast<std::size_t>(count);
      const std::size_t stride = std::max<std::size_t>(1, total / 200000);
      for (std::size_t e = 0; e < a.size(); e += stride) samples[g].push_back(a.data[e]);
    }
  }
  for (std::size_t g = 0; g < gemm_nodes.size(); ++g) {
    auto* layer = dynamic_cast<GemmLayer*>(nodes[gemm_nodes[g]].layer.get());
    GemmQuant& q = layer->quant();
    q.enabled = true;
    q.weight_bits = o.weight_bits;
    if (nodes[gemm_nodes[g]].inputs[0] == 0) {
      q.activation_bits = o.input_bits;
      q.activation_scale = 1.0f / 255.0f;
    } else {
      for (float v : samples[g])
        if (v < 0.0f)
          throw core::ModelError(
              fmt::format("calibration: layer '{}' receives negative activations ({}); unsigned quantization "
                          "needs a ReLU (or the image) before every Conv2d/Linear",
                          layer->name(), v));
      q.activation_bits = o.activation_bits;
      q.activation_scale =
          optimal_clip(samples[g], o.activation_bits) / static_cast<float>((1 << o.activation_bits) - 1);
    }
  }
}

Model quantize_model(const Model& model, const Dataset& data, const QuantOptions& o) {
  Model m = fold_batchnorm(model);
  calibrate(m, data, o);
  return m;
}

}  // namespace cimmc::network
