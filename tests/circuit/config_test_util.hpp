// Reads one table of a TOML text with a circuit reader (read_readout_params, read_noise_params),
// as a hardware file would, and hands back the problems found.
#pragma once

#include <string>
#include <string_view>

#include "cimmc/core/config.hpp"
#include "cimmc/core/error.hpp"

namespace cimmc::circuit::config_test {

// The parameters read from table `table` of `text` (source name "hw.toml"). Problems throw a
// cimmc::core::ConfigError, or are written to *error when error is given.
template <typename Params>
Params read_table(const std::string& text, std::string_view table, Params (*reader)(cimmc::core::config::TableReader&),
                  std::string* error) {
  const auto doc = cimmc::core::config::parse_string(text, "hw.toml");
  cimmc::core::config::Problems problems;
  cimmc::core::config::TableReader root(doc.root, doc.source, "", problems);
  auto t = root.child(table);
  Params p = reader(t);
  root.finish();
  try {
    problems.throw_if_any(doc.source);
  } catch (const cimmc::core::ConfigError& e) {
    if (!error) throw;
    *error = e.what();
  }
  return p;
}

}  // namespace cimmc::circuit::config_test
