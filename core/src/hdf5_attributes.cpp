// Attributes: strings, string lists, integers and numbers on a group or dataset, read and written.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "cimmc/core/hdf5.hpp"
#include "hdf5_internal.hpp"

namespace cimmc::core::h5 {

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
  ptrs.reserve(values.size());
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

}  // namespace cimmc::core::h5
