// Device-to-device variation: each device of a population draws its anisotropy (hence Delta),
// spin Hall angle, saturation magnetization and lateral size from normal or lognormal spreads
// around the nominal parameters, from its own random stream (purpose device_variation, element =
// device index), and the population's P_sw curves give a mean and a spread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cimmc/core/config.hpp"
#include "cimmc/device/switching.hpp"

namespace cimmc::device {

enum class SpreadKind { kNormal, kLognormal };

// A multiplicative factor with mean 1 and standard deviation relative_sigma: normal
// (1 + sigma z, redrawn while <= 0) or lognormal (exp(s z - s^2/2), s^2 = ln(1 + sigma^2)).
struct ParameterSpread {
  double relative_sigma = 0.0;
  SpreadKind kind = SpreadKind::kLognormal;
};

struct DeviceVariation {
  ParameterSpread anisotropy;  // K_i, K_u or H_K, whichever the device uses
  ParameterSpread spin_hall_angle;
  ParameterSpread saturation_magnetization;
  ParameterSpread size;  // free-layer length and width, scaled together
};

// Reads a [variation] table: keys anisotropy, spin_hall_angle, saturation_magnetization, size,
// each a table {relative_sigma = 0.05, kind = "lognormal" | "normal"}.
DeviceVariation read_variation(const core::config::Value& table, const std::string& source,
                               const std::string& key_path = "variation");

// Factors drawn for one device, in the order anisotropy, spin_hall_angle, Ms, size.
struct DeviceFactors {
  double anisotropy = 1, spin_hall_angle = 1, saturation_magnetization = 1, size = 1;
};
DeviceFactors sample_factors(const DeviceVariation& v, std::uint64_t seed, std::uint32_t point, std::uint32_t trial,
                             std::uint64_t device);
SotMtjParams apply_factors(const SotMtjParams& nominal, const DeviceFactors& f);

// `count` devices; throws core::ModelError if a drawn device has no stable easy axis (H_K,eff <= 0).
std::vector<SotMtjParams> sample_devices(const SotMtjParams& nominal, const DeviceVariation& v, std::size_t count,
                                         std::uint64_t seed, std::uint32_t point = 0, std::uint32_t trial = 0);

// P_sw of a population; arrays [current][pulse width] except per_device [device][current][pulse].
struct PopulationSwitching {
  std::vector<double> currents_A, pulse_widths_s;
  std::size_t devices = 0;
  std::vector<double> thermal_stability;  // per device
  std::vector<double> per_device;
  std::vector<double> mean, std_dev, min, max;
};

// Monte Carlo for every device (settings.trials trajectories each); device d's thermal streams
// start at element settings.first_element + d * currents * pulses * trials.
PopulationSwitching population_switching(const SotMtjParams& nominal, const DeviceVariation& v, std::size_t devices,
                                         const std::vector<double>& currents_A,
                                         const std::vector<double>& pulse_widths_s, const MonteCarloSettings& settings);

}  // namespace cimmc::device
