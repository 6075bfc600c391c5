#include "cimmc/arch/crossbar_layer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <map>

#include "cimmc/circuit/fast_normal.hpp"
#include "cimmc/core/error.hpp"
#include "cimmc/core/parallel.hpp"
#include "cimmc/core/rng.hpp"
#include "cimmc/device/variation.hpp"

namespace cimmc::arch {

using circuit::ReadoutKind;

std::uint64_t row_stream_element(std::uint32_t layer, std::uint64_t image, std::uint32_t patch) {
  if (layer > kMaxLayerId || image > kMaxImage || patch > kMaxPatch)
    throw ArgumentError(fmt::format("crossbar random stream: layer {} (max {}), image {} (max {}) or patch {} (max {}) "
                                    "out of range",
                                    layer, kMaxLayerId, image, kMaxImage, patch, kMaxPatch));
  return std::uint64_t{layer} << 38 | image << 18 | patch;
}

// ---------------------------------------------------------------- mapping

CrossbarLayer::CrossbarLayer(const CrossbarConfig& config, int layer_id, std::span<const std::int8_t> weights, int n,
                             int k)
    : config_(config), layer_id_(layer_id), n_(n), k_(k), n_pad_(pad_columns(n)) {
  config_.validate();
  if (n < 1 || k < 1 || weights.size() != static_cast<std::size_t>(n) * static_cast<std::size_t>(k))
    throw ArgumentError(fmt::format("crossbar layer {}: {} weights for N = {} outputs × K = {} inputs", layer_id,
                                    weights.size(), n, k));
  if (layer_id < 0 || static_cast<std::uint32_t>(layer_id) > kMaxLayerId)
    throw ArgumentError(fmt::format("crossbar layer id {} is out of range [0, {}]", layer_id, kMaxLayerId));
  const int bits = config_.weight_bits;
  const int lo = -(1 << (bits - 1)), hi = (1 << (bits - 1)) - 1;
  bool has_min = false;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    if (weights[i] < lo || weights[i] > hi)
      throw ArgumentError(fmt::format("crossbar layer {}: weight [{}, {}] = {} does not fit in {} bits ([{}, {}])",
                                      layer_id, i / static_cast<std::size_t>(k), i % static_cast<std::size_t>(k),
                                      weights[i], bits, lo, hi));
    has_min = has_min || weights[i] == lo;
  }
  geometry_ = PlaneGeometry::make(k, config_.rows);
  isa_ = detect_kernel_isa();

  // Digits of every weight, as (sign, position) planes.
  const bool offset_binary = config_.signed_scheme == SignedScheme::kOffsetBinary;
  auto digits_of = [&](int v) {
    if (!offset_binary) return encode(v, bits, config_.encoding);
    SignedDigits d;
    const int u = v + (1 << (bits - 1));
    for (int j = 0; j < bits; ++j) d.digit[j] = static_cast<std::int8_t>((u >> j) & 1);
    return d;
  };
  // Which planes the encoding can use: every value of the range (the most negative one only if
  // the layer has it: symmetric quantizers never produce it, and sign-magnitude needs an extra
  // column for it).
  std::vector<bool> plus_used(bits, false), minus_used(bits, false);
  bool flag_used = false;
  for (int v = has_min ? lo : lo + 1; v <= hi; ++v) {
    const SignedDigits d = digits_of(v);
    for (int j = 0; j < bits; ++j) {
      if (d.digit[j] > 0) plus_used[j] = true;
      if (d.digit[j] < 0) minus_used[j] = true;
    }
    flag_used = flag_used || d.flag;
  }
  std::vector<int> plus_plane(bits, -1), minus_plane(bits, -1);
  int flag_plane = -1;
  for (int j = 0; j < bits; ++j)
    if (plus_used[j]) {
      plus_plane[j] = static_cast<int>(plane_names_.size());
      plane_names_.push_back(fmt::format("+2^{}", j));
    }
  for (int j = 0; j < bits; ++j)
    if (minus_used[j]) {
      minus_plane[j] = static_cast<int>(plane_names_.size());
      plane_names_.push_back(fmt::format("-2^{}", j));
    }
  if (flag_used) {
    flag_plane = static_cast<int>(plane_names_.size());
    plane_names_.push_back("flag");
  }
  const int planes = static_cast<int>(plane_names_.size());
  plane_count_ = planes;
  const int words = geometry_.words();
  planes_.assign(static_cast<std::size_t>(planes) * words * n_pad_, 0);
  plane_ones_.assign(static_cast<std::size_t>(planes), 0);
  auto set_bit = [&](int p, int nn, int kk) {
    planes_[plane_index(p, geometry_.word_of(kk), nn)] |= std::uint64_t{1} << geometry_.bit_of(kk);
    ++plane_ones_[static_cast<std::size_t>(p)];
  };
  for (int nn = 0; nn < n; ++nn)
    for (int kk = 0; kk < k; ++kk) {
      const SignedDigits d = digits_of(weights[static_cast<std::size_t>(nn) * k + kk]);
      for (int j = 0; j < bits; ++j) {
        if (d.digit[j] > 0) set_bit(plus_plane[j], nn, kk);
        if (d.digit[j] < 0) set_bit(minus_plane[j], nn, kk);
      }
      if (d.flag) set_bit(flag_plane, nn, kk);
    }

  // Column groups.
  const int bpc = config_.bits_per_cell;
  // A cell stores the digits j .. j + bpc − 1 of a slice that starts at the lowest used digit j.
  auto single_ended = [&](const std::vector<int>& plane_of, std::int64_t sign) {
    for (int j = 0; j < bits;) {
      if (plane_of[j] < 0) {
        ++j;
        continue;
      }
      ColumnGroup g;
      g.shift_weight = sign * (std::int64_t{1} << j);
      g.weight_bit = j;
      for (int t = 0; t < bpc && j + t < bits; ++t)
        if (plane_of[j + t] >= 0) g.positive.push_back({plane_of[j + t], 1 << t});
      groups_.push_back(std::move(g));
      j += bpc;
    }
  };
  if (config_.signed_scheme == SignedScheme::kDifferential) {
    for (int j = 0; j < bits; j += bpc) {
      ColumnGroup g;
      g.shift_weight = std::int64_t{1} << j;
      g.weight_bit = j;
      g.signed_readout = true;
      for (int t = 0; t < bpc && j + t < bits; ++t) {
        if (plus_plane[j + t] >= 0) g.positive.push_back({plus_plane[j + t], 1 << t});
        if (minus_plane[j + t] >= 0) g.negative.push_back({minus_plane[j + t], 1 << t});
      }
      if (!g.positive.empty() || !g.negative.empty()) groups_.push_back(std::move(g));
    }
  } else {
    single_ended(plus_plane, +1);
    single_ended(minus_plane, -1);
  }
  if (flag_plane >= 0) {
    ColumnGroup g;
    g.positive.push_back({flag_plane, 1});
    g.shift_weight = -1;
    groups_.push_back(std::move(g));
  }
  const std::size_t elements = groups_.size() * static_cast<std::size_t>(n_pad_);
  identity_groups_ = static_cast<int>(groups_.size()) == plane_count_;
  for (std::size_t g = 0; g < groups_.size(); ++g) {
    shift_weights_.push_back(static_cast<double>(groups_[g].shift_weight));
    identity_groups_ = identity_groups_ && groups_[g].negative.empty() && groups_[g].positive.size() == 1 &&
                       groups_[g].positive[0].plane == static_cast<int>(g) && groups_[g].positive[0].cell_weight == 1;
  }
  for (int side = 0; side < 2; ++side) side_mask_[side].assign(elements, 0.0f);
  valid_.assign(elements, 0);
  for (std::size_t g = 0; g < groups_.size(); ++g)
    for (int nn = 0; nn < n_pad_; ++nn) {
      const std::size_t e = g * n_pad_ + nn;
      side_mask_[0][e] = groups_[g].positive.empty() ? 0.0f : 1.0f;
      side_mask_[1][e] = groups_[g].negative.empty() ? 0.0f : 1.0f;
      valid_[e] = nn < n_ ? 1 : 0;
    }
  // All-zero columns per subarray and group: what the programming circuit knows.
  const int wps = geometry_.words_per_subarray;
  column_zero_.assign(static_cast<std::size_t>(geometry_.subarrays) * groups_.size() * n_pad_, 1);
  for (int s = 0; s < geometry_.subarrays; ++s)
    for (std::size_t g = 0; g < groups_.size(); ++g)
      for (const auto* side : {&groups_[g].positive, &groups_[g].negative})
        for (const auto& pl : *side)
          for (int w = 0; w < wps; ++w)
            for (int nn = 0; nn < n_pad_; ++nn)
              if (planes_[plane_index(pl.plane, s * wps + w, nn)] != 0)
                column_zero_[(static_cast<std::size_t>(s) * groups_.size() + g) * n_pad_ + nn] = 0;
  if (config_.cell.exact()) prepare_readout();
  else apply_cell_model();  // prepares the readout too
}

void CrossbarLayer::apply_cell_model() {
  // Cell (group, side, n, k) of layer L draws from element L · 2^40 + its index in that layout.
  const auto levels = cell_levels();
  std::vector<double> deviations(levels.size());
  config_.cell.deviations(levels, {variation_.seed, variation_.point, variation_.trial,
                                   static_cast<std::uint64_t>(layer_id_) << 40},
                          deviations);
  set_cell_deviations(std::vector<float>(deviations.begin(), deviations.end()));
  prepare_readout();
}

void CrossbarLayer::stream_partial_sums(const std::uint64_t* act, int s, int q, std::int32_t* tmp, std::int32_t* pos,
                                        std::int32_t* neg) const {
  const int np = n_pad_, words = geometry_.words(), wps = geometry_.words_per_subarray;
  const int i0 = q * config_.dac_bits, i1 = std::min(config_.input_bits, i0 + config_.dac_bits);
  const AndPopcountFn popc = and_popcount_function(isa_);
  const std::size_t elements = groups_.size() * static_cast<std::size_t>(np);
  std::fill(pos, pos + elements, 0);
  std::fill(neg, neg + elements, 0);
  for (int i = i0; i < i1; ++i) {
    // Every plane's popcounts for every output in one kernel call, then each group's PS.
    popc(act + static_cast<std::size_t>(i) * words + s * wps, planes_.data() + plane_index(0, s * wps, 0), wps,
         plane_count_ * np, tmp);
    const std::int32_t input_weight = 1 << (i - i0);
    for (std::size_t gi = 0; gi < groups_.size(); ++gi) {
      const ColumnGroup& g = groups_[gi];
      std::int32_t* gp = pos + gi * np;
      std::int32_t* gn = neg + gi * np;
      for (const auto& pl : g.positive) {
        const std::int32_t* t = tmp + static_cast<std::ptrdiff_t>(pl.plane) * np;
        const std::int32_t w = input_weight * pl.cell_weight;
        for (int n = 0; n < np; ++n) gp[n] += w * t[n];
      }
      for (const auto& pl : g.negative) {
        const std::int32_t* t = tmp + static_cast<std::ptrdiff_t>(pl.plane) * np;
        const std::int32_t w = input_weight * pl.cell_weight;
        for (int n = 0; n < np; ++n) gn[n] += w * t[n];
      }
    }
  }
}

std::vector<double> CrossbarLayer::plane_densities() const {
  std::vector<double> d(plane_ones_.size());
  const double cells = static_cast<double>(n_) * static_cast<double>(k_);
  for (std::size_t p = 0; p < d.size(); ++p) d[p] = static_cast<double>(plane_ones_[p]) / cells;
  return d;
}

void CrossbarLayer::set_kernel(KernelIsa isa) {
  if (!kernel_isa_supported(isa))
    throw ArgumentError(fmt::format("crossbar kernel {} is not supported by this CPU", kernel_isa_name(isa)));
  isa_ = isa;
}

std::vector<std::uint8_t> CrossbarLayer::cell_levels() const {
  std::vector<std::uint8_t> levels(groups_.size() * 2 * static_cast<std::size_t>(n_) * static_cast<std::size_t>(k_), 0);
  for (std::size_t gi = 0; gi < groups_.size(); ++gi)
    for (int side = 0; side < 2; ++side)
      for (const auto& pl : side == 0 ? groups_[gi].positive : groups_[gi].negative)
        for (int nn = 0; nn < n_; ++nn)
          for (int kk = 0; kk < k_; ++kk) {
            const std::uint64_t word = planes_[plane_index(pl.plane, geometry_.word_of(kk), nn)];
            if ((word >> geometry_.bit_of(kk)) & 1)
              levels[((gi * 2 + side) * n_ + nn) * k_ + kk] += static_cast<std::uint8_t>(pl.cell_weight);
          }
  return levels;
}

void CrossbarLayer::set_cell_deviations(std::vector<float> deviations) {
  const std::size_t need = groups_.size() * 2 * static_cast<std::size_t>(n_) * static_cast<std::size_t>(k_);
  if (!deviations.empty() && deviations.size() != need)
    throw ArgumentError(fmt::format("crossbar layer {}: {} cell deviations, expected {} (groups {} × 2 sides × N {} × "
                                    "K {})",
                                    layer_id_, deviations.size(), need, groups_.size(), n_, k_));
  deviations_ = std::move(deviations);
  if (!mtj_tables_.empty()) prepare_mtj_word_limits();  // word limits only serve exact PS
}

void CrossbarLayer::set_switching_curve(std::shared_ptr<const circuit::SwitchingCurve> curve) {
  if (!curve) throw ArgumentError(fmt::format("crossbar layer {}: switching curve is null", layer_id_));
  curve_ = std::move(curve);
  prepare_readout();
}

void CrossbarLayer::set_calibration(LayerCalibration calibration) {
  const std::size_t maps = calibration.mtj_maps.size(),
                    per_output = static_cast<std::size_t>(geometry_.subarrays) * static_cast<std::size_t>(conversions());
  if (maps != 0 && maps != per_output && maps != per_output * static_cast<std::size_t>(n_))
    throw ArgumentError(fmt::format("crossbar layer {}: {} MTJ affine maps for {} subarrays × {} conversions (input "
                                    "streams × column groups) and {} outputs (expected one per subarray and "
                                    "conversion, or per subarray, conversion and output)",
                                    layer_id_, maps, geometry_.subarrays, conversions(), n_));
  calibration_ = std::move(calibration);
  prepare_readout();
}

void CrossbarLayer::calibrate(const PsStatistics& stats) {
  LayerCalibration c;
  if (config_.readout.kind == ReadoutKind::kAdc && config_.readout.adc.calibrated_range)
    c.adc_range = std::max(1.0, stats.abs_percentile(config_.readout.adc.clip_percentile));
  if (config_.readout.kind == ReadoutKind::kStochasticMtj) {
    const auto& mtj = config_.readout.mtj;
    const auto map_for = [&](double mean, double sd) {
      circuit::AffineMap map;
      map.scale = 1.0 / (mtj.calibration_sigmas * std::max(sd, 0.5));
      map.offset = -mean * map.scale;
      return map;
    };
    const int conv = conversions();
    if (stats.columns != n_ || stats.conversions != conv ||
        stats.column_count.size() != static_cast<std::size_t>(geometry_.subarrays) * conv * n_)
      throw ArgumentError(fmt::format("crossbar layer {}: PS statistics of {} columns and {} conversions for {} outputs "
                                      "and {} conversions",
                                      layer_id_, stats.columns, stats.conversions, n_, conv));
    for (int s = 0; s < geometry_.subarrays; ++s)
      for (int q = 0; q < conv; ++q) {
        if (!mtj.per_column_calibration) {
          c.mtj_maps.push_back(map_for(stats.conversion_mean(s, q), stats.conversion_stddev(s, q)));
          continue;
        }
        for (int n = 0; n < n_; ++n) c.mtj_maps.push_back(map_for(stats.column_mean(s, q, n), stats.column_stddev(s, q, n)));
      }
  }
  set_calibration(std::move(c));
}

void CrossbarLayer::set_variation_address(std::uint64_t seed, std::uint32_t point, std::uint32_t trial) {
  variation_ = {seed, point, trial};
  if (!config_.cell.exact()) apply_cell_model();
  else if (config_.readout.kind == ReadoutKind::kStochasticMtj &&
           (!config_.readout.mtj.trim.ideal || config_.readout.mtj.has_variation || config_.readout.mtj.trim.in_situ))
    prepare_readout();
}

circuit::AffineMap CrossbarLayer::trimmed(const circuit::AffineMap& target, std::size_t trim) const {
  const auto& t = config_.readout.mtj.trim;
  if (t.ideal) return target;
  // One trim per calibrated map of this layer; its mismatch is drawn per (layer, map) and trial.
  rng::Stream stream(variation_.seed, {rng::Purpose::kTrimMismatch, variation_.point, variation_.trial,
                                       (static_cast<std::uint64_t>(layer_id_) << 32) + trim});
  const double z_gain = stream.normal(), z_offset = stream.normal();
  return circuit::trimmed_map(t, target, 1.0 / full_scale(), z_gain, z_offset);
}

bool CrossbarLayer::stream_idle(const std::uint64_t* act, int subarray, int q) const {
  const int words = geometry_.words(), wps = geometry_.words_per_subarray;
  const int i0 = q * config_.dac_bits, i1 = std::min(config_.input_bits, i0 + config_.dac_bits);
  for (int i = i0; i < i1; ++i)
    for (int w = 0; w < wps; ++w)
      if (act[static_cast<std::size_t>(i) * words + subarray * wps + w] != 0) return false;
  return true;
}

void CrossbarLayer::prepare_mtj_variation() {
  const auto& mtj = config_.readout.mtj;
  mtj_current_gain_.clear();
  mtj_gain_estimate_.clear();
  const bool vary = mtj.has_variation && mtj.converter_device;
  if (!vary && !mtj.trim.in_situ) return;
  // The converter of physical column (subarray s, group g, output n) is device
  // layer · 2^32 + (s · G + g) · N_pad + n; it serves the maps of every input stream.
  const int groups = static_cast<int>(groups_.size()), conv = map_conversions_;
  const double nominal = vary ? device::derive(*mtj.converter_device).critical_current_A : 0.0;
  const bool in_situ = mtj.trim.in_situ;
  // In-situ calibration (docs/physics.md, "Calibration as a circuit"): the column's 50 % current
  // I50 / g is found from `calibration_pulses` pulses, a frequency with standard error
  // sqrt(0.25 / N); through the column's slope g · P'(I50) that is a current error
  // sigma_I = sqrt(0.25 / N) / (g · P'(I50)). The column's driver reference is then trimmed by
  // 1 / ĝ (quantized): the MTJ sees (g / ĝ) · I(x).
  double i50 = 0.0, slope50 = 0.0;
  if (in_situ) {
    i50 = circuit::half_switching_current(*curve_, mtj.current_at_zero_A, mtj.current_per_unit_A);
    const double h = 1e-3 * std::abs(mtj.current_per_unit_A);
    slope50 = (curve_->probability(i50 + h) - curve_->probability(i50 - h)) / (2 * h);
  }
  std::map<std::uint64_t, std::pair<double, double>> gain_of_column;
  mtj_current_gain_.assign(maps_.size() / 2, 1.0);
  if (in_situ) mtj_gain_estimate_.assign(maps_.size() / 2, 1.0);
  for (int s = 0; s < geometry_.subarrays; ++s)
    for (int q = 0; q < conv; ++q)
      for (int n = 0; n < n_pad_; ++n) {
        const std::uint64_t column = (static_cast<std::uint64_t>(layer_id_) << 32) +
                                     (static_cast<std::uint64_t>(s) * groups + q % groups) * n_pad_ + n;
        auto [it, fresh] = gain_of_column.try_emplace(column, 1.0, 1.0);
        if (fresh) {
          double g = 1.0;
          if (vary) {
            const auto f = device::sample_factors(mtj.variation, variation_.seed, variation_.point, variation_.trial, column);
            g = nominal / device::derive(device::apply_factors(*mtj.converter_device, f)).critical_current_A;
          }
          it->second = {g, 1.0};
          if (in_situ) {
            rng::Stream stream(variation_.seed, {rng::Purpose::kDeviceCalibration, variation_.point, variation_.trial, column});
            const double sigma_i = std::sqrt(0.25 / mtj.trim.calibration_pulses) / (g * slope50);
            const double estimate = mtj.current_at_zero_A / (i50 / g + sigma_i * stream.normal());
            it->second = {g * circuit::current_trim(mtj.trim, 1.0 / estimate), estimate};
          }
        }
        const auto map = static_cast<std::size_t>(map_of(s, q, n));
        mtj_current_gain_[map] = it->second.first;
        if (in_situ) mtj_gain_estimate_[map] = it->second.second;
      }
}

double CrossbarLayer::map_probability(std::size_t signed_map, double x) const {
  const auto& mtj = config_.readout.mtj;
  const double current = mtj.current_at_zero_A + x * mtj.current_per_unit_A;
  return curve_->probability(mtj_current_gain_.empty() ? current : mtj_current_gain_[signed_map / 2] * current);
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
  if (r.kind == ReadoutKind::kZebraLcu)
    lcu_sense_ = circuit::LcuSense(r.lcu.levels, static_cast<double>(r.lcu.group_rows) * config_.max_cell_value());
  if (r.kind != ReadoutKind::kStochasticMtj) return;
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
      for (std::size_t side = 0; side < 2; ++side) maps_[2 * mi + side] = trimmed(decode_maps_[2 * mi + side], trim_of[mi]);
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
      if (inserted) mtj_tables_.push_back({t, {}, {}, {}, {}});
      table_index_[static_cast<std::size_t>(q * groups + g)] = it->second;
    }
  const int ifs = static_cast<int>(fs);
  const std::size_t levels = 2 * static_cast<std::size_t>(ifs) + 1;
  // Threshold tables up to 16 MiB per T; beyond that the word limits below (or P per PS).
  constexpr std::size_t kMaxTableBytes = std::size_t{16} << 20;
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
    if (bytes > kMaxTableBytes || config_.noise.any()) continue;
    table.thresholds.assign(static_cast<std::size_t>(maps) * levels * t, 0);
    if (t < circuit::kBinomialAmbiguous) table.buckets.assign(static_cast<std::size_t>(maps) * levels * 256, 0);
    for (int sm = 0; sm < maps; ++sm)
      for (int ps = -ifs; ps <= ifs; ++ps) {
        const std::size_t row = static_cast<std::size_t>(sm) * levels + static_cast<std::size_t>(ps + ifs);
        const double x = maps_[static_cast<std::size_t>(sm)].x_of(ps);
        const double p = map_probability(static_cast<std::size_t>(sm), x);
        const std::span<std::uint32_t> thresholds{table.thresholds.data() + row * t, static_cast<std::size_t>(t)};
        circuit::binomial_thresholds(t, p, thresholds);
        if (t < circuit::kBinomialAmbiguous) circuit::binomial_buckets(thresholds, {table.buckets.data() + row * 256, 256});
      }
  }
  prepare_mtj_word_limits();
}

void CrossbarLayer::prepare_mtj_word_limits() {
  mtj_word_limits_.clear();
  mtj_word_limits_.shrink_to_fit();
  // Word limits up to 64 MiB, for a T without threshold tables; beyond that (and for analog
  // values: noise, cell deviations) P is evaluated per PS.
  constexpr std::size_t kMaxLimitBytes = std::size_t{64} << 20;
  const bool per_ps = std::any_of(mtj_tables_.begin(), mtj_tables_.end(),
                                  [](const MtjTable& table) { return table.thresholds.empty(); });
  const int ifs = static_cast<int>(full_scale());
  const std::size_t maps = maps_.size(), levels = 2 * static_cast<std::size_t>(ifs) + 1;
  if (config_.readout.kind != ReadoutKind::kStochasticMtj || !per_ps || config_.noise.any() || !deviations_.empty() ||
      maps * levels * sizeof(std::uint64_t) > kMaxLimitBytes)
    return;
  mtj_word_limits_.resize(maps * levels);
  for (std::size_t sm = 0; sm < maps; ++sm)
    for (int ps = -ifs; ps <= ifs; ++ps) {
      const double x = maps_[sm].x_of(ps);
      const double p = map_probability(sm, x);
      mtj_word_limits_[sm * levels + static_cast<std::size_t>(ps + ifs)] = circuit::mtj_word_limit(p);
    }
}

std::size_t CrossbarLayer::readout_table_bytes() const {
  std::size_t bytes = mtj_word_limits_.size() * sizeof(std::uint64_t);
  for (const auto& table : mtj_tables_)
    bytes += table.decoded.size() * sizeof(float) + table.thresholds.size() * sizeof(std::uint32_t) +
             table.buckets.size() + table.slope.size() * sizeof(float);
  return bytes;
}

// ---------------------------------------------------------------- statistics

double PsStatistics::abs_percentile(double pct) const {
  std::vector<std::uint64_t> by_abs(static_cast<std::size_t>(full_scale) + 1, 0);
  std::uint64_t total = 0;
  for (const auto& h : histogram)
    for (std::size_t i = 0; i < h.size(); ++i) {
      by_abs[static_cast<std::size_t>(std::abs(static_cast<int>(i) - full_scale))] += h[i];
      total += h[i];
    }
  if (total == 0) return 0.0;
  const double target = pct / 100.0 * static_cast<double>(total);
  std::uint64_t cum = 0;
  for (std::size_t c = 0; c < by_abs.size(); ++c) {
    cum += by_abs[c];
    if (static_cast<double>(cum) >= target) return static_cast<double>(c);
  }
  return static_cast<double>(full_scale);
}

std::pair<double, double> PsStatistics::moments(std::size_t first, std::size_t count) const {
  double c = 0, sum = 0, sum2 = 0;
  for (std::size_t j = first; j < first + count; ++j) {
    c += column_count.at(j);
    sum += column_sum[j];
    sum2 += column_sum_squares[j];
  }
  if (c <= 0) return {0.0, 0.0};
  const double mu = sum / c;
  return {mu, c < 2 ? 0.0 : std::sqrt(std::max(0.0, (sum2 - c * mu * mu) / (c - 1)))};
}

double PsStatistics::column_mean(int s, int q, int n) const {
  return moments((static_cast<std::size_t>(s) * conversions + q) * columns + n, 1).first;
}

double PsStatistics::column_stddev(int s, int q, int n) const {
  return moments((static_cast<std::size_t>(s) * conversions + q) * columns + n, 1).second;
}

double PsStatistics::conversion_mean(int s, int q) const {
  return moments((static_cast<std::size_t>(s) * conversions + q) * columns, static_cast<std::size_t>(columns)).first;
}

double PsStatistics::conversion_stddev(int s, int q) const {
  return moments((static_cast<std::size_t>(s) * conversions + q) * columns, static_cast<std::size_t>(columns)).second;
}

void PsStatistics::merge(const PsStatistics& o) {
  if (histogram.empty()) {
    *this = o;
    return;
  }
  if (o.full_scale != full_scale || o.histogram.size() != histogram.size() || o.columns != columns ||
      o.conversions != conversions)
    throw ArgumentError("PS statistics of different layers cannot be merged");
  for (std::size_t s = 0; s < histogram.size(); ++s)
    for (std::size_t i = 0; i < histogram[s].size(); ++i) histogram[s][i] += o.histogram[s][i];
  for (std::size_t i = 0; i < column_count.size(); ++i) {
    column_count[i] += o.column_count[i];
    column_sum[i] += o.column_sum[i];
    column_sum_squares[i] += o.column_sum_squares[i];
  }
}

void CrossbarLayer::readout_slopes(std::span<const std::uint8_t> activations, int m, std::span<float> slopes,
                                   SlopeModel model) const {
  const int subarrays = geometry_.subarrays;
  if (m < 0 || activations.size() != static_cast<std::size_t>(m) * static_cast<std::size_t>(k_) ||
      slopes.size() != static_cast<std::size_t>(m) * subarrays * n_)
    throw ArgumentError(fmt::format("crossbar layer {}: readout slopes of {} activations and {} slopes for M = {}, "
                                    "K = {}, {} subarrays, N = {}",
                                    layer_id_, activations.size(), slopes.size(), m, k_, subarrays, n_));
  const auto kind = config_.readout.kind;
  if (kind != ReadoutKind::kAdc && kind != ReadoutKind::kStochasticMtj) {
    std::fill(slopes.begin(), slopes.end(), 1.0f);
    return;
  }
  const int words = geometry_.words(), bits = config_.input_bits, streams = config_.input_streams();
  const int groups = static_cast<int>(groups_.size());
  const std::size_t elements = groups_.size() * static_cast<std::size_t>(n_pad_);
  const bool skip_zero = kind == ReadoutKind::kStochasticMtj && config_.readout.mtj.sparse;
  // Rows are independent: each thread packs and reads its own rows.
#pragma omp parallel
  {
    std::vector<std::uint64_t> act(static_cast<std::size_t>(bits) * words);
    std::vector<std::int32_t> tmp(static_cast<std::size_t>(plane_count_) * n_pad_), pos(elements), neg(elements);
    std::vector<double> weighted(static_cast<std::size_t>(n_)), total(static_cast<std::size_t>(n_));
#pragma omp for schedule(static)
    for (int row = 0; row < m; ++row) {
      pack_bit_planes(isa_, activations.subspan(static_cast<std::size_t>(row) * k_, static_cast<std::size_t>(k_)),
                      bits, geometry_, act);
      for (int s = 0; s < subarrays; ++s) {
        std::fill(weighted.begin(), weighted.end(), 0.0);
        std::fill(total.begin(), total.end(), 0.0);
        for (int q = 0; q < streams; ++q) {
          stream_partial_sums(act.data(), s, q, tmp.data(), pos.data(), neg.data());
          const bool idle = skip_zero && stream_idle(act.data(), s, q);
          const double stream_weight = std::ldexp(1.0, q * config_.dac_bits);
          for (int g = 0; g < groups; ++g) {
            const double w = stream_weight * std::abs(shift_weights_[static_cast<std::size_t>(g)]);
            const std::int32_t* gp = pos.data() + static_cast<std::ptrdiff_t>(g) * n_pad_;
            const std::int32_t* gn = neg.data() + static_cast<std::ptrdiff_t>(g) * n_pad_;
            for (int n = 0; n < n_; ++n) total[static_cast<std::size_t>(n)] += w;
            // dPS_out/dPS of each output's PS.
            if (kind == ReadoutKind::kAdc) {
              const std::size_t e0 = static_cast<std::size_t>(g) * n_pad_;
              for (int n = 0; n < n_; ++n) {
                const std::size_t e = e0 + static_cast<std::size_t>(n);
                const double code = (gp[n] - gn[n]) * static_cast<double>(adc_inverse_step_[e]);
                const bool inside = code >= adc_min_code_[e] - 0.5 && code <= adc_max_code_[e] + 0.5;
                weighted[static_cast<std::size_t>(n)] += inside ? w : 0.0;
              }
              continue;
            }
            const int conversion = q * groups + g;
            const int sign = groups_[static_cast<std::size_t>(g)].signed_readout ? 1 : 0;
            const int base = map_of(s, conversion, 0) * 2 + sign, step = column_maps_ ? 2 : 0;
            const auto& table = mtj_tables_[static_cast<std::size_t>(
                table_index_[static_cast<std::size_t>(conversion)])];
            for (int n = 0; n < n_; ++n) {
              double slope = 1.0;  // a skipped (all-zero) PS is passed exactly
              if (!(skip_zero && mtj_skips(idle, s, g, n, gp[n], gn[n]))) {
                const auto& map = decode_maps_[static_cast<std::size_t>(base + n * step)];
                const double x = map.scale * (gp[n] - gn[n]) + map.offset;
                // PS_out = ps_of(x̂) = (x̂ − offset)/scale: dE[PS_out]/dPS = dE[x̂]/dx.
                slope = std::abs(x) > 1.0                ? 0.0
                        : model == SlopeModel::kRange ? 1.0
                                                      : table.slope[static_cast<std::size_t>(
                                                            std::lround((x + 1.0) * 0.5 * (kSlopePoints - 1)))];
              }
              weighted[static_cast<std::size_t>(n)] += w * slope;
            }
          }
        }
        float* out = slopes.data() + (static_cast<std::size_t>(s) * m + row) * n_;
        for (int n = 0; n < n_; ++n)
          out[n] = total[static_cast<std::size_t>(n)] > 0.0
                       ? static_cast<float>(weighted[static_cast<std::size_t>(n)] / total[static_cast<std::size_t>(n)])
                       : 1.0f;
      }
    }
  }
}

PsStatistics CrossbarLayer::collect_statistics(std::span<const std::uint8_t> activations, int m) const {
  if (m < 0 || activations.size() != static_cast<std::size_t>(m) * static_cast<std::size_t>(k_))
    throw ArgumentError(fmt::format("crossbar layer {}: {} activations for M = {} × K = {}", layer_id_,
                                    activations.size(), m, k_));
  const int fs = static_cast<int>(full_scale());
  PsStatistics stats;
  stats.full_scale = fs;
  stats.columns = n_;
  stats.conversions = conversions();
  stats.histogram.assign(static_cast<std::size_t>(geometry_.subarrays),
                         std::vector<std::uint64_t>(static_cast<std::size_t>(2 * fs + 1), 0));
  const std::size_t cells = static_cast<std::size_t>(geometry_.subarrays) * stats.conversions * n_;
  for (auto* v : {&stats.column_count, &stats.column_sum, &stats.column_sum_squares}) v->assign(cells, 0.0);
  const int words = geometry_.words(), bits = config_.input_bits;
  const std::size_t elements = groups_.size() * static_cast<std::size_t>(n_pad_);
  const bool skip_zero = config_.readout.kind == ReadoutKind::kStochasticMtj && config_.readout.mtj.sparse;
  // Each thread counts its rows; the counts and sums are of integers, so the merged totals do
  // not depend on the thread count or order.
  const PsStatistics empty = stats;
#pragma omp parallel
  {
    PsStatistics mine = empty;
    std::vector<std::uint64_t> act(static_cast<std::size_t>(bits) * words);
    std::vector<std::int32_t> tmp(static_cast<std::size_t>(plane_count_) * n_pad_), pos(elements), neg(elements);
#pragma omp for schedule(static) nowait
    for (int row = 0; row < m; ++row) {
      pack_bit_planes(isa_, activations.subspan(static_cast<std::size_t>(row) * k_, static_cast<std::size_t>(k_)),
                      bits, geometry_, act);
      for (int s = 0; s < geometry_.subarrays; ++s)
        for (int q = 0; q < config_.input_streams(); ++q) {
          stream_partial_sums(act.data(), s, q, tmp.data(), pos.data(), neg.data());
          const bool idle = skip_zero && stream_idle(act.data(), s, q);
          auto& h = mine.histogram[static_cast<std::size_t>(s)];
          for (std::size_t g = 0; g < groups_.size(); ++g)
            for (int n = 0; n < n_; ++n) {
              const std::size_t e = g * n_pad_ + n;
              const int ps = pos[e] - neg[e];
              ++h[static_cast<std::size_t>(ps + fs)];
              if (skip_zero && mtj_skips(idle, s, static_cast<int>(g), n, pos[e], neg[e]))
                continue;  // never converted: not in the maps' moments
              const std::size_t c = (static_cast<std::size_t>(s) * stats.conversions + q * groups_.size() + g) *
                                        static_cast<std::size_t>(n_) +
                                    n;
              mine.column_count[c] += 1.0;
              mine.column_sum[c] += ps;
              mine.column_sum_squares[c] += static_cast<double>(ps) * ps;
            }
        }
    }
#pragma omp critical(cimmc_ps_statistics)
    stats.merge(mine);
  }
  return stats;
}

}  // namespace cimmc::arch
