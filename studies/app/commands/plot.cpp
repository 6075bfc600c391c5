// `cimmc plot RESULTS.h5 [-o FIGURE]`: the figure of a cimmc.study file, drawn by the Python
// module cimmc.plot (python/cimmc/plot.py; numpy, h5py and matplotlib from Debian's Python),
// which picks the plot from the study's kind and axes.
#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "cimmc/core/error.hpp"
#include "cimmc/core/filetypes.hpp"
#include "cimmc/core/hdf5.hpp"
#include "cimmc/studies/cli.hpp"

#ifndef CIMMC_PYTHON
#define CIMMC_PYTHON "/usr/bin/python3"
#endif
#ifndef CIMMC_PYTHON_DIR
#define CIMMC_PYTHON_DIR ""
#endif

namespace cimmc::studies {

namespace {

struct PlotOptions {
  std::string results, output;
};

std::string environment_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : fallback;
}

// Runs python -m cimmc.plot with the module's folder first on PYTHONPATH; returns its exit code.
int run_python(const std::vector<std::string>& args) {
  const std::string python = environment_or("CIMMC_PYTHON", CIMMC_PYTHON);
  const std::string module_dir = environment_or("CIMMC_PYTHON_DIR", CIMMC_PYTHON_DIR);
  std::vector<std::string> argv{python, "-m", "cimmc.plot"};
  argv.insert(argv.end(), args.begin(), args.end());
  const pid_t pid = fork();
  if (pid < 0) throw core::RuntimeFailure("cimmc plot: cannot start a process");
  if (pid == 0) {
    if (!module_dir.empty()) {
      const std::string old = environment_or("PYTHONPATH", "");
      setenv("PYTHONPATH", (old.empty() ? module_dir : module_dir + ":" + old).c_str(), 1);
    }
    std::vector<char*> c_argv;
    c_argv.reserve(argv.size() + 1);
    for (auto& a : argv) c_argv.push_back(a.data());
    c_argv.push_back(nullptr);
    execvp(c_argv[0], c_argv.data());
    fmt::print(stderr, "cimmc plot: cannot run {} (set CIMMC_PYTHON to a Python 3 with numpy, h5py and matplotlib)\n",
               python);
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {}
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

void run_plot(const PlotOptions& o) {
  const std::string output =
      o.output.empty() ? std::filesystem::path(o.results).replace_extension(".png").string() : o.output;
  const std::string extension = std::filesystem::path(output).extension().string();
  if (extension != ".png" && extension != ".pdf" && extension != ".svg")
    throw core::ArgumentError(fmt::format("-o {}: expected a .png, .pdf or .svg file", output));
  // The file is checked here first, so a file that is not a study gets the usual message and exit code.
  core::h5::open_cimmc_file(o.results, std::string(core::filetypes::kStudy.name), core::filetypes::kStudy.major);
  const int code = run_python({o.results, "-o", output});
  if (code == 2) throw core::FormatError(fmt::format("{}: cannot be plotted (see the message above)", o.results));
  if (code != 0)
    throw core::RuntimeFailure(fmt::format("cimmc plot: the Python module cimmc.plot failed (exit {})", code));
}

void register_plot(Registry& r) {
  static PlotOptions o;
  auto* sub =
      r.add("plot", "Plot a study's results: accuracy vs noise, P_sw vs current, or cost bars", [] { run_plot(o); });
  sub->add_option("results", o.results, "Results file (cimmc.study, written by cimmc run)")->required();
  sub->add_option("-o,--output", o.output, "Figure file: .png, .pdf or .svg (default: RESULTS with .png)");
}

}  // namespace

CIMMC_REGISTER_COMMAND(31, register_plot);

}  // namespace cimmc::studies
