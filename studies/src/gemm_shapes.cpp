// A model's Conv and Linear layers as the GEMM shapes the cost roll-up prices.
#include <cstdint>
#include <vector>

#include "cimmc/network/gemm_layers.hpp"
#include "cimmc/studies/cost_report.hpp"

namespace cimmc::studies {

std::vector<arch::LayerShape> gemm_shapes(const network::Model& model, const arch::CrossbarConfig& config) {
  std::vector<arch::LayerShape> shapes;
  for (const auto& node : model.nodes()) {
    const auto* gemm = dynamic_cast<const network::GemmLayer*>(node.layer.get());
    if (!gemm) continue;
    arch::LayerShape s;
    s.name = node.name;
    s.rows_per_image = node.shape.size() == 3 ? static_cast<std::uint64_t>(node.shape[1]) * node.shape[2] : 1;
    s.k = static_cast<std::uint64_t>(gemm->fan_in());
    s.n = static_cast<std::uint64_t>(gemm->out_features());
    shapes.push_back(s);
  }
  for (std::size_t i = 0; i < shapes.size(); ++i) {
    shapes[i].digital = config.is_digital(static_cast<int>(i), static_cast<int>(shapes.size()));
    shapes[i].gemm_index = static_cast<int>(i);
  }
  return shapes;
}

}  // namespace cimmc::studies
