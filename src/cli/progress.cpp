#include "progress.hpp"

#include <unistd.h>

#include <cstdio>

namespace nvdb::cli {

namespace {

constexpr int kBarWidth = 30;
constexpr auto kRedraw = std::chrono::milliseconds(150);

// 1234567 -> "1,234,567": record counts read at a glance.
std::string grouped(std::uint64_t n) {
  std::string digits = std::to_string(n), out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

std::string bar(std::uint64_t done, std::uint64_t total) {
  const int filled = static_cast<int>(kBarWidth * std::min(done, total) / total);
  return "[" + std::string(filled, '#') + std::string(kBarWidth - filled, '.') + "] " +
         std::to_string(100 * std::min(done, total) / total) + "%";
}

}  // namespace

Progress::Progress(std::string label) : label_(std::move(label)), enabled_(isatty(STDERR_FILENO)) {}

Progress::~Progress() { finish(); }

void Progress::start() {
  if (!enabled_ || ticker_.joinable()) return;
  start_ = std::chrono::steady_clock::now();
  ticker_ = std::thread([this] { tick(); });
}

void Progress::step(std::string what) {
  std::lock_guard lock(mutex_);
  step_ = std::move(what);
}

void Progress::advance(std::uint64_t done, std::uint64_t total, const char *unit) {
  std::lock_guard lock(mutex_);
  done_ = done;
  total_ = total;
  unit_ = unit;
}

void Progress::finish() {
  if (!ticker_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  stop_.notify_all();
  ticker_.join();
  if (drawn_) draw("");
}

void Progress::tick() {
  std::unique_lock lock(mutex_);
  do {
    const std::string text = line();
    lock.unlock();
    draw(text);
    lock.lock();
  } while (!stop_.wait_for(lock, kRedraw, [&] { return stopping_; }));
}

std::string Progress::line() const {
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  std::string text = "nvdb " + label_ + ": ";
  if (!step_.empty()) text += step_ + " ";
  if (total_) text += bar(done_, total_) + " ";
  if (done_ || total_) text += grouped(done_) + " " + unit_ + " ";
  char clock[32];
  std::snprintf(clock, sizeof clock, "(%.1f s)", seconds);
  return text + clock;
}

// \r and "erase line" redraw in place; one write so lines never interleave.
void Progress::draw(const std::string &text) {
  const std::string out = "\r\x1b[K" + text;
  if (::write(STDERR_FILENO, out.data(), out.size()) < 0) return;  // a closed terminal: nothing to show
  drawn_ = true;
}

}  // namespace nvdb::cli
