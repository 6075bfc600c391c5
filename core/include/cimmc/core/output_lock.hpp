// OutputLock: one writer per output file. A long run that checkpoints a file (a study's results)
// holds an exclusive lock on it for as long as it runs, so that a second run on the same file, a
// resumed run started while the stopped one still finishes its last checkpoint, fails at once
// with the first one's process id instead of racing it rename for rename (docs/studies.md,
// "Running"). The lock is advisory: flock(2) on a hidden file `.NAME.lock` beside the target,
// which the holder removes when it lets go.
#pragma once

#include <filesystem>

namespace cimmc::core {

class OutputLock {
 public:
  OutputLock() = default;  // holds nothing
  // Locks `target`; throws core::IoError if another process holds it (naming its process id) or
  // the lock file cannot be created (a missing or read-only folder).
  explicit OutputLock(const std::filesystem::path& target);
  ~OutputLock();
  OutputLock(OutputLock&& other) noexcept;
  OutputLock& operator=(OutputLock&& other) noexcept;
  OutputLock(const OutputLock&) = delete;
  OutputLock& operator=(const OutputLock&) = delete;

  bool held() const { return fd_ >= 0; }
  // The lock file of `target`: `.NAME.lock` in its folder.
  static std::filesystem::path lock_path(const std::filesystem::path& target);

 private:
  void release() noexcept;
  int fd_ = -1;
  std::filesystem::path path_;
};

}  // namespace cimmc::core
