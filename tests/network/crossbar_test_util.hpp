// Helpers shared by the crossbar backend and training-hook tests.
#pragma once

#include <vector>

#include "cimmc/arch/crossbar_config.hpp"
#include "cimmc/network/dataset.hpp"
#include "cimmc/network/model.hpp"
#include "cimmc/network/train.hpp"

namespace cimmc::network::xbtest {

// Logits of images first .. first + count − 1 of `data`, run with `ctx` (its image offset set to
// `first`, so that noise streams follow the image index).
inline Tensor logits_of(Model& model, const Dataset& data, RunContext ctx, int first, int count) {
  std::vector<int> idx;
  for (int i = first; i < first + count; ++i) idx.push_back(i);
  Tensor images;
  std::vector<int> labels;
  make_batch(data, idx, images, labels);
  ctx.image_offset = static_cast<std::size_t>(first);
  return model.forward(images, ctx);
}

// A crossbar of `rows` rows with `bits`-bit inputs and weights and the given readout.
inline arch::CrossbarConfig crossbar_hw(circuit::ReadoutKind kind, int bits, int rows) {
  arch::CrossbarConfig c;
  c.rows = rows;
  c.input_bits = c.weight_bits = bits;
  c.readout.kind = kind;
  return c;
}

}  // namespace cimmc::network::xbtest
