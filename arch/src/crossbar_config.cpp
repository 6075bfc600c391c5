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

bool CrossbarConfig::is_digital(int gemm, int gemm_count) const {
  if (gemms.digital_first && gemm == 0) return true;
  if (gemms.digital_last && gemm == gemm_count - 1) return true;
  return std::find(gemms.digital.begin(), gemms.digital.end(), gemm) != gemms.digital.end();
}

namespace {

// Checks that involve several keys; each failure is reported as (key, message).
void cross_checks(const CrossbarConfig& c, const std::function<void(bool, std::string_view, std::string)>& check) {
  // Analog sums are held in single precision: every integer up to the full scale must be exact.
  if (c.rows >= 1 && c.bits_per_cell >= 1 && c.bits_per_cell <= 8 && c.dac_bits >= 1 && c.dac_bits <= 8)
    check(c.full_scale() <= 16777216.0, "crossbar.rows",
          fmt::format("value {} is too large: rows × (2^bits_per_cell − 1) × (2^dac_bits − 1) must be <= 2^24 (it is "
                      "{} × {} × {})",
                      c.rows, c.rows, c.max_cell_value(), c.max_input_value()));
  if (!c.cell.exact() && c.bits_per_cell >= 1 && c.bits_per_cell <= 8)
    check(c.cell.levels() == c.max_cell_value() + 1, "cell.levels",
          fmt::format("value {} does not match crossbar.bits_per_cell = {}: a cell stores levels 0..{} ({} levels)",
                      c.cell.levels(), c.bits_per_cell, c.max_cell_value(), c.max_cell_value() + 1));
  if (c.readout.kind == circuit::ReadoutKind::kZebraLcu) {
    check(c.readout.lcu.group_rows <= c.rows, "readout.lcu.group_rows",
          fmt::format("value {} exceeds crossbar.rows = {} (a group lies inside one subarray)",
                      c.readout.lcu.group_rows, c.rows));
    check(c.dac_bits == 1, "crossbar.dac_bits",
          fmt::format("value {} is not allowed: the zebra_lcu readout senses bit-products (dac_bits = 1)", c.dac_bits));
    check(c.bits_per_cell <= 2, "crossbar.bits_per_cell",
          fmt::format("value {} is not allowed: the zebra_lcu readout takes 1- or 2-bit cells", c.bits_per_cell));
  }
}

// Every check, for configurations built in code.
void check_consistency(const CrossbarConfig& c, const std::function<void(bool, std::string_view, std::string)>& check) {
  const auto range = [&](bool ok, std::string_view key, std::string_view expected) {
    check(ok, key, fmt::format("value is out of range: expected {}", expected));
  };
  range(c.rows >= 1 && c.rows <= 65536, "crossbar.rows", "an integer R in [1, 65536]");
  range(c.columns >= 1 && c.columns <= 65536, "crossbar.columns", "an integer in [1, 65536]");
  range(c.bits_per_cell >= 1 && c.bits_per_cell <= 8, "crossbar.bits_per_cell", "an integer in [1, 8]");
  range(c.input_bits >= 1 && c.input_bits <= 8, "crossbar.input_bits", "an integer in [1, 8]");
  range(c.dac_bits >= 1 && c.dac_bits <= std::max(1, c.input_bits), "crossbar.dac_bits",
        fmt::format("an integer in [1, input_bits = {}]", c.input_bits));
  range(c.weight_bits >= 2 && c.weight_bits <= 8, "crossbar.weight_bits", "an integer in [2, 8]");
  range(c.signed_scheme != SignedScheme::kOffsetBinary || c.encoding == Encoding::kTwosComplement, "crossbar.encoding",
        "\"twos_complement\" with signed_scheme = \"offset_binary\" (the array stores w + 2^(B-1) as plain binary)");
  range(circuit::sampling_fits_kind(c.readout), "readout.sampling",
        fmt::format("{}; readout.kind is \"{}\"", circuit::kSamplingKindRule, circuit::readout_name(c.readout.kind)));
  for (const auto& [key, message] : c.noise.problems()) check(false, key, message);
  cross_checks(c, check);
}

}  // namespace

void CrossbarConfig::validate() const {
  core::config::Problems problems;
  check_consistency(*this, [&](bool ok, std::string_view key, std::string expected) {
    if (!ok) problems.add(fmt::format("key '{}': {}", key, expected));
  });
  problems.throw_if_any("crossbar configuration");
}

CrossbarConfig read_crossbar_config(const core::config::Document& doc) {
  core::config::Problems problems;
  core::config::TableReader root(doc.root, doc.source, "", problems);
  CrossbarConfig c;
  root.optional("description", c.description);

  auto x = root.child("crossbar");
  x.optional("rows", c.rows);
  x.optional("columns", c.columns);
  x.optional("bits_per_cell", c.bits_per_cell);
  x.optional("input_bits", c.input_bits);
  x.optional("dac_bits", c.dac_bits);
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
  x.check(c.bits_per_cell >= 1 && c.bits_per_cell <= 8, "bits_per_cell", "an integer in [1, 8]");
  x.check(c.input_bits >= 1 && c.input_bits <= 8, "input_bits", "an integer in [1, 8]");
  x.check(c.dac_bits >= 1 && c.dac_bits <= std::max(1, c.input_bits), "dac_bits",
          fmt::format("an integer in [1, input_bits = {}]", c.input_bits));
  x.check(c.weight_bits >= 2 && c.weight_bits <= 8, "weight_bits", "an integer in [2, 8]");
  x.check(c.signed_scheme != SignedScheme::kOffsetBinary || c.encoding == Encoding::kTwosComplement, "encoding",
          "\"twos_complement\" with signed_scheme = \"offset_binary\" (the array stores w + 2^(B-1) as plain binary)");
  x.finish();

  auto r = root.child("readout");
  c.readout = circuit::read_readout_params(r);

  auto n = root.child("noise");
  c.noise = circuit::read_noise_params(n);

  if (const core::config::Value* cell = root.value("cell")) {
    try {
      c.cell = device::StorageCellModel::from_config(*cell, doc.source, "cell");
    } catch (const core::ConfigError& e) {
      problems.add(e.what());
    } catch (const core::ArgumentError& e) {
      problems.add(fmt::format("{}: [cell]: {}", doc.source, e.what()));
    }
  }

  root.renamed("layers", "gemms");  // renamed in 0.1: arch numbers GEMMs, the network numbers layers
  auto g = root.child("gemms");
  g.optional("digital_first", c.gemms.digital_first);
  g.optional("digital_last", c.gemms.digital_last);
  g.optional("digital", c.gemms.digital);
  bool ids_ok = true;
  for (int id : c.gemms.digital) ids_ok = ids_ok && id >= 0;
  g.check(ids_ok, "digital", "a list of GEMM indices >= 0 (0 is the first Conv/Linear)");
  g.finish();
  c.periphery = circuit::read_periphery(root.child("periphery"));

  root.finish();
  cross_checks(c, [&](bool ok, std::string_view key, std::string message) {
    if (!ok) problems.add(fmt::format("{}: key '{}': {}", doc.source, key, message));
  });
  problems.throw_if_any(doc.source);
  return c;
}

CrossbarConfig load_crossbar_config(const std::filesystem::path& path, const std::vector<std::string>& overrides) {
  core::config::Document doc = core::config::parse_file(path);
  core::config::apply_overrides(doc, overrides);
  return read_crossbar_config(doc);
}

}  // namespace cimmc::arch
