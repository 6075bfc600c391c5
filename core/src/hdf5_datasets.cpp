// Datasets: numeric arrays, scalars and strings written and read, and a dataset's description.
#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "cimmc/core/hdf5.hpp"
#include "hdf5_internal.hpp"

namespace cimmc::core::h5 {

namespace {
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
}  // namespace

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
  ptrs.reserve(values.size());
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

}  // namespace cimmc::core::h5
