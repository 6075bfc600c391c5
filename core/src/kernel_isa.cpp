#include "cimmc/core/kernel_isa.hpp"

#include <fmt/format.h>

#include <cstdlib>

#include "cimmc/core/error.hpp"

namespace cimmc::core {

std::string_view kernel_isa_name(KernelIsa isa) {
  switch (isa) {
    case KernelIsa::kPortable: return "portable";
    case KernelIsa::kAvx2: return "avx2";
    case KernelIsa::kAvx512: return "avx512_vpopcntdq";
  }
  return "unknown";
}

bool kernel_isa_supported(KernelIsa isa) {
  switch (isa) {
    case KernelIsa::kPortable: return true;
    case KernelIsa::kAvx2:
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("popcnt");
    case KernelIsa::kAvx512:
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
             __builtin_cpu_supports("avx512vpopcntdq");
  }
  return false;
}

KernelIsa detect_kernel_isa() {
  if (const char* forced = std::getenv("CIMMC_KERNEL"); forced && *forced) {
    for (KernelIsa isa : {KernelIsa::kPortable, KernelIsa::kAvx2, KernelIsa::kAvx512})
      if (kernel_isa_name(isa) == forced) {
        if (!kernel_isa_supported(isa))
          throw core::ArgumentError(fmt::format("CIMMC_KERNEL={}: this CPU does not support that kernel", forced));
        return isa;
      }
    throw core::ArgumentError(fmt::format("CIMMC_KERNEL={}: expected portable, avx2 or avx512_vpopcntdq", forced));
  }
  if (kernel_isa_supported(KernelIsa::kAvx512)) return KernelIsa::kAvx512;
  if (kernel_isa_supported(KernelIsa::kAvx2)) return KernelIsa::kAvx2;
  return KernelIsa::kPortable;
}

KernelIsa process_kernel_isa() {
  static const KernelIsa isa = detect_kernel_isa();
  return isa;
}

}  // namespace cimmc::core
