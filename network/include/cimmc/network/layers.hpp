// The parameter-free layers: activations (ReLU, Hardtanh), pooling (max, average, global
// average), residual Add, Flatten. All batched NCHW; pooling parallel over the batch.
#pragma once

#include "cimmc/network/layer.hpp"

namespace cimmc::network {

class ReLU final : public Layer {
 public:
  std::string kind() const override { return "relu"; }
  Shape output_shape(const std::vector<Shape>& in) const override { return in.at(0); }
  void forward(std::span<const Tensor* const> in, Tensor& out, const RunContext& ctx) override;
  void backward(std::span<const Tensor* const> in, const Tensor& out, const Tensor& grad_out,
                std::span<Tensor* const> grad_in, const RunContext& ctx) override;
};

class Hardtanh final : public Layer {
 public:
  Hardtanh(float min_value, float max_value) : min_(min_value), max_(max_value) {}
  std::string kind() const override { return "hardtanh"; }
  Attributes attributes() const override;
  Shape output_shape(const std::vector<Shape>& in) const override { return in.at(0); }
  void forward(std::span<const Tensor* const> in, Tensor& out, const RunContext& ctx) override;
  void backward(std::span<const Tensor* const> in, const Tensor& out, const Tensor& grad_out,
                std::span<Tensor* const> grad_in, const RunContext& ctx) override;

 private:
  float min_, max_;
};

// Max or average pooling over kernel×kernel windows (no padding; a partial window at the edge is
// dropped, as in PyTorch's default floor mode).
class Pool2d final : public Layer {
 public:
  enum class Type { kMax, kAverage };
  Pool2d(Type type, int kernel, int stride) : type_(type), kernel_(kernel), stride_(stride) {}
  std::string kind() const override { return type_ == Type::kMax ? "maxpool2d" : "avgpool2d"; }
  Attributes attributes() const override;
  Shape output_shape(const std::vector<Shape>& in) const override;
  void forward(std::span<const Tensor* const> in, Tensor& out, const RunContext& ctx) override;
  void backward(std::span<const Tensor* const> in, const Tensor& out, const Tensor& grad_out,
                std::span<Tensor* const> grad_in, const RunContext& ctx) override;

 private:
  Type type_;
  int kernel_, stride_;
  std::vector<int> argmax_;  // max pooling: flat input index of each output's maximum
};

class GlobalAvgPool final : public Layer {
 public:
  std::string kind() const override { return "globalavgpool"; }
  Shape output_shape(const std::vector<Shape>& in) const override;
  void forward(std::span<const Tensor* const> in, Tensor& out, const RunContext& ctx) override;
  void backward(std::span<const Tensor* const> in, const Tensor& out, const Tensor& grad_out,
                std::span<Tensor* const> grad_in, const RunContext& ctx) override;
};

// Elementwise sum of two inputs of equal shape (residual connection).
class Add final : public Layer {
 public:
  std::string kind() const override { return "add"; }
  int arity() const override { return 2; }
  Shape output_shape(const std::vector<Shape>& in) const override;
  void forward(std::span<const Tensor* const> in, Tensor& out, const RunContext& ctx) override;
  void backward(std::span<const Tensor* const> in, const Tensor& out, const Tensor& grad_out,
                std::span<Tensor* const> grad_in, const RunContext& ctx) override;
};

class Flatten final : public Layer {
 public:
  std::string kind() const override { return "flatten"; }
  Shape output_shape(const std::vector<Shape>& in) const override;
  void forward(std::span<const Tensor* const> in, Tensor& out, const RunContext& ctx) override;
  void backward(std::span<const Tensor* const> in, const Tensor& out, const Tensor& grad_out,
                std::span<Tensor* const> grad_in, const RunContext& ctx) override;
};

// BatchNorm over channel axis 1 of (N, C) or (N, C, H, W) data. Training normalizes with the
// batch statistics and updates running ones (momentum 0.1, unbiased variance, as PyTorch);
// inference uses the running statistics.
class BatchNorm final : public Layer {
 public:
  BatchNorm(int channels, float eps = 1e-5f, float momentum = 0.1f);
  std::string kind() const override { return "batchnorm"; }
  Attributes attributes() const override;
  Shape output_shape(const std::vector<Shape>& in) const override;
  void forward(std::span<const Tensor* const> in, Tensor& out, const RunContext& ctx) override;
  void backward(std::span<const Tensor* const> in, const Tensor& out, const Tensor& grad_out,
                std::span<Tensor* const> grad_in, const RunContext& ctx) override;
  std::vector<Parameter*> parameters() override { return {&gamma_, &beta_}; }
  std::vector<std::pair<std::string, Tensor*>> buffers() override {
    return {{"running_mean", &running_mean_}, {"running_var", &running_var_}};
  }
  int channels() const { return channels_; }
  float eps() const { return eps_; }
  const Parameter& gamma() const { return gamma_; }
  const Parameter& beta() const { return beta_; }
  const Tensor& running_mean() const { return running_mean_; }
  const Tensor& running_var() const { return running_var_; }
  // Inference (running statistics): out = x · scale[c] + shift[c], exactly as forward() computes
  // it when not training; records the statistics for backward() as forward() does.
  void inference_affine(std::vector<float>& scale, std::vector<float>& shift);

 private:
  int channels_;
  float eps_, momentum_;
  Parameter gamma_, beta_;
  Tensor running_mean_, running_var_;
  std::vector<float> batch_mean_, batch_inv_std_;  // kept for backward
  bool last_training_ = false;
};

}  // namespace cimmc::network
