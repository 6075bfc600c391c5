// Hardware files, noise models and readouts applied to numpy arrays of partial sums, and the
// crossbar GEMM, in Python (python/README.md). The physics of the noise and the readouts is in
// docs/physics.md, the hardware-file keys in data/hw/README.md, the engine in
// docs/architecture.md (arch::CrossbarLayer) and the random streams in docs/architecture.md
// (section 4).
//
// apply_noise and apply_readout use the circuit layer's building blocks (NoiseParams,
// AdcQuantizer, SwitchingCurve, mtj_decode_points, mtj_word_limit) on one flat array of partial
// sums, with one stream per call addressed (purpose, point, trial, element): the same models as
// the engine, but not the engine's per-row streams, so their numbers are not those of a
// CrossbarLayer run.
#include <pybind11/stl.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "cimmc/arch/crossbar_config.hpp"
#include "cimmc/arch/crossbar_layer.hpp"
#include "cimmc/circuit/noise_model.hpp"
#include "cimmc/circuit/readout.hpp"
#include "cimmc/circuit/readout_map.hpp"
#include "cimmc/core/data_files.hpp"
#include "cimmc/core/rng.hpp"
#include "cimmc/network/crossbar_training_hook.hpp"
#include "common.hpp"

namespace cimmc::python {

using FloatArray = py::array_t<float, py::array::c_style | py::array::forcecast>;
using OutArray = std::optional<py::array>;

namespace {

arch::CrossbarConfig load_hardware(const std::string& name_or_path, const std::vector<std::string>& overrides) {
  const auto path = cimmc::core::data_files::resolve("hw", name_or_path, ".toml", "hardware configuration");
  return arch::load_crossbar_config(path, overrides);
}

arch::CrossbarConfig hardware_of(const py::object& hw) {
  if (py::isinstance<arch::CrossbarConfig>(hw)) return hw.cast<arch::CrossbarConfig>();
  if (py::isinstance<py::str>(hw) || py::hasattr(hw, "__fspath__"))
    return load_hardware(py::str(hw).cast<std::string>(), {});
  throw cimmc::core::ArgumentError(
      "hardware: expected a CrossbarConfig, a data/hw name or a path to a hardware TOML file");
}

// The array results go to: `out` (written in place; may be the input itself) or a new array of
// the input's shape.
py::array_t<float> output_for(const FloatArray& in, const OutArray& out) {
  if (!out) {
    std::vector<py::ssize_t> shape(in.shape(), in.shape() + in.ndim());
    return py::array_t<float>(shape);
  }
  // Checked here rather than converted: writing into a converted copy would be lost.
  if (!py::isinstance<py::array_t<float>>(*out) || !(out->flags() & py::array::c_style))
    throw cimmc::core::ArgumentError("out: expected a C-contiguous float32 array");
  if (out->size() != in.size())
    throw cimmc::core::ArgumentError("out: " + std::to_string(out->size()) + " values, the input has " +
                                     std::to_string(in.size()));
  if (!out->writeable()) throw cimmc::core::ArgumentError("out: the array is read-only");
  return py::reinterpret_borrow<py::array_t<float>>(*out);
}

cimmc::core::rng::StreamAddress address(cimmc::core::rng::Purpose purpose, std::uint32_t point, std::uint32_t trial,
                                        std::uint64_t element) {
  return {purpose, point, trial, element};
}

void check_noise(const circuit::NoiseParams& noise) {
  const auto problems = noise.problems();
  if (problems.empty()) return;
  std::string message = "noise parameters:";
  for (const auto& [key, text] : problems) message.append("\n  - ").append(key).append(": ").append(text);
  throw cimmc::core::ConfigError(message);
}

py::array_t<float> apply_noise(const FloatArray& ps, const circuit::NoiseParams& noise,
                               std::optional<double> full_scale, std::uint64_t seed, std::uint32_t point,
                               std::uint32_t trial, std::uint64_t element, const OutArray& out) {
  check_noise(noise);
  if (!noise.physical() && !full_scale)
    throw cimmc::core::ArgumentError(
        "apply_noise: model relative_full_scale needs full_scale (e.g. hardware.full_scale)");
  if (full_scale && !(*full_scale > 0)) throw cimmc::core::ArgumentError("apply_noise: full_scale must be > 0");
  py::array_t<float> result = output_for(ps, out);
  const std::size_t n = static_cast<std::size_t>(ps.size());
  const std::size_t columns = ps.ndim() == 0 ? 1 : static_cast<std::size_t>(ps.shape(ps.ndim() - 1));
  const float* in = ps.data();
  float* o = result.mutable_data();
  {
    py::gil_scoped_release release;
    std::vector<float> z(noise.has_additive() ? n : 0), offsets(noise.has_offset() ? columns : 0);
    if (!z.empty())
      cimmc::core::rng::Stream(seed, address(cimmc::core::rng::Purpose::kPartialSumNoise, point, trial, element))
          .fill_normal(std::span<float>(z));
    if (!offsets.empty())
      cimmc::core::rng::Stream(seed, address(cimmc::core::rng::Purpose::kSenseOffset, point, trial, element))
          .fill_normal(std::span<float>(offsets));
    const double fs = full_scale.value_or(0.0);
    const float offset_sigma =
        static_cast<float>(noise.physical() ? noise.offset_sigma_lsb : noise.offset_fraction * fs);
    for (std::size_t i = 0; i < n; ++i) {
      const float v = in[i];
      float sd = 0.0f;
      if (!z.empty())
        sd = noise.physical() ? static_cast<float>(std::sqrt(noise.sense_variance(std::abs(static_cast<double>(v)))))
                              : static_cast<float>(noise.sigma(v, fs));
      o[i] = v + (z.empty() ? 0.0f : sd * z[i]) + (offsets.empty() ? 0.0f : offset_sigma * offsets[i % columns]);
    }
  }
  return result;
}

py::array_t<float> apply_readout(const FloatArray& ps, const circuit::ReadoutParams& r,
                                 std::optional<double> full_scale, std::uint64_t seed, std::uint32_t point,
                                 std::uint32_t trial, std::uint64_t element, bool signed_input, double adc_range,
                                 std::optional<double> scale, double offset, int samples, const OutArray& out) {
  py::array_t<float> result = output_for(ps, out);
  const std::size_t n = static_cast<std::size_t>(ps.size());
  const float* in = ps.data();
  float* o = result.mutable_data();
  switch (r.kind) {
    case circuit::ReadoutKind::kIdeal: {
      if (o != in) std::copy(in, in + n, o);
      break;
    }
    case circuit::ReadoutKind::kAdc: {
      const double range = adc_range > 0 ? adc_range : full_scale.value_or(0.0);
      if (!(range > 0)) throw cimmc::core::ArgumentError("apply_readout: the ADC needs full_scale or adc_range > 0");
      const circuit::AdcQuantizer q(r.adc.bits, range, signed_input);
      const float lo = static_cast<float>(q.min_code), hi = static_cast<float>(q.max_code);
      py::gil_scoped_release release;
      for (std::size_t i = 0; i < n; ++i) o[i] = std::clamp(std::nearbyint(in[i] * q.inverse_step), lo, hi) * q.step;
      break;
    }
    case circuit::ReadoutKind::kStochasticMtj: {
      const int t = samples > 0 ? samples : r.mtj.samples;
      if (t < 1 || t > 4096)
        throw cimmc::core::ArgumentError("apply_readout: samples " + std::to_string(t) + " not in [1, 4096]");
      circuit::AffineMap map;
      if (scale) {
        map.scale = *scale;
      } else {
        if (!full_scale || !(*full_scale > 0))
          throw cimmc::core::ArgumentError("apply_readout: the stochastic MTJ readout needs full_scale or scale");
        map.scale = 1.0 / *full_scale;
      }
      map.offset = offset;
      if (!(map.scale != 0.0) || !std::isfinite(map.scale) || !std::isfinite(map.offset))
        throw cimmc::core::ArgumentError("apply_readout: scale must be finite and nonzero, offset finite");
      const auto curve = r.mtj.make_curve();
      const auto decoded = circuit::mtj_decode_points(r.mtj, *curve, t);
      py::gil_scoped_release release;
      std::vector<std::uint32_t> words(n * static_cast<std::size_t>(t));
      cimmc::core::rng::Stream(seed, address(cimmc::core::rng::Purpose::kMtjSampling, point, trial, element))
          .fill_u32(words);
      for (std::size_t i = 0; i < n; ++i) {
        const double x = map.x_of(in[i]);
        const std::uint64_t limit =
            circuit::mtj_word_limit(curve->probability(r.mtj.current_at_zero_A + x * r.mtj.current_per_unit_A));
        int k = 0;
        for (int j = 0; j < t; ++j)
          k += words[i * static_cast<std::size_t>(t) + static_cast<std::size_t>(j)] < limit ? 1 : 0;
        o[i] = static_cast<float>(map.ps_of(decoded[static_cast<std::size_t>(k)]));
      }
      break;
    }
    case circuit::ReadoutKind::kZebraLcu:
      throw cimmc::core::ArgumentError(
          "apply_readout: the zebra_lcu readout senses groups of rows inside a column, not whole partial sums; "
          "run it through CrossbarLayer");
  }
  return result;
}

// Codes for the engine: a view of a C-contiguous uint8 / int8 array, else a checked copy.
template <class T>
struct Codes {
  std::vector<T> copy;
  const T* data = nullptr;
  std::vector<py::ssize_t> shape;
};

template <class T>
Codes<T> codes_of(const py::array& a, const char* what) {
  Codes<T> c;
  c.shape.assign(a.shape(), a.shape() + a.ndim());
  if (a.ndim() != 2) throw cimmc::core::ArgumentError(std::string(what) + ": expected a 2-D array");
  if (py::isinstance<py::array_t<T>>(a) && (a.flags() & py::array::c_style)) {
    c.data = static_cast<const T*>(a.data());
    return c;
  }
  const auto wide = py::array_t<std::int64_t, py::array::c_style | py::array::forcecast>::ensure(a);
  if (!wide) throw cimmc::core::ArgumentError(std::string(what) + ": expected an integer array");
  c.copy.resize(static_cast<std::size_t>(wide.size()));
  const std::int64_t* w = wide.data();
  for (std::size_t i = 0; i < c.copy.size(); ++i) {
    if (w[i] < std::numeric_limits<T>::min() || w[i] > std::numeric_limits<T>::max())
      throw cimmc::core::ArgumentError(std::string(what) + ": value " + std::to_string(w[i]) + " at flat index " +
                                       std::to_string(i) + " does not fit in " +
                                       (std::is_signed_v<T> ? "int8" : "uint8"));
    c.copy[i] = static_cast<T>(w[i]);
  }
  c.data = c.copy.data();
  return c;
}

py::dict counters_dict(const arch::Counters& c) {
  py::dict d;
  d["gemm_rows"] = c.gemm_rows;
  d["macs"] = c.macs;
  d["array_reads"] = c.array_reads;
  d["partial_sums"] = c.partial_sums;
  d["zero_partial_sums"] = c.zero_partial_sums;
  d["adc_conversions"] = c.adc_conversions;
  d["clipped"] = c.clipped;
  d["mtj_reads"] = c.mtj_reads;
  d["mtj_samples"] = c.mtj_samples;
  d["lcu_senses"] = c.lcu_senses;
  d["shift_adds"] = c.shift_adds;
  return d;
}

class PyCrossbarLayer {
 public:
  PyCrossbarLayer(const py::object& hw, const py::array& weights, int layer_id) {
    const auto w = codes_of<std::int8_t>(weights, "weights");
    const auto cfg = hardware_of(hw);
    layer_ = std::make_unique<arch::CrossbarLayer>(
        cfg, layer_id, std::span<const std::int8_t>(w.data, static_cast<std::size_t>(w.shape[0] * w.shape[1])),
        static_cast<int>(w.shape[0]), static_cast<int>(w.shape[1]));
  }
  arch::CrossbarLayer& layer() { return *layer_; }
  bool needs_calibration() const { return network::readout_needs_calibration(layer_->config()); }

  void calibrate(const py::array& activations) {
    const auto a = codes_of<std::uint8_t>(activations, "activations");
    py::gil_scoped_release release;
    const auto stats = layer_->collect_statistics(span(a), static_cast<int>(a.shape[0]));
    layer_->calibrate(stats);
  }

  py::object run(const py::array& activations, std::uint64_t seed, std::uint32_t point, std::uint32_t trial,
                 std::uint64_t first_image, std::uint32_t rows_per_image, int threads, bool return_counters) {
    const auto a = codes_of<std::uint8_t>(activations, "activations");
    const int m = static_cast<int>(a.shape[0]);
    std::vector<double> out(static_cast<std::size_t>(m) * static_cast<std::size_t>(layer_->n()));
    arch::Counters counters;
    {
      py::gil_scoped_release release;
      ThreadScope scope(threads);
      arch::RunAddress address;
      address.point = point;
      address.trial = trial;
      address.gemm = static_cast<std::uint32_t>(layer_->layer_id());
      address.first_image = first_image;
      address.rows_per_image = rows_per_image;
      layer_->run(span(a), m, address, seed, out, counters);
    }
    auto result = adopt(std::move(out), {m, layer_->n()});
    if (!return_counters) return result;
    return py::make_tuple(result, counters_dict(counters));
  }

 private:
  static std::span<const std::uint8_t> span(const Codes<std::uint8_t>& a) {
    return {a.data, static_cast<std::size_t>(a.shape[0] * a.shape[1])};
  }
  std::unique_ptr<arch::CrossbarLayer> layer_;
};

}  // namespace

void init_crossbar(py::module_& m) {
  // ---- noise
  py::class_<circuit::NoiseParams>(m, "NoiseParams",
                                   R"doc(Analog noise of one accumulation ([noise] of a hardware file; docs/physics.md).

model "physical": cell_sigma_lsb, sense_sigma_lsb, offset_sigma_lsb (LSB of one unit-cell signal);
model "relative_full_scale": sigma_fraction, proportional_fraction, offset_fraction (of the full
scale).)doc")
      .def(py::init<>())
      .def_property(
          "model", [](const circuit::NoiseParams& p) { return std::string(circuit::noise_model_name(p.model)); },
          [](circuit::NoiseParams& p, const std::string& s) {
            if (s == "physical") p.model = circuit::NoiseModel::kPhysical;
            else if (s == "relative_full_scale") p.model = circuit::NoiseModel::kRelativeFullScale;
            else throw cimmc::core::ArgumentError("noise.model '" + s + "': expected physical or relative_full_scale");
          })
      .def_readwrite("cell_sigma_lsb", &circuit::NoiseParams::cell_sigma_lsb)
      .def_readwrite("sense_sigma_lsb", &circuit::NoiseParams::sense_sigma_lsb)
      .def_readwrite("offset_sigma_lsb", &circuit::NoiseParams::offset_sigma_lsb)
      .def_readwrite("sigma_fraction", &circuit::NoiseParams::sigma_fraction)
      .def_readwrite("proportional_fraction", &circuit::NoiseParams::proportional_fraction)
      .def_readwrite("offset_fraction", &circuit::NoiseParams::offset_fraction)
      .def_static(
          "physical",
          [](double cell, double sense, double offset) {
            circuit::NoiseParams p;
            p.cell_sigma_lsb = cell;
            p.sense_sigma_lsb = sense;
            p.offset_sigma_lsb = offset;
            check_noise(p);
            return p;
          },
          py::arg("cell_sigma_lsb") = 0.0, py::arg("sense_sigma_lsb") = 0.0, py::arg("offset_sigma_lsb") = 0.0)
      .def_static(
          "relative_full_scale",
          [](double s, double p, double o) {
            auto n = circuit::NoiseParams::relative_full_scale(s, p, o);
            check_noise(n);
            return n;
          },
          py::arg("sigma"), py::arg("proportional") = 0.0, py::arg("sense_offset") = 0.0)
      .def("any", &circuit::NoiseParams::any)
      .def("problems", &circuit::NoiseParams::problems,
           "(key, message) for every field out of range or set for the other model");

  m.def("apply_noise", &apply_noise, py::arg("ps"), py::arg("noise"), py::arg("full_scale") = py::none(), py::kw_only(),
        py::arg("seed") = 0, py::arg("point") = 0, py::arg("trial") = 0, py::arg("element") = 0,
        py::arg("out") = py::none(),
        R"doc(Adds a noise model's analog noise to partial sums (a numpy array of any shape).

physical: v = ps + sqrt(|ps| cell_sigma_lsb^2 + sense_sigma_lsb^2) z (|ps| unit-cell signals on the
column); relative_full_scale: v = ps + sqrt((sigma full_scale)^2 + (proportional ps)^2) z. With an
offset term, one static sense-amplifier offset per index of the last axis (a column). z comes from
the Philox stream (partial_sum_noise, point, trial, element) of seed, in the array's flat order;
offsets from (sense_offset, point, trial, element). full_scale (hardware.full_scale) is needed by
relative_full_scale only.

ps is read in place when it is a C-contiguous float32 array, else converted (a copy). The result
is a new float32 array, or `out` (a C-contiguous float32 array of the same size, which may be ps
itself) written in place and returned. The GIL is released while it computes.)doc");

  // ---- readouts
  py::class_<circuit::AdcParams>(m, "AdcParams")
      .def(py::init<>())
      .def_readwrite("bits", &circuit::AdcParams::bits)
      .def_readwrite("calibrated_range", &circuit::AdcParams::calibrated_range)
      .def_readwrite("clip_percentile", &circuit::AdcParams::clip_percentile)
      .def_readwrite("sparse", &circuit::AdcParams::sparse);

  py::class_<circuit::MtjParams>(m, "MtjParams", "The stochastic MTJ readout ([readout.mtj]; data/hw/README.md).")
      .def(py::init<>())
      .def_readwrite("samples", &circuit::MtjParams::samples)
      .def_property(
          "decode", [](const circuit::MtjParams& p) { return std::string(circuit::mtj_decode_name(p.decode)); },
          [](circuit::MtjParams& p, const std::string& s) {
            if (s == "mean") p.decode = circuit::MtjDecode::kMean;
            else if (s == "inverse") p.decode = circuit::MtjDecode::kInverse;
            else throw cimmc::core::ArgumentError("readout.mtj.decode '" + s + "': expected mean or inverse");
          })
      .def_readwrite("curve", &circuit::MtjParams::curve)
      .def_readwrite("slope", &circuit::MtjParams::slope)
      .def_readwrite("current_at_zero_A", &circuit::MtjParams::current_at_zero_A)
      .def_readwrite("current_per_unit_A", &circuit::MtjParams::current_per_unit_A)
      .def_readwrite("table_current_A", &circuit::MtjParams::table_current_A)
      .def_readwrite("table_probability", &circuit::MtjParams::table_probability)
      .def_readwrite("table_file", &circuit::MtjParams::table_file)
      .def_readwrite("pulse_width_s", &circuit::MtjParams::pulse_width_s)
      .def_readwrite("device", &circuit::MtjParams::device)
      .def_readwrite("calibration_sigmas", &circuit::MtjParams::calibration_sigmas)
      .def_readwrite("sparse", &circuit::MtjParams::sparse)
      .def(
          "probability",
          [](const circuit::MtjParams& p, const FloatArray& x) {
            const auto curve = p.make_curve();
            std::vector<double> out(static_cast<std::size_t>(x.size()));
            for (std::size_t i = 0; i < out.size(); ++i)
              out[i] = curve->probability(
                  p.current_at_zero_A + std::clamp(static_cast<double>(x.data()[i]), -1.0, 1.0) * p.current_per_unit_A);
            return adopt(std::move(out), std::vector<py::ssize_t>(x.shape(), x.shape() + x.ndim()));
          },
          py::arg("x"), "P_sw at normalized inputs x in [-1, 1] (clamped): the readout's switching curve")
      .def(
          "expected_decode",
          [](const circuit::MtjParams& p, int samples, int points) {
            const auto curve = p.make_curve();
            return adopt(circuit::mtj_expected_decode(p, *curve, samples > 0 ? samples : p.samples, points), {points});
          },
          py::arg("samples") = 0, py::arg("points") = 1025,
          "E[x_hat] at `points` equally spaced x from -1 to 1 (samples 0: the configured T)")
      .def(
          "expected_slope",
          [](const circuit::MtjParams& p, int samples, int points) {
            const auto curve = p.make_curve();
            return adopt(circuit::mtj_expected_slope(p, *curve, samples > 0 ? samples : p.samples, points), {points});
          },
          py::arg("samples") = 0, py::arg("points") = 1025,
          "dE[x_hat]/dx at the same points (a straight-through gradient for training)");

  py::class_<circuit::LcuParams>(m, "LcuParams")
      .def(py::init<>())
      .def_readwrite("group_rows", &circuit::LcuParams::group_rows)
      .def_readwrite("levels", &circuit::LcuParams::levels);

  py::class_<circuit::ReadoutParams>(m, "ReadoutParams",
                                     "A readout ([readout] of a hardware file): kind and its parameters.")
      .def(py::init<>())
      .def_property(
          "kind", [](const circuit::ReadoutParams& r) { return std::string(circuit::readout_name(r.kind)); },
          [](circuit::ReadoutParams& r, const std::string& s) {
            if (const auto k = circuit::parse_readout_kind(s)) {
              r.kind = *k;
              return;
            }
            throw cimmc::core::ArgumentError("readout.kind '" + s +
                                             "': expected ideal, adc, stochastic_mtj or zebra_lcu");
          },
          "\"ideal\", \"adc\", \"stochastic_mtj\" or \"zebra_lcu\"")
      .def_property(
          "sampling",
          [](const circuit::ReadoutParams& r) { return std::string(circuit::readout_sampling_name(r.sampling)); },
          [](circuit::ReadoutParams& r, const std::string& s) {
            if (const auto v = circuit::parse_readout_sampling(s)) {
              r.sampling = *v;
              return;
            }
            throw cimmc::core::ArgumentError("readout.sampling '" + s + "': expected auto, direct or rare_event");
          },
          R"doc("auto", "direct" or "rare_event": how CrossbarLayer draws the noise of an ADC or LCU sense
(docs/rare_event_sampling.md). "auto" (default): rare-event sampling where the layer's bound on
every sense's error probability is at most 0.01, else direct; "direct": one normal per sense;
"rare_event": the noise-free level and only the senses the noise moves (kind "adc" or "zebra_lcu"
only: CrossbarLayer and validate() raise ValueError for another kind). Both draw the same
distribution from different random numbers. apply_readout draws no noise and does not read it.)doc")
      .def_readwrite("adc", &circuit::ReadoutParams::adc)
      .def_readwrite("mtj", &circuit::ReadoutParams::mtj)
      .def_readwrite("lcu", &circuit::ReadoutParams::lcu);

  m.def("apply_readout", &apply_readout, py::arg("ps"), py::arg("readout"), py::arg("full_scale") = py::none(),
        py::kw_only(), py::arg("seed") = 0, py::arg("point") = 0, py::arg("trial") = 0, py::arg("element") = 0,
        py::arg("signed") = true, py::arg("adc_range") = 0.0, py::arg("scale") = py::none(), py::arg("offset") = 0.0,
        py::arg("samples") = 0, py::arg("out") = py::none(),
        R"doc(Reads (noisy) partial sums out through a readout, element by element (docs/physics.md).

- ideal: the values as they are;
- adc: readout.adc.bits-bit uniform quantizer over [-R, R] (signed=True) or [0, R], R = adc_range
  if > 0 else full_scale, step max(1, R / largest code), round to nearest, clip;
- stochastic_mtj: x = clamp(scale ps + offset, -1, 1) (scale default 1 / full_scale), P_sw from the
  readout's switching curve at I = current_at_zero_A + x current_per_unit_A, T = samples (0: the
  readout's) Bernoulli samples, decoded (mean or inverse) to x_hat, returned as (x_hat - offset) /
  scale. The samples are words of the stream (mtj_sampling, point, trial, element) of seed, T per
  value in flat order. MTJ-to-MTJ variation, trim circuits and sparse skipping are engine features
  (CrossbarLayer), not applied here;
- zebra_lcu senses groups of rows, not partial sums: ValueError (use CrossbarLayer).

ps is read in place when it is a C-contiguous float32 array, else converted (a copy); the result is
a new float32 array or `out` (same size, may be ps) written in place. Not differentiable: for
training, use it in the forward pass with a straight-through gradient (MtjParams.expected_slope).)doc");

  // ---- hardware
  py::class_<arch::CrossbarConfig>(m, "CrossbarConfig",
                                   "A hardware file (data/hw/README.md): crossbar geometry, readout, noise.")
      .def_readwrite("rows", &arch::CrossbarConfig::rows)
      .def_readwrite("columns", &arch::CrossbarConfig::columns)
      .def_readwrite("bits_per_cell", &arch::CrossbarConfig::bits_per_cell)
      .def_readwrite("input_bits", &arch::CrossbarConfig::input_bits)
      .def_readwrite("dac_bits", &arch::CrossbarConfig::dac_bits)
      .def_readwrite("weight_bits", &arch::CrossbarConfig::weight_bits)
      .def_readwrite("description", &arch::CrossbarConfig::description)
      .def_property_readonly(
          "signed_scheme",
          [](const arch::CrossbarConfig& c) { return std::string(arch::signed_scheme_name(c.signed_scheme)); })
      .def_readwrite("readout", &arch::CrossbarConfig::readout)
      .def_readwrite("noise", &arch::CrossbarConfig::noise)
      .def_property_readonly("full_scale", &arch::CrossbarConfig::full_scale,
                             "largest analog accumulation of one column: rows x max cell value x max input value")
      .def_property_readonly("input_streams", &arch::CrossbarConfig::input_streams)
      .def("validate", &arch::CrossbarConfig::validate, "Raises ValueError listing every inconsistency (after edits)")
      .def("__copy__", [](const arch::CrossbarConfig& c) { return c; })
      .def("__deepcopy__", [](const arch::CrossbarConfig& c, const py::dict&) { return c; });

  m.def("load_hardware", &load_hardware, py::arg("name_or_path"), py::arg("overrides") = std::vector<std::string>{},
        R"doc(Reads a hardware file by data/hw name (e.g. "stox_mtj_t4") or path, with overrides
("noise.sense_sigma_lsb=0.5") as `cimmc eval --set` takes them. ValueError for an invalid file.)doc");

  // ---- the crossbar GEMM
  py::class_<PyCrossbarLayer>(m, "CrossbarLayer",
                              R"doc(One integer GEMM on crossbars (arch::CrossbarLayer; docs/architecture.md).

CrossbarLayer(hardware, weights, layer_id=0): hardware is a CrossbarConfig or a data/hw name/path;
weights an N x K integer array (values within the hardware's weight_bits, signed). The weights are
encoded into bit planes (a copy by construction); an int8 C-contiguous array is read in place,
other integer arrays are converted with a range check.)doc")
      .def(py::init<const py::object&, const py::array&, int>(), py::arg("hardware"), py::arg("weights"),
           py::arg("layer_id") = 0)
      .def_property_readonly("n", [](PyCrossbarLayer& l) { return l.layer().n(); })
      .def_property_readonly("k", [](PyCrossbarLayer& l) { return l.layer().k(); })
      .def_property_readonly("full_scale", [](PyCrossbarLayer& l) { return l.layer().full_scale(); })
      .def_property_readonly("plane_names", [](PyCrossbarLayer& l) { return l.layer().plane_names(); })
      .def_property_readonly("needs_calibration", &PyCrossbarLayer::needs_calibration,
                             "whether the readout is calibrated on data (calibrated ADC range, MTJ maps)")
      .def(
          "set_variation_address",
          [](PyCrossbarLayer& l, std::uint64_t seed, std::uint32_t point, std::uint32_t trial) {
            l.layer().set_variation_address(seed, point, trial);
          },
          py::arg("seed"), py::arg("point") = 0, py::arg("trial") = 0,
          "Seed and address of the per-trial draws (storage-cell deviations, trim mismatch)")
      .def("calibrate", &PyCrossbarLayer::calibrate, py::arg("activations"),
           "Calibrates the readout (ADC range, MTJ maps) on the exact partial sums of M x K activations")
      .def("run", &PyCrossbarLayer::run, py::arg("activations"), py::kw_only(), py::arg("seed") = 0,
           py::arg("point") = 0, py::arg("trial") = 0, py::arg("first_image") = 0, py::arg("rows_per_image") = 1,
           py::arg("threads") = 0, py::arg("return_counters") = false,
           R"doc(out (M x N float64, a new array) = the crossbar's GEMM of activations (M x K, unsigned values
< 2^input_bits; a uint8 C-contiguous array is read in place, other integer arrays are converted
with a range check) with the weights, noise and readout applied. Row m's streams are addressed
(point, trial, layer_id, image = first_image + m // rows_per_image, patch = m % rows_per_image), so
results do not depend on the batch or the thread count. With return_counters, (out, counts).)doc");

  m.def(
      "crossbar_gemm",
      [](const py::object& hw, const py::array& weights, const py::array& activations, std::uint64_t seed,
         std::uint32_t point, std::uint32_t trial, int threads, std::optional<bool> calibrate) {
        PyCrossbarLayer layer(hw, weights, 0);
        if (calibrate.value_or(layer.needs_calibration())) layer.calibrate(activations);
        return layer.run(activations, seed, point, trial, 0, 1, threads, false);
      },
      py::arg("hardware"), py::arg("weights"), py::arg("activations"), py::kw_only(), py::arg("seed") = 0,
      py::arg("point") = 0, py::arg("trial") = 0, py::arg("threads") = 0, py::arg("calibrate") = py::none(),
      R"doc(activations (M x K) times weights (N x K) transposed on the crossbar: M x N float64.

One CrossbarLayer (layer 0); calibrate None calibrates the readout on these activations when it
needs calibration. With the ideal readout and no noise the result is the exact integer GEMM.)doc");
}

}  // namespace cimmc::python
