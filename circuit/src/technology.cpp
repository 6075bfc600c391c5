#include "cimmc/circuit/technology.hpp"

#include <fmt/format.h>

namespace cimmc::circuit {

namespace {
void positive(core::config::TableReader& t, const char* key, double& v, bool required = true) {
  if (required) t.required(key, v);
  else t.optional(key, v);
  t.check(v > 0, key, "a positive number");
}
void positive(core::config::TableReader& t, const char* key, int& v, bool required = true) {
  if (required) t.required(key, v);
  else t.optional(key, v);
  t.check(v > 0, key, "a positive integer");
}
}  // namespace

std::string_view adc_model_name(AdcModel m) {
  switch (m) {
    case AdcModel::kNeuroSimSar: return "neurosim_sar";
    case AdcModel::kSurveySar: return "survey_sar";
    case AdcModel::kSurveyFlash: return "survey_flash";
  }
  return "unknown";
}

Technology read_technology(const core::config::Document& doc) {
  core::config::Problems problems;
  core::config::TableReader root(doc.root, doc.source, "", problems);
  Technology tech;
  {
    auto t = root.child("technology");
    t.required("name", tech.name);
    positive(t, "feature_size_m", tech.feature_size_m);
    positive(t, "supply_V", tech.supply_V);
    positive(t, "clock_period_s", tech.clock_period_s);
    t.required("post_layout_energy_factor", tech.post_layout_energy_factor);
    t.check(tech.post_layout_energy_factor >= 1, "post_layout_energy_factor", "a number >= 1");
    t.finish();
  }
  {
    auto t = root.child("array");
    positive(t, "cell_area_F2", tech.array.cell_area_F2);
    positive(t, "bitline_capacitance_F_per_cell", tech.array.bitline_capacitance_F_per_cell);
    positive(t, "wordline_capacitance_F_per_cell", tech.array.wordline_capacitance_F_per_cell);
    positive(t, "bitline_swing_V", tech.array.bitline_swing_V);
    t.check(tech.array.bitline_swing_V <= tech.supply_V, "bitline_swing_V", "at most technology.supply_V");
    t.finish();
  }
  {
    auto adc = root.child("adc");
    std::string model(adc_model_name(tech.adc_model));
    if (adc.optional("model", model)) {
      if (model == "neurosim_sar") tech.adc_model = AdcModel::kNeuroSimSar;
      else if (model == "survey_sar") tech.adc_model = AdcModel::kSurveySar;
      else if (model == "survey_flash") tech.adc_model = AdcModel::kSurveyFlash;
      else adc.check(false, "model", "one of \"neurosim_sar\", \"survey_sar\", \"survey_flash\"");
    }
    auto s = adc.child("sar");
    positive(s, "power_per_bit_W", tech.sar.power_per_bit_W);
    positive(s, "power_offset_W", tech.sar.power_offset_W);
    positive(s, "bit_time_s", tech.sar.bit_time_s);
    positive(s, "nmos_base", tech.sar.nmos_base);
    positive(s, "nmos_per_bit", tech.sar.nmos_per_bit);
    positive(s, "pmos_base", tech.sar.pmos_base);
    positive(s, "pmos_per_bit", tech.sar.pmos_per_bit);
    positive(s, "transistor_area_F2", tech.sar.transistor_area_F2);
    s.finish();
    auto v = adc.child("survey");
    positive(v, "sar_fom_J_per_step", tech.survey.sar_fom_J_per_step);
    positive(v, "flash_fom_J_per_step", tech.survey.flash_fom_J_per_step);
    positive(v, "flash_latency_s", tech.survey.flash_latency_s);
    v.finish();
    adc.finish();
  }
  {
    auto t = root.child("comparator");
    positive(t, "energy_J", tech.comparator.energy_J);
    positive(t, "transistors", tech.comparator.transistors);
    positive(t, "latency_s", tech.comparator.latency_s);
    t.finish();
  }
  {
    auto t = root.child("mtj");
    double moved = 0;
    if (t.optional("pulse_width_s", moved))
      t.check(false, "pulse_width_s",
              "no key here: the write pulse is the readout's, readout.mtj.pulse_width_s in the hardware file");
    positive(t, "driver_supply_V", tech.mtj.driver_supply_V);
    t.required("reset_probability", tech.mtj.reset_probability);
    t.check(tech.mtj.reset_probability > 0.5 && tech.mtj.reset_probability < 1, "reset_probability",
            "a probability in (0.5, 1)");
    positive(t, "read_voltage_V", tech.mtj.read_voltage_V);
    positive(t, "read_time_s", tech.mtj.read_time_s);
    positive(t, "transistors_per_column", tech.mtj.transistors_per_column);
    positive(t, "mtj_area_F2", tech.mtj.mtj_area_F2);
    positive(t, "trim_energy_J", tech.mtj.trim_energy_J);
    positive(t, "trim_transistors", tech.mtj.trim_transistors);
    positive(t, "current_trim_transistors", tech.mtj.current_trim_transistors);
    t.finish();
  }
  {
    auto t = root.child("digital");
    positive(t, "adder_energy_J_per_bit", tech.digital.adder_energy_J_per_bit);
    positive(t, "register_energy_J_per_bit", tech.digital.register_energy_J_per_bit);
    positive(t, "buffer_energy_J_per_bit", tech.digital.buffer_energy_J_per_bit);
    positive(t, "adder_transistors_per_bit", tech.digital.adder_transistors_per_bit);
    positive(t, "register_transistors_per_bit", tech.digital.register_transistors_per_bit);
    positive(t, "mac8_energy_J", tech.digital.mac8_energy_J);
    positive(t, "mac8_transistors", tech.digital.mac8_transistors);
    t.finish();
  }
  if (const auto* moved = root.value("periphery"))
    problems.add(
        fmt::format("{}: the periphery's organisation (array_rows, columns_per_adc, ...) is a design choice: "
                    "it belongs in the hardware file's [periphery] table; the ADC pricing model is adc.model",
                    core::config::where(*moved, doc.source, "periphery")));
  root.finish();
  problems.throw_if_any(doc.source);
  return tech;
}

Technology load_technology(const std::filesystem::path& path, const std::vector<std::string>& overrides) {
  auto doc = core::config::parse_file(path);
  core::config::apply_overrides(doc, overrides);
  return read_technology(doc);
}

}  // namespace cimmc::circuit
