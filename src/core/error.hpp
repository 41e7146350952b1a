// Errors inside the library: every failure is an nvdb::Error carrying the C
// status code it becomes at the API boundary (src/api), plus a message that
// names what was wrong.
#pragma once

#include <stdexcept>
#include <string>

#include "nvdb.h"

namespace nvdb {

class Error : public std::runtime_error {
 public:
  Error(int status, const std::string &message) : std::runtime_error(message), status_(status) {}
  int status() const noexcept { return status_; }

 private:
  int status_;
};

}  // namespace nvdb
