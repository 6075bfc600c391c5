#include "cimmc/network/gemm.hpp"

#include <fmt/format.h>

#include <vector>

#include "cimmc/core/error.hpp"

namespace cimmc::network {

namespace {
// Dot product of K unsigned 8-bit and signed 8-bit values, widened to 16 bits so the compiler
// emits multiply-add instructions (vpmaddwd); each product fits 16 bits, the sum is int32.
inline std::int32_t dot_u8_i8(const std::int16_t* a, const std::int16_t* w, int K) {
  std::int32_t s = 0;
  for (int k = 0; k < K; ++k) s += static_cast<std::int32_t>(a[k]) * static_cast<std::int32_t>(w[k]);
  return s;
}
}  // namespace

void gemm_exact_int32(int M, int N, int K, const std::uint8_t* activations, const std::int8_t* weights,
                      std::int32_t* out) {
  // Products are at most 255·128 < 2^15 in magnitude and K < 2^16 keeps sums inside int32.
  if (K >= (1 << 16))
    throw core::ArgumentError(
        fmt::format("gemm_exact_int32: K = {} exceeds 65535 (int32 accumulators could overflow)", K));
  std::vector<std::int16_t> w16(static_cast<std::size_t>(N) * K);
  for (std::size_t i = 0; i < w16.size(); ++i) w16[i] = weights[i];
#pragma omp parallel
  {
    std::vector<std::int16_t> a16(K);
#pragma omp for schedule(static)
    for (int m = 0; m < M; ++m) {
      const std::uint8_t* a = activations + static_cast<std::size_t>(m) * K;
      for (int k = 0; k < K; ++k) a16[k] = a[k];
      std::int32_t* o = out + static_cast<std::size_t>(m) * N;
      for (int n = 0; n < N; ++n) o[n] = dot_u8_i8(a16.data(), w16.data() + static_cast<std::size_t>(n) * K, K);
    }
  }
}

void ExactGemmBackend::gemm(const GemmProblem& p, std::span<double> acc) {
  if (acc.size() != static_cast<std::size_t>(p.M) * p.N)
    throw core::ArgumentError(fmt::format("ExactGemmBackend: output holds {} values, layer '{}' needs {}×{}",
                                          acc.size(), p.layer_name, p.M, p.N));
  std::vector<std::int32_t> out(acc.size());
  gemm_exact_int32(p.M, p.N, p.K, p.activations, p.weights, out.data());
  for (std::size_t i = 0; i < out.size(); ++i) acc[i] = out[i];
}

}  // namespace cimmc::network
