// TOML configuration (toml11) read into plain structs.
//
// A Document is a parsed file plus its source name. A TableReader walks one table, reads typed
// values into struct fields, remembers which keys it used, and records every problem (wrong
// type, missing key, unknown key with a "did you mean", out-of-range value) with the file, the
// line and the dotted key path in a Problems list, so one run reports all of them at once.
// Command-line overrides (--set a.b=value) are applied to the document before reading.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <functional>
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

// Formats "file:line: key 'a.b': message" for a value of a document.
std::string where(const Value& v, const std::string& source, const std::string& key_path);

class TableReader {
 public:
  // `table` must outlive the reader. If it is not a table, a problem is recorded.
  TableReader(const Value& table, std::string source, std::string key_path, Problems& problems);

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
  std::string source_;
  std::string key_path_;
  Problems* problems_;
  std::set<std::string, std::less<>> used_;
};

}  // namespace cimmc::core::config
