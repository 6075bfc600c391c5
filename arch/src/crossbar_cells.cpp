// Non-exact storage cells on the crossbar: each cell's stored level and conductance deviation
// (docs/architecture.md, 3.2 and 3.5; docs/physics.md).
#include "cimmc/arch/crossbar_layer.hpp"

#include <fmt/format.h>

#include "cimmc/core/error.hpp"

namespace cimmc::arch {

void CrossbarLayer::apply_cell_model() {
  // Cell (group, side, n, k) of layer L draws from element L · 2^40 + its index in that layout.
  const auto levels = cell_levels();
  std::vector<double> deviations(levels.size());
  config_.cell.deviations(
      levels, {variation_.seed, variation_.point, variation_.trial, static_cast<std::uint64_t>(layer_id_) << 40},
      deviations);
  set_cell_deviations(std::vector<float>(deviations.begin(), deviations.end()));
  prepare_readout();
}

std::vector<std::uint8_t> CrossbarLayer::cell_levels() const {
  std::vector<std::uint8_t> levels(groups_.size() * 2 * static_cast<std::size_t>(n_) * static_cast<std::size_t>(k_), 0);
  for (std::size_t gi = 0; gi < groups_.size(); ++gi)
    for (int side = 0; side < 2; ++side)
      for (const auto& pl : side == 0 ? groups_[gi].positive : groups_[gi].negative)
        for (int nn = 0; nn < n_; ++nn)
          for (int kk = 0; kk < k_; ++kk) {
            const std::uint64_t word = planes_[plane_index(pl.plane, geometry_.word_of(kk), nn)];
            if ((word >> geometry_.bit_of(kk)) & 1)
              levels[((gi * 2 + side) * n_ + nn) * k_ + kk] += static_cast<std::uint8_t>(pl.cell_weight);
          }
  return levels;
}

void CrossbarLayer::set_cell_deviations(std::vector<float> deviations) {
  const std::size_t need = groups_.size() * 2 * static_cast<std::size_t>(n_) * static_cast<std::size_t>(k_);
  if (!deviations.empty() && deviations.size() != need)
    throw core::ArgumentError(
        fmt::format("crossbar layer {}: {} cell deviations, expected {} (groups {} × 2 sides × N {} × "
                    "K {})",
                    layer_id_, deviations.size(), need, groups_.size(), n_, k_));
  deviations_ = std::move(deviations);
  if (!mtj_tables_.empty()) prepare_mtj_word_records();  // word records only serve exact PS
}

}  // namespace cimmc::arch
