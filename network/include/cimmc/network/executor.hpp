// Executors by name, for commands such as `cimmc eval --executor NAME`. "float" and "int" are
// built in (ExecMode::kFloat and kInteger with the exact reference backend); other layers add
// GEMM backends (e.g. a crossbar) with register_backend, from a translation unit that is linked
// into the program (a command file), so the registration is not dropped by the linker.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cimmc/network/gemm.hpp"
#include "cimmc/network/model.hpp"

namespace cimmc::network {

// What a command passes to a backend factory.
struct BackendRequest {
  std::string hardware_file;             // --hw FILE ("" if not given)
  std::vector<std::string> overrides;    // --set key=value, in order
  std::uint64_t seed = 1;
  int trial = 0;
  const Model* model = nullptr;          // the model about to run (quantized after the backend is made,
                                         // if it is not already; the GEMM layers stay the same)
};

// A backend that can also report what it counted (per layer and in total).
class ReportingBackend : public GemmBackend {
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

using BackendFactory = std::function<std::unique_ptr<ReportingBackend>(const BackendRequest&)>;

// Registers `name` (returns true, for static registration); a second registration of the same
// name replaces the first.
bool register_backend(const std::string& name, const std::string& description, BackendFactory factory);
// Null if unknown.
const BackendFactory* find_backend(const std::string& name);
// Names of the registered backends (not counting "float" and "int").
std::vector<std::string> backend_names();

}  // namespace cimmc::network
