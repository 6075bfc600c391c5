// Weight mapping of the crossbar engine (docs/architecture.md, 3.2): signed digits as bit
// planes, planes as physical column groups, all-zero columns; the kernel choice.
#include "cimmc/arch/crossbar_layer.hpp"

#include <fmt/format.h>

#include <vector>

#include "cimmc/core/error.hpp"

namespace cimmc::arch {

CrossbarLayer::CrossbarLayer(const CrossbarConfig& config, int layer_id, std::span<const std::int8_t> weights, int n,
                             int k)
    : config_(config), layer_id_(layer_id), n_(n), k_(k), n_pad_(pad_columns(n)) {
  config_.validate();
  if (n < 1 || k < 1 || weights.size() != static_cast<std::size_t>(n) * static_cast<std::size_t>(k))
    throw core::ArgumentError(fmt::format("crossbar layer {}: {} weights for N = {} outputs × K = {} inputs", layer_id,
                                          weights.size(), n, k));
  if (layer_id < 0 || static_cast<std::uint32_t>(layer_id) > kMaxGemm)
    throw core::ArgumentError(fmt::format("crossbar layer id {} is out of range [0, {}]", layer_id, kMaxGemm));
  geometry_ = PlaneGeometry::make(k, config_.rows);
  isa_ = core::detect_kernel_isa();
  map_weights(weights);
  if (config_.cell.exact()) prepare_readout();
  else apply_cell_model();  // prepares the readout too
}

void CrossbarLayer::reprogram(std::span<const std::int8_t> weights) {
  if (weights.size() != static_cast<std::size_t>(n_) * static_cast<std::size_t>(k_))
    throw core::ArgumentError(fmt::format("crossbar layer {}: {} weights to reprogram N = {} outputs × K = {} inputs",
                                          layer_id_, weights.size(), n_, k_));
  const std::vector<std::string> planes_before = plane_names_;
  map_weights(weights);
  if (plane_names_ != planes_before) {
    // Other column groups: the layer is prepared as a new one, then given the calibration, which
    // must fit the new groups (set_calibration throws otherwise, leaving the layer uncalibrated).
    LayerCalibration calibration = std::move(calibration_);
    calibration_ = {};
    deviations_.clear();
    if (config_.cell.exact()) prepare_readout();
    else apply_cell_model();
    if (!calibration.mtj_maps.empty() || calibration.adc_range > 0.0) set_calibration(std::move(calibration));
    return;
  }
  if (!config_.cell.exact()) {
    apply_cell_model();  // the deviations follow the stored levels; prepares the readout too
    return;
  }
  // The readout tables depend on the mapping only through the column groups, which follow from
  // the planes in use (and on the deviations, which a new layer does not have).
  if (!deviations_.empty()) {
    deviations_.clear();
    prepare_readout();
  }
}

void CrossbarLayer::map_weights(std::span<const std::int8_t> weights) {
  const int n = n_, k = k_, layer_id = layer_id_;
  const int bits = config_.weight_bits;
  const int lo = -(1 << (bits - 1)), hi = (1 << (bits - 1)) - 1;
  bool has_min = false;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    if (weights[i] < lo || weights[i] > hi)
      throw core::ArgumentError(
          fmt::format("crossbar layer {}: weight [{}, {}] = {} does not fit in {} bits ([{}, {}])", layer_id,
                      i / static_cast<std::size_t>(k), i % static_cast<std::size_t>(k), weights[i], bits, lo, hi));
    has_min = has_min || weights[i] == lo;
  }
  plane_names_.clear();
  groups_.clear();
  shift_weights_.clear();
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
  // column for it). The digits of each value are computed once here and looked up per weight
  // below (a layer is reprogrammed at every training step).
  std::vector<SignedDigits> digits_table(static_cast<std::size_t>(hi - lo + 1));
  std::vector<bool> plus_used(bits, false), minus_used(bits, false);
  bool flag_used = false;
  for (int v = has_min ? lo : lo + 1; v <= hi; ++v) {
    const SignedDigits& d = digits_table[static_cast<std::size_t>(v - lo)] = digits_of(v);
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
      const SignedDigits& d =
          digits_table[static_cast<std::size_t>(weights[static_cast<std::size_t>(nn) * k + kk] - lo)];
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
  prepare_lcu_sense_table();
}

std::vector<double> CrossbarLayer::plane_densities() const {
  std::vector<double> d(plane_ones_.size());
  const double cells = static_cast<double>(n_) * static_cast<double>(k_);
  for (std::size_t p = 0; p < d.size(); ++p) d[p] = static_cast<double>(plane_ones_[p]) / cells;
  return d;
}

void CrossbarLayer::set_kernel(core::KernelIsa isa) {
  if (!core::kernel_isa_supported(isa))
    throw core::ArgumentError(
        fmt::format("crossbar kernel {} is not supported by this CPU", core::kernel_isa_name(isa)));
  isa_ = isa;
}

}  // namespace cimmc::arch
