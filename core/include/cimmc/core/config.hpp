// TOML configuration (toml11) read into plain structs.
//
// A Document is a parsed file plus its source name. A TableReader walks one table, reads typed
// values into struct fields, remembers which keys it used, and records every problem (wrong
// type, missing key, unknown key with a "did you mean", out-of-range value) with the file, the
// line and the dotted key path in a Problems list, so one run reports all of them at once.
// Command-line overrides (--set a.b=value) are applied to the document before reading.
#pragma once

#include <fmt/format.h>
#include <array>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include <toml.hpp>
#include <vector>

#include "cimmc/core/error.hpp"

namespace cimmc::core::config {

using Value = toml::value;

struct Document {
  Value root;
  std::string source;  // file name, or a description such as "<string>"
};

// Parses a TOML file; a missing file is an core::IoError, a syntax error a core::ConfigError naming the line.
Document parse_file(const std::filesystem::path& path);
Document parse_string(const std::string& text, const std::string& source_name = "<string>");

// Applies "dotted.key=value"; the value is parsed as a TOML value (so 4, 0.02, true, "s",
// [1, 2] work) and taken as a bare string when it is not valid TOML. Creates tables as needed.
void apply_override(Document& doc, std::string_view assignment);
void apply_overrides(Document& doc, const std::vector<std::string>& assignments);

// Serializes the (resolved) document back to TOML text, for provenance.
std::string to_toml(const Value& v);

// The closest candidate by edit distance, if it is close enough to be a plausible typo.
std::optional<std::string> did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

// A list of configuration problems; throws one core::ConfigError listing them all.
class Problems {
 public:
  void add(std::string message) { messages_.push_back(std::move(message)); }
  bool empty() const { return messages_.empty(); }
  const std::vector<std::string>& messages() const { return messages_; }
  // Throws core::ConfigError("<context>: N problem(s):\n  - ...") if any problem was recorded.
  void throw_if_any(std::string_view context) const;

 private:
  std::vector<std::string> messages_;
};

// The version up to which renamed keys are still read under their former names (TableReader::renamed).
inline constexpr std::string_view kRenamedKeysReadUntil = "0.2";

// Formats "file:line: key 'a.b': message" for a value of a document.
std::string where(const Value& v, const std::string& source, const std::string& key_path);

class TableReader {
 public:
  // `table` must outlive the reader. If it is not a table, a problem is recorded.
  TableReader(const Value& table, std::string source, std::string key_path, Problems& problems);

  // A key renamed in this version: a table that still gives
  // `old_key` is read as if it gave `new_key` (the value keeps its file and line), with a warning
  // on stderr naming the file, line and both keys (once per place). Both names in the same file
  // (or both as overrides) is a problem; an override (--set, a study's [set] or sweep) under
  // either name replaces the file's value under the other. Call before reading `new_key`. The
  // former names are read until version kRenamedKeysReadUntil.
  void renamed(std::string_view old_key, std::string_view new_key);

  bool has(std::string_view key) const;
  // Reads key into out if present (keeps the default otherwise). Returns whether it was read.
  template <typename T>
  bool optional(std::string_view key, T& out) {
    const Value* v = lookup(key);
    if (!v) return false;
    return convert(*v, key, out);
  }
  // Reads key into out, recording a problem if it is missing.
  template <typename T>
  bool required(std::string_view key, T& out) {
    const Value* v = lookup(key);
    if (!v) {
      problems_->add(fmt_missing(key));
      return false;
    }
    return convert(*v, key, out);
  }
  // A sub-table (absent: an empty table, so defaults apply). Marks the key as used.
  TableReader child(std::string_view key);
  // Keys of this table, for maps keyed by name.
  std::vector<std::string> keys() const;
  const Value* value(std::string_view key) { return lookup(key); }

  // Records an "unknown key" problem for every key that was not read.
  void finish();

  // Range checks that record a problem naming the key, the value and the allowed range.
  void check(bool ok, std::string_view key, const std::string& expected);

  const std::string& source() const { return source_; }
  std::string path_of(std::string_view key) const;
  Problems& problems() { return *problems_; }

 private:
  const Value* lookup(std::string_view key);
  std::string fmt_missing(std::string_view key) const;
  void type_problem(const Value& v, std::string_view key, std::string_view expected);

  bool convert(const Value& v, std::string_view key, bool& out);
  bool convert(const Value& v, std::string_view key, std::int64_t& out);
  bool convert(const Value& v, std::string_view key, int& out);
  bool convert(const Value& v, std::string_view key, std::uint32_t& out);
  bool convert(const Value& v, std::string_view key, std::uint64_t& out);
  bool convert(const Value& v, std::string_view key, double& out);
  bool convert(const Value& v, std::string_view key, std::string& out);
  bool convert(const Value& v, std::string_view key, std::vector<double>& out);
  bool convert(const Value& v, std::string_view key, std::vector<std::int64_t>& out);
  bool convert(const Value& v, std::string_view key, std::vector<int>& out);
  bool convert(const Value& v, std::string_view key, std::vector<std::string>& out);
  bool convert(const Value& v, std::string_view key, std::array<double, 3>& out);

  const Value* table_;
  std::shared_ptr<const Value> renamed_table_;  // the table with renamed keys under their new names
  std::string source_;
  std::string key_path_;
  Problems* problems_;
  std::set<std::string, std::less<>> used_;
};

// Writes "warning: <message>" to stderr, once per distinct message in a process.
inline void warn(const std::string& message) {
  static std::mutex mutex;
  static std::set<std::string, std::less<>> shown;
  const std::lock_guard lock(mutex);
  if (!shown.insert(message).second) return;
  std::cerr << "warning: " << message << '\n' << std::flush;
}

namespace detail {
// Whether a value was put into a document by an override (--set, a study's [set] or sweep)
// rather than read from the document's own file.
inline bool from_override(const Value& v, const std::string& source) {
  const auto loc = v.location();
  return loc.line() == 0 || loc.file_name() == "unknown file" || loc.file_name() != source;
}
}  // namespace detail

inline void TableReader::renamed(std::string_view old_key, std::string_view new_key) {
  used_.emplace(old_key);
  if (!table_->is_table()) return;
  const auto& t = table_->as_table();
  const auto old_it = t.find(std::string(old_key));
  if (old_it == t.end()) return;
  const Value& old_value = old_it->second;
  const std::string old_path = path_of(old_key), new_path = path_of(new_key);
  const auto new_it = t.find(std::string(new_key));
  if (new_it != t.end() && old_value.is_table() && new_it->second.is_table()) {
    // A renamed table given under both names (e.g. the file's [layers] and a --set gemms.x): the
    // tables merge key by key, each key by the rules below.
    warn(fmt::format("{} is deprecated, use '{}' (the former name is read until cimmc {})",
                     detail::from_override(old_value, source_) ? fmt::format("override key '{}'", old_path)
                                                               : where(old_value, source_, old_path),
                     new_path, kRenamedKeysReadUntil));
    auto copy = std::make_shared<Value>(*table_);
    auto& merged = copy->as_table().at(std::string(new_key)).as_table();
    for (const auto& [key, value] : old_value.as_table()) {
      const auto there = merged.find(key);
      if (there == merged.end()) {
        merged.emplace(key, value);
        continue;
      }
      const bool old_override = detail::from_override(value, source_),
                 new_override = detail::from_override(there->second, source_);
      if (old_override == new_override) {
        problems_->add(fmt::format("{}: the former name of '{}.{}', which is also given ({}): give only '{}.{}'",
                                   where(value, source_, fmt::format("{}.{}", old_path, key)), new_path, key,
                                   where(there->second, source_, fmt::format("{}.{}", new_path, key)), new_path, key));
      } else if (old_override) {
        there->second = value;
      }
    }
    copy->as_table().erase(std::string(old_key));
    renamed_table_ = copy;
    table_ = renamed_table_.get();
    return;
  }
  if (new_it != t.end()) {
    const bool old_override = detail::from_override(old_value, source_),
               new_override = detail::from_override(new_it->second, source_);
    if (old_override == new_override) {
      problems_->add(fmt::format("{}: the former name of '{}', which is also given ({}): give only '{}'",
                                 where(old_value, source_, old_path), new_path,
                                 where(new_it->second, source_, new_path), new_path));
      return;
    }
    if (new_override) {  // the override under the new name replaces the file's value under the old one
      warn(fmt::format("{} is deprecated, use '{}' (the former name is read until cimmc {}); overridden by {}",
                       where(old_value, source_, old_path), new_path, kRenamedKeysReadUntil,
                       where(new_it->second, source_, new_path)));
      return;
    }
  }
  warn(fmt::format("{} is deprecated, use '{}' (the former name is read until cimmc {})",
                   where(old_value, source_, old_path), new_path, kRenamedKeysReadUntil));
  // Read the value under its new name from a copy of the table; a copied value keeps its location.
  auto copy = std::make_shared<Value>(*table_);
  auto& table = copy->as_table();
  table.insert_or_assign(std::string(new_key), old_value);
  table.erase(std::string(old_key));
  renamed_table_ = copy;
  table_ = renamed_table_.get();
}

}  // namespace cimmc::core::config
