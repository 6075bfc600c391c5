#include "cimmc/core/config.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

namespace cimmc::core::config {

namespace {
std::string type_name(const Value& v) {
  switch (v.type()) {
    case toml::value_t::boolean: return "a boolean";
    case toml::value_t::integer: return "an integer";
    case toml::value_t::floating: return "a float";
    case toml::value_t::string: return "a string";
    case toml::value_t::array: return "an array";
    case toml::value_t::table: return "a table";
    case toml::value_t::empty: return "nothing";
    default: return "a date/time";
  }
}

std::string show(const Value& v) {
  std::ostringstream os;
  if (v.is_table()) return "a table";
  os << v;
  std::string s = os.str();
  if (s.size() > 60) s = s.substr(0, 57) + "...";
  return s;
}

std::vector<std::string> split_dotted(std::string_view key) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = key.find('.', start);
    parts.emplace_back(key.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return parts;
}

// Offset of the first byte of `s` that does not belong to well-formed UTF-8 (no overlong forms,
// no surrogates, nothing above U+10FFFF), or npos. TOML text must be UTF-8, and toml11 3.7 reads
// past the end of its buffer on some ill-formed sequences (docs/reliability.md, section 8), so
// the text is checked before toml11 sees it.
std::size_t first_invalid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n;
    unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (c < 0x80) n = 1;
    else if (c >= 0xC2 && c <= 0xDF) n = 2;
    else if (c == 0xE0) n = 3, lo = 0xA0;
    else if (c == 0xED) n = 3, hi = 0x9F;
    else if (c >= 0xE1 && c <= 0xEF) n = 3;
    else if (c == 0xF0) n = 4, lo = 0x90;
    else if (c >= 0xF1 && c <= 0xF3) n = 4;
    else if (c == 0xF4) n = 4, hi = 0x8F;
    else return i;
    if (i + n > s.size()) return i;
    for (std::size_t k = 1; k < n; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      if (b < (k == 1 ? lo : 0x80) || b > (k == 1 ? hi : 0xBF)) return i;
    }
    i += n;
  }
  return std::string_view::npos;
}

// Throws core::ConfigError "<source>:<line>: malformed TOML: ..." if `text` is not UTF-8.
void require_utf8(std::string_view text, const std::string& source) {
  const std::size_t bad = first_invalid_utf8(text);
  if (bad == std::string_view::npos) return;
  const auto line = 1 + std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(bad), '\n');
  const std::size_t line_start = text.rfind('\n', bad == 0 ? 0 : bad - 1);
  const std::size_t column = bad - (line_start == std::string_view::npos || bad == 0 ? 0 : line_start + 1) + 1;
  throw core::ConfigError(fmt::format("{}:{}: malformed TOML: byte 0x{:02x} at column {} is not UTF-8 text", source,
                                      line, static_cast<unsigned char>(text[bad]), column));
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}
}  // namespace

Document parse_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw core::IoError(fmt::format("{}: cannot open configuration file (does it exist?)", path.string()));
  std::ostringstream buf;
  buf << in.rdbuf();
  return parse_string(buf.str(), path.string());
}

Document parse_string(const std::string& text, const std::string& source_name) {
  require_utf8(text, source_name);
  std::istringstream in(text);
  try {
    return Document{toml::parse(in, source_name), source_name};
  } catch (const toml::syntax_error& e) {
    const auto& loc = e.location();
    throw core::ConfigError(fmt::format("{}:{}: malformed TOML: {}", source_name, loc.line(), e.what()));
  } catch (const std::exception& e) {
    throw core::ConfigError(fmt::format("{}: malformed TOML: {}", source_name, e.what()));
  }
}

void apply_override(Document& doc, std::string_view assignment) {
  const std::size_t eq = assignment.find('=');
  if (eq == std::string_view::npos || eq == 0)
    throw core::ConfigError(
        fmt::format("--set {}: expected key=value, e.g. --set noise.cell_sigma_lsb=0.2", assignment));
  if (first_invalid_utf8(assignment) != std::string_view::npos)
    throw core::ConfigError(fmt::format("--set {}: not UTF-8 text", assignment));
  const std::string key(assignment.substr(0, eq));
  const std::string text(assignment.substr(eq + 1));
  const auto parts = split_dotted(key);
  for (const auto& p : parts)
    if (p.empty()) throw core::ConfigError(fmt::format("--set {}: empty component in key '{}'", assignment, key));
  Value parsed;
  try {
    std::istringstream in("v = " + text);
    parsed = toml::find(toml::parse(in, fmt::format("--set {}", assignment)), "v");
  } catch (const std::exception&) {
    parsed = Value(text);  // a bare word: take it as a string
  }
  if (!doc.root.is_table()) doc.root = toml::table{};
  Value* node = &doc.root;
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    auto& table = node->as_table();
    auto it = table.find(parts[i]);
    if (it == table.end()) it = table.emplace(parts[i], toml::table{}).first;
    if (!it->second.is_table())
      throw core::ConfigError(
          fmt::format("--set {}: '{}' is {}, not a table", assignment, parts[i], type_name(it->second)));
    node = &it->second;
  }
  node->as_table()[parts.back()] = parsed;
}

void apply_overrides(Document& doc, const std::vector<std::string>& assignments) {
  for (const auto& a : assignments) apply_override(doc, a);
}

std::string to_toml(const Value& v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

std::optional<std::string> did_you_mean(std::string_view word, const std::vector<std::string>& candidates) {
  std::optional<std::string> best;
  std::size_t best_d = std::max<std::size_t>(2, word.size() / 3) + 1;
  // A key typed without its unit suffix ("sigma" for "sigma_V") is a prefix of the real one.
  if (word.size() >= 4)
    for (const auto& c : candidates)
      if (c.size() > word.size() && c.compare(0, word.size(), word) == 0) return c;
  for (const auto& c : candidates) {
    const std::size_t d = edit_distance(word, c);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  return best;
}

void Problems::throw_if_any(std::string_view context) const {
  if (messages_.empty()) return;
  std::string msg = fmt::format("{}: {} problem{}:", context, messages_.size(), messages_.size() == 1 ? "" : "s");
  for (const auto& m : messages_) msg += "\n  - " + m;
  throw core::ConfigError(msg);
}

std::string where(const Value& v, const std::string& source, const std::string& key_path) {
  const auto loc = v.location();
  if (loc.line() > 0 && loc.file_name() != "unknown file")
    return fmt::format("{}:{}: key '{}'", loc.file_name(), loc.line(), key_path);
  return fmt::format("{}: key '{}'", source, key_path);
}

TableReader::TableReader(const Value& table, std::string source, std::string key_path, Problems& problems)
    : table_(&table), source_(std::move(source)), key_path_(std::move(key_path)), problems_(&problems) {
  if (!table.is_table() && !table.is_uninitialized())
    problems_->add(fmt::format("{}: expected a table, found {}", where(table, source_, key_path_), type_name(table)));
}

std::string TableReader::path_of(std::string_view key) const {
  return key_path_.empty() ? std::string(key) : key_path_ + "." + std::string(key);
}

bool TableReader::has(std::string_view key) const {
  return table_->is_table() && table_->as_table().count(std::string(key)) > 0;
}

const Value* TableReader::lookup(std::string_view key) {
  used_.emplace(key);
  if (!table_->is_table()) return nullptr;
  const auto& t = table_->as_table();
  const auto it = t.find(std::string(key));
  return it == t.end() ? nullptr : &it->second;
}

std::vector<std::string> TableReader::keys() const {
  std::vector<std::string> k;
  if (table_->is_table())
    for (const auto& [name, _] : table_->as_table()) k.push_back(name);
  std::sort(k.begin(), k.end());
  return k;
}

std::string TableReader::fmt_missing(std::string_view key) const {
  return fmt::format("{}: required key '{}' is missing", source_, path_of(key));
}

void TableReader::type_problem(const Value& v, std::string_view key, std::string_view expected) {
  problems_->add(
      fmt::format("{}: expected {}, found {} ({})", where(v, source_, path_of(key)), expected, type_name(v), show(v)));
}

void TableReader::check(bool ok, std::string_view key, const std::string& expected) {
  if (ok) return;
  const Value* v = table_->is_table() && has(key) ? &table_->as_table().at(std::string(key)) : nullptr;
  if (v)
    problems_->add(
        fmt::format("{}: value {} is out of range: expected {}", where(*v, source_, path_of(key)), show(*v), expected));
  else
    problems_->add(
        fmt::format("{}: key '{}': default value is out of range: expected {}", source_, path_of(key), expected));
}

TableReader TableReader::child(std::string_view key) {
  static const Value kEmpty = Value(toml::table{});  // braces would make a one-element array
  const Value* v = lookup(key);
  return TableReader(v ? *v : kEmpty, source_, path_of(key), *problems_);
}

void TableReader::finish() {
  if (!table_->is_table()) return;
  std::vector<std::string> known(used_.begin(), used_.end());
  for (const auto& [name, v] : table_->as_table()) {
    if (used_.count(name)) continue;
    std::string msg = fmt::format("{}: unknown key", where(v, source_, path_of(name)));
    if (auto guess = did_you_mean(name, known)) msg += fmt::format(" (did you mean '{}'?)", *guess);
    else if (!known.empty()) msg += fmt::format(" (known keys: {})", fmt::join(known, ", "));
    problems_->add(msg);
  }
}

bool TableReader::convert(const Value& v, std::string_view key, bool& out) {
  if (!v.is_boolean()) return type_problem(v, key, "a boolean (true or false)"), false;
  out = v.as_boolean();
  return true;
}
bool TableReader::convert(const Value& v, std::string_view key, std::int64_t& out) {
  if (!v.is_integer()) return type_problem(v, key, "an integer"), false;
  out = v.as_integer();
  return true;
}
bool TableReader::convert(const Value& v, std::string_view key, int& out) {
  std::int64_t x = 0;
  if (!convert(v, key, x)) return false;
  if (x < std::numeric_limits<int>::min() || x > std::numeric_limits<int>::max())
    return type_problem(v, key, "an integer that fits in 32 bits"), false;
  out = static_cast<int>(x);
  return true;
}
bool TableReader::convert(const Value& v, std::string_view key, std::uint32_t& out) {
  std::int64_t x = 0;
  if (!convert(v, key, x)) return false;
  if (x < 0 || x > std::numeric_limits<std::uint32_t>::max())
    return type_problem(v, key, "a non-negative integer below 2^32"), false;
  out = static_cast<std::uint32_t>(x);
  return true;
}
bool TableReader::convert(const Value& v, std::string_view key, std::uint64_t& out) {
  std::int64_t x = 0;
  if (!convert(v, key, x)) return false;
  if (x < 0) return type_problem(v, key, "a non-negative integer"), false;
  out = static_cast<std::uint64_t>(x);
  return true;
}
bool TableReader::convert(const Value& v, std::string_view key, double& out) {
  if (v.is_floating()) {
    // TOML writes nan and inf; no configuration value may be either (a range check such as
    // "x >= 0" would let inf through, and no comparison catches nan).
    if (!std::isfinite(v.as_floating())) return type_problem(v, key, "a finite number"), false;
    out = v.as_floating();
  } else if (v.is_integer()) out = static_cast<double>(v.as_integer());
  else return type_problem(v, key, "a number"), false;
  return true;
}
bool TableReader::convert(const Value& v, std::string_view key, std::string& out) {
  if (!v.is_string()) return type_problem(v, key, "a string"), false;
  out = v.as_string().str;
  return true;
}
bool TableReader::convert(const Value& v, std::string_view key, std::vector<double>& out) {
  if (!v.is_array()) return type_problem(v, key, "an array of numbers"), false;
  std::vector<double> r;
  for (const auto& e : v.as_array()) {
    double x = 0;
    if (!convert(e, key, x)) return false;
    r.push_back(x);
  }
  out = std::move(r);
  return true;
}
bool TableReader::convert(const Value& v, std::string_view key, std::vector<std::int64_t>& out) {
  if (!v.is_array()) return type_problem(v, key, "an array of integers"), false;
  std::vector<std::int64_t> r;
  for (const auto& e : v.as_array()) {
    std::int64_t x = 0;
    if (!convert(e, key, x)) return false;
    r.push_back(x);
  }
  out = std::move(r);
  return true;
}
bool TableReader::convert(const Value& v, std::string_view key, std::vector<int>& out) {
  if (!v.is_array()) return type_problem(v, key, "an array of integers"), false;
  std::vector<int> r;
  for (const auto& e : v.as_array()) {
    int x = 0;
    if (!convert(e, key, x)) return false;
    r.push_back(x);
  }
  out = std::move(r);
  return true;
}
bool TableReader::convert(const Value& v, std::string_view key, std::vector<std::string>& out) {
  if (!v.is_array()) return type_problem(v, key, "an array of strings"), false;
  std::vector<std::string> r;
  for (const auto& e : v.as_array()) {
    std::string x;
    if (!convert(e, key, x)) return false;
    r.push_back(x);
  }
  out = std::move(r);
  return true;
}
bool TableReader::convert(const Value& v, std::string_view key, std::array<double, 3>& out) {
  std::vector<double> r;
  if (!convert(v, key, r)) return false;
  if (r.size() != 3) return type_problem(v, key, "an array of 3 numbers"), false;
  out = {r[0], r[1], r[2]};
  return true;
}

}  // namespace cimmc::core::config
