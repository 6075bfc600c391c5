// The register-tiled float GEMM of sgemm.hpp. One microkernel template over a small vector
// abstraction (sgemm_level.inc), compiled once per instruction-set level and chosen at run time
// with the other hand-vectorized kernels (core::process_kernel_isa(), docs/performance.md):
//   avx512_vpopcntdq: 16 lanes, tiles of 8 rows × 32 columns (16 accumulators of 32 registers);
//   avx2 (with FMA): 8 lanes, 6 rows × 16 columns (12 accumulators of 16 registers);
//   portable: GCC/Clang generic 4-lane vectors, 4 rows × 8 columns, multiply then add.
// Each accumulator lane is one output element's chain over k in increasing order, so the AVX-512
// and AVX2 levels give the same results bit for bit; the portable level rounds the product and
// the sum separately (a CPU without FMA has no fused multiply-add to match).
#include "cimmc/network/sgemm.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>

// GCC 12's AVX-512 intrinsics start from _mm512_undefined_*(), which -Wmaybe-uninitialized
// reports as a false positive once inlined.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop

#include "cimmc/core/kernel_isa.hpp"

// Compiles the functions between CIMMC_TARGET_BEGIN(isa) and CIMMC_TARGET_END for that
// instruction set, whatever the build's -march (templates instantiated from them included).
#define CIMMC_PRAGMA(x) _Pragma(#x)
#if defined(__clang__)
#define CIMMC_TARGET_BEGIN(isa) CIMMC_PRAGMA(clang attribute push(__attribute__((target(isa))), apply_to = function))
#define CIMMC_TARGET_END _Pragma("clang attribute pop")
#else
#define CIMMC_TARGET_BEGIN(isa) _Pragma("GCC push_options") CIMMC_PRAGMA(GCC target(isa))
#define CIMMC_TARGET_END _Pragma("GCC pop_options")
#endif

namespace cimmc::network::sgemm {

namespace {

struct Scratch {
  struct Free {
    void operator()(float* p) const { std::free(p); }
  };
  std::unique_ptr<float, Free> data;
  std::size_t size = 0;
  float* get(std::size_t n) {
    if (n > size) {
      const std::size_t bytes = round_up(std::max<std::size_t>(n, 16) * sizeof(float), 64);
      data.reset(static_cast<float*>(std::aligned_alloc(64, bytes)));
      if (!data) throw std::bad_alloc();
      size = bytes / sizeof(float);
    }
    return data.get();
  }
};
constexpr int kSlots = 8;  // 0..6 for callers, 7 for the packed A
thread_local Scratch tls_scratch[kSlots];

}  // namespace

float* scratch(int slot, std::size_t n) { return tls_scratch[slot].get(n); }

namespace {
float* packed_a_scratch(std::size_t n) { return tls_scratch[7].get(n); }
}  // namespace

namespace level_avx512 {
CIMMC_TARGET_BEGIN("avx512f,avx512bw,avx512dq,avx512vl,avx2,fma")
namespace {
struct Vec {
  using T = __m512;
  static constexpr int W = 16;
  static constexpr int MR = 8, NV = 2;
  static constexpr const char* kName = "avx512";
  static T zero() { return _mm512_setzero_ps(); }
  static T load(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, T v) { _mm512_storeu_ps(p, v); }
  static T bcast(const float* p) { return _mm512_set1_ps(*p); }
  static T fma(T a, T b, T c) { return _mm512_fmadd_ps(a, b, c); }
  static T load_part(const float* p, int n) { return _mm512_maskz_loadu_ps(static_cast<__mmask16>((1u << n) - 1), p); }
  static void store_part(float* p, T v, int n) { _mm512_mask_storeu_ps(p, static_cast<__mmask16>((1u << n) - 1), v); }
};
constexpr bool kFused = true;
}  // namespace
#include "sgemm_level.inc"
CIMMC_TARGET_END
}  // namespace level_avx512

namespace level_avx2 {
CIMMC_TARGET_BEGIN("avx2,fma")
namespace {
struct Vec {
  using T = __m256;
  static constexpr int W = 8;
  static constexpr int MR = 6, NV = 2;
  static constexpr const char* kName = "avx2";
  static T zero() { return _mm256_setzero_ps(); }
  static T load(const float* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, T v) { _mm256_storeu_ps(p, v); }
  static T bcast(const float* p) { return _mm256_broadcast_ss(p); }
  static T fma(T a, T b, T c) { return _mm256_fmadd_ps(a, b, c); }
  static T load_part(const float* p, int n) {
    alignas(32) float t[8] = {};
    std::memcpy(t, p, sizeof(float) * n);
    return _mm256_load_ps(t);
  }
  static void store_part(float* p, T v, int n) {
    alignas(32) float t[8];
    _mm256_store_ps(t, v);
    std::memcpy(p, t, sizeof(float) * n);
  }
};
constexpr bool kFused = true;
}  // namespace
#include "sgemm_level.inc"
CIMMC_TARGET_END
}  // namespace level_avx2

namespace level_portable {
// Each product rounded before its sum, also where the build's -march has FMA (GCC would fuse
// them across statements at -ffp-contract=fast; Clang fuses only within one expression).
#if !defined(__clang__)
#pragma GCC push_options
#pragma GCC optimize("fp-contract=off")
#endif
namespace {
struct Vec {
  typedef float T __attribute__((vector_size(16)));
  static constexpr int W = 4;
  static constexpr int MR = 4, NV = 2;
  static constexpr const char* kName = "portable";
  static T zero() { return T{0.0f, 0.0f, 0.0f, 0.0f}; }
  static T load(const float* p) {
    T v;
    std::memcpy(&v, p, sizeof v);
    return v;
  }
  static void store(float* p, T v) { std::memcpy(p, &v, sizeof v); }
  static T bcast(const float* p) { return T{*p, *p, *p, *p}; }
  static T fma(T a, T b, T c) {
    const T prod = a * b;  // a separate rounding: the reference does the same
    return prod + c;
  }
  static T load_part(const float* p, int n) {
    float t[4] = {};
    std::memcpy(t, p, sizeof(float) * n);
    return load(t);
  }
  static void store_part(float* p, T v, int n) {
    float t[4];
    store(t, v);
    std::memcpy(p, t, sizeof(float) * n);
  }
};
constexpr bool kFused = false;
}  // namespace
#include "sgemm_level.inc"
#if !defined(__clang__)
#pragma GCC pop_options
#endif
}  // namespace level_portable

const Kernels& kernels(core::KernelIsa isa) {
  switch (isa) {
    case core::KernelIsa::kAvx512: return level_avx512::kKernels;
    case core::KernelIsa::kAvx2: return level_avx2::kKernels;
    case core::KernelIsa::kPortable: break;
  }
  return level_portable::kKernels;
}

namespace {
const Kernels& active() {
  static const Kernels& k = kernels(core::process_kernel_isa());
  return k;
}
}  // namespace

int panel_width() { return active().panel_width; }
int panel_rows() { return active().panel_rows; }
const char* isa() { return active().isa; }

void pack_b(int K, int N, const float* B, std::ptrdiff_t rs, std::ptrdiff_t cs, float* packed) {
  active().pack_b(K, N, B, rs, cs, packed);
}
std::size_t packed_a_size(int M, int K) { return active().packed_a_size(M, K); }
void pack_a(int M, int K, const float* A, std::ptrdiff_t ars, std::ptrdiff_t acs, float* Ap) {
  active().pack_a(M, K, A, ars, acs, Ap);
}
void gemm_packed(int M, int N, int K, const float* Ap, const float* Bp, float* C, std::ptrdiff_t ldc, bool accumulate) {
  active().gemm_packed(M, N, K, Ap, Bp, C, ldc, accumulate);
}
void gemm_offsets(int M, int N, int K, const float* Ap, const float* B, const int* offsets, float* C,
                  std::ptrdiff_t ldc, bool accumulate) {
  active().gemm_offsets(M, N, K, Ap, B, offsets, C, ldc, accumulate);
}
void gemm_rows(int M, int N, int K, const float* const* a_rows, const float* Bp, float* C, std::ptrdiff_t ldc,
               bool accumulate) {
  active().gemm_rows(M, N, K, a_rows, Bp, C, ldc, accumulate);
}
void gemm(int M, int N, int K, const float* A, std::ptrdiff_t ars, std::ptrdiff_t acs, const float* Bp, float* C,
          std::ptrdiff_t ldc, bool accumulate) {
  active().gemm(M, N, K, A, ars, acs, Bp, C, ldc, accumulate);
}
void gemm_reference(int M, int N, int K, const float* A, std::ptrdiff_t ars, std::ptrdiff_t acs, const float* B,
                    std::ptrdiff_t ldb, float* C, std::ptrdiff_t ldc, bool accumulate) {
  active().gemm_reference(M, N, K, A, ars, acs, B, ldb, C, ldc, accumulate);
}

}  // namespace cimmc::network::sgemm
