// Quantization: BatchNorm folding, calibration, the exact integer backend, the backend seam and
// the training hook.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "cimmc/core/error.hpp"
#include "cimmc/network/quantize.hpp"
#include "cimmc/network/train.hpp"
#include "cimmc/network/zoo.hpp"
#include "grad_check.hpp"

using namespace cimmc::network;

namespace {

// A small random dataset (pixels uniform) of 1×12×12 images.
Dataset random_images(int n, std::uint64_t seed) {
  Dataset d;
  d.channels = 1, d.height = 12, d.width = 12, d.classes = 4;
  cimmc::core::rng::Stream s(seed, {cimmc::core::rng::Purpose::kTest, 0, 0, 0});
  d.pixels.resize(static_cast<std::size_t>(n) * 144);
  for (auto& p : d.pixels) p = static_cast<std::uint8_t>(s() % 256);
  for (int i = 0; i < n; ++i) d.labels.push_back(static_cast<int>(s() % 4));
  return d;
}

// A model with nontrivial BatchNorm statistics: a few training-mode forward passes.
Model trained_bn_model(const std::string& zoo, const Dataset& d) {
  Model m = Model::from_spec(zoo_spec(zoo, d.image_shape(), d.classes, {0.25}));
  initialize_weights(m, 2);
  for (auto& [name, p] : m.parameters())
    if (p->name == "gamma" || p->name == "beta") nwtest::fill_normal(p->value, 3, p->value.size(), 0.3f);
  for (auto& [name, p] : m.parameters())
    if (p->name == "gamma")
      for (float& v : p->value.data) v += 1.0f;
  RunContext train;
  train.training = true;
  Tensor x;
  std::vector<int> y;
  std::vector<int> idx(32);
  for (int rep = 0; rep < 6; ++rep) {
    for (int i = 0; i < 32; ++i) idx[i] = (rep * 32 + i) % d.size();
    make_batch(d, idx, x, y);
    m.forward(x, train);
  }
  return m;
}

Tensor batch_of(const Dataset& d, int n) {
  Tensor x;
  std::vector<int> y, idx(n);
  for (int i = 0; i < n; ++i) idx[i] = i;
  make_batch(d, idx, x, y);
  return x;
}

}  // namespace

TEST(Quantize, BatchNormFoldingPreservesOutputs) {
  const Dataset d = random_images(64, 1);
  for (const std::string zoo : {"vgg_small", "resnet20", "lenet5"}) {
    Dataset dd = d;
    if (zoo == "lenet5") {  // needs 28×28
      dd.height = dd.width = 28;
      dd.pixels.resize(static_cast<std::size_t>(dd.size()) * 784, 100);
    }
    Model m = trained_bn_model(zoo, dd);
    Model f = fold_batchnorm(m);
    int bn_left = 0;
    for (const auto& n : f.nodes()) bn_left += n.kind == "batchnorm";
    EXPECT_EQ(bn_left, 0) << zoo;
    const Tensor x = batch_of(dd, 16);
    const Tensor a = m.forward(x, {});
    const Tensor& b = f.forward(x, {});
    double scale = 0;
    for (float v : a.data) scale = std::max(scale, static_cast<double>(std::abs(v)));
    for (std::size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a.data[i], b.data[i], 1e-4 * (1 + scale)) << zoo;
  }
}

TEST(Quantize, OptimalClipMinimizesError) {
  std::vector<float> v;
  v.reserve(1001);
  for (int i = 0; i < 1000; ++i) v.push_back(static_cast<float>(i) / 1000.0f);
  v.push_back(10.0f);  // one outlier: a 2-bit clip at the maximum would waste the range
  const float clip = optimal_clip(v, 2);
  EXPECT_LT(clip, 5.0f);
  const float clip8 = optimal_clip({0.1f, 0.5f, 1.0f}, 8);
  EXPECT_NEAR(clip8, 1.0f, 0.05f);
}

TEST(Quantize, RoundHalfAwayEqualsStdRoundBitForBit) {
  // Every float within ±8 ulps of each half-integer and integer up to ±300 (the quantizers'
  // range and the half-way cases), then a sweep over every 1009th bit pattern (all exponents,
  // subnormals, ±inf, NaNs) and the special values.
  auto same = [](float x) {
    const float a = round_half_away(x), b = std::round(x);
    std::uint32_t ua = 0, ub = 0;
    std::memcpy(&ua, &a, sizeof a);
    std::memcpy(&ub, &b, sizeof b);
    return ua == ub || (std::isnan(a) && std::isnan(b));
  };
  int checked = 0, failed = 0;
  for (int h = -600; h <= 600; ++h) {
    float x = static_cast<float>(h) * 0.5f;
    for (int i = 0; i < 8; ++i) x = std::nextafter(x, -INFINITY);
    for (int i = 0; i < 17; ++i, x = std::nextafter(x, INFINITY)) {
      ++checked;
      if (!same(x)) ++failed, ADD_FAILURE() << "x = " << x;
    }
  }
  for (std::uint64_t u = 0; u <= 0xFFFFFFFFull; u += 1009) {
    const auto bits = static_cast<std::uint32_t>(u);
    float x = 0.0f;
    std::memcpy(&x, &bits, sizeof x);
    ++checked;
    if (!same(x) && ++failed < 10) ADD_FAILURE() << "bits = " << bits;
  }
  for (float x : {0.0f, -0.0f, 0.5f, -0.5f, 0.49999997f, -0.49999997f, 1.5f, -2.5f, 8388607.5f, -8388607.5f, 8388608.0f,
                  16777216.0f, INFINITY, -INFINITY, NAN})
    EXPECT_TRUE(same(x)) << "x = " << x;
  EXPECT_GT(checked, 4000000);
  EXPECT_EQ(failed, 0);
}

TEST(IntegerExecutor, ExactGemmMatchesNaiveSums) {
  cimmc::core::rng::Stream s(3, {cimmc::core::rng::Purpose::kTest, 0, 0, 9});
  for (auto [M, N, K] : {std::tuple{1, 1, 1}, std::tuple{7, 5, 33}, std::tuple{16, 3, 1152}}) {
    std::vector<std::uint8_t> a(static_cast<std::size_t>(M) * K);
    std::vector<std::int8_t> w(static_cast<std::size_t>(N) * K);
    for (auto& v : a) v = static_cast<std::uint8_t>(s() % 256);
    for (auto& v : w) v = static_cast<std::int8_t>(static_cast<int>(s() % 255) - 127);
    std::vector<std::int32_t> out(static_cast<std::size_t>(M) * N);
    gemm_exact_int32(M, N, K, a.data(), w.data(), out.data());
    for (int m = 0; m < M; ++m)
      for (int n = 0; n < N; ++n) {
        std::int64_t ref = 0;
        for (int k = 0; k < K; ++k) ref += std::int64_t{a[m * K + k]} * w[n * K + k];
        EXPECT_EQ(out[m * N + n], ref);
      }
  }
}

TEST(IntegerExecutor, AgreesWithFakeQuantizedFloatAt8And4Bits) {
  const Dataset d = random_images(96, 2);
  for (const std::string zoo : {"vgg_small", "resnet20"})
    for (int bits : {8, 4}) {
      Model m = trained_bn_model(zoo, d);
      QuantOptions o;
      o.weight_bits = o.activation_bits = bits;
      o.calibration_images = 32;
      Model q = quantize_model(m, d, o);
      ASSERT_TRUE(q.quantized());
      const Tensor x = batch_of(d, 16);
      RunContext fake;
      fake.mode = ExecMode::kFakeQuant;
      RunContext integer;
      integer.mode = ExecMode::kInteger;
      const Tensor a = q.forward(x, fake);
      const Tensor b = q.forward(x, integer);
      double scale = 0;
      for (float v : a.data) scale = std::max(scale, static_cast<double>(std::abs(v)));
      // Operands are identical codes; only float vs int32 accumulation order differs, which can
      // flip a rounding at a code boundary downstream, so compare with a tolerance of a few codes.
      int far = 0;
      for (std::size_t i = 0; i < a.size(); ++i) far += std::abs(a.data[i] - b.data[i]) > 0.02 * (1 + scale);
      EXPECT_LE(far, static_cast<int>(a.size() / 50)) << zoo << " " << bits;
    }
}

namespace {
// A backend that counts calls and perturbs nothing (delegates to the exact one).
class CountingBackend final : public GemmBackend {
 public:
  void gemm(const GemmProblem& p, std::span<double> acc) override {
    ++calls;
    rows += p.M;
    EXPECT_EQ(p.weight_scales.size(), static_cast<std::size_t>(p.N));
    EXPECT_EQ(p.M % p.images, 0);
    exact.gemm(p, acc);
    if (offset != 0.0)
      for (double& v : acc) v += offset;
  }
  ExactGemmBackend exact;
  int calls = 0;
  long rows = 0;
  double offset = 0.0;
};

class ScaleHook final : public GemmHook {
 public:
  void forward(const GemmHookContext& c, MatrixView out) override {
    ++forwards;
    EXPECT_EQ(out.rows, c.M);
    EXPECT_EQ(out.cols, c.N);
    for (int r = 0; r < out.rows; ++r)
      for (int col = 0; col < out.cols; ++col) out(r, col) *= factor;
  }
  void backward(const GemmHookContext&, MatrixView g) override {
    ++backwards;
    for (int r = 0; r < g.rows; ++r)
      for (int col = 0; col < g.cols; ++col) g(r, col) *= factor;
  }
  float factor = 1.0f;
  std::atomic<int> forwards{0}, backwards{0};
};

// A partial-sum-aware hook: the output is Σ_r factor_r · A[:, range r] · W[:, range r]ᵀ over two
// ranges of the inner dimension (a linear function of both operands), and range_scales() gives
// the factors, so finite differences check the layers' per-range backward.
class RangeHook final : public GemmHook {
 public:
  std::vector<int> bounds_of(int K) const { return {0, K / 3, K}; }
  void forward(const GemmHookContext& c, MatrixView out) override {
    const auto b = bounds_of(c.K);
    for (int m = 0; m < c.M; ++m)
      for (int n = 0; n < c.N; ++n) {
        double v = 0.0;
        for (int r = 0; r < 2; ++r)
          for (int k = b[r]; k < b[r + 1]; ++k) v += factor[r] * c.activations(m, k) * c.weights(n, k);
        out(m, n) = static_cast<float>(v);
      }
  }
  bool range_scales(const GemmHookContext& c, std::vector<int>& bounds, std::vector<float>& scales) override {
    ++calls;
    bounds = bounds_of(c.K);
    scales.assign(2 * static_cast<std::size_t>(c.M) * c.N, 0.0f);
    std::fill_n(scales.begin(), static_cast<std::size_t>(c.M) * c.N, factor[0]);
    std::fill(scales.begin() + static_cast<std::ptrdiff_t>(c.M) * c.N, scales.end(), factor[1]);
    return true;
  }
  float factor[2] = {0.5f, 2.0f};
  std::atomic<int> calls{0};
};
}  // namespace

TEST(BackendSeam, EveryGemmLayerGoesThroughTheBackend) {
  const Dataset d = random_images(32, 3);
  Model q = quantize_model(trained_bn_model("vgg_small", d), d, {});
  CountingBackend backend;
  RunContext ctx;
  ctx.mode = ExecMode::kInteger;
  ctx.backend = &backend;
  const Tensor x = batch_of(d, 4);
  const Tensor exact = q.forward(x, RunContext{false, ExecMode::kInteger});
  const Tensor same = q.forward(x, ctx);
  EXPECT_EQ(backend.calls, 8);  // 6 conv + 2 linear
  EXPECT_EQ(exact.data, same.data);
  backend.offset = 1000.0;  // a replaced backend changes the result
  const Tensor& other = q.forward(x, ctx);
  EXPECT_NE(exact.data, other.data);
}

TEST(TrainingHook, IsCalledOnEveryGemmAndItsBackwardShapesGradients) {
  const Dataset d = random_images(16, 4);
  Model m = Model::from_spec(zoo_spec("vgg_small", d.image_shape(), d.classes, {0.25}));
  initialize_weights(m, 1);
  ScaleHook hook;
  RunContext ctx;
  ctx.training = true;
  ctx.hook = &hook;
  const Tensor x = batch_of(d, 8);
  // Identity hook: same outputs as without a hook.
  const Tensor plain = m.forward(x, RunContext{true});
  const Tensor hooked = m.forward(x, ctx);
  EXPECT_EQ(plain.data, hooked.data);
  EXPECT_EQ(hook.forwards.load(), 6 * 8 + 2);  // convolutions per image, linear layers per chunk
  // A hook that scales the GEMM output is a linear layer change: gradients must follow it
  // (checked on a smooth model, so that finite differences cross no ReLU or pooling kink).
  hook.factor = 1.5f;
  Model smooth = Model::from_spec(
      "input input - channels=1 height=6 width=6\nc conv2d input out=3 kernel=3 padding=1\n"
      "f flatten c\nfc linear f out=4\n");
  initialize_weights(smooth, 4);
  Tensor xs({3, 1, 6, 6});
  nwtest::fill_normal(xs, 5, 6);
  nwtest::check_model_gradients(smooth, xs, ctx);
  EXPECT_GT(hook.backwards.load(), 0);
}

TEST(TrainingHook, RangeScalesGiveEachRangeOfTheInnerDimensionItsGradient) {
  RangeHook hook;
  RunContext ctx;
  ctx.training = true;
  ctx.hook = &hook;
  Model smooth = Model::from_spec(
      "input input - channels=2 height=5 width=5\nc conv2d input out=3 kernel=3 padding=1\n"
      "c2 conv2d c out=2 kernel=3 padding=1\nf flatten c2\nfc linear f out=4\n");
  initialize_weights(smooth, 7);
  // (c2's and fc's input gradients reach c's and c2's weight gradients: all three ranged
  // backward paths are checked.)
  Tensor xs({3, 2, 5, 5});
  nwtest::fill_normal(xs, 8, 9);
  nwtest::check_model_gradients(smooth, xs, ctx);
  EXPECT_GT(hook.calls.load(), 0);
  // One range with scale 0: that range's weights get no gradient.
  hook.factor[0] = 0.0f;
  nwtest::check_model_gradients(smooth, xs, ctx);
}
