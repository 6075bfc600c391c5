// Registers the crossbar executor for `cimmc eval --executor crossbar --hw HW.toml [--set k=v]`:
// every Conv/Linear of the quantized model runs on the crossbar engine with the hardware file's
// readout and noise; eval prints the per-layer counters.
#include <fmt/format.h>

#include "cimmc/arch/crossbar_config.hpp"
#include "cimmc/core/data_files.hpp"
#include "cimmc/core/error.hpp"
#include "cimmc/network/crossbar_backend.hpp"
#include "cimmc/network/executor.hpp"

namespace {

std::unique_ptr<cimmc::network::ReportingBackend> make_crossbar(const cimmc::network::BackendRequest& request) {
  using namespace cimmc;
  if (request.hardware_file.empty())
    throw ArgumentError("--executor crossbar needs --hw: a data/hw name (e.g. adc_baseline) or a hardware TOML file");
  if (!request.model) throw ArgumentError("--executor crossbar: no model");
  const auto path = data_files::resolve("hw", request.hardware_file, ".toml", "hardware configuration");
  const auto config = arch::load_crossbar_config(path, request.overrides);
  const int layers = static_cast<int>(request.model->gemm_layers().size());
  return std::make_unique<network::CrossbarBackend>(config, layers, request.seed, 0,
                                                    static_cast<std::uint32_t>(request.trial));
}

const bool registered = cimmc::network::register_backend(
    "crossbar", "every Conv/Linear on the crossbar engine (--hw HW.toml, --set key=value)", make_crossbar);

}  // namespace
