#include "cimmc/studies/resolved_design.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "cimmc/core/data_files.hpp"
#include "cimmc/core/error.hpp"
#include "cimmc/studies/cost_inputs.hpp"

namespace cimmc::studies {

std::string toml_value_text(const core::config::Value& v) {
  if (v.is_floating()) {
    std::string s = fmt::format("{:.17g}", v.as_floating());
    if (s.find_first_of(".eni") == std::string::npos) s += ".0";
    return s;
  }
  if (v.is_array()) {
    std::string s = "[";
    for (std::size_t i = 0; i < v.as_array().size(); ++i) s += (i ? ", " : "") + toml_value_text(v.as_array()[i]);
    return s + "]";
  }
  return core::config::to_toml(v);
}

namespace {

// Sets root.<dotted key> = value, creating tables; a non-table on the way is a core::ConfigError.
void set_dotted(core::config::Value& root, const std::string& key, const core::config::Value& value,
                const std::string& source) {
  if (!root.is_table()) root = toml::table{};
  core::config::Value* node = &root;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = key.find('.', start);
    const std::string part = key.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (dot == std::string::npos) {
      node->as_table()[part] = value;
      return;
    }
    auto& table = node->as_table();
    auto it = table.find(part);
    if (it == table.end()) it = table.emplace(part, toml::table{}).first;
    if (!it->second.is_table())
      throw core::ConfigError(fmt::format("{}: key '{}': '{}' is a value, not a table",
                                          core::config::where(value, source, key), key, key.substr(0, dot)));
    node = &it->second;
    start = dot + 1;
  }
}

std::string text_value(const core::config::Value& v, const std::string& source, const std::string& key) {
  if (!v.is_string())
    throw core::ConfigError(
        fmt::format("{}: expected a name or a path (a string)", core::config::where(v, source, key)));
  return v.as_string().str;
}

}  // namespace

namespace {
// "layers" is the former name of "gemms", read until cimmc 0.2.
constexpr std::array kHardware{"crossbar", "readout", "noise", "gemms", "layers", "cell", "periphery", "description"};
constexpr std::array kTechnology{"technology", "array", "adc", "comparator", "mtj", "digital"};
}  // namespace

std::vector<std::string> document_heads(std::string_view document) {
  if (document == "hardware") return {kHardware.begin(), kHardware.end()};
  if (document == "technology") return {kTechnology.begin(), kTechnology.end()};
  if (document == "device" || document == "switching" || document == "train") return {std::string(document)};
  return {};
}

std::string document_of_key(std::string_view key) {
  const std::string_view head = key.substr(0, key.find('.'));
  if (std::find(kHardware.begin(), kHardware.end(), head) != kHardware.end()) return "hardware";
  if (std::find(kTechnology.begin(), kTechnology.end(), head) != kTechnology.end()) return "technology";
  if (head == "device" && key.size() > head.size()) return "device";
  if (head == "switching" && key.size() > head.size()) return "switching";
  if (head == "train" && key.size() > head.size()) return "train";
  return "";
}

std::string canonical_toml(const core::config::Value& root, const std::string& prefix) {
  if (!root.is_table()) return prefix.empty() ? "" : prefix + " = " + toml_value_text(root) + "\n";
  std::vector<std::string> keys;
  for (const auto& [k, v] : root.as_table()) keys.push_back(k);
  std::sort(keys.begin(), keys.end());
  std::string out;
  for (const auto& k : keys)
    out += canonical_toml(root.as_table().at(k), prefix.empty() ? k : fmt::format("{}.{}", prefix, k));
  return out;
}

std::uint64_t fnv1a64(const std::string& text) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (const unsigned char c : text) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

std::string hash_hex(std::uint64_t hash) { return fmt::format("{:016x}", hash); }

std::string ResolvedDesign::text() const {
  std::string out = fmt::format("[design]\nkind = \"{}\"\n", study_kind_name(kind));
  if (kind == StudyKind::kSwitching) {
    out += fmt::format("device_file = \"{}\"\n", device_file);
    out += "\n[device_file]\n" + canonical_toml(device.root) + "\n[switching_grid]\n" + canonical_toml(switching.root);
    return out;
  }
  if (kind == StudyKind::kTrain) {
    out += "\n[training]\n" + canonical_toml(training.root);
    if (!crossbar_aware) return out;
    out += "\n";
  }
  out += fmt::format("hardware_file = \"{}\"\ntechnology_file = \"{}\"\n", hardware_file, technology_file);
  if (kind == StudyKind::kCost)
    out += fmt::format("input_density = {}\n", toml_value_text(core::config::Value(input_density)));
  out += "\n[hardware]\n" + canonical_toml(hardware.root) + "\n[technology]\n" + canonical_toml(technology.root);
  return out;
}

std::uint64_t ResolvedDesign::hash() const { return fnv1a64(text()); }

namespace {

// A file named by the study: its name or path and where the study names it.
struct NamedFile {
  std::string name, where;
  void take(const core::config::Value& v, const std::string& source, const std::string& key) {
    name = text_value(v, source, key);
    where = core::config::where(v, source, key);
  }
  template <typename F>
  std::string resolve(F&& f) const {
    try {
      return f(name).string();
    } catch (const core::IoError& e) {
      throw core::ConfigError(fmt::format("{}: {}", where, e.what()));
    }
  }
};

}  // namespace

ResolvedDesign resolve_design(const StudySpec& spec, std::size_t point) {
  ResolvedDesign d;
  d.kind = spec.kind;
  d.input_density = spec.input_density;
  const auto base_key = [&](const std::string& key) { return fmt::format("{}: key 'base.{}'", spec.source, key); };
  NamedFile hardware{spec.hardware, base_key("hardware")}, technology{spec.technology, base_key("technology")},
      device_name{spec.device, base_key("device")};
  std::vector<Assignment> overrides = spec.set;
  for (const auto& a : spec.point_assignments(point)) {
    const std::string key = "sweep." + a.key;
    if (a.key == "hardware") hardware.take(a.value, spec.source, key);
    else if (a.key == "technology") technology.take(a.value, spec.source, key);
    else if (a.key == "device") device_name.take(a.value, spec.source, key);
    else if (a.key == "input_density") {
      d.input_density = a.value.is_integer() ? static_cast<double>(a.value.as_integer()) : a.value.as_floating();
      if (!(d.input_density >= 0 && d.input_density <= 1))
        throw core::ConfigError(fmt::format("{}: input density {} is not a fraction in [0, 1]",
                                            core::config::where(a.value, spec.source, key), d.input_density));
    } else overrides.push_back(a);
  }
  d.crossbar_aware = spec.kind != StudyKind::kTrain || !hardware.name.empty();
  if (spec.kind == StudyKind::kTrain)
    d.training = core::config::Document{toml::table{{"train", spec.training}}, spec.source};
  if (spec.kind == StudyKind::kSwitching) {
    d.device_file = device_name.resolve([](const std::string& n) { return device::resolve_device_file(n); });
    d.device = core::config::parse_file(d.device_file);
    d.switching = core::config::Document{toml::table{{"switching", spec.switching}}, spec.source};
  } else if (d.crossbar_aware) {
    d.hardware_file = hardware.resolve(
        [](const std::string& n) { return core::data_files::resolve("hw", n, ".toml", "hardware configuration"); });
    d.technology_file = technology.resolve(
        [](const std::string& n) { return core::data_files::resolve("tech", n, ".toml", "technology table"); });
    d.hardware = core::config::parse_file(d.hardware_file);
    d.technology = core::config::parse_file(d.technology_file);
  }
  for (const auto& a : overrides) {
    const std::string doc = document_of_key(a.key);
    core::config::Document& target = doc == "hardware"     ? d.hardware
                                     : doc == "technology" ? d.technology
                                     : doc == "device"     ? d.device
                                     : doc == "train"      ? d.training
                                                           : d.switching;
    set_dotted(target.root, a.key, a.value, spec.source);
  }
  // Every document is read even when an earlier one failed, so all problems come out together.
  core::config::Problems problems;
  const auto read = [&](auto&& f) {
    try {
      f();
    } catch (const core::ConfigError& e) {
      problems.add(e.what());
    }
  };
  if (spec.kind == StudyKind::kSwitching) {
    read([&] {
      if (!d.device.root.is_table() || !d.device.root.contains("device"))
        throw core::ConfigError(fmt::format("{}: no [device] table", d.device.source));
      d.device_params = device::read_sot_mtj(d.device.root.at("device"), d.device.source);
    });
    read([&] { d.grid = device::read_switching_config(d.switching.root.at("switching"), spec.source); });
  } else if (spec.kind == StudyKind::kTrain && !d.crossbar_aware) {
  } else {
    bool ok = true;
    read([&] { d.crossbar = arch::read_crossbar_config(d.hardware); });
    read([&] { d.tech = circuit::read_technology(d.technology); });
    ok = problems.empty();
    if (ok && spec.priced) read([&] { mtj_converter_for(d.crossbar, d.tech); });
  }
  if (spec.kind == StudyKind::kTrain) {
    read([&] {
      core::config::Problems p;
      d.train = read_training_settings(d.training.root.at("train"), spec.source, "train", p);
      const auto& t = d.train;
      if (d.crossbar_aware && !t.qat)
        p.add(fmt::format("{}: crossbar-aware training (base.hardware) needs train.qat = true", spec.source));
      if (!d.crossbar_aware && t.recalibrate_every > 0)
        p.add(fmt::format("{}: train.recalibrate_every applies to crossbar-aware training (give base.hardware)",
                          spec.source));
      if (!d.crossbar_aware && t.ps_gradient != network::PsGradient::kStraightThrough)
        p.add(
            fmt::format("{}: train.ps_gradient applies to crossbar-aware training (give base.hardware)", spec.source));
      p.throw_if_any(spec.source);
    });
  }
  if (!problems.empty()) {
    std::string message;
    for (const auto& m : problems.messages()) message += (message.empty() ? "" : "\n") + m;
    throw core::ConfigError(message);
  }
  return d;
}

}  // namespace cimmc::studies
