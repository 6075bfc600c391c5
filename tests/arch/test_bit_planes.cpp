// Bit-plane packing and AND + popcount kernels against slow, obvious reference code, on random
// shapes and edge sizes (K not a multiple of R nor of 64, R not a multiple of 64).
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "cimmc/arch/bit_planes.hpp"

using namespace cimmc::arch;

namespace {
std::vector<cimmc::core::KernelIsa> supported() {
  std::vector<cimmc::core::KernelIsa> v;
  for (cimmc::core::KernelIsa isa :
       {cimmc::core::KernelIsa::kPortable, cimmc::core::KernelIsa::kAvx2, cimmc::core::KernelIsa::kAvx512})
    if (cimmc::core::kernel_isa_supported(isa)) v.push_back(isa);
  return v;
}
}  // namespace

TEST(BitPlanes, PackingPutsEveryBitWhereTheGeometrySays) {
  std::mt19937 gen(1);
  for (int k : {1, 7, 63, 64, 65, 100, 127, 128, 129, 300, 577})
    for (int rows : {1, 37, 64, 100, 128, 256})
      for (cimmc::core::KernelIsa isa : supported()) {
        const PlaneGeometry g = PlaneGeometry::make(k, rows);
        const int bits = 1 + static_cast<int>(gen() % 8);
        std::vector<std::uint8_t> values(static_cast<std::size_t>(k));
        for (auto& v : values) v = static_cast<std::uint8_t>(gen() & ((1u << bits) - 1));
        std::vector<std::uint64_t> planes(static_cast<std::size_t>(bits) * g.words(), ~0ull);
        pack_bit_planes(isa, values, bits, g, planes);
        // Reference: set bits one by one.
        std::vector<std::uint64_t> ref(planes.size(), 0);
        for (int i = 0; i < bits; ++i)
          for (int kk = 0; kk < k; ++kk) {
            const int s = kk / rows, local = kk % rows;
            const int word = s * ((rows + 63) / 64) + local / 64;
            if ((values[kk] >> i) & 1) ref[static_cast<std::size_t>(i) * g.words() + word] |= 1ull << (local % 64);
          }
        ASSERT_EQ(planes, ref) << "K " << k << " R " << rows << " " << cimmc::core::kernel_isa_name(isa);
      }
}

TEST(BitPlanes, AndPopcountKernelsEqualTheReference) {
  std::mt19937_64 gen(2);
  for (int words : {1, 2, 3, 5})
    for (int columns : {8, 16, 24, 72}) {
      std::vector<std::uint64_t> a(static_cast<std::size_t>(words)), plane(static_cast<std::size_t>(words) * columns);
      for (auto& x : a) x = gen() & gen();  // sparse-ish
      for (auto& x : plane) x = gen();
      a[0] = ~0ull;
      std::vector<std::int32_t> ref(static_cast<std::size_t>(columns), 0);
      for (int n = 0; n < columns; ++n)
        for (int w = 0; w < words; ++w)
          for (int b = 0; b < 64; ++b)
            ref[n] += static_cast<int>((a[w] >> b) & (plane[static_cast<std::size_t>(w) * columns + n] >> b) & 1);
      for (cimmc::core::KernelIsa isa : supported()) {
        std::vector<std::int32_t> out(static_cast<std::size_t>(columns), -1);
        and_popcount_function(isa)(a.data(), plane.data(), words, columns, out.data());
        EXPECT_EQ(out, ref) << cimmc::core::kernel_isa_name(isa) << " words " << words << " columns " << columns;
      }
    }
}

TEST(BitPlanes, GeometryOfTheLastSubarray) {
  const PlaneGeometry g = PlaneGeometry::make(300, 128);
  EXPECT_EQ(g.subarrays, 3);
  EXPECT_EQ(g.words_per_subarray, 2);
  EXPECT_EQ(g.rows_in(2), 44);
  EXPECT_EQ(g.word_of(129), 2);
  EXPECT_EQ(g.bit_of(129), 1);
  EXPECT_EQ(pad_columns(10), 16);
}
