// The seam between a network's Conv2d/Linear layers and whatever computes their matrix products.
//
// Every Conv2d (after im2col) and Linear is one GEMM: activations A (M×K), weights W (N×K),
// output O = A·Wᵀ (M×N). Two extension points use it:
//
//  * GemmBackend — inference of a quantized model. A receives unsigned activation codes
//    (0 .. 2^activation_bits − 1), W signed weight codes (|w| ≤ 2^(weight_bits−1) − 1), and the
//    backend returns the M×N accumulators. The reference backend returns the exact int32 sums
//    (stored in doubles, which hold them exactly); a crossbar backend may return noisy, non-integer
//    values. The layer then requantizes: y = acc · activation_scale · weight_scale[n] + bias[n].
//
//  * GemmHook — training (noise-aware, partial-sum-aware). Called in the forward pass on each
//    GEMM output before bias and scaling; it may change the output in place. Its backward gets
//    dL/d(hooked output) and turns it in place into dL/d(ideal output): straight-through
//    (unchanged) unless overridden. For a quantized layer (QAT) operands and output are in code
//    units (integers held in floats); for a float layer in real units.
//
// Rows of A and O are output positions: for a convolution, image-major then (y, x); for a linear
// layer one row per image. Calls carry the global index of the first image so that noise can be
// drawn from random streams addressed by (trial, layer, image, element), independent of threads
// and batching. A backend's gemm() and a hook's forward()/backward() may be called concurrently
// from several threads (different images) and must be thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace cimmc::network {

// What a backend is asked to compute.
struct GemmProblem {
  int layer_index = 0;          // index of the GEMM layer among the model's GEMM layers (0, 1, ...)
  std::string_view layer_name;  // node name in the architecture spec
  int M = 0, N = 0, K = 0;
  const std::uint8_t* activations = nullptr;  // M×K row-major, codes < 2^activation_bits
  const std::int8_t* weights = nullptr;       // N×K row-major, |code| <= 2^(weight_bits-1) - 1
  int activation_bits = 8;
  int weight_bits = 8;
  float activation_scale = 1.0f;         // real value = code · activation_scale
  std::span<const float> weight_scales;  // N per-output-channel scales
  std::size_t image_offset = 0;          // global index of the image of row 0
  int images = 1;                        // rows per image = M / images
};

class GemmBackend {
 public:
  virtual ~GemmBackend() = default;
  // Writes O (M×N row-major) into `accumulators`.
  virtual void gemm(const GemmProblem& problem, std::span<double> accumulators) = 0;
};

// The bit-exact reference: int32 accumulation of code products.
class ExactGemmBackend final : public GemmBackend {
 public:
  void gemm(const GemmProblem& problem, std::span<double> accumulators) override;
};

// Exact integer GEMM, O = A·Wᵀ with int32 accumulators (M×N row-major). Used by the reference
// backend and by tests of other backends.
void gemm_exact_int32(int M, int N, int K, const std::uint8_t* activations, const std::int8_t* weights,
                      std::int32_t* out);

// A strided float matrix view (element (r, c) at data[r·row_stride + c·col_stride]).
struct MatrixView {
  float* data = nullptr;
  int rows = 0, cols = 0;
  std::ptrdiff_t row_stride = 0, col_stride = 1;
  float& operator()(int r, int c) const { return data[r * row_stride + c * col_stride]; }
};

struct GemmHookContext {
  int layer_index = 0;
  std::string_view layer_name;
  int M = 0, N = 0, K = 0;
  MatrixView activations;  // M×K (code units when quantized); read-only by convention
  MatrixView weights;      // N×K
  bool quantized = false;
  int activation_bits = 0, weight_bits = 0;  // 0 when not quantized
  float activation_scale = 1.0f;
  std::span<const float> weight_scales;  // empty when not quantized
  std::size_t image_offset = 0;          // global index of the image of row 0
  int images = 1;
  bool training = false;
  std::uint64_t step = 0;  // optimizer step (for addressing noise streams)
};

class GemmHook {
 public:
  virtual ~GemmHook() = default;
  virtual void forward(const GemmHookContext& context, MatrixView output) = 0;
  // Default: straight-through.
  virtual void backward(const GemmHookContext& context, MatrixView grad_output) {
    (void)context;
    (void)grad_output;
  }
  // Partial-sum-aware backward (optional). A hook whose output is a sum of separately read-out
  // ranges of the inner dimension (crossbar subarrays) may give each range its own gradient.
  // Returning true, it sets `bounds` to R + 1 offsets 0 = k_0 < k_1 < ... < k_R = K and `scales`
  // to R·M·N factors, scales[(r · M + m) · N + n]; the layer then propagates
  // grad_output(m, n) · scales[r][m][n] through columns k_r .. k_{r+1} − 1 of A and W (to both
  // operands' gradients). Called after backward(), with the same context.
  virtual bool range_scales(const GemmHookContext& context, std::vector<int>& bounds, std::vector<float>& scales) {
    (void)context;
    (void)bounds;
    (void)scales;
    return false;
  }
};

}  // namespace cimmc::network
