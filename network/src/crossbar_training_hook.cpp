#include "cimmc/network/crossbar_training_hook.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>

#include "cimmc/core/error.hpp"

namespace cimmc::network {

namespace {
// A 64-bit hash of activation codes (a guard that kept slopes belong to these rows).
std::uint64_t codes_hash(const std::vector<std::uint8_t>& codes) {
  std::uint64_t h = 0x9E3779B97F4A7C15u ^ codes.size();
  std::size_t i = 0;
  const auto mix = [&h](std::uint64_t v) {
    h = (h ^ v) * 0xBF58476D1CE4E5B9u;
    h ^= h >> 31;
  };
  for (; i + 8 <= codes.size(); i += 8) {
    std::uint64_t v;
    std::memcpy(&v, codes.data() + i, 8);
    mix(v);
  }
  std::uint64_t tail = 0;
  std::memcpy(&tail, codes.data() + i, codes.size() - i);
  mix(tail);
  return h ^ (h >> 29);
}
}  // namespace

PsGradient parse_ps_gradient(std::string_view name) {
  if (name == "straight-through") return PsGradient::kStraightThrough;
  if (name == "readout-range") return PsGradient::kReadoutRange;
  if (name == "expected-curve") return PsGradient::kExpectedCurve;
  throw core::ArgumentError(
      fmt::format("PS gradient \"{}\": expected \"straight-through\", \"readout-range\" or \"expected-curve\"", name));
}

std::string_view ps_gradient_name(PsGradient g) {
  switch (g) {
    case PsGradient::kReadoutRange: return "readout-range";
    case PsGradient::kExpectedCurve: return "expected-curve";
    case PsGradient::kStraightThrough: break;
  }
  return "straight-through";
}

CrossbarTrainingHook::CrossbarTrainingHook(arch::CrossbarConfig config, int gemm_layers, std::uint64_t seed,
                                           PsGradient gradient)
    : config_(std::move(config)), gemm_layers_(gemm_layers), seed_(seed), gradient_(gradient) {
  config_.validate();
  if (gemm_layers_ <= 0) throw core::ArgumentError("crossbar training hook: the model has no Conv/Linear layer");
}

bool CrossbarTrainingHook::needs_calibration() const { return readout_needs_calibration(config_); }

bool readout_needs_calibration(const arch::CrossbarConfig& config) {
  const auto& r = config.readout;
  return (r.kind == circuit::ReadoutKind::kAdc && r.adc.calibrated_range) ||
         r.kind == circuit::ReadoutKind::kStochasticMtj;
}

void CrossbarTrainingHook::begin_calibration() {
  std::lock_guard lock(mutex_);
  calibrating_ = true;
  for (auto& [index, s] : layers_) {
    s.statistics = {};
    s.has_statistics = false;
  }
}

void CrossbarTrainingHook::end_calibration() {
  std::lock_guard lock(mutex_);
  calibrating_ = false;
  for (auto& [index, s] : layers_) {
    if (!s.has_statistics) continue;
    // The layer is already programmed with s.weights at the seed's variation address: calibrating
    // it gives what a new layer calibrated on the same statistics gives, without building the
    // readout tables twice (or reading a device table again).
    writable_layer(s)->calibrate(s.statistics);
    ++s.version;
    s.calibration = s.layer->calibration();
    s.calibrated = true;
    s.statistics = {};
    s.has_statistics = false;
  }
}

const std::shared_ptr<arch::CrossbarLayer>& CrossbarTrainingHook::writable_layer(LayerState& s) {
  // Every other holder took its copy under the mutex, which the caller holds: a count of 1 means
  // nobody else can be reading the layer (the fence orders our writes after their reads).
  if (s.layer.use_count() > 1) s.layer = std::make_shared<arch::CrossbarLayer>(*s.layer);
  std::atomic_thread_fence(std::memory_order_acquire);
  return s.layer;
}

void CrossbarTrainingHook::set_slope_cache_bytes(std::size_t bytes) {
  std::lock_guard lock(mutex_);
  slope_cache_cap_ = bytes;
  kept_slopes_.clear();
  kept_slope_bytes_ = 0;
}

CrossbarTrainingHook::SlopeCounts CrossbarTrainingHook::slope_counts() const {
  std::lock_guard lock(mutex_);
  return slope_counts_;
}

arch::CrossbarLayer::SlopeModel CrossbarTrainingHook::slope_model() const {
  return gradient_ == PsGradient::kExpectedCurve ? arch::CrossbarLayer::SlopeModel::kExpected
                                                 : arch::CrossbarLayer::SlopeModel::kRange;
}

std::shared_ptr<const arch::CrossbarLayer> CrossbarTrainingHook::layer_for(const GemmHookContext& c,
                                                                           std::uint64_t* version) {
  const int N = c.N, K = c.K;
  const std::size_t size = static_cast<std::size_t>(N) * K;
  std::lock_guard lock(mutex_);
  LayerState& s = layers_[c.layer_index];
  const bool same_shape = s.layer && s.n == N && s.k == K;
  // Every image of a batch (and the backward pass) sees the weights of one optimizer step: the
  // float weights are compared with those the codes came from before anything is recomputed.
  if (same_shape && s.source.size() == size) {
    bool same = true;
    for (int n = 0; n < N && same; ++n)
      for (int k = 0; k < K; ++k)
        if (s.source[static_cast<std::size_t>(n) * K + k] != c.weights(n, k)) {
          same = false;
          break;
        }
    if (same) {
      if (version) *version = s.version;
      return s.layer;
    }
  }
  std::vector<float> source(size);
  std::vector<std::int8_t> codes(size);
  for (int n = 0; n < N; ++n)
    for (int k = 0; k < K; ++k) {
      const float w = c.weights(n, k);
      source[static_cast<std::size_t>(n) * K + k] = w;
      codes[static_cast<std::size_t>(n) * K + k] = static_cast<std::int8_t>(std::lround(w));
    }
  if (same_shape && codes != s.weights) {
    writable_layer(s)->reprogram(codes);  // the readout tables stay unless the planes in use change
  } else if (!same_shape) {
    auto layer = std::make_shared<arch::CrossbarLayer>(config_, c.layer_index, codes, N, K);
    layer->set_variation_address(seed_, 0, 0);
    if (s.calibrated) layer->set_calibration(s.calibration);
    s.layer = std::move(layer);
    s.n = N;
    s.k = K;
  }
  s.weights = std::move(codes);
  s.source = std::move(source);
  ++s.version;
  if (version) *version = s.version;
  return s.layer;
}

bool CrossbarTrainingHook::crossbar_layer(const GemmHookContext& c) const {
  if (!c.quantized)
    throw core::ModelError(
        fmt::format("layer {} ({}): crossbar-aware training needs quantization-aware training "
                    "(a quantized forward pass)",
                    c.layer_index, c.layer_name));
  if (config_.is_digital(c.layer_index, gemm_layers_)) return false;
  if (c.activation_bits > config_.input_bits || c.weight_bits > config_.weight_bits)
    throw core::ModelError(fmt::format(
        "layer {} ({}): {}-bit activations and {}-bit weights do not fit the crossbar's {} "
        "input and {} weight bits",
        c.layer_index, c.layer_name, c.activation_bits, c.weight_bits, config_.input_bits, config_.weight_bits));
  return true;
}

void CrossbarTrainingHook::activation_codes(const GemmHookContext& c, std::vector<std::uint8_t>& activations) {
  const int M = c.M, K = c.K;
  activations.resize(static_cast<std::size_t>(M) * K);
  const MatrixView& a = c.activations;
  // NOLINTBEGIN(bugprone-incorrect-roundings): codes >= 0
  if (a.col_stride == 1) {  // contiguous rows: a loop the compiler vectorizes
    for (int m = 0; m < M; ++m) {
      const float* in = a.data + m * a.row_stride;
      std::uint8_t* out = activations.data() + static_cast<std::size_t>(m) * K;
      for (int k = 0; k < K; ++k) out[k] = static_cast<std::uint8_t>(in[k] + 0.5f);
    }
  } else if (a.row_stride == 1) {
    // Contiguous columns (a convolution's K × P im2col): blocks of 64 rows, read along a column,
    // so that neither side strides through memory a row or column at a time.
    constexpr int kBlock = 64;
    for (int m0 = 0; m0 < M; m0 += kBlock) {
      const int m1 = std::min(M, m0 + kBlock);
      for (int k = 0; k < K; ++k) {
        const float* in = a.data + k * a.col_stride;
        for (int m = m0; m < m1; ++m)
          activations[static_cast<std::size_t>(m) * K + static_cast<std::size_t>(k)] =
              static_cast<std::uint8_t>(in[m] + 0.5f);
      }
    }
  } else {
    for (int m = 0; m < M; ++m)
      for (int k = 0; k < K; ++k)
        activations[static_cast<std::size_t>(m) * K + static_cast<std::size_t>(k)] =
            static_cast<std::uint8_t>(a(m, k) + 0.5f);
  }
  // NOLINTEND(bugprone-incorrect-roundings)
}

bool CrossbarTrainingHook::range_scales(const GemmHookContext& c, std::vector<int>& bounds,
                                        std::vector<float>& scales) {
  if (gradient_ == PsGradient::kStraightThrough) return false;
  if (!crossbar_layer(c)) return false;
  std::vector<std::uint8_t> activations;
  activation_codes(c, activations);
  std::uint64_t version = 0;
  const auto layer = layer_for(c, &version);
  const int M = c.M, N = c.N, S = layer->geometry().subarrays, R = layer->geometry().rows;
  bool kept = false;  // the forward pass of these rows kept their slopes
  const std::uint64_t hash = codes_hash(activations);
  {
    std::lock_guard lock(mutex_);
    const auto it = kept_slopes_.find({c.layer_index, c.image_offset, M});
    if (it != kept_slopes_.end()) {
      kept_slope_bytes_ -= it->second.slopes.size() * sizeof(float);
      kept = it->second.version == version && it->second.activations_hash == hash;
      if (kept) scales = std::move(it->second.slopes);
      kept_slopes_.erase(it);
    }
    ++(kept ? slope_counts_.reused : slope_counts_.computed);
  }
  if (!kept) {
    scales.resize(static_cast<std::size_t>(M) * S * N);  // [subarray][m][n], as range_scales wants
    layer->readout_slopes(activations, M, scales, slope_model());
  }
  bounds.resize(static_cast<std::size_t>(S) + 1);
  for (int s = 0; s <= S; ++s) bounds[static_cast<std::size_t>(s)] = std::min(c.K, s * R);
  return true;
}

void CrossbarTrainingHook::forward(const GemmHookContext& c, MatrixView output) {
  if (!crossbar_layer(c)) return;
  std::vector<std::uint8_t> activations;
  activation_codes(c, activations);
  const int M = c.M, N = c.N;
  std::uint64_t version = 0;
  const auto layer = layer_for(c, &version);
  if (calibrating_) {
    auto stats = layer->collect_statistics(activations, M);
    std::lock_guard lock(mutex_);
    LayerState& s = layers_[c.layer_index];
    if (s.has_statistics) s.statistics.merge(stats);
    else s.statistics = std::move(stats);
    s.has_statistics = true;
    return;  // the calibration pass sees the exact GEMM
  }
  arch::RunAddress address;
  address.trial = static_cast<std::uint32_t>(c.step & 0xFFFFFFu);
  address.gemm = static_cast<std::uint32_t>(c.layer_index);  // the network's GEMM layer index
  // In training the step already tells batches apart, and image indices (epoch · N + position)
  // would outgrow the 20-bit image field after a few dozen epochs: they wrap at 2^19.
  address.first_image = c.training ? c.image_offset % (std::size_t{1} << 19) : c.image_offset;
  address.rows_per_image = static_cast<std::uint32_t>(c.images > 0 ? M / c.images : M);
  std::vector<double> out(static_cast<std::size_t>(M) * N);
  arch::Counters counters;
  // A training step's backward pass reads the slopes of these rows: kept now, from the partial
  // sums the run computes anyway, if they fit the cap (a new step drops what the last one left).
  std::vector<float> slopes;
  if (c.training && gradient_ != PsGradient::kStraightThrough) {
    const std::size_t size = static_cast<std::size_t>(M) * layer->geometry().subarrays * N;
    std::lock_guard lock(mutex_);
    if (c.step != kept_slopes_step_) {
      kept_slopes_.clear();
      kept_slope_bytes_ = 0;
      kept_slopes_step_ = c.step;
    }
    if (kept_slope_bytes_ + size * sizeof(float) <= slope_cache_cap_) {
      kept_slope_bytes_ += size * sizeof(float);  // reserved before the run, released if unused
      slopes.resize(size);
    }
  }
  layer->run(activations, M, address, seed_, out, counters, slopes, slope_model());
  if (!slopes.empty()) {
    KeptSlopes entry{version, codes_hash(activations), std::move(slopes)};
    std::lock_guard lock(mutex_);
    auto [it, inserted] = kept_slopes_.try_emplace({c.layer_index, c.image_offset, M});
    if (!inserted) kept_slope_bytes_ -= it->second.slopes.size() * sizeof(float);
    it->second = std::move(entry);
  }
  for (int m = 0; m < M; ++m)
    for (int n = 0; n < N; ++n) output(m, n) = static_cast<float>(out[static_cast<std::size_t>(m) * N + n]);
}

}  // namespace cimmc::network
