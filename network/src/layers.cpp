#include "cimmc/network/layers.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "cimmc/core/error.hpp"

namespace cimmc::network {

namespace {
void copy_shape_like(Tensor& t, const Tensor& like) { t.resize(like.shape); }
// Element-wise passes over at least this many values are split across threads (each element is
// computed alone, so the split does not change results).
constexpr std::ptrdiff_t kParallelElements = 1 << 15;

// Batch-norm statistics: acc[i mod kLanes] += f(p[i]) for i < n.
constexpr int kLanes = 8;
template <class F>
inline void lane_sums(const float* p, std::size_t n, F f, double* acc) {
  std::size_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int l = 0; l < kLanes; ++l) acc[l] += f(p[i + l]);
  for (int l = 0; i < n; ++i, ++l) acc[l] += f(p[i]);
}
inline double fold_lanes(const double* acc) {
  double s = acc[0];
  for (int l = 1; l < kLanes; ++l) s += acc[l];
  return s;
}
}  // namespace

// ---- ReLU ----
void ReLU::forward(std::span<const Tensor* const> in, Tensor& out, const RunContext&) {
  const Tensor& x = *in[0];
  copy_shape_like(out, x);
  const std::ptrdiff_t n = static_cast<std::ptrdiff_t>(x.size());
  const float* src = x.data.data();
  float* dst = out.data.data();
#pragma omp parallel for schedule(static) if (n >= kParallelElements)
  for (std::ptrdiff_t i = 0; i < n; ++i) dst[i] = src[i] > 0.0f ? src[i] : 0.0f;
}
void ReLU::backward(std::span<const Tensor* const> in, const Tensor&, const Tensor& g, std::span<Tensor* const> gin,
                    const RunContext&) {
  if (!gin[0]) return;
  const Tensor& x = *in[0];
  copy_shape_like(*gin[0], x);
  const std::ptrdiff_t n = static_cast<std::ptrdiff_t>(x.size());
  const float* xs = x.data.data();
  const float* gs = g.data.data();
  float* dst = gin[0]->data.data();
#pragma omp parallel for schedule(static) if (n >= kParallelElements)
  for (std::ptrdiff_t i = 0; i < n; ++i) dst[i] = xs[i] > 0.0f ? gs[i] : 0.0f;
}

// ---- Hardtanh ----
Attributes Hardtanh::attributes() const { return {{"min", fmt::format("{}", min_)}, {"max", fmt::format("{}", max_)}}; }
void Hardtanh::forward(std::span<const Tensor* const> in, Tensor& out, const RunContext&) {
  const Tensor& x = *in[0];
  copy_shape_like(out, x);
  for (std::size_t i = 0; i < x.size(); ++i) out.data[i] = std::clamp(x.data[i], min_, max_);
}
void Hardtanh::backward(std::span<const Tensor* const> in, const Tensor&, const Tensor& g, std::span<Tensor* const> gin,
                        const RunContext&) {
  if (!gin[0]) return;
  const Tensor& x = *in[0];
  copy_shape_like(*gin[0], x);
  for (std::size_t i = 0; i < x.size(); ++i)
    gin[0]->data[i] = (x.data[i] > min_ && x.data[i] < max_) ? g.data[i] : 0.0f;
}

// ---- Pool2d ----
Attributes Pool2d::attributes() const {
  return {{"kernel", std::to_string(kernel_)}, {"stride", std::to_string(stride_)}};
}
Shape Pool2d::output_shape(const std::vector<Shape>& in) const {
  const Shape& s = in.at(0);
  if (s.size() != 3)
    throw core::ModelError(fmt::format("layer '{}': {} expects C×H×W input, got {}", name(), kind(), shape_text(s)));
  const int oh = (s[1] - kernel_) / stride_ + 1, ow = (s[2] - kernel_) / stride_ + 1;
  if (s[1] < kernel_ || s[2] < kernel_)
    throw core::ModelError(
        fmt::format("layer '{}': input {} is smaller than the pooling kernel {}", name(), shape_text(s), kernel_));
  return {s[0], oh, ow};
}
void Pool2d::forward(std::span<const Tensor* const> in, Tensor& out, const RunContext&) {
  const Tensor& x = *in[0];
  const int N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3];
  const Shape os = output_shape({{C, H, W}});
  const int OH = os[1], OW = os[2];
  out.resize({N, C, OH, OW});
  if (type_ == Type::kMax) argmax_.resize(out.size());
  const float inv = 1.0f / static_cast<float>(kernel_ * kernel_);
#pragma omp parallel for schedule(static)
  for (int nc = 0; nc < N * C; ++nc) {
    const float* src = x.data.data() + static_cast<std::size_t>(nc) * H * W;
    float* dst = out.data.data() + static_cast<std::size_t>(nc) * OH * OW;
    for (int oy = 0; oy < OH; ++oy)
      for (int ox = 0; ox < OW; ++ox) {
        const int y0 = oy * stride_, x0 = ox * stride_;
        if (type_ == Type::kMax) {
          float best = -std::numeric_limits<float>::infinity();
          int best_i = y0 * W + x0;
          for (int ky = 0; ky < kernel_; ++ky)
            for (int kx = 0; kx < kernel_; ++kx) {
              const int i = (y0 + ky) * W + x0 + kx;
              if (src[i] > best) best = src[i], best_i = i;
            }
          dst[oy * OW + ox] = best;
          argmax_[static_cast<std::size_t>(nc) * OH * OW + oy * OW + ox] = best_i;
        } else {
          float s = 0.0f;
          for (int ky = 0; ky < kernel_; ++ky)
            for (int kx = 0; kx < kernel_; ++kx) s += src[(y0 + ky) * W + x0 + kx];
          dst[oy * OW + ox] = s * inv;
        }
      }
  }
}
void Pool2d::backward(std::span<const Tensor* const> in, const Tensor& out, const Tensor& g,
                      std::span<Tensor* const> gin, const RunContext&) {
  if (!gin[0]) return;
  const Tensor& x = *in[0];
  Tensor& gx = *gin[0];
  gx.resize(x.shape);
  gx.zero();
  const int N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3];
  const int OH = out.shape[2], OW = out.shape[3];
  const float inv = 1.0f / static_cast<float>(kernel_ * kernel_);
#pragma omp parallel for schedule(static)
  for (int nc = 0; nc < N * C; ++nc) {
    float* dst = gx.data.data() + static_cast<std::size_t>(nc) * H * W;
    const float* go = g.data.data() + static_cast<std::size_t>(nc) * OH * OW;
    for (int oy = 0; oy < OH; ++oy)
      for (int ox = 0; ox < OW; ++ox) {
        const float v = go[oy * OW + ox];
        if (type_ == Type::kMax) {
          dst[argmax_[static_cast<std::size_t>(nc) * OH * OW + oy * OW + ox]] += v;
        } else {
          for (int ky = 0; ky < kernel_; ++ky)
            for (int kx = 0; kx < kernel_; ++kx) dst[(oy * stride_ + ky) * W + ox * stride_ + kx] += v * inv;
        }
      }
  }
}

// ---- GlobalAvgPool ----
Shape GlobalAvgPool::output_shape(const std::vector<Shape>& in) const {
  const Shape& s = in.at(0);
  if (s.size() != 3)
    throw core::ModelError(fmt::format("layer '{}': globalavgpool expects C×H×W input, got {}", name(), shape_text(s)));
  return {s[0]};
}
void GlobalAvgPool::forward(std::span<const Tensor* const> in, Tensor& out, const RunContext&) {
  const Tensor& x = *in[0];
  const int N = x.shape[0], C = x.shape[1], HW = x.shape[2] * x.shape[3];
  out.resize({N, C});
  for (int nc = 0; nc < N * C; ++nc) {
    const float* src = x.data.data() + static_cast<std::size_t>(nc) * HW;
    float s = 0.0f;
    for (int i = 0; i < HW; ++i) s += src[i];
    out.data[nc] = s / static_cast<float>(HW);
  }
}
void GlobalAvgPool::backward(std::span<const Tensor* const> in, const Tensor&, const Tensor& g,
                             std::span<Tensor* const> gin, const RunContext&) {
  if (!gin[0]) return;
  const Tensor& x = *in[0];
  gin[0]->resize(x.shape);
  const int N = x.shape[0], C = x.shape[1], HW = x.shape[2] * x.shape[3];
  for (int nc = 0; nc < N * C; ++nc) {
    const float v = g.data[nc] / static_cast<float>(HW);
    std::fill_n(gin[0]->data.data() + static_cast<std::size_t>(nc) * HW, HW, v);
  }
}

// ---- Add ----
Shape Add::output_shape(const std::vector<Shape>& in) const {
  if (in.size() != 2 || in[0] != in[1])
    throw core::ModelError(fmt::format("layer '{}': add needs two inputs of equal shape, got {} and {}", name(),
                                       shape_text(in.at(0)), in.size() > 1 ? shape_text(in[1]) : "nothing"));
  return in[0];
}
void Add::forward(std::span<const Tensor* const> in, Tensor& out, const RunContext&) {
  const Tensor& a = *in[0];
  const Tensor& b = *in[1];
  out.resize(a.shape);
  const std::ptrdiff_t n = static_cast<std::ptrdiff_t>(a.size());
  const float* as = a.data.data();
  const float* bs = b.data.data();
  float* dst = out.data.data();
#pragma omp parallel for schedule(static) if (n >= kParallelElements)
  for (std::ptrdiff_t i = 0; i < n; ++i) dst[i] = as[i] + bs[i];
}
void Add::backward(std::span<const Tensor* const>, const Tensor&, const Tensor& g, std::span<Tensor* const> gin,
                   const RunContext&) {
  for (Tensor* t : gin)
    if (t) *t = g;
}

// ---- Flatten ----
Shape Flatten::output_shape(const std::vector<Shape>& in) const { return {static_cast<int>(shape_size(in.at(0)))}; }
void Flatten::forward(std::span<const Tensor* const> in, Tensor& out, const RunContext&) {
  const Tensor& x = *in[0];
  out.shape = {x.shape[0], static_cast<int>(x.item_size())};
  out.data = x.data;
}
void Flatten::backward(std::span<const Tensor* const> in, const Tensor&, const Tensor& g, std::span<Tensor* const> gin,
                       const RunContext&) {
  if (!gin[0]) return;
  gin[0]->shape = in[0]->shape;
  gin[0]->data = g.data;
}

// ---- BatchNorm ----
BatchNorm::BatchNorm(int channels, float eps, float momentum) : channels_(channels), eps_(eps), momentum_(momentum) {
  gamma_ = {"gamma", Tensor({channels}, 1.0f), Tensor({channels}, 0.0f), false};
  beta_ = {"beta", Tensor({channels}, 0.0f), Tensor({channels}, 0.0f), false};
  running_mean_ = Tensor({channels}, 0.0f);
  running_var_ = Tensor({channels}, 1.0f);
}
Attributes BatchNorm::attributes() const { return {{"eps", fmt::format("{}", eps_)}}; }
Shape BatchNorm::output_shape(const std::vector<Shape>& in) const {
  const Shape& s = in.at(0);
  if (s.empty() || s[0] != channels_)
    throw core::ModelError(
        fmt::format("layer '{}': batchnorm over {} channels got input {}", name(), channels_, shape_text(s)));
  return s;
}
void BatchNorm::forward(std::span<const Tensor* const> in, Tensor& out, const RunContext& ctx) {
  const Tensor& x = *in[0];
  const int N = x.shape[0], C = channels_;
  const std::size_t S = x.item_size() / C;  // spatial size (1 for 1-d)
  out.resize(x.shape);
  batch_mean_.assign(C, 0.0f);
  batch_inv_std_.assign(C, 0.0f);
  last_training_ = ctx.training;
#pragma omp parallel for schedule(static)
  for (int c = 0; c < C; ++c) {
    float mean, inv_std;
    if (ctx.training) {
      // Sums in kLanes interleaved partial sums (element i of each image's plane goes to lane
      // i mod kLanes), added in lane order at the end: independent chains, fixed order.
      double ls[kLanes] = {}, lss[kLanes] = {};
      for (int n = 0; n < N; ++n) {
        const float* p = x.data.data() + (static_cast<std::size_t>(n) * C + c) * S;
        lane_sums(
            p, S, [](float v) { return static_cast<double>(v); }, ls);
      }
      const double s = fold_lanes(ls);
      const double count = static_cast<double>(N) * S;
      const double m = s / count;
      for (int n = 0; n < N; ++n) {
        const float* p = x.data.data() + (static_cast<std::size_t>(n) * C + c) * S;
        lane_sums(
            p, S, [m](float v) { return (v - m) * (v - m); }, lss);
      }
      const double ss = fold_lanes(lss);
      const double var = ss / count;
      mean = static_cast<float>(m);
      inv_std = static_cast<float>(1.0 / std::sqrt(var + eps_));
      const double unbiased = count > 1 ? ss / (count - 1) : var;
      running_mean_.data[c] = (1 - momentum_) * running_mean_.data[c] + momentum_ * mean;
      running_var_.data[c] = (1 - momentum_) * running_var_.data[c] + momentum_ * static_cast<float>(unbiased);
    } else {
      mean = running_mean_.data[c];
      inv_std = 1.0f / std::sqrt(running_var_.data[c] + eps_);
    }
    batch_mean_[c] = mean;
    batch_inv_std_[c] = inv_std;
    const float a = gamma_.value.data[c] * inv_std, b = beta_.value.data[c] - mean * a;
    for (int n = 0; n < N; ++n) {
      const std::size_t off = (static_cast<std::size_t>(n) * C + c) * S;
      for (std::size_t i = 0; i < S; ++i) out.data[off + i] = x.data[off + i] * a + b;
    }
  }
}
void BatchNorm::inference_affine(std::vector<float>& scale, std::vector<float>& shift) {
  const int C = channels_;
  batch_mean_.assign(C, 0.0f);
  batch_inv_std_.assign(C, 0.0f);
  last_training_ = false;
  scale.resize(C);
  shift.resize(C);
  for (int c = 0; c < C; ++c) {
    const float mean = running_mean_.data[c];
    const float inv_std = 1.0f / std::sqrt(running_var_.data[c] + eps_);
    batch_mean_[c] = mean;
    batch_inv_std_[c] = inv_std;
    scale[c] = gamma_.value.data[c] * inv_std;
    shift[c] = beta_.value.data[c] - mean * scale[c];
  }
}

void BatchNorm::backward(std::span<const Tensor* const> in, const Tensor&, const Tensor& g,
                         std::span<Tensor* const> gin, const RunContext&) {
  const Tensor& x = *in[0];
  const int N = x.shape[0], C = channels_;
  const std::size_t S = x.item_size() / C;
  if (gin[0]) gin[0]->resize(x.shape);
  const double count = static_cast<double>(N) * S;
#pragma omp parallel for schedule(static)
  for (int c = 0; c < C; ++c) {
    const float mean = batch_mean_[c], inv_std = batch_inv_std_[c];
    double lg[kLanes] = {}, lgx[kLanes] = {};
    for (int n = 0; n < N; ++n) {
      const std::size_t off = (static_cast<std::size_t>(n) * C + c) * S;
      const float* gp = g.data.data() + off;
      const float* xp = x.data.data() + off;
      std::size_t i = 0;
      for (; i + kLanes <= S; i += kLanes)
        for (int l = 0; l < kLanes; ++l) {
          lg[l] += gp[i + l];
          lgx[l] += gp[i + l] * (xp[i + l] - mean) * inv_std;
        }
      for (int l = 0; i < S; ++i, ++l) {
        lg[l] += gp[i];
        lgx[l] += gp[i] * (xp[i] - mean) * inv_std;
      }
    }
    const double sum_g = fold_lanes(lg), sum_gx = fold_lanes(lgx);
    gamma_.grad.data[c] += static_cast<float>(sum_gx);
    beta_.grad.data[c] += static_cast<float>(sum_g);
    if (!gin[0]) continue;
    const float gm = gamma_.value.data[c] * inv_std;
    const float mg = last_training_ ? static_cast<float>(sum_g / count) : 0.0f;
    const float mgx = last_training_ ? static_cast<float>(sum_gx / count) : 0.0f;
    for (int n = 0; n < N; ++n) {
      const std::size_t off = (static_cast<std::size_t>(n) * C + c) * S;
      for (std::size_t i = 0; i < S; ++i) {
        const float xhat = (x.data[off + i] - mean) * inv_std;
        gin[0]->data[off + i] = gm * (g.data[off + i] - mg - xhat * mgx);
      }
    }
  }
}

}  // namespace cimmc::network
