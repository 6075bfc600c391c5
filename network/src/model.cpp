// A Model as a graph of layers: forward and backward over the nodes in order, parameters,
// buffers and GEMM layers, copies and graph rewrites. The spec it is built from is read and
// written in model_spec.cpp; the losses on its logits are in losses.cpp.
#include "cimmc/network/model.hpp"

#include <fmt/format.h>

#include "cimmc/core/error.hpp"
#include "cimmc/network/gemm_layers.hpp"
#include "cimmc/network/layers.hpp"

namespace cimmc::network {

void Model::finalize() {
  int g = 0;
  for (auto& n : nodes_)
    if (auto* gl = dynamic_cast<GemmLayer*>(n.layer.get())) gl->set_gemm_index(g++);
  outputs_.assign(nodes_.size(), Tensor());
  grads_.assign(nodes_.size(), Tensor());
}

Model Model::clone() const {
  Model m = from_spec(spec());
  auto& self = const_cast<Model&>(*this);
  auto src_p = self.parameters();
  auto dst_p = m.parameters();
  for (std::size_t i = 0; i < src_p.size(); ++i) dst_p[i].second->value = src_p[i].second->value;
  auto src_b = self.buffers();
  auto dst_b = m.buffers();
  for (std::size_t i = 0; i < src_b.size(); ++i) *dst_b[i].second = *src_b[i].second;
  auto src_g = self.gemm_layers();
  auto dst_g = m.gemm_layers();
  for (std::size_t i = 0; i < src_g.size(); ++i) dst_g[i]->quant() = src_g[i]->quant();
  return m;
}

int Model::find(const std::string& name) const {
  for (std::size_t i = 0; i < nodes_.size(); ++i)
    if (nodes_[i].name == name) return static_cast<int>(i);
  return -1;
}

const Tensor& Model::forward(const Tensor& images, const RunContext& ctx) {
  Shape expect = input_shape();
  expect.insert(expect.begin(), images.batch());
  if (images.shape != expect)
    throw core::ArgumentError(
        fmt::format("model input: expected a batch of shape {}, got {}", shape_text(expect), shape_text(images.shape)));
  outputs_[0] = images;
  for (std::size_t i = 1; i < nodes_.size(); ++i) {
    Node& n = nodes_[i];
    std::vector<const Tensor*> ins;
    for (int j : n.inputs) ins.push_back(&outputs_[j]);
    // Inference: conv2d → batchnorm (→ relu) in one pass over each image's output while it is in
    // cache; every node's output is still stored, with the values of the separate layers.
    auto* conv = ctx.training ? nullptr : dynamic_cast<Conv2d*>(n.layer.get());
    auto* bn = conv && i + 1 < nodes_.size() && nodes_[i + 1].inputs == std::vector<int>{static_cast<int>(i)}
                   ? dynamic_cast<BatchNorm*>(nodes_[i + 1].layer.get())
                   : nullptr;
    if (bn) {
      // ... then, in a residual block, an add of the batch norm's output and an earlier node's
      // (→ relu), in the same pass.
      const int b = static_cast<int>(i + 1);
      auto only_input = [&](std::size_t node, int from) {
        return node < nodes_.size() && nodes_[node].inputs == std::vector<int>{from};
      };
      int other = -1;
      if (i + 2 < nodes_.size() && dynamic_cast<Add*>(nodes_[i + 2].layer.get()) != nullptr) {
        const auto& a = nodes_[i + 2].inputs;
        if (a.size() == 2 && (a[0] == b) != (a[1] == b)) other = a[0] == b ? a[1] : a[0];
        if (other >= 0) {  // an earlier node's output, of the convolution's shape
          const Shape& x = ins[0]->shape;
          Shape conv_shape = conv->output_shape({Shape(x.begin() + 1, x.end())});
          conv_shape.insert(conv_shape.begin(), x[0]);
          if (other >= static_cast<int>(i) || outputs_[other].shape != conv_shape) other = -1;
        }
      }
      const std::size_t after = other >= 0 ? i + 2 : i + 1;  // the node a ReLU would read
      const bool relu = only_input(after + 1, static_cast<int>(after)) &&
                        dynamic_cast<ReLU*>(nodes_[after + 1].layer.get()) != nullptr;
      bn->inference_affine(fused_scale_, fused_shift_);
      conv->forward_fused(ins, outputs_[i], ctx, fused_scale_, fused_shift_, outputs_[i + 1],
                          relu ? &outputs_[after + 1] : nullptr, other >= 0 ? &outputs_[other] : nullptr,
                          other >= 0 ? &outputs_[i + 2] : nullptr);
      i = relu ? after + 1 : after;
      continue;
    }
    n.layer->forward(ins, outputs_[i], ctx);
  }
  return outputs_.back();
}

void Model::backward(const Tensor& grad_logits, const RunContext& ctx) {
  for (auto& g : grads_) g.shape.clear(), g.data.clear();
  grads_.back() = grad_logits;
  Tensor tmp0, tmp1;
  for (std::size_t i = nodes_.size() - 1; i >= 1; --i) {
    Node& n = nodes_[i];
    if (grads_[i].data.empty()) continue;  // output not used
    std::vector<const Tensor*> ins;
    std::vector<Tensor*> gins;
    Tensor* tmps[2] = {&tmp0, &tmp1};
    for (std::size_t k = 0; k < n.inputs.size(); ++k) {
      ins.push_back(&outputs_[n.inputs[k]]);
      gins.push_back(n.inputs[k] == 0 ? nullptr : tmps[k]);
    }
    n.layer->backward(ins, outputs_[i], grads_[i], gins, ctx);
    for (std::size_t k = 0; k < n.inputs.size(); ++k) {
      if (!gins[k]) continue;
      Tensor& dst = grads_[n.inputs[k]];
      if (dst.data.empty()) {
        dst = std::move(*gins[k]);
        *gins[k] = Tensor();
      } else {
        for (std::size_t e = 0; e < dst.size(); ++e) dst.data[e] += gins[k]->data[e];
      }
    }
  }
}

std::vector<std::pair<std::string, Parameter*>> Model::parameters() {
  std::vector<std::pair<std::string, Parameter*>> out;
  for (auto& n : nodes_)
    if (n.layer)
      for (Parameter* p : n.layer->parameters()) out.emplace_back(n.name + "/" + p->name, p);
  return out;
}

std::vector<std::pair<std::string, Tensor*>> Model::buffers() {
  std::vector<std::pair<std::string, Tensor*>> out;
  for (auto& n : nodes_)
    if (n.layer)
      for (auto& [name, t] : n.layer->buffers()) out.emplace_back(n.name + "/" + name, t);
  return out;
}

std::vector<GemmLayer*> Model::gemm_layers() {
  std::vector<GemmLayer*> out;
  for (auto& n : nodes_)
    if (auto* g = dynamic_cast<GemmLayer*>(n.layer.get())) out.push_back(g);
  return out;
}

std::vector<const GemmLayer*> Model::gemm_layers() const {
  std::vector<const GemmLayer*> out;
  for (const auto& n : nodes_)
    if (const auto* g = dynamic_cast<const GemmLayer*>(n.layer.get())) out.push_back(g);
  return out;
}

bool Model::quantized() const {
  const auto g = gemm_layers();
  return !g.empty() && std::all_of(g.begin(), g.end(), [](const GemmLayer* l) { return l->quant().enabled; });
}

void Model::zero_grad() {
  for (auto& [name, p] : parameters()) {
    p->grad.resize(p->value.shape);
    p->grad.zero();
  }
}

void Model::reset_nodes(std::vector<Node> nodes) {
  nodes_ = std::move(nodes);
  for (std::size_t i = 1; i < nodes_.size(); ++i) {
    std::vector<Shape> shapes;
    for (int j : nodes_[i].inputs) shapes.push_back(nodes_[j].shape);
    nodes_[i].shape = nodes_[i].layer->output_shape(shapes);
  }
  finalize();
}

std::size_t Model::parameter_count() {
  std::size_t n = 0;
  for (auto& [name, p] : parameters()) n += p->value.size();
  return n;
}

}  // namespace cimmc::network
