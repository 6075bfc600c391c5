// OutputLock: flock(2) on `.NAME.lock` beside the target, removed by its holder.
#include "cimmc/core/output_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include "cimmc/core/error.hpp"

namespace cimmc::core {

namespace {

// The process id its holder wrote into the lock file ("" if it cannot be read yet).
std::string holder_of(int fd) {
  char text[32] = {};
  const ssize_t n = ::pread(fd, text, sizeof text - 1, 0);
  std::string pid = n > 0 ? std::string(text, static_cast<std::size_t>(n)) : std::string();
  while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
  return pid.find_first_not_of("0123456789") == std::string::npos ? pid : std::string();
}

}  // namespace

std::filesystem::path OutputLock::lock_path(const std::filesystem::path& target) {
  const auto dir = target.has_parent_path() ? target.parent_path() : std::filesystem::path(".");
  return dir / fmt::format(".{}.lock", target.filename().string());
}

OutputLock::OutputLock(const std::filesystem::path& target) : path_(lock_path(target)) {
  // The holder removes the file before it unlocks it, so a lock won on a file that is no longer
  // the one at the path (removed, or removed and made anew, between open and flock) is not the
  // lock: try again on the file now there.
  for (;;) {
    const int fd = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
      throw IoError(fmt::format("{}: cannot create the lock file '{}': {}", target.string(), path_.string(),
                                std::strerror(errno)));
    int rc = 0;
    do rc = ::flock(fd, LOCK_EX | LOCK_NB);
    while (rc != 0 && errno == EINTR);
    if (rc != 0) {
      const int error = errno;
      const std::string holder = error == EWOULDBLOCK ? holder_of(fd) : std::string();
      ::close(fd);
      if (error == EWOULDBLOCK)
        throw IoError(
            fmt::format("{}: another run{} is writing this file; wait for it to end, or write to "
                        "another file",
                        target.string(), holder.empty() ? "" : fmt::format(" (process {})", holder)));
      throw IoError(fmt::format("{}: cannot lock '{}': {}", target.string(), path_.string(), std::strerror(error)));
    }
    struct stat held {
    }, at_path{};
    if (::fstat(fd, &held) == 0 && ::stat(path_.c_str(), &at_path) == 0 && held.st_dev == at_path.st_dev &&
        held.st_ino == at_path.st_ino) {
      fd_ = fd;
      break;
    }
    ::close(fd);
  }
  // For the message of a second run; if this write fails, that message only lacks the process id.
  const std::string pid = fmt::format("{}\n", ::getpid());
  [[maybe_unused]] const bool written =
      ::ftruncate(fd_, 0) == 0 && ::pwrite(fd_, pid.data(), pid.size(), 0) == static_cast<ssize_t>(pid.size());
}

OutputLock::~OutputLock() { release(); }

OutputLock::OutputLock(OutputLock&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), path_(std::move(other.path_)) {}

OutputLock& OutputLock::operator=(OutputLock&& other) noexcept {
  if (this != &other) {
    release();
    fd_ = std::exchange(other.fd_, -1);
    path_ = std::move(other.path_);
  }
  return *this;
}

void OutputLock::release() noexcept {
  if (fd_ < 0) return;
  // Removed while still locked: a process waiting on this file then sees that it is gone.
  ::unlink(path_.c_str());
  ::close(fd_);
  fd_ = -1;
}

}  // namespace cimmc::core
