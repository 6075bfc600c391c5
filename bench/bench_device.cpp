// Device-layer throughput. BM_MacrospinHeun: items_per_second = trajectory-steps per second of the
// stochastic Heun macrospin integrator with all threads (double precision, thermal field and SOT
// on): the perpendicular preset at 300 K, a 1 ns pulse near its critical current. The counter
// steps_per_cpu_second divides by the CPU time of all threads, a figure of the kernel itself
// that does not depend on how busy the machine is.
#include <benchmark/benchmark.h>

#include <ctime>
#include <vector>

#include "cimmc/device/macrospin.hpp"
#include "cimmc/device/sot_mtj_params.hpp"

using namespace cimmc::device;

static void BM_MacrospinHeun(benchmark::State& state) {
  const SotMtjParams p = load_sot_mtj(resolve_device_file("perpendicular_sot"));
  const std::size_t n = static_cast<std::size_t>(state.range(0));
  const std::vector<double> amps(n, 1.2 * derive(p).critical_current_A);
  Waveform w;
  w.pulse_width_s = 1e-9;
  w.relax_time_s = 1e-9;
  SolverSettings s;
  s.time_step_s = 1e-12;
  s.seed = 1;
  std::size_t steps = 0;
  const std::clock_t cpu_start = std::clock();
  for (auto _ : state) {
    const auto r = simulate(p, w, amps, s);
    steps += r.steps * r.trajectories;
    benchmark::DoNotOptimize(r.mz.data());
  }
  const double cpu_s = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
  state.SetItemsProcessed(static_cast<std::int64_t>(steps));
  state.counters["steps_per_cpu_second"] = static_cast<double>(steps) / cpu_s;
}
BENCHMARK(BM_MacrospinHeun)->Arg(8192)->Unit(benchmark::kMillisecond)->UseRealTime();

// Same without the thermal field, to separate the cost of the normals from the Heun step.
static void BM_MacrospinHeunNoThermal(benchmark::State& state) {
  SotMtjParams p = load_sot_mtj(resolve_device_file("perpendicular_sot"));
  p.temperature_K = 0.0;
  const std::size_t n = static_cast<std::size_t>(state.range(0));
  const std::vector<double> amps(n, 1.2 * derive(p).critical_current_A);
  Waveform w;
  w.pulse_width_s = 1e-9;
  w.relax_time_s = 1e-9;
  SolverSettings s;
  s.time_step_s = 1e-12;
  std::size_t steps = 0;
  for (auto _ : state) {
    const auto r = simulate(p, w, amps, s);
    steps += r.steps * r.trajectories;
    benchmark::DoNotOptimize(r.mz.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(steps));
}
BENCHMARK(BM_MacrospinHeunNoThermal)->Arg(8192)->Unit(benchmark::kMillisecond)->UseRealTime();
