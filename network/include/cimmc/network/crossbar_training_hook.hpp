// Crossbar-aware training (noise-aware and PS-quantization-aware, as in StoX-Net): a GemmHook
// that replaces the output of every crossbar layer in the quantized (fake-quant) forward pass by
// what the crossbar engine computes from the same codes — partial sums per input stream, column
// group and subarray through the configured noise and readout (ADC, stochastic MTJ samples, LCU)
// — while the backward pass stays straight-through (the gradient of the exact GEMM). For the
// stochastic MTJ with decode = "inverse" that is the gradient of the readout's expected output,
// which follows the PS inside the calibrated range; with decode = "mean" the expected output is
// the squashed curve and straight-through ignores its slope.
//
// The engine is programmed with the current weight codes whenever they change (once per layer
// and optimizer step); its readout tables are built when the layer is first programmed and
// rebuilt only when a calibration changes them. Readouts that need calibration keep the maps of the last calibration
// pass (begin_calibration / end_calibration around a forward pass over a few images); until the
// first calibration they use full-scale maps. With PsGradient::kReadoutRange the backward pass
// is partial-sum aware: each subarray's share of the gradient is masked where that subarray's PS
// fell outside the readout's range (GemmHook::range_scales). Noise is drawn from streams addressed by (trial =
// optimizer step, layer, image, patch), so a training run does not depend on the thread count.
// A training forward pass keeps the slopes of each layer's rows, computed from the partial sums the
// engine has anyway, for the backward pass of the same step (up to a cap on their memory; beyond
// it, or for rows it does not find, range_scales computes them again): the gradients are the same
// bit for bit either way.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string_view>
#include <tuple>
#include <vector>

#include "cimmc/arch/crossbar_config.hpp"
#include "cimmc/arch/crossbar_layer.hpp"
#include "cimmc/network/gemm.hpp"

namespace cimmc::network {

// Whether the configured readout is calibrated on data (a calibrated ADC range, the stochastic
// MTJ's affine maps).
bool readout_needs_calibration(const arch::CrossbarConfig& config);

// How the backward pass treats the readout of each subarray PS.
enum class PsGradient {
  kStraightThrough,  // the exact GEMM's gradient, whatever the readout did
  kReadoutRange,     // per subarray: passed where the PS lies inside the readout's range (the MTJ
                     // map's |x| <= 1, the ADC's codes), zero where it was clipped — the
                     // hardtanh straight-through estimator of StoX-Net, applied per subarray
  kExpectedCurve,    // per subarray: the slope of the readout's mean response inside its range
                     // (for the MTJ dE[x̂]/dx, (a/2)(1 − tanh²(a·x/2)) for the sigmoid curve
                     // and mean decoding), zero where clipped
};
// "straight-through" | "readout-range" | "expected-curve"; core::ArgumentError otherwise.
PsGradient parse_ps_gradient(std::string_view name);
std::string_view ps_gradient_name(PsGradient g);

class CrossbarTrainingHook final : public GemmHook {
 public:
  CrossbarTrainingHook(arch::CrossbarConfig config, int gemm_layers, std::uint64_t seed,
                       PsGradient gradient = PsGradient::kStraightThrough);

  void forward(const GemmHookContext& context, MatrixView output) override;
  bool range_scales(const GemmHookContext& context, std::vector<int>& bounds, std::vector<float>& scales) override;

  bool needs_calibration() const;
  void begin_calibration();
  void end_calibration();

  // The memory the slopes kept from forward to backward may take (bytes, all layers and rows of
  // a step; default 1 GiB). 0 keeps none: every backward pass computes its slopes again.
  void set_slope_cache_bytes(std::size_t bytes);
  // Row blocks (one GEMM call) whose slopes a backward pass found kept, and those it computed.
  struct SlopeCounts {
    std::uint64_t reused = 0, computed = 0;
  };
  SlopeCounts slope_counts() const;

 private:
  struct LayerState {
    std::vector<float> source;         // the float weights the codes were rounded from
    std::vector<std::int8_t> weights;  // codes the layer is programmed with
    int n = 0, k = 0;
    std::shared_ptr<arch::CrossbarLayer> layer;
    arch::LayerCalibration calibration;
    bool calibrated = false;
    arch::PsStatistics statistics;
    bool has_statistics = false;
    std::uint64_t version = 0;  // counts the changes of weights and calibration
  };
  // The layer programmed with the context's weight codes: reprogrammed in place when they
  // changed (the readout tables, which depend on the calibration, not on the weights, are kept).
  // `version`, when given, receives the layer's version.
  std::shared_ptr<const arch::CrossbarLayer> layer_for(const GemmHookContext& c, std::uint64_t* version = nullptr);
  // s.layer, copied first if anybody else holds it (call with the mutex held).
  static const std::shared_ptr<arch::CrossbarLayer>& writable_layer(LayerState& s);
  // Whether the layer runs on the crossbar (false for layers that stay digital); throws for a
  // forward pass that is not quantized or codes that do not fit.
  bool crossbar_layer(const GemmHookContext& c) const;
  // The context's activations as codes.
  static void activation_codes(const GemmHookContext& c, std::vector<std::uint8_t>& activations);

  // Slopes a forward pass kept for the backward pass, by (layer, first image, rows); an entry is
  // used only by rows of the same layer version and activation codes (by a 64-bit hash).
  struct KeptSlopes {
    std::uint64_t version = 0, activations_hash = 0;
    std::vector<float> slopes;
  };
  arch::CrossbarLayer::SlopeModel slope_model() const;
  std::map<std::tuple<int, std::size_t, int>, KeptSlopes> kept_slopes_;
  std::size_t kept_slope_bytes_ = 0, slope_cache_cap_ = std::size_t{1} << 30;
  std::uint64_t kept_slopes_step_ = 0;
  SlopeCounts slope_counts_;

  arch::CrossbarConfig config_;
  int gemm_layers_;
  std::uint64_t seed_;
  PsGradient gradient_;
  bool calibrating_ = false;
  std::map<int, LayerState> layers_;
  mutable std::mutex mutex_;
};

}  // namespace cimmc::network
