#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include <fmt/format.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cimmc/core/error.hpp"
#include "cimmc/core/output_lock.hpp"

namespace fs = std::filesystem;
using cimmc::core::IoError;
using cimmc::core::OutputLock;

namespace {

// A folder of its own per test (tests of this file may run at the same time).
fs::path fresh_folder(const std::string& name) {
  auto dir = fs::temp_directory_path() / fmt::format("cimmc_test_lock_{}_{}", name, ::getpid());
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

// The message of the IoError that locking `target` throws ("" if it succeeds).
std::string lock_error(const fs::path& target) {
  try {
    OutputLock lock(target);
  } catch (const IoError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(OutputLock, ASecondLockOnTheSameFileIsRefusedWithTheHoldersProcessId) {
  const auto dir = fresh_folder("second");
  const auto target = dir / "results.h5";
  {
    OutputLock first(target);
    EXPECT_TRUE(first.held());
    EXPECT_TRUE(fs::exists(dir / ".results.h5.lock"));
    EXPECT_EQ(OutputLock::lock_path(target), dir / ".results.h5.lock");
    // flock belongs to the open file: a second lock in this same process conflicts as well.
    const auto message = lock_error(target);
    EXPECT_NE(message.find(fmt::format("results.h5: another run (process {}) is writing this file", ::getpid())),
              std::string::npos)
        << message;
    EXPECT_EQ(lock_error(dir / "other.h5"), "");  // another file is another lock
  }
  EXPECT_FALSE(fs::exists(dir / ".results.h5.lock"));  // the holder removes it
  EXPECT_EQ(lock_error(target), "");
  fs::remove_all(dir);
}

TEST(OutputLock, MovesWithItsOwnerAndReleasesOnce) {
  const auto dir = fresh_folder("move");
  const auto target = dir / "results.h5";
  OutputLock held;
  EXPECT_FALSE(held.held());
  {
    OutputLock taken(target);
    held = std::move(taken);
  }
  EXPECT_TRUE(held.held());
  EXPECT_NE(lock_error(target), "");  // the moved-from lock's end released nothing
  held = OutputLock();
  EXPECT_FALSE(fs::exists(dir / ".results.h5.lock"));
  EXPECT_EQ(lock_error(target), "");
  fs::remove_all(dir);
}

TEST(OutputLock, AKilledHoldersLockGoesWithItButItsFileStays) {
  const auto dir = fresh_folder("killed");
  const auto target = dir / "results.h5";
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(ready[0]);
    try {
      OutputLock lock(target);
      const char one = 1;
      if (::write(ready[1], &one, 1) != 1) ::_exit(2);
      ::pause();  // until killed
    } catch (...) {}
    ::_exit(1);
  }
  ::close(ready[1]);
  char got = 0;
  ASSERT_EQ(::read(ready[0], &got, 1), 1);
  ::close(ready[0]);
  const auto message = lock_error(target);
  EXPECT_NE(message.find(fmt::format("another run (process {})", child)), std::string::npos) << message;
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  EXPECT_TRUE(fs::exists(dir / ".results.h5.lock"));  // left behind by SIGKILL
  EXPECT_EQ(lock_error(target), "");                  // but not locked
  EXPECT_FALSE(fs::exists(dir / ".results.h5.lock"));
  fs::remove_all(dir);
}

TEST(OutputLock, AMissingFolderIsAClearError) {
  const auto dir = fresh_folder("missing");
  const auto message = lock_error(dir / "no_such_folder" / "results.h5");
  EXPECT_NE(message.find("results.h5: cannot create the lock file"), std::string::npos) << message;
  EXPECT_NE(message.find("No such file or directory"), std::string::npos) << message;
  fs::remove_all(dir);
}
