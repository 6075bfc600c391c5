// The text architecture spec of a Model (docs/architecture.md, network): parsing a spec into
// layers and nodes (make_layer, Model::from_spec) and writing it back (Model::spec).
#include <fmt/format.h>

#include <optional>
#include <sstream>

#include "cimmc/core/error.hpp"
#include "cimmc/network/layers.hpp"
#include "cimmc/network/model.hpp"

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
    throw core::ModelError(fmt::format("layer '{}': missing attribute '{}'", layer, key));
  }
  try {
    std::size_t pos = 0;
    const int v = std::stoi(it->second, &pos);
    if (pos != it->second.size()) throw std::invalid_argument("trailing");
    return v;
  } catch (const std::exception&) {
    throw core::ModelError(fmt::format("layer '{}': attribute {}={} is not an integer", layer, key, it->second));
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
    throw core::ModelError(fmt::format("layer '{}': attribute {}={} is not a number", layer, key, it->second));
  }
}
}  // namespace

std::unique_ptr<Layer> make_layer(const std::string& name, const std::string& kind, const Attributes& a,
                                  const std::vector<Shape>& in) {
  std::vector<std::string> used;
  std::unique_ptr<Layer> l;
  auto positive = [&](const char* key, int v) {
    if (v <= 0) throw core::ModelError(fmt::format("layer '{}': attribute {}={} must be positive", name, key, v));
    return v;
  };
  if (in.empty()) throw core::ModelError(fmt::format("layer '{}': has no input", name));
  if (kind == "conv2d") {
    if (in[0].size() != 3)
      throw core::ModelError(fmt::format("layer '{}': conv2d needs a C×H×W input, got {}", name, shape_text(in[0])));
    const int out = positive("out", int_attr(name, a, "out", std::nullopt, used));
    const int k = positive("kernel", int_attr(name, a, "kernel", std::nullopt, used));
    const int s = positive("stride", int_attr(name, a, "stride", 1, used));
    const int p = int_attr(name, a, "padding", 0, used);
    const int b = int_attr(name, a, "bias", 1, used);
    l = std::make_unique<Conv2d>(in[0][0], out, k, s, p, b != 0);
  } else if (kind == "linear") {
    if (in[0].size() != 1)
      throw core::ModelError(
          fmt::format("layer '{}': linear needs a flat input, got {} (add a flatten layer)", name, shape_text(in[0])));
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
    throw core::ModelError(
        fmt::format("layer '{}': unknown kind '{}' (expected conv2d, linear, batchnorm, relu, hardtanh, "
                    "maxpool2d, avgpool2d, globalavgpool, add, flatten)",
                    name, kind));
  }
  for (const auto& [k, v] : a)
    if (std::find(used.begin(), used.end(), k) == used.end())
      throw core::ModelError(fmt::format("layer '{}': unknown attribute '{}' for {}", name, k, kind));
  if (static_cast<int>(in.size()) != l->arity())
    throw core::ModelError(fmt::format("layer '{}': {} takes {} input(s), got {}", name, kind, l->arity(), in.size()));
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
    if (tok.size() < 3)
      throw core::ModelError(fmt::format("{}: expected 'name kind inputs key=value...', got '{}'", where(), line));
    Node n;
    n.name = tok[0];
    n.kind = tok[1];
    if (m.find(n.name) >= 0) throw core::ModelError(fmt::format("{}: node name '{}' used twice", where(), n.name));
    Attributes attrs;
    for (std::size_t i = 3; i < tok.size(); ++i) {
      const auto eq = tok[i].find('=');
      if (eq == std::string::npos || eq == 0)
        throw core::ModelError(fmt::format("{}: expected key=value, got '{}'", where(), tok[i]));
      attrs[tok[i].substr(0, eq)] = tok[i].substr(eq + 1);
    }
    try {
      if (m.nodes_.empty()) {
        if (n.kind != "input")
          throw core::ModelError(fmt::format("the first node must be of kind 'input', got '{}'", n.kind));
        std::vector<std::string> used;
        const int c = int_attr(n.name, attrs, "channels", std::nullopt, used);
        const int h = int_attr(n.name, attrs, "height", 0, used);
        const int w = int_attr(n.name, attrs, "width", 0, used);
        for (const auto& [k, v] : attrs)
          if (std::find(used.begin(), used.end(), k) == used.end())
            throw core::ModelError(fmt::format("unknown attribute '{}' for input", k));
        if (c <= 0 || h < 0 || w < 0) throw core::ModelError(fmt::format("input shape {}×{}×{} is not valid", c, h, w));
        n.shape = (h == 0 && w == 0) ? Shape{c} : Shape{c, h, w};
      } else {
        if (n.kind == "input") throw core::ModelError("only the first node may be an input");
        std::vector<Shape> shapes;
        for (const auto& in_name : split(tok[2], ',')) {
          const int idx = m.find(in_name);
          if (idx < 0) throw core::ModelError(fmt::format("input '{}' is not defined on an earlier line", in_name));
          n.inputs.push_back(idx);
          shapes.push_back(m.nodes_[idx].shape);
        }
        n.layer = make_layer(n.name, n.kind, attrs, shapes);
        n.shape = n.layer->output_shape(shapes);
      }
    } catch (const core::ModelError& e) {
      throw core::ModelError(fmt::format("{}: {}", where(), e.what()));
    }
    m.nodes_.push_back(std::move(n));
  }
  if (m.nodes_.size() < 2)
    throw core::ModelError(fmt::format("{}: needs an input node and at least one layer", source));
  m.finalize();
  return m;
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

}  // namespace cimmc::network
