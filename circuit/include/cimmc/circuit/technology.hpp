// Technology tables for the cost model: energy, latency and area of each circuit component at
// one technology node, read from data/tech/*.toml (every number there cites its source).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "cimmc/core/config.hpp"

namespace cimmc::circuit {

// Which model prices an ADC conversion.
enum class AdcModel { kNeuroSimSar, kSurveySar, kSurveyFlash };
std::string_view adc_model_name(AdcModel m);  // "neurosim_sar", "survey_sar", "survey_flash"

struct Technology {
  std::string name;
  double feature_size_m = 22e-9;
  double supply_V = 0.8;
  double clock_period_s = 1e-9;
  double post_layout_energy_factor = 1.0;       // multiplies every dynamic energy
  AdcModel adc_model = AdcModel::kNeuroSimSar;  // [adc] model: which model prices a conversion

  struct Array {
    double cell_area_F2 = 280;
    double bitline_capacitance_F_per_cell = 0.2e-15;
    double wordline_capacitance_F_per_cell = 0.15e-15;
    double bitline_swing_V = 0.4;
  } array;

  struct SarAdc {  // NeuroSim's in-array SAR model
    double power_per_bit_W = 0.538e-6, power_offset_W = 4.3753e-6, bit_time_s = 1e-9;
    int nmos_base = 269, nmos_per_bit = 109, pmos_base = 209, pmos_per_bit = 73;
    double transistor_area_F2 = 84;
  } sar;

  struct Survey {  // Walden figure-of-merit models
    double sar_fom_J_per_step = 28.5e-15, flash_fom_J_per_step = 823e-15, flash_latency_s = 1e-9;
  } survey;

  struct Comparator {
    double energy_J = 13e-15;
    int transistors = 40;
    double latency_s = 0.5e-9;
  } comparator;

  struct Mtj {  // the pulse width is the readout's (readout.mtj.pulse_width_s in the hardware file)
    double driver_supply_V = 0.8, reset_probability = 0.999;
    double read_voltage_V = 0.1, read_time_s = 0.5e-9;
    int transistors_per_column = 6;
    double mtj_area_F2 = 50;
    double trim_energy_J = 5e-15;       // the gain/offset trim stage, per conversion (trim model "circuit")
    int trim_transistors = 40;          // the trim stage and its DACs, per column (registers counted apart)
    int current_trim_transistors = 20;  // in-situ calibration's driver-reference trim DAC, per column
  } mtj;

  struct Digital {
    double adder_energy_J_per_bit = 1.2e-15, register_energy_J_per_bit = 0.6e-15, buffer_energy_J_per_bit = 60e-15;
    int adder_transistors_per_bit = 28, register_transistors_per_bit = 24;
    double mac8_energy_J = 89e-15;
    int mac8_transistors = 2400;
  } digital;

  double feature_area_m2() const { return feature_size_m * feature_size_m; }
  double transistor_area_m2() const { return sar.transistor_area_F2 * feature_area_m2(); }
};

// Reads every table above (all keys required except adc.model); unknown keys and non-positive
// values are errors naming file, line and key. The periphery's organisation is the design's
// (circuit/periphery.hpp, the hardware file's [periphery]): a [periphery] table here is an error.
Technology read_technology(const core::config::Document& doc);
// parse_file + apply_overrides + read_technology.
Technology load_technology(const std::filesystem::path& path, const std::vector<std::string>& overrides = {});

}  // namespace cimmc::circuit
