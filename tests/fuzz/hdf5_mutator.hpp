// Structured mutations of a valid cimmc HDF5 file, for the harnesses of the HDF5 readers (model,
// checkpoint, switching table, study results). Each input is a list of operations on the
// datasets and attributes of a base file written by cimmc itself: delete one, overwrite
// elements with special values (NaN, infinities, extremes, fuzzed bits), replace one by a value
// of another type or shape, edit a string. The mutated file is always a well-formed HDF5 file,
// so the reader under test — cimmc's validation of the content — is what is fuzzed, not the
// HDF5 library's parsing of the container (see docs/reliability.md).
#pragma once

#include <hdf5.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

#include "cimmc/core/hdf5.hpp"
#include "fuzz_common.hpp"

namespace cimmc::fuzz {

inline std::vector<char> read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

struct H5Target {
  std::string object;  // path of a dataset, or of the group/dataset holding the attribute
  std::string attr;    // empty: the dataset itself
};

inline std::vector<H5Target> h5_targets(hid_t file) {
  std::vector<std::string> objects;
  auto visit = [](hid_t, const char* name, const H5O_info_t* info, void* data) -> herr_t {
    if (info->type == H5O_TYPE_GROUP || info->type == H5O_TYPE_DATASET)
      static_cast<std::vector<std::string>*>(data)->push_back(std::string("/") +
                                                              (std::string(name) == "." ? "" : name));
    return 0;
  };
  H5Ovisit2(file, H5_INDEX_NAME, H5_ITER_INC, visit, &objects, H5O_INFO_BASIC);
  std::vector<H5Target> out;
  for (const auto& o : objects) {
    H5O_info_t info;
    if (H5Oget_info_by_name2(file, o.c_str(), &info, H5O_INFO_BASIC, H5P_DEFAULT) < 0) continue;
    if (info.type == H5O_TYPE_DATASET) out.push_back({o, ""});
    const hid_t obj = H5Oopen(file, o.c_str(), H5P_DEFAULT);
    if (obj < 0) continue;
    std::vector<std::string> names;
    auto attr = [](hid_t, const char* name, const H5A_info_t*, void* data) -> herr_t {
      static_cast<std::vector<std::string>*>(data)->push_back(name);
      return 0;
    };
    hsize_t idx = 0;
    H5Aiterate2(obj, H5_INDEX_NAME, H5_ITER_INC, &idx, attr, &names);
    H5Oclose(obj);
    for (auto& n : names) out.push_back({o, n});
  }
  return out;
}

// A value chosen to break assumptions: special floating-point values, extremes, or fuzzed bits.
inline double special_double(Input& in) {
  switch (in.byte() % 12) {
    case 0: return std::numeric_limits<double>::quiet_NaN();
    case 1: return std::numeric_limits<double>::infinity();
    case 2: return -std::numeric_limits<double>::infinity();
    case 3: return 0.0;
    case 4: return -1.0;
    case 5: return 1e300;
    case 6: return -1e300;
    case 7: return 5e-324;
    case 8: return static_cast<double>(static_cast<std::int32_t>(in.u32()));
    case 9: return 1.0 + in.byte();
    default: {
      const std::uint64_t bits = in.u64();
      double d;
      std::memcpy(&d, &bits, sizeof d);
      return d;
    }
  }
}

inline std::int64_t special_int(Input& in) {
  switch (in.byte() % 10) {
    case 0: return 0;
    case 1: return -1;
    case 2: return std::numeric_limits<std::int64_t>::max();
    case 3: return std::numeric_limits<std::int64_t>::min();
    case 4: return std::numeric_limits<std::int32_t>::max();
    case 5: return static_cast<std::int64_t>(1) << 32;
    case 6: return static_cast<std::int8_t>(in.byte());
    case 7: return static_cast<std::int32_t>(in.u32());
    default: return static_cast<std::int64_t>(in.u64());
  }
}

inline std::string mutate_string(std::string s, Input& in) {
  const std::size_t pos = s.empty() ? 0 : in.u32() % (s.size() + 1);
  switch (in.byte() % 4) {
    case 0: return s.substr(0, pos);          // truncate
    case 1: return s.insert(pos, in.text());  // insert
    case 2: {                                 // overwrite a range
      const std::string t = in.text();
      return s.replace(pos, t.size(), t);
    }
    default: return in.text();  // replace
  }
}

inline void delete_target(hid_t file, const H5Target& t) {
  if (t.attr.empty()) H5Ldelete(file, t.object.c_str(), H5P_DEFAULT);
  else H5Adelete_by_name(file, t.object.c_str(), t.attr.c_str(), H5P_DEFAULT);
}

// One operation on `t`. Throws cimmc::core::Error when the mutation itself cannot be made (skipped).
inline void mutate_target(cimmc::core::h5::File& f, const H5Target& t, Input& in) {
  const hid_t file = f.id();
  const int op = in.byte() % 5;
  if (op == 0) return delete_target(file, t);
  if (!t.attr.empty()) {
    // Attributes are replaced by a string, an integer list or a double.
    const hid_t obj = H5Oopen(file, t.object.c_str(), H5P_DEFAULT);
    if (obj < 0) return;
    std::string old;
    {
      const hid_t a = H5Aopen(obj, t.attr.c_str(), H5P_DEFAULT);
      if (a >= 0) {
        const hid_t type = H5Aget_type(a);
        if (H5Tget_class(type) == H5T_STRING && H5Tis_variable_str(type) > 0) {
          const hid_t space = H5Aget_space(a);
          if (H5Sget_simple_extent_npoints(space) == 1) {
            char* p = nullptr;
            const hid_t mem = H5Tcopy(H5T_C_S1);
            H5Tset_size(mem, H5T_VARIABLE);
            if (H5Aread(a, mem, &p) >= 0 && p) {
              old = p;
              H5free_memory(p);
            }
            H5Tclose(mem);
          }
          H5Sclose(space);
        }
        H5Tclose(type);
        H5Aclose(a);
      }
    }
    H5Adelete(obj, t.attr.c_str());
    cimmc::core::h5::Group g(cimmc::core::h5::Id(obj), t.object, "fuzz");
    switch (op) {
      case 1: g.set_attr(t.attr, mutate_string(old, in)); break;
      case 2: {
        std::vector<std::int64_t> v(in.byte() % 4);
        for (auto& x : v) x = special_int(in);
        g.set_attr(t.attr, v);
        break;
      }
      case 3: g.set_attr(t.attr, special_int(in)); break;
      default: g.set_attr(t.attr, special_double(in)); break;
    }
    return;
  }
  const cimmc::core::h5::DatasetInfo info = f.dataset_info(t.object);
  const bool is_string = info.type == "string";
  const bool is_float = info.type.rfind("float", 0) == 0;
  std::size_t n = 1;
  for (auto d : info.shape) n *= d;
  if (op == 1 || op == 2) {
    // Overwrite elements (or edit the string) keeping type and shape.
    if (is_string) {
      std::vector<std::string> v =
          info.shape.empty() ? std::vector<std::string>{f.read_string(t.object)} : f.read_strings(t.object);
      if (v.empty()) return;
      std::string& s = v[in.u32() % v.size()];
      s = mutate_string(s, in);
      H5Ldelete(file, t.object.c_str(), H5P_DEFAULT);
      if (info.shape.empty()) f.write_string(t.object, v[0]);
      else f.write_strings(t.object, v);
      return;
    }
    if (n == 0) return;
    const int count = 1 + in.byte() % 4;
    if (is_float) {
      auto a = f.read<double>(t.object);
      for (int i = 0; i < count; ++i) a.data[in.u32() % n] = special_double(in);
      H5Ldelete(file, t.object.c_str(), H5P_DEFAULT);
      f.write<double>(t.object, a.data, a.shape, info.units, info.dimensions);
    } else {
      auto a = f.read<std::int64_t>(t.object);
      for (int i = 0; i < count; ++i) a.data[in.u32() % n] = special_int(in);
      H5Ldelete(file, t.object.c_str(), H5P_DEFAULT);
      f.write<std::int64_t>(t.object, a.data, a.shape, info.units, info.dimensions);
    }
    return;
  }
  // Replace by a dataset of another shape (op 3) or another type (op 4).
  std::vector<std::size_t> shape;
  if (op == 3) {
    const int rank = in.byte() % 4;
    for (int i = 0; i < rank; ++i) shape.push_back(in.byte() % 9);
  } else {
    shape = info.shape;
  }
  std::size_t m = 1;
  for (auto d : shape) m *= d;
  if (m > 4096) return;
  std::vector<std::string> dims = info.dimensions.size() == shape.size() ? info.dimensions : std::vector<std::string>{};
  int kind = op == 3 ? (is_string ? 2 : is_float ? 0 : 1) : in.byte() % 3;
  H5Ldelete(file, t.object.c_str(), H5P_DEFAULT);
  if (kind == 0) {
    std::vector<double> v(m);
    for (auto& x : v) x = in.byte() % 2 ? special_double(in) : static_cast<double>(in.byte() % 8);
    f.write<double>(t.object, v, shape, info.units, dims);
  } else if (kind == 1) {
    std::vector<std::int64_t> v(m);
    for (auto& x : v) x = in.byte() % 2 ? special_int(in) : in.byte() % 8;
    f.write<std::int64_t>(t.object, v, shape, info.units, dims);
  } else {
    if (shape.empty()) {
      f.write_string(t.object, in.text());
    } else {
      std::vector<std::string> v(std::min<std::size_t>(m, 16));
      for (auto& s : v) s = in.text(32);
      f.write_strings(t.object, v);
    }
  }
}

// Writes `base` to `path` and applies the operations the input describes (at most 8).
inline void write_mutated(const std::vector<char>& base, const std::filesystem::path& path, Input& in) {
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(base.data(), static_cast<std::streamsize>(base.size()));
  }
  cimmc::core::h5::File f = cimmc::core::h5::File::open(path, cimmc::core::h5::File::Mode::kReadWrite);
  for (int i = 0; i < 8 && !in.empty(); ++i) {
    const auto targets = h5_targets(f.id());
    if (targets.empty()) break;
    const H5Target& t = targets[(in.byte() | (in.byte() << 8)) % targets.size()];
    try {
      mutate_target(f, t, in);
    } catch (const cimmc::core::Error&) {
      // a mutation that cannot be made: skip it
    }
  }
  f.close();
}

}  // namespace cimmc::fuzz
