// A network as a directed acyclic graph of layers, described by a plain-text architecture spec
// that is stored with the weights. One line per node, in an order where inputs come first:
//
//   # comment
//   input input - channels=1 height=28 width=28
//   conv1 conv2d input out=32 kernel=3 stride=1 padding=1 bias=0
//   bn1 batchnorm conv1
//   relu1 relu bn1
//   res1 add relu1,bn3
//
// i.e. `name kind inputs key=value...` (inputs comma separated; `-` for none). The first node is
// the input; the last node's output is the logits. Forward and backward run the nodes in order;
// a node's output gradient is the sum over its consumers.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cimmc/network/gemm_layers.hpp"
#include "cimmc/network/layer.hpp"

namespace cimmc::network {

struct Node {
  std::string name;
  std::string kind;
  std::vector<int> inputs;       // node indices
  std::unique_ptr<Layer> layer;  // null for the input node
  Shape shape;                   // output shape of one item
};

class Model {
 public:
  Model() = default;
  Model(Model&&) = default;
  Model& operator=(Model&&) = default;

  // Parses a spec; errors (core::ModelError) name the line and what is wrong. `source` names the
  // origin in messages (a file name).
  static Model from_spec(const std::string& text, const std::string& source = "architecture spec");
  std::string spec() const;
  // A deep copy: same spec, parameters, buffers and quantization.
  Model clone() const;

  const Shape& input_shape() const { return nodes_.front().shape; }
  int classes() const { return static_cast<int>(shape_size(nodes_.back().shape)); }
  const std::vector<Node>& nodes() const { return nodes_; }
  std::vector<Node>& nodes() { return nodes_; }

  // Runs all nodes; returns the logits (batch × classes). The reference stays valid until the
  // next forward.
  const Tensor& forward(const Tensor& images, const RunContext& ctx);
  // Back-propagates dL/dlogits through the last forward pass, adding into parameter gradients.
  void backward(const Tensor& grad_logits, const RunContext& ctx);
  // Output of node i in the last forward pass.
  const Tensor& activation(int i) const { return outputs_.at(i); }

  // Trained parameters and buffers with qualified names "node/param".
  std::vector<std::pair<std::string, Parameter*>> parameters();
  std::vector<std::pair<std::string, Tensor*>> buffers();
  std::vector<GemmLayer*> gemm_layers();
  std::vector<const GemmLayer*> gemm_layers() const;
  void zero_grad();
  // Whether every GEMM layer carries quantization parameters.
  bool quantized() const;
  int find(const std::string& name) const;  // -1 if absent

  // Rebuilds the node list (used by graph rewrites such as BatchNorm folding): `nodes` must be
  // in topological order with valid input indices; shapes are recomputed.
  void reset_nodes(std::vector<Node> nodes);
  // Total number of trained values.
  std::size_t parameter_count();

 private:
  void finalize();
  std::vector<Node> nodes_;
  std::vector<Tensor> outputs_, grads_;
  std::vector<float> fused_scale_, fused_shift_;  // batch-norm maps fused into a convolution (inference)
};

// Softmax cross-entropy over the batch (mean). Writes dL/dlogits into `grad` when non-null and
// returns the mean loss; `correct` receives the number of argmax hits.
double softmax_cross_entropy(const Tensor& logits, std::span<const int> labels, Tensor* grad, int* correct);

// Knowledge distillation (Hinton et al. 2015): (1 − alpha) · softmax cross-entropy with the labels
// + alpha · τ² · KL(softmax(teacher/τ) ‖ softmax(logits/τ)), mean over the batch; the τ² keeps the
// soft term's gradient on the scale of the hard one. Writes dL/dlogits into `grad` when non-null;
// `correct` counts argmax hits against the labels. core::ArgumentError for mismatched shapes, alpha
// outside [0, 1] or τ <= 0.
double distillation_loss(const Tensor& logits, const Tensor& teacher_logits, std::span<const int> labels, double alpha,
                         double temperature, Tensor* grad, int* correct);

// Index of the largest logit of each item.
std::vector<int> argmax_rows(const Tensor& logits);

}  // namespace cimmc::network
