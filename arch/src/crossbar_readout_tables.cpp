// The readout's prepared state (docs/architecture.md, 3.6): ADC quantizers, the LCU sense, the
// stochastic MTJ's maps, decoding, threshold tables and word records.
#include "cimmc/arch/crossbar_layer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <map>
#include <optional>
#include <utility>

#include "cimmc/core/error.hpp"

namespace cimmc::arch {

using circuit::ReadoutKind;

void CrossbarLayer::set_switching_curve(std::shared_ptr<const circuit::SwitchingCurve> curve) {
  if (!curve) throw core::ArgumentError(fmt::format("crossbar layer {}: switching curve is null", layer_id_));
  curve_ = std::move(curve);
  prepare_readout();
}

double CrossbarLayer::map_current(std::size_t signed_map, double x) const {
  const auto& mtj = config_.readout.mtj;
  const double current = mtj.current_at_zero_A + x * mtj.current_per_unit_A;
  return mtj_current_gain_.empty() ? current : mtj_current_gain_[signed_map / 2] * current;
}

double CrossbarLayer::map_probability(std::size_t signed_map, double x) const {
  return curve_->probability(map_current(signed_map, x));
}

void CrossbarLayer::prepare_level_tables() {
  level_tables_.clear();
  level_table_of_group_.clear();
  level_unavailable_.clear();
  const auto& noise = config_.noise;
  const double fs = full_scale();
  if (config_.readout.kind != ReadoutKind::kAdc) {
    level_unavailable_ = "level sampling needs readout.kind = \"adc\"";
  } else if (!noise.has_additive() || noise.physical() || noise.proportional_fraction > 0.0) {
    level_unavailable_ =
        "level sampling needs additive noise of one σ for every conversion (noise.model = "
        "\"relative_full_scale\" with sigma_fraction > 0 and no proportional_fraction)";
  } else if (std::any_of(groups_.begin(), groups_.end(), [](const ColumnGroup& g) { return !g.negative.empty(); })) {
    level_unavailable_ = "level sampling needs single-ended columns (this layer has differential pairs)";
  } else if (fs > level::kMaxPartialSum) {
    level_unavailable_ = fmt::format(
        "level sampling needs a full scale of at most {} unit signals (this layer's is {})", level::kMaxPartialSum, fs);
  }
  if (!level_unavailable_.empty()) return;
  // σ in single precision, as the direct conversion adds it (crossbar_run.cpp), times the sense
  // mask (0 for a group without columns); a table per (quantizer, σ).
  const float sigma = static_cast<float>(noise.sigma_fraction) * static_cast<float>(fs);
  std::vector<std::pair<bool, float>> keys;
  for (std::size_t g = 0; g < groups_.size(); ++g) {
    const bool is_signed = groups_[g].signed_readout;
    const float s = side_mask_[0][g * static_cast<std::size_t>(n_pad_)] * sigma;
    const auto key = std::make_pair(is_signed, s);
    auto it = std::find(keys.begin(), keys.end(), key);
    if (it == keys.end()) {
      const circuit::AdcQuantizer& q = is_signed ? adc_signed_ : adc_unsigned_;
      std::optional<level::Table> table = level::Table::build(q, static_cast<double>(s));
      if (!table) {
        level_tables_.clear();
        level_table_of_group_.clear();
        level_unavailable_ = fmt::format(
            "level sampling needs σ small against the ADC step (levels two codes away from the noise-free one "
            "reachable from a uniform's top byte 0 or 255 only, about σ <= 0.37 step): σ = {} against a step of {}",
            s, q.step);
        return;
      }
      keys.push_back(key);
      level_tables_.push_back(std::move(*table));
      it = keys.end() - 1;
    }
    level_table_of_group_.push_back(static_cast<int>(it - keys.begin()));
  }
}

void CrossbarLayer::prepare_readout() {
  const double fs = full_scale();
  const auto& r = config_.readout;
  const int groups = static_cast<int>(groups_.size());
  if (r.kind == ReadoutKind::kAdc) {
    const double range = calibration_.adc_range > 0.0 ? calibration_.adc_range : fs;
    adc_unsigned_ = circuit::AdcQuantizer(r.adc.bits, range, false);
    adc_signed_ = circuit::AdcQuantizer(r.adc.bits, range, true);
    const std::size_t elements = groups_.size() * static_cast<std::size_t>(n_pad_);
    for (auto* v : {&adc_inverse_step_, &adc_step_, &adc_min_code_, &adc_max_code_}) v->assign(elements, 0.0f);
    for (std::size_t e = 0; e < elements; ++e) {
      const auto& q = groups_[e / static_cast<std::size_t>(n_pad_)].signed_readout ? adc_signed_ : adc_unsigned_;
      adc_inverse_step_[e] = q.inverse_step;
      adc_step_[e] = q.step;
      adc_min_code_[e] = static_cast<float>(q.min_code);
      adc_max_code_[e] = static_cast<float>(q.max_code);
    }
  }
  prepare_level_tables();
  if (r.kind == ReadoutKind::kZebraLcu)
    lcu_sense_ = circuit::LcuSense(r.lcu.levels, static_cast<double>(r.lcu.group_rows) * config_.max_cell_value());
  if (r.kind != ReadoutKind::kStochasticMtj) {
    prepare_slope_ranges();
    return;
  }
  if (!curve_) curve_ = r.mtj.make_curve();
  // Maps per (subarray and conversion [and output], signed readout).
  const bool per_column_devices = r.mtj.has_variation || r.mtj.trim.in_situ;
  map_conversions_ = calibration_.mtj_maps.empty() && !per_column_devices ? 1 : conversions();
  const int conv = map_conversions_;
  const std::size_t per_output = static_cast<std::size_t>(geometry_.subarrays) * static_cast<std::size_t>(conv);
  // MTJ-to-MTJ variation makes every column's converter its own: maps per column then.
  const bool calibrated_columns = calibration_.mtj_maps.size() > per_output;
  column_maps_ = calibrated_columns || per_column_devices;
  const int maps = static_cast<int>(per_output) * (column_maps_ ? n_pad_ : 1) * 2;
  maps_.assign(static_cast<std::size_t>(maps), {});
  // The trim (calibrated map number) behind each map; the full-scale maps have none.
  constexpr std::size_t kNoTrim = std::numeric_limits<std::size_t>::max();
  std::vector<std::size_t> trim_of(static_cast<std::size_t>(maps) / 2, kNoTrim);
  for (int s = 0; s < geometry_.subarrays; ++s)
    for (int q = 0; q < conv; ++q)
      for (int n = 0; n < (column_maps_ ? n_pad_ : 1); ++n) {
        const std::size_t m = static_cast<std::size_t>(map_of(s, q, n)) * 2;
        if (!calibration_.mtj_maps.empty()) {
          const std::size_t sq = static_cast<std::size_t>(s) * conv + q;
          const std::size_t c = calibrated_columns ? sq * n_ + std::min(n, n_ - 1) : sq;
          maps_[m] = maps_[m + 1] = calibration_.mtj_maps[c];
          trim_of[m / 2] = c;
        } else {
          maps_[m] = {2.0 / fs, -1.0};     // [0, FS] -> [-1, 1]
          maps_[m + 1] = {1.0 / fs, 0.0};  // [-FS, FS] -> [-1, 1]
        }
      }
  decode_maps_ = maps_;
  // What the analog side realizes: the target quantized and perturbed by the trim circuit.
  for (std::size_t mi = 0; mi < trim_of.size(); ++mi)
    if (trim_of[mi] != kNoTrim)
      for (std::size_t side = 0; side < 2; ++side)
        maps_[2 * mi + side] = trimmed(decode_maps_[2 * mi + side], trim_of[mi]);
  prepare_mtj_variation();
  const int streams = config_.input_streams();
  samples_.assign(static_cast<std::size_t>(streams) * groups, 0);
  table_index_.assign(samples_.size(), 0);
  mtj_tables_.clear();
  std::map<int, int> index_of_t;
  for (int q = 0; q < streams; ++q)
    for (int g = 0; g < groups; ++g) {
      const int t = r.mtj.samples_for(layer_id_, q * config_.dac_bits, groups_[static_cast<std::size_t>(g)].weight_bit);
      samples_[static_cast<std::size_t>(q * groups + g)] = t;
      auto [it, inserted] = index_of_t.try_emplace(t, static_cast<int>(mtj_tables_.size()));
      if (inserted) {
        MtjTable table;
        table.samples = t;
        mtj_tables_.push_back(std::move(table));
      }
      table_index_[static_cast<std::size_t>(q * groups + g)] = it->second;
    }
  const int ifs = static_cast<int>(fs);
  const std::size_t levels = 2 * static_cast<std::size_t>(ifs) + 1;
  // Threshold tables up to threshold_table_cap_ per T; beyond that the word records below (or P per PS).
  for (auto& table : mtj_tables_) {
    const int t = table.samples;
    const std::vector<double> x_hat = circuit::mtj_decode_points(r.mtj, *curve_, t);
    const std::vector<double> slope = circuit::mtj_expected_slope(r.mtj, *curve_, t, kSlopePoints);
    table.slope.assign(slope.begin(), slope.end());
    table.decoded.resize(static_cast<std::size_t>(maps) * (t + 1));
    for (int sm = 0; sm < maps; ++sm)
      for (int kk = 0; kk <= t; ++kk)
        table.decoded[static_cast<std::size_t>(sm) * (t + 1) + kk] =
            static_cast<float>(decode_maps_[static_cast<std::size_t>(sm)].ps_of(x_hat[static_cast<std::size_t>(kk)]));
    const std::size_t bytes = static_cast<std::size_t>(maps) * levels *
                              (static_cast<std::size_t>(t) * 4 + (t < circuit::kBinomialAmbiguous ? 256 : 0));
    // With analog noise every PS is analog and P is evaluated per PS: no threshold tables.
    if (bytes > threshold_table_cap_ || config_.noise.any()) continue;
    table.thresholds.assign(static_cast<std::size_t>(maps) * levels * t, 0);
    if (t < circuit::kBinomialAmbiguous) table.buckets.assign(static_cast<std::size_t>(maps) * levels * 256, 0);
    for (int sm = 0; sm < maps; ++sm)
      for (int ps = -ifs; ps <= ifs; ++ps) {
        const std::size_t row = static_cast<std::size_t>(sm) * levels + static_cast<std::size_t>(ps + ifs);
        const double x = maps_[static_cast<std::size_t>(sm)].x_of(ps);
        const double p = map_probability(static_cast<std::size_t>(sm), x);
        const std::span<std::uint32_t> thresholds{table.thresholds.data() + row * t, static_cast<std::size_t>(t)};
        circuit::binomial_thresholds(t, p, thresholds);
        if (t < circuit::kBinomialAmbiguous)
          circuit::binomial_buckets(thresholds, {table.buckets.data() + row * 256, 256});
      }
  }
  prepare_slope_ranges();
  prepare_mtj_word_records();
}

void CrossbarLayer::set_readout_table_caps(std::size_t threshold_table_bytes, std::size_t word_record_bytes) {
  threshold_table_cap_ = threshold_table_bytes;
  word_record_cap_ = word_record_bytes;
  prepare_readout();
}

void CrossbarLayer::prepare_mtj_word_records() {
  for (auto& table : mtj_tables_) {
    table.record_shift = {};
    table.record_low = {};
    table.record_high = {};
    table.records = {};
    table.record_thresholds = {};
    table.record_stride = 1;
    table.record_decoded = 0;
  }
  // Word records up to word_record_cap_, for a T without threshold tables; beyond that (and for
  // analog values: noise, cell deviations) P is evaluated per PS.
  const int ifs = static_cast<int>(full_scale());
  const std::size_t maps = maps_.size();
  if (config_.readout.kind != ReadoutKind::kStochasticMtj || config_.noise.any() || !deviations_.empty()) return;
  // Per map, the PS whose x is not that of −FS (lo on) and not that of +FS (up to hi). x_of is
  // monotone in PS (an affine map, rounded, then clamped), so each is found by bisection. The
  // signed readout of a map whose analog map is the unsigned one's (the converter, and so its
  // gain, is the same) and whose decoder map is too shares its record.
  std::vector<std::pair<int, int>> range(maps);
  std::vector<bool> shared(maps, false);
  for (std::size_t sm = 0; sm < maps; ++sm) {
    const auto& map = maps_[sm];
    if (sm % 2 == 1 && map.scale == maps_[sm - 1].scale && map.offset == maps_[sm - 1].offset &&
        decode_maps_[sm].scale == decode_maps_[sm - 1].scale &&
        decode_maps_[sm].offset == decode_maps_[sm - 1].offset) {
      range[sm] = range[sm - 1];
      shared[sm] = true;
      continue;
    }
    const double x_low = map.x_of(-ifs), x_high = map.x_of(ifs);
    int a = -ifs, b = ifs + 1;  // first PS in [a, b) with x != x(−FS)
    while (a < b) {
      const int mid = a + (b - a) / 2;
      if (map.x_of(mid) != x_low) b = mid;
      else a = mid + 1;
    }
    const int lo = a;
    a = -ifs - 1, b = ifs;  // last PS in (a, b] with x != x(+FS)
    while (a < b) {
      const int mid = b - (b - a) / 2;
      if (map.x_of(mid) != x_high) a = mid;
      else b = mid - 1;
    }
    range[sm] = {lo, std::max(a, lo - 1)};
  }
  for (auto& table : mtj_tables_) {
    if (!table.thresholds.empty()) continue;
    const int t = table.samples;
    const int stride = (t + 3) / 4;
    // The T + 1 decoded floats ahead of each record, in whole entries.
    const int decoded_entries = ((t + 2) / 2 + stride - 1) / stride;
    std::vector<std::uint32_t> first(maps);
    std::size_t entries = 0;
    for (std::size_t sm = 0; sm < maps; ++sm) {
      if (shared[sm]) {
        first[sm] = first[sm - 1];
        continue;
      }
      first[sm] = static_cast<std::uint32_t>(entries);
      entries += static_cast<std::size_t>(range[sm].second - range[sm].first + 1) + 2 +
                 static_cast<std::size_t>(decoded_entries);
    }
    const std::size_t bytes =
        maps * 3 * sizeof(std::uint32_t) + entries * (static_cast<std::size_t>(stride) * sizeof(std::uint64_t) +
                                                      static_cast<std::size_t>(t) * sizeof(std::uint32_t));
    // (The AVX-512 kernel's gathers index floats of the records with 32-bit lanes.)
    if (bytes > word_record_cap_ || entries * static_cast<std::size_t>(stride) >= std::size_t{1} << 29) continue;
    table.record_stride = stride;
    table.record_decoded = decoded_entries;
    table.records.assign(entries * static_cast<std::size_t>(stride), 0);
    table.record_thresholds.assign(entries * static_cast<std::size_t>(t), 0);
    table.record_shift.resize(maps);
    table.record_low.resize(maps);
    table.record_high.resize(maps);
    std::vector<std::uint32_t> thresholds(static_cast<std::size_t>(t));
    for (std::size_t sm = 0; sm < maps; ++sm) {
      const auto [lo, hi] = range[sm];
      // [decoded, below, lo .. hi, above] from first[sm]: PS's entry at clamp(PS + shift, low, high).
      const auto low = first[sm] + static_cast<std::uint32_t>(decoded_entries);
      table.record_low[sm] = low;
      table.record_high[sm] = low + static_cast<std::uint32_t>(hi - lo + 2);
      table.record_shift[sm] = static_cast<std::int32_t>(low) + 1 - lo;
      if (shared[sm]) continue;
      std::memcpy(table.records.data() + static_cast<std::size_t>(first[sm]) * stride,
                  table.decoded.data() + sm * static_cast<std::size_t>(t + 1),
                  static_cast<std::size_t>(t + 1) * sizeof(float));
      const auto put = [&](std::size_t entry, int ps) {
        circuit::binomial_thresholds(t, map_probability(sm, maps_[sm].x_of(ps)), thresholds);
        std::uint64_t* e = table.records.data() + entry * static_cast<std::size_t>(stride);
        for (int j = 0; j < t; ++j) {
          const std::uint32_t full = thresholds[static_cast<std::size_t>(j)];
          table.record_thresholds[entry * static_cast<std::size_t>(t) + static_cast<std::size_t>(j)] = full;
          e[j / 4] |= static_cast<std::uint64_t>(full >> 17) << (16 * (j % 4));
        }
      };
      put(low, -ifs);
      for (int ps = lo; ps <= hi; ++ps) put(low + static_cast<std::size_t>(ps - lo + 1), ps);
      put(table.record_high[sm], ifs);
    }
  }
}

std::size_t CrossbarLayer::readout_table_bytes() const {
  std::size_t bytes = lcu_sense_table_.size() * sizeof(std::int32_t);
  for (const auto& table : mtj_tables_)
    bytes += table.decoded.size() * sizeof(float) + table.thresholds.size() * sizeof(std::uint32_t) +
             table.buckets.size() + table.slope.size() * sizeof(float) + table.records.size() * sizeof(std::uint64_t) +
             (table.record_thresholds.size() + table.record_shift.size() + table.record_low.size() +
              table.record_high.size()) *
                 sizeof(std::uint32_t);
  return bytes;
}

}  // namespace cimmc::arch
