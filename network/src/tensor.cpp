#include "cimmc/network/tensor.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace cimmc::network {

std::size_t shape_size(const Shape& s) {
  std::size_t n = 1;
  for (int d : s) n *= static_cast<std::size_t>(d);
  return n;
}

std::string shape_text(const Shape& s) { return fmt::format("[{}]", fmt::join(s, ", ")); }

}  // namespace cimmc::network
