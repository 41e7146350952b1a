// One store, several processes (CONTRACT §3): readers see whole commits in
// order while a writer commits; the writer is SIGKILLed at random points and
// the next one opens at once with the last commit; killed readers leave the
// writer unaffected; a second writer and a reader's write are refused.
// Each process is nvdb_actor ($NVDB_ACTOR), spawned for real.
#define BOOST_TEST_MODULE nvdb_processes
#include <boost/test/unit_test.hpp>

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "nvdb.h"
#include "support/child.hpp"

namespace fs = std::filesystem;

namespace {

std::string actor_path() {
  const char *p = std::getenv("NVDB_ACTOR");
  BOOST_REQUIRE_MESSAGE(p, "NVDB_ACTOR must name nvdb_actor (ctest sets it)");
  return p;
}

// A spawned nvdb_actor; its stderr goes to the store's error file.
class Actor : public nvdb_test::Child {
 public:
  Actor(std::vector<std::string> args, const fs::path &err_file)
      : nvdb_test::Child(with_program(std::move(args)), err_file.string(), Stderr::append) {}
  // Everything still on stdout, as lines (after the process ended).
  std::vector<std::string> lines() {
    std::vector<std::string> out;
    std::istringstream in(rest());
    for (std::string l; std::getline(in, l);) out.push_back(l);
    return out;
  }

 private:
  static std::vector<std::string> with_program(std::vector<std::string> args) {
    args.insert(args.begin(), actor_path());
    return args;
  }
};

std::string slurp(const fs::path &p) {
  std::ifstream in(p);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// A store for one test: a shm: name or a file, removed at the end.
struct Store {
  fs::path dir;
  std::string locator, shm_prefix;
  explicit Store(bool shm) {
    char tmpl[] = "/tmp/nvdb-proc-XXXXXX";
    dir = mkdtemp(tmpl);
    if (shm) {
      const std::string name = "nvdbproc-" + std::to_string(getpid()) + "-" + dir.filename().string();
      locator = "shm:" + name;
      shm_prefix = "nvdb-" + name;
    } else {
      locator = (dir / "store.nvdb").string();
    }
  }
  ~Store() {
    if (!shm_prefix.empty())
      for (const auto &e : fs::directory_iterator("/dev/shm"))
        if (e.path().filename().string().rfind(shm_prefix, 0) == 0) fs::remove(e.path());
    fs::remove_all(dir);
  }
  fs::path err() const { return dir / "stderr.txt"; }
  long check() {
    Actor a({"check", locator}, err());
    const long c = std::stol(a.read_line());
    BOOST_REQUIRE_EQUAL(a.wait(), 0);
    return c;
  }
};

// The stores the tests run on: shared memory, a store file, and a store
// file whose writers commit without fsync (and so reuse rows too).
struct Kind {
  bool shm, no_sync;
};
std::vector<Kind> kinds() { return {{true, false}, {false, false}, {false, true}}; }

// The command line of an actor writer committing first..last to s.
std::vector<std::string> writer_args(const Store &s, const Kind &k, long first, long last) {
  std::vector<std::string> args{"writer", s.locator, std::to_string(first), std::to_string(last)};
  if (k.no_sync) args.push_back("no-sync");
  return args;
}

}  // namespace

// (a) 4 readers query continuously while the writer makes 500 commits.
BOOST_AUTO_TEST_CASE(readers_see_whole_commits_in_order) {
  for (const Kind &k : kinds()) {
    Store s(k.shm);
    BOOST_TEST_CONTEXT(s.locator << (k.no_sync ? " (no sync)" : "")) {
      BOOST_REQUIRE_EQUAL(Actor(writer_args(s, k, 1, 1), s.err()).wait(), 0);
      std::vector<std::unique_ptr<Actor>> readers;
      for (int i = 0; i < 4; ++i) {
        readers.push_back(std::make_unique<Actor>(std::vector<std::string>{"reader", s.locator, "500"}, s.err()));
        BOOST_REQUIRE_EQUAL(readers.back()->read_line(), "attached");
      }
      Actor writer(writer_args(s, k, 2, 500), s.err());
      BOOST_TEST(writer.wait() == 0);
      for (auto &r : readers) {
        const std::string summary = r->read_line();
        BOOST_TEST(r->wait() == 0, "reader: " << slurp(s.err()));
        BOOST_TEST_MESSAGE("reader " << summary);
        BOOST_TEST(summary.find("last 500") != std::string::npos, summary);
      }
      BOOST_TEST(slurp(s.err()) == "");
    }
  }
}

// (b) The writer is SIGKILLed at random points, mid-commit included: the
// readers keep answering, a new writer opens at once, and the store holds
// the last commit that returned success (or the one being made, if it
// completed before the kill landed).
BOOST_AUTO_TEST_CASE(writer_killed_at_random_points) {
  std::mt19937 rng(20261127);
  for (const Kind &k : kinds()) {
    Store s(k.shm);
    BOOST_TEST_CONTEXT(s.locator << (k.no_sync ? " (no sync)" : "")) {
      BOOST_REQUIRE_EQUAL(Actor(writer_args(s, k, 1, 1), s.err()).wait(), 0);
      std::vector<std::unique_ptr<Actor>> readers;
      for (int i = 0; i < 2; ++i) {
        readers.push_back(std::make_unique<Actor>(std::vector<std::string>{"reader", s.locator, "0"}, s.err()));
        BOOST_REQUIRE_EQUAL(readers.back()->read_line(), "attached");
      }
      long next = 2;
      for (int round = 0; round < 25; ++round) {
        Actor writer(writer_args(s, k, next, 0), s.err());
        std::this_thread::sleep_for(std::chrono::microseconds(std::uniform_int_distribution<>(0, 40000)(rng)));
        BOOST_TEST(writer.kill_now() == 128 + SIGKILL);
        std::vector<std::string> printed = writer.lines();
        const long acknowledged = printed.empty() ? next - 1 : std::stol(printed.back());
        // A new writer is not locked out by the dead one.
        Actor probe({"try-write", s.locator}, s.err());
        BOOST_TEST(probe.read_line() == "ok");
        BOOST_TEST(probe.wait() == 0);
        const long held = s.check();
        BOOST_TEST((held == acknowledged || held == acknowledged + 1),
                   "round " << round << ": store holds " << held << ", last acknowledged " << acknowledged);
        next = held + 1;
      }
      for (auto &r : readers) BOOST_TEST(r->running(), "a reader died: " << slurp(s.err()));

      // (c) Readers killed mid-query leave the writer unaffected, and their
      // reader slots are freed.
      std::vector<pid_t> dead;
      for (auto &r : readers) {
        dead.push_back(r->pid());
        BOOST_TEST(r->kill_now() == 128 + SIGKILL);
      }
      Actor writer(writer_args(s, k, next, next + 50), s.err());
      BOOST_TEST(writer.wait() == 0);
      BOOST_TEST(s.check() == next + 50);
      nvdb_options opts = NVDB_OPTIONS_INIT;
      opts.mode = NVDB_OPEN_READ;
      nvdb_db *db = nullptr;
      BOOST_REQUIRE_EQUAL(nvdb_open(&db, s.locator.c_str(), &opts), NVDB_OK);
      char *info = nullptr;
      BOOST_REQUIRE_EQUAL(nvdb_info(db, &info), NVDB_OK);
      for (pid_t pid : dead)
        BOOST_TEST(std::string(info).find("\"pid\":" + std::to_string(pid)) == std::string::npos, info);
      BOOST_TEST(std::string(info).find("\"pid\":" + std::to_string(getpid())) != std::string::npos, info);
      nvdb_free(info);
      nvdb_close(db);
      BOOST_TEST(slurp(s.err()) == "");
    }
  }
}

// (d) A second writer is refused while the first lives; (e) a reader's
// write gets a status.
BOOST_AUTO_TEST_CASE(second_writer_and_reader_writes_are_refused) {
  for (const Kind &k : kinds()) {
    Store s(k.shm);
    BOOST_TEST_CONTEXT(s.locator << (k.no_sync ? " (no sync)" : "")) {
      Actor writer(writer_args(s, k, 1, 0), s.err());
      BOOST_REQUIRE_EQUAL(writer.read_line(), "1");
      Actor second({"try-write", s.locator}, s.err());
      const std::string message = second.read_line();
      BOOST_TEST(second.wait() == -NVDB_EBUSY);
      BOOST_TEST(message.find("process " + std::to_string(writer.pid())) != std::string::npos, message);
      Actor intruder({"reader-write", s.locator}, s.err());
      intruder.read_line();
      BOOST_TEST(intruder.wait() == -NVDB_EREADONLY);
      writer.kill_now();
    }
  }
}

// (f) A segment of another format version, or a damaged one, is refused.
BOOST_AUTO_TEST_CASE(foreign_or_corrupt_segment_is_refused) {
  Store s(true);
  BOOST_REQUIRE_EQUAL(Actor({"writer", s.locator, "1", "3"}, s.err()).wait(), 0);
  const fs::path data = fs::path("/dev/shm") / (s.shm_prefix + ".1");
  BOOST_REQUIRE(fs::exists(data));
  auto patch = [&](std::streamoff at, std::string bytes) {
    std::fstream f(data, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(at);
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  };
  nvdb_options opts = NVDB_OPTIONS_INIT;
  opts.mode = NVDB_OPEN_READ;
  nvdb_db *db = nullptr;
  std::string version(4, '\0');
  std::ifstream(data, std::ios::binary).seekg(8).read(version.data(), 4);
  patch(8, std::string("\x01\x00\x00\x00", 4));  // format version 1
  BOOST_TEST(nvdb_open(&db, s.locator.c_str(), &opts) == NVDB_EVERSION);
  BOOST_TEST(std::string(nvdb_errmsg()).find("version 1") != std::string::npos, nvdb_errmsg());
  patch(8, version);
  BOOST_REQUIRE_EQUAL(nvdb_open(&db, s.locator.c_str(), &opts), NVDB_OK);
  nvdb_close(db);
  patch(0, "NOTNVDB!");
  BOOST_TEST(nvdb_open(&db, s.locator.c_str(), &opts) == NVDB_ECORRUPT);
}
