// Conv2d and Linear: the layers that are matrix products, and so the ones a crossbar computes.
// Both share GemmLayer, which owns weight and bias, quantization state (symmetric per-channel
// weights, unsigned per-tensor activations) and the three execution modes of RunContext:
// float, fake-quant (codes multiplied in float; QAT with straight-through estimators) and integer
// (codes through a GemmBackend, then requantized to float).
#pragma once

#include <vector>

#include "cimmc/network/layer.hpp"

namespace cimmc::network {

class GemmLayer : public Layer {
 public:
  GemmLayer(int out_features, int fan_in, bool bias);
  std::vector<Parameter*> parameters() override;
  Parameter& weight() { return weight_; }
  const Parameter& weight() const { return weight_; }
  Parameter& bias() { return bias_; }
  const Parameter& bias() const { return bias_; }
  bool has_bias() const { return has_bias_; }
  // Adds a bias parameter (zero) if there is none (BatchNorm folding).
  void enable_bias();
  int out_features() const { return out_; }
  int fan_in() const { return fan_in_; }  // K of the GEMM

  GemmQuant& quant() { return quant_; }
  const GemmQuant& quant() const { return quant_; }
  // Index among the model's GEMM layers (set by the Model).
  int gemm_index() const { return gemm_index_; }
  void set_gemm_index(int i) { gemm_index_ = i; }

  // Per-channel weight scale (max |w| over the channel / (2^(b-1) - 1); 1 for an all-zero
  // channel) and codes (round to nearest, ties away from zero) for the current weights.
  std::vector<float> weight_scales(int bits) const;
  std::vector<std::int8_t> weight_codes(int bits, const std::vector<float>& scales) const;

 protected:
  // Prepares the operands of a forward pass in `mode`: the weight matrix in compute units
  // (float weights, or weight codes) and the per-channel output scale.
  void prepare_weights(const RunContext& ctx);
  // Quantizes activations in place to codes (as floats) and records the STE mask.
  void quantize_activations(std::vector<float>& values, std::vector<std::uint8_t>* pass_mask) const;
  bool quantized(const RunContext& ctx) const { return ctx.mode != ExecMode::kFloat && quant_.enabled; }
  void check_quant_ready() const;
  // The integer GEMM of `rows` rows of `inner` activation codes (`images` images, row-major)
  // against the weight codes, on ctx.backend (the exact backend when none is set): M×N
  // accumulators, row-major.
  std::vector<double> integer_gemm(const RunContext& ctx, int rows, int inner, int images,
                                   const std::vector<std::uint8_t>& codes) const;

  int out_, fan_in_;
  bool has_bias_;
  Parameter weight_, bias_;
  GemmQuant quant_;
  int gemm_index_ = 0;
  // Filled by prepare_weights.
  std::vector<float> w_compute_;      // N×K in compute units
  std::vector<float> w_scales_;       // N weight scales (quantized) or empty
  std::vector<float> out_scale_;      // N: activation_scale · weight_scale (1 if float)
  std::vector<std::int8_t> w_codes_;  // integer mode
};

class Conv2d final : public GemmLayer {
 public:
  Conv2d(int in_channels, int out_channels, int kernel, int stride, int padding, bool bias);
  std::string kind() const override { return "conv2d"; }
  Attributes attributes() const override;
  Shape output_shape(const std::vector<Shape>& in) const override;
  void forward(std::span<const Tensor* const> in, Tensor& out, const RunContext& ctx) override;
  void backward(std::span<const Tensor* const> in, const Tensor& out, const Tensor& grad_out,
                std::span<Tensor* const> grad_in, const RunContext& ctx) override;
  // Inference: forward() followed, per image while its output is in cache, by a per-channel affine
  // map (batch norm with running statistics) into `affine_out`; if `residual` is set, the sum of
  // that and `residual` (an Add layer, a residual block's shortcut) into `sum_out`; and, if
  // `relu_out` is set, a ReLU of the last of these into `relu_out`: the values those layers'
  // forward() would compute.
  void forward_fused(std::span<const Tensor* const> in, Tensor& out, const RunContext& ctx,
                     const std::vector<float>& scale, const std::vector<float>& shift, Tensor& affine_out,
                     Tensor* relu_out, const Tensor* residual = nullptr, Tensor* sum_out = nullptr);
  int in_channels() const { return in_c_; }
  int kernel() const { return kernel_; }
  int stride() const { return stride_; }
  int padding() const { return padding_; }

 private:
  void im2col(const float* image, int H, int W, float* col) const;  // K × (OH·OW)
  // Its transpose, (OH·OW) × K, packed for sgemm::gemm (panels of the K columns).
  void im2col_transposed_packed(const float* image, int H, int W, float* packed) const;
  void col2im(const float* col, int H, int W, float* image) const;  // accumulates
  // Backward of one image of a stride-1 convolution without a hook (see backward()); dw is the
  // transposed weight gradient (K × out).
  void backward_image_stride1(const float* grad_out, const float* image, int H, int W, int OH, int OW,
                              const std::vector<int>& x_offsets, const std::vector<int>& g_offsets,
                              const std::vector<float>& wf_packed, std::size_t g_padded_size, std::vector<double>& db,
                              float* dw, float* dx) const;
  void forward_integer(const Tensor& x, Tensor& out, const RunContext& ctx);
  int in_c_, kernel_, stride_, padding_;
  std::vector<float> w_packed_;  // w_compute_ packed as the left operand of sgemm
  struct Epilogue {
    const std::vector<float>* scale;
    const std::vector<float>* shift;
    Tensor* affine_out;
    Tensor* relu_out;
    const Tensor* residual;
    Tensor* sum_out;
  };
  const Epilogue* epilogue_ = nullptr;   // set during forward_fused()
  std::vector<float> x_compute_;         // forward input in compute units (fake-quant)
  std::vector<std::uint8_t> pass_mask_;  // STE mask of the activation quantizer
};

class Linear final : public GemmLayer {
 public:
  Linear(int in_features, int out_features, bool bias);
  std::string kind() const override { return "linear"; }
  Attributes attributes() const override;
  Shape output_shape(const std::vector<Shape>& in) const override;
  void forward(std::span<const Tensor* const> in, Tensor& out, const RunContext& ctx) override;
  void backward(std::span<const Tensor* const> in, const Tensor& out, const Tensor& grad_out,
                std::span<Tensor* const> grad_in, const RunContext& ctx) override;

 private:
  void forward_integer(const Tensor& x, Tensor& out, const RunContext& ctx);
  std::vector<float> x_compute_;
  std::vector<std::uint8_t> pass_mask_;
};

// Quantization helpers shared with calibration and tests.
int activation_max_code(int bits);  // 2^bits - 1
int weight_max_code(int bits);      // 2^(bits-1) - 1
// Unsigned activation code of x (round half away from zero, clamped to [0, 2^bits - 1]).
std::uint8_t activation_code(float x, float scale, int bits);

}  // namespace cimmc::network
