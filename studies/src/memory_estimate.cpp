#include "cimmc/studies/memory_estimate.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>

#include "cimmc/arch/cost_rollup.hpp"
#include "cimmc/arch/crossbar_layer.hpp"
#include "cimmc/core/error.hpp"
#include "cimmc/studies/cost_report.hpp"

namespace cimmc::studies {

namespace {

constexpr double kInfinity = std::numeric_limits<double>::infinity();

// The first number in a file ("max" and unreadable files: infinity).
double number_in_file(const std::string& path) {
  std::ifstream in(path);
  std::string word;
  if (!(in >> word) || word == "max") return kInfinity;
  try {
    std::size_t used = 0;
    const double v = std::stod(word, &used);
    if (used != word.size() || v < 0) return kInfinity;
    return v;
  } catch (const std::exception&) {
    return kInfinity;
  }
}

double mem_available_bytes() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  double kb = 0;
  std::string unit;
  while (in >> key >> kb) {
    std::getline(in, unit);
    if (key == "MemAvailable:") return kb * 1024;
  }
  return kInfinity;
}

// The cgroup this process is in: the path of "0::PATH" (v2) or of the memory controller (v1).
std::string cgroup_path(bool v2) {
  std::ifstream in("/proc/self/cgroup");
  for (std::string line; std::getline(in, line);) {
    const auto first = line.find(':'), second = line.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos) continue;
    const std::string controllers = line.substr(first + 1, second - first - 1);
    std::string path = line.substr(second + 1);
    if (v2 && line.substr(0, first) == "0" && controllers.empty()) return path;
    if (!v2 && (controllers == "memory" || controllers.find("memory,") == 0 ||
                controllers.find(",memory") != std::string::npos))
      return path;
  }
  return {};
}

double cgroup_room(std::string& source) {
  double room = kInfinity;
  const auto consider = [&](const std::string& limit_file, const std::string& usage_file) {
    const double limit = number_in_file(limit_file);
    if (!(limit < 1e18)) return;  // no limit ("max", or v1's page-counter maximum)
    const double usage = number_in_file(usage_file);
    const double r = std::max(0.0, limit - (usage < kInfinity ? usage : 0.0));
    if (r < room) {
      room = r;
      source = fmt::format("cgroup limit {} less usage", limit_file);
    }
  };
  // The process's own cgroup and its parents; "/" is the mount itself.
  for (std::string p = cgroup_path(true);; p = p.substr(0, p.rfind('/'))) {
    const std::string folder = "/sys/fs/cgroup" + (p == "/" ? std::string() : p);
    consider(folder + "/memory.max", folder + "/memory.current");
    if (p.empty() || p == "/" || p.rfind('/') == std::string::npos) break;
  }
  const std::string v1 = cgroup_path(false);
  consider("/sys/fs/cgroup/memory" + v1 + "/memory.limit_in_bytes",
           "/sys/fs/cgroup/memory" + v1 + "/memory.usage_in_bytes");
  consider("/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/memory/memory.usage_in_bytes");
  return room;
}

double limit_from_environment(const char* text) {
  const std::string s = text;
  std::size_t used = 0;
  double v = -1;
  try {
    v = std::stod(s, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  double unit = 1;
  const std::string suffix = s.substr(std::min(used, s.size()));
  if (suffix == "K" || suffix == "k") unit = 1024.0;
  else if (suffix == "M") unit = 1024.0 * 1024;
  else if (suffix == "G") unit = 1024.0 * 1024 * 1024;
  else if (suffix == "T") unit = 1024.0 * 1024 * 1024 * 1024;
  else if (!suffix.empty()) used = 0;
  if (used == 0 || !(v > 0) || !std::isfinite(v))
    throw core::ArgumentError(
        fmt::format("CIMMC_MEMORY_LIMIT '{}': expected a number of bytes > 0, optionally with K, M, G or T", s));
  return v * unit;
}

}  // namespace

void MemoryEstimate::add(std::string what, double bytes) { items.push_back({std::move(what), bytes}); }

double MemoryEstimate::total() const {
  double t = 0;
  for (const auto& i : items) t += i.bytes;
  return t;
}

std::string MemoryEstimate::breakdown() const {
  std::vector<std::string> parts;
  for (const auto& i : items)
    if (i.bytes >= 1) parts.push_back(fmt::format("{} {}", i.what, format_bytes(i.bytes)));
  return fmt::format("{}", fmt::join(parts, ", "));
}

MemoryEstimate MemoryEstimate::times(int processes) const {
  if (processes <= 1) return *this;
  MemoryEstimate all;
  for (const auto& i : items)
    all.add(fmt::format("{} (x {} ranks)", i.what, processes), i.bytes * static_cast<double>(processes));
  return all;
}

std::string MemoryEstimate::text() const { return fmt::format("about {} ({})", format_bytes(total()), breakdown()); }

std::string format_bytes(double bytes) {
  if (!std::isfinite(bytes)) return "unknown";
  const char* units[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
  int u = 0;
  while (bytes >= 1024 && u < 6) {
    bytes /= 1024;
    ++u;
  }
  return u == 0 ? fmt::format("{:.0f} B", bytes) : fmt::format("{:.3g} {}", bytes, units[u]);
}

AvailableMemory available_memory() {
  AvailableMemory a{mem_available_bytes(), "MemAvailable in /proc/meminfo"};
  std::string source;
  const double room = cgroup_room(source);
  if (room < a.bytes) a = {room, source};
  if (const char* env = std::getenv("CIMMC_MEMORY_LIMIT")) {
    const double limit = limit_from_environment(env);
    if (limit < a.bytes) a = {limit, "CIMMC_MEMORY_LIMIT"};
  }
  return a;
}

void check_memory(const MemoryEstimate& estimate, const std::string& what, const std::string& advice) {
  const auto available = available_memory();
  if (!(estimate.total() > available.bytes)) return;
  throw core::ConfigError(fmt::format("{} needs about {} of memory ({}), more than the {} available ({}); {}", what,
                                      format_bytes(estimate.total()), estimate.breakdown(),
                                      format_bytes(available.bytes), available.source, advice));
}

double model_bytes(network::Model& model) {
  double values = 0;
  for (const auto& [name, p] : model.parameters()) values += static_cast<double>(p->value.size());
  for (const auto& [name, t] : model.buffers()) values += static_cast<double>(t->size());
  return 4 * values;
}

double forward_bytes(const network::Model& model, int batch) {
  double per_image = 0, largest = 0;
  for (const auto& node : model.nodes()) {
    const double n = static_cast<double>(network::shape_size(node.shape));
    per_image += n;
    largest = std::max(largest, n);
  }
  return 4 * (per_image + 2 * largest) * std::max(batch, 1);
}

MemoryEstimate inference_memory(network::Model& model, double images_held, int batch) {
  MemoryEstimate memory;
  memory.add("images held", images_held);
  memory.add("model", 2 * model_bytes(model));
  memory.add("forward pass", forward_bytes(model, batch));
  return memory;
}

double crossbar_bytes(const network::Model& model, const arch::CrossbarConfig& config, int threads) {
  double cells = 0, widest = 0, tables = 0;
  const auto& r = config.readout;
  const bool mtj_tables = r.kind == circuit::ReadoutKind::kStochasticMtj && !config.noise.any();
  // The engine's policy (crossbar_readout_tables.cpp): per distinct sample count T a threshold
  // table if it fits its cap, else word records if they fit theirs.
  std::set<int> sample_counts{r.mtj.samples};
  for (const auto& rule : r.mtj.samples_rule) sample_counts.insert(rule.samples);
  const double levels = 2.0 * config.full_scale() + 1;
  const int groups = mtj_tables ? arch::column_groups_per_output(config) : 0;
  for (const auto& s : gemm_shapes(model, config)) {
    if (s.digital) continue;
    cells += static_cast<double>(s.k) * static_cast<double>(s.n);
    widest = std::max(widest, static_cast<double>(s.k + s.n));
    // The LCU's sense-count table (groups of G <= 8 rows): 8 KiB per subarray word.
    if (r.kind == circuit::ReadoutKind::kZebraLcu && r.lcu.group_rows <= 8)
      tables += std::ceil(static_cast<double>(s.k) / config.rows) * std::ceil(config.rows / 64.0) * 8 * 256 * 4;
    if (!mtj_tables) continue;
    // Maps: per subarray, conversion (input stream x column group) and signed side, and per
    // column when every column has its own converter.
    const bool per_column = r.mtj.has_variation || r.mtj.trim.in_situ;
    const double maps = std::ceil(static_cast<double>(s.k) / config.rows) * config.input_streams() * groups * 2.0 *
                        (per_column ? static_cast<double>(s.n) : 1.0);
    for (const int t : sample_counts) {
      const double bytes = maps * levels * (4.0 * t + (t < circuit::kBinomialAmbiguous ? 256 : 0));
      if (bytes <= static_cast<double>(arch::kMaxThresholdTableBytes)) {
        tables += bytes;
        continue;
      }
      // Word records at most: per map every PS, below, above and the decoded values, in entries
      // of ⌈T/4⌉ words with T full thresholds beside; three bounds per map.
      const int stride = (t + 3) / 4, decoded_words = (t + 2) / 2;
      const double entries = levels + 2 + std::ceil(decoded_words / static_cast<double>(stride));
      const double records = maps * (entries * (8.0 * stride + 4.0 * t) + 12.0);
      if (records <= static_cast<double>(arch::kMaxWordLimitBytes)) tables += records;
    }
  }
  // Per weight bit, a positive and a negative plane: a bit and a float deviation per cell; per
  // thread a row's input bit planes and partial sums.
  const double planes = 2.0 * config.weight_bits;
  return cells * planes * (0.125 + 4) + tables + std::max(threads, 1) * widest * 64.0 * config.input_bits;
}

double switching_bytes(std::size_t currents, std::size_t pulse_widths, int threads) {
  return 64.0 * static_cast<double>(currents) * static_cast<double>(pulse_widths) + 4096.0 * std::max(threads, 1);
}

}  // namespace cimmc::studies
