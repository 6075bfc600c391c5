// Dense float tensors in NCHW order (batch, channels, height, width) — or (batch, features) for
// fully connected data — and the Eigen views the layers compute with. A tensor owns its storage;
// shapes are small vectors so one type serves 2-D and 4-D data.
#pragma once

#include <Eigen/Core>
#include <cstddef>
#include <string>
#include <vector>

namespace cimmc::network {

using Shape = std::vector<int>;

// Number of elements of a shape (1 for an empty shape).
std::size_t shape_size(const Shape& s);
std::string shape_text(const Shape& s);  // "[2, 3, 4]"

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using MatrixMap = Eigen::Map<RowMatrix>;
using ConstMatrixMap = Eigen::Map<const RowMatrix>;

struct Tensor {
  Shape shape;
  std::vector<float> data;

  Tensor() = default;
  explicit Tensor(Shape s, float fill = 0.0f) : shape(std::move(s)), data(shape_size(shape), fill) {}

  std::size_t size() const { return data.size(); }
  int batch() const { return shape.empty() ? 0 : shape[0]; }
  // Elements per batch item.
  std::size_t item_size() const { return shape.empty() || shape[0] == 0 ? 0 : data.size() / shape[0]; }
  float* item(int n) { return data.data() + static_cast<std::size_t>(n) * item_size(); }
  const float* item(int n) const { return data.data() + static_cast<std::size_t>(n) * item_size(); }
  // Reshapes in place (allocating as needed); contents are unspecified unless the size is unchanged.
  void resize(const Shape& s) {
    shape = s;
    data.resize(shape_size(s));
  }
  void zero() { std::fill(data.begin(), data.end(), 0.0f); }
};

}  // namespace cimmc::network
