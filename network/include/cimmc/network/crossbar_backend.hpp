// The crossbar backend: a GemmBackend that runs every Conv/Linear of a quantized model on the
// crossbar engine (arch::CrossbarLayer) with the configured readout and noise, and keeps per-layer
// counters for the cost model. Layers the configuration keeps digital run as exact integer GEMMs.
// With the Ideal readout and no noise the outputs equal the exact integer backend bit for bit.
//
// Weights are programmed on the first call for each layer (the model's weights must not change
// afterwards). Readouts that need calibration (a calibrated ADC range, the stochastic MTJ's
// affine maps) are calibrated by running images between begin_calibration() and
// end_calibration(): during that pass the backend records the exact partial sums and returns
// exact results. Random streams are addressed by (point, trial, layer, image, patch), so results
// do not depend on batch size, batch order or thread count.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "cimmc/arch/counters.hpp"
#include "cimmc/arch/crossbar_config.hpp"
#include "cimmc/arch/crossbar_layer.hpp"
#include "cimmc/network/backends.hpp"

namespace cimmc::network {

class CrossbarBackend final : public HardwareBackend {
 public:
  // `gemm_layers` is the number of Conv/Linear layers of the model (to find the first and last
  // for the configuration's digital layers).
  CrossbarBackend(arch::CrossbarConfig config, int gemm_layers, std::uint64_t seed, std::uint32_t point = 0,
                  std::uint32_t trial = 0);

  void gemm(const GemmProblem& problem, std::span<double> accumulators) override;

  void begin_calibration() override;
  // Calibrates every layer seen during the calibration pass; layers never seen stay uncalibrated.
  void end_calibration() override;
  bool needs_calibration() const override;
  // Per-layer counters (PS, zero PS, conversions, MTJ samples, LCU senses and skips, clipped,
  // mean input-bit and weight-plane densities) as a table, and as one JSON object.
  std::string report_text() const override;
  std::string report_json() const override;

  struct LayerReport {
    int index = 0;
    std::string name;
    bool digital = false;
    int m_per_image = 0, n = 0, k = 0;
    arch::Counters counters;
  };
  // One report per GEMM layer seen so far, in layer order.
  std::vector<LayerReport> reports() const;
  void reset_counters();
  const arch::CrossbarConfig& config() const { return config_; }

 private:
  struct LayerState {
    std::unique_ptr<arch::CrossbarLayer> layer;  // null for digital layers
    LayerReport report;
    arch::PsStatistics statistics;
    bool has_statistics = false;
  };
  LayerState& state_for(const GemmProblem& problem);

  arch::CrossbarConfig config_;
  int gemm_layers_;
  std::uint64_t seed_;
  std::uint32_t point_, trial_;
  bool calibrating_ = false;
  std::map<int, LayerState> layers_;
  mutable std::mutex mutex_;
};

// The per-layer counter table `cimmc eval` prints, and the same as a JSON object.
std::string layer_reports_text(const std::vector<CrossbarBackend::LayerReport>& reports);
std::string layer_reports_json(const std::vector<CrossbarBackend::LayerReport>& reports, circuit::ReadoutKind readout);

}  // namespace cimmc::network
