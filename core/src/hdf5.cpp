#include "cimmc/core/hdf5.hpp"

#include <fcntl.h>
#include <signal.h>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <fstream>
#include <mutex>

#include "cimmc/core/version.hpp"

namespace cimmc::core::h5 {

namespace {
// HDF5 prints its own error stack by default; cimmc reports errors itself.
void silence_hdf5() {
  static std::once_flag once;
  std::call_once(once, [] { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); });
}

std::string join_path(const std::string& base, const std::string& name) {
  if (base.empty() || base == "/") return "/" + name;
  return base + "/" + name;
}

Id check(hid_t id, const std::string& what) {
  if (id < 0) throw core::IoError(what);
  return Id(id);
}

std::string type_label(hid_t type) {
  const H5T_class_t cls = H5Tget_class(type);
  const std::size_t size = H5Tget_size(type);
  switch (cls) {
    case H5T_FLOAT: return fmt::format("float{}", 8 * size);
    case H5T_INTEGER: return fmt::format("{}int{}", H5Tget_sign(type) == H5T_SGN_NONE ? "u" : "", 8 * size);
    case H5T_STRING: return "string";
    default: return "other";
  }
}

std::vector<std::size_t> space_shape(hid_t space) {
  const int rank = H5Sget_simple_extent_ndims(space);
  std::vector<hsize_t> dims(std::max(rank, 0));
  if (rank > 0) H5Sget_simple_extent_dims(space, dims.data(), nullptr);
  return {dims.begin(), dims.end()};
}

std::string read_string_attr(hid_t obj, const std::string& name, const std::string& where) {
  Id attr = check(H5Aopen(obj, name.c_str(), H5P_DEFAULT), fmt::format("{}: cannot open attribute '{}'", where, name));
  Id type(H5Aget_type(attr.get()));
  if (H5Tget_class(type.get()) != H5T_STRING)
    throw core::FormatError(fmt::format("{}: attribute '{}' is not a string", where, name));
  Id space(H5Aget_space(attr.get()));
  if (H5Sget_simple_extent_npoints(space.get()) != 1)
    throw core::FormatError(fmt::format("{}: attribute '{}' is not a single string", where, name));
  if (H5Tis_variable_str(type.get()) > 0) {
    Id mem(H5Tcopy(H5T_C_S1));
    H5Tset_size(mem.get(), H5T_VARIABLE);
    H5Tset_cset(mem.get(), H5Tget_cset(type.get()));
    char* buf = nullptr;
    if (H5Aread(attr.get(), mem.get(), &buf) < 0)
      throw core::IoError(fmt::format("{}: cannot read attribute '{}'", where, name));
    std::string s = buf ? buf : "";
    H5free_memory(buf);
    return s;
  }
  const std::size_t size = H5Tget_size(type.get());
  std::string s(size, '\0');
  Id mem(H5Tcopy(H5T_C_S1));
  H5Tset_size(mem.get(), size);
  if (H5Aread(attr.get(), mem.get(), s.data()) < 0)
    throw core::IoError(fmt::format("{}: cannot read attribute '{}'", where, name));
  s.erase(std::find(s.begin(), s.end(), '\0'), s.end());
  return s;
}

std::vector<std::string> read_strings_attr(hid_t obj, const std::string& name, const std::string& where) {
  Id attr = check(H5Aopen(obj, name.c_str(), H5P_DEFAULT), fmt::format("{}: cannot open attribute '{}'", where, name));
  Id space(H5Aget_space(attr.get()));
  const auto n = static_cast<std::size_t>(H5Sget_simple_extent_npoints(space.get()));
  Id mem(H5Tcopy(H5T_C_S1));
  H5Tset_size(mem.get(), H5T_VARIABLE);
  H5Tset_cset(mem.get(), H5T_CSET_UTF8);
  std::vector<char*> bufs(n, nullptr);
  if (H5Aread(attr.get(), mem.get(), bufs.data()) < 0)
    throw core::FormatError(fmt::format("{}: attribute '{}' is not a list of strings", where, name));
  std::vector<std::string> out;
  for (char* b : bufs) {
    out.emplace_back(b ? b : "");
    H5free_memory(b);
  }
  return out;
}
}  // namespace

Id& Id::operator=(Id&& o) noexcept {
  if (this != &o) {
    reset();
    id_ = o.id_;
    o.id_ = H5I_INVALID_HID;
  }
  return *this;
}

bool Id::reset() {
  herr_t status = 0;
  if (id_ >= 0) {
    switch (H5Iget_type(id_)) {
      case H5I_FILE: status = H5Fclose(id_); break;
      case H5I_GROUP: status = H5Gclose(id_); break;
      case H5I_DATASET: status = H5Dclose(id_); break;
      case H5I_ATTR: status = H5Aclose(id_); break;
      case H5I_DATASPACE: status = H5Sclose(id_); break;
      case H5I_DATATYPE: status = H5Tclose(id_); break;
      case H5I_GENPROP_LST: status = H5Pclose(id_); break;
      default: break;
    }
  }
  id_ = H5I_INVALID_HID;
  return status >= 0;
}

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

template <typename T>
void Group::write(const std::string& name, std::span<const T> data, const std::vector<std::size_t>& shape,
                  const std::string& units, const std::vector<std::string>& dimensions) {
  std::size_t n = 1;
  for (auto d : shape) n *= d;
  if (n != data.size())
    throw core::ArgumentError(fmt::format("{}: shape holds {} values but {} were given", where(name), n, data.size()));
  if (!dimensions.empty() && dimensions.size() != shape.size())
    throw core::ArgumentError(
        fmt::format("{}: {} dimension names for a rank-{} array", where(name), dimensions.size(), shape.size()));
  std::vector<hsize_t> dims(shape.begin(), shape.end());
  Id space(shape.empty() ? H5Screate(H5S_SCALAR)
                         : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr));
  Id lcpl(H5Pcreate(H5P_LINK_CREATE));
  H5Pset_create_intermediate_group(lcpl.get(), 1);
  Id dcpl(H5Pcreate(H5P_DATASET_CREATE));
  if (n >= 4096 && !shape.empty()) {  // compress large arrays; chunk along the first axis
    std::vector<hsize_t> chunk = dims;
    hsize_t rest = 1;
    for (std::size_t i = 1; i < chunk.size(); ++i) rest *= chunk[i];
    chunk[0] = std::max<hsize_t>(1, std::min<hsize_t>(dims[0], (1u << 18) / std::max<hsize_t>(rest, 1)));
    for (std::size_t i = 1; i < chunk.size(); ++i) chunk[i] = std::min<hsize_t>(chunk[i], 1u << 16);
    H5Pset_chunk(dcpl.get(), static_cast<int>(chunk.size()), chunk.data());
    H5Pset_deflate(dcpl.get(), 4);
  }
  Id ds = check(H5Dcreate2(id(), name.c_str(), native_type<T>(), space.get(), lcpl.get(), dcpl.get(), H5P_DEFAULT),
                fmt::format("{}: cannot create dataset (does it exist already?)", where(name)));
  if (n > 0 && H5Dwrite(ds.get(), native_type<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, data.data()) < 0)
    throw core::RuntimeFailure(fmt::format("{}: cannot write dataset", where(name)));
  set_string_attr(ds.get(), "units", units);
  if (!dimensions.empty()) set_strings_attr(ds.get(), "dimensions", dimensions);
}

template <typename T>
Array<T> Group::read(const std::string& name) const {
  if (!exists(name)) throw core::FormatError(fmt::format("{}: dataset not found", where(name)));
  Id ds = check(H5Dopen2(id(), name.c_str(), H5P_DEFAULT), fmt::format("{}: not a dataset", where(name)));
  Id type(H5Dget_type(ds.get()));
  const H5T_class_t cls = H5Tget_class(type.get());
  const bool want_float = std::is_floating_point_v<T>;
  if ((cls == H5T_FLOAT) != want_float || (cls != H5T_FLOAT && cls != H5T_INTEGER))
    throw core::FormatError(fmt::format("{}: stored as {}, expected {}", where(name), type_label(type.get()),
                                        want_float ? "floating point" : "integer"));
  Id space(H5Dget_space(ds.get()));
  Array<T> a;
  a.shape = space_shape(space.get());
  std::size_t n = 1;
  for (auto d : a.shape) n *= d;
  a.data.resize(n);
  if (n > 0 && H5Dread(ds.get(), native_type<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, a.data.data()) < 0)
    throw core::FormatError(fmt::format("{}: cannot read dataset (corrupt or out of range for the type)", where(name)));
  return a;
}

template <typename T>
T Group::read_scalar(const std::string& name) const {
  Array<T> a = read<T>(name);
  if (a.data.size() != 1)
    throw core::FormatError(fmt::format("{}: expected a scalar, found {} values", where(name), a.data.size()));
  return a.data[0];
}

#define CIMMC_H5_INSTANTIATE(T)                                                                          \
  template void Group::write<T>(const std::string&, std::span<const T>, const std::vector<std::size_t>&, \
                                const std::string&, const std::vector<std::string>&);                    \
  template Array<T> Group::read<T>(const std::string&) const;                                            \
  template T Group::read_scalar<T>(const std::string&) const;
CIMMC_H5_INSTANTIATE(double)
CIMMC_H5_INSTANTIATE(float)
CIMMC_H5_INSTANTIATE(std::int32_t)
CIMMC_H5_INSTANTIATE(std::int64_t)
CIMMC_H5_INSTANTIATE(std::uint8_t)
CIMMC_H5_INSTANTIATE(std::uint32_t)
CIMMC_H5_INSTANTIATE(std::uint64_t)
CIMMC_H5_INSTANTIATE(std::int8_t)
#undef CIMMC_H5_INSTANTIATE

void Group::write_string(const std::string& name, const std::string& value) {
  Id type(H5Tcopy(H5T_C_S1));
  H5Tset_size(type.get(), H5T_VARIABLE);
  H5Tset_cset(type.get(), H5T_CSET_UTF8);
  Id space(H5Screate(H5S_SCALAR));
  Id lcpl(H5Pcreate(H5P_LINK_CREATE));
  H5Pset_create_intermediate_group(lcpl.get(), 1);
  Id ds = check(H5Dcreate2(id(), name.c_str(), type.get(), space.get(), lcpl.get(), H5P_DEFAULT, H5P_DEFAULT),
                fmt::format("{}: cannot create dataset", where(name)));
  const char* p = value.c_str();
  if (H5Dwrite(ds.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, &p) < 0)
    throw core::RuntimeFailure(fmt::format("{}: cannot write string", where(name)));
}

void Group::write_strings(const std::string& name, const std::vector<std::string>& values) {
  Id type(H5Tcopy(H5T_C_S1));
  H5Tset_size(type.get(), H5T_VARIABLE);
  H5Tset_cset(type.get(), H5T_CSET_UTF8);
  const hsize_t n = values.size();
  Id space(H5Screate_simple(1, &n, nullptr));
  Id lcpl(H5Pcreate(H5P_LINK_CREATE));
  H5Pset_create_intermediate_group(lcpl.get(), 1);
  Id ds = check(H5Dcreate2(id(), name.c_str(), type.get(), space.get(), lcpl.get(), H5P_DEFAULT, H5P_DEFAULT),
                fmt::format("{}: cannot create dataset", where(name)));
  std::vector<const char*> ptrs;
  for (const auto& v : values) ptrs.push_back(v.c_str());
  if (n > 0 && H5Dwrite(ds.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, ptrs.data()) < 0)
    throw core::RuntimeFailure(fmt::format("{}: cannot write strings", where(name)));
}

std::vector<std::string> Group::read_strings(const std::string& name) const {
  if (!exists(name)) throw core::FormatError(fmt::format("{}: dataset not found", where(name)));
  Id ds = check(H5Dopen2(id(), name.c_str(), H5P_DEFAULT), fmt::format("{}: not a dataset", where(name)));
  Id ftype(H5Dget_type(ds.get()));
  if (H5Tget_class(ftype.get()) != H5T_STRING)
    throw core::FormatError(fmt::format("{}: not a string dataset", where(name)));
  Id space(H5Dget_space(ds.get()));
  const auto n = static_cast<std::size_t>(H5Sget_simple_extent_npoints(space.get()));
  Id mem(H5Tcopy(H5T_C_S1));
  H5Tset_size(mem.get(), H5T_VARIABLE);
  H5Tset_cset(mem.get(), H5Tget_cset(ftype.get()));
  if (H5Tis_variable_str(ftype.get()) <= 0) {
    const std::size_t size = H5Tget_size(ftype.get());
    std::vector<char> buf(n * size);
    Id fixed(H5Tcopy(H5T_C_S1));
    H5Tset_size(fixed.get(), size);
    if (H5Dread(ds.get(), fixed.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data()) < 0)
      throw core::FormatError(fmt::format("{}: cannot read strings", where(name)));
    std::vector<std::string> out;
    for (std::size_t i = 0; i < n; ++i) {
      std::string s(buf.data() + i * size, size);
      s.erase(std::find(s.begin(), s.end(), '\0'), s.end());
      out.push_back(s);
    }
    return out;
  }
  std::vector<char*> bufs(n, nullptr);
  if (n > 0 && H5Dread(ds.get(), mem.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, bufs.data()) < 0)
    throw core::FormatError(fmt::format("{}: cannot read strings", where(name)));
  std::vector<std::string> out;
  for (char* b : bufs) {
    out.emplace_back(b ? b : "");
    H5free_memory(b);
  }
  return out;
}

std::string Group::read_string(const std::string& name) const {
  auto v = read_strings(name);
  if (v.size() != 1) throw core::FormatError(fmt::format("{}: expected one string, found {}", where(name), v.size()));
  return v[0];
}

DatasetInfo Group::dataset_info(const std::string& name) const {
  Id ds = check(H5Dopen2(id(), name.c_str(), H5P_DEFAULT), fmt::format("{}: not a dataset", where(name)));
  Id type(H5Dget_type(ds.get()));
  Id space(H5Dget_space(ds.get()));
  DatasetInfo info;
  info.shape = space_shape(space.get());
  info.type = type_label(type.get());
  if (H5Aexists(ds.get(), "units") > 0) info.units = read_string_attr(ds.get(), "units", where(name));
  if (H5Aexists(ds.get(), "dimensions") > 0) info.dimensions = read_strings_attr(ds.get(), "dimensions", where(name));
  return info;
}

void Group::set_string_attr(hid_t obj, const std::string& name, const std::string& value) {
  if (H5Aexists(obj, name.c_str()) > 0) H5Adelete(obj, name.c_str());
  Id type(H5Tcopy(H5T_C_S1));
  H5Tset_size(type.get(), H5T_VARIABLE);
  H5Tset_cset(type.get(), H5T_CSET_UTF8);
  Id space(H5Screate(H5S_SCALAR));
  Id attr = check(H5Acreate2(obj, name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT),
                  fmt::format("cannot create attribute '{}'", name));
  const char* p = value.c_str();
  if (H5Awrite(attr.get(), type.get(), &p) < 0)
    throw core::RuntimeFailure(fmt::format("cannot write attribute '{}'", name));
}

void Group::set_strings_attr(hid_t obj, const std::string& name, const std::vector<std::string>& values) {
  if (H5Aexists(obj, name.c_str()) > 0) H5Adelete(obj, name.c_str());
  Id type(H5Tcopy(H5T_C_S1));
  H5Tset_size(type.get(), H5T_VARIABLE);
  H5Tset_cset(type.get(), H5T_CSET_UTF8);
  const hsize_t n = values.size();
  Id space(H5Screate_simple(1, &n, nullptr));
  Id attr = check(H5Acreate2(obj, name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT),
                  fmt::format("cannot create attribute '{}'", name));
  std::vector<const char*> ptrs;
  for (const auto& v : values) ptrs.push_back(v.c_str());
  if (!values.empty() && H5Awrite(attr.get(), type.get(), ptrs.data()) < 0)
    throw core::RuntimeFailure(fmt::format("cannot write attribute '{}'", name));
}

void Group::set_attr(const std::string& name, std::int64_t value) { set_attr(name, std::vector<std::int64_t>{value}); }

void Group::set_attr(const std::string& name, double value) {
  if (H5Aexists(id(), name.c_str()) > 0) H5Adelete(id(), name.c_str());
  Id space(H5Screate(H5S_SCALAR));
  Id attr = check(H5Acreate2(id(), name.c_str(), H5T_NATIVE_DOUBLE, space.get(), H5P_DEFAULT, H5P_DEFAULT),
                  fmt::format("{}: cannot create attribute '{}'", where(""), name));
  H5Awrite(attr.get(), H5T_NATIVE_DOUBLE, &value);
}

void Group::set_attr(const std::string& name, const std::vector<std::int64_t>& value) {
  if (H5Aexists(id(), name.c_str()) > 0) H5Adelete(id(), name.c_str());
  const hsize_t n = value.size();
  Id space(n == 1 ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &n, nullptr));
  Id attr = check(H5Acreate2(id(), name.c_str(), H5T_NATIVE_INT64, space.get(), H5P_DEFAULT, H5P_DEFAULT),
                  fmt::format("{}: cannot create attribute '{}'", where(""), name));
  H5Awrite(attr.get(), H5T_NATIVE_INT64, value.data());
}

bool Group::has_attr(const std::string& name) const { return H5Aexists(id(), name.c_str()) > 0; }

std::string Group::attr_string(const std::string& name) const {
  if (!has_attr(name)) throw core::FormatError(fmt::format("{}: attribute '{}' is missing", where(""), name));
  return read_string_attr(id(), name, where(""));
}

std::vector<std::int64_t> Group::attr_ints(const std::string& name) const {
  if (!has_attr(name)) throw core::FormatError(fmt::format("{}: attribute '{}' is missing", where(""), name));
  Id attr(H5Aopen(id(), name.c_str(), H5P_DEFAULT));
  Id type(H5Aget_type(attr.get()));
  if (H5Tget_class(type.get()) != H5T_INTEGER)
    throw core::FormatError(fmt::format("{}: attribute '{}' is not an integer", where(""), name));
  Id space(H5Aget_space(attr.get()));
  std::vector<std::int64_t> v(static_cast<std::size_t>(H5Sget_simple_extent_npoints(space.get())));
  H5Aread(attr.get(), H5T_NATIVE_INT64, v.data());
  return v;
}

double Group::attr_double(const std::string& name) const {
  if (!has_attr(name)) throw core::FormatError(fmt::format("{}: attribute '{}' is missing", where(""), name));
  Id attr(H5Aopen(id(), name.c_str(), H5P_DEFAULT));
  Id type(H5Aget_type(attr.get()));
  const auto cls = H5Tget_class(type.get());
  if (cls != H5T_FLOAT && cls != H5T_INTEGER)
    throw core::FormatError(fmt::format("{}: attribute '{}' is not a number", where(""), name));
  Id space(H5Aget_space(attr.get()));
  if (H5Sget_simple_extent_npoints(space.get()) != 1)  // H5Aread would write every value into v
    throw core::FormatError(fmt::format("{}: attribute '{}' is not a single number", where(""), name));
  double v = 0;
  H5Aread(attr.get(), H5T_NATIVE_DOUBLE, &v);
  return v;
}

std::vector<std::string> Group::attr_names() const {
  std::vector<std::string> names;
  auto cb = [](hid_t, const char* name, const H5A_info_t*, void* data) -> herr_t {
    static_cast<std::vector<std::string>*>(data)->emplace_back(name);
    return 0;
  };
  hsize_t idx = 0;
  H5Aiterate2(id(), H5_INDEX_NAME, H5_ITER_INC, &idx, cb, &names);
  return names;
}

std::string Group::attr_as_text(const std::string& name) const {
  Id attr(H5Aopen(id(), name.c_str(), H5P_DEFAULT));
  Id type(H5Aget_type(attr.get()));
  switch (H5Tget_class(type.get())) {
    case H5T_STRING: {
      Id space(H5Aget_space(attr.get()));
      if (H5Sget_simple_extent_npoints(space.get()) == 1 && H5Sget_simple_extent_ndims(space.get()) == 0)
        return read_string_attr(id(), name, where(""));
      return fmt::format("[{}]", fmt::join(read_strings_attr(id(), name, where("")), ", "));
    }
    case H5T_INTEGER: {
      auto v = attr_ints(name);
      return v.size() == 1 ? std::to_string(v[0]) : fmt::format("[{}]", fmt::join(v, ", "));
    }
    case H5T_FLOAT: return fmt::format("{}", attr_double(name));
    default: return "(unsupported type)";
  }
}

File::File(Id file, Id root, std::filesystem::path path)
    : Group(std::move(root), "/", path.string()), file_id_(std::move(file)), fs_path_(std::move(path)) {}

File File::open(const std::filesystem::path& path, Mode mode) {
  silence_hdf5();
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw core::IoError(fmt::format("{}: file not found", path.string()));
  if (std::filesystem::is_directory(path, ec))
    throw core::IoError(fmt::format("{}: is a directory, not an HDF5 file", path.string()));
  {
    std::ifstream probe(path, std::ios::binary);
    if (!probe) throw core::IoError(fmt::format("{}: cannot open for reading (permissions?)", path.string()));
  }
  if (H5Fis_hdf5(path.c_str()) <= 0) throw core::FormatError(fmt::format("{}: not an HDF5 file", path.string()));
  const unsigned flags = mode == Mode::kRead ? H5F_ACC_RDONLY : H5F_ACC_RDWR;
  Id f = check(H5Fopen(path.c_str(), flags, H5P_DEFAULT), fmt::format("{}: cannot open HDF5 file", path.string()));
  Id root = check(H5Gopen2(f.get(), "/", H5P_DEFAULT), fmt::format("{}: cannot open root group", path.string()));
  return File(std::move(f), std::move(root), path);
}

File File::create(const std::filesystem::path& path) {
  silence_hdf5();
  Id f = check(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT),
               fmt::format("{}: cannot create HDF5 file (does the folder exist and is it writable?)", path.string()));
  Id root = check(H5Gopen2(f.get(), "/", H5P_DEFAULT), fmt::format("{}: cannot open root group", path.string()));
  return File(std::move(f), std::move(root), path);
}

File File::create_in_memory(const std::filesystem::path& path) {
  silence_hdf5();
  Id fapl = check(H5Pcreate(H5P_FILE_ACCESS), "cannot create an HDF5 property list");
  check(H5Pset_fapl_core(fapl.get(), 1 << 20, 0), "cannot select the HDF5 in-memory driver");
  Id f = check(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get()),
               fmt::format("{}: cannot create an in-memory HDF5 file", path.string()));
  Id root = check(H5Gopen2(f.get(), "/", H5P_DEFAULT), fmt::format("{}: cannot open root group", path.string()));
  return File(std::move(f), std::move(root), path);
}

std::vector<char> File::image() {
  flush();
  const ssize_t size = H5Fget_file_image(file_id_.get(), nullptr, 0);
  if (size < 0) throw core::IoError(fmt::format("{}: cannot take the file's image", fs_path_.string()));
  std::vector<char> bytes(static_cast<std::size_t>(size));
  if (H5Fget_file_image(file_id_.get(), bytes.data(), bytes.size()) != size)
    throw core::IoError(fmt::format("{}: cannot take the file's image", fs_path_.string()));
  return bytes;
}

void File::flush() {
  if (file_id_.valid() && H5Fflush(file_id_.get(), H5F_SCOPE_GLOBAL) < 0)
    throw core::IoError(fmt::format("{}: cannot write the file (disk full or no permission?)", fs_path_.string()));
}

void File::close() {
  id_.reset();
  if (!file_id_.reset())
    throw core::IoError(
        fmt::format("{}: cannot finish writing the file (disk full or no permission?)", fs_path_.string()));
}

AtomicFile::AtomicFile(std::filesystem::path target) : target_(std::move(target)) {
  const auto dir = target_.has_parent_path() ? target_.parent_path() : std::filesystem::path(".");
  if (!std::filesystem::is_directory(dir))
    throw core::IoError(fmt::format("{}: output folder '{}' does not exist", target_.string(), dir.string()));
  temp_ = dir / fmt::format(".{}.tmp-{}", target_.filename().string(), ::getpid());
  file_ = File::create_in_memory(temp_);
}

AtomicFile::~AtomicFile() {
  if (!committed_) {
    try {
      file_.close();
    } catch (const core::Error&) {  // an in-memory file: nothing on disk to keep
    }
    std::error_code ec;
    std::filesystem::remove(temp_, ec);  // only there if commit() failed half-way
  }
}

void AtomicFile::commit() {
  // The file is built in memory; its image is written here with every write checked, so a full
  // disk, a quota or a file-size limit fails before the rename and never replaces the previous
  // file (HDF5 itself never sees the failing write). The temporary is removed on failure.
  const std::vector<char> bytes = file_.image();
  file_.close();
  const int fd = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0)
    throw core::IoError(
        fmt::format("{}: cannot create '{}': {}", target_.string(), temp_.string(), std::strerror(errno)));
  std::size_t written = 0;
  int error = 0;
  while (written < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      error = n < 0 ? errno : ENOSPC;
      break;
    }
    written += static_cast<std::size_t>(n);
  }
  if (error == 0 && ::fsync(fd) != 0) error = errno;
  if (::close(fd) != 0 && error == 0) error = errno;
  if (error != 0) {
    std::error_code ec;
    std::filesystem::remove(temp_, ec);
    throw core::IoError(fmt::format("{}: cannot write the file ({}); the previous file, if any, is unchanged",
                                    target_.string(), std::strerror(error)));
  }
  std::error_code ec;
  std::filesystem::rename(temp_, target_, ec);
  if (ec) {
    std::filesystem::remove(temp_, ec);
    throw core::RuntimeFailure(
        fmt::format("{}: cannot move the finished file into place: {}", target_.string(), ec.message()));
  }
  committed_ = true;
  // The rename itself is made durable by syncing the folder (best effort).
  const auto dir = target_.has_parent_path() ? target_.parent_path() : std::filesystem::path(".");
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  remove_stale_temporaries(target_);
}

std::size_t AtomicFile::remove_stale_temporaries(const std::filesystem::path& target) {
  const auto dir = target.has_parent_path() ? target.parent_path() : std::filesystem::path(".");
  const std::string prefix = fmt::format(".{}.tmp-", target.filename().string());
  std::size_t removed = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) continue;
    const std::string digits = name.substr(prefix.size());
    if (digits.find_first_not_of("0123456789") != std::string::npos || digits.size() > 9) continue;
    const pid_t pid = static_cast<pid_t>(std::stol(digits));
    // Only a writer that no longer exists left it (a SIGKILL during a write); a running one's
    // file, this process's included, is its own business.
    if (pid <= 0 || pid == ::getpid() || ::kill(pid, 0) == 0 || errno != ESRCH) continue;
    std::error_code rc;
    if (std::filesystem::remove(entry.path(), rc)) ++removed;
  }
  return removed;
}

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
