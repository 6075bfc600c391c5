// One self-updating progress line on stderr (percent, rate, ETA), shown only when stderr is a
// terminal and not silenced; otherwise every call is a no-op, so logs and CI stay clean.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace cimmc::core {

class Progress {
 public:
  // `unit` names what is counted ("images", "trials"). quiet = true never prints.
  Progress(std::string label, std::uint64_t total, std::string unit, bool quiet = false);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // Thread-safe; redraws at most ten times a second.
  void advance(std::uint64_t n = 1);
  // Extra text after the counters, e.g. "loss 0.312".
  void set_note(std::string note);
  void finish();
  bool enabled() const { return enabled_; }

  // Renders the line for `done` items after `elapsed_s` seconds (exposed for tests).
  static std::string render(const std::string& label, std::uint64_t done, std::uint64_t total, const std::string& unit,
                            double elapsed_s, const std::string& note);

 private:
  void draw(bool final_line);
  std::string label_, unit_, note_;
  std::uint64_t total_, done_ = 0;
  bool enabled_, finished_ = false;
  std::chrono::steady_clock::time_point start_, last_draw_;
  std::mutex mutex_;
};

// Whether stderr is an interactive terminal.
bool stderr_is_terminal();

}  // namespace cimmc::core
