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

#include "cimmc/core/config.hpp"
#include "cimmc/device/switching.hpp"
#include "cimmc/device/switching_table.hpp"

namespace cimmc::device {

// The [switching] table of a study or run: grid, trials and waveform. Keys: current_A and
// pulse_width_s (arrays, strictly ascending; pulse widths > 0), trials (>= 1), and optional
// seed, time_step_s (0: automatic), equilibrate_time_s (zero-current time before the pulse; < 0:
// automatic, default_equilibrate_time_s), rise_time_s, fall_time_s, relax_time_s (< 0: automatic) --
// the [switching] table `cimmc switching` stores in a file's config.
struct SwitchingConfig {
  std::vector<double> currents_A;
  std::vector<double> pulse_widths_s;
  MonteCarloSettings settings;  // the stream address (point, trial, element) is the caller's
};
SwitchingConfig read_switching_config(const core::config::Value& table, const std::string& source,
                                      const std::string& key_path = "switching");

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
void write_switching_file(const std::filesystem::path& path, const SwitchingReport& report,
                          const std::string& config_text);

}  // namespace cimmc::device
