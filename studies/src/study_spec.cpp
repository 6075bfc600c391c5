#include "cimmc/studies/study_spec.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <set>
#include <sstream>

#include "cimmc/core/data_files.hpp"
#include "cimmc/core/error.hpp"
#include "cimmc/core/rng.hpp"
#include "cimmc/network/zoo.hpp"
#include "cimmc/studies/resolved_design.hpp"

namespace cimmc::studies {

namespace {

constexpr std::array kStudyTables{"study", "base", "set", "sweep", "train"};

std::vector<std::string> sorted_keys(const core::config::Value& table) {
  std::vector<std::string> keys;
  for (const auto& [k, v] : table.as_table()) keys.push_back(k);
  std::sort(keys.begin(), keys.end());
  return keys;
}

bool is_range(const core::config::Value& v) {
  return v.is_table() && (v.contains("start") || v.contains("stop") || v.contains("count"));
}

// Leaves of a table as dotted keys (a range table is a leaf), in sorted order.
void flatten(const core::config::Value& table, const std::string& prefix, std::vector<Assignment>& out) {
  for (const auto& k : sorted_keys(table)) {
    const auto& v = table.as_table().at(k);
    const std::string key = prefix.empty() ? k : fmt::format("{}.{}", prefix, k);
    if (v.is_table() && !is_range(v)) flatten(v, key, out);
    else out.push_back({key, v});
  }
}

// Base keys a kind may sweep (whole files or numbers of [base]).
std::vector<std::string> sweepable_base_keys(StudyKind kind) {
  switch (kind) {
    case StudyKind::kInference: return {"hardware", "technology"};
    case StudyKind::kCost: return {"hardware", "technology", "input_density"};
    case StudyKind::kSwitching: return {"device"};
    case StudyKind::kTrain: return {"hardware", "technology"};
  }
  return {};
}

// Documents a kind's override keys may address.
std::vector<std::string> documents_of_kind(StudyKind kind) {
  if (kind == StudyKind::kSwitching) return {"device", "switching"};
  if (kind == StudyKind::kTrain) return {"hardware", "technology", "train"};
  return {"hardware", "technology"};
}

// Checks that an override or sweep key addresses a document this kind uses.
void check_override_key(const StudySpec& spec, const std::string& key, const core::config::Value& v,
                        const std::string& key_path, core::config::Problems& problems) {
  const std::string doc = document_of_key(key);
  const auto docs = documents_of_kind(spec.kind);
  if (doc.empty()) {
    std::vector<std::string> heads;
    for (const char* document : {"hardware", "technology", "device", "switching", "train"})
      for (auto& h : document_heads(document)) heads.push_back(std::move(h));
    for (const auto& b : sweepable_base_keys(spec.kind)) heads.push_back(b);
    const std::string head = key.substr(0, key.find('.'));
    const auto guess = core::config::did_you_mean(head, heads);
    problems.add(fmt::format("{}: unknown key '{}'{}", core::config::where(v, spec.source, key_path), key,
                             guess ? fmt::format(" (did you mean '{}'?)", *guess) : std::string()));
  } else if (std::find(docs.begin(), docs.end(), doc) == docs.end()) {
    problems.add(fmt::format("{}: '{}' is a {} key; {} studies use {} keys",
                             core::config::where(v, spec.source, key_path), key, doc, study_kind_name(spec.kind),
                             fmt::join(docs, " and ")));
  } else if ((spec.kind == StudyKind::kSwitching && key == "switching.seed") ||
             (spec.kind == StudyKind::kTrain && key == "train.seed")) {
    problems.add(fmt::format("{}: the seed of a study is study.seed", core::config::where(v, spec.source, key_path)));
  }
}

// Values of a range {start, stop, count, scale = "linear" | "log"}, ends included.
std::vector<core::config::Value> range_values(const StudySpec& spec, const core::config::Value& v,
                                              const std::string& key_path, core::config::Problems& problems) {
  core::config::TableReader r(v, spec.source, key_path, problems);
  double start = 0, stop = 0;
  int count = 0;
  std::string scale = "linear";
  const bool ok = r.required("start", start) & r.required("stop", stop) & r.required("count", count);
  r.optional("scale", scale);
  r.check(scale == "linear" || scale == "log", "scale", "\"linear\" or \"log\"");
  r.finish();
  if (!ok) return {};
  if (count < 1 || count > 100000) {
    problems.add(fmt::format("{}: count {} (expected 1 to 100000 values)",
                             core::config::where(v, spec.source, key_path), count));
    return {};
  }
  if (scale == "log" && !(start > 0 && stop > 0)) {
    problems.add(
        fmt::format("{}: a log range needs start and stop > 0", core::config::where(v, spec.source, key_path)));
    return {};
  }
  std::vector<core::config::Value> values;
  for (int i = 0; i < count; ++i) {
    const double f = count == 1 ? 0.0 : static_cast<double>(i) / (count - 1);
    values.emplace_back(scale == "log" ? std::exp(std::log(start) + f * (std::log(stop) - std::log(start)))
                                       : start + f * (stop - start));
  }
  return values;
}

void read_axis(StudySpec& spec, const Assignment& a, core::config::Problems& problems) {
  const std::string key_path = "sweep." + a.key;
  if (std::any_of(spec.axes.begin(), spec.axes.end(), [&](const Axis& x) { return x.key == a.key; })) {
    problems.add(fmt::format("{}: the axis is given twice (quoted and as a table)",
                             core::config::where(a.value, spec.source, key_path)));
    return;
  }
  const auto base_keys = sweepable_base_keys(spec.kind);
  const bool base_key = std::find(base_keys.begin(), base_keys.end(), a.key) != base_keys.end();
  if (!base_key) {
    const std::size_t before = problems.messages().size();
    check_override_key(spec, a.key, a.value, key_path, problems);
    if (problems.messages().size() != before) return;
    if (a.key == "switching.current_A" || a.key == "switching.pulse_width_s") {
      problems.add(fmt::format(
          "{}: the current x pulse-width grid is one point's curve, not a sweep axis; set it in [switching]",
          core::config::where(a.value, spec.source, key_path)));
      return;
    }
  }
  Axis axis;
  axis.key = a.key;
  if (is_range(a.value)) {
    axis.values = range_values(spec, a.value, key_path, problems);
    if (axis.values.empty()) return;
  } else if (!a.value.is_array()) {
    problems.add(fmt::format("{}: expected a list of values or a range {{start, stop, count}}, found {}",
                             core::config::where(a.value, spec.source, key_path), core::config::to_toml(a.value)));
    return;
  } else {
    axis.values = a.value.as_array();
  }
  if (axis.values.empty()) {
    problems.add(
        fmt::format("{}: empty sweep; give at least one value", core::config::where(a.value, spec.source, key_path)));
    return;
  }
  const auto kind_of = [](const core::config::Value& v) {
    if (v.is_integer() || v.is_floating()) return 0;
    if (v.is_string()) return 1;
    if (v.is_boolean()) return 2;
    return 3;
  };
  const int first = kind_of(axis.values[0]);
  for (const auto& v : axis.values)
    if (kind_of(v) == 3 || kind_of(v) != first) {
      problems.add(fmt::format("{}: values must be all numbers, all strings or all booleans (found {})",
                               core::config::where(a.value, spec.source, key_path), core::config::to_toml(v)));
      return;
    }
  if (base_key && a.key != "input_density" && first != 1) {
    problems.add(fmt::format("{}: expected a list of names or paths (strings)",
                             core::config::where(a.value, spec.source, key_path)));
    return;
  }
  axis.units = first == 0 ? units_of_key(a.key) : "";
  spec.axes.push_back(std::move(axis));
}

void read_zip(StudySpec& spec, const core::config::Value& zip, core::config::Problems& problems) {
  std::vector<bool> grouped(spec.axes.size(), false);
  const bool shape_ok = zip.is_array() && std::all_of(zip.as_array().begin(), zip.as_array().end(), [](const auto& g) {
                          return g.is_array() && std::all_of(g.as_array().begin(), g.as_array().end(),
                                                             [](const auto& k) { return k.is_string(); });
                        });
  if (!shape_ok) {
    problems.add(
        fmt::format("{}: expected a list of key lists, e.g. zip = [[\"noise.cell_sigma_lsb\", \"readout.adc.bits\"]]",
                    core::config::where(zip, spec.source, "sweep.zip")));
    return;
  }
  std::vector<std::string> names;
  for (const auto& a : spec.axes) names.push_back(a.key);
  for (const auto& g : zip.as_array()) {
    std::vector<std::size_t> group;
    for (const auto& k : g.as_array()) {
      const auto& key = k.as_string().str;
      const auto it = std::find(names.begin(), names.end(), key);
      if (it == names.end()) {
        const auto guess = core::config::did_you_mean(key, names);
        problems.add(fmt::format("{}: '{}' is not a sweep axis{}", core::config::where(g, spec.source, "sweep.zip"),
                                 key, guess ? fmt::format(" (did you mean '{}'?)", *guess) : std::string()));
        continue;
      }
      const auto i = static_cast<std::size_t>(it - names.begin());
      if (grouped[i]) {
        problems.add(fmt::format("{}: axis '{}' is in more than one zip group",
                                 core::config::where(g, spec.source, "sweep.zip"), key));
        continue;
      }
      grouped[i] = true;
      group.push_back(i);
    }
    for (std::size_t j = 1; j < group.size(); ++j)
      if (spec.axes[group[j]].values.size() != spec.axes[group[0]].values.size())
        problems.add(fmt::format("{}: zip group of unequal lengths: '{}' has {} values, '{}' has {}",
                                 core::config::where(g, spec.source, "sweep.zip"), spec.axes[group[0]].key,
                                 spec.axes[group[0]].values.size(), spec.axes[group[j]].key,
                                 spec.axes[group[j]].values.size()));
    if (!group.empty()) spec.groups.push_back(group);
  }
  for (std::size_t i = 0; i < spec.axes.size(); ++i)
    if (!grouped[i]) spec.groups.push_back({i});
  std::sort(spec.groups.begin(), spec.groups.end(), [](const auto& a, const auto& b) { return a[0] < b[0]; });
}

void read_study_table(StudySpec& spec, core::config::TableReader st) {
  if (st.required("name", spec.name)) st.check(!spec.name.empty(), "name", "a non-empty name");
  std::string kind;
  if (st.required("kind", kind)) {
    const std::vector<std::string> kinds{"inference", "switching", "cost", "train"};
    if (kind == "inference") spec.kind = StudyKind::kInference;
    else if (kind == "switching") spec.kind = StudyKind::kSwitching;
    else if (kind == "cost") spec.kind = StudyKind::kCost;
    else if (kind == "train") spec.kind = StudyKind::kTrain;
    else {
      const auto guess = core::config::did_you_mean(kind, kinds);
      st.check(false, "kind",
               fmt::format("one of inference, switching, cost, train{}",
                           guess ? fmt::format(" (did you mean '{}'?)", *guess) : std::string()));
    }
  }
  st.optional("seed", spec.seed);
  std::int64_t trials = spec.trials;
  st.optional("trials", trials);
  st.check(trials >= 1 && trials <= std::int64_t{core::rng::kMaxTrial} + 1, "trials", "1 to 16777216 trials per point");
  spec.trials = static_cast<int>(std::clamp<std::int64_t>(trials, 1, std::int64_t{core::rng::kMaxTrial} + 1));
  if (spec.kind == StudyKind::kCost)
    st.check(spec.trials == 1, "trials", "1: a cost study is deterministic (an analytic roll-up), so it has one trial");
  st.optional("output", spec.output);
  st.optional("checkpoint_seconds", spec.checkpoint_seconds);
  if (spec.kind == StudyKind::kTrain) st.optional("keep_models", spec.keep_models);
  st.check(spec.checkpoint_seconds >= 0 && std::isfinite(spec.checkpoint_seconds), "checkpoint_seconds",
           "a time >= 0 s");
  st.finish();
}

void read_base_table(StudySpec& spec, core::config::TableReader b) {
  const bool network = spec.kind == StudyKind::kInference || spec.kind == StudyKind::kCost;
  if (network) {
    b.required("model", spec.model);
    b.optional("hardware", spec.hardware);
    b.optional("technology", spec.technology);
    b.optional("bits", spec.bits);
    b.check(spec.bits >= 2 && spec.bits <= 8, "bits", "2 to 8 bits");
  }
  if (spec.kind == StudyKind::kInference) {
    b.optional("dataset", spec.dataset);
    b.optional("limit", spec.limit);
    b.check(spec.limit >= 0, "limit", "a number of test images >= 0 (0: all)");
    b.optional("calibration_images", spec.calibration_images);
    b.check(spec.calibration_images >= 1, "calibration_images", "a number of images >= 1");
    b.optional("batch", spec.batch);
    b.check(spec.batch >= 1 && spec.batch <= 4096, "batch", "1 to 4096 images per forward pass");
  }
  if (spec.kind == StudyKind::kCost) {
    b.optional("input", spec.input);
    b.check(spec.input.size() == 3 && std::all_of(spec.input.begin(), spec.input.end(), [](int x) { return x > 0; }),
            "input", "three positive sizes [C, H, W]");
    b.check(
        spec.input.size() != 3 || static_cast<double>(spec.input[0]) * spec.input[1] * spec.input[2] <= kMaxInputValues,
        "input", "at most 262144 values per image (C x H x W)");
    b.optional("classes", spec.classes);
    b.check(spec.classes >= 2, "classes", "at least 2 classes");
    b.optional("input_density", spec.input_density);
    b.check(spec.input_density >= 0 && spec.input_density <= 1, "input_density", "a fraction in [0, 1]");
  }
  if (spec.kind == StudyKind::kSwitching) b.optional("device", spec.device);
  if (spec.kind == StudyKind::kTrain) {
    b.required("model", spec.model);
    b.optional("dataset", spec.dataset);
    b.optional("limit", spec.limit);
    b.check(spec.limit >= 0, "limit", "a number of training images >= 0 (0: all)");
    b.optional("hardware", spec.hardware);  // crossbar-aware training through this design
    b.optional("technology", spec.technology);
  }
  b.finish();
}

bool has_axis(const StudySpec& spec, const std::string& key) {
  return std::any_of(spec.axes.begin(), spec.axes.end(), [&](const Axis& a) { return a.key == key; });
}

// Adds the problems of a core::ConfigError's message (one per listed line), without repeats.
void add_error_lines(const std::string& message, const std::string& context, std::set<std::string>& seen,
                     core::config::Problems& problems) {
  std::istringstream in(message);
  std::string line;
  std::vector<std::string> items;
  while (std::getline(in, line))
    if (line.rfind("  - ", 0) == 0) items.push_back(line.substr(4));
  if (items.empty()) items.push_back(message);
  for (auto& item : items) {
    if (!seen.insert(item).second) continue;
    problems.add(context.empty() ? item : fmt::format("{} ({})", item, context));
  }
}

std::string describe(const std::vector<Assignment>& values) {
  std::vector<std::string> parts;
  parts.reserve(values.size());
  for (const auto& a : values) parts.push_back(fmt::format("{} = {}", a.key, core::config::to_toml(a.value)));
  return parts.empty() ? "the base configuration" : fmt::format("point {}", fmt::join(parts, ", "));
}

}  // namespace

std::string_view study_kind_name(StudyKind kind) {
  switch (kind) {
    case StudyKind::kInference: return "inference";
    case StudyKind::kSwitching: return "switching";
    case StudyKind::kCost: return "cost";
    case StudyKind::kTrain: return "train";
  }
  return "unknown";
}

double Axis::number(std::size_t i) const {
  const auto& v = values.at(i);
  return v.is_integer() ? static_cast<double>(v.as_integer()) : v.as_floating();
}

std::string Axis::text(std::size_t i) const {
  const auto& v = values.at(i);
  if (v.is_string()) return v.as_string().str;
  if (v.is_floating()) return fmt::format("{}", v.as_floating());
  return core::config::to_toml(v);
}

std::string units_of_key(std::string_view key) {
  static const std::vector<std::pair<std::string_view, std::string_view>> suffixes{{"_A_per_m", "A/m"},
                                                                                   {"_J_per_m2", "J/m^2"},
                                                                                   {"_ohm_m2", "ohm*m^2"},
                                                                                   {"_ohm_m", "ohm*m"},
                                                                                   {"_m2", "m^2"},
                                                                                   {"_m3", "m^3"},
                                                                                   {"_ohm", "ohm"},
                                                                                   {"_s", "s"},
                                                                                   {"_A", "A"},
                                                                                   {"_V", "V"},
                                                                                   {"_J", "J"},
                                                                                   {"_K", "K"},
                                                                                   {"_lsb", "LSB"},
                                                                                   {"_W", "W"},
                                                                                   {"_Hz", "Hz"},
                                                                                   {"_m", "m"}};
  for (const auto& [suffix, units] : suffixes)
    if (key.size() > suffix.size() && key.substr(key.size() - suffix.size()) == suffix) return std::string(units);
  return "1";
}

std::size_t StudySpec::points() const {
  std::size_t n = 1;
  for (const auto& g : groups) n *= axes[g[0]].values.size();
  return n;
}

std::vector<std::size_t> StudySpec::point_index(std::size_t point) const {
  std::vector<std::size_t> index(axes.size(), 0);
  for (std::size_t gi = groups.size(); gi-- > 0;) {
    const std::size_t n = axes[groups[gi][0]].values.size();
    for (const auto a : groups[gi]) index[a] = point % n;
    point /= n;
  }
  return index;
}

std::vector<Assignment> StudySpec::point_assignments(std::size_t point) const {
  const auto index = point_index(point);
  std::vector<Assignment> out;
  for (std::size_t a = 0; a < axes.size(); ++a) out.push_back({axes[a].key, axes[a].values[index[a]]});
  return out;
}

StudySpec load_study(const std::filesystem::path& path, const std::vector<std::string>& overrides,
                     const std::string& output) {
  auto doc = core::config::parse_file(path);
  for (const auto& o : overrides) {
    const std::string head = o.substr(0, o.find_first_of(".="));
    const bool study_key = std::find(kStudyTables.begin(), kStudyTables.end(), head) != kStudyTables.end();
    const std::string assignment = study_key ? o : "set." + o;
    // A key the file writes quoted ("noise.cell_sigma_lsb" = ...) is the one the override replaces.
    const std::size_t dot = assignment.find('.'), eq = assignment.find('=');
    const std::string table = assignment.substr(0, dot);
    if ((table == "set" || table == "sweep") && dot < eq && doc.root.is_table() && doc.root.contains(table) &&
        doc.root.at(table).is_table())
      doc.root.as_table().at(table).as_table().erase(assignment.substr(dot + 1, eq - dot - 1));
    core::config::apply_override(doc, assignment);
  }
  StudySpec spec;
  spec.source = doc.source;
  core::config::Problems problems;
  core::config::TableReader root(doc.root, spec.source, "", problems);
  read_study_table(spec, root.child("study"));
  read_base_table(spec, root.child("base"));
  if (const auto* set = root.value("set")) {
    if (!set->is_table())
      problems.add(fmt::format("{}: expected a table of dotted keys", core::config::where(*set, spec.source, "set")));
    else flatten(*set, "", spec.set);
  }
  for (const auto& a : spec.set) check_override_key(spec, a.key, a.value, "set." + a.key, problems);
  if (spec.kind == StudyKind::kSwitching) {
    if (const auto* grid = root.value("switching")) {
      spec.switching = *grid;
      if (grid->is_table() && grid->contains("seed"))
        problems.add(fmt::format("{}: the seed of a study is study.seed",
                                 core::config::where(grid->at("seed"), spec.source, "switching.seed")));
    } else
      problems.add(fmt::format("{}: a switching study needs a [switching] table (current_A, pulse_width_s, trials)",
                               spec.source));
  }
  if (const auto* training = root.value("train")) {
    if (spec.kind != StudyKind::kTrain)
      problems.add(fmt::format("{}: a [train] table belongs to train studies, this one is {}",
                               core::config::where(*training, spec.source, "train"), study_kind_name(spec.kind)));
    else if (!training->is_table())
      problems.add(fmt::format("{}: expected a table of training settings",
                               core::config::where(*training, spec.source, "train")));
    else spec.training = *training;
  } else if (spec.kind == StudyKind::kTrain) {
    spec.training = toml::table{};
  }
  if (const auto* sweep = root.value("sweep")) {
    if (!sweep->is_table()) {
      problems.add(fmt::format("{}: expected a table of axes", core::config::where(*sweep, spec.source, "sweep")));
    } else {
      std::vector<Assignment> axes;
      const core::config::Value* zip = nullptr;
      for (const auto& k : sorted_keys(*sweep)) {
        const auto& v = sweep->as_table().at(k);
        if (k == "zip") zip = &v;
        else if (v.is_table() && !is_range(v)) flatten(v, k, axes);
        else axes.push_back({k, v});
      }
      for (const auto& a : axes) read_axis(spec, a, problems);
      if (zip) read_zip(spec, *zip, problems);
      else
        for (std::size_t i = 0; i < spec.axes.size(); ++i) spec.groups.push_back({i});
    }
  }
  root.finish();

  if (!output.empty()) spec.output = output;
  if (spec.output.empty()) {
    problems.add(fmt::format("{}: no results file: set study.output or pass -o", spec.source));
  } else {
    const auto folder = std::filesystem::path(spec.output).parent_path();
    if (!folder.empty() && !std::filesystem::is_directory(folder))
      problems.add(
          fmt::format("{}: output '{}': folder '{}' does not exist", spec.source, spec.output, folder.string()));
  }
  const bool network = spec.kind == StudyKind::kInference || spec.kind == StudyKind::kCost;
  if (network && spec.hardware.empty() && !has_axis(spec, "hardware"))
    problems.add(
        fmt::format("{}: key 'base.hardware' is missing (a data/hw name or a TOML file), and no sweep over 'hardware'",
                    spec.source));
  if (spec.kind == StudyKind::kTrain && spec.hardware.empty() && !has_axis(spec, "hardware")) {
    const auto hardware_key = [](const Assignment& a) {
      const auto document = document_of_key(a.key);
      return document == "hardware" || document == "technology";
    };
    for (const auto& a : spec.set)
      if (hardware_key(a))
        problems.add(fmt::format("{}: '{}' sets the crossbar design of crossbar-aware training: give base.hardware too",
                                 core::config::where(a.value, spec.source, "set." + a.key), a.key));
    for (const auto& a : spec.axes)
      if (hardware_key({a.key, a.values.front()}))
        problems.add(fmt::format("{}: '{}' sets the crossbar design of crossbar-aware training: give base.hardware too",
                                 core::config::where(a.values.front(), spec.source, "sweep." + a.key), a.key));
  }
  if (spec.kind == StudyKind::kTrain && !spec.model.empty()) {
    const auto zoo = network::zoo_names();
    if (spec.model.ends_with(".h5")) {
      try {
        spec.model = core::data_files::resolve("models", spec.model, ".h5", "model").string();
      } catch (const core::Error& e) {
        problems.add(fmt::format("{}: key 'base.model': {}", spec.source, e.what()));
      }
    } else if (std::find(zoo.begin(), zoo.end(), spec.model) == zoo.end()) {
      const auto guess = core::config::did_you_mean(spec.model, zoo);
      problems.add(fmt::format("{}: key 'base.model': '{}' is neither a zoo model ({}) nor a model file (.h5){}",
                               spec.source, spec.model, fmt::join(zoo, ", "),
                               guess ? fmt::format(" (did you mean '{}'?)", *guess) : std::string()));
    }
  }
  if (spec.kind == StudyKind::kSwitching && spec.device.empty() && !has_axis(spec, "device"))
    problems.add(fmt::format(
        "{}: key 'base.device' is missing (a data/devices preset or a TOML file), and no sweep over 'device'",
        spec.source));
  if (spec.kind == StudyKind::kInference && !spec.model.empty()) {
    try {
      spec.model = core::data_files::resolve("models", spec.model, ".h5", "model").string();
    } catch (const core::Error& e) {
      problems.add(fmt::format("{}: key 'base.model': {}", spec.source, e.what()));
    }
  }
  if (spec.points() > std::size_t{core::rng::kMaxPoint} + 1)
    problems.add(fmt::format("{}: {} points; a study has at most 65536", spec.source, spec.points()));
  problems.throw_if_any(spec.source);

  // Every sweep value alone (on point 0; the axes of a zip group advance together, since their
  // values may only make sense as a tuple), then every point, against the real schemas.
  std::set<std::string> seen;
  const auto first = spec.points() > 0 ? spec.point_assignments(0) : std::vector<Assignment>{};
  bool values_ok = true;
  for (const auto& group : spec.groups)
    for (std::size_t v = 0; v < spec.axes[group.front()].values.size(); ++v) {
      StudySpec one = spec;
      for (auto& ax : one.axes) ax.values = {first[static_cast<std::size_t>(&ax - one.axes.data())].value};
      std::string label;
      for (std::size_t a : group) {
        one.axes[a].values = {spec.axes[a].values[v]};
        label += fmt::format("{}{} = {}", label.empty() ? "" : ", ", spec.axes[a].key, spec.axes[a].text(v));
      }
      try {
        resolve_design(one, 0);
      } catch (const core::Error& e) {
        values_ok = false;
        add_error_lines(e.what(), "sweep value " + label, seen, problems);
      }
    }
  if (spec.axes.empty() || values_ok) {
    for (std::size_t p = 0; p < spec.points() && problems.messages().size() < 20; ++p) {
      try {
        resolve_design(spec, p);
      } catch (const core::Error& e) {
        add_error_lines(e.what(), describe(spec.point_assignments(p)), seen, problems);
      }
    }
  }
  problems.throw_if_any(spec.source);
  return spec;
}

}  // namespace cimmc::studies
