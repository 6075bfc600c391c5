// Layers: forward against direct definitions, backward against finite differences.
#include <gtest/gtest.h>

#include "cimmc/core/error.hpp"
#include "cimmc/network/gemm_layers.hpp"
#include "cimmc/network/layers.hpp"
#include "cimmc/network/model.hpp"
#include "grad_check.hpp"

using namespace cimmc::network;
using cimmc::network::nwtest::check_layer_gradients;
using cimmc::network::nwtest::check_model_gradients;
using cimmc::network::nwtest::fill_normal;

namespace {
Tensor random_tensor(Shape s, std::uint64_t element, float scale = 1.0f) {
  Tensor t(std::move(s));
  fill_normal(t, 7, element, scale);
  return t;
}
}  // namespace

TEST(Conv2d, ForwardMatchesDirectConvolution) {
  for (auto [stride, pad] : {std::pair{1, 0}, std::pair{1, 1}, std::pair{2, 1}, std::pair{2, 0}}) {
    Conv2d conv(3, 4, 3, stride, pad, true);
    fill_normal(conv.weight().value, 1, 1);
    fill_normal(conv.bias().value, 1, 2);
    const Tensor x = random_tensor({2, 3, 7, 6}, 3);
    Tensor y;
    const Tensor* in[] = {&x};
    conv.forward(in, y, {});
    const int OH = (7 + 2 * pad - 3) / stride + 1, OW = (6 + 2 * pad - 3) / stride + 1;
    ASSERT_EQ(y.shape, (Shape{2, 4, OH, OW}));
    for (int n = 0; n < 2; ++n)
      for (int o = 0; o < 4; ++o)
        for (int oy = 0; oy < OH; ++oy)
          for (int ox = 0; ox < OW; ++ox) {
            double s = conv.bias().value.data[o];
            for (int c = 0; c < 3; ++c)
              for (int ky = 0; ky < 3; ++ky)
                for (int kx = 0; kx < 3; ++kx) {
                  const int iy = oy * stride - pad + ky, ix = ox * stride - pad + kx;
                  if (iy < 0 || iy >= 7 || ix < 0 || ix >= 6) continue;
                  s += conv.weight().value.data[((o * 3 + c) * 3 + ky) * 3 + kx] *
                       x.data[((n * 3 + c) * 7 + iy) * 6 + ix];
                }
            EXPECT_NEAR(y.data[((n * 4 + o) * OH + oy) * OW + ox], s, 1e-4);
          }
  }
}

TEST(GradientCheck, Conv2dStridePadding) {
  for (auto [stride, pad, k] : {std::tuple{1, 1, 3}, std::tuple{2, 1, 3}, std::tuple{2, 0, 1}, std::tuple{1, 2, 5}}) {
    Conv2d conv(2, 3, k, stride, pad, true);
    fill_normal(conv.weight().value, 2, 1, 0.5f);
    fill_normal(conv.bias().value, 2, 2);
    check_layer_gradients(conv, {random_tensor({3, 2, 6, 7}, 4)}, {});
  }
}

TEST(GradientCheck, Linear) {
  Linear fc(5, 4, true);
  fill_normal(fc.weight().value, 3, 1);
  fill_normal(fc.bias().value, 3, 2);
  check_layer_gradients(fc, {random_tensor({11, 5}, 5)}, {});  // 11: not a multiple of the chunk size
}

TEST(GradientCheck, BatchNorm2dAnd1dInTrainingAndInference) {
  for (bool training : {true, false}) {
    RunContext ctx;
    ctx.training = training;
    BatchNorm bn2(3);
    fill_normal(bn2.parameters()[0]->value, 4, 1);
    fill_normal(bn2.parameters()[1]->value, 4, 2);
    check_layer_gradients(bn2, {random_tensor({4, 3, 3, 2}, 6)}, ctx, 1e-2, 3e-3, 3e-2);
    BatchNorm bn1(5);
    fill_normal(bn1.parameters()[0]->value, 4, 3);
    check_layer_gradients(bn1, {random_tensor({6, 5}, 7)}, ctx, 1e-2, 3e-3, 3e-2);
  }
}

TEST(BatchNorm, TrainingNormalizesAndUpdatesRunningStatistics) {
  BatchNorm bn(2);
  Tensor x = random_tensor({50, 2, 2, 2}, 8, 3.0f);
  for (float& v : x.data) v += 5.0f;
  Tensor y;
  const Tensor* in[] = {&x};
  RunContext train;
  train.training = true;
  bn.forward(in, y, train);
  for (int c = 0; c < 2; ++c) {
    double s = 0, ss = 0;
    for (int n = 0; n < 50; ++n)
      for (int i = 0; i < 4; ++i) {
        const double v = y.data[(n * 2 + c) * 4 + i];
        s += v, ss += v * v;
      }
    EXPECT_NEAR(s / 200, 0.0, 1e-5);
    EXPECT_NEAR(ss / 200, 1.0, 1e-3);
    EXPECT_NEAR(bn.running_mean().data[c], 0.1 * 5.0, 0.1);  // momentum 0.1 from 0
  }
}

TEST(GradientCheck, ActivationsAwayFromKinks) {
  Tensor x = random_tensor({3, 2, 4, 4}, 9);
  for (float& v : x.data)
    if (std::abs(v) < 0.05f) v = 0.3f;  // central differences straddle no kink
  ReLU relu;
  check_layer_gradients(relu, {x}, {});
  for (float& v : x.data)
    if (std::abs(std::abs(v) - 1.0f) < 0.05f) v = 0.5f;
  Hardtanh ht(-1.0f, 1.0f);
  check_layer_gradients(ht, {x}, {});
}

TEST(GradientCheck, Pooling) {
  Tensor x = random_tensor({2, 3, 6, 5}, 10);
  Pool2d maxp(Pool2d::Type::kMax, 2, 2);
  check_layer_gradients(maxp, {x}, {}, 1e-3, 2e-3, 2e-2);
  Pool2d maxp3(Pool2d::Type::kMax, 3, 1);
  check_layer_gradients(maxp3, {x}, {}, 1e-3, 2e-3, 2e-2);
  Pool2d avgp(Pool2d::Type::kAverage, 2, 2);
  check_layer_gradients(avgp, {x}, {});
  GlobalAvgPool gap;
  check_layer_gradients(gap, {x}, {});
}

TEST(GradientCheck, AddAndFlatten) {
  Add add;
  check_layer_gradients(add, {random_tensor({2, 3, 2, 2}, 11), random_tensor({2, 3, 2, 2}, 12)}, {});
  Flatten flat;
  check_layer_gradients(flat, {random_tensor({2, 3, 2, 2}, 13)}, {});
}

TEST(GradientCheck, SoftmaxCrossEntropy) {
  Tensor z = random_tensor({4, 5}, 14);
  const std::vector<int> labels{0, 3, 4, 1};
  Tensor g;
  softmax_cross_entropy(z, labels, &g, nullptr);
  for (std::size_t i = 0; i < z.size(); ++i) {
    const float keep = z.data[i];
    z.data[i] = keep + 1e-3f;
    const double lp = softmax_cross_entropy(z, labels, nullptr, nullptr);
    z.data[i] = keep - 1e-3f;
    const double lm = softmax_cross_entropy(z, labels, nullptr, nullptr);
    z.data[i] = keep;
    EXPECT_NEAR(g.data[i], (lp - lm) / 2e-3, 1e-3);
  }
}

TEST(GradientCheck, DistillationLoss) {
  Tensor z = random_tensor({4, 5}, 16), t = random_tensor({4, 5}, 17);
  const std::vector<int> labels{0, 3, 4, 1};
  for (const double alpha : {0.0, 0.3, 1.0})
    for (const double tau : {1.0, 4.0}) {
      Tensor g;
      int correct = -1;
      distillation_loss(z, t, labels, alpha, tau, &g, &correct);
      int hard_correct = -1;
      softmax_cross_entropy(z, labels, nullptr, &hard_correct);
      EXPECT_EQ(correct, hard_correct);
      for (std::size_t i = 0; i < z.size(); ++i) {
        const float keep = z.data[i];
        z.data[i] = keep + 1e-3f;
        const double lp = distillation_loss(z, t, labels, alpha, tau, nullptr, nullptr);
        z.data[i] = keep - 1e-3f;
        const double lm = distillation_loss(z, t, labels, alpha, tau, nullptr, nullptr);
        z.data[i] = keep;
        EXPECT_NEAR(g.data[i], (lp - lm) / 2e-3, 1e-3) << "alpha " << alpha << " tau " << tau << " element " << i;
      }
    }
}

TEST(DistillationLoss, ValuesAgainstTheDefinition) {
  // One item, three classes: (1 − α)·CE + α·τ²·KL(softmax(t/τ) ‖ softmax(z/τ)) by hand.
  Tensor z({1, 3}), t({1, 3});
  z.data = {1.0f, 2.0f, 0.5f};
  t.data = {3.0f, 0.0f, -1.0f};
  const std::vector<int> label{1};
  const double tau = 2.0, alpha = 0.25;
  auto softmax = [](const Tensor& x, double temp, int c) {
    double sum = 0;
    for (float v : x.data) sum += std::exp(v / temp);
    return std::exp(x.data[static_cast<std::size_t>(c)] / temp) / sum;
  };
  double kl = 0;
  for (int c = 0; c < 3; ++c) kl += softmax(t, tau, c) * std::log(softmax(t, tau, c) / softmax(z, tau, c));
  const double expected = (1 - alpha) * -std::log(softmax(z, 1.0, 1)) + alpha * tau * tau * kl;
  EXPECT_NEAR(distillation_loss(z, t, label, alpha, tau, nullptr, nullptr), expected, 1e-9);
  // The student equal to the teacher: the soft term vanishes.
  EXPECT_NEAR(distillation_loss(t, t, label, 1.0, tau, nullptr, nullptr), 0.0, 1e-12);
  // Bad arguments.
  EXPECT_THROW(distillation_loss(z, t, label, 1.5, tau, nullptr, nullptr), cimmc::core::ArgumentError);
  EXPECT_THROW(distillation_loss(z, t, label, 0.5, 0.0, nullptr, nullptr), cimmc::core::ArgumentError);
  EXPECT_THROW(distillation_loss(z, random_tensor({2, 3}, 18), label, 0.5, tau, nullptr, nullptr),
               cimmc::core::ArgumentError);
}

TEST(GradientCheck, ResidualGraphThroughModel) {
  const std::string spec =
      "input input - channels=2 height=5 width=5\n"
      "c1 conv2d input out=3 kernel=3 padding=1 bias=1\n"
      "b1 batchnorm c1\n"
      "c2 conv2d b1 out=3 kernel=3 padding=1 bias=0\n"
      "sum add c2,b1\n"
      "gap globalavgpool sum\n"
      "fc linear gap out=4\n";
  Model m = Model::from_spec(spec);
  for (auto& [name, p] : m.parameters()) fill_normal(p->value, 15, std::hash<std::string>{}(name) % 1000, 0.5f);
  RunContext ctx;
  ctx.training = true;
  check_model_gradients(m, random_tensor({3, 2, 5, 5}, 16), ctx, 1e-2, 3e-3, 3e-2);
}

TEST(GradientCheck, FakeQuantizedConvUsesStraightThroughEstimator) {
  // With quantized operands the layer is piecewise constant; its backward is the gradient of the
  // dequantized product: dL/dW = dL/dWq (STE) and dL/dx masked outside the clip range.
  Conv2d conv(1, 2, 3, 1, 1, true);
  fill_normal(conv.weight().value, 17, 1, 0.5f);
  conv.quant() = {true, 8, 8, 0.05f};
  Tensor x = random_tensor({1, 1, 4, 4}, 18);
  for (float& v : x.data) v = std::abs(v);
  x.data[0] = 20.0f;  // above the clip (255·0.05 = 12.75): no gradient
  RunContext ctx;
  ctx.mode = ExecMode::kFakeQuant;
  ctx.training = true;
  Tensor y;
  const Tensor* in[] = {&x};
  conv.forward(in, y, ctx);
  Tensor R(y.shape, 1.0f), gx;
  Tensor* gin[] = {&gx};
  conv.weight().grad.zero();
  conv.bias().grad.zero();
  conv.backward(in, y, R, gin, ctx);
  EXPECT_EQ(gx.data[0], 0.0f);
  // The float layer on dequantized operands gives the same gradients.
  Conv2d ref(1, 2, 3, 1, 1, true);
  const auto scales = conv.weight_scales(8);
  const auto codes = conv.weight_codes(8, scales);
  for (int i = 0; i < 18; ++i) ref.weight().value.data[i] = codes[i] * scales[i / 9];
  Tensor xq = x;
  for (float& v : xq.data) v = std::min(std::round(v / 0.05f), 255.0f) * 0.05f;
  Tensor yr, gxr;
  const Tensor* inr[] = {&xq};
  ref.forward(inr, yr, {});
  for (std::size_t i = 0; i < y.size(); ++i) EXPECT_NEAR(y.data[i], yr.data[i], 1e-4);
  Tensor* ginr[] = {&gxr};
  ref.weight().grad.zero();
  ref.bias().grad.zero();
  ref.backward(inr, yr, R, ginr, {});
  for (int i = 0; i < 18; ++i) EXPECT_NEAR(conv.weight().grad.data[i], ref.weight().grad.data[i], 1e-3);
  for (std::size_t i = 1; i < gx.size(); ++i) EXPECT_NEAR(gx.data[i], gxr.data[i], 1e-4);
}

TEST(Layers, ShapeErrorsNameTheLayer) {
  EXPECT_THROW(Model::from_spec("input input - channels=1 height=4 width=4\nfc linear input out=3\n"),
               cimmc::core::ModelError);
  try {
    Model::from_spec("input input - channels=1 height=4 width=4\np maxpool2d input kernel=5\n");
    FAIL();
  } catch (const cimmc::core::ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("line 2"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("'p'"), std::string::npos) << e.what();
  }
}
