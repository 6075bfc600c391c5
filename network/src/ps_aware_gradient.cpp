// The partial-sum-aware backward pass through the SGEMM (ps_aware_gradient.hpp).
#include "ps_aware_gradient.hpp"

#include "cimmc/network/sgemm.hpp"

namespace cimmc::network {

void ps_aware_backward_sgemm(const std::vector<int>& bounds, const std::vector<float>& scales, int outputs, int rows,
                             int K, const float* grad, const float* inputs, const float* weights, float* weight_grad,
                             float* input_grad) {
  float* gr = sgemm::scratch(4, static_cast<std::size_t>(outputs) * rows);
  // Gr as the packed right operand of the input gradient (outputs × rows).
  float* gr_packed = input_grad ? sgemm::scratch(6, sgemm::packed_size(outputs, rows)) : nullptr;
  for (std::size_t r = 0; r + 1 < bounds.size(); ++r) {
    const int k0 = bounds[r], len = bounds[r + 1] - bounds[r];
    const float* sc = scales.data() + r * static_cast<std::size_t>(rows) * outputs;
    for (int c = 0; c < outputs; ++c) {
      const float* g = grad + static_cast<std::size_t>(c) * rows;
      float* out = gr + static_cast<std::size_t>(c) * rows;
      for (int p = 0; p < rows; ++p) out[p] = g[p] * sc[static_cast<std::size_t>(p) * outputs + c];
    }
    // weight_grad[:, k0 .. k0 + len) += Gr · inputs[k0 .. k0 + len, :]ᵀ: B (rows × len) is the
    // transposed slice, element (p, j) at inputs[(k0 + j) · rows + p].
    float* b = sgemm::scratch(5, sgemm::packed_size(rows, len));
    sgemm::pack_b(rows, len, inputs + static_cast<std::size_t>(k0) * rows, 1, rows, b);
    sgemm::gemm(outputs, len, rows, gr, rows, 1, b, weight_grad + k0, K, true);
    // input_grad[k0 .. k0 + len, :] = weights[:, k0 .. k0 + len)ᵀ · Gr: A (len × outputs) has
    // element (j, c) at weights[c · K + k0 + j].
    if (input_grad) {
      sgemm::pack_b(outputs, rows, gr, rows, 1, gr_packed);
      sgemm::gemm(len, rows, outputs, weights + k0, 1, K, gr_packed, input_grad + static_cast<std::size_t>(k0) * rows,
                  rows, false);
    }
  }
}

}  // namespace cimmc::network
