#include "cimmc/network/backends.hpp"

#include "cimmc/arch/crossbar_config.hpp"
#include "cimmc/core/data_files.hpp"
#include "cimmc/core/error.hpp"
#include "cimmc/network/crossbar_backend.hpp"

namespace cimmc::network {

namespace {
// `--backend crossbar --hw HW [--set k=v]`: every Conv/Linear of the quantized model on the
// crossbar engine with the hardware file's readout and noise.
std::unique_ptr<HardwareBackend> make_crossbar(const BackendRequest& request) {
  if (request.hardware_file.empty())
    throw core::ArgumentError(
        "--backend crossbar needs --hw: a data/hw name (e.g. adc_baseline) or a hardware TOML file");
  if (!request.model) throw core::ArgumentError("--backend crossbar: no model");
  const auto path = core::data_files::resolve("hw", request.hardware_file, ".toml", "hardware configuration");
  const auto config = arch::load_crossbar_config(path, request.overrides);
  const int layers = static_cast<int>(request.model->gemm_layers().size());
  return std::make_unique<CrossbarBackend>(config, layers, request.seed, 0, static_cast<std::uint32_t>(request.trial));
}
}  // namespace

std::vector<std::pair<std::string, std::string>> backend_names() {
  return {{"crossbar", "every Conv/Linear on the crossbar engine (--hw HW.toml, --set key=value)"}};
}

std::unique_ptr<HardwareBackend> make_backend(const std::string& name, const BackendRequest& request) {
  if (name == "crossbar") return make_crossbar(request);
  return nullptr;
}

}  // namespace cimmc::network
