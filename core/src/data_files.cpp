#include "cimmc/core/data_files.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstdlib>
#include <set>

#include "cimmc/core/config.hpp"
#include "cimmc/core/error.hpp"

namespace cimmc::core::data_files {

std::vector<std::filesystem::path> search_dirs(const std::string& folder) {
  std::vector<std::filesystem::path> dirs;
  if (const char* env = std::getenv("CIMMC_DATA_DIR"); env && *env)
    dirs.emplace_back(std::filesystem::path(env) / folder);
  dirs.emplace_back(std::filesystem::path(CIMMC_INSTALLED_DATA_DIR) / folder);
  dirs.emplace_back(std::filesystem::path(CIMMC_SOURCE_DATA_DIR) / folder);
  return dirs;
}

std::vector<std::string> names(const std::string& folder, const std::string& extension) {
  std::set<std::string> found;
  for (const auto& d : search_dirs(folder)) {
    std::error_code ec;
    if (!std::filesystem::is_directory(d, ec)) continue;
    for (const auto& entry : std::filesystem::directory_iterator(d, ec))
      if (entry.path().extension() == extension) found.insert(entry.path().stem().string());
  }
  return {found.begin(), found.end()};
}

std::filesystem::path resolve(const std::string& folder, const std::string& name_or_path, const std::string& extension,
                              const std::string& what) {
  std::filesystem::path p(name_or_path);
  if (name_or_path.find('/') != std::string::npos || p.extension() == extension) {
    if (!std::filesystem::is_regular_file(p))
      throw core::IoError(fmt::format("{}: {} file not found", name_or_path, what));
    return p;
  }
  const auto dirs = search_dirs(folder);
  for (const auto& d : dirs) {
    auto candidate = d / (name_or_path + extension);
    if (std::filesystem::is_regular_file(candidate)) return candidate;
  }
  std::vector<std::string> looked;
  looked.reserve(dirs.size());
  for (const auto& d : dirs) looked.push_back(d.string());
  std::string msg = fmt::format("{} '{}' not found (looked in {})", what, name_or_path, fmt::join(looked, ", "));
  const auto known = names(folder, extension);
  if (auto guess = core::config::did_you_mean(name_or_path, known)) msg += fmt::format("; did you mean '{}'?", *guess);
  else if (!known.empty()) msg += fmt::format("; known: {}", fmt::join(known, ", "));
  throw core::IoError(msg);
}

}  // namespace cimmc::core::data_files
