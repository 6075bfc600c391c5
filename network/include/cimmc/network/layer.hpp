// The layer interface: a node of a network that maps input tensors to one output tensor, with a
// backward pass for training. Layers keep whatever their backward pass needs from the last
// forward call (so a layer object serves one batch at a time). Parameters carry their gradient.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "cimmc/network/gemm.hpp"
#include "cimmc/network/tensor.hpp"

namespace cimmc::network {

// How GEMM layers compute.
enum class ExecMode {
  kFloat,      // float weights and activations
  kFakeQuant,  // quantized operands (codes) multiplied in float; QAT trains through this
  kInteger,    // integer codes through a GemmBackend (exact reference unless replaced)
};

struct RunContext {
  bool training = false;
  ExecMode mode = ExecMode::kFloat;
  GemmBackend* backend = nullptr;  // kInteger; null means the exact reference
  GemmHook* hook = nullptr;        // applied to GEMM outputs in kFloat/kFakeQuant
  std::size_t image_offset = 0;    // global index of batch item 0
  std::uint64_t step = 0;
};

struct Parameter {
  std::string name;  // "weight", "bias", "gamma", "beta"
  Tensor value;
  Tensor grad;
  bool weight_decay = true;
};

// Per-layer quantization of a GEMM layer (Conv2d, Linear).
struct GemmQuant {
  bool enabled = false;
  int weight_bits = 8;
  int activation_bits = 8;
  float activation_scale = 0.0f;  // real value per activation code
};

// key=value attributes of an architecture spec line.
using Attributes = std::map<std::string, std::string>;

class Layer {
 public:
  virtual ~Layer() = default;
  virtual std::string kind() const = 0;
  // Attributes that rebuild this layer (written to the architecture spec).
  virtual Attributes attributes() const { return {}; }
  // Shape of one output item from the shapes of one item of each input.
  virtual Shape output_shape(const std::vector<Shape>& inputs) const = 0;
  virtual int arity() const { return 1; }

  virtual void forward(std::span<const Tensor* const> in, Tensor& out, const RunContext& ctx) = 0;
  // Writes dL/d(input i) into *grad_in[i] (resized by the layer); a null entry needs no gradient.
  // Adds parameter gradients into Parameter::grad.
  virtual void backward(std::span<const Tensor* const> in, const Tensor& out, const Tensor& grad_out,
                        std::span<Tensor* const> grad_in, const RunContext& ctx) = 0;

  virtual std::vector<Parameter*> parameters() { return {}; }
  // Non-trained state stored with the weights (BatchNorm running statistics).
  virtual std::vector<std::pair<std::string, Tensor*>> buffers() { return {}; }

  const std::string& name() const { return name_; }
  void set_name(std::string n) { name_ = std::move(n); }

 private:
  std::string name_;
};

// Builds a layer from its spec line: kind, attributes and the item shapes of its inputs.
// Throws core::ModelError naming the layer for unknown kinds, attributes or incompatible shapes.
std::unique_ptr<Layer> make_layer(const std::string& name, const std::string& kind, const Attributes& attrs,
                                  const std::vector<Shape>& input_shapes);

}  // namespace cimmc::network
