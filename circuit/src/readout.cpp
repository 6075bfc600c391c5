#include "cimmc/circuit/readout.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <filesystem>

#include "cimmc/core/error.hpp"
#include "cimmc/device/sot_mtj_params.hpp"
#include "cimmc/device/switching_table.hpp"

namespace cimmc::circuit {

std::string_view readout_name(ReadoutKind kind) {
  switch (kind) {
    case ReadoutKind::kIdeal: return "ideal";
    case ReadoutKind::kAdc: return "adc";
    case ReadoutKind::kStochasticMtj: return "stochastic_mtj";
    case ReadoutKind::kZebraLcu: return "zebra_lcu";
  }
  return "unknown";
}

namespace {
bool matches(const std::vector<int>& list, int value) {
  return list.empty() || std::find(list.begin(), list.end(), value) != list.end();
}

void read_int_list(core::config::TableReader& t, std::string_view key, std::vector<int>& out, int lo, int hi,
                   const std::string& what) {
  if (!t.optional(key, out)) return;
  bool ok = true;
  for (int v : out) ok = ok && v >= lo && v <= hi;
  t.check(ok, key, fmt::format("a list of {} in [{}, {}]", what, lo, hi));
}
}  // namespace

int MtjParams::samples_for(int gemm, int input_bit, int weight_bit) const {
  int t = samples;
  for (const auto& r : samples_rule)
    if (matches(r.gemms, gemm) && matches(r.input_bit, input_bit) && matches(r.weight_bit, weight_bit)) t = r.samples;
  return t;
}

std::unique_ptr<SwitchingCurve> MtjParams::make_curve() const {
  if (curve == "tabulated") return std::make_unique<TabulatedSwitchingCurve>(table_current_A, table_probability);
  if (curve == "device_table")
    return std::make_unique<DeviceTableSwitchingCurve>(
        table ? table : std::make_shared<const device::SwitchingTable>(device::SwitchingTable::load(table_file)),
        pulse_width_s);
  return std::make_unique<SigmoidSwitchingCurve>(current_at_zero_A, current_per_unit_A / slope);
}

std::string_view readout_sampling_name(ReadoutSampling s) {
  switch (s) {
    case ReadoutSampling::kAuto: return "auto";
    case ReadoutSampling::kDirect: return "direct";
    case ReadoutSampling::kRareEvent: return "rare_event";
    case ReadoutSampling::kLevel: return "level";
  }
  return "unknown";
}

std::optional<ReadoutKind> parse_readout_kind(std::string_view name) {
  for (const ReadoutKind k :
       {ReadoutKind::kIdeal, ReadoutKind::kAdc, ReadoutKind::kStochasticMtj, ReadoutKind::kZebraLcu})
    if (readout_name(k) == name) return k;
  return std::nullopt;
}

std::optional<ReadoutSampling> parse_readout_sampling(std::string_view name) {
  for (const ReadoutSampling v :
       {ReadoutSampling::kAuto, ReadoutSampling::kDirect, ReadoutSampling::kRareEvent, ReadoutSampling::kLevel})
    if (readout_sampling_name(v) == name) return v;
  return std::nullopt;
}

bool sampling_fits_kind(const ReadoutParams& p) {
  if (p.sampling == ReadoutSampling::kLevel) return p.kind == ReadoutKind::kAdc;
  return p.sampling != ReadoutSampling::kRareEvent || p.kind == ReadoutKind::kAdc || p.kind == ReadoutKind::kZebraLcu;
}

std::string_view mtj_decode_name(MtjDecode decode) { return decode == MtjDecode::kMean ? "mean" : "inverse"; }

std::vector<double> mtj_decode_points(const MtjParams& params, const SwitchingCurve& curve, int samples) {
  if (samples < 1) throw core::ArgumentError(fmt::format("MTJ decoding needs T >= 1 samples (got {})", samples));
  std::vector<double> points(static_cast<std::size_t>(samples) + 1);
  const auto p_of = [&](double x) {
    return curve.probability(params.current_at_zero_A + x * params.current_per_unit_A);
  };
  const double p_lo = p_of(-1.0), p_hi = p_of(1.0);
  for (int k = 0; k <= samples; ++k) {
    const double y = static_cast<double>(k) / samples;
    double& x = points[static_cast<std::size_t>(k)];
    if (params.decode == MtjDecode::kMean) {
      x = 2.0 * y - 1.0;
    } else if (y <= p_lo) {
      x = -1.0;
    } else if (y >= p_hi) {
      x = 1.0;
    } else {  // P(lo) < y < P(hi): bisection on the monotone curve
      double lo = -1.0, hi = 1.0;
      for (int it = 0; it < 60; ++it) {
        const double mid = 0.5 * (lo + hi);
        (p_of(mid) < y ? lo : hi) = mid;
      }
      x = 0.5 * (lo + hi);
    }
  }
  return points;
}

std::vector<double> mtj_expected_decode(const MtjParams& params, const SwitchingCurve& curve, int samples, int points) {
  if (points < 2) throw core::ArgumentError(fmt::format("MTJ mean response needs >= 2 points (got {})", points));
  const std::vector<double> x_hat = mtj_decode_points(params, curve, samples);
  std::vector<double> mean(static_cast<std::size_t>(points));
  for (int i = 0; i < points; ++i) {
    const double x = -1.0 + 2.0 * i / (points - 1);
    const double p = std::clamp(curve.probability(params.current_at_zero_A + x * params.current_per_unit_A), 0.0, 1.0);
    // Binomial pmf by the recurrence pmf(K + 1) = pmf(K) · (T − K)/(K + 1) · p/(1 − p), from
    // pmf(0) = (1 − p)^T; p = 1 is the point mass at K = T.
    double e = 0.0;
    if (p >= 1.0) {
      e = x_hat.back();
    } else {
      double pmf = std::pow(1.0 - p, samples);
      for (int k = 0; k <= samples; ++k) {
        e += pmf * x_hat[static_cast<std::size_t>(k)];
        pmf *= static_cast<double>(samples - k) / (k + 1) * p / (1.0 - p);
      }
    }
    mean[static_cast<std::size_t>(i)] = e;
  }
  return mean;
}

std::vector<double> mtj_expected_slope(const MtjParams& params, const SwitchingCurve& curve, int samples, int points) {
  const std::vector<double> e = mtj_expected_decode(params, curve, samples, points);
  const double h = 2.0 / (points - 1);
  std::vector<double> slope(e.size());
  for (std::size_t i = 0; i < e.size(); ++i) {
    const std::size_t lo = i == 0 ? 0 : i - 1, hi = i + 1 == e.size() ? i : i + 1;
    slope[i] = (e[hi] - e[lo]) / (static_cast<double>(hi - lo) * h);
  }
  return slope;
}

ReadoutParams read_readout_params(core::config::TableReader& t) {
  ReadoutParams p;
  std::string kind(readout_name(p.kind));
  t.optional("kind", kind);
  if (const auto k = parse_readout_kind(kind)) p.kind = *k;
  else t.check(false, "kind", "one of \"ideal\", \"adc\", \"stochastic_mtj\", \"zebra_lcu\"");
  std::string sampling(readout_sampling_name(p.sampling));
  t.optional("sampling", sampling);
  if (const auto v = parse_readout_sampling(sampling)) p.sampling = *v;
  else
    t.check(false, "sampling",
            "one of \"auto\" (rare_event where the per-sense error probability is small, else level where it "
            "applies), \"direct\" (one normal per sense), \"rare_event\" (ADC and LCU readouts), \"level\" (ADC "
            "readouts)");
  t.check(sampling_fits_kind(p), "sampling", std::string(kSamplingKindRule));

  if (t.has("adc") || p.kind == ReadoutKind::kAdc) {
    auto a = t.child("adc");
    a.optional("bits", p.adc.bits);
    std::string range = "full_scale";
    a.optional("range", range);
    p.adc.calibrated_range = range == "calibrated";
    a.check(range == "full_scale" || range == "calibrated", "range", "\"full_scale\" or \"calibrated\"");
    a.optional("clip_percentile", p.adc.clip_percentile);
    a.optional("sparse", p.adc.sparse);
    a.check(p.adc.bits >= 1 && p.adc.bits <= 16, "bits", "an integer in [1, 16]");
    a.check(p.adc.clip_percentile > 0.0 && p.adc.clip_percentile <= 100.0, "clip_percentile",
            "a percentile in (0, 100]");
    a.finish();
  }
  if (t.has("mtj") || p.kind == ReadoutKind::kStochasticMtj) {
    auto m = t.child("mtj");
    m.optional("samples", p.mtj.samples);
    m.check(p.mtj.samples >= 1 && p.mtj.samples <= 1024, "samples", "an integer T in [1, 1024]");
    std::string decode = std::string(mtj_decode_name(p.mtj.decode));
    m.optional("decode", decode);
    if (decode == "mean") p.mtj.decode = MtjDecode::kMean;
    else if (decode == "inverse") p.mtj.decode = MtjDecode::kInverse;
    else m.check(false, "decode", "\"mean\" (samples' mean, as StoX-Net) or \"inverse\" (inverted expected curve)");
    m.optional("curve", p.mtj.curve);
    m.check(p.mtj.curve == "sigmoid" || p.mtj.curve == "tabulated" || p.mtj.curve == "device_table", "curve",
            "\"sigmoid\", \"tabulated\" or \"device_table\"");
    m.optional("slope", p.mtj.slope);
    m.check(p.mtj.slope > 0.0 && p.mtj.slope <= 1000.0, "slope", "a sigmoid slope a in (0, 1000]");
    m.optional("current_at_zero_A", p.mtj.current_at_zero_A);
    m.optional("current_per_unit_A", p.mtj.current_per_unit_A);
    m.check(std::isfinite(p.mtj.current_at_zero_A), "current_at_zero_A", "a finite current in A");
    m.check(p.mtj.current_per_unit_A > 0.0 && std::isfinite(p.mtj.current_per_unit_A), "current_per_unit_A",
            "a positive current in A per unit of normalized PS");
    m.optional("table_current_A", p.mtj.table_current_A);
    m.optional("table_probability", p.mtj.table_probability);
    if (p.mtj.curve == "tabulated") {
      try {
        TabulatedSwitchingCurve check(p.mtj.table_current_A, p.mtj.table_probability);
      } catch (const core::ArgumentError& e) {
        m.check(false, "table_probability", fmt::format("a valid table ({})", e.what()));
      }
    }
    m.optional("pulse_width_s", p.mtj.pulse_width_s);
    m.optional("device", p.mtj.device);
    m.check(p.mtj.pulse_width_s > 0.0 && p.mtj.pulse_width_s < 1.0, "pulse_width_s", "a pulse width in (0, 1) s");
    if (m.optional("table_file", p.mtj.table_file)) {
      // Relative to the hardware file's folder.
      std::filesystem::path file(p.mtj.table_file);
      if (file.is_relative()) file = std::filesystem::path(t.source()).parent_path() / file;
      p.mtj.table_file = file.string();
      m.check(std::filesystem::exists(file), "table_file",
              fmt::format("an existing switching-table file ({} not found)", file.string()));
      if (std::filesystem::exists(file)) {
        try {
          p.mtj.table = std::make_shared<const device::SwitchingTable>(device::SwitchingTable::load(file));
        } catch (const core::Error& e) {
          m.check(false, "table_file", fmt::format("a readable switching-table file ({})", e.what()));
        }
      }
    } else if (p.mtj.curve == "device_table") {
      m.check(false, "table_file", "a switching-table file (required with curve = \"device_table\")");
    }
    if (m.optional("temperature_K", p.mtj.temperature_K)) {
      m.check(std::isfinite(p.mtj.temperature_K) && p.mtj.temperature_K > 0, "temperature_K", "a temperature > 0 K");
      m.check(p.mtj.curve == "device_table", "temperature_K",
              "only with curve = \"device_table\": the switching table's temperature (one table per temperature)");
      if (p.mtj.curve == "device_table" && p.mtj.table) {
        const double table_k = p.mtj.table->temperature_K();
        if (std::isnan(table_k))
          m.check(false, "temperature_K",
                  fmt::format("a table file that records its temperature ({} has no /device/temperature_K: a "
                              "cimmc switching output does)",
                              p.mtj.table_file));
        else
          m.check(std::abs(table_k - p.mtj.temperature_K) <= 1e-9 * table_k, "temperature_K",
                  fmt::format("the temperature of table_file ({} K in {}); pick the table built at {} K", table_k,
                              p.mtj.table_file, p.mtj.temperature_K));
      }
    }
    std::string calibration = p.mtj.per_column_calibration ? "column" : "subarray";
    m.optional("calibration", calibration);
    if (calibration == "column") p.mtj.per_column_calibration = true;
    else if (calibration == "subarray") p.mtj.per_column_calibration = false;
    else m.check(false, "calibration", "\"column\" (a map per output column of each subarray) or \"subarray\"");
    m.optional("calibration_sigmas", p.mtj.calibration_sigmas);
    {
      auto trim = m.child("trim");
      p.mtj.trim = read_trim_params(trim);
    }
    if (const core::config::Value* variation = m.value("variation")) {
      try {
        p.mtj.variation = device::read_variation(*variation, t.source(), m.path_of("variation"));
        p.mtj.has_variation = true;
        std::string name = p.mtj.device;
        if (p.mtj.curve == "device_table" && p.mtj.table) name = p.mtj.table->device();
        m.check(!name.empty(), "variation", "a converter device to vary: set readout.mtj.device");
        if (!name.empty()) {
          auto params = std::make_shared<device::SotMtjParams>(device::load_sot_mtj(device::resolve_device_file(name)));
          const double ic = device::derive(*params).critical_current_A;
          m.check(std::isfinite(ic) && ic > 0, "variation",
                  fmt::format("a device with an analytic critical current (device {} has none)", name));
          p.mtj.converter_device = std::move(params);
        }
      } catch (const core::ConfigError& e) {
        m.check(false, "variation", e.what());
      } catch (const core::IoError& e) {
        m.check(false, "variation", e.what());
      }
    }
    m.optional("sparse", p.mtj.sparse);
    std::string detection = "digital";
    m.optional("sparse_detection", detection);
    if (detection == "ideal") p.mtj.ideal_zero_detection = true;
    else
      m.check(detection == "digital", "sparse_detection",
              "\"digital\" (idle input stream or all-zero column, known without the PS) or \"ideal\" (every "
              "all-zero PS, an oracle)");
    m.check(p.mtj.calibration_sigmas > 0.0 && p.mtj.calibration_sigmas <= 100.0, "calibration_sigmas",
            "a number of standard deviations in (0, 100]");
    if (const core::config::Value* rules = m.value("samples_rule")) {
      if (!rules->is_array()) {
        m.check(false, "samples_rule", "an array of tables ([[readout.mtj.samples_rule]])");
      } else {
        const auto& arr = rules->as_array();
        for (std::size_t i = 0; i < arr.size(); ++i) {
          core::config::TableReader r(arr[i], t.source(), fmt::format("{}[{}]", m.path_of("samples_rule"), i),
                                      t.problems());
          SamplesRule rule;
          r.renamed("layers", "gemms");  // renamed in 0.1: bit positions named apart from [crossbar]'s bit counts
          r.renamed("input_bits", "input_bit");
          r.renamed("weight_bits", "weight_bit");
          read_int_list(r, "gemms", rule.gemms, 0, 1 << 20, "GEMM indices");
          read_int_list(r, "input_bit", rule.input_bit, 0, 31, "input-bit positions");
          read_int_list(r, "weight_bit", rule.weight_bit, 0, 31, "weight-bit positions");
          r.required("samples", rule.samples);
          r.check(rule.samples >= 1 && rule.samples <= 1024, "samples", "an integer T in [1, 1024]");
          r.finish();
          p.mtj.samples_rule.push_back(std::move(rule));
        }
      }
    }
    m.finish();
  }
  if (t.has("lcu") || p.kind == ReadoutKind::kZebraLcu) {
    auto l = t.child("lcu");
    l.optional("group_rows", p.lcu.group_rows);
    l.check(
        p.lcu.group_rows >= 1 && p.lcu.group_rows <= 64 && std::has_single_bit(static_cast<unsigned>(p.lcu.group_rows)),
        "group_rows", "a power of two G in [1, 64]");
    l.optional("levels", p.lcu.levels);
    l.check(p.lcu.levels >= 2 && p.lcu.levels <= 1024, "levels", "an integer L in [2, 1024]");
    l.finish();
  }
  t.finish();
  return p;
}

AdcQuantizer::AdcQuantizer(int bits, double range, bool signed_input) {
  if (bits < 1 || bits > 24 || !(range > 0.0))
    throw core::ArgumentError(
        fmt::format("ADC quantizer: bits {} must be in [1, 24] and range {} positive", bits, range));
  if (signed_input) {
    max_code = bits == 1 ? 1 : (1 << (bits - 1)) - 1;
    min_code = -max_code;
  } else {
    max_code = (1 << bits) - 1;
    min_code = 0;
  }
  step = static_cast<float>(std::max(1.0, range / max_code));
  inverse_step = 1.0f / step;
}

LcuSense::LcuSense(int levels, double group_full_scale) {
  if (levels < 2 || !(group_full_scale > 0.0))
    throw core::ArgumentError(fmt::format("LCU sense amplifier: levels {} must be >= 2 and full scale {} positive",
                                          levels, group_full_scale));
  max_level = levels - 1;
  step = static_cast<float>(std::max(1.0, group_full_scale / max_level));
  inverse_step = 1.0f / step;
}

void binomial_thresholds(int samples, double p, std::span<std::uint32_t> thresholds) {
  if (samples < 1 || thresholds.size() != static_cast<std::size_t>(samples) || !(p >= 0.0 && p <= 1.0))
    throw core::ArgumentError(
        fmt::format("binomial thresholds: T = {} with {} slots and p = {}", samples, thresholds.size(), p));
  double cdf = 0.0;
  for (int k = 0; k < samples; ++k) {
    // pmf by logs: stable for any T used here.
    double pmf;
    if (p == 0.0) pmf = k == 0 ? 1.0 : 0.0;
    else if (p == 1.0) pmf = 0.0;
    else
      pmf = std::exp(std::lgamma(samples + 1.0) - std::lgamma(k + 1.0) - std::lgamma(samples - k + 1.0) +
                     k * std::log(p) + (samples - k) * std::log1p(-p));
    cdf = std::min(1.0, cdf + pmf);
    const double t = std::round(cdf * 4294967296.0);
    thresholds[static_cast<std::size_t>(k)] = t >= 4294967295.0 ? 0xFFFFFFFFu : static_cast<std::uint32_t>(t);
  }
}

void binomial_buckets(std::span<const std::uint32_t> thresholds, std::span<std::uint8_t> buckets) {
  if (buckets.size() != 256 || thresholds.size() >= kBinomialAmbiguous)
    throw core::ArgumentError(fmt::format("binomial buckets: {} buckets for {} thresholds (need 256 and T < 255)",
                                          buckets.size(), thresholds.size()));
  for (std::uint32_t b = 0; b < 256; ++b) {
    const std::uint32_t first = b << 24, last = first | 0xFFFFFFu;
    const int k_first = binomial_from_word(thresholds, first);
    buckets[b] =
        k_first == binomial_from_word(thresholds, last) ? static_cast<std::uint8_t>(k_first) : kBinomialAmbiguous;
  }
}

}  // namespace cimmc::circuit
