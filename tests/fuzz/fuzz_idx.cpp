// IDX files (Fashion-MNIST format, raw or gzip) through network::read_idx. The input holds both
// files: a 2-byte little-endian length, the image file, then the label file.
#include <cstddef>
#include <cstdint>

#include "cimmc/network/dataset.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace cimmc;
  if (size < 2) return 0;
  const std::size_t split = std::min<std::size_t>(size - 2, data[0] | (static_cast<std::size_t>(data[1]) << 8));
  static const auto images = fuzz::scratch("images-idx3-ubyte"), labels = fuzz::scratch("labels-idx1-ubyte");
  fuzz::write_file(images, data + 2, split);
  fuzz::write_file(labels, data + 2 + split, size - 2 - split);
  fuzz::expect_success_or_cimmc_error([&] {
    const network::Dataset d = network::read_idx(images, labels);
    (void)network::take(d, 3);
  });
  return 0;
}
