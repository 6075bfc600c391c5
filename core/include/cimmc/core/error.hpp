// The one exception hierarchy of cimmc. The library throws, never exits; only a program's main
// turns an Error into an exit code: 2 for bad input (the user can fix it), 1 for a failure at
// run time. Messages name the place (file, key path, line), the value found and what was expected.
#pragma once

#include <stdexcept>
#include <string>

namespace cimmc::core {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
  // 2: bad input, 1: runtime failure.
  virtual int exit_code() const noexcept { return 2; }
};

// A configuration value or study file is wrong (type, range, unknown key, syntax).
class ConfigError : public Error {
 public:
  using Error::Error;
};

// A file is missing, unreadable or not of the expected kind.
class IoError : public Error {
 public:
  using Error::Error;
};

// A file exists but its content is not what a reader expects (wrong filetype, newer format
// version, truncated data, bad magic numbers).
class FormatError : public IoError {
 public:
  using IoError::IoError;
};

// A model (architecture spec, weights, quantization) is inconsistent.
class ModelError : public Error {
 public:
  using Error::Error;
};

// A function was called with arguments outside its domain (a programming or input error that
// is not tied to a file).
class ArgumentError : public Error {
 public:
  using Error::Error;
};

// Something failed while running (out of disk, a library call failed): not the user's input.
class RuntimeFailure : public Error {
 public:
  using Error::Error;
  int exit_code() const noexcept override { return 1; }
};

}  // namespace cimmc::core
