// Single-precision matrix products for the float layers: a register-tiled kernel over a packed
// right operand, compiled for three instruction-set levels (AVX-512, AVX2 + FMA, portable vectors)
// and run at the process's level, core::process_kernel_isa(), chosen at run time.
//
//   C (M×N) = [C +] A (M×K) · B (K×N)
//
// Fixed reduction order: every element of C is one chain of multiply-adds over k = 0, 1, …, K − 1
// (fused multiply-adds where the ISA has them), started from 0 or from the value in C. How the
// product is tiled, and on which thread it runs, never changes a result: gemm_reference() computes
// the same chains one element at a time, and the tests compare the two bit for bit.
//
// The right operand is packed into panels of panel_width() columns: column n of row k lives at
// packed_index(K, k, n). The last panel is padded to full width (its padding is read, and must
// hold finite values: pack_b() and the layers' im2col writers zero it). Layers write their
// im2col matrices straight into this layout, so the product reads B with unit stride.
#pragma once

#include <cstddef>

#include "cimmc/core/kernel_isa.hpp"

namespace cimmc::network::sgemm {

// Columns per panel of a packed B (and of a register tile) at the process's level.
int panel_width();
// Rows per panel of a packed A (and of a register tile): rows [p·panel_rows(), …) of A pack into
// floats [p·panel_rows()·K, …) of the packed operand, so that row blocks can be packed apart.
int panel_rows();
// The level the products run at ("avx512", "avx2", "portable").
const char* isa();

inline std::size_t round_up(std::size_t n, std::size_t r) { return (n + r - 1) / r * r; }
// Floats of a packed K×N operand.
inline std::size_t packed_size(int K, int N) {
  return static_cast<std::size_t>(K) * round_up(static_cast<std::size_t>(N), static_cast<std::size_t>(panel_width()));
}
// Offset of element (k, n) of a packed K×N operand with panel width nr.
inline std::size_t packed_index(int K, int nr, int k, int n) {
  return static_cast<std::size_t>(n / nr) * static_cast<std::size_t>(K) * nr + static_cast<std::size_t>(k) * nr +
         n % nr;
}

// Packs B (element (k, n) at B[k·row_stride + n·col_stride]) into `packed` (packed_size(K, N)
// floats), zero padding included.
void pack_b(int K, int N, const float* B, std::ptrdiff_t row_stride, std::ptrdiff_t col_stride, float* packed);

// C = [C +] A·B with A's element (m, k) at A[m·a_row_stride + k·a_col_stride], B packed, C row-major
// with leading dimension ldc. Single-threaded (callers parallelize over independent products).
void gemm(int M, int N, int K, const float* A, std::ptrdiff_t a_row_stride, std::ptrdiff_t a_col_stride,
          const float* packed_b, float* C, std::ptrdiff_t ldc, bool accumulate);

// The same product with A already packed by pack_a (for a left operand used in several products).
std::size_t packed_a_size(int M, int K);
void pack_a(int M, int K, const float* A, std::ptrdiff_t a_row_stride, std::ptrdiff_t a_col_stride, float* packed);
void gemm_packed(int M, int N, int K, const float* packed_a, const float* packed_b, float* C, std::ptrdiff_t ldc,
                 bool accumulate);

// The same product with B given implicitly: element (k, n) at B[offsets[k] + n] (a convolution
// reading a padded image in place of an im2col matrix). Reads B[offsets[k] + n] for n up to
// round_up(N, panel_width()) − 1, which must be readable (the extra columns' results are dropped).
void gemm_offsets(int M, int N, int K, const float* packed_a, const float* B, const int* offsets, float* C,
                  std::ptrdiff_t ldc, bool accumulate);

// The same product with row m of A at a_rows[m] (element (m, k) at a_rows[m][k]): a convolution's
// padded input read in place, as the left operand of its weight gradient.
void gemm_rows(int M, int N, int K, const float* const* a_rows, const float* packed_b, float* C, std::ptrdiff_t ldc,
               bool accumulate);

// The obvious triple loop with the same reduction chains (B plain, element (k, n) at B[k·ldb + n]).
void gemm_reference(int M, int N, int K, const float* A, std::ptrdiff_t a_row_stride, std::ptrdiff_t a_col_stride,
                    const float* B, std::ptrdiff_t ldb, float* C, std::ptrdiff_t ldc, bool accumulate);

// The functions below at one given level, for tests and benchmarks that compare the levels (every
// other caller uses the free functions, which run at the process's level). Operands packed at
// one level are read only at that level: the panel widths differ.
struct Kernels {
  const char* isa;
  int panel_width;
  int panel_rows;
  bool fused;  // whether each step of a chain is one fused multiply-add
  void (*pack_b)(int K, int N, const float* B, std::ptrdiff_t row_stride, std::ptrdiff_t col_stride, float* packed);
  std::size_t (*packed_a_size)(int M, int K);
  void (*pack_a)(int M, int K, const float* A, std::ptrdiff_t a_row_stride, std::ptrdiff_t a_col_stride, float* packed);
  void (*gemm_packed)(int M, int N, int K, const float* packed_a, const float* packed_b, float* C, std::ptrdiff_t ldc,
                      bool accumulate);
  void (*gemm_offsets)(int M, int N, int K, const float* packed_a, const float* B, const int* offsets, float* C,
                       std::ptrdiff_t ldc, bool accumulate);
  void (*gemm_rows)(int M, int N, int K, const float* const* a_rows, const float* packed_b, float* C,
                    std::ptrdiff_t ldc, bool accumulate);
  void (*gemm)(int M, int N, int K, const float* A, std::ptrdiff_t a_row_stride, std::ptrdiff_t a_col_stride,
               const float* packed_b, float* C, std::ptrdiff_t ldc, bool accumulate);
  void (*gemm_reference)(int M, int N, int K, const float* A, std::ptrdiff_t a_row_stride, std::ptrdiff_t a_col_stride,
                         const float* B, std::ptrdiff_t ldb, float* C, std::ptrdiff_t ldc, bool accumulate);
};
// The kernels of `isa` (the caller checks that the CPU runs it: core::kernel_isa_supported).
const Kernels& kernels(core::KernelIsa isa);

// A per-thread scratch buffer of at least n floats (uninitialized, 64-byte aligned), valid until
// the same thread asks for slot `slot` again. Slots 0..6 are free for callers; the kernel uses its own.
float* scratch(int slot, std::size_t n);

}  // namespace cimmc::network::sgemm
