// cimmc._core: the Python extension over the C++ library (python/README.md). This file holds the
// module, the mapping of library errors to Python exceptions and the study runner; the device
// layer is bound in bind_device.cpp, hardware, readouts, noise and the crossbar in
// bind_crossbar.cpp.
//
// Errors (docs/contributing.md, "Style": the library throws, never exits): bad input
// (cimmc::core::ConfigError, cimmc::core::ArgumentError, cimmc::core::ModelError) raises ValueError, a file that is
// missing, unreadable or of the wrong kind (cimmc::core::IoError, cimmc::core::FormatError) raises OSError, a failure
// at run time (cimmc::core::RuntimeFailure, any other cimmc::core::Error) raises RuntimeError; the message is the
// library's.
#include <pybind11/stl.h>

#include <optional>
#include <string>
#include <vector>

#include "cimmc/core/version.hpp"
#include "cimmc/studies/study_runner.hpp"
#include "cimmc/studies/study_spec.hpp"
#include "common.hpp"

namespace cimmc::python {

void init_studies(py::module_& m) {
  m.def(
      "run_study",
      [](const std::string& path, const std::vector<std::string>& overrides, const std::optional<std::string>& output,
         int threads, bool resume, bool force, bool quiet) {
        if (threads < 0)
          throw cimmc::core::ArgumentError("threads " + std::to_string(threads) + ": expected >= 0 (0: the default)");
        if (resume && force) throw cimmc::core::ArgumentError("resume and force exclude each other");
        studies::RunOutcome outcome;
        std::string written;
        {
          py::gil_scoped_release release;
          ThreadScope scope(threads);
          const auto spec = studies::load_study(path, overrides, output.value_or(""));
          studies::RunOptions options;
          options.threads = threads;
          options.resume = resume;
          options.force = force;
          options.quiet = quiet;
          outcome = studies::run_study(spec, options);
          written = spec.output;
        }
        if (outcome.interrupted)
          throw cimmc::core::RuntimeFailure("stopped by a signal: " + std::to_string(outcome.done_after) + " of " +
                                            std::to_string(outcome.slots) + " slots done, kept in " + written +
                                            "; continue with resume=True");
        return written;
      },
      py::arg("path"), py::arg("overrides") = std::vector<std::string>{}, py::arg("output") = py::none(),
      py::arg("threads") = 0, py::arg("resume") = false, py::arg("force") = false, py::arg("quiet") = true,
      R"doc(Runs a study file as `cimmc run` does and returns the path of its results file.

path: the study TOML file (studies/specs/ has examples); overrides: "key=value" strings as
`cimmc run --set` takes them (study.trials=5, sweep.noise.cell_sigma_lsb=[0,0.1], or a design key);
output: the results file (replaces study.output; relative paths are as the study file resolves
them); threads: OpenMP threads (0: the default; results do not depend on it); resume / force as
`--resume` / `--force`; quiet: no progress line.

The results are a cimmc.study HDF5 file (docs/formats.md): open it with h5py. The GIL is released
while the study runs. Raises ValueError for a bad study file or override, OSError for a missing
file, RuntimeError if a signal stopped the run (finished slots are kept; resume=True continues).)doc");
}

}  // namespace cimmc::python

PYBIND11_MODULE(_core, m) {
  namespace py = pybind11;
  m.doc() = "cimmc's C++ library: device models, switching, readouts and noise, the crossbar GEMM, studies";

  // NOLINTNEXTLINE(performance-unnecessary-value-param): pybind11 takes a void (*)(std::exception_ptr)
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const cimmc::core::IoError& e) {  // cimmc::core::FormatError too
      PyErr_SetString(PyExc_OSError, e.what());
    } catch (const cimmc::core::ConfigError& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    } catch (const cimmc::core::ArgumentError& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    } catch (const cimmc::core::ModelError& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    } catch (const cimmc::core::Error& e) {
      PyErr_SetString(PyExc_RuntimeError, e.what());
    }
  });

  m.attr("__version__") = std::string(cimmc::core::version::version());
  m.attr("git_revision") = std::string(cimmc::core::version::git_sha1());
  cimmc::python::init_device(m);
  cimmc::python::init_crossbar(m);
  cimmc::python::init_studies(m);
}
