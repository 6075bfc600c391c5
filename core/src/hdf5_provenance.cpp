// Provenance: the root attributes every cimmc file carries, written, read, and checked when a
// cimmc file of a given kind is opened.
#include <fmt/format.h>

#include <chrono>
#include <ctime>
#include <string>
#include <vector>

#include "cimmc/core/hdf5.hpp"
#include "cimmc/core/version.hpp"

namespace cimmc::core::h5 {

std::string utc_now_iso8601() {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

void write_provenance(Group& root, const std::string& filetype, std::array<std::int64_t, 2> format_version,
                      std::uint64_t seed, const std::string& config_text) {
  root.set_attr("filetype", filetype);
  root.set_attr("format_version", std::vector<std::int64_t>{format_version[0], format_version[1]});
  root.set_attr("cimmc_version", std::string(core::version::version()));
  root.set_attr("git_sha1", std::string(core::version::git_sha1()));
  root.set_attr("created", utc_now_iso8601());
  // Seeds are 64-bit unsigned; stored bit-for-bit in an int64 attribute.
  root.set_attr("seed", static_cast<std::int64_t>(seed));
  root.set_attr("config", config_text);
}

Provenance read_provenance(const Group& root) {
  if (!root.has_attr("filetype"))
    throw core::FormatError(
        fmt::format("{}: not a cimmc file (no 'filetype' attribute on the root group)", root.file_name()));
  Provenance p;
  p.filetype = root.attr_string("filetype");
  const auto v = root.attr_ints("format_version");
  if (v.size() != 2)
    throw core::FormatError(fmt::format("{}: 'format_version' must be [major, minor]", root.file_name()));
  p.format_version = {v[0], v[1]};
  if (root.has_attr("cimmc_version")) p.cimmc_version = root.attr_string("cimmc_version");
  if (root.has_attr("git_sha1")) p.git_sha1 = root.attr_string("git_sha1");
  if (root.has_attr("created")) p.created = root.attr_string("created");
  if (root.has_attr("seed")) {
    const auto seed = root.attr_ints("seed");
    if (seed.size() != 1)
      throw core::FormatError(
          fmt::format("{}: 'seed' must be one integer, found {} values", root.file_name(), seed.size()));
    p.seed = static_cast<std::uint64_t>(seed[0]);
  }
  if (root.has_attr("config")) p.config = root.attr_string("config");
  return p;
}

File open_cimmc_file(const std::filesystem::path& path, const std::string& filetype, std::int64_t supported_major) {
  File f = File::open(path);
  const Provenance p = read_provenance(f);
  if (p.filetype != filetype)
    throw core::FormatError(fmt::format("{}: is a '{}' file, expected '{}'", path.string(), p.filetype, filetype));
  if (p.format_version[0] > supported_major)
    throw core::FormatError(fmt::format("{}: format version {}.{} is newer than this cimmc reads ({}.x); upgrade cimmc",
                                        path.string(), p.format_version[0], p.format_version[1], supported_major));
  return f;
}

}  // namespace cimmc::core::h5
