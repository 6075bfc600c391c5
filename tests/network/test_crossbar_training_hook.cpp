// Crossbar-aware training: the hook reproduces the exact GEMM with an ideal crossbar, injects
// the crossbar's noise and readout otherwise (the same for any thread count), calibrates
// stochastic-MTJ maps, a short crossbar-aware QAT run lowers the loss, and the layers the hook
// keeps across steps train exactly like layers built anew for every weight change.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "cimmc/network/crossbar_training_hook.hpp"
#include "cimmc/network/dataset.hpp"
#include "cimmc/network/model.hpp"
#include "cimmc/network/quantize.hpp"
#include "cimmc/network/train.hpp"
#include "cimmc/network/zoo.hpp"
#include "crossbar_test_util.hpp"

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
  EXPECT_THROW(model.forward(x, ctx), cimmc::core::ModelError);
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
  c.gemms.digital_first = c.gemms.digital_last = true;
  const auto losses = train_with(c, 4);
  ASSERT_EQ(losses.size(), 2u);
  for (double l : losses) EXPECT_TRUE(std::isfinite(l));
}

namespace {
// The training hook without any cache beyond the current codes: a new engine layer whenever a
// layer's weight codes change (at the seed's variation address, with the last calibration), and
// a calibration computed on a new layer. The hook reprograms its layers in place and keeps their
// readout tables; it must train exactly like this.
class FreshLayerHook final : public GemmHook {
 public:
  // Its PS gradient is readout-range.
  FreshLayerHook(arch::CrossbarConfig config, int layers, std::uint64_t seed, PsGradient)
      : config_(std::move(config)), layers_(layers), seed_(seed) {}

  void begin_calibration() { calibrating_ = true; }
  void end_calibration() {
    calibrating_ = false;
    for (auto& [index, s] : state_) {
      if (!s.has_statistics) continue;
      arch::CrossbarLayer layer(config_, index, s.weights, s.n, s.k);
      layer.set_variation_address(seed_, 0, 0);
      layer.calibrate(s.statistics);
      s.calibration = layer.calibration();
      s.calibrated = true;
      s.layer.reset();
      s.statistics = {};
      s.has_statistics = false;
    }
  }

  void forward(const GemmHookContext& c, MatrixView output) override {
    if (config_.is_digital(c.layer_index, layers_)) return;
    std::vector<std::uint8_t> a;
    const auto layer = layer_for(c, a);
    if (calibrating_) {
      auto stats = layer->collect_statistics(a, c.M);
      std::lock_guard lock(mutex_);
      State& s = state_[c.layer_index];
      if (s.has_statistics) s.statistics.merge(stats);
      else s.statistics = std::move(stats);
      s.has_statistics = true;
      return;
    }
    arch::RunAddress address;
    address.trial = static_cast<std::uint32_t>(c.step & 0xFFFFFFu);
    address.gemm = static_cast<std::uint32_t>(c.layer_index);
    address.first_image = c.training ? c.image_offset % (std::size_t{1} << 19) : c.image_offset;
    address.rows_per_image = static_cast<std::uint32_t>(c.images > 0 ? c.M / c.images : c.M);
    std::vector<double> out(static_cast<std::size_t>(c.M) * c.N);
    arch::Counters counters;
    layer->run(a, c.M, address, seed_, out, counters);
    for (int m = 0; m < c.M; ++m)
      for (int n = 0; n < c.N; ++n) output(m, n) = static_cast<float>(out[static_cast<std::size_t>(m) * c.N + n]);
  }

  bool range_scales(const GemmHookContext& c, std::vector<int>& bounds, std::vector<float>& scales) override {
    if (config_.is_digital(c.layer_index, layers_)) return false;
    std::vector<std::uint8_t> a;
    const auto layer = layer_for(c, a);
    const int S = layer->geometry().subarrays, R = layer->geometry().rows;
    scales.resize(static_cast<std::size_t>(c.M) * S * c.N);
    layer->readout_slopes(a, c.M, scales, arch::CrossbarLayer::SlopeModel::kRange);
    bounds.resize(static_cast<std::size_t>(S) + 1);
    for (int s = 0; s <= S; ++s) bounds[static_cast<std::size_t>(s)] = std::min(c.K, s * R);
    return true;
  }

 private:
  struct State {
    std::vector<std::int8_t> weights;
    int n = 0, k = 0;
    std::shared_ptr<const arch::CrossbarLayer> layer;
    arch::LayerCalibration calibration;
    bool calibrated = false;
    arch::PsStatistics statistics;
    bool has_statistics = false;
  };
  std::shared_ptr<const arch::CrossbarLayer> layer_for(const GemmHookContext& c, std::vector<std::uint8_t>& a) {
    std::vector<std::int8_t> w(static_cast<std::size_t>(c.N) * c.K);
    for (int n = 0; n < c.N; ++n)
      for (int k = 0; k < c.K; ++k)
        w[static_cast<std::size_t>(n) * c.K + k] = static_cast<std::int8_t>(std::lround(c.weights(n, k)));
    a.resize(static_cast<std::size_t>(c.M) * c.K);
    for (int m = 0; m < c.M; ++m)
      for (int k = 0; k < c.K; ++k)
        // NOLINTNEXTLINE(bugprone-incorrect-roundings): codes >= 0, as the hook rounds them
        a[static_cast<std::size_t>(m) * c.K + k] = static_cast<std::uint8_t>(c.activations(m, k) + 0.5f);
    std::lock_guard lock(mutex_);
    State& s = state_[c.layer_index];
    if (!s.layer || s.weights != w) {
      auto layer = std::make_shared<arch::CrossbarLayer>(config_, c.layer_index, w, c.N, c.K);
      layer->set_variation_address(seed_, 0, 0);
      if (s.calibrated) layer->set_calibration(s.calibration);
      s.layer = std::move(layer);
      s.weights = std::move(w);
      s.n = c.N;
      s.k = c.K;
    }
    return s.layer;
  }

  arch::CrossbarConfig config_;
  int layers_;
  std::uint64_t seed_;
  bool calibrating_ = false;
  std::map<int, State> state_;
  std::mutex mutex_;
};

// Crossbar-aware QAT of the 4-bit LeNet-5 (48 images, batches of 8, readout-range PS gradient),
// recalibrated before training and after every second batch; returns the trained parameters.
// `visit(hook, done)` sees the hook before training (done = false) and after it (true).
template <class Hook>
std::vector<float> train_recalibrated(const arch::CrossbarConfig& c, int threads, std::vector<double>& losses,
                                      const std::function<void(Hook&, bool)>& visit = {}) {
  Model model = quantized_lenet(4);
  Hook hook(c, static_cast<int>(model.gemm_layers().size()), 5, PsGradient::kReadoutRange);
  if (visit) visit(hook, false);
  const auto calibrate = [&] {
    hook.begin_calibration();
    fake_quant_logits(model, &hook, 0, 16);
    hook.end_calibration();
  };
  calibrate();
  TrainConfig t;
  t.epochs = 2;
  t.batch = 8;
  t.lr = 0.02;
  t.mode = ExecMode::kFakeQuant;
  t.hook = &hook;
  TrainState state;
  Optimizer optimizer(t);
  const int saved = omp_get_max_threads();
  omp_set_num_threads(threads);
  train(model, take(fmnist(), 48), nullptr, t, state, optimizer, {}, [&](int done, int, double loss, double) {
    losses.push_back(loss);
    if (done % 2 == 0) calibrate();
  });
  omp_set_num_threads(saved);
  if (visit) visit(hook, true);
  std::vector<float> weights;
  for (auto& [name, p] : model.parameters()) weights.insert(weights.end(), p->value.data.begin(), p->value.data.end());
  return weights;
}

}  // namespace

TEST(CrossbarTrainingHook, KeptLayersTrainExactlyLikeNewLayersPerWeightChange) {
  // The hook reprograms its layers in place and keeps their readout tables across optimizer
  // steps; new weights every step and new maps every second batch must reach the engine exactly
  // as new layers would: parameters and losses bit for bit equal to FreshLayerHook's, for the
  // one-pulse and the bit-serial StoX designs, with 2 threads against 1. The hook's backward
  // passes read the slopes its forward passes kept (FreshLayerHook computes them again), and
  // with no room for kept slopes it computes them again too: the same bit for bit.
  for (const char* design : {"stox_mtj_t4", "stox_mtj_t4_bitserial"})
    for (const bool keep : {true, false}) {
      SCOPED_TRACE(fmt::format("{}, slopes kept: {}", design, keep));
      const auto c = arch::load_crossbar_config(std::string(CIMMC_SOURCE_DIR) + "/data/hw/" + design + ".toml");
      std::vector<double> kept_losses, fresh_losses;
      CrossbarTrainingHook::SlopeCounts counts;
      const auto kept =
          train_recalibrated<CrossbarTrainingHook>(c, 2, kept_losses, [&](CrossbarTrainingHook& hook, bool done) {
            if (!done && !keep) hook.set_slope_cache_bytes(0);
            if (done) counts = hook.slope_counts();
          });
      const auto fresh = train_recalibrated<FreshLayerHook>(c, 1, fresh_losses);
      ASSERT_EQ(kept_losses.size(), 12u);
      EXPECT_EQ(kept_losses, fresh_losses);
      ASSERT_EQ(kept.size(), fresh.size());
      std::size_t differ = 0;
      for (std::size_t i = 0; i < kept.size(); ++i) differ += kept[i] != fresh[i] ? 1 : 0;
      EXPECT_EQ(differ, 0u);
      // Every backward GEMM of the crossbar layers (the conv layers per image, the FC per batch).
      EXPECT_GT(keep ? counts.reused : counts.computed, 0u);
      EXPECT_EQ(keep ? counts.computed : counts.reused, 0u);
    }
}
