// AtomicFile: a file built in memory and committed by a checked write, sync and rename over the
// target; the temporaries of killed writers removed.
#include <fcntl.h>
#include <signal.h>

#include <fmt/format.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>

#include <filesystem>
#include <string>
#include <vector>

#include "cimmc/core/hdf5.hpp"

namespace cimmc::core::h5 {

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

}  // namespace cimmc::core::h5
