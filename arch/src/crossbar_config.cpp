#include "cimmc/arch/crossbar_config.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <functional>

#include "cimmc/core/error.hpp"

namespace cimmc::arch {

std::string_view signed_scheme_name(SignedScheme s) {
  switch (s) {
    case SignedScheme::kTwosComplement: return "twos_complement";
    case SignedScheme::kDifferential: return "differential";
    case SignedScheme::kOffsetBinary: return "offset_binary";
  }
  return "unknown";
}

bool CrossbarConfig::is_digital(int layer, int layer_count) const {
  if (digital_first && layer == 0) return true;
  if (digital_last && layer == layer_count - 1) return true;
  return std::find(digital_layers.begin(), digital_layers.end(), layer) != digital_layers.end();
}

namespace {

// A missing table reads as an empty one, so its defaults apply. (Built here rather than with
// TableReader::child, whose stand-in for a missing key is not a table in toml11 3.7.)
config::TableReader child_table(config::TableReader& parent, const config::Document& doc, std::string_view key) {
  static const config::Value kEmptyTable = toml::table{};
  if (parent.has(key)) return parent.child(key);
  (void)parent.value(key);  // marks the key as known, for "did you mean"
  return config::TableReader(kEmptyTable, doc.source, parent.path_of(key), parent.problems());
}

// Checks that need several fields; `where` prefixes each message.
void check_consistency(const CrossbarConfig& c, const std::function<void(bool, std::string_view, std::string)>& check) {
  check(c.rows >= 1 && c.rows <= 65536, "crossbar.rows", "an integer R in [1, 65536]");
  check(c.columns >= 1 && c.columns <= 65536, "crossbar.columns", "an integer in [1, 65536]");
  check(c.bits_per_cell == 1 || c.bits_per_cell == 2, "crossbar.bits_per_cell", "1 or 2");
  check(c.input_bits >= 1 && c.input_bits <= 8, "crossbar.input_bits", "an integer in [1, 8]");
  check(c.weight_bits >= 2 && c.weight_bits <= 8, "crossbar.weight_bits", "an integer in [2, 8]");
  check(c.signed_scheme != SignedScheme::kOffsetBinary || c.encoding == Encoding::kTwosComplement,
        "crossbar.encoding",
        "\"twos_complement\" with signed_scheme = \"offset_binary\" (the array stores w + 2^(B-1) as plain binary)");
  if (c.readout.kind == circuit::ReadoutKind::kZebraLcu)
    check(c.readout.lcu.group_rows <= c.rows, "readout.lcu.group_rows",
          fmt::format("at most crossbar.rows = {} (a group lies inside one subarray)", c.rows));
}

}  // namespace

void CrossbarConfig::validate() const {
  config::Problems problems;
  check_consistency(*this, [&](bool ok, std::string_view key, std::string expected) {
    if (!ok) problems.add(fmt::format("key '{}': value is out of range: expected {}", key, expected));
  });
  problems.throw_if_any("crossbar configuration");
}

CrossbarConfig read_crossbar_config(const config::Document& doc) {
  config::Problems problems;
  config::TableReader root(doc.root, doc.source, "", problems);
  CrossbarConfig c;
  root.optional("description", c.description);

  auto x = child_table(root, doc, "crossbar");
  x.optional("rows", c.rows);
  x.optional("columns", c.columns);
  x.optional("bits_per_cell", c.bits_per_cell);
  x.optional("input_bits", c.input_bits);
  x.optional("weight_bits", c.weight_bits);
  std::string scheme = "twos_complement", encoding = "twos_complement";
  x.optional("signed_scheme", scheme);
  x.optional("encoding", encoding);
  if (scheme == "twos_complement") c.signed_scheme = SignedScheme::kTwosComplement;
  else if (scheme == "differential") c.signed_scheme = SignedScheme::kDifferential;
  else if (scheme == "offset_binary") c.signed_scheme = SignedScheme::kOffsetBinary;
  else x.check(false, "signed_scheme", "one of \"twos_complement\", \"differential\", \"offset_binary\"");
  if (auto e = parse_encoding(encoding)) c.encoding = *e;
  else x.check(false, "encoding", "one of \"twos_complement\", \"sign_magnitude\", \"adaptive_flip\", \"csd\"");
  x.check(c.rows >= 1 && c.rows <= 65536, "rows", "an integer R in [1, 65536]");
  x.check(c.columns >= 1 && c.columns <= 65536, "columns", "an integer in [1, 65536]");
  x.check(c.bits_per_cell == 1 || c.bits_per_cell == 2, "bits_per_cell", "1 or 2");
  x.check(c.input_bits >= 1 && c.input_bits <= 8, "input_bits", "an integer in [1, 8]");
  x.check(c.weight_bits >= 2 && c.weight_bits <= 8, "weight_bits", "an integer in [2, 8]");
  x.check(c.signed_scheme != SignedScheme::kOffsetBinary || c.encoding == Encoding::kTwosComplement, "encoding",
          "\"twos_complement\" with signed_scheme = \"offset_binary\" (the array stores w + 2^(B-1) as plain binary)");
  x.finish();

  auto r = child_table(root, doc, "readout");
  c.readout = circuit::read_readout_params(r);
  if (c.readout.kind == circuit::ReadoutKind::kZebraLcu && c.readout.lcu.group_rows > c.rows)
    problems.add(fmt::format("{}: key 'readout.lcu.group_rows': value {} exceeds crossbar.rows = {} (a group lies "
                             "inside one subarray)",
                             doc.source, c.readout.lcu.group_rows, c.rows));

  auto n = child_table(root, doc, "noise");
  c.noise = circuit::read_noise_params(n);

  auto l = child_table(root, doc, "layers");
  l.optional("digital_first", c.digital_first);
  l.optional("digital_last", c.digital_last);
  l.optional("digital", c.digital_layers);
  bool ids_ok = true;
  for (int id : c.digital_layers) ids_ok = ids_ok && id >= 0;
  l.check(ids_ok, "digital", "a list of layer ids >= 0 (0 is the first Conv/Linear)");
  l.finish();

  root.finish();
  problems.throw_if_any(doc.source);
  return c;
}

CrossbarConfig load_crossbar_config(const std::filesystem::path& path, const std::vector<std::string>& overrides) {
  config::Document doc = config::parse_file(path);
  config::apply_overrides(doc, overrides);
  return read_crossbar_config(doc);
}

}  // namespace cimmc::arch
