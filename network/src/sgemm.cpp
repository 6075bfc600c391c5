// The register-tiled float GEMM of sgemm.hpp. One microkernel template over a small vector
// abstraction; the vector type is chosen by the compile target (the build's -march):
//   AVX-512: 16 lanes, tiles of 8 rows × 32 columns (16 accumulators of 32 registers);
//   AVX2 + FMA: 8 lanes, 6 rows × 16 columns (12 accumulators of 16 registers);
//   otherwise: GCC/Clang generic 4-lane vectors, 4 rows × 8 columns, multiply then add.
// Each accumulator lane is one output element's chain over k in increasing order.
#include "cimmc/network/sgemm.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>

#if defined(__AVX512F__) || (defined(__AVX2__) && defined(__FMA__))
#include <immintrin.h>
#endif

namespace cimmc::network::sgemm {

namespace {

#if defined(__AVX512F__)
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
#elif defined(__AVX2__) && defined(__FMA__)
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
#else
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
#endif

constexpr int kMR = Vec::MR, kNV = Vec::NV, kNR = Vec::NV * Vec::W;

// Row k of a B tile: a packed panel, or rows at given offsets of a plain array (implicit im2col).
struct PackedRows {
  const float* p;
  int nr;
  const float* row(int k) const { return p + static_cast<std::ptrdiff_t>(k) * nr; }
};
struct OffsetRows {
  const float* b;
  const int* offsets;
  const float* row(int k) const { return b + offsets[k]; }
};

// Element (i, k) of an A tile: a packed panel, or rows given by pointers.
struct PackedCols {
  const float* p;
  const float* at(int k, int i) const { return p + static_cast<std::ptrdiff_t>(k) * kMR + i; }
};
struct RowPointers {
  const float* const* rows;
  const float* at(int k, int i) const { return rows[i] + k; }
};

// C tile (mr ≤ MR rows, nr ≤ NV·W columns) = [C +] Σ_k A(i, k) · B.row(k)[j].
template <int NV, class Rows, class Cols = PackedCols>
inline void kernel(int K, Cols A, Rows B, float* __restrict C, std::ptrdiff_t ldc, int mr, int nr, bool accumulate) {
  constexpr int MR = kMR, W = Vec::W, NR = NV * W;
  using T = typename Vec::T;
  T c[MR][NV];
  const bool full = mr == MR && nr == NR;
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) c[i][v] = Vec::zero();
  if (accumulate) {
    for (int i = 0; i < mr; ++i)
      for (int v = 0; v < NV; ++v) {
        const int n = std::min(W, nr - v * W);
        if (n == W) c[i][v] = Vec::load(C + i * ldc + v * W);
        else if (n > 0) c[i][v] = Vec::load_part(C + i * ldc + v * W, n);
      }
  }
  for (int k = 0; k < K; ++k) {
    T b[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) b[v] = Vec::load(B.row(k) + v * W);
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i) {
      const T ai = Vec::bcast(A.at(k, i));
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) c[i][v] = Vec::fma(ai, b[v], c[i][v]);
    }
  }
  if (full) {
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) Vec::store(C + i * ldc + v * W, c[i][v]);
    return;
  }
  for (int i = 0; i < mr; ++i)
    for (int v = 0; v < NV; ++v) {
      const int n = std::min(W, nr - v * W);
      if (n == W) Vec::store(C + i * ldc + v * W, c[i][v]);
      else if (n > 0) Vec::store_part(C + i * ldc + v * W, c[i][v], n);
    }
}

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

int panel_width() { return kNR; }
const char* isa() { return Vec::kName; }

float* scratch(int slot, std::size_t n) { return tls_scratch[slot].get(n); }

void pack_b(int K, int N, const float* B, std::ptrdiff_t rs, std::ptrdiff_t cs, float* packed) {
  for (int j0 = 0; j0 < N; j0 += kNR) {
    const int nr = std::min(kNR, N - j0);
    float* dst = packed + static_cast<std::size_t>(j0 / kNR) * K * kNR;
    for (int k = 0; k < K; ++k, dst += kNR) {
      const float* src = B + k * rs + j0 * cs;
      if (cs == 1) std::memcpy(dst, src, sizeof(float) * nr);
      else
        for (int j = 0; j < nr; ++j) dst[j] = src[j * cs];
      std::fill(dst + nr, dst + kNR, 0.0f);
    }
  }
}

std::size_t packed_a_size(int M, int K) {
  return round_up(static_cast<std::size_t>(std::max(M, 0)), kMR) * static_cast<std::size_t>(std::max(K, 0));
}

// Panels of MR rows: packed[panel][k][i] (rows beyond M are zero).
void pack_a(int M, int K, const float* A, std::ptrdiff_t ars, std::ptrdiff_t acs, float* Ap) {
  const int panels = (M + kMR - 1) / kMR;
  for (int p = 0; p < panels; ++p) {
    float* dst = Ap + static_cast<std::size_t>(p) * K * kMR;
    const int mr = std::min(kMR, M - p * kMR);
    if (acs == 1 && mr == kMR) {
      for (int i = 0; i < kMR; ++i) {
        const float* src = A + (p * kMR + i) * ars;
        for (int k = 0; k < K; ++k) dst[k * kMR + i] = src[k];
      }
    } else if (ars == 1 && mr == kMR) {
      for (int k = 0; k < K; ++k) {
        const float* src = A + k * acs + p * kMR;
        for (int i = 0; i < kMR; ++i) dst[k * kMR + i] = src[i];
      }
    } else {
      for (int k = 0; k < K; ++k)
        for (int i = 0; i < kMR; ++i) dst[k * kMR + i] = i < mr ? A[(p * kMR + i) * ars + k * acs] : 0.0f;
    }
  }
}

void gemm_packed(int M, int N, int K, const float* Ap, const float* Bp, float* C, std::ptrdiff_t ldc, bool accumulate) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {
    if (!accumulate)
      for (int i = 0; i < M; ++i) std::fill_n(C + i * ldc, N, 0.0f);
    return;
  }
  const int panels = (M + kMR - 1) / kMR;
  for (int j0 = 0; j0 < N; j0 += kNR) {
    const int nr = std::min(kNR, N - j0);
    const float* Bj = Bp + static_cast<std::size_t>(j0 / kNR) * K * kNR;
    for (int p = 0; p < panels; ++p) {
      const int mr = std::min(kMR, M - p * kMR);
      kernel<kNV>(K, PackedCols{Ap + static_cast<std::size_t>(p) * K * kMR}, PackedRows{Bj, kNR},
                  C + p * kMR * ldc + j0, ldc, mr, nr, accumulate);
    }
  }
}

void gemm_offsets(int M, int N, int K, const float* Ap, const float* B, const int* offsets, float* C,
                  std::ptrdiff_t ldc, bool accumulate) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {
    if (!accumulate)
      for (int i = 0; i < M; ++i) std::fill_n(C + i * ldc, N, 0.0f);
    return;
  }
  const int panels = (M + kMR - 1) / kMR;
  for (int j0 = 0; j0 < N; j0 += kNR) {
    const int nr = std::min(kNR, N - j0);
    for (int p = 0; p < panels; ++p) {
      const int mr = std::min(kMR, M - p * kMR);
      kernel<kNV>(K, PackedCols{Ap + static_cast<std::size_t>(p) * K * kMR}, OffsetRows{B + j0, offsets},
                  C + p * kMR * ldc + j0, ldc, mr, nr, accumulate);
    }
  }
}

void gemm_rows(int M, int N, int K, const float* const* a_rows, const float* Bp, float* C, std::ptrdiff_t ldc,
               bool accumulate) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {
    if (!accumulate)
      for (int i = 0; i < M; ++i) std::fill_n(C + i * ldc, N, 0.0f);
    return;
  }
  const int panels = (M + kMR - 1) / kMR;
  for (int j0 = 0; j0 < N; j0 += kNR) {
    const int nr = std::min(kNR, N - j0);
    const float* Bj = Bp + static_cast<std::size_t>(j0 / kNR) * K * kNR;
    for (int p = 0; p < panels; ++p) {
      const int mr = std::min(kMR, M - p * kMR);
      const float* rows[kMR];
      for (int i = 0; i < kMR; ++i) rows[i] = a_rows[p * kMR + (i < mr ? i : 0)];  // extra rows: computed, dropped
      kernel<kNV>(K, RowPointers{rows}, PackedRows{Bj, kNR}, C + p * kMR * ldc + j0, ldc, mr, nr, accumulate);
    }
  }
}

void gemm(int M, int N, int K, const float* A, std::ptrdiff_t ars, std::ptrdiff_t acs, const float* Bp, float* C,
          std::ptrdiff_t ldc, bool accumulate) {
  if (M <= 0 || N <= 0) return;
  float* Ap = tls_scratch[7].get(std::max<std::size_t>(packed_a_size(M, K), 1));
  pack_a(M, K, A, ars, acs, Ap);
  gemm_packed(M, N, K, Ap, Bp, C, ldc, accumulate);
}

void gemm_reference(int M, int N, int K, const float* A, std::ptrdiff_t ars, std::ptrdiff_t acs, const float* B,
                    std::ptrdiff_t ldb, float* C, std::ptrdiff_t ldc, bool accumulate) {
  for (int i = 0; i < M; ++i)
    for (int j = 0; j < N; ++j) {
      float s = accumulate ? C[i * ldc + j] : 0.0f;
      for (int k = 0; k < K; ++k) {
        const float a = A[i * ars + k * acs], b = B[k * ldb + j];
        if constexpr (kFused) {
          s = std::fma(a, b, s);
        } else {
          const volatile float prod = a * b;
          s = prod + s;
        }
      }
      C[i * ldc + j] = s;
    }
}

}  // namespace cimmc::network::sgemm
