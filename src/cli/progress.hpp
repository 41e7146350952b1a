// A progress line on stderr for long commands (import, export, large
// upserts), drawn only when stderr is a terminal: in a pipe, a file or a
// log there is nothing, and stdout, which scripts read, is never touched.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

namespace nvdb::cli {

class Progress {
 public:
  // Nothing is drawn until start(); `label` opens the line ("import").
  explicit Progress(std::string label);
  ~Progress();  // erases the line
  Progress(const Progress &) = delete;
  Progress &operator=(const Progress &) = delete;

  // Whether stderr is a terminal, so that anything will be drawn at all.
  // Draws now, then redraws a few times a second until finish().
  void start();
  // What is being done, for steps whose length is unknown ("reading a.json").
  void step(std::string what);
  // How far along: done of total units; total 0 when unknown.
  void advance(std::uint64_t done, std::uint64_t total, const char *unit);
  // Erases the line for good (also done by the destructor).
  void finish();

 private:
  void tick();
  std::string line() const;
  void draw(const std::string &text);

  const std::string label_;
  const bool enabled_;
  mutable std::mutex mutex_;
  std::condition_variable stop_;
  bool stopping_ = false, drawn_ = false;
  std::string step_;
  std::uint64_t done_ = 0, total_ = 0;
  const char *unit_ = "";
  std::chrono::steady_clock::time_point start_;
  std::thread ticker_;
};

}  // namespace nvdb::cli
