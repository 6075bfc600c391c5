// Crossbar engine throughput on the GEMMs of one ResNet-20 CIFAR-10 image (32×32×3 input): the
// 19 convolutions (im2col: M = output pixels, K = Cin·9, N = Cout) and the final FC layer, with
// R = 128 rows per subarray, 8-bit activations fed bit-serially and 8-bit weights at 1 bit per
// cell. items_per_second = images per second with all threads (OpenMP over GEMM rows).
// Activations are half zeros (post-ReLU), weights roughly Gaussian; both fixed per layer.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <random>
#include <vector>

#include "cimmc/arch/crossbar_config.hpp"
#include "cimmc/arch/crossbar_layer.hpp"
#include "cimmc/arch/level_sampling.hpp"

namespace {

using cimmc::arch::CrossbarConfig;
using cimmc::arch::CrossbarLayer;
using cimmc::circuit::ReadoutKind;

struct GemmShape {
  int m, k, n;
};

// ResNet-20 (CIFAR form, option-A identity shortcuts: no shortcut convolutions).
std::vector<GemmShape> resnet20_shapes() {
  std::vector<GemmShape> s;
  s.push_back({1024, 3 * 9, 16});                               // conv1, 32×32
  for (int i = 0; i < 6; ++i) s.push_back({1024, 16 * 9, 16});  // stage 1: 3 blocks × 2
  s.push_back({256, 16 * 9, 32});                               // stage 2, stride 2
  for (int i = 0; i < 5; ++i) s.push_back({256, 32 * 9, 32});
  s.push_back({64, 32 * 9, 64});  // stage 3, stride 2
  for (int i = 0; i < 5; ++i) s.push_back({64, 64 * 9, 64});
  s.push_back({1, 64, 10});  // FC after global average pooling
  return s;
}

struct Network {
  std::vector<GemmShape> shapes;
  std::vector<std::unique_ptr<CrossbarLayer>> layers;
  std::vector<std::vector<std::uint8_t>> activations;
  std::vector<std::vector<double>> outputs;
};

Network make_network(const CrossbarConfig& config, int images) {
  Network net;
  net.shapes = resnet20_shapes();
  std::mt19937 gen(7);
  std::normal_distribution<double> weight(0.0, 30.0);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (std::size_t l = 0; l < net.shapes.size(); ++l) {
    const auto [m, k, n] = net.shapes[l];
    std::vector<std::int8_t> w(static_cast<std::size_t>(n) * k);
    for (auto& x : w) x = static_cast<std::int8_t>(std::clamp(std::lround(weight(gen)), -127L, 127L));
    net.layers.push_back(std::make_unique<CrossbarLayer>(config, static_cast<int>(l), w, n, k));
    std::vector<std::uint8_t> a(static_cast<std::size_t>(m) * images * k);
    for (auto& x : a) x = u(gen) < 0.5 ? 0 : static_cast<std::uint8_t>(std::min(255.0, -40.0 * std::log(u(gen))));
    net.activations.push_back(std::move(a));
    net.outputs.emplace_back(static_cast<std::size_t>(m) * images * n);
  }
  return net;
}

CrossbarConfig base_config() {
  CrossbarConfig c;
  c.rows = 128;
  c.bits_per_cell = 1;
  c.input_bits = 8;
  c.weight_bits = 8;
  c.noise = cimmc::circuit::NoiseParams::relative_full_scale(0.01);
  return c;
}

void run_resnet20(benchmark::State& state, const CrossbarConfig& config) {
  const int images = static_cast<int>(state.range(0));
  Network net = make_network(config, images);
  std::uint32_t trial = 0;
  cimmc::arch::Counters counters;
  for (auto _ : state) {
    for (std::size_t l = 0; l < net.layers.size(); ++l) {
      const auto& s = net.shapes[l];
      const cimmc::arch::RunAddress address{0, trial, static_cast<std::uint32_t>(l), 0,
                                            static_cast<std::uint32_t>(s.m)};
      net.layers[l]->run(net.activations[l], s.m * images, address, 42, net.outputs[l], counters);
    }
    benchmark::DoNotOptimize(net.outputs.back().data());
    ++trial;
  }
  state.SetItemsProcessed(state.iterations() * images);
  const double per_image = 1.0 / (static_cast<double>(state.iterations()) * images);
  state.counters["PS_per_image"] = static_cast<double>(counters.partial_sums) * per_image;
  state.counters["conversions_per_image"] = static_cast<double>(counters.adc_conversions) * per_image;
  state.counters["mtj_samples_per_image"] = static_cast<double>(counters.mtj_samples) * per_image;
  state.counters["lcu_senses_per_image"] = static_cast<double>(counters.lcu_senses) * per_image;
}

// The headline: Gaussian PS noise σ = 1 % of full scale and a 5-bit ADC on every PS
// (σ = 0.31 LSB; default sampling auto: level sampling, docs/rare_event_sampling.md), and the
// same with one normal per conversion (_Direct).
void BM_CrossbarResNet20(benchmark::State& state) {
  CrossbarConfig c = base_config();
  c.readout.kind = ReadoutKind::kAdc;
  c.readout.adc.bits = 5;
  run_resnet20(state, c);
}

void BM_CrossbarResNet20_Direct(benchmark::State& state) {
  CrossbarConfig c = base_config();
  c.readout.kind = ReadoutKind::kAdc;
  c.readout.adc.bits = 5;
  c.readout.sampling = cimmc::circuit::ReadoutSampling::kDirect;
  run_resnet20(state, c);
}

// The physical chain of data/hw/stox_mtj_physical.toml (T = 4, the stox_converter device table at
// 1 ns, 3 % MTJ variation with in-situ calibration, a trim circuit, physical noise of 0.1 LSB per
// cell and 0.6 LSB per conversion): the MTJ's analog path, P per analog PS from the device table.
// Maps at full scale (the design's column calibration needs images; none here), 8-bit codes.
void BM_CrossbarResNet20_StochasticMtj_Physical(benchmark::State& state) {
  CrossbarConfig c =
      cimmc::arch::load_crossbar_config(std::string(CIMMC_SOURCE_DIR) + "/data/hw/stox_mtj_physical.toml");
  c.input_bits = c.weight_bits = 8;  // the benchmark's 8-bit ResNet-20 codes
  run_resnet20(state, c);
}

// Stochastic SOT-MTJ readout, T = 8 samples per PS (sigmoid curve, a = 4), no extra noise.
void BM_CrossbarResNet20_StochasticMtj(benchmark::State& state) {
  CrossbarConfig c = base_config();
  c.signed_scheme = cimmc::arch::SignedScheme::kDifferential;
  c.readout.kind = ReadoutKind::kStochasticMtj;
  c.readout.mtj.samples = 8;
  c.noise.sigma_fraction = 0.0;
  run_resnet20(state, c);
}

// ZEBRA LCU: groups of G = 8 rows, 9-level sense, σ = 1 % of the group full scale,
// adaptive-flip encoding.
void BM_CrossbarResNet20_ZebraLcu(benchmark::State& state) {
  CrossbarConfig c = base_config();
  c.encoding = cimmc::arch::Encoding::kAdaptiveFlip;
  c.readout.kind = ReadoutKind::kZebraLcu;
  c.readout.lcu.group_rows = 8;
  c.readout.lcu.levels = 9;
  run_resnet20(state, c);
}

// The same with one normal per sense (readout.sampling = "direct"): the default ("auto") samples
// the rare errors of this σ = 0.08 LSB by rare-event sampling (docs/rare_event_sampling.md).
void BM_CrossbarResNet20_ZebraLcu_Direct(benchmark::State& state) {
  CrossbarConfig c = base_config();
  c.encoding = cimmc::arch::Encoding::kAdaptiveFlip;
  c.readout.kind = ReadoutKind::kZebraLcu;
  c.readout.lcu.group_rows = 8;
  c.readout.lcu.levels = 9;
  c.readout.sampling = cimmc::circuit::ReadoutSampling::kDirect;
  run_resnet20(state, c);
}

// Direct against rare-event sampling across the noise: args (images, sampling: 0 = direct,
// 1 = rare_event, σ in thousandths of an LSB). The noise is one physical sense term of σ per
// sense (no cell or offset terms): per LCU group of G = 8 rows, or per conversion of a fine ADC
// (8 bits over R = 128 rows: a step of 1 LSB).
cimmc::circuit::ReadoutSampling sampling_arg(const benchmark::State& state) {
  return state.range(1) == 0 ? cimmc::circuit::ReadoutSampling::kDirect : cimmc::circuit::ReadoutSampling::kRareEvent;
}

void BM_CrossbarResNet20_ZebraLcuSigma(benchmark::State& state) {
  CrossbarConfig c = base_config();
  c.noise = cimmc::circuit::NoiseParams{};
  c.noise.sense_sigma_lsb = static_cast<double>(state.range(2)) * 1e-3;
  c.encoding = cimmc::arch::Encoding::kAdaptiveFlip;
  c.readout.kind = ReadoutKind::kZebraLcu;
  c.readout.lcu.group_rows = 8;
  c.readout.lcu.levels = 9;
  c.readout.sampling = sampling_arg(state);
  run_resnet20(state, c);
}

void BM_CrossbarResNet20_FineAdcSigma(benchmark::State& state) {
  CrossbarConfig c = base_config();
  c.noise = cimmc::circuit::NoiseParams{};
  c.noise.sense_sigma_lsb = static_cast<double>(state.range(2)) * 1e-3;
  c.readout.kind = ReadoutKind::kAdc;
  c.readout.adc.bits = 8;
  c.readout.sampling = sampling_arg(state);
  run_resnet20(state, c);
}

// The physical noise of data/hw/adc_baseline.toml and zebra_lcu.toml (0.1 LSB per active unit
// cell, 0.6 LSB per sense): σ follows each sense's PS.
cimmc::circuit::NoiseParams physical_noise() {
  cimmc::circuit::NoiseParams p;
  p.cell_sigma_lsb = 0.1;
  p.sense_sigma_lsb = 0.6;
  return p;
}

void BM_CrossbarResNet20_Physical(benchmark::State& state) {
  CrossbarConfig c = base_config();
  c.noise = physical_noise();
  c.readout.kind = ReadoutKind::kAdc;
  c.readout.adc.bits = 5;
  run_resnet20(state, c);
}

void BM_CrossbarResNet20_ZebraLcu_Physical(benchmark::State& state) {
  CrossbarConfig c = base_config();
  c.noise = physical_noise();
  c.encoding = cimmc::arch::Encoding::kAdaptiveFlip;
  c.readout.kind = ReadoutKind::kZebraLcu;
  c.readout.lcu.group_rows = 8;
  c.readout.lcu.levels = 9;
  run_resnet20(state, c);
}

// Exact partial sums only (ideal readout, no noise): the cost of the popcount kernels.
void BM_CrossbarResNet20_Ideal(benchmark::State& state) {
  CrossbarConfig c = base_config();
  c.noise.sigma_fraction = 0.0;
  run_resnet20(state, c);
}

// The same with the LCU benchmarks' mapping (adaptive-flip encoding: about twice the planes and
// partial sums of two's complement): the exact-PS cost a ZEBRA LCU run starts from.
void BM_CrossbarResNet20_Ideal_AdaptiveFlip(benchmark::State& state) {
  CrossbarConfig c = base_config();
  c.noise.sigma_fraction = 0.0;
  c.encoding = cimmc::arch::Encoding::kAdaptiveFlip;
  run_resnet20(state, c);
}

}  // namespace

BENCHMARK(BM_CrossbarResNet20)->Arg(4)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_CrossbarResNet20_Direct)->Arg(4)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_CrossbarResNet20_StochasticMtj)->Arg(4)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_CrossbarResNet20_StochasticMtj_Physical)->Arg(4)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_CrossbarResNet20_ZebraLcu)->Arg(4)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_CrossbarResNet20_ZebraLcu_Direct)->Arg(4)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_CrossbarResNet20_ZebraLcuSigma)
    ->ArgNames({"images", "rare", "sigma_mlsb"})
    ->ArgsProduct({{4}, {0, 1}, {10, 100, 300, 1000}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_CrossbarResNet20_FineAdcSigma)
    ->ArgNames({"images", "rare", "sigma_mlsb"})
    ->ArgsProduct({{4}, {0, 1}, {10, 100, 300, 1000}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_CrossbarResNet20_Physical)->Arg(4)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_CrossbarResNet20_ZebraLcu_Physical)->Arg(4)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_CrossbarResNet20_Ideal)->Arg(4)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_CrossbarResNet20_Ideal_AdaptiveFlip)->Arg(4)->Unit(benchmark::kMillisecond)->UseRealTime();

// The AND + popcount kernels per level, one thread: one subarray of R = 128 rows (2 words) and
// 64 output columns per call, as run_row calls them. items_per_second = 64-bit AND + popcount
// word operations per second (words × columns per call); a level the CPU lacks is skipped.
namespace {

void BM_AndPopcount(benchmark::State& state, cimmc::core::KernelIsa isa) {
  if (!cimmc::core::kernel_isa_supported(isa)) {
    state.SkipWithError("this CPU lacks the kernel level");
    return;
  }
  const int words = static_cast<int>(state.range(0)), columns = 64;
  std::mt19937_64 gen(3);
  std::vector<std::uint64_t> a(static_cast<std::size_t>(words)), plane(static_cast<std::size_t>(words) * columns);
  for (auto& x : a) x = gen();
  for (auto& x : plane) x = gen();
  std::vector<std::int32_t> out(columns);
  const auto kernel = cimmc::arch::and_popcount_function(isa);
  for (auto _ : state) {
    kernel(a.data(), plane.data(), words, columns, out.data());
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * words * columns);
}

BENCHMARK_CAPTURE(BM_AndPopcount, portable, cimmc::core::KernelIsa::kPortable)->Arg(2)->Arg(16);
BENCHMARK_CAPTURE(BM_AndPopcount, avx2, cimmc::core::KernelIsa::kAvx2)->Arg(2)->Arg(16);
BENCHMARK_CAPTURE(BM_AndPopcount, avx512, cimmc::core::KernelIsa::kAvx512)->Arg(2)->Arg(16);

}  // namespace

// Level sampling of ADC codes (cimmc/arch/level_sampling.hpp), one thread: blocks of 256
// conversions of the headline's quantizer (5-bit ADC over 128 unit signals, σ = 1.28 = 1 % of
// full scale), partial sums as a sparse bit-serial crossbar gives them (a third zeros, the rest
// 1..40), uniforms already drawn. items_per_second = conversions per second; `reference` is the
// plain loop the kernel is tested against.
namespace {

void BM_LevelConvert(benchmark::State& state, bool reference) {
  namespace level = cimmc::arch::level;
  const auto table = level::Table::build(cimmc::circuit::AdcQuantizer(5, 128.0, false), 1.28);
  if (!table) {
    state.SkipWithError("no level table for the quantizer");
    return;
  }
  constexpr int kElements = 256, kBlocks = 64;
  std::mt19937_64 gen(5);
  std::vector<std::int32_t> ps(static_cast<std::size_t>(kElements) * kBlocks);
  for (auto& p : ps) p = gen() % 3 == 0 ? 0 : static_cast<std::int32_t>(1 + gen() % 40);
  std::vector<std::uint32_t> words(level::words_for(kElements) * kBlocks);
  for (auto& w : words) w = static_cast<std::uint32_t>(gen());
  std::vector<std::uint8_t> valid(kElements, 1);
  std::vector<float> value(kElements);
  cimmc::circuit::WordBuffer refine;
  refine.reset(1, {cimmc::core::rng::Purpose::kTest, 0, 0, 0});
  for (auto _ : state) {
    for (int blk = 0; blk < kBlocks; ++blk) {
      const level::Block b{ps.data() + static_cast<std::ptrdiff_t>(blk) * kElements,
                           valid.data(),
                           words.data() + level::words_for(kElements) * static_cast<std::size_t>(blk),
                           0,
                           kElements,
                           false,
                           value.data()};
      const level::Counts n =
          reference ? level::convert_reference(*table, b, refine) : level::convert(*table, b, refine);
      benchmark::DoNotOptimize(n);
      benchmark::DoNotOptimize(value.data());
    }
  }
  state.SetItemsProcessed(state.iterations() * kElements * kBlocks);
}

BENCHMARK_CAPTURE(BM_LevelConvert, kernel, false);
BENCHMARK_CAPTURE(BM_LevelConvert, reference, true);

}  // namespace
