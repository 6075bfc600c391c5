#include "cimmc/network/model.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <sstream>

#include "cimmc/core/error.hpp"
#include "cimmc/network/layers.hpp"

namespace cimmc::network {

namespace {
std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  std::istringstream is(s);
  while (std::getline(is, cur, sep)) out.push_back(cur);
  return out;
}

int int_attr(const std::string& layer, const Attributes& a, const std::string& key, std::optional<int> fallback,
             std::vector<std::string>& used) {
  used.push_back(key);
  auto it = a.find(key);
  if (it == a.end()) {
    if (fallback) return *fallback;
    throw ModelError(fmt::format("layer '{}': missing attribute '{}'", layer, key));
  }
  try {
    std::size_t pos = 0;
    const int v = std::stoi(it->second, &pos);
    if (pos != it->second.size()) throw std::invalid_argument("trailing");
    return v;
  } catch (const std::exception&) {
    throw ModelError(fmt::format("layer '{}': attribute {}={} is not an integer", layer, key, it->second));
  }
}

float float_attr(const std::string& layer, const Attributes& a, const std::string& key, float fallback,
                 std::vector<std::string>& used) {
  used.push_back(key);
  auto it = a.find(key);
  if (it == a.end()) return fallback;
  try {
    return std::stof(it->second);
  } catch (const std::exception&) {
    throw ModelError(fmt::format("layer '{}': attribute {}={} is not a number", layer, key, it->second));
  }
}
}  // namespace

std::unique_ptr<Layer> make_layer(const std::string& name, const std::string& kind, const Attributes& a,
                                  const std::vector<Shape>& in) {
  std::vector<std::string> used;
  std::unique_ptr<Layer> l;
  auto positive = [&](const char* key, int v) {
    if (v <= 0) throw ModelError(fmt::format("layer '{}': attribute {}={} must be positive", name, key, v));
    return v;
  };
  if (in.empty()) throw ModelError(fmt::format("layer '{}': has no input", name));
  if (kind == "conv2d") {
    if (in[0].size() != 3) throw ModelError(fmt::format("layer '{}': conv2d needs a C×H×W input, got {}", name, shape_text(in[0])));
    const int out = positive("out", int_attr(name, a, "out", std::nullopt, used));
    const int k = positive("kernel", int_attr(name, a, "kernel", std::nullopt, used));
    const int s = positive("stride", int_attr(name, a, "stride", 1, used));
    const int p = int_attr(name, a, "padding", 0, used);
    const int b = int_attr(name, a, "bias", 1, used);
    l = std::make_unique<Conv2d>(in[0][0], out, k, s, p, b != 0);
  } else if (kind == "linear") {
    if (in[0].size() != 1) throw ModelError(fmt::format("layer '{}': linear needs a flat input, got {} (add a flatten layer)", name, shape_text(in[0])));
    const int out = positive("out", int_attr(name, a, "out", std::nullopt, used));
    const int b = int_attr(name, a, "bias", 1, used);
    l = std::make_unique<Linear>(in[0][0], out, b != 0);
  } else if (kind == "batchnorm") {
    const float eps = float_attr(name, a, "eps", 1e-5f, used);
    l = std::make_unique<BatchNorm>(in[0].at(0), eps);
  } else if (kind == "relu") {
    l = std::make_unique<ReLU>();
  } else if (kind == "hardtanh") {
    l = std::make_unique<Hardtanh>(float_attr(name, a, "min", -1.0f, used), float_attr(name, a, "max", 1.0f, used));
  } else if (kind == "maxpool2d" || kind == "avgpool2d") {
    const int k = positive("kernel", int_attr(name, a, "kernel", std::nullopt, used));
    const int s = positive("stride", int_attr(name, a, "stride", k, used));
    l = std::make_unique<Pool2d>(kind == "maxpool2d" ? Pool2d::Type::kMax : Pool2d::Type::kAverage, k, s);
  } else if (kind == "globalavgpool") {
    l = std::make_unique<GlobalAvgPool>();
  } else if (kind == "add") {
    l = std::make_unique<Add>();
  } else if (kind == "flatten") {
    l = std::make_unique<Flatten>();
  } else {
    throw ModelError(fmt::format("layer '{}': unknown kind '{}' (expected conv2d, linear, batchnorm, relu, hardtanh, "
                                 "maxpool2d, avgpool2d, globalavgpool, add, flatten)", name, kind));
  }
  for (const auto& [k, v] : a)
    if (std::find(used.begin(), used.end(), k) == used.end())
      throw ModelError(fmt::format("layer '{}': unknown attribute '{}' for {}", name, k, kind));
  if (static_cast<int>(in.size()) != l->arity())
    throw ModelError(fmt::format("layer '{}': {} takes {} input(s), got {}", name, kind, l->arity(), in.size()));
  l->set_name(name);
  return l;
}

Model Model::from_spec(const std::string& text, const std::string& source) {
  Model m;
  std::istringstream is(text);
  std::string line;
  int line_no = 0;
  while (std::getline(is, line)) {
    ++line_no;
    if (auto h = line.find('#'); h != std::string::npos) line.resize(h);
    std::istringstream ls(line);
    std::vector<std::string> tok;
    for (std::string t; ls >> t;) tok.push_back(t);
    if (tok.empty()) continue;
    auto where = [&] { return fmt::format("{}, line {}", source, line_no); };
    if (tok.size() < 3) throw ModelError(fmt::format("{}: expected 'name kind inputs key=value...', got '{}'", where(), line));
    Node n;
    n.name = tok[0];
    n.kind = tok[1];
    if (m.find(n.name) >= 0) throw ModelError(fmt::format("{}: node name '{}' used twice", where(), n.name));
    Attributes attrs;
    for (std::size_t i = 3; i < tok.size(); ++i) {
      const auto eq = tok[i].find('=');
      if (eq == std::string::npos || eq == 0) throw ModelError(fmt::format("{}: expected key=value, got '{}'", where(), tok[i]));
      attrs[tok[i].substr(0, eq)] = tok[i].substr(eq + 1);
    }
    try {
      if (m.nodes_.empty()) {
        if (n.kind != "input") throw ModelError(fmt::format("the first node must be of kind 'input', got '{}'", n.kind));
        std::vector<std::string> used;
        const int c = int_attr(n.name, attrs, "channels", std::nullopt, used);
        const int h = int_attr(n.name, attrs, "height", 0, used);
        const int w = int_attr(n.name, attrs, "width", 0, used);
        for (const auto& [k, v] : attrs)
          if (std::find(used.begin(), used.end(), k) == used.end())
            throw ModelError(fmt::format("unknown attribute '{}' for input", k));
        if (c <= 0 || h < 0 || w < 0) throw ModelError(fmt::format("input shape {}×{}×{} is not valid", c, h, w));
        n.shape = (h == 0 && w == 0) ? Shape{c} : Shape{c, h, w};
      } else {
        if (n.kind == "input") throw ModelError("only the first node may be an input");
        std::vector<Shape> shapes;
        for (const auto& in_name : split(tok[2], ',')) {
          const int idx = m.find(in_name);
          if (idx < 0) throw ModelError(fmt::format("input '{}' is not defined on an earlier line", in_name));
          n.inputs.push_back(idx);
          shapes.push_back(m.nodes_[idx].shape);
        }
        n.layer = make_layer(n.name, n.kind, attrs, shapes);
        n.shape = n.layer->output_shape(shapes);
      }
    } catch (const ModelError& e) {
      throw ModelError(fmt::format("{}: {}", where(), e.what()));
    }
    m.nodes_.push_back(std::move(n));
  }
  if (m.nodes_.size() < 2) throw ModelError(fmt::format("{}: needs an input node and at least one layer", source));
  m.finalize();
  return m;
}

void Model::finalize() {
  int g = 0;
  for (auto& n : nodes_)
    if (auto* gl = dynamic_cast<GemmLayer*>(n.layer.get())) gl->set_gemm_index(g++);
  outputs_.assign(nodes_.size(), Tensor());
  grads_.assign(nodes_.size(), Tensor());
}

std::string Model::spec() const {
  std::string s = "# cimmc architecture: name kind inputs key=value...\n";
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    const Node& n = nodes_[i];
    if (i == 0) {
      s += fmt::format("{} input - channels={}", n.name, n.shape[0]);
      if (n.shape.size() == 3) s += fmt::format(" height={} width={}", n.shape[1], n.shape[2]);
      s += "\n";
      continue;
    }
    std::string ins;
    for (int j : n.inputs) ins += (ins.empty() ? "" : ",") + nodes_[j].name;
    s += fmt::format("{} {} {}", n.name, n.kind, ins);
    for (const auto& [k, v] : n.layer->attributes()) s += fmt::format(" {}={}", k, v);
    s += "\n";
  }
  return s;
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
    throw ArgumentError(fmt::format("model input: expected a batch of shape {}, got {}", shape_text(expect), shape_text(images.shape)));
  outputs_[0] = images;
  for (std::size_t i = 1; i < nodes_.size(); ++i) {
    Node& n = nodes_[i];
    std::vector<const Tensor*> ins;
    for (int j : n.inputs) ins.push_back(&outputs_[j]);
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

double softmax_cross_entropy(const Tensor& logits, std::span<const int> labels, Tensor* grad, int* correct) {
  const int B = logits.shape.at(0), C = logits.shape.at(1);
  if (static_cast<int>(labels.size()) != B)
    throw ArgumentError(fmt::format("softmax_cross_entropy: {} labels for a batch of {}", labels.size(), B));
  if (grad) grad->resize(logits.shape);
  double loss = 0.0;
  int hits = 0;
  for (int b = 0; b < B; ++b) {
    const float* z = logits.item(b);
    const int y = labels[b];
    if (y < 0 || y >= C) throw ArgumentError(fmt::format("softmax_cross_entropy: label {} outside 0..{}", y, C - 1));
    int best = 0;
    float zmax = z[0];
    for (int c = 1; c < C; ++c)
      if (z[c] > zmax) zmax = z[c], best = c;
    hits += best == y;
    double sum = 0.0;
    for (int c = 0; c < C; ++c) sum += std::exp(static_cast<double>(z[c] - zmax));
    const double log_sum = std::log(sum);
    loss += log_sum - (z[y] - zmax);
    if (grad)
      for (int c = 0; c < C; ++c) {
        const double p = std::exp(static_cast<double>(z[c] - zmax) - log_sum);
        grad->item(b)[c] = static_cast<float>((p - (c == y ? 1.0 : 0.0)) / B);
      }
  }
  if (correct) *correct = hits;
  return loss / B;
}

namespace {
// log softmax(z / tau) of C logits into logp.
void log_softmax_tempered(const float* z, int C, double tau, std::vector<double>& logp) {
  float zmax = z[0];
  for (int c = 1; c < C; ++c) zmax = std::max(zmax, z[c]);
  double sum = 0.0;
  for (int c = 0; c < C; ++c) sum += std::exp(logp[c] = static_cast<double>(z[c] - zmax) / tau);
  const double log_sum = std::log(sum);
  for (int c = 0; c < C; ++c) logp[c] -= log_sum;
}
}  // namespace

double distillation_loss(const Tensor& logits, const Tensor& teacher_logits, std::span<const int> labels, double alpha,
                         double temperature, Tensor* grad, int* correct) {
  if (!(alpha >= 0.0 && alpha <= 1.0))
    throw ArgumentError(fmt::format("distillation_loss: alpha = {} (expected in [0, 1])", alpha));
  if (!(temperature > 0.0))
    throw ArgumentError(fmt::format("distillation_loss: temperature = {} (expected > 0)", temperature));
  if (teacher_logits.shape != logits.shape)
    throw ArgumentError(fmt::format("distillation_loss: teacher logits {} for student logits {}",
                                    shape_text(teacher_logits.shape), shape_text(logits.shape)));
  // The hard term and its gradient, (1 − alpha) of them.
  double loss = (1.0 - alpha) * softmax_cross_entropy(logits, labels, grad, correct);
  if (grad)
    for (float& g : grad->data) g = static_cast<float>((1.0 - alpha) * g);
  if (alpha == 0.0) return loss;
  const int B = logits.shape.at(0), C = logits.shape.at(1);
  std::vector<double> ls(C), lt(C);
  double kl = 0.0;
  for (int b = 0; b < B; ++b) {
    log_softmax_tempered(logits.item(b), C, temperature, ls);
    log_softmax_tempered(teacher_logits.item(b), C, temperature, lt);
    for (int c = 0; c < C; ++c) kl += std::exp(lt[c]) * (lt[c] - ls[c]);
    // d/dz_c of τ² · KL(pt ‖ ps) = τ · (ps_c − pt_c).
    if (grad)
      for (int c = 0; c < C; ++c)
        grad->item(b)[c] += static_cast<float>(alpha * temperature * (std::exp(ls[c]) - std::exp(lt[c])) / B);
  }
  return loss + alpha * temperature * temperature * kl / B;
}

std::vector<int> argmax_rows(const Tensor& logits) {
  const int B = logits.shape.at(0), C = logits.shape.at(1);
  std::vector<int> out(B);
  for (int b = 0; b < B; ++b) {
    const float* z = logits.item(b);
    out[b] = static_cast<int>(std::max_element(z, z + C) - z);
  }
  return out;
}

}  // namespace cimmc::network
