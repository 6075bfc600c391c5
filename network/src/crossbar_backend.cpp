#include "cimmc/network/crossbar_backend.hpp"

#include <fmt/format.h>

#include "cimmc/core/error.hpp"
#include "cimmc/network/crossbar_training_hook.hpp"

namespace cimmc::network {

CrossbarBackend::CrossbarBackend(arch::CrossbarConfig config, int gemm_layers, std::uint64_t seed, std::uint32_t point,
                                 std::uint32_t trial)
    : config_(std::move(config)), gemm_layers_(gemm_layers), seed_(seed), point_(point), trial_(trial) {
  config_.validate();
  if (gemm_layers_ <= 0) throw core::ArgumentError("crossbar backend: the model has no Conv/Linear layer");
}

bool CrossbarBackend::needs_calibration() const { return readout_needs_calibration(config_); }

CrossbarBackend::LayerState& CrossbarBackend::state_for(const GemmProblem& p) {
  std::lock_guard lock(mutex_);
  auto it = layers_.find(p.layer_index);
  if (it != layers_.end()) {
    const auto& r = it->second.report;
    if (r.n != p.N || r.k != p.K)
      throw core::ModelError(fmt::format("crossbar backend: layer {} ({}) changed shape from {}x{} to {}x{}",
                                         p.layer_index, p.layer_name, r.n, r.k, p.N, p.K));
    return it->second;
  }
  if (p.layer_index < 0 || p.layer_index >= gemm_layers_)
    throw core::ArgumentError(fmt::format("crossbar backend: layer index {} outside the model's {} GEMM layers",
                                          p.layer_index, gemm_layers_));
  LayerState s;
  s.report.index = p.layer_index;
  s.report.name = std::string(p.layer_name);
  s.report.n = p.N;
  s.report.k = p.K;
  s.report.m_per_image = p.images > 0 ? p.M / p.images : p.M;
  s.report.digital = config_.is_digital(p.layer_index, gemm_layers_);
  if (!s.report.digital) {
    if (p.activation_bits > config_.input_bits)
      throw core::ModelError(
          fmt::format("layer {} ({}): {}-bit activations do not fit the crossbar's {} input bits "
                      "(set crossbar.input_bits)",
                      p.layer_index, p.layer_name, p.activation_bits, config_.input_bits));
    if (p.weight_bits > config_.weight_bits)
      throw core::ModelError(
          fmt::format("layer {} ({}): {}-bit weights do not fit the crossbar's {} weight bits "
                      "(set crossbar.weight_bits)",
                      p.layer_index, p.layer_name, p.weight_bits, config_.weight_bits));
    s.layer = std::make_unique<arch::CrossbarLayer>(
        config_, p.layer_index, std::span<const std::int8_t>(p.weights, static_cast<std::size_t>(p.N) * p.K), p.N, p.K);
    s.layer->set_variation_address(seed_, point_, trial_);
  }
  return layers_.emplace(p.layer_index, std::move(s)).first->second;
}

void CrossbarBackend::gemm(const GemmProblem& p, std::span<double> out) {
  if (out.size() != static_cast<std::size_t>(p.M) * p.N)
    throw core::ArgumentError(fmt::format("crossbar backend: output holds {} values, expected {}", out.size(),
                                          static_cast<std::size_t>(p.M) * p.N));
  LayerState& s = state_for(p);
  const std::span<const std::uint8_t> activations(p.activations, static_cast<std::size_t>(p.M) * p.K);
  if (s.report.digital || calibrating_) {
    if (calibrating_ && s.layer) {
      auto stats = s.layer->collect_statistics(activations, p.M);
      std::lock_guard lock(mutex_);
      if (s.has_statistics) s.statistics.merge(stats);
      else s.statistics = std::move(stats);
      s.has_statistics = true;
    }
    std::vector<std::int32_t> exact(out.size());
    gemm_exact_int32(p.M, p.N, p.K, p.activations, p.weights, exact.data());
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = exact[i];
    if (s.report.digital) {
      std::lock_guard lock(mutex_);
      s.report.counters.gemm_rows += static_cast<std::uint64_t>(p.M);
      s.report.counters.macs += static_cast<std::uint64_t>(p.M) * p.N * p.K;
    }
    return;
  }
  arch::RunAddress address;
  address.point = point_;
  address.trial = trial_;
  address.gemm = static_cast<std::uint32_t>(p.layer_index);  // the network's GEMM layer index
  address.first_image = p.image_offset;
  address.rows_per_image = static_cast<std::uint32_t>(p.images > 0 ? p.M / p.images : p.M);
  arch::Counters counters;
  s.layer->run(activations, p.M, address, seed_, out, counters);
  std::lock_guard lock(mutex_);
  s.report.counters.merge(counters);
}

void CrossbarBackend::begin_calibration() { calibrating_ = true; }

void CrossbarBackend::end_calibration() {
  calibrating_ = false;
  for (auto& [index, s] : layers_) {
    if (s.layer && s.has_statistics) s.layer->calibrate(s.statistics);
    s.statistics = {};
    s.has_statistics = false;
  }
  reset_counters();
}

std::vector<CrossbarBackend::LayerReport> CrossbarBackend::reports() const {
  std::lock_guard lock(mutex_);
  std::vector<LayerReport> r;
  for (const auto& [index, s] : layers_) r.push_back(s.report);
  return r;
}

void CrossbarBackend::reset_counters() {
  std::lock_guard lock(mutex_);
  for (auto& [index, s] : layers_) s.report.counters = {};
}

}  // namespace cimmc::network

namespace cimmc::network {

namespace {
std::pair<double, double> mean_densities(const arch::Counters& c) {
  double in = 0, w = 0;
  for (std::size_t b = 0; b < c.input_bit_ones.size(); ++b) in += c.input_density(static_cast<int>(b));
  for (std::size_t p = 0; p < c.weight_plane_ones.size(); ++p) w += c.weight_density(static_cast<int>(p));
  if (!c.input_bit_ones.empty()) in /= static_cast<double>(c.input_bit_ones.size());
  if (!c.weight_plane_ones.empty()) w /= static_cast<double>(c.weight_plane_ones.size());
  return {in, w};
}
}  // namespace

std::string layer_reports_text(const std::vector<CrossbarBackend::LayerReport>& reports) {
  std::string out =
      fmt::format("{:<12} {:>14} {:>13} {:>13} {:>13} {:>13} {:>13} {:>13} {:>10} {:>7} {:>7}\n", "layer", "readout",
                  "PS", "zero PS", "conversions", "MTJ samples", "LCU senses", "LCU skips", "clipped", "in d", "w d");
  for (const auto& l : reports) {
    const auto& c = l.counters;
    if (l.digital) {
      out += fmt::format("{:<12} {:>14} {:>13}\n", l.name, "digital", fmt::format("{} MACs", c.macs));
      continue;
    }
    const auto [in, w] = mean_densities(c);
    out += fmt::format("{:<12} {:>14} {:>13} {:>13} {:>13} {:>13} {:>13} {:>13} {:>10} {:>7.3f} {:>7.3f}\n", l.name,
                       c.readout, c.partial_sums, c.zero_partial_sums, c.adc_conversions, c.mtj_samples, c.lcu_senses,
                       c.lcu_skipped, c.clipped, in, w);
  }
  return out;
}

std::string layer_reports_json(const std::vector<CrossbarBackend::LayerReport>& reports, circuit::ReadoutKind readout) {
  std::string layers;
  for (const auto& l : reports) {
    const auto& c = l.counters;
    const auto [in, w] = mean_densities(c);
    if (!layers.empty()) layers += ", ";
    layers += fmt::format(
        "{{\"index\": {}, \"name\": \"{}\", \"digital\": {}, \"readout\": \"{}\", \"macs\": {}, \"partial_sums\": {}, "
        "\"zero_partial_sums\": {}, \"adc_conversions\": {}, \"adc_skipped\": {}, \"mtj_samples\": {}, "
        "\"mtj_skipped\": {}, "
        "\"lcu_senses\": {}, \"lcu_skipped\": {}, \"clipped\": {}, \"active_rows\": {}, \"shift_adds\": {}, "
        "\"input_bit_density\": {:.6f}, \"weight_bit_density\": {:.6f}}}",
        l.index, l.name, l.digital ? "true" : "false", l.digital ? "digital" : c.readout, c.macs, c.partial_sums,
        c.zero_partial_sums, c.adc_conversions, c.adc_skipped, c.mtj_samples, c.mtj_skipped, c.lcu_senses,
        c.lcu_skipped, c.clipped, c.active_rows, c.shift_adds, in, w);
  }
  return fmt::format("{{\"readout\": \"{}\", \"layers\": [{}]}}", circuit::readout_name(readout), layers);
}

std::string CrossbarBackend::report_text() const { return layer_reports_text(reports()); }

std::string CrossbarBackend::report_json() const { return layer_reports_json(reports(), config_.readout.kind); }

}  // namespace cimmc::network
