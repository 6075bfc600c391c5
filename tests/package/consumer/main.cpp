// An outside program built against an installed cimmc: a random number (core), a small Monte
// Carlo of the stox_converter preset's switching probability (device) and a one-point switching
// study run through the study runner (studies). Usage: consumer WORK_FOLDER
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "cimmc/core/rng.hpp"
#include "cimmc/core/version.hpp"
#include "cimmc/device/sot_mtj_params.hpp"
#include "cimmc/device/switching.hpp"
#include "cimmc/studies/study_runner.hpp"
#include "cimmc/studies/study_spec.hpp"

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  const fs::path work = argc > 1 ? fs::path(argv[1]) : fs::current_path();
  try {
    cimmc::core::rng::Stream s(1, {cimmc::core::rng::Purpose::kTest, 0, 0, 0});
    const double u = s.uniform();
    if (!(u > 0 && u < 1)) throw std::runtime_error("uniform draw outside (0, 1)");

    // P_sw of the preset at 120 uA, 1 ns (I50 = 111.7 uA, w = 10.3 uA: P = 0.69).
    const auto device = cimmc::device::load_sot_mtj(cimmc::device::resolve_device_file("stox_converter"));
    cimmc::device::MonteCarloSettings mc;
    mc.trials = 64;
    mc.seed = 7;
    const std::vector<double> currents{120e-6}, pulses{1e-9};
    const auto curves = cimmc::device::monte_carlo_switching(device, currents, pulses, mc);
    const double p = curves.probability.at(0);
    if (!(p > 0.4 && p < 0.95))
      throw std::runtime_error("P_sw at 120 uA is " + std::to_string(p) + ", expected about 0.7");

    // A one-point switching study (1 trial of 16 trajectories at one current).
    const fs::path spec_path = work / "consumer_study.toml";
    std::ofstream(spec_path) << "[study]\nname = \"consumer\"\nkind = \"switching\"\nseed = 3\n\n"
                                "[base]\ndevice = \"stox_converter\"\n\n"
                                "[switching]\ncurrent_A = [150e-6]\npulse_width_s = [1e-9]\ntrials = 16\n";
    const auto spec = cimmc::studies::load_study(spec_path, {}, (work / "consumer_study.h5").string());
    cimmc::studies::RunOptions options;
    options.force = true;
    options.quiet = true;
    const auto outcome = cimmc::studies::run_study(spec, options);
    if (outcome.done_after != outcome.slots || outcome.slots != 1 || !fs::exists(work / "consumer_study.h5"))
      throw std::runtime_error("the study did not finish its slot");

    std::printf("cimmc %s ok: P_sw(120 uA, 1 ns) = %.3f over %zu trajectories; study %zu/%zu slots\n",
                std::string(cimmc::core::version::version()).c_str(), p, curves.trials, outcome.done_after,
                outcome.slots);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "consumer: %s\n", e.what());
    return 1;
  }
}
