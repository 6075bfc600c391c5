// What Conv2d and Linear (conv2d.cpp, linear.cpp) share inside the network library: the chunk of a
// fixed-order reduction and the GemmHookContext of one call. Private to the network library.
#pragma once

#include <cstddef>
#include <vector>

#include "cimmc/network/gemm.hpp"
#include "cimmc/network/gemm_layers.hpp"

namespace cimmc::network {

constexpr int kChunk = 8;  // images per chunk of a reduction (fixed: results independent of threads)

inline GemmHookContext hook_context(const GemmLayer& layer, const RunContext& ctx, int M, int N, int K, MatrixView a,
                                    MatrixView w, const std::vector<float>& w_scales, std::size_t image, int images) {
  GemmHookContext h;
  h.layer_index = layer.gemm_index();
  h.layer_name = layer.name();
  h.M = M, h.N = N, h.K = K;
  h.activations = a;
  h.weights = w;
  h.quantized = !w_scales.empty();
  if (h.quantized) {
    h.activation_bits = layer.quant().activation_bits;
    h.weight_bits = layer.quant().weight_bits;
    h.activation_scale = layer.quant().activation_scale;
    h.weight_scales = w_scales;
  }
  h.image_offset = image;
  h.images = images;
  h.training = ctx.training;
  h.step = ctx.step;
  return h;
}

}  // namespace cimmc::network
