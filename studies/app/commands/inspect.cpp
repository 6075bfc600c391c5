// `cimmc inspect FILE.h5`: provenance and the tree of groups and datasets (shapes, units,
// dimension names) of a file cimmc wrote.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "cimmc/core/error.hpp"
#include "cimmc/core/filetypes.hpp"
#include "cimmc/core/hdf5.hpp"
#include "cimmc/studies/cli.hpp"

namespace cimmc::studies {

namespace {
const char* const kProvenanceAttrs[] = {"filetype", "format_version", "cimmc_version", "git_sha1",
                                        "created",  "seed",           "config"};

void print_group(const core::h5::Group& g, const std::string& indent, bool show_config) {
  for (const auto& a : g.attr_names()) {
    bool provenance = false;
    if (g.path() == "/")
      for (const char* p : kProvenanceAttrs) provenance |= (a == p);
    if (!provenance) fmt::print("{}@{} = {}\n", indent, a, g.attr_as_text(a));
  }
  for (const auto& c : g.children()) {
    if (c.kind == core::h5::ChildInfo::Kind::kGroup) {
      fmt::print("{}{}/\n", indent, c.name);
      print_group(g.open_group(c.name), indent + "  ", show_config);
    } else if (c.kind == core::h5::ChildInfo::Kind::kDataset) {
      const auto info = g.dataset_info(c.name);
      std::string shape = info.shape.empty() ? "scalar" : fmt::format("[{}]", fmt::join(info.shape, ", "));
      std::string line = fmt::format("{}{}  {} {}", indent, c.name, info.type, shape);
      if (!info.dimensions.empty()) line += fmt::format("  dims ({})", fmt::join(info.dimensions, ", "));
      if (!info.units.empty()) line += fmt::format("  units {}", info.units);
      fmt::print("{}\n", line);
    } else {
      fmt::print("{}{}  (other object)\n", indent, c.name);
    }
  }
}
}  // namespace

namespace {
void register_inspect(Registry& r) {
  static std::string path;
  static bool show_config = false;
  auto* sub = r.add("inspect", "Show the provenance and contents of a cimmc HDF5 file", [] {
    core::h5::File f = core::h5::File::open(path);
    const core::h5::Provenance p = core::h5::read_provenance(f);
    const std::int64_t major = core::filetypes::supported_major(p.filetype);
    if (p.format_version[0] > major)
      throw core::FormatError(
          fmt::format("{}: '{}' format version {}.{} is newer than this cimmc reads ({}.x); upgrade cimmc", path,
                      p.filetype, p.format_version[0], p.format_version[1], major));
    fmt::print("file:           {}\n", path);
    fmt::print("filetype:       {}\n", p.filetype);
    fmt::print("format_version: {}.{}\n", p.format_version[0], p.format_version[1]);
    fmt::print("cimmc_version:  {}\n", p.cimmc_version);
    fmt::print("git_sha1:       {}\n", p.git_sha1);
    fmt::print("created:        {}\n", p.created);
    fmt::print("seed:           {}\n", p.seed);
    if (show_config) fmt::print("config:\n{}\n", p.config);
    else
      fmt::print("config:         {} lines (--config to show)\n",
                 std::count(p.config.begin(), p.config.end(), '\n') + (p.config.empty() ? 0 : 1));
    fmt::print("contents:\n");
    print_group(f, "  ", show_config);
  });
  sub->add_option("file", path, "A file written by cimmc")->required();
  sub->add_flag("--config", show_config, "Print the stored configuration text");
}

}  // namespace

CIMMC_REGISTER_COMMAND(90, register_inspect);

}  // namespace cimmc::studies
