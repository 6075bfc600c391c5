#include "cimmc/device/storage_cell.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "cimmc/core/error.hpp"
#include "cimmc/core/rng.hpp"
#include "cimmc/core/rng_distributions.hpp"

namespace cimmc::device {

namespace {
const char* technology_name(CellTechnology t) {
  switch (t) {
    case CellTechnology::kSram: return "sram";
    case CellTechnology::kRram: return "rram";
    case CellTechnology::kMtj: return "mtj";
  }
  return "?";
}

std::string check(const StorageCellParams& p) {
  if (p.levels < 2) return fmt::format("levels = {}: a cell needs at least 2 levels", p.levels);
  if (p.technology != CellTechnology::kRram && p.levels != 2)
    return fmt::format("levels = {}: a {} cell is binary (2 levels)", p.levels, technology_name(p.technology));
  if (p.levels > 256) return fmt::format("levels = {}: at most 256 levels", p.levels);
  if (!(p.on_conductance_S > 0) || !std::isfinite(p.on_conductance_S))
    return fmt::format("on_conductance_S = {}: expected G_on > 0", p.on_conductance_S);
  if (!(p.on_off_ratio > 1) || !std::isfinite(p.on_off_ratio))
    return fmt::format("on_off_ratio = {}: expected > 1", p.on_off_ratio);
  if (!(p.programming_sigma >= 0) || !std::isfinite(p.programming_sigma))
    return fmt::format("programming_sigma = {}: expected >= 0", p.programming_sigma);
  for (double r : {p.stuck_at_zero_rate, p.stuck_at_one_rate})
    if (!(r >= 0 && r <= 1)) return fmt::format("stuck-at rate {}: expected a fraction in [0, 1]", r);
  if (p.stuck_at_zero_rate + p.stuck_at_one_rate > 1)
    return fmt::format("stuck-at rates {} + {} exceed 1", p.stuck_at_zero_rate, p.stuck_at_one_rate);
  return "";
}
}  // namespace

StorageCellModel::StorageCellModel(const StorageCellParams& p) : params_(p) {
  if (const auto problem = check(p); !problem.empty()) throw core::ArgumentError("storage cell: " + problem);
}

StorageCellModel StorageCellModel::sram() { return StorageCellModel(); }

StorageCellModel StorageCellModel::mtj(const SotMtjParams& d, double sigma, double p0, double p1) {
  StorageCellParams p;
  p.technology = CellTechnology::kMtj;
  p.levels = 2;
  p.on_conductance_S = 1.0 / d.electrical.resistance_parallel_ohm;
  p.on_off_ratio = 1.0 + d.electrical.tmr;
  p.programming_sigma = sigma;
  p.stuck_at_zero_rate = p0;
  p.stuck_at_one_rate = p1;
  return StorageCellModel(p);
}

StorageCellModel StorageCellModel::from_config(const core::config::Value& table, const std::string& source,
                                               const std::string& key_path) {
  core::config::Problems problems;
  core::config::TableReader r(table, source, key_path, problems);
  StorageCellParams p;
  std::string tech = "sram";
  r.optional("technology", tech);
  r.check(tech == "sram" || tech == "rram" || tech == "mtj", "technology", "\"sram\", \"rram\" or \"mtj\"");
  p.technology = tech == "rram" ? CellTechnology::kRram : tech == "mtj" ? CellTechnology::kMtj : CellTechnology::kSram;
  r.optional("levels", p.levels);
  r.check(p.levels >= 2 && p.levels <= 256 && (p.technology == CellTechnology::kRram || p.levels == 2), "levels",
          p.technology == CellTechnology::kRram ? "2 to 256 levels" : "2 (this technology is binary)");
  r.optional("on_conductance_S", p.on_conductance_S);
  r.check(p.on_conductance_S > 0 && std::isfinite(p.on_conductance_S), "on_conductance_S", "G_on > 0 (S)");
  r.optional("on_off_ratio", p.on_off_ratio);
  r.check(p.on_off_ratio > 1 && std::isfinite(p.on_off_ratio), "on_off_ratio", "a ratio > 1");
  r.optional("programming_sigma", p.programming_sigma);
  r.check(p.programming_sigma >= 0 && std::isfinite(p.programming_sigma), "programming_sigma", "sigma >= 0");
  r.optional("stuck_at_zero_rate", p.stuck_at_zero_rate);
  r.check(p.stuck_at_zero_rate >= 0 && p.stuck_at_zero_rate <= 1, "stuck_at_zero_rate", "a fraction in [0, 1]");
  r.optional("stuck_at_one_rate", p.stuck_at_one_rate);
  r.check(p.stuck_at_one_rate >= 0 && p.stuck_at_one_rate <= 1 && p.stuck_at_zero_rate + p.stuck_at_one_rate <= 1,
          "stuck_at_one_rate", "a fraction in [0, 1] with stuck_at_zero_rate + stuck_at_one_rate <= 1");
  r.finish();
  problems.throw_if_any(source);
  return StorageCellModel(p);
}

bool StorageCellModel::exact() const {
  return params_.technology == CellTechnology::kSram ||
         (params_.programming_sigma == 0 && params_.stuck_at_zero_rate == 0 && params_.stuck_at_one_rate == 0);
}

void StorageCellModel::deviations(std::span<const std::uint8_t> levels, const CellStreamAddress& a,
                                  std::span<double> out, std::span<CellFault> faults) const {
  if (out.size() != levels.size())
    throw core::ArgumentError(fmt::format("storage cell: {} outputs for {} cells", out.size(), levels.size()));
  if (!faults.empty() && faults.size() != levels.size())
    throw core::ArgumentError(fmt::format("storage cell: {} fault slots for {} cells", faults.size(), levels.size()));
  const int top = params_.levels - 1;
  for (std::size_t i = 0; i < levels.size(); ++i)
    if (levels[i] > top)
      throw core::ArgumentError(fmt::format("storage cell {}: level {} exceeds the top level {}", i, levels[i], top));
  if (exact()) {
    std::fill(out.begin(), out.end(), 0.0);
    std::fill(faults.begin(), faults.end(), CellFault::kNone);
    return;
  }
  if (!levels.empty() && a.first_element + levels.size() - 1 > core::rng::kMaxElement)
    throw core::ArgumentError("storage cell: cell elements exceed the random-stream address range");
  const double step = level_step_S(), sigma = params_.programming_sigma;
  const double p0 = params_.stuck_at_zero_rate, p01 = p0 + params_.stuck_at_one_rate;
  for (std::size_t i = 0; i < levels.size(); ++i) {
    const std::uint64_t element = a.first_element + i;
    CellFault fault = CellFault::kNone;
    if (p01 > 0) {
      core::rng::Stream s(a.seed, {core::rng::Purpose::kCellFaults, a.point, a.trial, element});
      const double u = core::rng::uniform01(s);
      fault = u < p0 ? CellFault::kStuckAtZero : u < p01 ? CellFault::kStuckAtOne : CellFault::kNone;
    }
    const int level = levels[i];
    double g = 0;
    if (fault == CellFault::kStuckAtZero) {
      g = level_conductance_S(0);
    } else if (fault == CellFault::kStuckAtOne) {
      g = level_conductance_S(top);
    } else {
      g = level_conductance_S(level);
      if (sigma > 0) {
        core::rng::Stream s(a.seed, {core::rng::Purpose::kCellProgramming, a.point, a.trial, element});
        g *= core::rng::lognormal(s, 0.0, sigma);
      }
    }
    out[i] = (g - level_conductance_S(level)) / step;
    if (!faults.empty()) faults[i] = fault;
  }
}

}  // namespace cimmc::device
