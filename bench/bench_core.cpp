// Core random-number throughput: items_per_second = numbers per second (one thread).
#include <benchmark/benchmark.h>

#include <string>
#include <utility>
#include <vector>

#include "cimmc/core/rng.hpp"
#include "cimmc/core/rng_batch.hpp"

using namespace cimmc::core::rng;

static void BM_PhiloxUniforms(benchmark::State& state) {
  std::vector<double> out(static_cast<std::size_t>(state.range(0)));
  Stream s(1, {Purpose::kTest, 0, 0, 0});
  for (auto _ : state) {
    Stream fresh = s;
    fresh.fill_uniform(out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_PhiloxUniforms)->Arg(1 << 16);

static void BM_PhiloxNormals(benchmark::State& state) {
  std::vector<double> out(static_cast<std::size_t>(state.range(0)));
  Stream s(1, {Purpose::kTest, 0, 0, 0});
  for (auto _ : state) {
    Stream fresh = s;
    fresh.fill_normal(out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_PhiloxNormals)->Arg(1 << 16);

// Per kernel level (portable, avx2, avx512_vpopcntdq), one thread, the batch generators of
// core/rng_batch.hpp as the hot loops use them. A level the CPU lacks is skipped with an error
// message. Units: BM_PhiloxBlocks and BM_PhiloxLanes items = 32-bit words; BM_NormalsFromWords
// items = normals (from words already drawn); BM_FastNormals items = normals including their
// Philox words (what circuit::NormalBuffer costs per number).
namespace {

bool level_or_skip(benchmark::State& state, cimmc::core::KernelIsa isa) {
  if (cimmc::core::kernel_isa_supported(isa)) return true;
  state.SkipWithError("this CPU lacks the kernel level");
  return false;
}

void BM_PhiloxBlocks(benchmark::State& state, cimmc::core::KernelIsa isa) {
  if (!level_or_skip(state, isa)) return;
  std::vector<std::uint32_t> out(4096);
  const Counter base = stream_counter({Purpose::kTest, 0, 0, 0}, 0);
  std::uint32_t block = 0;
  for (auto _ : state) {
    philox_blocks(isa, key_from_seed(1), base, block, out);
    block = (block + 1024) & 0x0FFFFFFFu;
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(out.size()));
}

void BM_PhiloxLanes(benchmark::State& state, cimmc::core::KernelIsa isa) {
  if (!level_or_skip(state, isa)) return;
  constexpr std::size_t kLanes = 256;
  std::vector<std::uint32_t> c1(kLanes), c2(kLanes), o0(kLanes), o1(kLanes), o2(kLanes), o3(kLanes);
  for (std::size_t i = 0; i < kLanes; ++i) c1[i] = static_cast<std::uint32_t>(i);
  std::uint32_t c0 = 0;
  for (auto _ : state) {
    philox_lanes(isa, key_from_seed(1), {c0++, c1.data(), c2.data(), 0}, kLanes, o0.data(), o1.data(), o2.data(),
                 o3.data());
    benchmark::DoNotOptimize(o3.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(4 * kLanes));
}

void BM_NormalsFromWords(benchmark::State& state, cimmc::core::KernelIsa isa) {
  if (!level_or_skip(state, isa)) return;
  std::vector<std::uint32_t> words(4096);
  Stream(1, {Purpose::kTest, 0, 0, 0}).fill_u32(words);
  std::vector<float> out(words.size());
  for (auto _ : state) {
    normals_from_words(isa, words, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(out.size()));
}

void BM_FastNormals(benchmark::State& state, cimmc::core::KernelIsa isa) {
  if (!level_or_skip(state, isa)) return;
  std::vector<float> out(4096);
  const Counter base = stream_counter({Purpose::kTest, 0, 0, 0}, 0);
  std::uint32_t block = 0;
  for (auto _ : state) {
    philox_normals(isa, key_from_seed(1), base, block, out);
    block = (block + 1024) & 0x0FFFFFFFu;
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(out.size()));
}

// BM_<kernel>/<level> for every kernel and level.
const bool kPerLevelRegistered = [] {
  using cimmc::core::KernelIsa;
  using Kernel = void (*)(benchmark::State&, KernelIsa);
  const std::pair<const char*, Kernel> kernels[] = {{"BM_PhiloxBlocks", BM_PhiloxBlocks},
                                                    {"BM_PhiloxLanes", BM_PhiloxLanes},
                                                    {"BM_NormalsFromWords", BM_NormalsFromWords},
                                                    {"BM_FastNormals", BM_FastNormals}};
  const std::pair<const char*, KernelIsa> levels[] = {
      {"portable", KernelIsa::kPortable}, {"avx2", KernelIsa::kAvx2}, {"avx512", KernelIsa::kAvx512}};
  for (const auto& [kernel, fn] : kernels)
    for (const auto& [level, isa] : levels)
      benchmark::RegisterBenchmark((std::string(kernel) + "/" + level).c_str(), fn, isa);
  return true;
}();

}  // namespace
