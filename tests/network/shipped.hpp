// Shared checks of the shipped models in data/models on the Fashion-MNIST test set.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>

#include "cimmc/network/dataset.hpp"
#include "cimmc/network/model_file.hpp"
#include "cimmc/network/quantize.hpp"
#include "cimmc/network/train.hpp"

namespace cimmc::network::nwtest {

inline std::filesystem::path shipped(const std::string& name) {
  return std::filesystem::path(CIMMC_SOURCE_DIR) / "data" / "models" / name;
}

inline bool fashion_mnist_available() {
  return std::filesystem::exists(fashion_mnist_dir() / "t10k-images-idx3-ubyte.gz") ||
         std::filesystem::exists(fashion_mnist_dir() / "t10k-images-idx3-ubyte");
}

struct Accuracies {
  double float_accuracy = 0, int_accuracy = 0;
  int images = 0;
};

// Float and 8-bit integer accuracy of a float model (calibrated on 512 training images, seed 1,
// as `cimmc eval --backend int` does), or float (fake-quant) and integer accuracy of a quantized one.
inline Accuracies measure(const std::string& file, int limit) {
  Model m = load_model(shipped(file));
  const Dataset test = load_dataset("fashion-mnist", "test");
  Accuracies a;
  if (m.quantized()) {
    a.float_accuracy = evaluate(m, test, RunContext{false, ExecMode::kFakeQuant}, 256, limit).accuracy;
    const auto r = evaluate(m, test, RunContext{false, ExecMode::kInteger}, 256, limit);
    a.int_accuracy = r.accuracy;
    a.images = r.images;
    return a;
  }
  a.float_accuracy = evaluate(m, test, RunContext{}, 256, limit).accuracy;
  Model q = quantize_model(m, load_dataset("fashion-mnist", "train"), QuantOptions{});
  const auto r = evaluate(q, test, RunContext{false, ExecMode::kInteger}, 256, limit);
  a.int_accuracy = r.accuracy;
  a.images = r.images;
  return a;
}

}  // namespace cimmc::network::nwtest
