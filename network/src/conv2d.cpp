// Conv2d: im2col (plain, packed, transposed-packed) and col2im, the float, fused and integer forward passes and the
// backward pass.
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

Conv2d::Conv2d(int in_channels, int out_channels, int kernel, int stride, int padding, bool bias)
    : GemmLayer(out_channels, in_channels * kernel * kernel, bias),
      in_c_(in_channels),
      kernel_(kernel),
      stride_(stride),
      padding_(padding) {
  weight_.value.shape = weight_.grad.shape = {out_channels, in_channels, kernel, kernel};
}

Attributes Conv2d::attributes() const {
  return {{"out", std::to_string(out_)},
          {"kernel", std::to_string(kernel_)},
          {"stride", std::to_string(stride_)},
          {"padding", std::to_string(padding_)},
          {"bias", has_bias_ ? "1" : "0"}};
}

Shape Conv2d::output_shape(const std::vector<Shape>& in) const {
  const Shape& s = in.at(0);
  if (s.size() != 3 || s[0] != in_c_)
    throw core::ModelError(
        fmt::format("layer '{}': conv2d with {} input channels got input {}", name(), in_c_, shape_text(s)));
  const int oh = (s[1] + 2 * padding_ - kernel_) / stride_ + 1, ow = (s[2] + 2 * padding_ - kernel_) / stride_ + 1;
  if (oh <= 0 || ow <= 0)
    throw core::ModelError(fmt::format("layer '{}': input {} too small for kernel {}", name(), shape_text(s), kernel_));
  return {out_, oh, ow};
}

namespace {
// Short copies and fills inside im2col (runs of one output row), inline instead of library calls.
inline void copy_floats(float* __restrict d, const float* __restrict s, int n) {
#if defined(__AVX512F__)
  int i = 0;
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(d + i, _mm512_loadu_ps(s + i));
  if (i < n) {
    const __mmask16 m = static_cast<__mmask16>((1u << (n - i)) - 1);
    _mm512_mask_storeu_ps(d + i, m, _mm512_maskz_loadu_ps(m, s + i));
  }
#elif defined(__AVX2__)
  int i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(d + i, _mm256_loadu_ps(s + i));
  for (; i < n; ++i) d[i] = s[i];
#else
  std::copy(s, s + n, d);
#endif
}
inline void zero_floats(float* d, int n) {
#if defined(__AVX512F__)
  int i = 0;
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(d + i, _mm512_setzero_ps());
  if (i < n) _mm512_mask_storeu_ps(d + i, static_cast<__mmask16>((1u << (n - i)) - 1), _mm512_setzero_ps());
#elif defined(__AVX2__)
  int i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(d + i, _mm256_setzero_ps());
  for (; i < n; ++i) d[i] = 0.0f;
#else
  std::fill_n(d, n, 0.0f);
#endif
}
// A zero-padded copy of `planes` planes of h × w values: planes of (h + 2·pad) × (w + 2·pad),
// then zeros up to `size` floats.
inline void pad_planes(const float* src, int planes, int h, int w, int pad, float* dst, std::size_t size) {
  const int hp = h + 2 * pad, wp = w + 2 * pad;
  const std::size_t plane = static_cast<std::size_t>(hp) * wp;
  for (int c = 0; c < planes; ++c) {
    float* d = dst + c * plane;
    zero_floats(d, pad * wp);
    for (int y = 0; y < h; ++y) {
      float* r = d + static_cast<std::size_t>(y + pad) * wp;
      zero_floats(r, pad);
      copy_floats(r + pad, src + (static_cast<std::size_t>(c) * h + y) * w, w);
      zero_floats(r + pad + w, pad);
    }
    zero_floats(d + static_cast<std::size_t>(h + pad) * wp, pad * wp);
  }
  std::fill(dst + planes * plane, dst + size, 0.0f);
}
// The S² phase planes of the zero-padded image (see Conv2d::forward): plane (py, px), channel c,
// position (i, j) < (Hq, Wq) holds padded pixel (S·i + py, S·j + px); then zeros up to `size`.
void pad_phase_planes(const float* src, int channels, int h, int w, int pad, int S, int Hq, int Wq, float* dst,
                      std::size_t size) {
  const std::size_t plane = static_cast<std::size_t>(channels) * Hq * Wq;
  for (int py = 0; py < S; ++py)
    for (int px = 0; px < S; ++px) {
      // Columns j whose pixel x = S·j + px − pad lies in [0, w): [j0, j1).
      const int j0 = std::min(Wq, std::max(0, (pad - px + S - 1) / S));
      const int last = w - 1 + pad - px;  // x ≤ w − 1  ⇔  S·j ≤ last
      const int j1 = last < 0 ? j0 : std::max(j0, std::min(Wq, last / S + 1));
      float* d = dst + static_cast<std::size_t>(py * S + px) * plane;
      for (int c = 0; c < channels; ++c)
        for (int i = 0; i < Hq; ++i, d += Wq) {
          const int y = S * i + py - pad;
          if (y < 0 || y >= h) {
            zero_floats(d, Wq);
            continue;
          }
          const float* s = src + (static_cast<std::size_t>(c) * h + y) * w + (S * j0 + px - pad);
          zero_floats(d, j0);
          for (int j = j0; j < j1; ++j) d[j] = s[(j - j0) * S];
          zero_floats(d + j1, Wq - j1);
        }
    }
  std::fill(dst + static_cast<std::size_t>(S) * S * plane, dst + size, 0.0f);
}

// The output columns ox whose input column ox·stride − padding + kx lies inside [0, W): [lo, hi).
inline void valid_columns(int OW, int W, int stride, int padding, int kx, int& lo, int& hi) {
  const int a = padding - kx;  // x ≥ 0  ⇔  ox·stride ≥ a
  lo = a <= 0 ? 0 : (a + stride - 1) / stride;
  const int b = W - 1 + padding - kx;  // x ≤ W − 1  ⇔  ox·stride ≤ b
  hi = b < 0 ? 0 : std::min(OW, b / stride + 1);
  lo = std::min(lo, hi);
}

// The end of a channel's forward in one pass over the GEMM's rows (`rows` rows of `cols` values,
// `pitch` apart in `t`): y = t, or t · s + b when the output is scaled; with an epilogue also the
// affine map a = y · sc + sh, with a residual the sum u = a + x (an Add layer), and with a ReLU
// r = max(u, 0) (max(a, 0) without a residual). Each value goes through the same operations, in the
// same order, as in the separate passes and layers; `t` may be `y` itself (pitch = cols).
struct ChannelOut {
  float s, b, sc, sh;
  float *y, *a, *u, *r;
  const float* x;  // the residual
};
template <bool kScaled, bool kAffine, bool kResidual, bool kRelu>
void finish_channel(const float* t, std::ptrdiff_t pitch, int rows, int cols, const ChannelOut& o) {
  for (int row = 0; row < rows; ++row, t += pitch) {
    const std::ptrdiff_t first = static_cast<std::ptrdiff_t>(row) * cols;
#pragma omp simd
    for (int i = 0; i < cols; ++i) {
      const std::ptrdiff_t j = first + i;
      float v = t[i];
      if constexpr (kScaled) v = v * o.s + o.b;
      o.y[j] = v;
      if constexpr (kAffine) {
        float w = v * o.sc + o.sh;
        o.a[j] = w;
        if constexpr (kResidual) {
          w = w + o.x[j];
          o.u[j] = w;
        }
        if constexpr (kRelu) o.r[j] = w > 0.0f ? w : 0.0f;
      }
    }
  }
}
using FinishFn = void (*)(const float*, std::ptrdiff_t, int, int, const ChannelOut&);
template <bool kScaled>
FinishFn finish_function(bool affine, bool residual, bool relu) {
  if (!affine) return finish_channel<kScaled, false, false, false>;
  if (residual) return relu ? finish_channel<kScaled, true, true, true> : finish_channel<kScaled, true, true, false>;
  return relu ? finish_channel<kScaled, true, false, true> : finish_channel<kScaled, true, false, false>;
}
FinishFn finish_function(bool scaled, bool affine, bool residual, bool relu) {
  return scaled ? finish_function<true>(affine, residual, relu) : finish_function<false>(affine, residual, relu);
}
}  // namespace

void Conv2d::im2col(const float* image, int H, int W, float* col) const {
  const int OH = (H + 2 * padding_ - kernel_) / stride_ + 1, OW = (W + 2 * padding_ - kernel_) / stride_ + 1;
  const int P = OH * OW;
  for (int c = 0; c < in_c_; ++c)
    for (int ky = 0; ky < kernel_; ++ky)
      for (int kx = 0; kx < kernel_; ++kx) {
        float* row = col + static_cast<std::size_t>((c * kernel_ + ky) * kernel_ + kx) * P;
        const float* src = image + static_cast<std::size_t>(c) * H * W;
        int lo, hi;
        valid_columns(OW, W, stride_, padding_, kx, lo, hi);
        for (int oy = 0; oy < OH; ++oy) {
          const int y = oy * stride_ - padding_ + ky;
          float* r = row + oy * OW;
          if (y < 0 || y >= H) {
            std::fill_n(r, OW, 0.0f);
            continue;
          }
          const float* s = src + static_cast<std::ptrdiff_t>(y) * W - padding_ + kx;
          std::fill(r, r + lo, 0.0f);
          if (stride_ == 1) std::copy(s + lo, s + hi, r + lo);
          else
            for (int ox = lo; ox < hi; ++ox) r[ox] = s[ox * stride_];
          std::fill(r + hi, r + OW, 0.0f);
        }
      }
}

void Conv2d::im2col_transposed_packed(const float* image, int H, int W, float* packed) const {
  const int OH = (H + 2 * padding_ - kernel_) / stride_ + 1, OW = (W + 2 * padding_ - kernel_) / stride_ + 1;
  const int P = OH * OW, K = fan_in_, nr = sgemm::panel_width();
  const std::ptrdiff_t panel = static_cast<std::ptrdiff_t>(P) * nr;  // element (p, k) at (k / nr)·panel + p·nr + k % nr
  const int Kpad = static_cast<int>(sgemm::round_up(K, nr));
  for (int oy = 0; oy < OH; ++oy)
    for (int ox = 0; ox < OW; ++ox) {
      const int p = oy * OW + ox, x0 = ox * stride_ - padding_;
      float* d = packed + static_cast<std::ptrdiff_t>(p) * nr;
      int off = 0;  // k % nr
      auto next = [&] {
        if (++off == nr) off = 0, d += panel - (nr - 1);
        else ++d;
      };
      const bool inside_x = x0 >= 0 && x0 + kernel_ <= W;
      for (int c = 0; c < in_c_; ++c) {
        const float* src = image + static_cast<std::size_t>(c) * H * W;
        for (int ky = 0; ky < kernel_; ++ky) {
          const int y = oy * stride_ - padding_ + ky;
          if (y < 0 || y >= H) {
            for (int kx = 0; kx < kernel_; ++kx) *d = 0.0f, next();
            continue;
          }
          const float* s = src + static_cast<std::ptrdiff_t>(y) * W + x0;
          if (inside_x)
            for (int kx = 0; kx < kernel_; ++kx) *d = s[kx], next();
          else
            for (int kx = 0; kx < kernel_; ++kx) *d = (x0 + kx >= 0 && x0 + kx < W) ? s[kx] : 0.0f, next();
        }
      }
      for (int k = K; k < Kpad; ++k) *d = 0.0f, next();
    }
}

void Conv2d::col2im(const float* col, int H, int W, float* image) const {
  const int OH = (H + 2 * padding_ - kernel_) / stride_ + 1, OW = (W + 2 * padding_ - kernel_) / stride_ + 1;
  const int P = OH * OW;
  for (int c = 0; c < in_c_; ++c)
    for (int ky = 0; ky < kernel_; ++ky)
      for (int kx = 0; kx < kernel_; ++kx) {
        const float* row = col + static_cast<std::size_t>((c * kernel_ + ky) * kernel_ + kx) * P;
        float* dst = image + static_cast<std::size_t>(c) * H * W;
        int lo, hi;
        valid_columns(OW, W, stride_, padding_, kx, lo, hi);
        for (int oy = 0; oy < OH; ++oy) {
          const int y = oy * stride_ - padding_ + ky;
          if (y < 0 || y >= H) continue;
          float* d = dst + static_cast<std::ptrdiff_t>(y) * W - padding_ + kx;
          const float* r = row + oy * OW;
          if (stride_ == 1)
            for (int ox = lo; ox < hi; ++ox) d[ox] += r[ox];
          else
            for (int ox = lo; ox < hi; ++ox) d[ox * stride_] += r[ox];
        }
      }
}

void Conv2d::forward(std::span<const Tensor* const> in, Tensor& out, const RunContext& ctx) {
  const Tensor& x = *in[0];
  if (ctx.mode == ExecMode::kInteger && quant_.enabled) return forward_integer(x, out, ctx);
  const int N = x.shape[0], H = x.shape[2], W = x.shape[3];
  const Shape os = output_shape({{x.shape[1], H, W}});
  const int P = os[1] * os[2], K = fan_in_;
  prepare_weights(ctx);
  const bool q = quantized(ctx);
  const float* xin = x.data.data();
  if (q) {
    x_compute_ = x.data;
    quantize_activations(x_compute_, ctx.training ? &pass_mask_ : nullptr);
    xin = x_compute_.data();
  }
  out.resize({N, out_, os[1], os[2]});
  const std::size_t in_size = x.item_size();
  bool scaled = has_bias_;
  for (float s : out_scale_) scaled = scaled || s != 1.0f;
  w_packed_.resize(sgemm::packed_a_size(out_, K));
  const int mr = sgemm::panel_rows(), panels = (out_ + mr - 1) / mr;
  // The product reads the zero-padded image in place of an im2col matrix (docs/performance.md,
  // "The ResNet-20 forward in one pass per output"). With stride S the padded image is split into S² phase planes,
  // plane (py, px) holding padded pixel (S·i + py, S·j + px) at (i, j) (Hq × Wq per channel); with S = 1 there is one
  // plane, the padded image itself. Output column q = oy·Wq + ox of the "wide" product is position (oy, ox) (columns ox
  // ≥ OW are dropped), and row k = (c, ky, kx) of B starts in plane (ky mod S, kx mod S) at (c·Hq + ky / S)·Wq + kx /
  // S, so that it reads padded pixel (S·oy + ky, S·ox + kx). The products and their order are those of the im2col
  // product.
  const int OH = os[1], OW = os[2], S = stride_;
  const int Hq = (H + 2 * padding_ + S - 1) / S, Wq = (W + 2 * padding_ + S - 1) / S;
  const int wide = (OH - 1) * Wq + OW;
  const std::size_t plane = static_cast<std::size_t>(in_c_) * Hq * Wq;
  std::vector<int> offsets(K);
  for (int c = 0; c < in_c_; ++c)
    for (int ky = 0; ky < kernel_; ++ky)
      for (int kx = 0; kx < kernel_; ++kx)
        offsets[(c * kernel_ + ky) * kernel_ + kx] =
            static_cast<int>(((ky % S) * S + kx % S) * plane) + (c * Hq + ky / S) * Wq + kx / S;
  const std::size_t padded_size = std::max(static_cast<std::size_t>(S) * S * plane,
                                           static_cast<std::size_t>(*std::max_element(offsets.begin(), offsets.end())) +
                                               sgemm::round_up(wide, sgemm::panel_width()));
  // Without a hook, the output rows are finished (copied out of the wide product, scaled, and
  // the epilogue applied) in one pass while they are in cache. With a hook, the output is scaled
  // after the hook (even at scale 1, as always) and finished in place.
  const Epilogue* e = epilogue_;
  const bool affine = e != nullptr, residual = e && e->residual, relu = e && e->relu_out;
  const FinishFn finish = finish_function(scaled || ctx.hook, affine, residual, relu);
  const std::size_t item = static_cast<std::size_t>(out_) * P;
  core::ExceptionCapture errors;
#pragma omp parallel
  {
    // The weights, packed a panel of rows per iteration (the same floats as one pack_a call).
#pragma omp for schedule(static)
    for (int p = 0; p < panels; ++p) {
      const std::ptrdiff_t first = static_cast<std::ptrdiff_t>(p) * mr * K;
      sgemm::pack_a(std::min(mr, out_ - p * mr), K, w_compute_.data() + first, K, 1, w_packed_.data() + first);
    }
#pragma omp for schedule(static)
    for (int n = 0; n < N; ++n) {
      errors.run([&] {
        float* y = out.item(n);
        auto at = [&](Tensor* t) { return t ? t->data.data() + n * item : nullptr; };
        float *a = affine ? at(e->affine_out) : nullptr, *u = residual ? at(e->sum_out) : nullptr,
              *r = relu ? at(e->relu_out) : nullptr;
        const float* x_res = residual ? e->residual->data.data() + n * item : nullptr;
        // Channel c of the product (`rows` rows of `cols`, `pitch` apart; channels `channel` apart).
        auto finish_all = [&](const float* t, std::ptrdiff_t pitch, int rows, int cols, std::ptrdiff_t channel) {
          for (int c = 0; c < out_; ++c) {
            const std::size_t o = static_cast<std::size_t>(c) * P;
            auto plus = [o](auto* p) { return p ? p + o : nullptr; };
            const ChannelOut co{out_scale_[c],
                                has_bias_ ? bias_.value.data[c] : 0.0f,
                                affine ? (*e->scale)[c] : 0.0f,
                                affine ? (*e->shift)[c] : 0.0f,
                                y + o,
                                plus(a),
                                plus(u),
                                plus(r),
                                plus(x_res)};
            finish(t + c * channel, pitch, rows, cols, co);
          }
        };
        float* xp = sgemm::scratch(0, padded_size);
        if (S == 1) pad_planes(xin + n * in_size, in_c_, H, W, padding_, xp, padded_size);
        else pad_phase_planes(xin + n * in_size, in_c_, H, W, padding_, S, Hq, Wq, xp, padded_size);
        float* t = sgemm::scratch(2, static_cast<std::size_t>(out_) * wide);
        sgemm::gemm_offsets(out_, wide, K, w_packed_.data(), xp, offsets.data(), t, wide, false);
        if (!ctx.hook) return finish_all(t, Wq, OH, OW, wide);
        for (int c = 0; c < out_; ++c)
          for (int oy = 0; oy < OH; ++oy)
            copy_floats(y + static_cast<std::size_t>(c) * P + oy * OW, t + static_cast<std::size_t>(c) * wide + oy * Wq,
                        OW);
        // With a hook: the hook sees the unscaled product, then the output is finished in place.
        float* col = sgemm::scratch(1, static_cast<std::size_t>(K) * P);
        im2col(xin + n * in_size, H, W, col);
        const auto h = hook_context(*this, ctx, P, out_, K, MatrixView{col, P, K, 1, P},
                                    MatrixView{w_compute_.data(), out_, K, K, 1}, w_scales_, ctx.image_offset + n, 1);
        ctx.hook->forward(h, MatrixView{y, P, out_, 1, P});
        finish_all(y, P, 1, P, P);
      });
    }
  }
  errors.rethrow();
}

void Conv2d::forward_fused(std::span<const Tensor* const> in, Tensor& out, const RunContext& ctx,
                           const std::vector<float>& scale, const std::vector<float>& shift, Tensor& affine_out,
                           Tensor* relu_out, const Tensor* residual, Tensor* sum_out) {
  const Tensor& x = *in[0];
  const Shape os = output_shape({{x.shape[1], x.shape[2], x.shape[3]}});
  const Shape full{x.shape[0], os[0], os[1], os[2]};
  if (residual && (residual->shape != full || !sum_out))
    throw core::ArgumentError(fmt::format("layer '{}': fused residual of shape {} (with a sum output) expected, got {}",
                                          name(), shape_text(full), residual ? shape_text(residual->shape) : "none"));
  const bool integer = ctx.mode == ExecMode::kInteger && quant_.enabled;
  if (integer || static_cast<int>(scale.size()) != out_ || static_cast<int>(shift.size()) != out_) {
    forward(in, out, ctx);  // the integer path: the same maps as a separate pass
    affine_out.resize(out.shape);
    const std::size_t P = static_cast<std::size_t>(os[1]) * os[2];
    for (std::size_t i = 0; i < out.size(); ++i) {
      const std::size_t c = (i / P) % static_cast<std::size_t>(out_);
      affine_out.data[i] = out.data[i] * scale[c] + shift[c];
    }
    const Tensor* last = &affine_out;
    if (residual) {
      sum_out->resize(out.shape);
      for (std::size_t i = 0; i < out.size(); ++i) sum_out->data[i] = affine_out.data[i] + residual->data[i];
      last = sum_out;
    }
    if (relu_out) {
      relu_out->resize(out.shape);
      for (std::size_t i = 0; i < out.size(); ++i) relu_out->data[i] = last->data[i] > 0.0f ? last->data[i] : 0.0f;
    }
    return;
  }
  affine_out.resize(full);
  if (residual) sum_out->resize(full);
  if (relu_out) relu_out->resize(full);
  const Epilogue e{&scale, &shift, &affine_out, relu_out, residual, residual ? sum_out : nullptr};
  epilogue_ = &e;
  try {
    forward(in, out, ctx);
  } catch (...) {
    epilogue_ = nullptr;
    throw;
  }
  epilogue_ = nullptr;
}

void Conv2d::backward_image_stride1(const float* go, const float* image, int H, int W, int OH, int OW,
                                    const std::vector<int>& x_offsets, const std::vector<int>& g_offsets,
                                    const std::vector<float>& wf_packed, std::size_t g_padded_size,
                                    std::vector<double>& db, float* dw, float* dx) const {
  const int K = fan_in_, P = OH * OW;
  const int Hp = H + 2 * padding_, Wp = W + 2 * padding_, wide = (OH - 1) * Wp + OW;
  // Bias gradient and G scaled to compute units, in the wide layout (zeros at ox ≥ OW).
  float* gw = sgemm::scratch(0, static_cast<std::size_t>(out_) * wide);
  for (int c = 0; c < out_; ++c) {
    const float* src = go + static_cast<std::size_t>(c) * P;
    if (has_bias_) {
      double s = 0.0;
      for (int p = 0; p < P; ++p) s += src[p];
      db[c] += s;
    }
    float* d = gw + static_cast<std::size_t>(c) * wide;
    const float sc = out_scale_[c];
    for (int oy = 0; oy < OH; ++oy) {
      for (int ox = 0; ox < OW; ++ox) d[oy * Wp + ox] = src[oy * OW + ox] * sc;
      if (oy + 1 < OH) zero_floats(d + oy * Wp + OW, Wp - OW);
    }
  }
  // dWᵀ += X · Gwᵀ (dw holds K × out): row k of X read in place from the padded image at the
  // forward's offset, Gwᵀ packed. Each weight's chain runs over q in order, as in Gw · Xᵀ.
  const std::size_t x_size = static_cast<std::size_t>(in_c_) * Hp * Wp;
  float* xp = sgemm::scratch(1, x_size);
  pad_planes(image, in_c_, H, W, padding_, xp, x_size);
  float* gt = sgemm::scratch(2, sgemm::packed_size(wide, out_));
  sgemm::pack_b(wide, out_, gw, 1, wide, gt);
  thread_local std::vector<const float*> rows;
  rows.resize(K);
  for (int k = 0; k < K; ++k) rows[k] = xp + x_offsets[k];
  sgemm::gemm_rows(K, out_, wide, rows.data(), gt, dw, out_, true);
  if (!dx) return;
  // dX: the flipped, transposed convolution of G padded by kernel − 1 − padding.
  const int gpad = kernel_ - 1 - padding_, Hg = OH + 2 * gpad, Wg = OW + 2 * gpad, wide_x = (H - 1) * Wg + W;
  float* gp = sgemm::scratch(3, g_padded_size);
  {
    const std::size_t plane = static_cast<std::size_t>(Hg) * Wg;
    for (int c = 0; c < out_; ++c) {
      float* d = gp + c * plane;
      zero_floats(d, gpad * Wg);
      for (int y = 0; y < OH; ++y) {
        float* r = d + static_cast<std::size_t>(y + gpad) * Wg;
        zero_floats(r, gpad);
        copy_floats(r + gpad, gw + static_cast<std::size_t>(c) * wide + y * Wp, OW);
        zero_floats(r + gpad + OW, gpad);
      }
      zero_floats(d + static_cast<std::size_t>(OH + gpad) * Wg, gpad * Wg);
    }
    std::fill(gp + out_ * plane, gp + g_padded_size, 0.0f);
  }
  float* t = sgemm::scratch(4, static_cast<std::size_t>(in_c_) * wide_x);
  sgemm::gemm_offsets(in_c_, wide_x, out_ * kernel_ * kernel_, wf_packed.data(), gp, g_offsets.data(), t, wide_x,
                      false);
  for (int c = 0; c < in_c_; ++c)
    for (int y = 0; y < H; ++y)
      copy_floats(dx + (static_cast<std::size_t>(c) * H + y) * W, t + static_cast<std::size_t>(c) * wide_x + y * Wg, W);
}

void Conv2d::backward(std::span<const Tensor* const> in, const Tensor&, const Tensor& g, std::span<Tensor* const> gin,
                      const RunContext& ctx) {
  const Tensor& x = *in[0];
  const int N = x.shape[0], H = x.shape[2], W = x.shape[3];
  const int P = g.shape[2] * g.shape[3], K = fan_in_;
  const bool q = quantized(ctx);
  const float* xin = q ? x_compute_.data() : x.data.data();
  const std::size_t in_size = x.item_size();
  if (gin[0]) {
    gin[0]->resize(x.shape);
    gin[0]->zero();
  }
  const int chunks = (N + kChunk - 1) / kChunk;
  std::vector<RowMatrix> dw(chunks);
  std::vector<std::vector<double>> db(chunks);
  std::vector<float> wt_packed;  // Wᵀ (K × out) as the left operand of the input-gradient product
  if (gin[0]) {
    wt_packed.resize(sgemm::packed_a_size(K, out_));
    sgemm::pack_a(K, out_, w_compute_.data(), 1, K, wt_packed.data());
  }
  // Stride 1 without a hook: both products read padded copies in place of im2col matrices.
  //  * dW += Gw · Xᵀ over the "wide" positions q = oy·Wp + ox (Gw is zero at ox ≥ OW), row q of
  //    Xᵀ gathered from the padded image at the forward's offsets;
  //  * dX is the stride-1 convolution of G, zero-padded by kernel − 1 − padding, with the weights
  //    transposed (in ↔ out) and flipped.
  const int OH = g.shape[2], OW = g.shape[3];
  const bool implicit = !ctx.hook && stride_ == 1 && padding_ <= kernel_ - 1;
  const int Hp = H + 2 * padding_, Wp = W + 2 * padding_;
  const int gpad = kernel_ - 1 - padding_, Hg = OH + 2 * gpad, Wg = OW + 2 * gpad, wide_x = (H - 1) * Wg + W;
  const int K2 = out_ * kernel_ * kernel_;
  const int nr = sgemm::panel_width();
  std::vector<int> x_offsets, g_offsets;
  std::vector<float> wf_packed;
  std::size_t g_padded_size = 0;
  if (implicit) {
    x_offsets.assign(K, 0);
    for (int c = 0; c < in_c_; ++c)
      for (int ky = 0; ky < kernel_; ++ky)
        for (int kx = 0; kx < kernel_; ++kx) x_offsets[(c * kernel_ + ky) * kernel_ + kx] = (c * Hp + ky) * Wp + kx;
    if (gin[0]) {
      g_offsets.resize(K2);
      std::vector<float> wf(static_cast<std::size_t>(in_c_) * K2);
      for (int m = 0; m < out_; ++m)
        for (int ky = 0; ky < kernel_; ++ky)
          for (int kx = 0; kx < kernel_; ++kx) {
            const int k2 = (m * kernel_ + ky) * kernel_ + kx;
            g_offsets[k2] = (m * Hg + ky) * Wg + kx;
            for (int c = 0; c < in_c_; ++c)
              wf[static_cast<std::size_t>(c) * K2 + k2] =
                  w_compute_[static_cast<std::size_t>(m) * K + (c * kernel_ + kernel_ - 1 - ky) * kernel_ + kernel_ -
                             1 - kx];
          }
      wf_packed.resize(sgemm::packed_a_size(in_c_, K2));
      sgemm::pack_a(in_c_, K2, wf.data(), K2, 1, wf_packed.data());
      g_padded_size = std::max(static_cast<std::size_t>(out_) * Hg * Wg,
                               static_cast<std::size_t>(g_offsets.back()) + sgemm::round_up(wide_x, nr));
    }
  }
  core::ExceptionCapture errors;
#pragma omp parallel
  {
    RowMatrix dcol_ranged;
    std::vector<int> bounds;
    std::vector<float> scales;
    bool ranged = false;
#pragma omp for schedule(static)
    for (int ch = 0; ch < chunks; ++ch) {
      errors.run([&] {
        dw[ch] = implicit ? RowMatrix::Zero(K, out_) : RowMatrix::Zero(out_, K);  // implicit: dWᵀ
        db[ch].assign(out_, 0.0);
        for (int n = ch * kChunk; n < std::min(N, (ch + 1) * kChunk); ++n) {
          if (implicit) {
            backward_image_stride1(g.item(n), xin + n * in_size, H, W, OH, OW, x_offsets, g_offsets, wf_packed,
                                   g_padded_size, db[ch], dw[ch].data(), gin[0] ? gin[0]->item(n) : nullptr);
            if (gin[0] && q) {
              float* dx = gin[0]->item(n);
              const float inv = 1.0f / quant_.activation_scale;
              const std::uint8_t* m = pass_mask_.data() + n * in_size;
              for (std::size_t i = 0; i < in_size; ++i) dx[i] = m[i] ? dx[i] * inv : 0.0f;
            }
            continue;
          }
          float* gc = sgemm::scratch(0, static_cast<std::size_t>(out_) * P);
          const float* go = g.item(n);
          for (int c = 0; c < out_; ++c) {
            if (has_bias_) {
              double s = 0.0;
              for (int p = 0; p < P; ++p) s += go[c * P + p];
              db[ch][c] += s;
            }
            for (int p = 0; p < P; ++p) gc[static_cast<std::size_t>(c) * P + p] = go[c * P + p] * out_scale_[c];
          }
          const float* image = xin + n * in_size;
          float* col = nullptr;  // plain K × P, for hooks only
          if (ctx.hook) {
            col = sgemm::scratch(1, static_cast<std::size_t>(K) * P);
            im2col(image, H, W, col);
            const auto h =
                hook_context(*this, ctx, P, out_, K, MatrixView{col, P, K, 1, P},
                             MatrixView{w_compute_.data(), out_, K, K, 1}, w_scales_, ctx.image_offset + n, 1);
            ctx.hook->backward(h, MatrixView{gc, P, out_, 1, P});
            ranged = ctx.hook->range_scales(h, bounds, scales);
          }
          float* dx = gin[0] ? gin[0]->item(n) : nullptr;
          if (ranged) {
            if (dx) dcol_ranged.resize(K, P);
            ps_aware_backward_sgemm(bounds, scales, out_, P, K, gc, col, w_compute_.data(), dw[ch].data(),
                                    dx ? dcol_ranged.data() : nullptr);
            if (dx) col2im(dcol_ranged.data(), H, W, dx);
          } else {
            // dW += G · colᵀ: one chain per weight over this chunk's images and positions in order.
            float* colt = sgemm::scratch(2, sgemm::packed_size(P, K));
            im2col_transposed_packed(image, H, W, colt);
            sgemm::gemm(out_, K, P, gc, P, 1, colt, dw[ch].data(), K, true);
            if (dx) {
              // dcol = Wᵀ · G (reusing the transposed-image buffer for packed G), then col2im.
              float* gp = sgemm::scratch(2, sgemm::packed_size(out_, P));
              sgemm::pack_b(out_, P, gc, P, 1, gp);
              float* dcol = sgemm::scratch(3, static_cast<std::size_t>(K) * P);
              sgemm::gemm_packed(K, P, out_, wt_packed.data(), gp, dcol, P, false);
              col2im(dcol, H, W, dx);
            }
          }
          if (dx && q) {
            const float inv = 1.0f / quant_.activation_scale;
            const std::uint8_t* m = pass_mask_.data() + n * in_size;
            for (std::size_t i = 0; i < in_size; ++i) dx[i] = m[i] ? dx[i] * inv : 0.0f;
          }
        }
      });
    }
  }
  errors.rethrow();
  for (int ch = 0; ch < chunks; ++ch) {
    for (int c = 0; c < out_; ++c) {
      const float inv_ws = q ? 1.0f / w_scales_[c] : 1.0f;
      float* wg = weight_.grad.data.data() + static_cast<std::size_t>(c) * K;
      if (implicit)
        for (int k = 0; k < K; ++k) wg[k] += dw[ch](k, c) * inv_ws;
      else
        for (int k = 0; k < K; ++k) wg[k] += dw[ch](c, k) * inv_ws;
      if (has_bias_) bias_.grad.data[c] += static_cast<float>(db[ch][c]);
    }
  }
}

void Conv2d::forward_integer(const Tensor& x, Tensor& out, const RunContext& ctx) {
  check_quant_ready();
  const int N = x.shape[0], H = x.shape[2], W = x.shape[3];
  const Shape os = output_shape({{x.shape[1], H, W}});
  const int OH = os[1], OW = os[2], P = OH * OW, K = fan_in_;
  w_scales_ = weight_scales(quant_.weight_bits);
  w_codes_ = weight_codes(quant_.weight_bits, w_scales_);
  const std::size_t in_size = x.item_size();
  std::vector<std::uint8_t> a(static_cast<std::size_t>(N) * P * K);
#pragma omp parallel
  {
    std::vector<std::uint8_t> img(in_size);
#pragma omp for schedule(static)
    for (int n = 0; n < N; ++n) {
      const float* src = x.item(n);
      for (std::size_t i = 0; i < in_size; ++i)
        img[i] = activation_code(src[i], quant_.activation_scale, quant_.activation_bits);
      std::uint8_t* rows = a.data() + static_cast<std::size_t>(n) * P * K;
      for (int oy = 0; oy < OH; ++oy)
        for (int ox = 0; ox < OW; ++ox) {
          std::uint8_t* r = rows + static_cast<std::size_t>(oy * OW + ox) * K;
          for (int c = 0; c < in_c_; ++c)
            for (int ky = 0; ky < kernel_; ++ky) {
              const int y = oy * stride_ - padding_ + ky;
              for (int kx = 0; kx < kernel_; ++kx) {
                const int xx = ox * stride_ - padding_ + kx;
                *r++ =
                    (y >= 0 && y < H && xx >= 0 && xx < W) ? img[static_cast<std::size_t>(c) * H * W + y * W + xx] : 0;
              }
            }
        }
    }
  }
  const std::vector<double> acc = integer_gemm(ctx, N * P, K, N, a);
  out.resize({N, out_, OH, OW});
#pragma omp parallel for schedule(static)
  for (int n = 0; n < N; ++n)
    for (int c = 0; c < out_; ++c) {
      const double s = static_cast<double>(quant_.activation_scale) * w_scales_[c];
      const double b = has_bias_ ? bias_.value.data[c] : 0.0;
      float* dst = out.item(n) + static_cast<std::size_t>(c) * P;
      for (int pix = 0; pix < P; ++pix)
        dst[pix] = static_cast<float>(acc[(static_cast<std::size_t>(n) * P + pix) * out_ + c] * s + b);
    }
}

}  // namespace cimmc::network
