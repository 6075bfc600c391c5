// Core random-number throughput: items_per_second = numbers per second (one thread).
#include <benchmark/benchmark.h>

#include <vector>

#include "cimmc/core/rng.hpp"

using namespace cimmc::rng;

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
