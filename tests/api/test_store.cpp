// Shared and persistent stores (shm:NAME and store files) through the C
// API, within one process: writer and reader handles, persistence, growth,
// compaction, refusals. Multi-process behaviour is in tests/process.
#define BOOST_TEST_MODULE nvdb_store
#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "nvdb.h"
#include "support/shm_name.hpp"
#include "support/temp_dir.hpp"

namespace fs = std::filesystem;

namespace {

using nvdb_test::TempDir;

using nvdb_test::ShmName;

nvdb_db *open_db(const std::string &locator, nvdb_open_mode mode, uint32_t dim = 4,
                 int *status = nullptr, unsigned permissions = 0) {
  nvdb_options opts = NVDB_OPTIONS_INIT;
  opts.dim = dim;
  opts.mode = mode;
  opts.permissions = permissions;
  nvdb_db *db = nullptr;
  const int rc = nvdb_open(&db, locator.c_str(), &opts);
  if (status) *status = rc;
  else BOOST_REQUIRE_MESSAGE(rc == NVDB_OK, locator << ": " << nvdb_errmsg());
  return db;
}

void put(nvdb_db *db, const std::string &id, std::vector<float> v, const char *meta = nullptr) {
  const char *ids[] = {id.c_str()};
  const char *metas[] = {meta};
  BOOST_REQUIRE_MESSAGE(nvdb_upsert(db, 1, ids, v.data(), v.size(), metas, nullptr) == NVDB_OK,
                        nvdb_errmsg());
}

// Clears the boot both commit records (MetaSlots of 128 bytes at offset
// 128) name, as if the machine had booted again since: opening checks them.
void as_if_rebooted(const std::string &path) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  for (int slot = 0; slot < 2; ++slot) {
    f.seekp(128 + 128 * slot + 120);  // MetaSlot::boot
    f.write("\0\0\0\0\0\0\0\0", 8);
  }
}

// Clears the durable records (128 bytes each at offset 384) of a store
// file's generation that name commits after `epoch`, as if the flush that
// wrote them had not happened.
void forget_durable_after(const std::string &path, std::uint64_t epoch) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  for (int k = 0; k < 2; ++k) {
    std::uint64_t named = 0;
    f.seekg(384 + 128 * k + 8);  // MetaSlot::epoch
    f.read(reinterpret_cast<char *>(&named), sizeof named);
    if (named <= epoch) continue;
    f.seekp(384 + 128 * k);
    f.write(std::string(128, '\0').data(), 128);
  }
}

size_t count(nvdb_db *db) {
  size_t n = 0;
  BOOST_REQUIRE_EQUAL(nvdb_count(db, &n), NVDB_OK);
  return n;
}

std::vector<std::string> top_ids(nvdb_db *db, std::vector<float> q, unsigned k) {
  nvdb_query_options o = NVDB_QUERY_OPTIONS_INIT;
  o.top_k = k;
  nvdb_hits *hits = nullptr;
  BOOST_REQUIRE_MESSAGE(nvdb_query(db, q.data(), q.size(), &o, &hits) == NVDB_OK, nvdb_errmsg());
  std::vector<std::string> ids;
  for (size_t i = 0; i < nvdb_hits_count(hits); ++i) ids.push_back(nvdb_hits_id(hits, i));
  nvdb_hits_free(hits);
  return ids;
}

std::vector<std::string> both_kinds(const TempDir &dir, const ShmName &shm) {
  return {shm.locator(), dir.file("docs.nvdb")};
}

}  // namespace

BOOST_AUTO_TEST_CASE(writer_and_reader_share_every_commit) {
  TempDir dir;
  ShmName shm("share");
  for (const std::string &loc : both_kinds(dir, shm)) {
    BOOST_TEST_CONTEXT(loc) {
      nvdb_db *w = open_db(loc, NVDB_OPEN_CREATE);
      nvdb_db *r = open_db(loc, NVDB_OPEN_READ, 0);
      BOOST_TEST(nvdb_dim(r) == 4u);
      BOOST_TEST(count(r) == 0u);
      put(w, "a", {1, 0, 0, 0}, "{\"k\":1}");
      put(w, "b", {0, 1, 0, 0});
      BOOST_TEST(count(r) == 2u);  // visible on the reader's next call
      BOOST_TEST(top_ids(r, {1, 0.1f, 0, 0}, 1) == std::vector<std::string>{"a"});
      put(w, "a", {0, 0, 1, 0}, "{\"k\":2}");  // replaced: the old row dies
      BOOST_TEST(count(r) == 2u);
      BOOST_TEST(top_ids(r, {1, 0.1f, 0, 0}, 1) == std::vector<std::string>{"b"});
      const char *ids[] = {"a", "zz"};
      nvdb_records *recs = nullptr;
      BOOST_REQUIRE_EQUAL(nvdb_get(r, 2, ids, &recs), NVDB_OK);
      BOOST_REQUIRE_EQUAL(nvdb_records_count(recs), 1u);
      BOOST_TEST(std::string(nvdb_records_metadata(recs, 0)) == "{\"k\":2}");
      nvdb_records_free(recs);
      size_t deleted = 0;
      BOOST_REQUIRE_EQUAL(nvdb_delete(w, 2, ids, &deleted), NVDB_OK);
      BOOST_TEST(deleted == 1u);
      BOOST_TEST(count(r) == 1u);
      BOOST_REQUIRE_EQUAL(nvdb_set_additional_data(w, "{\"model\":\"m\"}"), NVDB_OK);
      char *extra = nullptr;
      BOOST_REQUIRE_EQUAL(nvdb_get_additional_data(r, &extra), NVDB_OK);
      BOOST_TEST(std::string(extra) == "{\"model\":\"m\"}");
      nvdb_free(extra);
      BOOST_TEST(nvdb_close(r) == NVDB_OK);
      BOOST_TEST(nvdb_close(w) == NVDB_OK);
    }
  }
}

BOOST_AUTO_TEST_CASE(one_writer_at_a_time_and_readers_cannot_write) {
  TempDir dir;
  ShmName shm("writer");
  for (const std::string &loc : both_kinds(dir, shm)) {
    BOOST_TEST_CONTEXT(loc) {
      nvdb_db *w = open_db(loc, NVDB_OPEN_CREATE);
      int status = 0;
      BOOST_TEST(open_db(loc, NVDB_OPEN_WRITE, 0, &status) == nullptr);
      BOOST_TEST(status == NVDB_EBUSY);
      BOOST_TEST(std::string(nvdb_errmsg()).find(std::to_string(::getpid())) != std::string::npos);
      nvdb_db *r = open_db(loc, NVDB_OPEN_READ, 0);
      float v[] = {1, 2, 3, 4};
      const char *id = "x";
      BOOST_TEST(nvdb_upsert(r, 1, &id, v, 4, nullptr, nullptr) == NVDB_EREADONLY);
      BOOST_TEST(nvdb_delete(r, 1, &id, nullptr) == NVDB_EREADONLY);
      BOOST_TEST(nvdb_set_additional_data(r, "{}") == NVDB_EREADONLY);
      nvdb_close(r);
      nvdb_close(w);
      // The lock went with the writer's handle.
      nvdb_db *again = open_db(loc, NVDB_OPEN_WRITE, 0);
      nvdb_close(again);
    }
  }
}

BOOST_AUTO_TEST_CASE(a_store_file_keeps_its_commits) {
  TempDir dir;
  const std::string loc = dir.file("keep.nvdb");
  nvdb_db *w = open_db(loc, NVDB_OPEN_CREATE, 3);
  for (int i = 0; i < 3000; ++i)  // several generations of growth
    put(w, "id-" + std::to_string(i), {float(i + 1), 1, float(i % 7)});
  BOOST_TEST(nvdb_close(w) == NVDB_OK);
  nvdb_db *r = open_db(loc, NVDB_OPEN_READ, 0);
  BOOST_TEST(count(r) == 3000u);
  BOOST_TEST(nvdb_dim(r) == 3u);
  const char *id = "id-2999";
  nvdb_records *recs = nullptr;
  BOOST_REQUIRE_EQUAL(nvdb_get(r, 1, &id, &recs), NVDB_OK);
  BOOST_TEST(nvdb_records_count(recs) == 1u);
  nvdb_records_free(recs);
  nvdb_close(r);
  int status = 0;
  BOOST_TEST(open_db(dir.file("missing.nvdb"), NVDB_OPEN_WRITE, 0, &status) == nullptr);
  BOOST_TEST(status == NVDB_ENOTFOUND);
  BOOST_TEST(open_db(dir.file("missing.nvdb"), NVDB_OPEN_READ, 0, &status) == nullptr);
  BOOST_TEST(status == NVDB_ENOTFOUND);
  BOOST_TEST(open_db(loc, NVDB_OPEN_WRITE, 5, &status) == nullptr);
  BOOST_TEST(status == NVDB_EMISMATCH);
}

// 20 rounds of replacing every record keep the store within 3x its live data.
BOOST_AUTO_TEST_CASE(replaced_records_are_reclaimed) {
  TempDir dir;
  const std::string loc = dir.file("churn.nvdb");
  nvdb_options opts = NVDB_OPTIONS_INIT;
  opts.dim = 64;
  opts.flags = NVDB_FLAG_NO_SYNC;
  nvdb_db *w = nullptr;
  BOOST_REQUIRE_EQUAL(nvdb_open(&w, loc.c_str(), &opts), NVDB_OK);
  nvdb_db *r = open_db(loc, NVDB_OPEN_READ, 0);
  const int n = 10000, batch = 1000;
  std::vector<std::string> names(n);
  for (int i = 0; i < n; ++i) names[i] = "record-" + std::to_string(i);
  std::vector<float> vecs(batch * 64);
  uintmax_t largest = 0;
  for (int round = 0; round < 20; ++round) {
    for (int start = 0; start < n; start += batch) {
      std::vector<const char *> ids;
      for (int i = 0; i < batch; ++i) {
        ids.push_back(names[start + i].c_str());
        for (int d = 0; d < 64; ++d) vecs[i * 64 + d] = float((start + i + d + round) % 17 + 1);
      }
      BOOST_REQUIRE_EQUAL(nvdb_upsert(w, batch, ids.data(), vecs.data(), vecs.size(), nullptr, nullptr),
                          NVDB_OK);
      uintmax_t total = 0;
      for (const auto &e : fs::directory_iterator(dir.path)) total += fs::file_size(e.path());
      largest = std::max(largest, total);
    }
    BOOST_TEST(count(r) == size_t(n));  // the reader follows every generation
  }
  const double live = n * (64 * 4 + 8 + 2);  // vectors, ids, "{}" metadata
  BOOST_TEST(largest < 3 * live, "largest store " << largest << " bytes, live data " << live);
  nvdb_close(r);
  nvdb_close(w);
}

BOOST_AUTO_TEST_CASE(permissions_are_owner_only_unless_asked) {
  TempDir dir;
  ShmName shm("perm");
  struct stat st;
  nvdb_db *a = open_db(dir.file("private.nvdb"), NVDB_OPEN_CREATE);
  BOOST_REQUIRE(::stat(dir.file("private.nvdb.1").c_str(), &st) == 0);
  BOOST_TEST((st.st_mode & 0777) == 0600u);
  BOOST_REQUIRE(::stat(dir.file("private.nvdb").c_str(), &st) == 0);
  BOOST_TEST((st.st_mode & 0777) == 0600u);
  nvdb_close(a);
  nvdb_db *b = open_db(shm.locator(), NVDB_OPEN_CREATE, 4, nullptr, 0640);
  BOOST_REQUIRE(::stat(("/dev/shm/nvdb-" + shm.name).c_str(), &st) == 0);
  BOOST_TEST((st.st_mode & 0777) == 0640u);
  BOOST_REQUIRE(::stat(("/dev/shm/nvdb-" + shm.name + ".1").c_str(), &st) == 0);
  BOOST_TEST((st.st_mode & 0777) == 0640u);
  nvdb_close(b);
}

// A machine crash can leave a commit that was flushed in one go (data and
// record together) written in part: the store then opens at the commit
// before it, as if the last one had never returned.
BOOST_AUTO_TEST_CASE(an_incomplete_last_commit_is_set_aside) {
  TempDir dir;
  const std::string loc = dir.file("torn.nvdb");
  nvdb_db *w = open_db(loc, NVDB_OPEN_CREATE);
  put(w, "a", {1, 0, 0, 0});
  const char *ids[] = {"a", "b"};
  const float v[] = {0, 1, 0, 0, 0, 0, 1, 0};
  BOOST_REQUIRE_EQUAL(nvdb_upsert(w, 2, ids, v, 8, nullptr, nullptr), NVDB_OK);  // rows 1 and 2
  nvdb_close(w);
  forget_durable_after(dir.file("torn.nvdb.1"), 2);  // the crash came before the flush ended
  {
    // Row 2's vector never reached the disk. Vectors start after the header
    // page, 1,024 row stamps of 16 bytes and 1,024 row entries of 32.
    std::fstream f(dir.file("torn.nvdb.1"), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(4096 + 1024 * 16 + 1024 * 32 + 2 * 4 * sizeof(float));
    f.write("\x11\x22\x33\x44", 4);
  }
  as_if_rebooted(dir.file("torn.nvdb.1"));  // so the data is checked
  nvdb_db *r = open_db(loc, NVDB_OPEN_READ, 0);
  BOOST_TEST(count(r) == 1u);  // "b" was in the incomplete commit
  BOOST_TEST(top_ids(r, {1, 0, 0, 0}, 2) == std::vector<std::string>{"a"});
  nvdb_records *recs = nullptr;
  BOOST_REQUIRE_EQUAL(nvdb_get(r, 1, ids, &recs), NVDB_OK);
  BOOST_TEST(nvdb_records_vector(recs, 0)[0] == 1.0f);  // "a" as the earlier commit left it
  nvdb_records_free(recs);
  char *report = nullptr;
  BOOST_TEST(nvdb_verify(r, &report) == NVDB_ECORRUPT);  // the lost commit is damage
  BOOST_TEST(std::string(report).find("\"part\":\"data\"") != std::string::npos, report);
  nvdb_free(report);
  nvdb_close(r);
  // A writer carries on from there.
  w = open_db(loc, NVDB_OPEN_WRITE, 0);
  BOOST_TEST(count(w) == 1u);
  put(w, "c", {0, 0, 0, 1});
  nvdb_close(w);
  r = open_db(loc, NVDB_OPEN_READ, 0);
  BOOST_TEST(count(r) == 2u);
  BOOST_TEST(nvdb_verify(r, &report) == NVDB_OK, report);  // its commit record is replaced
  nvdb_free(report);
  BOOST_TEST(top_ids(r, {1, 0, 0, 0.5f}, 2) == (std::vector<std::string>{"a", "c"}));
  nvdb_close(r);
}

BOOST_AUTO_TEST_CASE(corrupt_or_foreign_stores_are_refused) {
  TempDir dir;
  const std::string loc = dir.file("victim.nvdb");
  nvdb_db *w = open_db(loc, NVDB_OPEN_CREATE);
  put(w, "a", {1, 2, 3, 4});
  put(w, "b", {4, 3, 2, 1});  // so that row 0 is not in the last commit
  nvdb_close(w);
  const std::string data = dir.file("victim.nvdb.1");
  auto patch = [&](std::streamoff at, const std::string &bytes) {
    std::fstream f(data, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(at);
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  };
  const std::string original = [&] {
    std::ifstream in(data, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }();
  struct Case {
    std::streamoff at;
    std::string bytes;
    int status;
  };
  const uint32_t version = 99;
  for (const Case &c : std::vector<Case>{
           {0, "XXXX", NVDB_ECORRUPT},                                                  // magic
           {8, std::string(reinterpret_cast<const char *>(&version), 4), NVDB_EVERSION},  // version
           {40, "\x07", NVDB_ECORRUPT},                                                 // header checksum
       }) {
    BOOST_TEST_CONTEXT("byte " << c.at) {
      patch(c.at, c.bytes);
      int status = 0;
      BOOST_TEST(open_db(loc, NVDB_OPEN_READ, 0, &status) == nullptr);
      BOOST_TEST(status == c.status, nvdb_errmsg());
      patch(0, original);
    }
  }
  // One damaged commit record falls back to the previous commit (as after
  // a torn write); both damaged is corruption.
  patch(128 + 16, "\x05");
  nvdb_db *older = open_db(loc, NVDB_OPEN_READ, 0);
  nvdb_close(older);
  patch(128 + 128 + 16, "\x05");
  int both = 0;
  BOOST_TEST(open_db(loc, NVDB_OPEN_READ, 0, &both) == nullptr);
  BOOST_TEST(both == NVDB_ECORRUPT);
  patch(0, original);

  // A damaged row is found when it is first read, not at attach (which
  // stays O(1)): here row 0's heap offset (rows start after the header page
  // and 1,024 row stamps).
  patch(4096 + 1024 * 16, std::string(8, '\xff'));
  nvdb_db *damaged = open_db(loc, NVDB_OPEN_READ, 0);
  const char *id = "a";
  nvdb_records *recs = nullptr;
  BOOST_TEST(nvdb_get(damaged, 1, &id, &recs) == NVDB_ECORRUPT);
  BOOST_TEST(std::string(nvdb_errmsg()).find("row 0") != std::string::npos, nvdb_errmsg());
  nvdb_close(damaged);
  // The same, with row 0's birth stamp also ~0 (the value that means "not
  // checked yet" to a reader), read by a query: the commit still counts
  // every row live, so row 0 is scored, and its entry is checked all the
  // same.
  patch(4096, std::string(8, '\xff'));
  damaged = open_db(loc, NVDB_OPEN_READ, 0);
  nvdb_query_options o = NVDB_QUERY_OPTIONS_INIT;
  o.top_k = 2;
  const float q[] = {1, 0, 0, 0};
  nvdb_hits *hits = nullptr;
  BOOST_TEST(nvdb_query(damaged, q, 4, &o, &hits) == NVDB_ECORRUPT);
  BOOST_TEST(std::string(nvdb_errmsg()).find("row 0") != std::string::npos, nvdb_errmsg());
  nvdb_close(damaged);
  patch(0, original);

  fs::resize_file(data, original.size() / 2);
  int status = 0;
  BOOST_TEST(open_db(loc, NVDB_OPEN_READ, 0, &status) == nullptr);
  BOOST_TEST(status == NVDB_ECORRUPT);
  BOOST_TEST(std::string(nvdb_errmsg()).find("truncated") != std::string::npos, nvdb_errmsg());
}

namespace {

// nvdb_verify's status and report (the report is NULL only on other errors).
struct Verified {
  int status;
  std::string report;
  bool mentions(const std::string &text) const { return report.find(text) != std::string::npos; }
};

Verified verify(nvdb_db *db) {
  char *report = nullptr;
  Verified v{nvdb_verify(db, &report), ""};
  BOOST_REQUIRE_MESSAGE(report != nullptr, "no report: " << nvdb_errmsg());
  v.report = report;
  nvdb_free(report);
  return v;
}

// Overwrites bytes of a store file in place, as a disk or another program might.
void patch_file(const std::string &path, std::streamoff at, const std::string &bytes) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(at);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string slurp_file(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace

BOOST_AUTO_TEST_CASE(verify_finds_sound_databases_sound) {
  TempDir dir;
  ShmName shm("verify");
  for (const std::string &loc : {shm.locator(), dir.file("ok.nvdb"), dir.file("ok.json"), std::string(":memory:")}) {
    BOOST_TEST_CONTEXT(loc) {
      nvdb_db *w = open_db(loc, NVDB_OPEN_CREATE);
      put(w, "a", {1, 2, 3, 4}, "{\"k\": [1, \"x\"]}");
      put(w, "b", {4, 3, 2, 1});
      put(w, "a", {1, 1, 1, 1});  // a dead row too
      BOOST_REQUIRE_EQUAL(nvdb_set_additional_data(w, "{\"note\": 1}"), NVDB_OK);
      Verified v = verify(w);
      BOOST_TEST(v.status == NVDB_OK, v.report);
      BOOST_TEST(v.mentions("\"sound\":true"), v.report);
      BOOST_TEST(v.mentions("\"rows_checked\":3"), v.report);
      BOOST_TEST(v.mentions("\"vectors_checked\":2"), v.report);
      BOOST_TEST(v.mentions("\"problems\":[]"), v.report);
      if (loc != ":memory:" && loc.find(".json") == std::string::npos) {
        nvdb_db *r = open_db(loc, NVDB_OPEN_READ, 0);
        BOOST_TEST(verify(r).status == NVDB_OK);
        nvdb_close(r);
      }
      nvdb_close(w);
    }
  }
  char *report = reinterpret_cast<char *>(1);
  BOOST_TEST(nvdb_verify(nullptr, &report) == NVDB_EINVAL);
  BOOST_TEST(report == nullptr);
}

// Damage no open-time check sees (rows of older commits, which carry no
// data checksum, and commit records) is reported by verify.
BOOST_AUTO_TEST_CASE(verify_reports_each_kind_of_damage) {
  TempDir dir;
  const std::string loc = dir.file("victim.nvdb");
  nvdb_db *w = open_db(loc, NVDB_OPEN_CREATE);
  for (const char *id : {"a", "b", "c", "d"}) put(w, id, {1, 2, 3, 4});  // epochs 2 to 5
  nvdb_close(w);
  // dim 4, capacity 1,024: row stamps at 4096, row entries (32 bytes) at
  // 20480, vectors at 53248, the heap at 69632. The commit records of
  // epochs 4 and 5 cover rows 2 and 3 with a checksum; rows 0 and 1 only
  // the row checks.
  const std::string data = dir.file("victim.nvdb.1");
  const std::string original = slurp_file(data);
  std::uint64_t row1_heap = 0;
  std::memcpy(&row1_heap, original.data() + 20480 + 32, sizeof row1_heap);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  struct Case {
    std::streamoff at;
    std::string bytes, part, message;
  };
  for (const Case &c : std::vector<Case>{
           {20480, std::string(8, '\xff'), "row", "row 0: its id and metadata lie outside the heap"},
           {69632, "\xff", "row", "row 0: its id is not UTF-8"},
           {53248 + 4, std::string(reinterpret_cast<const char *>(&nan), 4), "vector",
            "row 0: its vector has a NaN"},
           {53248, std::string("\x00\x00\x80\x40", 4), "vector", "row 0: its vector is not of unit length"},
           {69632 + static_cast<std::streamoff>(row1_heap), "a", "id", "row 1: id \\\"a\\\" is also"},
           {128 + 16, "\x05", "commit record", "commit record 0: checksum mismatch"},
           {53248 + 3 * 16, "\x01", "data", "commit record 1 (epoch 5): the rows"},
       }) {
    BOOST_TEST_CONTEXT(c.message) {
      patch_file(data, c.at, c.bytes);
      nvdb_db *r = open_db(loc, NVDB_OPEN_READ, 0);
      Verified v = verify(r);
      BOOST_TEST(v.status == NVDB_ECORRUPT);
      BOOST_TEST(std::string(nvdb_errmsg()).find("damaged") != std::string::npos, nvdb_errmsg());
      BOOST_TEST(v.mentions("\"sound\":false"), v.report);
      BOOST_TEST(v.mentions("{\"part\":\"" + c.part + "\",\"message\":\"" + c.message), v.report);
      nvdb_close(r);
      patch_file(data, 0, original);
    }
  }
  // A header damaged after the store was opened (open checks it first).
  nvdb_db *r = open_db(loc, NVDB_OPEN_READ, 0);
  BOOST_TEST(verify(r).status == NVDB_OK);
  patch_file(data, 104, std::string(8, '\x07'));  // the header checksum itself
  Verified v = verify(r);
  BOOST_TEST(v.status == NVDB_ECORRUPT);
  BOOST_TEST(v.mentions("{\"part\":\"header\",\"message\":"), v.report);
  BOOST_TEST(v.mentions("header checksum mismatch"), v.report);
  nvdb_close(r);
  patch_file(data, 0, original);
}

std::uint64_t info_number(nvdb_db *db, const std::string &field) {
  char *info = nullptr;
  BOOST_REQUIRE_EQUAL(nvdb_info(db, &info), NVDB_OK);
  const std::string text(info);
  nvdb_free(info);
  const std::size_t at = text.find("\"" + field + "\":");
  BOOST_REQUIRE_MESSAGE(at != std::string::npos, text);
  return std::strtoull(text.c_str() + at + field.size() + 3, nullptr, 10);
}

// Replaces records r0 .. r{n-1} in batches of 100: vector (1, i, 0, 0) in
// round 0, (0, 0, 1, i) after; metadata {"round": round}.
int replace_all(nvdb_db *w, int n, int round) {
  for (int start = 0; start < n; start += 100) {
    std::vector<std::string> names, metas;
    std::vector<float> vecs;
    for (int i = start; i < std::min(n, start + 100); ++i) {
      names.push_back("r" + std::to_string(i));
      metas.push_back("{\"round\":" + std::to_string(round) + "}");
      const std::vector<float> v = round == 0 ? std::vector<float>{1, float(i), 0, 0}
                                              : std::vector<float>{0, 0, 1, float(i)};
      vecs.insert(vecs.end(), v.begin(), v.end());
    }
    std::vector<const char *> ids, ms;
    for (std::size_t i = 0; i < names.size(); ++i) {
      ids.push_back(names[i].c_str());
      ms.push_back(metas[i].c_str());
    }
    const int st = nvdb_upsert(w, ids.size(), ids.data(), vecs.data(), vecs.size(), ms.data(), nullptr);
    if (st != NVDB_OK) return st;
  }
  return NVDB_OK;
}

// Inserts records n0 .. n99 in one commit: vector (0, 1, 0, i), no metadata.
int insert_n_records(nvdb_db *w) {
  std::vector<float> vecs;
  std::vector<std::string> names;
  for (int i = 0; i < 100; ++i) {
    names.push_back("n" + std::to_string(i));
    vecs.insert(vecs.end(), {0, 1, 0, float(i)});
  }
  std::vector<const char *> ids;
  for (const std::string &n : names) ids.push_back(n.c_str());
  return nvdb_upsert(w, ids.size(), ids.data(), vecs.data(), vecs.size(), nullptr, nullptr);
}

nvdb_db *open_no_sync(const std::string &locator, unsigned permissions = 0) {
  nvdb_options opts = NVDB_OPTIONS_INIT;
  opts.dim = 4;
  opts.mode = NVDB_OPEN_CREATE;
  opts.flags = NVDB_FLAG_NO_SYNC;
  opts.permissions = permissions;
  nvdb_db *db = nullptr;
  BOOST_REQUIRE_MESSAGE(nvdb_open(&db, locator.c_str(), &opts) == NVDB_OK, nvdb_errmsg());
  return db;
}

// A shared-memory store writes a replaced record into a row no reader can
// see any more: the rows stay about as many as the records, and no
// generation is rewritten. So does a store file without fsync, once the
// rows are older than its last two flushes, which it makes when a quarter
// of the room dead rows have waits for one. Durable store files append (for the cost
// of scattered flushes) and rewrite.
BOOST_AUTO_TEST_CASE(replaced_records_reuse_rows_no_reader_sees) {
  TempDir dir;
  ShmName shm("reuse");
  for (const std::string &loc : {shm.locator(), dir.file("nosync.nvdb"), dir.file("durable.nvdb")}) {
    const bool shared = loc == shm.locator(), durable = loc == dir.file("durable.nvdb");
    BOOST_TEST_CONTEXT(loc) {
      nvdb_db *w = open_no_sync(loc);
      BOOST_REQUIRE_EQUAL(replace_all(w, 1000, 0), NVDB_OK);
      if (durable) {
        nvdb_close(w);
        w = open_db(loc, NVDB_OPEN_WRITE, 0);
      }
      nvdb_db *r = open_db(loc, NVDB_OPEN_READ, 0);  // attached, between queries
      // The first round grows the generation (capacity 1,024 rows) once.
      BOOST_REQUIRE_EQUAL(replace_all(w, 1000, 1), NVDB_OK);
      const std::uint64_t generation = info_number(w, "generation");
      for (int round = 2; round <= 20; ++round) BOOST_REQUIRE_EQUAL(replace_all(w, 1000, round), NVDB_OK);
      if (durable) {
        BOOST_TEST(info_number(w, "generation") > generation);  // rewritten to reclaim
      } else {
        // The last two commits' dead rows wait: the commit record before
        // the last one must stay whole. In a file, rows wait for two flushes.
        BOOST_TEST_MESSAGE("rows " << info_number(w, "rows"));
        BOOST_TEST(info_number(w, "rows") <= (shared ? 1200u : 1800u));
        BOOST_TEST(info_number(w, "generation") == generation);
      }
      BOOST_TEST(count(r) == 1000u);
      nvdb_query_options o = NVDB_QUERY_OPTIONS_INIT;
      o.top_k = 1;
      const float q[] = {0, 0, 0.6f, 0.8f};
      nvdb_hits *hits = nullptr;
      BOOST_REQUIRE_EQUAL(nvdb_query(r, q, 4, &o, &hits), NVDB_OK);
      BOOST_REQUIRE_EQUAL(nvdb_hits_count(hits), 1u);
      BOOST_TEST(std::string(nvdb_hits_metadata(hits, 0)) == "{\"round\":20}");
      nvdb_hits_free(hits);
      BOOST_TEST(verify(r).status == NVDB_OK);
      nvdb_close(r);
      nvdb_close(w);
      if (shared) {
        // Reopened, the writer finds the dead rows again.
        w = open_db(loc, NVDB_OPEN_WRITE, 0);
        const std::uint64_t rows = info_number(w, "rows");
        BOOST_REQUIRE_EQUAL(replace_all(w, 1000, 21), NVDB_OK);
        BOOST_TEST(info_number(w, "rows") <= rows + 200);
        BOOST_TEST(count(w) == 1000u);
        nvdb_close(w);
      }
    }
  }
}

// A query's callback that, the first time it is called, has the writer
// replace records r0 to r99 five times: each round kills rows the query is
// reading, which the writer must leave alone until the query is over.
struct Midway {
  nvdb_db *writer;
  bool done = false;
  int status = NVDB_OK;
};
int replace_midway(const char *, const char *, void *ctx) {
  auto *m = static_cast<Midway *>(ctx);
  if (!m->done) {
    m->done = true;
    for (int round = 1; round <= 5 && m->status == NVDB_OK; ++round) m->status = replace_all(m->writer, 100, round);
  }
  return 1;
}

BOOST_AUTO_TEST_CASE(a_query_keeps_the_rows_it_reads_from_reuse) {
  ShmName shm("pinned");
  nvdb_db *w = open_db(shm.locator(), NVDB_OPEN_CREATE);
  // 1,000 records, r0 to r99 replaced twice: the generation has grown, and
  // dead rows never outnumber live ones (no compaction).
  BOOST_REQUIRE_EQUAL(replace_all(w, 1000, 0), NVDB_OK);
  for (int i = 0; i < 2; ++i) BOOST_REQUIRE_EQUAL(replace_all(w, 100, 0), NVDB_OK);
  nvdb_db *r = open_db(shm.locator(), NVDB_OPEN_READ, 0);
  for (nvdb_db *asker : {r, w}) {  // another handle's query, and the writer's own
    BOOST_TEST_CONTEXT((asker == r ? "reader" : "writer")) {
      Midway midway{w};
      nvdb_query_options o = NVDB_QUERY_OPTIONS_INIT;
      o.top_k = 100;
      o.filter_fn = replace_midway;
      o.filter_ctx = &midway;
      // r0 to r99 hold (1, i, 0, 0) at first, (0, 0, 1, i) after round 5.
      const std::vector<float> q = asker == r ? std::vector<float>{1, 0, 0, 0} : std::vector<float>{0, 0, 1, 0};
      nvdb_hits *hits = nullptr;
      BOOST_REQUIRE_EQUAL(nvdb_query(asker, q.data(), 4, &o, &hits), NVDB_OK);
      BOOST_REQUIRE_EQUAL(midway.status, NVDB_OK);
      // The query saw the records as they were when it began, whole.
      BOOST_REQUIRE_EQUAL(nvdb_hits_count(hits), 100u);
      const std::string before = asker == r ? "{\"round\":0}" : "{\"round\":5}";
      BOOST_TEST(std::string(nvdb_hits_id(hits, 0)) == "r0");
      BOOST_TEST(nvdb_hits_score(hits, 0) == 1.0f, boost::test_tools::tolerance(1e-6f));
      for (size_t i = 0; i < nvdb_hits_count(hits); ++i) BOOST_TEST(std::string(nvdb_hits_metadata(hits, i)) == before);
      nvdb_hits_free(hits);
      // Meanwhile the writer appended; once the query is over, it reuses
      // the rows the query kept.
      const std::uint64_t rows = info_number(w, "rows");
      for (int round = 6; round <= 10; ++round) BOOST_REQUIRE_EQUAL(replace_all(w, 100, round), NVDB_OK);
      BOOST_TEST(info_number(w, "rows") == rows);
      BOOST_REQUIRE_EQUAL(replace_all(w, 100, 5), NVDB_OK);  // what the writer's query begins with
    }
  }
  nvdb_close(r);
  nvdb_close(w);
}

BOOST_AUTO_TEST_CASE(compact_drops_dead_rows_while_readers_keep_reading) {
  TempDir dir;
  ShmName shm("compact");
  for (const std::string &loc : both_kinds(dir, shm)) {
    BOOST_TEST_CONTEXT(loc) {
      nvdb_db *w = open_db(loc, NVDB_OPEN_CREATE);
      for (int i = 0; i < 100; ++i) put(w, "r" + std::to_string(i), {1, float(i), 0, 1});
      std::vector<std::string> names;
      for (int i = 0; i < 30; ++i) names.push_back("r" + std::to_string(i));
      std::vector<const char *> ids;
      for (const auto &n : names) ids.push_back(n.c_str());
      BOOST_REQUIRE_EQUAL(nvdb_delete(w, ids.size(), ids.data(), nullptr), NVDB_OK);
      nvdb_db *r = open_db(loc, NVDB_OPEN_READ, 0);
      const auto before = top_ids(r, {1, 50, 0, 1}, 3);
      char *info = nullptr;
      BOOST_REQUIRE_EQUAL(nvdb_info(w, &info), NVDB_OK);
      BOOST_TEST(std::string(info).find("\"generation\":1,") != std::string::npos, info);
      BOOST_TEST(std::string(info).find("\"rows\":100,") != std::string::npos, info);
      nvdb_free(info);

      BOOST_REQUIRE_MESSAGE(nvdb_compact(w) == NVDB_OK, nvdb_errmsg());
      BOOST_REQUIRE_EQUAL(nvdb_info(w, &info), NVDB_OK);
      BOOST_TEST(std::string(info).find("\"generation\":2,") != std::string::npos, info);
      BOOST_TEST(std::string(info).find("\"rows\":70,") != std::string::npos, info);
      nvdb_free(info);
      BOOST_TEST(count(r) == 70u);  // the reader follows to the new generation
      BOOST_TEST(top_ids(r, {1, 50, 0, 1}, 3) == before);
      BOOST_TEST(nvdb_compact(r) == NVDB_EREADONLY);
      BOOST_TEST(verify(r).status == NVDB_OK);
      put(w, "new", {0, 0, 1, 0});  // the writer carries on in the new generation
      BOOST_TEST(count(r) == 71u);
      nvdb_close(r);
      nvdb_close(w);
      r = open_db(loc, NVDB_OPEN_READ, 0);
      BOOST_TEST(count(r) == 71u);
      nvdb_close(r);
    }
  }
  BOOST_TEST(!fs::exists(dir.file("docs.nvdb.1")));  // the old generation is removed
  BOOST_TEST(nvdb_compact(nullptr) == NVDB_EINVAL);
}

// How many mappings of this process show `path` (removed or not).
int mappings_of(const std::string &path) {
  std::ifstream maps("/proc/self/maps");
  int n = 0;
  for (std::string line; std::getline(maps, line);) {
    const auto at = line.find(path);
    if (at != std::string::npos && (at + path.size() == line.size() || line[at + path.size()] == ' ')) ++n;
  }
  return n;
}

// The process that lets go of an old generation last frees its memory, so
// the writer keeps it until the readers have moved on, then lets go.
BOOST_AUTO_TEST_CASE(the_writer_lets_go_of_an_old_generation_once_readers_move_on) {
  TempDir dir;
  ShmName shm("retire");
  for (const std::string &loc : both_kinds(dir, shm)) {
    BOOST_TEST_CONTEXT(loc) {
      const std::string first = loc == shm.locator() ? "/dev/shm/nvdb-" + shm.name + ".1" : loc + ".1";
      nvdb_db *w = open_db(loc, NVDB_OPEN_CREATE);
      for (int i = 0; i < 10; ++i) put(w, "r" + std::to_string(i), {1, float(i), 0, 1});
      nvdb_db *r = open_db(loc, NVDB_OPEN_READ, 0);
      BOOST_TEST(count(r) == 10u);
      BOOST_TEST(mappings_of(first) == 2);  // the writer's and the reader's
      BOOST_REQUIRE_MESSAGE(nvdb_compact(w) == NVDB_OK, nvdb_errmsg());
      BOOST_TEST(mappings_of(first) == 2);  // kept: the reader is on it
      BOOST_TEST(count(r) == 10u);          // the reader moves on...
      BOOST_TEST(mappings_of(first) == 1);
      usleep(10000);
      put(w, "r10", {1, 1, 1, 1});  // ...and the writer's next commit lets go
      BOOST_TEST(mappings_of(first) == 0);
      BOOST_TEST(count(r) == 11u);
      nvdb_close(r);
      nvdb_close(w);
    }
  }
}

BOOST_AUTO_TEST_CASE(compact_gives_space_back_and_works_in_memory) {
  TempDir dir;
  const std::string loc = dir.file("big.nvdb");
  nvdb_db *w = open_db(loc, NVDB_OPEN_CREATE, 256);
  const int n = 3000;
  std::vector<std::string> names(n);
  std::vector<const char *> ids(n);
  std::vector<float> vecs(std::size_t(n) * 256, 1.0f);
  for (int i = 0; i < n; ++i) {
    names[i] = "v" + std::to_string(i);
    ids[i] = names[i].c_str();
    vecs[std::size_t(i) * 256 + i % 256] = 2.0f + i;
  }
  BOOST_REQUIRE_EQUAL(nvdb_upsert(w, n, ids.data(), vecs.data(), vecs.size(), nullptr, nullptr), NVDB_OK);
  BOOST_REQUIRE_EQUAL(nvdb_delete(w, 1000, ids.data(), nullptr), NVDB_OK);
  auto generation_bytes = [&] {
    uintmax_t total = 0;
    for (const auto &e : fs::directory_iterator(dir.path))
      if (e.path().filename() != "big.nvdb") total += fs::file_size(e.path());
    return total;
  };
  const uintmax_t before = generation_bytes();
  BOOST_REQUIRE_EQUAL(nvdb_compact(w), NVDB_OK);
  const uintmax_t after = generation_bytes();
  BOOST_TEST(after < before / 2, before << " -> " << after);
  BOOST_TEST(count(w) == 2000u);
  BOOST_TEST(verify(w).status == NVDB_OK);
  nvdb_close(w);

  for (const std::string &mem : {std::string(":memory:"), dir.file("m.json")}) {
    nvdb_db *m = open_db(mem, NVDB_OPEN_CREATE);
    put(m, "a", {1, 0, 0, 0});
    put(m, "b", {0, 1, 0, 0});
    put(m, "a", {0, 0, 1, 0});
    BOOST_TEST(nvdb_compact(m) == NVDB_OK, nvdb_errmsg());
    BOOST_TEST(count(m) == 2u);
    BOOST_TEST(top_ids(m, {0, 0, 1, 0}, 1) == std::vector<std::string>{"a"});
    nvdb_close(m);
  }
  nvdb_db *m = open_db(dir.file("m.json"), NVDB_OPEN_READ, 0);
  BOOST_TEST(count(m) == 2u);
  BOOST_TEST(nvdb_compact(m) == NVDB_EREADONLY);
  nvdb_close(m);
}

// ---------------------------------------------------------------------------
// A full filesystem. The writer runs in a child process with mounts of its
// own, where /dev/shm and a folder are small tmpfs filesystems.

namespace {

bool write_text(const char *path, const std::string &text) {
  std::ofstream out(path);
  out << text;
  return bool(out.flush());
}

// Enters a mount namespace of its own, private from the rest of the
// system; through a user namespace when this process may not do it alone.
bool enter_private_mounts() {
  if (::unshare(CLONE_NEWNS) != 0) {
    const std::string uid = std::to_string(::getuid()), gid = std::to_string(::getgid());
    if (::unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) return false;
    if (!write_text("/proc/self/setgroups", "deny") || !write_text("/proc/self/uid_map", "0 " + uid + " 1") ||
        !write_text("/proc/self/gid_map", "0 " + gid + " 1"))
      return false;
  }
  return ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0;
}

bool mount_tmpfs(const std::string &dir, const std::string &size) {
  return ::mount("tmpfs", dir.c_str(), "tmpfs", 0, ("size=" + size).c_str()) == 0;
}

// Runs fn in a child process and returns its wait status.
template <class Fn>
int in_child(Fn fn) {
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) ::_exit(fn());
  int status = 0;
  ::waitpid(pid, &status, 0);
  return status;
}

boost::test_tools::assertion_result can_mount_small_filesystems(boost::unit_test::test_unit_id) {
  TempDir dir;
  const int status = in_child([&] { return enter_private_mounts() && mount_tmpfs(dir.path.string(), "1m") ? 0 : 1; });
  boost::test_tools::assertion_result ok(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  ok.message() << "this system lets no process mount a tmpfs in a namespace of its own";
  return ok;
}

// In the child: fills the store at `locator` until its filesystem is full,
// and checks that the failing write said so and lost nothing. 0 if all held.
int fill_until_full(const std::string &locator) {
  auto fail = [&](const std::string &what) {
    std::fprintf(stderr, "%s: %s (%s)\n", locator.c_str(), what.c_str(), nvdb_errmsg());
    return 1;
  };
  nvdb_options opts = NVDB_OPTIONS_INIT;
  opts.dim = 256;
  nvdb_db *w = nullptr;
  if (nvdb_open(&w, locator.c_str(), &opts) != NVDB_OK) return fail("cannot create the store");
  const int batch = 64;
  std::vector<float> vecs(batch * 256);
  std::vector<std::string> names(batch);
  std::vector<const char *> ids(batch);
  int committed = 0, status = NVDB_OK;
  while (committed < 1000000) {
    for (int i = 0; i < batch; ++i) {
      names[i] = "r" + std::to_string(committed + i);
      ids[i] = names[i].c_str();
      for (int d = 0; d < 256; ++d) vecs[i * 256 + d] = float((committed + i) % 97 + d % 5 + 1);
    }
    status = nvdb_upsert(w, batch, ids.data(), vecs.data(), vecs.size(), nullptr, nullptr);
    if (status != NVDB_OK) break;
    committed += batch;
  }
  if (status != NVDB_ENOMEM) return fail("the write that found no room gave " + std::to_string(status));
  std::fprintf(stderr, "%s: full after %d records: %s\n", locator.c_str(), committed, nvdb_errmsg());
  if (!std::strstr(nvdb_errmsg(), "No space left")) return fail("the message does not say what is wrong");
  size_t n = 0;
  if (nvdb_count(w, &n) != NVDB_OK || n != size_t(committed)) return fail("the writer lost commits");
  // The failed batch left nothing, and the writer goes on: a delete needs
  // no new room.
  nvdb_records *got = nullptr;
  if (nvdb_get(w, 1, ids.data(), &got) != NVDB_OK || nvdb_records_count(got) != 0)
    return fail("a record of the failed batch is there");
  nvdb_records_free(got);
  const char *first[] = {"r0"};
  size_t deleted = 0;
  if (nvdb_delete(w, 1, first, &deleted) != NVDB_OK || deleted != 1) return fail("the writer cannot delete");
  committed -= 1;
  // A delete that leaves the generation mostly dead succeeds: reclaiming
  // it, which needs room, belongs to the next write, and if that write
  // fails for want of room it changes nothing.
  std::vector<std::string> doomed;
  for (int i = 1; i <= committed * 2 / 3; ++i) doomed.push_back("r" + std::to_string(i));
  std::vector<const char *> doomed_ids;
  for (const auto &d : doomed) doomed_ids.push_back(d.c_str());
  if (nvdb_delete(w, doomed_ids.size(), doomed_ids.data(), &deleted) != NVDB_OK || deleted != doomed.size())
    return fail("a large delete failed");
  committed -= int(deleted);
  const char *again[] = {"again"};
  status = nvdb_upsert(w, 1, again, vecs.data(), 256, nullptr, nullptr);
  if (status != NVDB_OK && status != NVDB_ENOMEM) return fail("the write after it gave " + std::to_string(status));
  if (status == NVDB_OK) committed += 1;
  if (nvdb_count(w, &n) != NVDB_OK || n != size_t(committed)) return fail("the count is wrong after the delete");
  nvdb_close(w);
  nvdb_options read = NVDB_OPTIONS_INIT;
  read.mode = NVDB_OPEN_READ;
  nvdb_db *r = nullptr;
  if (nvdb_open(&r, locator.c_str(), &read) != NVDB_OK) return fail("the store does not reopen");
  if (nvdb_count(r, &n) != NVDB_OK || n != size_t(committed)) return fail("the reopened store lost commits");
  nvdb_close(r);
  return 0;
}

// In the child: /dev/shm is filled up behind an shm store with rows to
// spare; then a batch that writes freed rows in place with new heap extents
// fails on its appended rows. Those rows must give up their extents: the
// next commit puts the additional data where they were, and the next batch
// reuses the rows, which must not write into it. 0 if all held.
int reuse_after_a_failed_batch(const std::string &locator, const std::string &filler) {
  auto fail = [&](const std::string &what) {
    std::fprintf(stderr, "%s: %s (%s)\n", locator.c_str(), what.c_str(), nvdb_errmsg());
    return 1;
  };
  nvdb_options opts = NVDB_OPTIONS_INIT;
  opts.dim = 256;  // a first generation of 1,024 rows
  nvdb_db *w = nullptr;
  if (nvdb_open(&w, locator.c_str(), &opts) != NVDB_OK) return fail("cannot create the store");
  auto upsert = [&](const std::string &prefix, int n, const std::string &meta) {
    std::vector<std::string> names;
    std::vector<const char *> ids, metas;
    std::vector<float> vecs(std::size_t(n) * 256, 1.0f);
    for (int i = 0; i < n; ++i) names.push_back(prefix + std::to_string(i));
    for (int i = 0; i < n; ++i) {
      ids.push_back(names[i].c_str());
      metas.push_back(meta.c_str());
      vecs[std::size_t(i) * 256 + std::size_t(i % 256)] = 2;
    }
    return nvdb_upsert(w, n, ids.data(), vecs.data(), vecs.size(), metas.data(), nullptr);
  };
  if (upsert("r", 100, "{}") != NVDB_OK) return fail("cannot fill");
  std::vector<std::string> gone;
  for (int i = 0; i < 10; ++i) gone.push_back("r" + std::to_string(i));
  std::vector<const char *> gone_ids;
  for (const auto &g : gone) gone_ids.push_back(g.c_str());
  if (nvdb_delete(w, gone_ids.size(), gone_ids.data(), nullptr) != NVDB_OK) return fail("cannot delete");
  if (nvdb_set_additional_data(w, "{}") != NVDB_OK) return fail("cannot commit");  // the rows are free now
  {
    std::ofstream out(filler, std::ios::binary);
    const std::string block(1 << 16, 'f');
    while (out.write(block.data(), block.size()) && out.flush()) {
    }
  }
  const std::string big = "{\"pad\":\"" + std::string(300, 'x') + "\"}";
  if (upsert("big", 10 + 64, big) != NVDB_ENOMEM) return fail("the batch past the free rows did not fail for room");
  const std::string extra = "{\"doc\":\"" + std::string(8000, 'y') + "\"}";
  if (nvdb_set_additional_data(w, extra.c_str()) != NVDB_OK) return fail("cannot set the additional data");
  if (upsert("small", 10, "{\"a\":1}") != NVDB_OK) return fail("cannot reuse the rows");
  char *got = nullptr;
  if (nvdb_get_additional_data(w, &got) != NVDB_OK) return fail("cannot read the additional data");
  const bool intact = extra == got;
  nvdb_free(got);
  if (!intact) return fail("a reused row wrote into the additional data");
  char *report = nullptr;
  if (nvdb_verify(w, &report) != NVDB_OK) return fail(std::string("verify: ") + (report ? report : ""));
  nvdb_free(report);
  nvdb_close(w);
  return 0;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_full_filesystem_is_an_error_and_loses_nothing,
                     *boost::unit_test::precondition(can_mount_small_filesystems)) {
  TempDir dir;
  const int status = in_child([&] {
    if (!enter_private_mounts() || !mount_tmpfs(dir.path.string(), "4m") || !mount_tmpfs("/dev/shm", "4m"))
      return 2;
    const int shm = fill_until_full("shm:full");
    const int file = fill_until_full(dir.file("full.nvdb"));
    return shm | file;
  });
  // Before space was reserved, a write through the mapping that found no
  // room killed the writer with SIGBUS.
  BOOST_REQUIRE_MESSAGE(WIFEXITED(status), "the writer died of signal " << WTERMSIG(status));
  BOOST_TEST(WEXITSTATUS(status) == 0, "see the messages above");
}

BOOST_AUTO_TEST_CASE(rows_a_failed_batch_wrote_in_place_keep_no_heap,
                     *boost::unit_test::precondition(can_mount_small_filesystems)) {
  const int status = in_child([&] {
    if (!enter_private_mounts() || !mount_tmpfs("/dev/shm", "4m")) return 2;
    return reuse_after_a_failed_batch("shm:reuse-full", "/dev/shm/filler");
  });
  BOOST_REQUIRE_MESSAGE(WIFEXITED(status), "the writer died of signal " << WTERMSIG(status));
  BOOST_TEST(WEXITSTATUS(status) == 0, "see the messages above");
}

// A writer that may not write a store is told so; a reader that may read
// it reads it all the same (it is then not listed among the readers).
BOOST_AUTO_TEST_CASE(a_store_others_may_only_read) {
  TempDir dir;
  const std::string loc = dir.file("shared.nvdb");
  nvdb_db *w = open_db(loc, NVDB_OPEN_CREATE, 4, nullptr, 0644);
  put(w, "a", {1, 0, 0, 0});
  nvdb_close(w);
  BOOST_REQUIRE(::chmod(dir.path.c_str(), 0755) == 0);
  const int status = in_child([&] {
    // Another user; or, when this is not root, the same one with the root
    // object made read-only.
    const bool as_other = ::geteuid() == 0;
    if (as_other ? ::setgid(65534) != 0 || ::setuid(65534) != 0 : ::chmod(loc.c_str(), 0444) != 0) return 10;
    nvdb_options opts = NVDB_OPTIONS_INIT;
    opts.mode = NVDB_OPEN_WRITE;
    nvdb_db *db = nullptr;
    const int st = nvdb_open(&db, loc.c_str(), &opts);
    if (st != NVDB_EIO || !std::strstr(nvdb_errmsg(), "permission denied")) {
      std::fprintf(stderr, "the writer got %d: %s\n", st, nvdb_errmsg());
      return 1;
    }
    opts.mode = NVDB_OPEN_READ;
    size_t n = 0;
    if (nvdb_open(&db, loc.c_str(), &opts) != NVDB_OK || nvdb_count(db, &n) != NVDB_OK || n != 1) {
      std::fprintf(stderr, "the reader: %s\n", nvdb_errmsg());
      return 2;
    }
    nvdb_close(db);
    return 0;
  });
  BOOST_REQUIRE_MESSAGE(WIFEXITED(status), "the child died of signal " << WTERMSIG(status));
  BOOST_TEST(WEXITSTATUS(status) == 0, "see the messages above");
}

// A reader that may not write the root is in no slot of the reader table:
// while one is open, the writer cannot tell which rows it sees, and reuses
// none; once it is gone, the writer reuses them again. In shared memory,
// and in a store file written without fsync.
BOOST_AUTO_TEST_CASE(a_reader_outside_the_reader_table_holds_back_reuse) {
  ShmName shm("unlisted");
  TempDir dir;
  ::chmod(dir.path.c_str(), 0755);  // for a reader of another user
  for (const std::string &loc : {shm.locator(), dir.file("unlisted.nvdb")}) {
    const bool shared = loc == shm.locator();
    BOOST_TEST_CONTEXT(loc) {
      const std::string root = shared ? "/dev/shm/nvdb-" + shm.name : loc;
      nvdb_db *w = open_no_sync(loc, 0644);
      BOOST_REQUIRE_EQUAL(replace_all(w, 1000, 0), NVDB_OK);
      for (int i = 0; i < 2; ++i) BOOST_REQUIRE_EQUAL(replace_all(w, 100, 0), NVDB_OK);  // grown, 200 dead rows
      int ready[2], go[2];
      BOOST_REQUIRE(::pipe(ready) == 0 && ::pipe(go) == 0);
      std::fflush(nullptr);
      const pid_t child = ::fork();
      if (child == 0) {
        const bool as_other = ::geteuid() == 0;  // else the same user, the root made read-only
        if (as_other ? ::setgid(65534) != 0 || ::setuid(65534) != 0 : ::chmod(root.c_str(), 0444) != 0) ::_exit(10);
        nvdb_options opts = NVDB_OPTIONS_INIT;
        opts.mode = NVDB_OPEN_READ;
        nvdb_db *db = nullptr;
        if (nvdb_open(&db, loc.c_str(), &opts) != NVDB_OK) ::_exit(11);
        char c = 'r';
        if (::write(ready[1], &c, 1) != 1 || ::read(go[0], &c, 1) != 1) ::_exit(12);
        size_t n = 0;
        ::_exit(nvdb_count(db, &n) == NVDB_OK && n == 1000 ? 0 : 13);
      }
      char c = 0;
      BOOST_REQUIRE(::read(ready[0], &c, 1) == 1);
      const std::uint64_t rows = info_number(w, "rows"), generation = info_number(w, "generation");
      for (int round = 1; round <= 5; ++round) BOOST_REQUIRE_EQUAL(replace_all(w, 100, round), NVDB_OK);
      BOOST_TEST(info_number(w, "rows") == rows + 500);  // appended, none reused
      BOOST_REQUIRE(::write(go[1], &c, 1) == 1);
      int status = 0;
      ::waitpid(child, &status, 0);
      BOOST_TEST((WIFEXITED(status) && WEXITSTATUS(status) == 0), "the reader exited with " << status);
      for (int round = 6; round <= 10; ++round) BOOST_REQUIRE_EQUAL(replace_all(w, 100, round), NVDB_OK);
      // Reused: all of them in shm; in the file, those older than two
      // flushes, enough that dead rows never outnumber live ones (which
      // would rewrite the generation).
      if (shared) BOOST_TEST(info_number(w, "rows") == rows + 500);
      BOOST_TEST(info_number(w, "generation") == generation);
      BOOST_TEST(count(w) == 1000u);
      for (int fd : {ready[0], ready[1], go[0], go[1]}) ::close(fd);
      nvdb_close(w);
    }
  }
}

// A power loss may leave on disk a commit record written back before the
// data of the commits it follows (NVDB_FLAG_NO_SYNC): the store opens at
// the last commit known to be on disk, whole, and a writer goes on from it.
// Here the header is put back as it was three commits after an nvdb_save,
// and the rows the first of them added are zeroed, as if never written
// back; its successors' own data is intact.
BOOST_AUTO_TEST_CASE(a_no_sync_store_file_rolls_back_whole_after_a_power_loss) {
  TempDir dir;
  const std::string loc = dir.file("nosync.nvdb");
  nvdb_db *w = open_no_sync(loc);
  BOOST_REQUIRE_EQUAL(replace_all(w, 500, 0), NVDB_OK);
  BOOST_REQUIRE_EQUAL(nvdb_save(w), NVDB_OK);
  const std::uint64_t saved = info_number(w, "epoch");
  BOOST_TEST(info_number(w, "durable_epoch") == saved);
  BOOST_REQUIRE_EQUAL(insert_n_records(w), NVDB_OK);
  for (int round = 2; round <= 3; ++round) BOOST_REQUIRE_EQUAL(replace_all(w, 30, round), NVDB_OK);
  // Within a second of the save, and killing few rows, no write flushed again.
  BOOST_REQUIRE_EQUAL(info_number(w, "durable_epoch"), saved);
  const std::string data = loc + "." + std::to_string(info_number(w, "generation"));
  const std::string header_then = slurp_file(data).substr(0, 4096);
  for (int round = 4; round <= 5; ++round) BOOST_REQUIRE_EQUAL(replace_all(w, 100, round), NVDB_OK);
  BOOST_REQUIRE_EQUAL(info_number(w, "generation"), std::stoull(data.substr(loc.size() + 1)));
  nvdb_close(w);
  patch_file(data, 0, header_then);
  as_if_rebooted(data);
  // Capacity 1024 at dim 4: row entries (32 bytes) start at 20480.
  patch_file(data, 20480 + 500 * 32, std::string(100 * 32, '\0'));
  for (int reopened_by_writer = 0; reopened_by_writer < 2; ++reopened_by_writer) {
    BOOST_TEST_CONTEXT("reopened by a writer: " << reopened_by_writer) {
      nvdb_db *r = open_db(loc, NVDB_OPEN_READ);
      BOOST_TEST(count(r) == 500u);
      const char *probe[] = {"r5", "n5"};
      nvdb_records *recs = nullptr;
      BOOST_REQUIRE_EQUAL(nvdb_get(r, 2, probe, &recs), NVDB_OK);
      BOOST_REQUIRE_EQUAL(nvdb_records_count(recs), 1u);
      BOOST_TEST(std::string(nvdb_records_metadata(recs, 0)) == "{\"round\":0}");
      nvdb_records_free(recs);
      // The lost commits' records are damage until a writer replaces them.
      const Verified v = verify(r);
      BOOST_TEST(v.status == (reopened_by_writer ? NVDB_OK : NVDB_ECORRUPT), v.report);
      BOOST_TEST((v.report.find("set aside at open") != std::string::npos) == !reopened_by_writer, v.report);
      BOOST_TEST(v.report.find("\"part\":\"row\"") == std::string::npos, v.report);
      nvdb_close(r);
      if (reopened_by_writer) break;
      // The writer republishes that commit and goes on from it: the
      // records of the lost commits do not come back.
      w = open_db(loc, NVDB_OPEN_WRITE);
      BOOST_TEST(info_number(w, "epoch") == saved);
      nvdb_close(w);
    }
  }
  w = open_db(loc, NVDB_OPEN_WRITE);
  BOOST_REQUIRE_EQUAL(replace_all(w, 100, 6), NVDB_OK);
  nvdb_close(w);
  nvdb_db *r = open_db(loc, NVDB_OPEN_READ);
  BOOST_TEST(count(r) == 500u);
  BOOST_TEST(info_number(r, "epoch") == saved + 1);
  BOOST_TEST(verify(r).status == NVDB_OK);
  nvdb_close(r);
}

// A writer without fsync that dies leaves its durable record behind its
// last commit. The next writer's first durable commit must survive a power
// loss all the same: recovery takes a commit only one past a durable
// record, so that writer flushes the record first. Here the power fails
// after its commit's flush, before the record of that commit reached the
// disk.
BOOST_AUTO_TEST_CASE(a_durable_commit_after_a_no_sync_writer_died_survives_a_power_loss) {
  TempDir dir;
  const std::string loc = dir.file("after-no-sync.nvdb");
  std::fflush(nullptr);
  const pid_t child = ::fork();
  if (child == 0) {
    nvdb_options opts = NVDB_OPTIONS_INIT;
    opts.dim = 4;
    opts.mode = NVDB_OPEN_CREATE;
    opts.flags = NVDB_FLAG_NO_SYNC;
    nvdb_db *db = nullptr;
    if (nvdb_open(&db, loc.c_str(), &opts) != NVDB_OK) ::_exit(11);
    if (replace_all(db, 500, 0) != NVDB_OK || nvdb_save(db) != NVDB_OK) ::_exit(12);
    for (int round = 1; round <= 3; ++round)
      if (replace_all(db, 30, round) != NVDB_OK) ::_exit(13);
    ::_exit(0);  // as if killed: no close, nothing flushed since the save
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  BOOST_REQUIRE_MESSAGE(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the first writer exited with " << status);
  nvdb_db *w = open_db(loc, NVDB_OPEN_WRITE);  // durable
  BOOST_REQUIRE_EQUAL(replace_all(w, 30, 4), NVDB_OK);
  const std::uint64_t acknowledged = info_number(w, "epoch");
  const std::string data = loc + "." + std::to_string(info_number(w, "generation"));
  nvdb_close(w);
  forget_durable_after(data, acknowledged - 1);
  as_if_rebooted(data);
  nvdb_db *r = open_db(loc, NVDB_OPEN_READ);
  BOOST_TEST(info_number(r, "epoch") == acknowledged);
  const char *id = "r5";
  nvdb_records *recs = nullptr;
  BOOST_REQUIRE_EQUAL(nvdb_get(r, 1, &id, &recs), NVDB_OK);
  BOOST_REQUIRE_EQUAL(nvdb_records_count(recs), 1u);
  BOOST_TEST(std::string(nvdb_records_metadata(recs, 0)) == "{\"round\":4}");
  nvdb_records_free(recs);
  BOOST_TEST(verify(r).status == NVDB_OK, verify(r).report);
  nvdb_close(r);
}

// A store file without fsync reuses rows, but none that the commit its
// newest durable record names can see. Here the power fails after a flush
// (nvdb_save) and the commits up to the next flush: the disk may hold the
// header as the flush left it, with every later write to the rows. The
// store must open whole at that durable commit (or the one after it).
BOOST_AUTO_TEST_CASE(a_no_sync_store_file_reuses_no_row_a_power_loss_may_go_back_to) {
  TempDir dir;
  const std::string loc = dir.file("reuse-loss.nvdb");
  nvdb_db *w = open_no_sync(loc);
  for (int round = 0; round <= 6; ++round) BOOST_REQUIRE_EQUAL(replace_all(w, 1000, round), NVDB_OK);
  const std::uint64_t generation = info_number(w, "generation");
  const std::string data = loc + "." + std::to_string(generation);
  BOOST_REQUIRE_EQUAL(nvdb_save(w), NVDB_OK);
  const std::string header_then = slurp_file(data).substr(0, 4096);
  const std::uint64_t durable_then = info_number(w, "durable_epoch");
  // Commits of 10 records, up to the one whose write flushes next: each
  // kills rows visible at the durable commit.
  int commits = 0;
  while (info_number(w, "durable_epoch") == durable_then && commits < 40) {
    BOOST_REQUIRE_EQUAL(replace_all(w, 10, 7 + commits), NVDB_OK);
    ++commits;
  }
  BOOST_TEST_MESSAGE(commits << " commits after the flush");
  BOOST_REQUIRE_GE(commits, 4);
  BOOST_REQUIRE_EQUAL(info_number(w, "generation"), generation);  // rows are reused, not rewritten
  nvdb_close(w);
  patch_file(data, 0, header_then);
  as_if_rebooted(data);
  nvdb_db *r = open_db(loc, NVDB_OPEN_READ);
  BOOST_TEST(info_number(r, "epoch") <= durable_then + 1);
  std::vector<std::string> names;
  for (int i = 0; i < 1000; ++i) names.push_back("r" + std::to_string(i));
  std::vector<const char *> ids;
  for (const std::string &n : names) ids.push_back(n.c_str());
  nvdb_records *recs = nullptr;
  BOOST_REQUIRE_EQUAL(nvdb_get(r, ids.size(), ids.data(), &recs), NVDB_OK);
  BOOST_TEST(nvdb_records_count(recs) == 1000u);
  for (std::size_t i = 0; i < nvdb_records_count(recs); ++i)
    BOOST_TEST(std::string(nvdb_records_metadata(recs, i)) == "{\"round\":6}");
  nvdb_records_free(recs);
  BOOST_TEST(verify(r).status == NVDB_OK, verify(r).report);
  nvdb_close(r);
  w = open_db(loc, NVDB_OPEN_WRITE);
  BOOST_REQUIRE_EQUAL(replace_all(w, 1000, 20), NVDB_OK);
  nvdb_close(w);
  r = open_db(loc, NVDB_OPEN_READ);
  BOOST_TEST(count(r) == 1000u);
  BOOST_TEST(verify(r).status == NVDB_OK, verify(r).report);
  nvdb_close(r);
}

// After a power loss set a commit aside, a writer may make the very same
// commit again (same epoch, same rows, same bytes): a reader that opened
// in between sees it, as a new reader does.
BOOST_AUTO_TEST_CASE(a_commit_made_again_after_a_power_loss_is_seen) {
  TempDir dir;
  const std::string loc = dir.file("again.nvdb");
  nvdb_db *w = open_no_sync(loc);
  BOOST_REQUIRE_EQUAL(replace_all(w, 500, 0), NVDB_OK);
  BOOST_REQUIRE_EQUAL(nvdb_save(w), NVDB_OK);
  BOOST_REQUIRE_EQUAL(insert_n_records(w), NVDB_OK);
  const std::string data = loc + "." + std::to_string(info_number(w, "generation"));
  const std::string header_then = slurp_file(data).substr(0, 4096);
  nvdb_close(w);
  patch_file(data, 0, header_then);
  as_if_rebooted(data);
  const std::string entries = slurp_file(data).substr(20480 + 500 * 32, 100 * 32);
  patch_file(data, 20480 + 500 * 32, std::string(100 * 32, '\0'));  // never written back
  nvdb_db *early = open_db(loc, NVDB_OPEN_READ);
  BOOST_TEST(count(early) == 500u);
  w = open_db(loc, NVDB_OPEN_WRITE);
  BOOST_REQUIRE_EQUAL(insert_n_records(w), NVDB_OK);
  BOOST_REQUIRE(slurp_file(data).substr(20480 + 500 * 32, 100 * 32) == entries);  // the same bytes again
  BOOST_TEST(count(w) == 600u);
  BOOST_TEST(count(early) == 600u);
  nvdb_db *late = open_db(loc, NVDB_OPEN_READ);
  BOOST_TEST(count(late) == 600u);
  BOOST_TEST(verify(late).status == NVDB_OK);
  BOOST_TEST(verify(early).status == NVDB_OK, verify(early).report);
  nvdb_close(late);
  nvdb_close(early);
  nvdb_close(w);
}

// nvdb_verify reads a store file as a writer without fsync changes it:
// rows reused and lists written over, a flush at every commit (each kills
// more than a quarter of the live rows). A commit the writer may be
// writing over is no damage.
BOOST_AUTO_TEST_CASE(verify_finds_a_store_file_sound_while_its_writer_reuses_rows) {
  TempDir dir;
  const std::string loc = dir.file("busy.nvdb");
  nvdb_db *w = open_no_sync(loc);
  BOOST_REQUIRE_EQUAL(replace_all(w, 200, 0), NVDB_OK);
  nvdb_db *r = open_db(loc, NVDB_OPEN_READ);
  const std::uint64_t generation = info_number(w, "generation");
  std::atomic<bool> done{false};
  std::atomic<int> rounds{0};
  std::thread writer([&] {
    for (int round = 1; round <= 400 && !done; ++round) {
      if (replace_all(w, 200, round) != NVDB_OK) break;
      rounds = round;
    }
    done = true;
  });
  int checks = 0, unsound = 0;
  std::string report;
  while (!done) {
    const Verified v = verify(r);
    ++checks;
    if (v.status != NVDB_OK) {
      ++unsound;
      report = v.report;
    }
  }
  writer.join();
  BOOST_TEST_MESSAGE(checks << " checks during " << rounds << " rounds");
  BOOST_TEST(rounds == 400);
  // Rows reused: appending alone rewrites the generation 267 times (dead
  // rows outnumber the 200 live ones every round and a half). Each verify
  // pins its commit and holds reuse back while it runs, so on a loaded
  // machine there are rewrites too (54 seen).
  BOOST_TEST(info_number(w, "generation") < generation + 150);
  BOOST_TEST(unsound == 0, report);
  nvdb_close(r);
  nvdb_close(w);
}

// Without fsync, a store file's commits reach the disk at nvdb_save and
// nvdb_close, with each new generation, and at the first write a second
// after the last flush; with it, at every commit. `durable_epoch` says
// which commit a power loss would go back to.
BOOST_AUTO_TEST_CASE(store_files_record_which_commit_is_on_disk) {
  TempDir dir;
  const std::string loc = dir.file("flushes.nvdb");
  nvdb_db *w = open_no_sync(loc);
  BOOST_TEST(info_number(w, "durable_epoch") == 1u);  // the empty store
  put(w, "a", {1, 0, 0, 0});
  BOOST_TEST(info_number(w, "durable_epoch") == 1u);
  BOOST_REQUIRE_EQUAL(nvdb_save(w), NVDB_OK);
  BOOST_TEST(info_number(w, "durable_epoch") == info_number(w, "epoch"));
  put(w, "b", {0, 1, 0, 0});
  BOOST_REQUIRE_EQUAL(nvdb_compact(w), NVDB_OK);
  BOOST_TEST(info_number(w, "generation") == 2u);
  BOOST_TEST(info_number(w, "durable_epoch") == info_number(w, "epoch"));
  put(w, "c", {0, 0, 1, 0});
  BOOST_TEST(info_number(w, "durable_epoch") < info_number(w, "epoch"));
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  put(w, "d", {0, 0, 0, 1});
  BOOST_TEST(info_number(w, "durable_epoch") == info_number(w, "epoch"));
  put(w, "e", {1, 1, 0, 0});
  const std::uint64_t last = info_number(w, "epoch");
  BOOST_REQUIRE_EQUAL(nvdb_close(w), NVDB_OK);
  nvdb_db *r = open_db(loc, NVDB_OPEN_READ);
  BOOST_TEST(info_number(r, "durable_epoch") == last);
  nvdb_close(r);
  w = open_db(loc, NVDB_OPEN_WRITE);  // durable
  put(w, "f", {1, 0, 1, 0});
  BOOST_TEST(info_number(w, "durable_epoch") == info_number(w, "epoch"));
  nvdb_close(w);
}

// A reader killed in the middle of a query leaves its epoch in its slot of
// the reader table; the writer finds it dead and reuses rows again.
int signal_and_hang(const char *, const char *, void *ctx) {
  const int fd = *static_cast<int *>(ctx);
  char c = 'q';
  if (::write(fd, &c, 1) != 1) return -1;
  for (;;) ::pause();
}

BOOST_AUTO_TEST_CASE(a_reader_killed_mid_query_does_not_hold_rows_for_ever) {
  ShmName shm("killed");
  nvdb_db *w = open_db(shm.locator(), NVDB_OPEN_CREATE);
  BOOST_REQUIRE_EQUAL(replace_all(w, 1000, 0), NVDB_OK);
  for (int i = 0; i < 2; ++i) BOOST_REQUIRE_EQUAL(replace_all(w, 100, 0), NVDB_OK);
  int in_query[2];
  BOOST_REQUIRE(::pipe(in_query) == 0);
  std::fflush(nullptr);
  const pid_t child = ::fork();
  if (child == 0) {
    nvdb_options opts = NVDB_OPTIONS_INIT;
    opts.mode = NVDB_OPEN_READ;
    nvdb_db *db = nullptr;
    if (nvdb_open(&db, shm.locator().c_str(), &opts) != NVDB_OK) ::_exit(11);
    nvdb_query_options o = NVDB_QUERY_OPTIONS_INIT;
    o.filter_fn = signal_and_hang;
    o.filter_ctx = &in_query[1];
    const float q[] = {1, 0, 0, 0};
    nvdb_hits *hits = nullptr;
    nvdb_query(db, q, 4, &o, &hits);
    ::_exit(12);
  }
  char c = 0;
  BOOST_REQUIRE(::read(in_query[0], &c, 1) == 1);  // the child is in its query
  const std::uint64_t rows = info_number(w, "rows");  // (info would free the slot of a dead reader)
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  for (int round = 1; round <= 5; ++round) BOOST_REQUIRE_EQUAL(replace_all(w, 100, round), NVDB_OK);
  BOOST_TEST(info_number(w, "rows") == rows);  // every round reused rows
  for (int fd : in_query) ::close(fd);
  nvdb_close(w);
}

// A program a writer starts does not inherit its lock: once the writer is
// gone, the next one opens the store although that program still runs.
BOOST_AUTO_TEST_CASE(a_program_the_writer_starts_does_not_hold_its_lock) {
  TempDir dir;
  const std::string loc = dir.file("exec.nvdb");  // shm_open's descriptors are close-on-exec already
  nvdb_db *first = open_db(loc, NVDB_OPEN_CREATE);
  nvdb_close(first);
  // `started` gets the program's pid; `execed` reads end of file once the
  // writer is gone and the program has replaced its copy of the writer.
  int started[2], execed[2];
  BOOST_REQUIRE(::pipe(started) == 0 && ::pipe2(execed, O_CLOEXEC) == 0);
  std::fflush(nullptr);
  const pid_t writer = ::fork();
  if (writer == 0) {
    nvdb_options opts = NVDB_OPTIONS_INIT;
    opts.mode = NVDB_OPEN_WRITE;
    nvdb_db *db = nullptr;
    if (nvdb_open(&db, loc.c_str(), &opts) != NVDB_OK) ::_exit(11);
    const pid_t program = ::fork();
    if (program == 0) {
      ::execlp("sleep", "sleep", "30", static_cast<char *>(nullptr));
      ::_exit(127);
    }
    if (::write(started[1], &program, sizeof program) != sizeof program) ::_exit(12);
    ::_exit(0);  // the writer dies without closing; "sleep" runs on
  }
  ::close(execed[1]);
  pid_t program = 0;
  BOOST_REQUIRE(::read(started[0], &program, sizeof program) == sizeof program);
  int status = 0;
  ::waitpid(writer, &status, 0);
  BOOST_REQUIRE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  char c;
  BOOST_REQUIRE(::read(execed[0], &c, 1) == 0);
  int rc = 0;
  nvdb_db *next = open_db(loc, NVDB_OPEN_WRITE, 0, &rc);
  BOOST_TEST(rc == NVDB_OK, nvdb_errmsg());
  nvdb_close(next);
  ::kill(program, SIGKILL);
  for (int fd : {started[0], started[1], execed[0]}) ::close(fd);
}

// A batch that fits the free rows but one, in a generation whose rows are
// all taken: making room rewrites the generation, which leaves no free row,
// so the whole batch is appended and room is made for that.
BOOST_AUTO_TEST_CASE(a_batch_placed_again_after_a_rewrite_gets_room_for_all_of_it) {
  ShmName shm("replace");
  constexpr uint32_t dim = 8192;  // a first generation of 32 rows
  nvdb_db *w = open_db(shm.locator(), NVDB_OPEN_CREATE, dim);
  auto records = [&](const std::string &prefix, int n) {
    std::vector<std::string> names;
    std::vector<float> vecs(std::size_t(n) * dim, 0.0f);
    for (int i = 0; i < n; ++i) {
      names.push_back(prefix + std::to_string(i));
      vecs[std::size_t(i) * dim + std::size_t(i)] = 1;
    }
    std::vector<const char *> ids;
    for (const auto &s : names) ids.push_back(s.c_str());
    return nvdb_upsert(w, ids.size(), ids.data(), vecs.data(), vecs.size(), nullptr, nullptr);
  };
  BOOST_REQUIRE_EQUAL(records("old", 32), NVDB_OK);
  BOOST_REQUIRE_EQUAL(info_number(w, "capacity"), 32u);
  std::vector<std::string> gone;
  for (int i = 8; i < 32; ++i) gone.push_back("old" + std::to_string(i));
  std::vector<const char *> ids;
  for (const auto &s : gone) ids.push_back(s.c_str());
  BOOST_REQUIRE_EQUAL(nvdb_delete(w, ids.size(), ids.data(), nullptr), NVDB_OK);  // 24 dead, too few to compact
  BOOST_REQUIRE_EQUAL(nvdb_set_additional_data(w, "{}"), NVDB_OK);  // and their rows free
  BOOST_REQUIRE_MESSAGE(records("new", 25) == NVDB_OK, nvdb_errmsg());  // 24 free rows, one more
  BOOST_TEST(count(w) == 33u);
  BOOST_TEST(info_number(w, "rows") <= info_number(w, "capacity"));
  BOOST_TEST(verify(w).status == NVDB_OK);
  const char *id = "new24";
  nvdb_records *recs = nullptr;
  BOOST_REQUIRE_EQUAL(nvdb_get(w, 1, &id, &recs), NVDB_OK);
  BOOST_REQUIRE_EQUAL(nvdb_records_count(recs), 1u);
  BOOST_TEST(nvdb_records_vector(recs, 0)[24] == 1.0f);
  nvdb_records_free(recs);
  nvdb_close(w);
}
