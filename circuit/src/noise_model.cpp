#include "cimmc/circuit/noise_model.hpp"

#include <fmt/format.h>

#include <array>

namespace cimmc::circuit {

std::string_view noise_model_name(NoiseModel m) {
  return m == NoiseModel::kPhysical ? "physical" : "relative_full_scale";
}

namespace {

struct NoiseKey {
  std::string_view key;      // the TOML key, equal to the field's name
  std::string_view old_key;  // its name before 0.2 (still read, deprecated), or empty
  NoiseModel model;          // the model the key belongs to
  double NoiseParams::*field;
  double max;
  std::string_view expected;
};

constexpr double kMaxLsb = 16777216.0;  // 2^24, the largest full scale
constexpr std::array<NoiseKey, 6> kKeys{{
    {"cell_sigma_lsb", "", NoiseModel::kPhysical, &NoiseParams::cell_sigma_lsb, kMaxLsb,
     "an rms per unit-cell signal in LSB, >= 0 (a sum of s unit signals gets s · σ²)"},
    {"sense_sigma_lsb", "", NoiseModel::kPhysical, &NoiseParams::sense_sigma_lsb, kMaxLsb,
     "an rms per analog sense in LSB, >= 0"},
    {"offset_sigma_lsb", "", NoiseModel::kPhysical, &NoiseParams::offset_sigma_lsb, kMaxLsb,
     "an rms per sense amplifier in LSB, >= 0"},
    {"sigma_fraction", "sigma", NoiseModel::kRelativeFullScale, &NoiseParams::sigma_fraction, 10.0,
     "a fraction of full scale in [0, 10] (0.01 = 1 % of full scale)"},
    {"proportional_fraction", "proportional", NoiseModel::kRelativeFullScale, &NoiseParams::proportional_fraction, 10.0,
     "a fraction of the signal in [0, 10]"},
    {"offset_fraction", "sense_offset", NoiseModel::kRelativeFullScale, &NoiseParams::offset_fraction, 10.0,
     "a fraction of full scale in [0, 10]"},
}};

bool in_range(const NoiseKey& k, double v) { return v >= 0.0 && v <= k.max; }

std::string wrong_model_message(const NoiseKey& k, NoiseModel model) {
  if (k.model == NoiseModel::kRelativeFullScale)
    return fmt::format(
        "applies only with model = \"relative_full_scale\" (σ as a fraction of each readout's full scale), but the "
        "noise model is \"{}\": state the noise in LSB of one unit-cell signal with cell_sigma_lsb, sense_sigma_lsb "
        "and offset_sigma_lsb, or set model = \"relative_full_scale\"",
        noise_model_name(model));
  return fmt::format(
      "applies only with model = \"physical\", but the noise model is \"{}\" (which takes sigma_fraction, "
      "proportional_fraction and offset_fraction)",
      noise_model_name(model));
}

}  // namespace

NoiseParams NoiseParams::relative_full_scale(double sigma_fraction, double proportional_fraction,
                                             double offset_fraction) {
  NoiseParams p;
  p.model = NoiseModel::kRelativeFullScale;
  p.sigma_fraction = sigma_fraction;
  p.proportional_fraction = proportional_fraction;
  p.offset_fraction = offset_fraction;
  return p;
}

std::vector<std::pair<std::string, std::string>> NoiseParams::problems() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const NoiseKey& k : kKeys) {
    const double v = this->*k.field;
    const std::string key = fmt::format("noise.{}", k.key);
    if (!in_range(k, v)) out.emplace_back(key, fmt::format("value {} is out of range: expected {}", v, k.expected));
    else if (v != 0.0 && k.model != model) out.emplace_back(key, wrong_model_message(k, model));
  }
  return out;
}

NoiseParams read_noise_params(core::config::TableReader& t) {
  NoiseParams p;
  std::string model = std::string(noise_model_name(p.model));
  t.optional("model", model);
  if (model == "relative_full_scale") p.model = NoiseModel::kRelativeFullScale;
  else
    t.check(model == "physical", "model",
            "\"physical\" (noise in LSB of one unit-cell signal) or \"relative_full_scale\"");
  for (const NoiseKey& k : kKeys)
    if (!k.old_key.empty()) t.renamed(k.old_key, k.key);
  for (const NoiseKey& k : kKeys) {
    double& v = p.*k.field;
    if (!t.optional(k.key, v)) continue;
    // One problem per key: its range first, then whether it belongs to this model.
    if (!in_range(k, v)) t.check(false, k.key, std::string(k.expected));
    else if (v != 0.0 && k.model != p.model)
      t.problems().add(fmt::format("{}: {}", core::config::where(*t.value(k.key), t.source(), t.path_of(k.key)),
                                   wrong_model_message(k, p.model)));
  }
  t.finish();
  return p;
}

}  // namespace cimmc::circuit
