// Crossbar-aware training: the hook reproduces the exact GEMM with an ideal crossbar, injects
// the crossbar's noise and readout otherwise (the same for any thread count), calibrates
// stochastic-MTJ maps, and a short crossbar-aware QAT run lowers the loss.
#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <cstdio>

#include "cimmc/network/crossbar_training_hook.hpp"
#include "crossbar_test_util.hpp"
#include "cimmc/network/dataset.hpp"
#include "cimmc/network/model.hpp"
#include "cimmc/network/quantize.hpp"
#include "cimmc/network/train.hpp"
#include "cimmc/network/zoo.hpp"

using namespace cimmc;
using namespace cimmc::network;

namespace {
const Dataset& fmnist() {
  static const Dataset d = take(load_dataset("fashion-mnist", "train"), 512);
  return d;
}

Model quantized_lenet(int bits) {
  Model m = Model::from_spec(zoo_spec("lenet5", fmnist().image_shape(), 10), "lenet5");
  initialize_weights(m, 7);
  QuantOptions q;
  q.weight_bits = q.activation_bits = bits;
  q.calibration_images = 64;
  return quantize_model(m, fmnist(), q);
}

Tensor fake_quant_logits(Model& model, GemmHook* hook, int first, int count) {
  RunContext ctx;
  ctx.mode = ExecMode::kFakeQuant;
  ctx.hook = hook;
  return xbtest::logits_of(model, fmnist(), ctx, first, count);
}

arch::CrossbarConfig hw(circuit::ReadoutKind kind, int bits) { return xbtest::crossbar_hw(kind, bits, 128); }
}  // namespace

TEST(CrossbarTrainingHook, IdealCrossbarLeavesTheForwardPassUnchanged) {
  Model model = quantized_lenet(8);
  const int layers = static_cast<int>(model.gemm_layers().size());
  CrossbarTrainingHook ideal(hw(circuit::ReadoutKind::kIdeal, 8), layers, 1);
  const Tensor plain = fake_quant_logits(model, nullptr, 0, 16);
  const Tensor hooked = fake_quant_logits(model, &ideal, 0, 16);
  ASSERT_EQ(plain.data.size(), hooked.data.size());
  for (std::size_t i = 0; i < plain.data.size(); ++i) EXPECT_FLOAT_EQ(plain.data[i], hooked.data[i]) << i;
}

TEST(CrossbarTrainingHook, NoiseChangesOutputsTheSameWayForAnyThreadCount) {
  Model model = quantized_lenet(8);
  const int layers = static_cast<int>(model.gemm_layers().size());
  auto c = hw(circuit::ReadoutKind::kAdc, 8);
  c.readout.adc.bits = 6;
  c.noise = circuit::NoiseParams::relative_full_scale(0.01);
  CrossbarTrainingHook a(c, layers, 3), b(c, layers, 3);
  const Tensor plain = fake_quant_logits(model, nullptr, 0, 8);
  const Tensor two = fake_quant_logits(model, &a, 0, 8);
  const int saved = omp_get_max_threads();
  omp_set_num_threads(1);
  const Tensor one = fake_quant_logits(model, &b, 0, 8);
  omp_set_num_threads(saved);
  bool differs = false;
  for (std::size_t i = 0; i < plain.data.size(); ++i) {
    ASSERT_EQ(two.data[i], one.data[i]) << i;
    differs |= plain.data[i] != two.data[i];
  }
  EXPECT_TRUE(differs);
}

TEST(CrossbarTrainingHook, RequiresAQuantizedForwardPass) {
  Model model = Model::from_spec(zoo_spec("lenet5", fmnist().image_shape(), 10), "lenet5");
  initialize_weights(model, 1);
  CrossbarTrainingHook hook(hw(circuit::ReadoutKind::kIdeal, 8), static_cast<int>(model.gemm_layers().size()), 1);
  std::vector<int> idx{0};
  Tensor x;
  std::vector<int> labels;
  make_batch(fmnist(), idx, x, labels);
  RunContext ctx;
  ctx.hook = &hook;
  EXPECT_THROW(model.forward(x, ctx), ModelError);
}

namespace {
// Two epochs of crossbar-aware QAT on 256 images; returns the epoch losses.
std::vector<double> train_with(const arch::CrossbarConfig& c, int bits) {
  Model model = quantized_lenet(bits);
  CrossbarTrainingHook hook(c, static_cast<int>(model.gemm_layers().size()), 5);
  if (hook.needs_calibration()) {
    hook.begin_calibration();
    fake_quant_logits(model, &hook, 0, 64);
    hook.end_calibration();
  }
  TrainConfig t;
  t.epochs = 2;
  t.batch = 16;
  t.lr = 0.02;
  t.mode = ExecMode::kFakeQuant;
  t.hook = &hook;
  TrainState state;
  Optimizer optimizer(t);
  const Dataset subset = take(fmnist(), 256);
  train(model, subset, nullptr, t, state, optimizer);
  std::vector<double> losses;
  for (const auto& e : state.history) losses.push_back(e.train_loss);
  std::printf("losses:");
  for (double l : losses) std::printf(" %.4f", l);
  std::printf("\n");
  return losses;
}
}  // namespace

TEST(CrossbarTrainingHook, NoiseAwareQatLowersTheLoss) {
  auto c = hw(circuit::ReadoutKind::kAdc, 8);
  c.readout.adc.bits = 8;
  c.noise = circuit::NoiseParams::relative_full_scale(0.002);
  const auto losses = train_with(c, 8);
  ASSERT_EQ(losses.size(), 2u);
  EXPECT_LT(losses.back(), 0.8 * losses.front());
}

TEST(CrossbarTrainingHook, StochasticMtjQatRuns) {
  // StoX-style partial-sum-aware training: 4-bit model, stochastic MTJ readout (T = 4, 128-row
  // subarrays), first and last layers digital, maps calibrated before training.
  auto c = hw(circuit::ReadoutKind::kStochasticMtj, 4);
  c.readout.mtj.samples = 4;
  c.digital_first = c.digital_last = true;
  const auto losses = train_with(c, 4);
  ASSERT_EQ(losses.size(), 2u);
  for (double l : losses) EXPECT_TRUE(std::isfinite(l));
}
