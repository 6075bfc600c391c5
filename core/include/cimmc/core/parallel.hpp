// OpenMP helpers. Exceptions must not escape an OpenMP region: capture the first one and
// rethrow it after the region.
#pragma once

#include <exception>
#include <mutex>

namespace cimmc::core {

class ExceptionCapture {
 public:
  // Runs f(); if it throws, keeps the first exception.
  template <typename F>
  void run(F&& f) noexcept {
    try {
      f();
    } catch (...) {
      std::lock_guard lock(mutex_);
      if (!first_) first_ = std::current_exception();
    }
  }
  bool failed() const { return static_cast<bool>(first_); }
  void rethrow() const {
    if (first_) std::rethrow_exception(first_);
  }

 private:
  std::exception_ptr first_;
  std::mutex mutex_;
};

// Threads OpenMP will use for a parallel region (1 without OpenMP).
int max_threads();

}  // namespace cimmc::core
