// The `cimmc` program's command registry. Each command lives in its own file in
// studies/app/commands/ (compiled into the program itself) and registers itself with
// CIMMC_REGISTER_COMMAND; main parses the command line, runs the chosen command and maps errors
// to exit codes (0 success, 2 bad input, 1 runtime failure).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <limits>
#include <string>
#include <vector>

namespace cimmc::studies {

// Options every command understands.
struct GlobalOptions {
  bool quiet = false;  // no progress line
};

class Registry {
 public:
  explicit Registry(CLI::App& app, GlobalOptions& global) : app_(app), global_(global) {}
  // Adds a subcommand; `run` is called if it was chosen on the command line.
  CLI::App* add(const std::string& name, const std::string& description, std::function<void()> run);
  const GlobalOptions& global() const { return global_; }
  // Runs the chosen subcommand's function (after parsing). Returns false if none was chosen.
  bool run_selected() const;

 private:
  CLI::App& app_;
  GlobalOptions& global_;
  std::vector<std::pair<CLI::App*, std::function<void()>>> commands_;
};

// Validators of count options: "a count >= 0" (0 usually meaning "all" or "off"), "a count
// >= 1", or a count from minimum to maximum; their errors name the option and the value (exit 2).
CLI::Validator count_at_least(long long minimum, long long maximum = std::numeric_limits<long long>::max());
// A finite number in [minimum, maximum] (an open end with open_minimum / open_maximum; maximum
// infinity: no upper bound). NaN and infinities are refused.
CLI::Validator number_in(double minimum, double maximum, bool open_minimum = false, bool open_maximum = false);
// A seed: an integer from 0 to 2^64 - 1 (a negative number is refused, not wrapped).
CLI::Validator seed_value();

using RegisterFunction = void (*)(Registry&);
// Adds a command to the program; `order` sorts `cimmc --help` (lower first).
bool add_command(int order, RegisterFunction f);
void register_all(Registry& r);

// Runs the program: parse, dispatch, map errors to exit codes. Exposed for tests.
int run_main(int argc, char** argv);

}  // namespace cimmc::studies

// In a command's .cpp: CIMMC_REGISTER_COMMAND(20, register_switching);
#define CIMMC_REGISTER_COMMAND(order, function) \
  static const bool cimmc_command_registered_##function = ::cimmc::studies::add_command(order, function)
