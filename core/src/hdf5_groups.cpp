// Groups: paths, existence of nested links, creating, opening and listing groups.
#include <fmt/format.h>

#include <string>
#include <vector>

#include "cimmc/core/hdf5.hpp"
#include "hdf5_internal.hpp"

namespace cimmc::core::h5 {

namespace {
std::string join_path(const std::string& base, const std::string& name) {
  if (base.empty() || base == "/") return "/" + name;
  return base + "/" + name;
}
}  // namespace

std::string Group::where(const std::string& name) const {
  return fmt::format("{}:{}", file_, name.empty() ? path_ : join_path(path_, name));
}

bool Group::exists(const std::string& name) const {
  // Check each component so that a missing intermediate group is not an HDF5 error.
  std::string partial;
  std::size_t start = 0;
  while (start <= name.size()) {
    const std::size_t slash = name.find('/', start);
    partial = name.substr(0, slash);
    if (H5Lexists(id(), partial.c_str(), H5P_DEFAULT) <= 0) return false;
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return true;
}

Group Group::create_group(const std::string& name) {
  Id lcpl(H5Pcreate(H5P_LINK_CREATE));
  H5Pset_create_intermediate_group(lcpl.get(), 1);
  Id g = check(H5Gcreate2(id(), name.c_str(), lcpl.get(), H5P_DEFAULT, H5P_DEFAULT),
               fmt::format("{}: cannot create group (does it exist already?)", where(name)));
  return Group(std::move(g), join_path(path_, name), file_);
}

Group Group::open_group(const std::string& name) const {
  if (!exists(name)) throw core::FormatError(fmt::format("{}: group not found", where(name)));
  Id g = check(H5Gopen2(id(), name.c_str(), H5P_DEFAULT), fmt::format("{}: not a group", where(name)));
  return Group(std::move(g), join_path(path_, name), file_);
}

Group Group::require_group(const std::string& name) { return exists(name) ? open_group(name) : create_group(name); }

std::vector<ChildInfo> Group::children() const {
  std::vector<ChildInfo> out;
  auto cb = [](hid_t g, const char* name, const H5L_info_t*, void* data) -> herr_t {
    auto* list = static_cast<std::vector<ChildInfo>*>(data);
    H5O_info_t info;
    ChildInfo c{name, ChildInfo::Kind::kOther};
    if (H5Oget_info_by_name2(g, name, &info, H5O_INFO_BASIC, H5P_DEFAULT) >= 0) {
      if (info.type == H5O_TYPE_GROUP) c.kind = ChildInfo::Kind::kGroup;
      else if (info.type == H5O_TYPE_DATASET) c.kind = ChildInfo::Kind::kDataset;
    }
    list->push_back(std::move(c));
    return 0;
  };
  hsize_t idx = 0;
  if (H5Literate(id(), H5_INDEX_NAME, H5_ITER_INC, &idx, cb, &out) < 0)
    throw core::IoError(fmt::format("{}: cannot list group", where("")));
  return out;
}

}  // namespace cimmc::core::h5
