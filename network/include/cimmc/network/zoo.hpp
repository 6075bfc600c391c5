// The model zoo: architecture specs (see model.hpp) of MLP, LeNet-5, VGG-small and ResNet-20
// (CIFAR form), adapted to the input shape (1×28×28 Fashion-MNIST, 3×32×32 CIFAR) and the number
// of classes. `width` scales every hidden width (channels, features) by that factor.
#pragma once

#include <string>
#include <vector>

#include "cimmc/network/tensor.hpp"

namespace cimmc::network {

struct ZooOptions {
  double width = 1.0;
};

// Names accepted by zoo_spec.
std::vector<std::string> zoo_names();

// The spec of zoo model `name` for inputs of shape C×H×W. Throws core::ArgumentError for an unknown name
// (listing the known ones) or an input too small for the model.
std::string zoo_spec(const std::string& name, const Shape& input_chw, int classes, const ZooOptions& options = {});

}  // namespace cimmc::network
