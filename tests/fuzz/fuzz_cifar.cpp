// CIFAR-10/100 binary files through network::read_cifar. The first byte chooses CIFAR-100 (odd)
// or CIFAR-10 (even); the rest is the file.
#include <cstddef>
#include <cstdint>

#include "cimmc/network/dataset.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace cimmc;
  if (size < 1) return 0;
  static const auto file = fuzz::scratch("data_batch_1.bin");
  fuzz::write_file(file, data + 1, size - 1);
  fuzz::expect_success_or_cimmc_error([&] { (void)network::read_cifar({file}, (data[0] & 1) != 0); });
  return 0;
}
