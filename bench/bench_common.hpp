// What the benchmarks need: a clock, medians and percentiles, and the
// shared command line ([--quick] [--json FILE]).
#pragma once

#include <nvdb.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace bench {

using Clock = std::chrono::steady_clock;

inline double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

struct Stats {
  double median = 0, p90 = 0, max = 0;
};

inline Stats summarize(std::vector<double> v) {
  if (v.empty()) return {};
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  const double median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  return {median, v[(n * 9 + 9) / 10 - 1], v.back()};  // p90 by nearest rank
}

// The name fail() gives the process in its messages (a benchmark's child
// processes rename themselves).
inline std::string &program_name() {
  static std::string name = "nvdb_bench";
  return name;
}

// Ends the benchmark with a message; exit() runs what a benchmark registered
// with atexit (removing its stores, say).
[[noreturn]] inline void fail(const std::string &what) {
  std::fprintf(stderr, "%s: %s\n", program_name().c_str(), what.c_str());
  std::exit(1);
}

inline void check(int status, const std::string &call) {
  if (status != NVDB_OK) fail(call + " failed: " + nvdb_strerror(status) + ": " + nvdb_errmsg());
}

inline std::string db_info(nvdb_db *db) {
  char *text = nullptr;
  check(nvdb_info(db, &text), "nvdb_info");
  std::string info(text);
  nvdb_free(text);
  return info;
}

// The value of "key" in nvdb_info's JSON object, or "" if absent (a
// string's contents, or a number's text).
inline std::string info_field(const std::string &info, const std::string &key) {
  std::size_t at = info.find("\"" + key + "\":");
  if (at == std::string::npos) return "";
  at += key.size() + 3;
  if (at < info.size() && info[at] == '"') return info.substr(at + 1, info.find('"', at + 1) - at - 1);
  return info.substr(at, info.find_first_of(",}]", at) - at);
}

struct Args {
  bool quick = false;
  const char *json_path = nullptr;
};

// False (after a usage line on stderr) if the arguments are not understood.
inline bool parse_args(int argc, char **argv, Args &args) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0) {
      args.quick = true;
    } else if (std::strcmp(argv[i], "--json") == 0 && i + 1 < argc) {
      args.json_path = argv[++i];
    } else {
      std::fprintf(stderr, "usage: %s [--quick] [--json FILE]\n", argv[0]);
      return false;
    }
  }
  return true;
}

}  // namespace bench
