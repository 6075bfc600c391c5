#include "cimmc/network/zoo.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>

#include "cimmc/core/error.hpp"

namespace cimmc::network {

namespace {

struct Builder {
  std::string text;
  std::string last = "input";
  int counter = 0;
  std::string add(const std::string& kind, const std::string& attrs, const std::string& inputs = "") {
    std::string name = fmt::format("{}{}", kind == "batchnorm" ? "bn" : kind, ++counter);
    text += fmt::format("{} {} {}{}{}\n", name, kind, inputs.empty() ? last : inputs, attrs.empty() ? "" : " ", attrs);
    last = name;
    return name;
  }
  std::string conv(int out, int k, int s, int p, bool bias = false) {
    return add("conv2d", fmt::format("out={} kernel={} stride={} padding={} bias={}", out, k, s, p, bias ? 1 : 0));
  }
  std::string conv_bn_relu(int out, int k = 3, int s = 1, int p = 1) {
    conv(out, k, s, p);
    add("batchnorm", "");
    return add("relu", "");
  }
};

int scaled(int base, double width) { return std::max(1, static_cast<int>(std::lround(base * width))); }

}  // namespace

std::vector<std::string> zoo_names() { return {"mlp", "lenet5", "vgg_small", "resnet20"}; }

std::string zoo_spec(const std::string& name, const Shape& in, int classes, const ZooOptions& o) {
  if (in.size() != 3 || in[0] <= 0 || in[1] <= 0 || in[2] <= 0)
    throw core::ArgumentError(fmt::format("zoo model '{}': input shape must be C×H×W, got {}", name, shape_text(in)));
  if (classes < 2)
    throw core::ArgumentError(fmt::format("zoo model '{}': needs at least 2 classes, got {}", name, classes));
  if (!(o.width > 0.0))
    throw core::ArgumentError(fmt::format("zoo model '{}': width must be positive, got {}", name, o.width));
  Builder b;
  b.text =
      fmt::format("# {} (width {}) for {}×{}×{} inputs, {} classes\ninput input - channels={} height={} width={}\n",
                  name, o.width, in[0], in[1], in[2], classes, in[0], in[1], in[2]);
  const int H = std::min(in[1], in[2]);
  if (name == "mlp") {
    b.add("flatten", "");
    b.add("linear", fmt::format("out={} bias=1", scaled(256, o.width)));
    b.add("relu", "");
    b.add("linear", fmt::format("out={} bias=1", scaled(128, o.width)));
    b.add("relu", "");
    b.add("linear", fmt::format("out={} bias=1", classes));
  } else if (name == "lenet5") {
    if (H < 28)
      throw core::ArgumentError(fmt::format("zoo model lenet5 needs inputs of at least 28×28, got {}", shape_text(in)));
    // 28×28 inputs get padding 2 so that both input sizes reach the classic 16×5×5 features.
    b.conv_bn_relu(scaled(6, o.width), 5, 1, H < 32 ? 2 : 0);
    b.add("maxpool2d", "kernel=2 stride=2");
    b.conv_bn_relu(scaled(16, o.width), 5, 1, 0);
    b.add("maxpool2d", "kernel=2 stride=2");
    b.add("flatten", "");
    b.add("linear", fmt::format("out={} bias=1", scaled(120, o.width)));
    b.add("relu", "");
    b.add("linear", fmt::format("out={} bias=1", scaled(84, o.width)));
    b.add("relu", "");
    b.add("linear", fmt::format("out={} bias=1", classes));
  } else if (name == "vgg_small") {
    if (H < 8)
      throw core::ArgumentError(
          fmt::format("zoo model vgg_small needs inputs of at least 8×8, got {}", shape_text(in)));
    for (int base : {32, 64, 128}) {
      b.conv_bn_relu(scaled(base, o.width));
      b.conv_bn_relu(scaled(base, o.width));
      b.add("maxpool2d", "kernel=2 stride=2");
    }
    b.add("flatten", "");
    b.add("linear", fmt::format("out={} bias=0", scaled(256, o.width)));
    b.add("batchnorm", "");
    b.add("relu", "");
    b.add("linear", fmt::format("out={} bias=1", classes));
  } else if (name == "resnet20") {
    if (H < 8)
      throw core::ArgumentError(fmt::format("zoo model resnet20 needs inputs of at least 8×8, got {}", shape_text(in)));
    int channels = scaled(16, o.width);
    b.conv_bn_relu(channels);
    for (int stage = 0; stage < 3; ++stage) {
      const int out = scaled(16 << stage, o.width);
      for (int block = 0; block < 3; ++block) {
        const int stride = (stage > 0 && block == 0) ? 2 : 1;
        const std::string block_in = b.last;
        b.conv_bn_relu(out, 3, stride, 1);
        b.conv(out, 3, 1, 1);
        const std::string main = b.add("batchnorm", "");
        std::string shortcut = block_in;
        if (stride != 1 || out != channels) {
          // Projection shortcut (1×1 convolution + BatchNorm) where the shape changes.
          b.last = block_in;
          b.conv(out, 1, stride, 0);
          shortcut = b.add("batchnorm", "");
        }
        b.add("add", "", fmt::format("{},{}", main, shortcut));
        b.add("relu", "");
        channels = out;
      }
    }
    b.add("globalavgpool", "");
    b.add("linear", fmt::format("out={} bias=1", classes));
  } else {
    throw core::ArgumentError(fmt::format("unknown zoo model '{}' (known: {})", name, fmt::join(zoo_names(), ", ")));
  }
  return b.text;
}

}  // namespace cimmc::network
