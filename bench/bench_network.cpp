// Network layer throughput: float and integer inference, and training steps, in images/s.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <string>

#include "cimmc/arch/crossbar_config.hpp"
#include "cimmc/core/rng.hpp"
#include "cimmc/network/crossbar_training_hook.hpp"
#include "cimmc/network/quantize.hpp"
#include "cimmc/network/train.hpp"
#include "cimmc/network/zoo.hpp"

namespace nw = cimmc::network;

namespace {

nw::Dataset random_dataset(const nw::Shape& chw, int n) {
  nw::Dataset d;
  d.channels = chw[0], d.height = chw[1], d.width = chw[2], d.classes = 10;
  cimmc::core::rng::Stream s(1, {cimmc::core::rng::Purpose::kTest, 0, 0, 0});
  d.pixels.resize(static_cast<std::size_t>(n) * d.image_size());
  for (auto& p : d.pixels) p = static_cast<std::uint8_t>(s() % 256);
  for (int i = 0; i < n; ++i) d.labels.push_back(static_cast<int>(s() % 10));
  return d;
}

nw::Shape input_of(const std::string& zoo) { return zoo == "resnet20" ? nw::Shape{3, 32, 32} : nw::Shape{1, 28, 28}; }

nw::Model model_of(const std::string& zoo) {
  nw::Model m = nw::Model::from_spec(nw::zoo_spec(zoo, input_of(zoo), 10));
  nw::initialize_weights(m, 1);
  return m;
}

void batch_of(const nw::Dataset& d, int n, nw::Tensor& x, std::vector<int>& y) {
  std::vector<int> idx(n);
  for (int i = 0; i < n; ++i) idx[i] = i % d.size();
  nw::make_batch(d, idx, x, y);
}

void BM_InferenceFloat(benchmark::State& state, const std::string& zoo) {
  const int batch = zoo == "resnet20" ? 16 : 64;
  nw::Model m = model_of(zoo);
  const auto d = random_dataset(input_of(zoo), batch);
  nw::Tensor x;
  std::vector<int> y;
  batch_of(d, batch, x, y);
  for (auto _ : state) benchmark::DoNotOptimize(m.forward(x, {}).data.data());
  state.SetItemsProcessed(state.iterations() * batch);
}

void BM_InferenceInt(benchmark::State& state, const std::string& zoo) {
  const int batch = 16;
  const auto d = random_dataset(input_of(zoo), 64);
  nw::QuantOptions q;
  q.calibration_images = 64;
  nw::Model m = nw::quantize_model(model_of(zoo), d, q);
  nw::Tensor x;
  std::vector<int> y;
  batch_of(d, batch, x, y);
  nw::RunContext ctx;
  ctx.mode = nw::ExecMode::kInteger;
  for (auto _ : state) benchmark::DoNotOptimize(m.forward(x, ctx).data.data());
  state.SetItemsProcessed(state.iterations() * batch);
}

void BM_TrainStep(benchmark::State& state, const std::string& zoo) {
  const int batch = 64;
  nw::Model m = model_of(zoo);
  const auto d = random_dataset(input_of(zoo), batch);
  nw::Tensor x, grad;
  std::vector<int> y;
  batch_of(d, batch, x, y);
  nw::TrainConfig c;
  nw::Optimizer opt(c);
  auto params = m.parameters();
  nw::RunContext ctx;
  ctx.training = true;
  for (auto _ : state) {
    m.zero_grad();
    const nw::Tensor& logits = m.forward(x, ctx);
    nw::softmax_cross_entropy(logits, y, &grad, nullptr);
    m.backward(grad, ctx);
    opt.step(params, 0.01);
  }
  state.SetItemsProcessed(state.iterations() * batch);
}

// One crossbar-aware QAT step (forward through the crossbar engine, PS-aware backward, optimizer
// step) of the 4-bit VGG-small on Fashion-MNIST-sized images, as `cimmc train --qat --bits 4 --hw
// <design> --ps-gradient readout-range` runs it: the stochastic MTJ readout of data/hw/<design>.toml
// with its maps calibrated on 64 images before the first step. The weights change every step, so
// every step reprograms the crossbar layers, as in training.
void BM_CrossbarTrainStep(benchmark::State& state, const std::string& design) {
  const int batch = static_cast<int>(state.range(0));
  const nw::Shape shape{1, 28, 28};
  const auto d = random_dataset(shape, std::max(batch, 64));
  nw::QuantOptions q;
  q.weight_bits = q.activation_bits = 4;
  q.calibration_images = 64;
  nw::Model m = nw::quantize_model(model_of("vgg_small"), d, q);
  const auto config = cimmc::arch::load_crossbar_config(std::string(CIMMC_SOURCE_DIR) + "/data/hw/" + design + ".toml");
  nw::CrossbarTrainingHook hook(config, static_cast<int>(m.gemm_layers().size()), 1, nw::PsGradient::kReadoutRange);
  nw::RunContext ctx;
  ctx.mode = nw::ExecMode::kFakeQuant;
  ctx.hook = &hook;
  hook.begin_calibration();
  nw::evaluate(m, d, ctx, 64, 64);
  hook.end_calibration();
  nw::Tensor x, grad;
  std::vector<int> y;
  batch_of(d, batch, x, y);
  nw::TrainConfig c;
  c.mode = nw::ExecMode::kFakeQuant;
  nw::Optimizer opt(c);
  auto params = m.parameters();
  ctx.training = true;
  for (auto _ : state) {
    ctx.step = opt.steps();
    ctx.image_offset = static_cast<std::size_t>(opt.steps()) * batch;
    m.zero_grad();
    const nw::Tensor& logits = m.forward(x, ctx);
    nw::softmax_cross_entropy(logits, y, &grad, nullptr);
    m.backward(grad, ctx);
    opt.step(params, 0.001);
  }
  state.SetItemsProcessed(state.iterations() * batch);
}

}  // namespace

BENCHMARK_CAPTURE(BM_InferenceFloat, lenet5, std::string("lenet5"))->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_InferenceFloat, vgg_small, std::string("vgg_small"))->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_InferenceFloat, resnet20, std::string("resnet20"))->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_InferenceInt, resnet20, std::string("resnet20"))->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_InferenceInt, lenet5, std::string("lenet5"))->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_TrainStep, lenet5, std::string("lenet5"))->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_TrainStep, vgg_small, std::string("vgg_small"))->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_CrossbarTrainStep, one_pulse, std::string("stox_mtj_t4"))
    ->Arg(32)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_CrossbarTrainStep, bit_serial, std::string("stox_mtj_t4_bitserial"))
    ->Arg(32)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
