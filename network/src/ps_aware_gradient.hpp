// The partial-sum-aware (PS-aware) backward pass shared by Conv2d and Linear
// (docs/architecture.md, "The seam between network and arch"): a hook whose GEMM output is a sum
// of separately read-out ranges of the inner dimension (crossbar subarrays) gives each range r
// its own factors scales[r][row][output] (GemmHook::range_scales), and the output gradient,
// scaled by them, reaches only that range's columns of the weight and input gradients.
#pragma once

#include <Eigen/Core>
#include <cstddef>
#include <vector>

#include "cimmc/network/tensor.hpp"

namespace cimmc::network {

// Orientation (the one Conv2d computes in; Linear passes transposed views of its row-major
// batch matrices): `grad` is the output gradient, outputs × rows; `inputs` the GEMM's input
// operand, K × rows; `weights` outputs × K. For every range [k0, k0 + len) of `bounds`:
//   Gr = grad ⊙ scales[r]  (element (c, p) times scales[(r · rows + p) · outputs + c]),
//   weight_grad[:, k0 .. k0 + len) += Gr · inputs[k0 .. k0 + len, :]ᵀ,
//   input_grad[k0 .. k0 + len, :] = weights[:, k0 .. k0 + len)ᵀ · Gr  (if input_grad is set).
// Gr is held in the storage order of `grad`, so each caller's products keep their operand
// layouts (and their results, bit for bit).
template <class Grad, class Inputs, class WeightGrad, class InputGrad>
void ps_aware_backward(const std::vector<int>& bounds, const std::vector<float>& scales, const Grad& grad,
                       const Inputs& inputs, const ConstMatrixMap& weights, WeightGrad& weight_grad,
                       InputGrad* input_grad) {
  constexpr int kOrder = Grad::IsRowMajor ? Eigen::RowMajor : Eigen::ColMajor;
  const int outputs = static_cast<int>(grad.rows()), rows = static_cast<int>(grad.cols());
  Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, kOrder> gr(outputs, rows);
  for (std::size_t r = 0; r + 1 < bounds.size(); ++r) {
    const int k0 = bounds[r], len = bounds[r + 1] - bounds[r];
    const float* sc = scales.data() + r * static_cast<std::size_t>(rows) * outputs;
    for (int c = 0; c < outputs; ++c)
      for (int p = 0; p < rows; ++p) gr(c, p) = grad(c, p) * sc[static_cast<std::size_t>(p) * outputs + c];
    weight_grad.middleCols(k0, len).noalias() += gr * inputs.middleRows(k0, len).transpose();
    if (input_grad) input_grad->middleRows(k0, len).noalias() = weights.middleCols(k0, len).transpose() * gr;
  }
}

// The same pass in Conv2d's orientation with plain row-major operands, through the register-tiled
// SGEMM (network/sgemm.hpp) instead of Eigen: grad is outputs × rows, inputs K × rows, weights
// and weight_grad outputs × K, input_grad (may be null) K × rows. Each product keeps SGEMM's fixed
// reduction order, so the result does not depend on the thread count. Uses scratch slots 4 to 6.
void ps_aware_backward_sgemm(const std::vector<int>& bounds, const std::vector<float>& scales, int outputs, int rows,
                             int K, const float* grad, const float* inputs, const float* weights, float* weight_grad,
                             float* input_grad);

}  // namespace cimmc::network
