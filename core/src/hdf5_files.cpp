// Files: opening an existing HDF5 file with its checks, creating one on disk or in memory, its
// image, flushing and closing.
#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <vector>

#include "cimmc/core/hdf5.hpp"
#include "hdf5_internal.hpp"

namespace cimmc::core::h5 {

namespace {
// HDF5 prints its own error stack by default; cimmc reports errors itself.
void silence_hdf5() {
  static std::once_flag once;
  std::call_once(once, [] { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); });
}
}  // namespace

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

}  // namespace cimmc::core::h5
