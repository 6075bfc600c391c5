// Linear: the float and integer forward passes and the backward pass.
#include "cimmc/network/gemm_layers.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#if defined(__AVX512F__) || defined(__AVX2__)
#include <immintrin.h>
#endif

#include "cimmc/core/error.hpp"
#include "cimmc/core/parallel.hpp"
#include "cimmc/network/sgemm.hpp"
#include "gemm_layer_context.hpp"
#include "ps_aware_gradient.hpp"

namespace cimmc::network {

Linear::Linear(int in_features, int out_features, bool bias) : GemmLayer(out_features, in_features, bias) {}

Attributes Linear::attributes() const { return {{"out", std::to_string(out_)}, {"bias", has_bias_ ? "1" : "0"}}; }

Shape Linear::output_shape(const std::vector<Shape>& in) const {
  const Shape& s = in.at(0);
  if (s.size() != 1 || s[0] != fan_in_)
    throw core::ModelError(fmt::format("layer '{}': linear with {} inputs got input {} (add a flatten layer?)", name(),
                                       fan_in_, shape_text(s)));
  return {out_};
}

void Linear::forward(std::span<const Tensor* const> in, Tensor& out, const RunContext& ctx) {
  const Tensor& x = *in[0];
  if (ctx.mode == ExecMode::kInteger && quant_.enabled) return forward_integer(x, out, ctx);
  const int B = x.shape[0], K = fan_in_;
  output_shape({{static_cast<int>(x.item_size())}});
  prepare_weights(ctx);
  const bool q = quantized(ctx);
  const float* xin = x.data.data();
  if (q) {
    x_compute_ = x.data;
    quantize_activations(x_compute_, ctx.training ? &pass_mask_ : nullptr);
    xin = x_compute_.data();
  }
  out.resize({B, out_});
  const ConstMatrixMap Wm(w_compute_.data(), out_, K);
  const int chunks = (B + kChunk - 1) / kChunk;
  core::ExceptionCapture errors;
#pragma omp parallel for schedule(static)
  for (int ch = 0; ch < chunks; ++ch) {
    errors.run([&] {
      const int b0 = ch * kChunk, rows = std::min(B, b0 + kChunk) - b0;
      const ConstMatrixMap X(xin + static_cast<std::size_t>(b0) * K, rows, K);
      MatrixMap Y(out.data.data() + static_cast<std::size_t>(b0) * out_, rows, out_);
      Y.noalias() = X * Wm.transpose();
      if (ctx.hook) {
        const auto h =
            hook_context(*this, ctx, rows, out_, K, MatrixView{const_cast<float*>(X.data()), rows, K, K, 1},
                         MatrixView{w_compute_.data(), out_, K, K, 1}, w_scales_, ctx.image_offset + b0, rows);
        ctx.hook->forward(h, MatrixView{Y.data(), rows, out_, out_, 1});
      }
      for (int r = 0; r < rows; ++r)
        for (int c = 0; c < out_; ++c) Y(r, c) = Y(r, c) * out_scale_[c] + (has_bias_ ? bias_.value.data[c] : 0.0f);
    });
  }
  errors.rethrow();
}

void Linear::backward(std::span<const Tensor* const> in, const Tensor&, const Tensor& g, std::span<Tensor* const> gin,
                      const RunContext& ctx) {
  const Tensor& x = *in[0];
  const int B = x.shape[0], K = fan_in_;
  const bool q = quantized(ctx);
  const float* xin = q ? x_compute_.data() : x.data.data();
  const ConstMatrixMap Wm(w_compute_.data(), out_, K);
  if (gin[0]) gin[0]->resize(x.shape);
  const int chunks = (B + kChunk - 1) / kChunk;
  std::vector<RowMatrix> dw(chunks);
  std::vector<std::vector<double>> db(chunks);
  core::ExceptionCapture errors;
#pragma omp parallel for schedule(static)
  for (int ch = 0; ch < chunks; ++ch) {
    errors.run([&] {
      const int b0 = ch * kChunk, rows = std::min(B, b0 + kChunk) - b0;
      RowMatrix gc(rows, out_);
      std::vector<int> bounds;
      std::vector<float> scales;
      bool ranged = false;
      db[ch].assign(out_, 0.0);
      for (int r = 0; r < rows; ++r)
        for (int c = 0; c < out_; ++c) {
          const float v = g.data[static_cast<std::size_t>(b0 + r) * out_ + c];
          db[ch][c] += v;
          gc(r, c) = v * out_scale_[c];
        }
      const ConstMatrixMap X(xin + static_cast<std::size_t>(b0) * K, rows, K);
      if (ctx.hook) {
        const auto h =
            hook_context(*this, ctx, rows, out_, K, MatrixView{const_cast<float*>(X.data()), rows, K, K, 1},
                         MatrixView{w_compute_.data(), out_, K, K, 1}, w_scales_, ctx.image_offset + b0, rows);
        ctx.hook->backward(h, MatrixView{gc.data(), rows, out_, out_, 1});
        ranged = ctx.hook->range_scales(h, bounds, scales);
      }
      if (ranged) {
        // In the (outputs × rows) orientation of ps_aware_backward: transposed views.
        dw[ch] = RowMatrix::Zero(out_, K);
        float* dx = gin[0] ? gin[0]->data.data() + static_cast<std::size_t>(b0) * K : nullptr;
        MatrixMap DX(dx, rows, K);
        auto DXt = DX.transpose();
        ps_aware_backward(bounds, scales, gc.transpose(), X.transpose(), Wm, dw[ch], gin[0] ? &DXt : nullptr);
      } else {
        dw[ch].noalias() = gc.transpose() * X;
      }
      if (gin[0]) {
        MatrixMap DX(gin[0]->data.data() + static_cast<std::size_t>(b0) * K, rows, K);
        if (!ranged) DX.noalias() = gc * Wm;
        if (q) {
          const float inv = 1.0f / quant_.activation_scale;
          const std::uint8_t* m = pass_mask_.data() + static_cast<std::size_t>(b0) * K;
          for (std::size_t i = 0; i < static_cast<std::size_t>(rows) * K; ++i)
            DX.data()[i] = m[i] ? DX.data()[i] * inv : 0.0f;
        }
      }
    });
  }
  errors.rethrow();
  for (int ch = 0; ch < chunks; ++ch)
    for (int c = 0; c < out_; ++c) {
      const float inv_ws = q ? 1.0f / w_scales_[c] : 1.0f;
      float* wg = weight_.grad.data.data() + static_cast<std::size_t>(c) * K;
      for (int k = 0; k < K; ++k) wg[k] += dw[ch](c, k) * inv_ws;
      if (has_bias_) bias_.grad.data[c] += static_cast<float>(db[ch][c]);
    }
}

void Linear::forward_integer(const Tensor& x, Tensor& out, const RunContext& ctx) {
  check_quant_ready();
  const int B = x.shape[0], K = fan_in_;
  w_scales_ = weight_scales(quant_.weight_bits);
  w_codes_ = weight_codes(quant_.weight_bits, w_scales_);
  std::vector<std::uint8_t> a(x.size());
  for (std::size_t i = 0; i < x.size(); ++i)
    a[i] = activation_code(x.data[i], quant_.activation_scale, quant_.activation_bits);
  const std::vector<double> acc = integer_gemm(ctx, B, K, B, a);
  out.resize({B, out_});
  for (int b = 0; b < B; ++b)
    for (int c = 0; c < out_; ++c)
      out.data[static_cast<std::size_t>(b) * out_ + c] = static_cast<float>(
          acc[static_cast<std::size_t>(b) * out_ + c] * (static_cast<double>(quant_.activation_scale) * w_scales_[c]) +
          (has_bias_ ? bias_.value.data[c] : 0.0));
}

}  // namespace cimmc::network
