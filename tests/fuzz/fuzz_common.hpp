// Shared pieces of the libFuzzer harnesses (tests/fuzz/CMakeLists.txt, docs/reliability.md).
// The contract every harness checks: an input either succeeds or is refused with a cimmc::core::Error
// (core/include/cimmc/core/error.hpp). Any other exception aborts, so libFuzzer records the input
// as a crash, as it does for a sanitizer report, a signal, a timeout or an allocation beyond
// -malloc_limit_mb.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <typeinfo>

#include "cimmc/core/error.hpp"

namespace cimmc::fuzz {

template <typename F>
void expect_success_or_cimmc_error(F&& f) {
  try {
    f();
  } catch (const cimmc::core::Error&) {
    // bad input, reported: the expected outcome for most inputs
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fuzz: an exception that is not a cimmc::core::Error: %s: %s\n", typeid(e).name(), e.what());
    std::abort();
  } catch (...) {
    std::fprintf(stderr, "fuzz: an exception that is not a std::exception\n");
    std::abort();
  }
}

// A private folder for the files a harness writes (in /dev/shm when there is one), removed at exit.
inline const std::filesystem::path& scratch_dir() {
  static const std::filesystem::path dir = [] {
    std::filesystem::path base = std::filesystem::exists("/dev/shm") ? std::filesystem::path("/dev/shm")
                                                                     : std::filesystem::temp_directory_path();
    auto d = base / ("cimmc-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(scratch_dir(), ec);
    });
    return d;
  }();
  return dir;
}

inline std::filesystem::path scratch(const std::string& name) { return scratch_dir() / name; }

inline void write_file(const std::filesystem::path& path, const std::uint8_t* data, std::size_t size) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
}

inline std::string source_path(std::string_view relative) {
  return std::string(CIMMC_SOURCE_DIR) + "/" + std::string(relative);
}

// Reads the fuzz input as a stream of small values; reading past the end gives zeros.
class Input {
 public:
  Input(const std::uint8_t* data, std::size_t size) : p_(data), n_(size) {}
  bool empty() const { return n_ == 0; }
  std::size_t left() const { return n_; }
  std::uint8_t byte() {
    if (n_ == 0) return 0;
    --n_;
    return *p_++;
  }
  std::uint32_t u32() {
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= static_cast<std::uint32_t>(byte()) << (8 * i);
    return v;
  }
  std::uint64_t u64() { return u32() | (static_cast<std::uint64_t>(u32()) << 32); }
  // Up to `max` bytes as a string (the length is the next byte).
  std::string text(std::size_t max = 255) {
    std::size_t len = std::min<std::size_t>({byte(), max, n_});
    std::string s(reinterpret_cast<const char*>(p_), len);
    p_ += len;
    n_ -= len;
    return s;
  }

 private:
  const std::uint8_t* p_;
  std::size_t n_;
};

}  // namespace cimmc::fuzz
