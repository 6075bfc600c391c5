// The device layer in Python (python/README.md): SOT-MTJ parameters and presets, derived values,
// switching probability by Monte Carlo LLG (as `cimmc switching` computes it), the thermal-
// activation model and fits, the switching lookup table, and LLG trajectories. Physics in
// docs/physics.md, file layouts in docs/formats.md.
#include <pybind11/stl.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "cimmc/core/config.hpp"
#include "cimmc/device/macrospin.hpp"
#include "cimmc/device/sot_mtj_params.hpp"
#include "cimmc/device/switching.hpp"
#include "cimmc/device/switching_table.hpp"
#include "common.hpp"

namespace cimmc::python {

using DoubleArray = py::array_t<double, py::array::c_style | py::array::forcecast>;

namespace {

device::SotMtjParams load_device(const std::string& name_or_path, const std::vector<std::string>& overrides) {
  return device::load_sot_mtj(device::resolve_device_file(name_or_path), overrides);
}

// A parameter set checked by the same reader as a device file: its TOML text read back, with
// "a.b=value" overrides relative to [device] applied first.
device::SotMtjParams reread(const device::SotMtjParams& p, const std::vector<std::string>& overrides) {
  cimmc::core::config::Document doc = cimmc::core::config::parse_string(device::to_toml(p), "<device " + p.name + ">");
  std::vector<std::string> prefixed;
  prefixed.reserve(overrides.size());
  for (const auto& o : overrides) prefixed.push_back("device." + o);
  cimmc::core::config::apply_overrides(doc, prefixed);
  if (!doc.root.is_table() || !doc.root.contains("device"))
    throw cimmc::core::ConfigError("device parameters: no [device] table");
  return device::read_sot_mtj(doc.root.at("device"), doc.source, "device");
}

// A device argument: a SotMtjParams, or a preset name / TOML path.
device::SotMtjParams device_of(const py::object& device) {
  if (py::isinstance<device::SotMtjParams>(device)) return device.cast<device::SotMtjParams>();
  if (py::isinstance<py::str>(device) || py::hasattr(device, "__fspath__"))
    return load_device(py::str(device).cast<std::string>(), {});
  throw cimmc::core::ArgumentError("device: expected a SotMtjParams, a preset name or a path to a device TOML file");
}

std::vector<double> to_vector(const DoubleArray& a) { return std::vector<double>(a.data(), a.data() + a.size()); }

std::span<const double> span_of(const DoubleArray& a) { return {a.data(), static_cast<std::size_t>(a.size())}; }

// A 2-D [current, pulse width] view of one of a SwitchingCurves' arrays, kept alive by `self`.
template <class T>
py::array_t<T> grid_view(const py::object& self, const std::vector<T>& (*get)(const device::SwitchingCurves&)) {
  const auto& c = self.cast<const device::SwitchingCurves&>();
  return view(get(c).data(),
              {static_cast<py::ssize_t>(c.currents_A.size()), static_cast<py::ssize_t>(c.pulse_widths_s.size())}, self);
}

std::string shape_name(device::Shape s) { return s == device::Shape::kEllipse ? "ellipse" : "rectangle"; }

}  // namespace

void init_device(py::module_& m) {
  // ---- parameters
  py::class_<device::FreeLayer>(m, "FreeLayer", "Free layer of an SOT-MTJ (SotMtjParams.free_layer; SI units).")
      .def(py::init<>())
      .def_readwrite("saturation_magnetization_A_per_m", &device::FreeLayer::saturation_magnetization_A_per_m)
      .def_readwrite("interface_anisotropy_J_per_m2", &device::FreeLayer::interface_anisotropy_J_per_m2)
      .def_readwrite("uniaxial_anisotropy_J_per_m3", &device::FreeLayer::uniaxial_anisotropy_J_per_m3)
      .def_readwrite("anisotropy_field_A_per_m", &device::FreeLayer::anisotropy_field_A_per_m)
      .def_readwrite("easy_axis", &device::FreeLayer::easy_axis, "0 = x, 1 = y, 2 = z")
      .def_readwrite("damping", &device::FreeLayer::damping)
      .def_readwrite("thickness_m", &device::FreeLayer::thickness_m)
      .def_readwrite("length_m", &device::FreeLayer::length_m)
      .def_readwrite("width_m", &device::FreeLayer::width_m)
      .def_property(
          "shape", [](const device::FreeLayer& f) { return shape_name(f.shape); },
          [](device::FreeLayer& f, const std::string& s) {
            if (s == "ellipse") f.shape = device::Shape::kEllipse;
            else if (s == "rectangle") f.shape = device::Shape::kRectangle;
            else throw cimmc::core::ArgumentError("free_layer.shape '" + s + "': expected ellipse or rectangle");
          },
          "\"ellipse\" or \"rectangle\"")
      .def_readwrite("demag_factors", &device::FreeLayer::demag_factors,
                     "(Nx, Ny, Nz); a copy: assign a whole new triple to change it");

  py::class_<device::HeavyMetal>(m, "HeavyMetal", "Heavy-metal (spin Hall) layer (SotMtjParams.heavy_metal; SI units).")
      .def(py::init<>())
      .def_readwrite("spin_hall_angle", &device::HeavyMetal::spin_hall_angle)
      .def_readwrite("resistivity_ohm_m", &device::HeavyMetal::resistivity_ohm_m)
      .def_readwrite("length_m", &device::HeavyMetal::length_m)
      .def_readwrite("width_m", &device::HeavyMetal::width_m)
      .def_readwrite("thickness_m", &device::HeavyMetal::thickness_m);

  py::class_<device::Electrical>(m, "Electrical", "Electrical parameters (SotMtjParams.electrical).")
      .def(py::init<>())
      .def_readwrite("resistance_parallel_ohm", &device::Electrical::resistance_parallel_ohm)
      .def_readwrite("resistance_area_ohm_m2", &device::Electrical::resistance_area_ohm_m2)
      .def_readwrite("tmr", &device::Electrical::tmr);

  py::class_<device::DerivedQuantities>(m, "DerivedQuantities",
                                        "Values derived from a parameter set (SotMtjParams.derive(); SI units).")
      .def_readonly("volume_m3", &device::DerivedQuantities::volume_m3)
      .def_readonly("area_m2", &device::DerivedQuantities::area_m2)
      .def_readonly("anisotropy_field_A_per_m", &device::DerivedQuantities::anisotropy_field_A_per_m)
      .def_readonly("effective_anisotropy_field_A_per_m",
                    &device::DerivedQuantities::effective_anisotropy_field_A_per_m)
      .def_readonly("thermal_stability", &device::DerivedQuantities::thermal_stability,
                    "Delta = mu0 Ms H_K,eff V / (2 kB T); inf at T = 0")
      .def_readonly("damping_like_field_A_per_m_per_A", &device::DerivedQuantities::damping_like_field_A_per_m_per_A)
      .def_readonly("heavy_metal_resistance_ohm", &device::DerivedQuantities::heavy_metal_resistance_ohm)
      .def_readonly("critical_current_A", &device::DerivedQuantities::critical_current_A,
                    "analytic I_c0 where an oracle applies, NaN otherwise")
      .def_readonly("critical_current_model", &device::DerivedQuantities::critical_current_model)
      .def_readonly("resistance_antiparallel_ohm", &device::DerivedQuantities::resistance_antiparallel_ohm)
      .def_readonly("neel_brown_time_s", &device::DerivedQuantities::neel_brown_time_s)
      .def("__repr__", [](const device::DerivedQuantities& d) {
        return "DerivedQuantities(thermal_stability=" + std::to_string(d.thermal_stability) +
               ", critical_current_A=" + std::to_string(d.critical_current_A) + ", critical_current_model='" +
               d.critical_current_model + "')";
      });

  py::class_<device::SotMtjParams>(m, "SotMtjParams",
                                   R"doc(Parameters of an SOT-MTJ: the [device] table of a device file (data/devices/).

Fields are read and written in place (p.free_layer.damping = 0.02). Vectors (external_field_A_per_m,
spin_polarization, free_layer.demag_factors) are returned as copies: assign a whole new triple.
Values set here are not checked until checked() or a computation uses them.)doc")
      .def(py::init<>())
      .def_readwrite("name", &device::SotMtjParams::name)
      .def_readwrite("description", &device::SotMtjParams::description)
      .def_readwrite("source", &device::SotMtjParams::source)
      .def_readwrite("free_layer", &device::SotMtjParams::free_layer)
      .def_readwrite("heavy_metal", &device::SotMtjParams::heavy_metal)
      .def_readwrite("electrical", &device::SotMtjParams::electrical)
      .def_readwrite("temperature_K", &device::SotMtjParams::temperature_K)
      .def_readwrite("field_like_ratio", &device::SotMtjParams::field_like_ratio)
      .def_readwrite("external_field_A_per_m", &device::SotMtjParams::external_field_A_per_m)
      .def_readwrite("spin_polarization", &device::SotMtjParams::spin_polarization)
      .def("derive", &device::derive,
           "Derived values: thermal stability, critical current, H_K,eff, ... (DerivedQuantities)")
      .def("to_toml", &device::to_toml,
           "The TOML text of the parameter set (a device file that reads back to the same values)")
      .def(
          "checked", [](const device::SotMtjParams& p) { return reread(p, {}); },
          "A copy read back through the device-file reader: raises ValueError naming every invalid field")
      .def("with_overrides", &reread, py::arg("overrides"),
           "A checked copy with overrides relative to [device] applied, e.g. ['free_layer.damping=0.1']")
      .def("write_energy_J", &device::write_energy_J, py::arg("current_A"), py::arg("pulse_width_s"),
           "I^2 R t in the heavy metal for a rectangular pulse (J)")
      .def("__copy__", [](const device::SotMtjParams& p) { return p; })
      .def("__deepcopy__", [](const device::SotMtjParams& p, const py::dict&) { return p; })
      .def("__repr__", [](const device::SotMtjParams& p) { return "SotMtjParams(name='" + p.name + "')"; });

  m.def("device_presets", &device::preset_names, "Names of the shipped device presets (data/devices/*.toml).");
  m.def(
      "device_file", [](const std::string& n) { return device::resolve_device_file(n).string(); },
      py::arg("name_or_path"), "The device file a preset name or path resolves to.");
  m.def("load_device", &load_device, py::arg("name_or_path"), py::arg("overrides") = std::vector<std::string>{},
        R"doc(Reads a device preset by name (e.g. "perpendicular_sot") or a device TOML file, with overrides
relative to [device] ("free_layer.damping=0.1") as `cimmc switching --set` takes them. Raises
ValueError for an invalid file or override (the library's message), OSError for a missing file.)doc");
  m.def("ellipsoid_demag_factors", &device::ellipsoid_demag_factors, py::arg("a_m"), py::arg("b_m"), py::arg("c_m"),
        "Demagnetizing factors (Nx, Ny, Nz) of an ellipsoid with semi-axes a (x), b (y), c (z).");
  m.def(
      "default_equilibrate_time_s",
      [](const py::object& d) { return device::default_equilibrate_time_s(device_of(d)); }, py::arg("device"),
      "The automatic zero-current time before a pulse (five relaxation times, at least 1 ns).");
  m.def(
      "recommended_time_step_s",
      [](const py::object& d, double i) { return device::recommended_time_step_s(device_of(d), i); }, py::arg("device"),
      py::arg("max_current_A"), "The automatic LLG time step for currents up to max_current_A.");
  m.def(
      "equilibrium_direction",
      [](const py::object& d, int dir) { return device::equilibrium_direction(device_of(d), dir); }, py::arg("device"),
      py::arg("direction") = 1,
      "Zero-temperature equilibrium of m near direction * easy axis under the bias field (x, y, z).");

  // ---- Monte Carlo switching
  py::class_<device::SwitchingCurves>(m, "SwitchingCurves",
                                      R"doc(Monte Carlo switching probability on a current x pulse-width grid.

The 2-D arrays are indexed [current, pulse width] and are read-only views of this object's
memory (no copy); copy them (np.array(c.probability)) to keep them past its lifetime or to modify.)doc")
      .def_property_readonly("currents_A",
                             [](const py::object& s) {
                               const auto& c = s.cast<const device::SwitchingCurves&>();
                               return view(c.currents_A.data(), {static_cast<py::ssize_t>(c.currents_A.size())}, s);
                             })
      .def_property_readonly("pulse_widths_s",
                             [](const py::object& s) {
                               const auto& c = s.cast<const device::SwitchingCurves&>();
                               return view(c.pulse_widths_s.data(), {static_cast<py::ssize_t>(c.pulse_widths_s.size())},
                                           s);
                             })
      .def_readonly("trials", &device::SwitchingCurves::trials)
      .def_readonly("time_step_s", &device::SwitchingCurves::time_step_s)
      .def_readonly("equilibrate_time_s", &device::SwitchingCurves::equilibrate_time_s)
      .def_readonly("relax_time_s", &device::SwitchingCurves::relax_time_s)
      .def_readonly("initial_m", &device::SwitchingCurves::initial_m)
      .def_property_readonly("switched_count",
                             [](const py::object& s) {
                               return grid_view<std::int64_t>(
                                   s, [](const device::SwitchingCurves& c) -> const auto& { return c.switched_count; });
                             })
      .def_property_readonly("probability",
                             [](const py::object& s) {
                               return grid_view<double>(
                                   s, [](const device::SwitchingCurves& c) -> const auto& { return c.probability; });
                             })
      .def_property_readonly(
          "ci_low",
          [](const py::object& s) {
            return grid_view<double>(
                s, [](const device::SwitchingCurves& c) -> const auto& { return c.ci_low; });
          },
          "Wilson 95 % interval, low end")
      .def_property_readonly(
          "ci_high",
          [](const py::object& s) {
            return grid_view<double>(
                s, [](const device::SwitchingCurves& c) -> const auto& { return c.ci_high; });
          },
          "Wilson 95 % interval, high end")
      .def_property_readonly(
          "mean_switching_time_s",
          [](const py::object& s) {
            return grid_view<double>(
                s, [](const device::SwitchingCurves& c) -> const auto& { return c.mean_switching_time_s; });
          },
          "mean first-passage time of the switched trajectories from the pulse start; NaN if none switched");

  m.def(
      "switching_probability",
      [](const py::object& device, const DoubleArray& currents, const DoubleArray& pulses, std::size_t trials,
         std::uint64_t seed, int threads, double time_step_s, double equilibrate_time_s, double rise_time_s,
         double fall_time_s, double relax_time_s, int initial_direction, bool start_at_equilibrium, std::uint32_t point,
         std::uint32_t trial) {
        const device::SotMtjParams params = device_of(device);
        device::MonteCarloSettings s;
        s.trials = trials;
        s.seed = seed;
        s.time_step_s = time_step_s;
        s.equilibrate_time_s = equilibrate_time_s;
        s.rise_time_s = rise_time_s;
        s.fall_time_s = fall_time_s;
        s.relax_time_s = relax_time_s;
        s.initial_direction = initial_direction;
        s.start_at_equilibrium = start_at_equilibrium;
        s.point = point;
        s.trial = trial;
        py::gil_scoped_release release;
        ThreadScope scope(threads);
        return device::monte_carlo_switching(params, span_of(currents), span_of(pulses), s);
      },
      py::arg("device"), py::arg("current_A"), py::arg("pulse_width_s"), py::kw_only(), py::arg("trials") = 1000,
      py::arg("seed") = 1, py::arg("threads") = 0, py::arg("time_step_s") = 0.0, py::arg("equilibrate_time_s") = -1.0,
      py::arg("rise_time_s") = 0.0, py::arg("fall_time_s") = 0.0, py::arg("relax_time_s") = -1.0,
      py::arg("initial_direction") = 1, py::arg("start_at_equilibrium") = true, py::arg("point") = 0,
      py::arg("trial") = 0,
      R"doc(Switching probability by Monte Carlo over the stochastic LLG (docs/physics.md), as `cimmc switching`.

device: a SotMtjParams, a preset name or a device file; current_A, pulse_width_s: numbers or 1-D
arrays (read in place when they are contiguous float64, converted (a copy) otherwise). trials
trajectories per (current, pulse width); seed, point and trial address the thermal-field streams
(`cimmc switching --seed S` is seed=S, point=trial=0: the same seed gives the same numbers, for
any thread count). threads: OpenMP threads for this call (0: the default). time_step_s 0 and
equilibrate_time_s / relax_time_s < 0 are automatic, as in the command. Returns SwitchingCurves;
the GIL is released while it runs.)doc");

  // ---- thermal activation and fits
  py::class_<device::ThermalActivationModel>(
      m, "ThermalActivationModel",
      R"doc(Thermal activation: tau(I) = tau0 exp[Delta (1 - |I|/I_c0)^n], P = 1 - exp(-t / tau).

Valid for long pulses and sub-critical currents (docs/physics.md). probability() and
switching_time_s() take numbers or arrays (numpy broadcasting) and return new arrays.)doc")
      .def(py::init([](double delta, double ic, double tau0, double n) {
             return device::ThermalActivationModel{delta, ic, tau0, n};
           }),
           py::arg("thermal_stability"), py::arg("critical_current_A"), py::arg("attempt_time_s") = 1e-9,
           py::arg("exponent") = 2.0)
      .def_static(
          "for_device",
          [](const py::object& d, double tau0, double n) {
            const auto q = device::derive(device_of(d));
            return device::ThermalActivationModel{q.thermal_stability, q.critical_current_A, tau0, n};
          },
          py::arg("device"), py::arg("attempt_time_s") = 1e-9, py::arg("exponent") = 2.0,
          "The model with a device's derived thermal stability and analytic critical current.")
      .def_readwrite("thermal_stability", &device::ThermalActivationModel::thermal_stability)
      .def_readwrite("critical_current_A", &device::ThermalActivationModel::critical_current_A)
      .def_readwrite("attempt_time_s", &device::ThermalActivationModel::attempt_time_s)
      .def_readwrite("exponent", &device::ThermalActivationModel::exponent)
      .def(
          "probability",
          [](const device::ThermalActivationModel& t, const DoubleArray& i, const DoubleArray& w) {
            return py::vectorize([&t](double a, double b) { return t.probability(a, b); })(i, w);
          },
          py::arg("current_A"), py::arg("pulse_width_s"))
      .def(
          "switching_time_s",
          [](const device::ThermalActivationModel& t, const DoubleArray& i) {
            return py::vectorize([&t](double a) { return t.switching_time_s(a); })(i);
          },
          py::arg("current_A"));

  py::class_<device::ThermalActivationFit>(m, "ThermalActivationFit")
      .def_readonly("model", &device::ThermalActivationFit::model)
      .def_readonly("rms_log_residual", &device::ThermalActivationFit::rms_log_residual)
      .def_readonly("points_used", &device::ThermalActivationFit::points_used);
  m.def("fit_thermal_activation", &device::fit_thermal_activation, py::arg("curves"), py::arg("thermal_stability"),
        py::arg("critical_current_A") = std::numeric_limits<double>::quiet_NaN(),
        "Fits tau0 and n (and I_c0 when NaN) to the Monte Carlo points with 0.02 < P < 0.98; ValueError with "
        "fewer than 3 such points.");

  py::class_<device::SigmoidFit>(m, "SigmoidFit", "P = 1 / (1 + exp(-(I - i50_A) / width_A))")
      .def_readonly("i50_A", &device::SigmoidFit::i50_A)
      .def_readonly("width_A", &device::SigmoidFit::width_A)
      .def_readonly("rms_residual", &device::SigmoidFit::rms_residual)
      .def_readonly("max_abs_residual", &device::SigmoidFit::max_abs_residual)
      .def(
          "__call__",
          [](const device::SigmoidFit& f, const DoubleArray& i) {
            return py::vectorize([&f](double a) { return device::sigmoid(f, a); })(i);
          },
          py::arg("current_A"));
  m.def(
      "fit_sigmoid",
      [](const DoubleArray& i, const DoubleArray& p) {
        if (i.size() != p.size())
          throw cimmc::core::ArgumentError("fit_sigmoid: current_A and probability differ in length");
        return device::fit_sigmoid(span_of(i), span_of(p));
      },
      py::arg("current_A"), py::arg("probability"),
      "Least-squares sigmoid fit of P against current (one pulse width).");

  // ---- lookup table
  py::class_<device::SwitchingTable, std::shared_ptr<device::SwitchingTable>>(
      m, "SwitchingTable",
      R"doc(P_sw(I, t_pulse) on a grid: PCHIP in current, linear in ln(pulse width), edge values outside.

load() reads a cimmc.switching_table file or the /table of a cimmc.switching file (docs/formats.md).
probability() takes numbers or arrays (numpy broadcasting) and returns a new array. currents_A,
pulse_widths_s and values ([current, pulse width]) are read-only views (no copy).)doc")
      .def(py::init([](const DoubleArray& currents, const DoubleArray& pulses, const DoubleArray& p,
                       const std::string& device, const std::string& method) {
             return std::make_shared<device::SwitchingTable>(to_vector(currents), to_vector(pulses), to_vector(p),
                                                             device, method);
           }),
           py::arg("current_A"), py::arg("pulse_width_s"), py::arg("probability"), py::arg("device") = "",
           py::arg("method") = "python", "From a grid: probability [current, pulse width] (copied into the table).")
      .def_static(
          "load",
          [](const std::string& path) {
            return std::make_shared<device::SwitchingTable>(device::SwitchingTable::load(path));
          },
          py::arg("path"))
      .def_static(
          "from_monte_carlo",
          [](const device::SwitchingCurves& c, const std::string& device, bool monotone) {
            return std::make_shared<device::SwitchingTable>(
                device::SwitchingTable::from_monte_carlo(c, device, monotone));
          },
          py::arg("curves"), py::arg("device") = "", py::arg("make_monotone") = true)
      .def_static(
          "from_model",
          [](const device::ThermalActivationModel& model, const DoubleArray& i, const DoubleArray& t,
             const std::string& d) {
            return std::make_shared<device::SwitchingTable>(
                device::SwitchingTable::from_model(model, to_vector(i), to_vector(t), d));
          },
          py::arg("model"), py::arg("current_A"), py::arg("pulse_width_s"), py::arg("device") = "")
      .def(
          "probability",
          [](const device::SwitchingTable& t, const DoubleArray& i, const DoubleArray& w) {
            return py::vectorize([&t](double a, double b) { return t.probability(a, b); })(i, w);
          },
          py::arg("current_A"), py::arg("pulse_width_s"))
      .def_property_readonly("currents_A",
                             [](const py::object& s) {
                               const auto& t = s.cast<const device::SwitchingTable&>();
                               return view(t.currents_A().data(), {static_cast<py::ssize_t>(t.currents_A().size())}, s);
                             })
      .def_property_readonly("pulse_widths_s",
                             [](const py::object& s) {
                               const auto& t = s.cast<const device::SwitchingTable&>();
                               return view(t.pulse_widths_s().data(),
                                           {static_cast<py::ssize_t>(t.pulse_widths_s().size())}, s);
                             })
      .def_property_readonly("values",
                             [](const py::object& s) {
                               const auto& t = s.cast<const device::SwitchingTable&>();
                               return view(t.values().data(),
                                           {static_cast<py::ssize_t>(t.currents_A().size()),
                                            static_cast<py::ssize_t>(t.pulse_widths_s().size())},
                                           s);
                             })
      .def_property_readonly("device", &device::SwitchingTable::device)
      .def_property_readonly("method", &device::SwitchingTable::method)
      .def_property_readonly("temperature_K", &device::SwitchingTable::temperature_K)
      .def(
          "save",
          [](const device::SwitchingTable& t, const std::string& path, std::uint64_t seed, const std::string& text) {
            t.save(path, seed, text);
          },
          py::arg("path"), py::arg("seed") = 0, py::arg("config_text") = "",
          "Writes a cimmc.switching_table file (atomically, with provenance).");

  // ---- trajectories
  m.def(
      "trajectory",
      [](const py::object& device, double current_A, double pulse_width_s, std::size_t trajectories, std::uint64_t seed,
         std::size_t record_every_steps, double time_step_s, double equilibrate_time_s, double rise_time_s,
         double fall_time_s, double relax_time_s, int initial_direction, bool start_at_equilibrium, int threads) {
        const device::SotMtjParams params = device_of(device);
        if (trajectories < 1) throw cimmc::core::ArgumentError("trajectory: trajectories must be >= 1");
        if (record_every_steps < 1) throw cimmc::core::ArgumentError("trajectory: record_every_steps must be >= 1");
        if (!(pulse_width_s >= 0) || !std::isfinite(pulse_width_s) || !std::isfinite(current_A))
          throw cimmc::core::ArgumentError("trajectory: pulse_width_s must be >= 0 and the current finite");
        if (initial_direction != 1 && initial_direction != -1)
          throw cimmc::core::ArgumentError("trajectory: initial_direction must be +1 or -1");
        device::Waveform w;
        w.settle_time_s = equilibrate_time_s >= 0 ? equilibrate_time_s : device::default_equilibrate_time_s(params);
        w.rise_time_s = rise_time_s;
        w.pulse_width_s = pulse_width_s;
        w.fall_time_s = fall_time_s;
        w.relax_time_s = relax_time_s >= 0 ? relax_time_s : std::max(1e-9, 5.0 * device::relaxation_time_s(params));
        device::SolverSettings ss;
        ss.time_step_s = time_step_s > 0 ? time_step_s : device::recommended_time_step_s(params, std::abs(current_A));
        ss.initial_direction = initial_direction;
        if (start_at_equilibrium) ss.initial_m = device::equilibrium_direction(params, initial_direction);
        ss.switch_detect_from_s = w.settle_time_s;
        ss.record_every_steps = record_every_steps;
        ss.record_trajectories = trajectories;
        ss.seed = seed;
        std::vector<double> amps(trajectories, current_A);
        device::MacrospinResult r;
        {
          py::gil_scoped_release release;
          ThreadScope scope(threads);
          r = device::simulate(params, w, amps, ss);
        }
        const auto n = static_cast<py::ssize_t>(trajectories);
        const auto samples = static_cast<py::ssize_t>(r.record_time_s.size());
        std::vector<double> final_m(trajectories * 3);
        for (std::size_t i = 0; i < trajectories; ++i) {
          final_m[i * 3] = r.mx[i];
          final_m[i * 3 + 1] = r.my[i];
          final_m[i * 3 + 2] = r.mz[i];
        }
        py::dict out;
        out["time_s"] = adopt(std::move(r.record_time_s), {samples});
        out["m"] = adopt(std::move(r.record_m), {n, samples, 3});
        out["final_m"] = adopt(std::move(final_m), {n, 3});
        out["switched"] = adopt(std::move(r.switched), {n}).attr("astype")("bool");
        out["first_switch_time_s"] = adopt(std::move(r.first_switch_time_s), {n});
        out["time_step_s"] = r.time_step_s;
        out["pulse_start_s"] = w.settle_time_s;
        return out;
      },
      py::arg("device"), py::arg("current_A"), py::arg("pulse_width_s"), py::kw_only(), py::arg("trajectories") = 1,
      py::arg("seed") = 1, py::arg("record_every_steps") = 10, py::arg("time_step_s") = 0.0,
      py::arg("equilibrate_time_s") = -1.0, py::arg("rise_time_s") = 0.0, py::arg("fall_time_s") = 0.0,
      py::arg("relax_time_s") = -1.0, py::arg("initial_direction") = 1, py::arg("start_at_equilibrium") = true,
      py::arg("threads") = 0,
      R"doc(Stochastic LLG trajectories of m under one pulse, with the switching protocol's waveform.

The waveform is zero current for equilibrate_time_s, the pulse (rise, plateau of pulse_width_s,
fall) and relax_time_s at zero current (negative times: automatic, as switching_probability);
m is recorded every record_every_steps steps. Trajectory i draws from thermal-field stream
element i of the seed. Returns a dict of numpy arrays that own the solver's buffers (no copy):
time_s [sample], m [trajectory, sample, 3], final_m [trajectory, 3], switched [trajectory]
(bool, a converted copy), first_switch_time_s [trajectory] (from t = 0, NaN if never), and
time_step_s and pulse_start_s.)doc");
}

}  // namespace cimmc::python
