#include "cimmc/device/variation.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "cimmc/core/error.hpp"
#include "cimmc/core/rng.hpp"
#include "cimmc/core/rng_distributions.hpp"

namespace cimmc::device {

namespace {
void read_spread(core::config::TableReader& parent, const char* key, ParameterSpread& out) {
  if (!parent.value(key)) return;  // looked up, so it counts as a known key
  core::config::TableReader t = parent.child(key);
  t.required("relative_sigma", out.relative_sigma);
  t.check(std::isfinite(out.relative_sigma) && out.relative_sigma >= 0 && out.relative_sigma <= 1, "relative_sigma",
          "a relative standard deviation in [0, 1]");
  std::string kind = "lognormal";
  t.optional("kind", kind);
  t.check(kind == "lognormal" || kind == "normal", "kind", "\"lognormal\" or \"normal\"");
  out.kind = kind == "normal" ? SpreadKind::kNormal : SpreadKind::kLognormal;
  t.finish();
}

double draw(const ParameterSpread& s, core::rng::Stream& stream) {
  const double z = core::rng::normal(stream);  // always drawn, so each factor keeps its place in the stream
  if (s.relative_sigma == 0) return 1.0;
  if (s.kind == SpreadKind::kLognormal) {
    const double v = std::log1p(s.relative_sigma * s.relative_sigma);
    return std::exp(std::sqrt(v) * z - 0.5 * v);
  }
  double f = 1.0 + s.relative_sigma * z;
  while (f <= 0) f = 1.0 + s.relative_sigma * core::rng::normal(stream);
  return f;
}
}  // namespace

DeviceVariation read_variation(const core::config::Value& table, const std::string& source,
                               const std::string& key_path) {
  core::config::Problems problems;
  core::config::TableReader r(table, source, key_path, problems);
  DeviceVariation v;
  read_spread(r, "anisotropy", v.anisotropy);
  read_spread(r, "spin_hall_angle", v.spin_hall_angle);
  read_spread(r, "saturation_magnetization", v.saturation_magnetization);
  read_spread(r, "size", v.size);
  r.finish();
  problems.throw_if_any(source);
  return v;
}

DeviceFactors sample_factors(const DeviceVariation& v, std::uint64_t seed, std::uint32_t point, std::uint32_t trial,
                             std::uint64_t device) {
  core::rng::Stream s(seed, {core::rng::Purpose::kDeviceVariation, point, trial, device});
  DeviceFactors f;
  f.anisotropy = draw(v.anisotropy, s);
  f.spin_hall_angle = draw(v.spin_hall_angle, s);
  f.saturation_magnetization = draw(v.saturation_magnetization, s);
  f.size = draw(v.size, s);
  return f;
}

SotMtjParams apply_factors(const SotMtjParams& nominal, const DeviceFactors& f) {
  SotMtjParams p = nominal;
  auto& fl = p.free_layer;
  fl.interface_anisotropy_J_per_m2 *= f.anisotropy;
  fl.uniaxial_anisotropy_J_per_m3 *= f.anisotropy;
  fl.anisotropy_field_A_per_m *= f.anisotropy;
  fl.saturation_magnetization_A_per_m *= f.saturation_magnetization;
  fl.length_m *= f.size;
  fl.width_m *= f.size;
  p.heavy_metal.spin_hall_angle *= f.spin_hall_angle;
  return p;
}

std::vector<SotMtjParams> sample_devices(const SotMtjParams& nominal, const DeviceVariation& v, std::size_t count,
                                         std::uint64_t seed, std::uint32_t point, std::uint32_t trial) {
  std::vector<SotMtjParams> out;
  out.reserve(count);
  for (std::size_t d = 0; d < count; ++d) {
    SotMtjParams p = apply_factors(nominal, sample_factors(v, seed, point, trial, d));
    p.name = fmt::format("{}#{}", nominal.name, d);
    const double hk = derive(p).effective_anisotropy_field_A_per_m;
    if (!(hk > 0))
      throw core::ModelError(
          fmt::format("device variation: device {} of '{}' has H_K,eff = {:.4g} A/m <= 0 (no stable easy axis); "
                      "reduce the anisotropy or Ms spread",
                      d, nominal.name, hk));
    out.push_back(std::move(p));
  }
  return out;
}

PopulationSwitching population_switching(const SotMtjParams& nominal, const DeviceVariation& v, std::size_t devices,
                                         const std::vector<double>& currents, const std::vector<double>& pulses,
                                         const MonteCarloSettings& settings) {
  if (devices == 0) throw core::ArgumentError("population_switching: need at least one device");
  const auto population = sample_devices(nominal, v, devices, settings.seed, settings.point, settings.trial);
  PopulationSwitching r;
  r.currents_A = currents;
  r.pulse_widths_s = pulses;
  r.devices = devices;
  const std::size_t cells = currents.size() * pulses.size();
  // One time step for the whole population, so devices differ only in their parameters.
  MonteCarloSettings s = settings;
  if (s.time_step_s <= 0) {
    double i_max = 0;
    for (double i : currents) i_max = std::max(i_max, std::abs(i));
    s.time_step_s = 1.0;
    for (const auto& p : population) s.time_step_s = std::min(s.time_step_s, recommended_time_step_s(p, i_max));
  }
  for (std::size_t d = 0; d < devices; ++d) {
    MonteCarloSettings sd = s;
    sd.first_element = settings.first_element + d * cells * settings.trials;
    const auto c = monte_carlo_switching(population[d], currents, pulses, sd);
    r.per_device.insert(r.per_device.end(), c.probability.begin(), c.probability.end());
    r.thermal_stability.push_back(derive(population[d]).thermal_stability);
  }
  r.mean.assign(cells, 0.0);
  r.std_dev.assign(cells, 0.0);
  r.min.assign(cells, 1.0);
  r.max.assign(cells, 0.0);
  for (std::size_t k = 0; k < cells; ++k) {
    double sum = 0;
    for (std::size_t d = 0; d < devices; ++d) {
      const double p = r.per_device[d * cells + k];
      sum += p;
      r.min[k] = std::min(r.min[k], p);
      r.max[k] = std::max(r.max[k], p);
    }
    r.mean[k] = sum / static_cast<double>(devices);
    double ss = 0;
    for (std::size_t d = 0; d < devices; ++d) ss += std::pow(r.per_device[d * cells + k] - r.mean[k], 2);
    r.std_dev[k] = devices > 1 ? std::sqrt(ss / static_cast<double>(devices - 1)) : 0.0;
  }
  return r;
}

}  // namespace cimmc::device
