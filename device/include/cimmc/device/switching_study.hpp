// One switching characterization of a device, as `cimmc switching` (and later the study runner's
// `switching` kind) runs it: Monte Carlo P_sw on an (I, t_pulse) grid, a sigmoid fit per pulse
// width, the thermal-activation fit where the data allow it, the lookup table, and the
// cimmc.switching HDF5 file that holds all of them (layout in docs/formats.md).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "cimmc/device/switching.hpp"
#include "cimmc/device/switching_table.hpp"

namespace cimmc::device {

struct SwitchingReport {
  SotMtjParams params;
  DerivedQuantities derived;
  MonteCarloSettings settings;
  SwitchingCurves curves;
  std::vector<SigmoidFit> sigmoids;                // one per pulse width
  std::optional<ThermalActivationFit> activation;  // absent if too few transition points
  std::string activation_note;                     // why it is absent
  SwitchingTable table;
};

SwitchingReport characterize_switching(const SotMtjParams& params, const std::vector<double>& currents_A,
                                       const std::vector<double>& pulse_widths_s, const MonteCarloSettings& settings);

// Writes a cimmc.switching file atomically; config_text is the resolved configuration.
void write_switching_file(const std::filesystem::path& path, const SwitchingReport& report, const std::string& config_text);

}  // namespace cimmc::device
