#include "cimmc/studies/cli.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <exception>
#include <string>

#include "cimmc/core/config.hpp"
#include "cimmc/core/error.hpp"

namespace cimmc::studies {

CLI::Validator count_at_least(long long minimum, long long maximum) {
  const bool bounded = maximum != std::numeric_limits<long long>::max();
  return CLI::Validator(
      [minimum, maximum](std::string& text) -> std::string {
        long long v = 0;
        std::size_t used = 0;
        try {
          v = std::stoll(text, &used);
        } catch (const std::exception&) {
          used = 0;
        }
        if (used != text.size() || text.empty()) return "expected an integer, got '" + text + "'";
        if (v < minimum) return fmt::format("expected a count >= {}, got {}", minimum, text);
        if (v > maximum) return fmt::format("expected a count <= {}, got {}", maximum, text);
        return {};
      },
      bounded ? fmt::format("COUNT:{}..{}", minimum, maximum) : fmt::format("COUNT>={}", minimum));
}

CLI::Validator number_in(double minimum, double maximum, bool open_minimum, bool open_maximum) {
  const std::string range = std::isinf(maximum) ? fmt::format("{} {}", open_minimum ? ">" : ">=", minimum)
                                                : fmt::format("in {}{}, {}{}", open_minimum ? "(" : "[", minimum,
                                                              maximum, open_maximum ? ")" : "]");
  return CLI::Validator(
      [=](std::string& text) -> std::string {
        double v = 0;
        std::size_t used = 0;
        try {
          v = std::stod(text, &used);
        } catch (const std::exception&) {
          used = 0;
        }
        if (used != text.size() || text.empty()) return "expected a number, got '" + text + "'";
        const bool ok = std::isfinite(v) && (open_minimum ? v > minimum : v >= minimum) &&
                        (open_maximum ? v < maximum : v <= maximum);
        return ok ? std::string() : fmt::format("expected a finite number {}, got {}", range, text);
      },
      "NUMBER " + range);
}

CLI::Validator seed_value() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        const bool digits = !text.empty() && text.size() <= 20 &&
                            std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
        if (digits && (text.size() < 20 || text <= "18446744073709551615")) return {};
        return "expected a seed from 0 to 18446744073709551615, got '" + text + "'";
      },
      "SEED");
}

CLI::App* Registry::add(const std::string& name, const std::string& description, std::function<void()> run) {
  CLI::App* sub = app_.add_subcommand(name, description);
  commands_.emplace_back(sub, std::move(run));
  return sub;
}

bool Registry::run_selected() const {
  for (const auto& [sub, run] : commands_) {
    if (sub->parsed()) {
      run();
      return true;
    }
  }
  return false;
}

namespace {
std::vector<std::pair<int, RegisterFunction>>& command_list() {
  static std::vector<std::pair<int, RegisterFunction>> list;
  return list;
}
}  // namespace

bool add_command(int order, RegisterFunction f) {
  command_list().emplace_back(order, f);
  return true;
}

void register_all(Registry& r) {
  auto list = command_list();
  std::stable_sort(list.begin(), list.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [order, f] : list) f(r);
}

int run_main(int argc, char** argv) {
  CLI::App app{"cimmc: device-to-system Monte Carlo for compute-in-memory accelerators", "cimmc"};
  app.require_subcommand(1);
  GlobalOptions global;
  app.add_flag("-q,--quiet", global.quiet, "No progress line on the terminal");
  Registry registry(app, global);
  register_all(registry);
  // An unknown first word would otherwise only get CLI11's "a subcommand is required".
  if (argc > 1 && argv[1][0] != '-') {
    std::vector<std::string> names;
    for (const auto* sub : app.get_subcommands({})) names.push_back(sub->get_name());
    if (std::find(names.begin(), names.end(), argv[1]) == names.end()) {
      std::string msg = fmt::format("cimmc: unknown command '{}'", argv[1]);
      if (auto guess = core::config::did_you_mean(argv[1], names)) msg += fmt::format(" (did you mean '{}'?)", *guess);
      std::fprintf(stderr, "%s\ncommands: %s\n", msg.c_str(), fmt::format("{}", fmt::join(names, ", ")).c_str());
      return 2;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);  // prints help or the error
    return code == 0 ? 0 : 2;
  }
  const std::string command = app.get_subcommands().empty() ? "" : app.get_subcommands().front()->get_name();
  try {
    registry.run_selected();
    return 0;
  } catch (const cimmc::core::Error& e) {
    std::fprintf(stderr, "cimmc %s: error: %s\n", command.c_str(), e.what());
    return e.exit_code();
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "cimmc %s: error: out of memory\n", command.c_str());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cimmc %s: error: %s\n", command.c_str(), e.what());
    return 1;
  }
}

}  // namespace cimmc::studies
