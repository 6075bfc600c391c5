// `cimmc cost`: energy, latency, area and EDP of a network on a crossbar design, per layer and
// per component, from the technology table; or the comparisons behind the seed papers' claims.
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "cimmc/arch/crossbar_config.hpp"
#include "cimmc/circuit/technology.hpp"
#include "cimmc/core/config.hpp"
#include "cimmc/core/data_files.hpp"
#include "cimmc/core/error.hpp"
#include "cimmc/core/parallel.hpp"
#include "cimmc/network/dataset.hpp"
#include "cimmc/network/model_file.hpp"
#include "cimmc/network/quantize.hpp"
#include "cimmc/network/zoo.hpp"
#include "cimmc/studies/cli.hpp"
#include "cimmc/studies/cost_inputs.hpp"
#include "cimmc/studies/cost_report.hpp"
#include "cimmc/studies/crossbar_eval.hpp"
#include "cimmc/studies/memory_estimate.hpp"
#include "cimmc/studies/one_point.hpp"
#include "cimmc/studies/reproductions.hpp"
#include "cimmc/studies/resolved_design.hpp"

namespace cimmc::studies {

namespace {
struct CostOptions {
  std::string model, hw, tech = "22nm", device, input = "3x32x32", output, reproduce, dataset, scenario = "cimmc";
  int classes = 10, limit = 200, bits = 8;
  std::uint64_t seed = 1;
  double input_density = 0.25;
  double weight_density = -1;  // from the model's weights
  std::vector<std::string> sets;
};

// --set keys of the hardware file's tables go to it; the others to the technology table.
bool is_hardware_key(const std::string& assignment) {
  const std::string head = assignment.substr(0, assignment.find_first_of(".="));
  return head == "crossbar" || head == "readout" || head == "noise" || head == "gemms" || head == "layers" ||
         head == "cell" || head == "periphery" || head == "description";
}

network::Shape parse_input_shape(const std::string& text) {
  network::Shape s;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t x = text.find('x', start);
    const std::string part = text.substr(start, x == std::string::npos ? std::string::npos : x - start);
    try {
      std::size_t used = 0;
      const int v = std::stoi(part, &used);
      if (used != part.size() || v <= 0) throw std::invalid_argument("");
      s.push_back(v);
    } catch (const std::exception&) {
      throw core::ArgumentError(fmt::format("--input {}: expected CxHxW with positive integers, e.g. 3x32x32", text));
    }
    if (x == std::string::npos) break;
    start = x + 1;
  }
  if (s.size() != 3)
    throw core::ArgumentError(fmt::format("--input {}: expected three sizes CxHxW, e.g. 3x32x32", text));
  if (static_cast<double>(s[0]) * s[1] * s[2] > kMaxInputValues)
    throw core::ArgumentError(fmt::format("--input {}: {} values per image; expected at most {} (C x H x W)", text,
                                          static_cast<double>(s[0]) * s[1] * s[2], kMaxInputValues));
  return s;
}

void run_cost(const CostOptions& o) {
  if (!(o.input_density >= 0 && o.input_density <= 1))
    throw core::ArgumentError(fmt::format("--input-density {}: expected a fraction in [0, 1]", o.input_density));
  if (o.weight_density > 1)
    throw core::ArgumentError(fmt::format("--weight-density {}: expected a fraction in [0, 1]", o.weight_density));
  const auto scenario = studies::parse_scenario(o.scenario);

  if (!o.reproduce.empty()) {
    std::vector<std::string> hw_sets, tech_sets;
    for (const auto& s : o.sets) (is_hardware_key(s) ? hw_sets : tech_sets).push_back(s);
    if (!hw_sets.empty())
      throw core::ArgumentError("--reproduce uses the shipped hardware files; --set only technology keys");
    if (!o.device.empty())
      throw core::ArgumentError("--reproduce prices the devices its hardware files name; no --device");
    const auto tech =
        circuit::load_technology(core::data_files::resolve("tech", o.tech, ".toml", "technology table"), tech_sets);
    studies::Comparison c;
    if (o.reproduce == "stox") c = studies::stox_comparison(tech, o.input_density, scenario);
    else if (o.reproduce == "zebra") c = studies::zebra_comparison(tech, o.input_density, scenario);
    else throw core::ArgumentError(fmt::format("--reproduce {}: expected stox or zebra", o.reproduce));
    fmt::print("{}", c.format());
    return;
  }
  if (o.scenario != "cimmc") throw core::ArgumentError("--scenario goes with --reproduce");
  if (o.model.empty() || o.hw.empty())
    throw core::ArgumentError("--model and --hw are required (or --reproduce stox|zebra)");

  // A one-point cost study (studies/one_point.hpp): the design resolved like a study point (its
  // hardware and technology files, then --set), the analytic roll-up by the study's slot function.
  studies::StudySpec spec;
  spec.source = "cimmc cost";
  spec.kind = studies::StudyKind::kCost;
  spec.model = o.model;
  spec.hardware = o.hw;
  spec.technology = o.tech;
  spec.input_density = o.input_density;
  spec.seed = o.seed;
  spec.set = studies::override_assignments(o.sets);
  studies::check_override_documents(spec.set, {"hardware", "technology"});
  const auto design = studies::resolve_design(spec, 0);
  const auto& hw = design.crossbar;
  const auto& tech = design.tech;
  const auto hw_path = std::filesystem::path(design.hardware_file);
  const auto converter = studies::mtj_converter_for(hw, tech, o.device);
  const circuit::MtjConverter* mtj = converter ? &*converter : nullptr;

  auto priced = studies::cost_model(o.model, parse_input_shape(o.input), o.classes, hw.weight_bits, o.seed);
  network::Model& model = priced.model;
  arch::NetworkCost cost;
  std::string basis;
  const auto what = fmt::format("cimmc cost --model {}{}", o.model, o.dataset.empty() ? "" : " --dataset " + o.dataset);
  if (o.dataset.empty()) {
    // Memory before any work (docs/reliability.md, section 9): the analytic roll-up holds the model.
    studies::MemoryEstimate memory;
    memory.add("model", studies::model_bytes(model));
    studies::check_memory(memory, what, "price a smaller model or input");
    cost = studies::cost_slot(priced, design, mtj, o.weight_density);
    basis = fmt::format("analytic: input bit density {}, weight bit density {:.4f} ({})", o.input_density,
                        o.weight_density >= 0 ? o.weight_density : studies::weight_bit_density(model, hw),
                        o.weight_density >= 0 ? "--weight-density" : "weights " + priced.weights);
  } else {
    // Counters-based: run images through the crossbar backend and price what it counted.
    if (!priced.trained)
      throw core::ArgumentError(fmt::format("--dataset needs a trained model; {} has {}", o.model, priced.weights));
    const auto test = network::load_dataset(o.dataset, "test");
    network::Dataset calibration;
    try {
      calibration = network::load_dataset(o.dataset, "train");
    } catch (const core::Error&) {
      calibration = test;
    }
    {
      // The images held, the model and its quantized copy, a forward pass of one batch (the
      // evaluation's default) and the crossbar layers.
      auto memory =
          studies::inference_memory(model, static_cast<double>(test.pixels.size() + calibration.pixels.size()),
                                    std::min(studies::CrossbarEvalOptions{}.batch, o.limit));
      memory.add("crossbar layers", studies::crossbar_bytes(model, hw, core::max_threads()));
      studies::check_memory(memory, what, "use a smaller --limit or a smaller model");
    }
    if (!model.quantized()) {
      network::QuantOptions q;
      q.weight_bits = q.activation_bits = o.bits;
      q.seed = o.seed;
      model = network::quantize_model(model, calibration, q);
    }
    studies::CrossbarEvalOptions eo;
    eo.seed = o.seed;
    eo.limit = o.limit;
    const auto evaluation = studies::evaluate_on_crossbar(model, test, calibration, hw, eo);
    cost = studies::measured_cost(model, evaluation, hw, tech, mtj);
    basis = fmt::format("measured on {} images of {} (accuracy {:.2f} %), weights {}", evaluation.result.images,
                        o.dataset, 100 * evaluation.result.accuracy, priced.weights);
  }
  fmt::print("model {} on {} ({}), technology {}; {}\n\n", o.model, hw_path.string(),
             std::string(circuit::readout_name(hw.readout.kind)), tech.name, basis);
  fmt::print("{}", studies::format_cost_report(cost));
  if (mtj) fmt::print("{}", studies::format_mtj_sample(tech, *mtj));
  if (!o.output.empty()) {
    const std::string config_text = fmt::format(
        "# cimmc cost --model {} --hw {} --tech {}\n# weights: {}\n# basis: {}\n[hardware]\n{}\n[technology]\n{}\n",
        o.model, o.hw, o.tech, priced.weights, basis, core::config::to_toml(design.hardware.root),
        core::config::to_toml(design.technology.root));
    studies::write_cost_file(o.output, cost, o.seed, config_text);
    fmt::print("wrote {}\n", o.output);
  }
}

void register_cost(Registry& r) {
  static CostOptions o;
  auto* sub = r.add("cost", "Energy, latency, area and EDP of a network on a crossbar design", [] { run_cost(o); });
  sub->add_option("--model", o.model, "Model file (.h5) or zoo name (mlp, lenet5, vgg_small, resnet20)");
  sub->add_option("--hw", o.hw, "Hardware configuration: a data/hw name or a TOML file");
  sub->add_option("--tech", o.tech, "Technology table: a data/tech name or a TOML file")->capture_default_str();
  sub->add_option("--device", o.device,
                  "SOT-MTJ preset of the stochastic readout's converter (default: readout.mtj.device)");
  sub->add_option("--input", o.input, "Input shape CxHxW of a zoo model")->capture_default_str();
  sub->add_option("--classes", o.classes, "Classes of a zoo model")
      ->capture_default_str()
      ->check(count_at_least(2, 100000));
  sub->add_option("--input-density", o.input_density, "Fraction of input bits that are 1")
      ->capture_default_str()
      ->check(number_in(0, 1));
  sub->add_option("--weight-density", o.weight_density,
                  "Fraction of stored weight bits that are 1 (default: from the weights)")
      ->check(number_in(0, 1));
  sub->add_option("--set", o.sets, "Override a hardware or technology key: --set periphery.columns_per_adc=4");
  sub->add_option("--reproduce", o.reproduce, "Print a seed paper's cost comparison: stox or zebra");
  sub->add_option("--scenario", o.scenario,
                  "With --reproduce: cimmc (cimmc's designs) or paper-assumptions (what the paper states)")
      ->capture_default_str();
  sub->add_option("--dataset", o.dataset, "Price counters measured on this dataset's test images (model file only)");
  sub->add_option("--limit", o.limit, "Test images run for --dataset")->capture_default_str()->check(count_at_least(1));
  sub->add_option("--bits", o.bits, "Bits when a float model is quantized for --dataset")
      ->capture_default_str()
      ->check(CLI::Range(2, 8));
  sub->add_option("--seed", o.seed, "Seed of the crossbar's noise for --dataset, and of a zoo model's initial weights")
      ->capture_default_str()
      ->check(seed_value());
  sub->add_option("-o,--output", o.output, "Write the per-layer costs to this HDF5 file");
}
}  // namespace

CIMMC_REGISTER_COMMAND(40, register_cost);

}  // namespace cimmc::studies
