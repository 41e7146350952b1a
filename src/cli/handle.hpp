// An open nvdb handle for the subcommands, and the check that turns a
// failed C call into a Failure (one line on stderr, exit status 1).
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include "jsonl.hpp"
#include "nvdb.h"

namespace nvdb::cli {

// Throws a Failure carrying the library's message for a failed call.
inline void check(int status, const std::string &context) {
  if (status == NVDB_OK) return;
  std::string msg = nvdb_errmsg();
  if (msg.empty()) msg = nvdb_strerror(status);
  throw Failure(context.empty() ? msg : context + ": " + msg);
}

// An open database handle. close() reports a failed final save; the
// destructor only releases a handle abandoned by an error.
class Database {
 public:
  Database(const std::string &locator, nvdb_open_mode mode, std::uint32_t dim = 0,
           nvdb_metric metric = NVDB_METRIC_DEFAULT,
           std::uint32_t element_type = NVDB_ELEMENT_DEFAULT) {
    nvdb_options opts = NVDB_OPTIONS_INIT;
    opts.mode = mode;
    opts.dim = dim;
    opts.metric = metric;
    opts.element_type = element_type;
    check(nvdb_open(&db_, locator.c_str(), &opts), "");
  }
  explicit Database(nvdb_db *db) : db_(db) {}
  Database(Database &&other) noexcept : db_(std::exchange(other.db_, nullptr)) {}
  Database(const Database &) = delete;
  Database &operator=(const Database &) = delete;
  ~Database() { nvdb_close(db_); }

  nvdb_db *get() const { return db_; }
  std::size_t count() const {
    std::size_t n = 0;
    check(nvdb_count(db_, &n), "");
    return n;
  }
  // nvdb_info's JSON object.
  std::string info() const {
    char *text = nullptr;
    check(nvdb_info(db_, &text), "");
    std::string out(text);
    nvdb_free(text);
    return out;
  }
  void close() { check(nvdb_close(std::exchange(db_, nullptr)), ""); }

 private:
  nvdb_db *db_ = nullptr;
};

}  // namespace nvdb::cli
