// `cimmc version`: what this build is.
#include <fmt/format.h>

#include "cimmc/core/kernel_isa.hpp"
#include "cimmc/core/parallel.hpp"
#include "cimmc/core/version.hpp"
#include "cimmc/studies/cli.hpp"

namespace cimmc::studies {

namespace {
std::string cpu_features() {
  std::string f;
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2")) f += " avx2";
  if (__builtin_cpu_supports("avx512f")) f += " avx512f";
  if (__builtin_cpu_supports("avx512bw")) f += " avx512bw";
  if (__builtin_cpu_supports("avx512vpopcntdq")) f += " avx512vpopcntdq";
  if (__builtin_cpu_supports("popcnt")) f += " popcnt";
  return f.empty() ? " (none of avx2/avx512/popcnt)" : f;
}

std::string compiled_features() {
  std::string f;
#ifdef __AVX2__
  f += " avx2";
#endif
#ifdef __AVX512F__
  f += " avx512f";
#endif
#ifdef __AVX512VPOPCNTDQ__
  f += " avx512vpopcntdq";
#endif
  return f.empty() ? " (portable)" : f;
}
}  // namespace

namespace {
void register_version(Registry& r) {
  r.add("version", "Print the version, source revision, compiler, options and dependencies", [] {
    fmt::print("cimmc {}\n", core::version::version());
    fmt::print("git sha1:     {}\n", core::version::git_sha1());
    fmt::print("compiler:     {} ({})\n", core::version::compiler(), core::version::build_type());
    fmt::print("options:      {}\n", core::version::options());
    fmt::print("compiled for:{}\n", compiled_features());
    fmt::print("cpu has:     {}\n", cpu_features());
    fmt::print("kernels:      {} (chosen at run time; CIMMC_KERNEL forces a slower level)\n",
               core::kernel_isa_name(core::process_kernel_isa()));
    fmt::print("threads:      {} (OpenMP; set OMP_NUM_THREADS to change)\n", core::max_threads());
    fmt::print("dependencies:\n");
    std::string_view deps = core::version::dependencies();
    while (!deps.empty()) {
      const auto nl = deps.find('\n');
      fmt::print("  {}\n", deps.substr(0, nl));
      if (nl == std::string_view::npos) break;
      deps.remove_prefix(nl + 1);
    }
  });
}

}  // namespace

CIMMC_REGISTER_COMMAND(0, register_version);

}  // namespace cimmc::studies
