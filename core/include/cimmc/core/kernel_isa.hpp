// The instruction-set level of the hand-vectorized kernels (random-number batches in core, the
// AND + popcount kernels in arch, the float GEMM in network), chosen once at run time from what the
// CPU reports, so one binary runs at full speed on any x86-64. Every level gives bit-identical
// results, except the float GEMM's portable level, which has no fused multiply-add; the levels
// differ only in speed (docs/performance.md).
#pragma once

#include <string_view>

namespace cimmc::core {

enum class KernelIsa { kPortable, kAvx2, kAvx512 };

// "portable", "avx2", "avx512_vpopcntdq" (the names CIMMC_KERNEL takes).
std::string_view kernel_isa_name(KernelIsa isa);

// Whether this CPU runs the kernels of that level: avx2 needs AVX2, FMA and POPCNT; avx512 needs
// AVX-512 F, BW and VPOPCNTDQ.
bool kernel_isa_supported(KernelIsa isa);

// The fastest level this CPU runs. The environment variable CIMMC_KERNEL, set to one of the names
// above, forces a slower one; an unknown or unsupported name throws core::ArgumentError.
KernelIsa detect_kernel_isa();

// detect_kernel_isa() evaluated once per process (what the random-number batches use).
KernelIsa process_kernel_isa();

}  // namespace cimmc::core
