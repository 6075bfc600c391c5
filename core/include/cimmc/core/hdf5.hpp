// Thin RAII over the HDF5 C API: files, groups, datasets and attributes.
//
// Conventions (docs/formats.md): every dataset carries a `units` attribute (a string, "1" for
// dimensionless) and arrays a `dimensions` attribute (one name per axis). Every file cimmc
// writes has the provenance root attributes of write_provenance(). Files are written through
// AtomicFile: to a temporary file in the same folder, renamed over the target on commit(), so a
// reader never sees a half-written file. HDF5 is not thread-safe in Debian's serial build: call
// these from one thread.
#pragma once

#include <hdf5.h>

#include <array>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "cimmc/core/error.hpp"

namespace cimmc::core::h5 {

// Owns one HDF5 identifier and closes it with the matching H5*close.
class Id {
 public:
  Id() = default;
  explicit Id(hid_t id) : id_(id) {}
  Id(const Id&) = delete;
  Id& operator=(const Id&) = delete;
  Id(Id&& o) noexcept : id_(o.id_) { o.id_ = H5I_INVALID_HID; }
  Id& operator=(Id&& o) noexcept;
  ~Id() { reset(); }
  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }
  // Closes the identifier (if any); false if the close failed (for a file: its last writes).
  bool reset();

 private:
  hid_t id_ = H5I_INVALID_HID;
};

// Element types a dataset or attribute may hold.
template <typename T>
hid_t native_type();
template <>
inline hid_t native_type<double>() {
  return H5T_NATIVE_DOUBLE;
}
template <>
inline hid_t native_type<float>() {
  return H5T_NATIVE_FLOAT;
}
template <>
inline hid_t native_type<std::int32_t>() {
  return H5T_NATIVE_INT32;
}
template <>
inline hid_t native_type<std::int64_t>() {
  return H5T_NATIVE_INT64;
}
template <>
inline hid_t native_type<std::uint8_t>() {
  return H5T_NATIVE_UINT8;
}
template <>
inline hid_t native_type<std::uint32_t>() {
  return H5T_NATIVE_UINT32;
}
template <>
inline hid_t native_type<std::uint64_t>() {
  return H5T_NATIVE_UINT64;
}
template <>
inline hid_t native_type<std::int8_t>() {
  return H5T_NATIVE_INT8;
}

template <typename T>
struct Array {
  std::vector<T> data;  // row-major
  std::vector<std::size_t> shape;
  std::size_t size() const { return data.size(); }
};

struct ChildInfo {
  std::string name;
  enum class Kind { kGroup, kDataset, kOther } kind;
};

struct DatasetInfo {
  std::vector<std::size_t> shape;  // empty for a scalar
  std::string type;                // "float64", "int32", "string", ...
  std::string units;               // "" if absent
  std::vector<std::string> dimensions;
};

// A group or a file's root group: the node where datasets, subgroups and attributes live.
class Group {
 public:
  Group() = default;
  Group(Id id, std::string path, std::string file_name)
      : id_(std::move(id)), path_(std::move(path)), file_(std::move(file_name)) {}

  hid_t id() const { return id_.get(); }
  const std::string& path() const { return path_; }
  const std::string& file_name() const { return file_; }

  bool exists(const std::string& name) const;   // a direct or nested (a/b) link
  Group create_group(const std::string& name);  // creates intermediate groups too
  Group open_group(const std::string& name) const;
  Group require_group(const std::string& name);  // open, or create if absent
  std::vector<ChildInfo> children() const;       // in name order

  // Datasets. dims.size() 0 (scalar) to 3 is the documented range; more is allowed.
  template <typename T>
  void write(const std::string& name, std::span<const T> data, const std::vector<std::size_t>& shape,
             const std::string& units, const std::vector<std::string>& dimensions = {});
  // A 1-D dataset.
  template <typename T>
  void write_1d(const std::string& name, const std::vector<T>& data, const std::string& units,
                const std::string& dimension = "") {
    write<T>(name, std::span<const T>(data), {data.size()}, units,
             dimension.empty() ? std::vector<std::string>{} : std::vector<std::string>{dimension});
  }
  template <typename T>
  void write_scalar(const std::string& name, T value, const std::string& units) {
    write<T>(name, std::span<const T>(&value, 1), {}, units);
  }
  void write_string(const std::string& name, const std::string& value);
  void write_strings(const std::string& name, const std::vector<std::string>& values);

  // Reading checks the stored element class (integer vs float) and converts within it.
  template <typename T>
  Array<T> read(const std::string& name) const;
  template <typename T>
  T read_scalar(const std::string& name) const;
  std::string read_string(const std::string& name) const;
  std::vector<std::string> read_strings(const std::string& name) const;
  DatasetInfo dataset_info(const std::string& name) const;

  // Attributes on this group (use attach_* below for attributes on a dataset).
  void set_attr(const std::string& name, const std::string& value) { set_string_attr(id(), name, value); }
  void set_attr(const std::string& name, std::int64_t value);
  void set_attr(const std::string& name, double value);
  void set_attr(const std::string& name, const std::vector<std::int64_t>& value);
  bool has_attr(const std::string& name) const;
  std::string attr_string(const std::string& name) const;
  std::vector<std::int64_t> attr_ints(const std::string& name) const;
  double attr_double(const std::string& name) const;
  std::vector<std::string> attr_names() const;
  // Renders any attribute's value as text (for `cimmc inspect`).
  std::string attr_as_text(const std::string& name) const;

  static void set_string_attr(hid_t obj, const std::string& name, const std::string& value);
  static void set_strings_attr(hid_t obj, const std::string& name, const std::vector<std::string>& values);

 protected:
  std::string where(const std::string& name) const;  // "file:/path/name"
  Id id_;
  std::string path_ = "/";
  std::string file_;
};

class File : public Group {
 public:
  enum class Mode { kRead, kReadWrite };
  File() = default;  // not open
  // Opens an existing HDF5 file. Missing file: core::IoError; not HDF5: core::FormatError.
  static File open(const std::filesystem::path& path, Mode mode = Mode::kRead);
  // Creates (truncating) a file.
  static File create(const std::filesystem::path& path);
  // Creates a file held in memory (nothing is written to `path`, which only names it); image()
  // gives its bytes.
  static File create_in_memory(const std::filesystem::path& path);
  std::vector<char> image();
  void flush();
  void close();
  const std::filesystem::path& filesystem_path() const { return fs_path_; }

 private:
  File(Id file, Id root, std::filesystem::path path);
  Id file_id_;
  std::filesystem::path fs_path_;
};

// Writes a file atomically: built in memory, written to a temporary file next to the target with
// every write checked, synced, and renamed over the target by commit(). A failed write (disk
// full, quota, size limit) throws core::IoError and leaves the previous file as it was; if commit() is
// never reached (an exception), nothing is written at all.
class AtomicFile {
 public:
  explicit AtomicFile(std::filesystem::path target);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  File& file() { return file_; }
  // Writes the file and renames it over the target; then removes temporaries of the target
  // that writers which no longer run left behind (killed during a write).
  void commit();
  // Removes `.NAME.tmp-PID` files next to `target` whose process PID no longer exists; returns
  // how many.
  static std::size_t remove_stale_temporaries(const std::filesystem::path& target);

 private:
  std::filesystem::path target_, temp_;
  File file_;
  bool committed_ = false;
};

// Provenance root attributes.
struct Provenance {
  std::string filetype;  // e.g. "cimmc.switching"
  std::array<std::int64_t, 2> format_version{1, 0};
  std::string cimmc_version;
  std::string git_sha1;
  std::string created;  // ISO 8601 UTC
  std::uint64_t seed = 0;
  std::string config;  // resolved configuration as TOML text
};

// Writes filetype, format_version, cimmc_version, git_sha1, created (now), seed and config.
void write_provenance(Group& root, const std::string& filetype, std::array<std::int64_t, 2> format_version,
                      std::uint64_t seed, const std::string& config_text);
// Reads them; a file without `filetype` is not a cimmc file (core::FormatError).
Provenance read_provenance(const Group& root);
// Opens `path` for reading and checks it is a cimmc file of `filetype` whose major format
// version is at most `supported_major` (a newer major is a core::FormatError naming both versions).
File open_cimmc_file(const std::filesystem::path& path, const std::string& filetype, std::int64_t supported_major);

// Current UTC time as "YYYY-MM-DDThh:mm:ssZ".
std::string utc_now_iso8601();

}  // namespace cimmc::core::h5
