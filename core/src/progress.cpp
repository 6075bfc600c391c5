#include "cimmc/core/progress.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>

namespace cimmc::core {

bool stderr_is_terminal() { return ::isatty(STDERR_FILENO) == 1; }

Progress::Progress(std::string label, std::uint64_t total, std::string unit, bool quiet)
    : label_(std::move(label)),
      unit_(std::move(unit)),
      total_(total),
      enabled_(!quiet && stderr_is_terminal()),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

Progress::~Progress() { finish(); }

void Progress::advance(std::uint64_t n) {
  if (!enabled_) return;
  std::lock_guard lock(mutex_);
  done_ += n;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_draw_ > std::chrono::milliseconds(100)) {
    last_draw_ = now;
    draw(false);
  }
}

void Progress::set_note(std::string note) {
  if (!enabled_) return;
  std::lock_guard lock(mutex_);
  note_ = std::move(note);
}

void Progress::finish() {
  if (!enabled_ || finished_) return;
  std::lock_guard lock(mutex_);
  finished_ = true;
  draw(true);
}

static std::string format_duration(double s) {
  if (s < 0 || s > 1e7) return "--:--";
  const long t = std::lround(s);
  if (t >= 3600) return fmt::format("{}:{:02}:{:02}", t / 3600, t / 60 % 60, t % 60);
  return fmt::format("{:02}:{:02}", t / 60, t % 60);
}

std::string Progress::render(const std::string& label, std::uint64_t done, std::uint64_t total, const std::string& unit,
                             double elapsed_s, const std::string& note) {
  const double rate = elapsed_s > 0 ? static_cast<double>(done) / elapsed_s : 0.0;
  const double pct = total ? 100.0 * static_cast<double>(done) / static_cast<double>(total) : 100.0;
  const double eta = rate > 0 && total >= done ? static_cast<double>(total - done) / rate : -1.0;
  std::string line = fmt::format("{} {:5.1f}% {}/{} {} | {:.3g} {}/s | elapsed {} | ETA {}", label, pct, done, total,
                                 unit, rate, unit, format_duration(elapsed_s), format_duration(eta));
  if (!note.empty()) line += " | " + note;
  return line;
}

void Progress::draw(bool final_line) {
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const std::string line = render(label_, done_, total_, unit_, elapsed, note_);
  std::fprintf(stderr, "\r\033[K%s%s", line.c_str(), final_line ? "\n" : "");
  std::fflush(stderr);
}

}  // namespace cimmc::core
