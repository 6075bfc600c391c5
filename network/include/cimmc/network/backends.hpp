// GEMM backends by name, for commands such as `cimmc eval --backend NAME`. The word "backend" names
// the one inference seam (gemm.hpp's GemmBackend): "float" (ExecMode::kFloat, or kFakeQuant for a
// quantized model) and "int" (kInteger with the exact reference backend) are built in; the hardware
// backends are made by make_backend, a plain factory (today: "crossbar", every Conv/Linear on the
// crossbar engine of arch/ with the hardware file's readout and noise). Training has its own seam,
// gemm.hpp's GemmHook.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "cimmc/network/gemm.hpp"
#include "cimmc/network/model.hpp"

namespace cimmc::network {

// What a command passes to a backend factory.
struct BackendRequest {
  std::string hardware_file;           // --hw FILE ("" if not given)
  std::vector<std::string> overrides;  // --set key=value, in order
  std::uint64_t seed = 1;
  int trial = 0;
  const Model* model = nullptr;  // the model about to run (quantized after the backend is made,
                                 // if it is not already; the GEMM layers stay the same)
};

// A backend made from a hardware description: it reports what it counted (per layer and in total)
// and may need calibration.
class HardwareBackend : public GemmBackend {
 public:
  // One JSON object (for `--json` output); "{}" if nothing is counted.
  virtual std::string report_json() const { return "{}"; }
  // Human-readable lines.
  virtual std::string report_text() const { return ""; }
  // Backends whose readouts are calibrated on data (a crossbar's ADC range or stochastic-MTJ
  // maps): the command runs a few calibration images between begin_ and end_calibration().
  virtual bool needs_calibration() const { return false; }
  virtual void begin_calibration() {}
  virtual void end_calibration() {}
};

// Names of the hardware backends (not counting "float" and "int"), with a line on each.
std::vector<std::pair<std::string, std::string>> backend_names();
// Builds hardware backend `name` for `request`; nullptr if no backend has that name. Throws
// core::ArgumentError / core::ConfigError for a bad request (e.g. a missing or malformed hardware file).
std::unique_ptr<HardwareBackend> make_backend(const std::string& name, const BackendRequest& request);

}  // namespace cimmc::network
