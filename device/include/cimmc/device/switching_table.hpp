// The switching-probability lookup table that upper layers (the stochastic MTJ readout of the
// circuit layer) use instead of running the LLG per sample: P_sw on an (I, t_pulse) grid computed
// by Monte Carlo or by the thermal-activation model, stored in HDF5 with units and provenance.
//
// Interpolation: monotone cubic (Fritsch-Carlson PCHIP) in the current, linear in ln(pulse
// width) between grid columns; outside the grid the nearest edge value is used (P saturates), so
// probability() is defined for every finite input and always in [0, 1].
#pragma once

#include <cstdint>
#include <filesystem>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "cimmc/core/hdf5.hpp"
#include "cimmc/device/switching.hpp"

namespace cimmc::device {

class SwitchingTable {
 public:
  SwitchingTable() = default;
  // currents and pulse widths strictly ascending; probability row-major [current][pulse width],
  // each in [0, 1]. Throws core::ArgumentError otherwise.
  SwitchingTable(std::vector<double> currents_A, std::vector<double> pulse_widths_s, std::vector<double> probability,
                 std::string device, std::string method);

  // From Monte Carlo curves. With make_monotone, each pulse column is replaced by its isotonic
  // (pool-adjacent-violators) fit in the direction of its overall trend, so sampling noise does
  // not make the interpolated curve non-monotone; the raw estimates stay in the switching file.
  static SwitchingTable from_monte_carlo(const SwitchingCurves& curves, const std::string& device,
                                         bool make_monotone = true);
  static SwitchingTable from_model(const ThermalActivationModel& model, std::vector<double> currents_A,
                                   std::vector<double> pulse_widths_s, const std::string& device);

  // P_sw for a heavy-metal current (A) and pulse width (s).
  double probability(double current_A, double pulse_width_s) const;
  // Many currents at one pulse width (out.size() == currents_A.size()).
  void probabilities(std::span<const double> currents_A, double pulse_width_s, std::span<double> out) const;

  const std::vector<double>& currents_A() const { return currents_; }
  const std::vector<double>& pulse_widths_s() const { return pulses_; }
  const std::vector<double>& values() const { return p_; }  // [current][pulse width]
  const std::string& device() const { return device_; }
  const std::string& method() const { return method_; }
  // The temperature of the device the table was computed for (K), when its file records it (a
  // cimmc.switching file's /device/temperature_K); NaN otherwise.
  double temperature_K() const { return temperature_K_; }

  // Writes current_A, pulse_width_s, p_switch and the attributes device, method, interpolation.
  void write(core::h5::Group& group) const;
  static SwitchingTable read(const core::h5::Group& group);
  // A standalone cimmc.switching_table file (atomic), with provenance.
  void save(const std::filesystem::path& path, std::uint64_t seed, const std::string& config_text) const;
  // Reads a cimmc.switching_table file, or the /table group of a cimmc.switching file.
  static SwitchingTable load(const std::filesystem::path& path);

 private:
  double column_value(std::size_t pulse, double current_A) const;
  void build_slopes();

  std::vector<double> currents_, pulses_, p_;
  std::vector<double> slopes_;  // PCHIP derivatives dP/dI, [current][pulse width]
  std::string device_, method_;
  double temperature_K_ = std::numeric_limits<double>::quiet_NaN();
};

}  // namespace cimmc::device
