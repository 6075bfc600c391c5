// Storage-cell models for crossbar arrays: an SRAM bit (stores its value exactly) and a
// conductance cell (RRAM or MTJ) with `levels` equally spaced conductances between G_off and
// G_on, lognormal programming variation and stuck-at faults. The circuit layer asks for per-cell
// conductance deviations in units of the level step, so a cell programmed to level L contributes
// L + deviation to an analog sum. Independent of the circuit layer.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "cimmc/core/config.hpp"
#include "cimmc/device/sot_mtj_params.hpp"

namespace cimmc::device {

enum class CellTechnology { kSram, kRram, kMtj };

struct StorageCellParams {
  CellTechnology technology = CellTechnology::kSram;
  int levels = 2;                   // conductance levels (2 for a binary cell)
  double on_conductance_S = 1e-4;   // G_on, the top level
  double on_off_ratio = 10.0;       // G_on / G_off
  double programming_sigma = 0.0;   // ln G ~ N(ln G_target, sigma^2)
  double stuck_at_zero_rate = 0.0;  // fraction of cells stuck at level 0 (G_off)
  double stuck_at_one_rate = 0.0;   // fraction stuck at the top level (G_on)
};

// Where cell i's draws come from: purposes cell_programming and cell_faults, element
// first_element + i (e.g. a flat index over the weights of a layer and its bit slices).
struct CellStreamAddress {
  std::uint64_t seed = 0;
  std::uint32_t point = 0;
  std::uint32_t trial = 0;
  std::uint64_t first_element = 0;
};

enum class CellFault : std::uint8_t { kNone = 0, kStuckAtZero = 1, kStuckAtOne = 2 };

class StorageCellModel {
 public:
  StorageCellModel() = default;  // an SRAM bit
  // Throws core::ArgumentError for levels < 2 (or > 2 for SRAM/MTJ), G_on <= 0, ratio <= 1, sigma < 0,
  // or fault rates outside [0, 1] summing above 1.
  explicit StorageCellModel(const StorageCellParams& params);

  static StorageCellModel sram();
  // A binary MTJ cell: G_on = 1 / R_P, on/off ratio 1 + TMR.
  static StorageCellModel mtj(const SotMtjParams& device, double programming_sigma, double stuck_at_zero_rate,
                              double stuck_at_one_rate);
  // Reads a [cell] table: technology = "sram" | "rram" | "mtj", levels, on_conductance_S,
  // on_off_ratio, programming_sigma, stuck_at_zero_rate, stuck_at_one_rate.
  static StorageCellModel from_config(const core::config::Value& table, const std::string& source,
                                      const std::string& key_path = "cell");

  const StorageCellParams& params() const { return params_; }
  bool exact() const;  // SRAM, or no variation and no faults
  int levels() const { return params_.levels; }
  double off_conductance_S() const { return params_.on_conductance_S / params_.on_off_ratio; }
  double level_step_S() const { return (params_.on_conductance_S - off_conductance_S()) / (params_.levels - 1); }
  double level_conductance_S(int level) const { return off_conductance_S() + level * level_step_S(); }

  // For cells programmed to `levels` (each < levels()), writes (G - G_ideal(level)) / level step
  // to out. Optional faults receives each cell's fault. Deterministic per (address, cell index).
  void deviations(std::span<const std::uint8_t> levels, const CellStreamAddress& address, std::span<double> out,
                  std::span<CellFault> faults = {}) const;

 private:
  StorageCellParams params_;
};

}  // namespace cimmc::device
