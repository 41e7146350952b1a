// A shm: locator unique to this process and test, whose objects are removed
// at the end of the test.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <string>

namespace nvdb_test {

struct ShmName {
  std::string name;
  explicit ShmName(const std::string &tag) : name("nvdbtest-" + std::to_string(::getpid()) + "-" + tag) {}
  ~ShmName() {
    for (const auto &e : std::filesystem::directory_iterator("/dev/shm"))
      if (e.path().filename().string().rfind("nvdb-" + name, 0) == 0) std::filesystem::remove(e.path());
  }
  ShmName(const ShmName &) = delete;
  ShmName &operator=(const ShmName &) = delete;
  std::string locator() const { return "shm:" + name; }
};

}  // namespace nvdb_test
