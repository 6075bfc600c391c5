// GemmLayer, the base of Conv2d and Linear: parameters, weight and activation quantization.
#include "cimmc/network/gemm_layers.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#if defined(__AVX512F__) || defined(__AVX2__)
#include <immintrin.h>
#endif

#include "cimmc/core/error.hpp"
#include "cimmc/core/parallel.hpp"
#include "cimmc/network/quantize.hpp"
#include "cimmc/network/sgemm.hpp"
#include "ps_aware_gradient.hpp"

namespace cimmc::network {

int activation_max_code(int bits) { return (1 << bits) - 1; }
int weight_max_code(int bits) { return (1 << (bits - 1)) - 1; }

std::uint8_t activation_code(float x, float scale, int bits) {
  const float q = round_half_away(x / scale);
  return static_cast<std::uint8_t>(std::clamp(q, 0.0f, static_cast<float>(activation_max_code(bits))));
}

GemmLayer::GemmLayer(int out_features, int fan_in, bool bias) : out_(out_features), fan_in_(fan_in), has_bias_(bias) {
  weight_ = {"weight", Tensor({out_features, fan_in}), Tensor({out_features, fan_in}), true};
  if (bias) bias_ = {"bias", Tensor({out_features}), Tensor({out_features}), false};
}

std::vector<Parameter*> GemmLayer::parameters() {
  if (has_bias_) return {&weight_, &bias_};
  return {&weight_};
}

void GemmLayer::enable_bias() {
  if (has_bias_) return;
  has_bias_ = true;
  bias_ = {"bias", Tensor({out_}), Tensor({out_}), false};
}

namespace {
// Passes over at least this many values are split across threads (each output or element is
// computed alone, so the split does not change results).
constexpr std::size_t kParallelElements = std::size_t{1} << 15;
}  // namespace

std::vector<float> GemmLayer::weight_scales(int bits) const {
  const int K = fan_in_;
  std::vector<float> s(out_);
  const bool parallel = static_cast<std::size_t>(out_) * static_cast<std::size_t>(K) >= kParallelElements;
#pragma omp parallel for schedule(static) if (parallel)
  for (int n = 0; n < out_; ++n) {
    float m = 0.0f;
    for (int k = 0; k < K; ++k) m = std::max(m, std::abs(weight_.value.data[static_cast<std::size_t>(n) * K + k]));
    s[n] = m > 0.0f ? m / static_cast<float>(weight_max_code(bits)) : 1.0f;
  }
  return s;
}

std::vector<std::int8_t> GemmLayer::weight_codes(int bits, const std::vector<float>& scales) const {
  const int K = fan_in_, qmax = weight_max_code(bits);
  std::vector<std::int8_t> c(static_cast<std::size_t>(out_) * K);
#pragma omp parallel for schedule(static) if (c.size() >= kParallelElements)
  for (int n = 0; n < out_; ++n)
    for (int k = 0; k < K; ++k) {
      const std::size_t i = static_cast<std::size_t>(n) * K + k;
      const float q = round_half_away(weight_.value.data[i] / scales[n]);
      c[i] = static_cast<std::int8_t>(std::clamp(q, static_cast<float>(-qmax), static_cast<float>(qmax)));
    }
  return c;
}

void GemmLayer::check_quant_ready() const {
  if (!(quant_.activation_scale > 0.0f))
    throw core::ModelError(fmt::format("layer '{}': quantized execution needs a calibrated activation scale (found {})",
                                       name(), quant_.activation_scale));
  if (quant_.weight_bits < 2 || quant_.weight_bits > 8 || quant_.activation_bits < 1 || quant_.activation_bits > 8)
    throw core::ModelError(
        fmt::format("layer '{}': weight bits {} / activation bits {} outside the supported 2..8 / 1..8", name(),
                    quant_.weight_bits, quant_.activation_bits));
}

void GemmLayer::prepare_weights(const RunContext& ctx) {
  const std::size_t NK = static_cast<std::size_t>(out_) * fan_in_;
  if (!quantized(ctx)) {
    w_compute_.resize(NK);
    const float* src = weight_.value.data.data();
    float* dst = w_compute_.data();
#pragma omp parallel for schedule(static) if (NK >= kParallelElements)
    for (std::ptrdiff_t i = 0; i < static_cast<std::ptrdiff_t>(NK); ++i) dst[i] = src[i];
    w_scales_.clear();
    out_scale_.assign(out_, 1.0f);
    return;
  }
  check_quant_ready();
  w_scales_ = weight_scales(quant_.weight_bits);
  w_codes_ = weight_codes(quant_.weight_bits, w_scales_);
  w_compute_.resize(NK);
  const std::ptrdiff_t nk = static_cast<std::ptrdiff_t>(NK);
  float* w = w_compute_.data();
  const std::int8_t* codes = w_codes_.data();
#pragma omp parallel for schedule(static) if (NK >= kParallelElements)
  for (std::ptrdiff_t i = 0; i < nk; ++i) w[i] = static_cast<float>(codes[i]);
  out_scale_.resize(out_);
  for (int n = 0; n < out_; ++n) out_scale_[n] = quant_.activation_scale * w_scales_[n];
}

std::vector<double> GemmLayer::integer_gemm(const RunContext& ctx, int rows, int inner, int images,
                                            const std::vector<std::uint8_t>& codes) const {
  GemmProblem p;
  p.layer_index = gemm_index_;
  p.layer_name = name();
  p.M = rows, p.N = out_, p.K = inner;
  p.activations = codes.data();
  p.weights = w_codes_.data();
  p.activation_bits = quant_.activation_bits;
  p.weight_bits = quant_.weight_bits;
  p.activation_scale = quant_.activation_scale;
  p.weight_scales = w_scales_;
  p.image_offset = ctx.image_offset;
  p.images = images;
  std::vector<double> acc(static_cast<std::size_t>(rows) * out_);
  ExactGemmBackend exact;
  (ctx.backend ? *ctx.backend : exact).gemm(p, acc);
  return acc;
}

void GemmLayer::quantize_activations(std::vector<float>& v, std::vector<std::uint8_t>* mask) const {
  const float s = quant_.activation_scale, qmax = static_cast<float>(activation_max_code(quant_.activation_bits));
  const std::ptrdiff_t n = static_cast<std::ptrdiff_t>(v.size());
  float* x = v.data();
  if (mask) {
    mask->resize(v.size());
    std::uint8_t* pass = mask->data();
#pragma omp parallel for schedule(static) if (v.size() >= kParallelElements)
    for (std::ptrdiff_t i = 0; i < n; ++i) {
      const float q = x[i] / s;
      pass[i] = (q >= 0.0f && q <= qmax) ? 1 : 0;
      x[i] = std::clamp(round_half_away(q), 0.0f, qmax);
    }
    return;
  }
#pragma omp parallel for schedule(static) if (v.size() >= kParallelElements)
  for (std::ptrdiff_t i = 0; i < n; ++i) x[i] = std::clamp(round_half_away(x[i] / s), 0.0f, qmax);
}

}  // namespace cimmc::network
