// nvdb_actor: one side of a multi-process test, driven by test_processes.
// It uses only the public C API, as any client process would.
//
//   nvdb_actor writer LOCATOR FIRST LAST [no-sync]
//                                          commits FIRST..LAST (LAST 0: forever),
//                                          without fsync if asked
//   nvdb_actor reader LOCATOR UNTIL        queries until it has seen commit UNTIL
//   nvdb_actor check LOCATOR               prints the commit the store holds
//   nvdb_actor try-write LOCATOR           opens as a writer; exits with -status
//   nvdb_actor reader-write LOCATOR        opens as a reader, upserts; exits with -status
//
// Commit c replaces the records r0..r7 with vector (1, c, i, 1) and metadata
// {"c": c}, all in one batch. A reader that ever sees two values of c in one
// answer saw part of a commit; one that sees c go down saw commits out of
// order. Either is reported on stderr with exit status 3.
#include <nvdb.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

constexpr int kRecords = 8;

[[noreturn]] void die(const char *what, int status) {
  std::fprintf(stderr, "nvdb_actor: %s: %s (%s)\n", what, nvdb_strerror(status), nvdb_errmsg());
  std::exit(2);
}

nvdb_db *open_db(const char *locator, nvdb_open_mode mode, int *status = nullptr, uint32_t flags = 0) {
  nvdb_options opts = NVDB_OPTIONS_INIT;
  opts.dim = 4;
  opts.mode = mode;
  opts.flags = flags;
  nvdb_db *db = nullptr;
  const int rc = nvdb_open(&db, locator, &opts);
  if (status) *status = rc;
  else if (rc != NVDB_OK) die("open", rc);
  return db;
}

long commit_of(const char *meta) {
  const char *p = std::strstr(meta, "\"c\":");
  return p ? std::strtol(p + 4, nullptr, 10) : -1;
}

int writer(const char *locator, long first, long last, bool no_sync) {
  nvdb_db *db = open_db(locator, NVDB_OPEN_CREATE, nullptr, no_sync ? NVDB_FLAG_NO_SYNC : 0);
  std::vector<std::string> ids, metas;
  for (int i = 0; i < kRecords; ++i) ids.push_back("r" + std::to_string(i));
  for (long c = first; last == 0 || c <= last; ++c) {
    std::vector<float> vectors;
    std::vector<const char *> id_ptrs, meta_ptrs;
    metas.assign(kRecords, "{\"c\":" + std::to_string(c) + "}");
    for (int i = 0; i < kRecords; ++i) {
      vectors.insert(vectors.end(), {1.0f, float(c), float(i), 1.0f});
      id_ptrs.push_back(ids[i].c_str());
      meta_ptrs.push_back(metas[i].c_str());
    }
    const int rc = nvdb_upsert(db, kRecords, id_ptrs.data(), vectors.data(), vectors.size(),
                               meta_ptrs.data(), nullptr);
    if (rc != NVDB_OK) die("upsert", rc);
    std::printf("%ld\n", c);  // after success: the driver's record of what committed
    std::fflush(stdout);
  }
  return nvdb_close(db) == NVDB_OK ? 0 : 2;
}

// The commit one query sees, or -1 for an empty store; exits 3 on a torn one.
long observe(nvdb_db *db) {
  const float q[4] = {1, 0, 0, 1};
  nvdb_query_options o = NVDB_QUERY_OPTIONS_INIT;
  o.top_k = 100;
  nvdb_hits *hits = nullptr;
  const int rc = nvdb_query(db, q, 4, &o, &hits);
  if (rc != NVDB_OK) die("query", rc);
  const size_t n = nvdb_hits_count(hits);
  long seen = n ? commit_of(nvdb_hits_metadata(hits, 0)) : -1;
  for (size_t i = 0; i < n; ++i) {
    if (commit_of(nvdb_hits_metadata(hits, i)) != seen) {
      std::fprintf(stderr, "torn commit: hit %zu has %s, hit 0 has c=%ld\n", i,
                   nvdb_hits_metadata(hits, i), seen);
      std::exit(3);
    }
  }
  if (n != 0 && n != kRecords) {
    std::fprintf(stderr, "torn commit: %zu records\n", n);
    std::exit(3);
  }
  nvdb_hits_free(hits);
  return seen;
}

int reader(const char *locator, long until) {
  nvdb_db *db = open_db(locator, NVDB_OPEN_READ);
  const auto start = std::chrono::steady_clock::now();
  long last = -1, queries = 0, distinct = 0;
  std::printf("attached\n");
  std::fflush(stdout);
  while (last < until || until == 0) {
    const long c = observe(db);
    ++queries;
    if (c < last) {
      char *info = nullptr;
      nvdb_info(db, &info);
      std::fprintf(stderr, "out of order: commit %ld after %ld (%s)\n", c, last, info ? info : "");
      nvdb_free(info);
      return 3;
    }
    if (c != last) ++distinct;
    last = c;
    if (std::chrono::steady_clock::now() - start > std::chrono::seconds(120)) {
      std::fprintf(stderr, "timed out at commit %ld\n", last);
      return 4;
    }
  }
  std::printf("queries %ld distinct %ld last %ld\n", queries, distinct, last);
  nvdb_close(db);
  return 0;
}

int check(const char *locator) {
  nvdb_db *db = open_db(locator, NVDB_OPEN_READ);
  std::printf("%ld\n", observe(db));
  nvdb_close(db);
  return 0;
}

int try_write(const char *locator) {
  int status = 0;
  nvdb_db *db = open_db(locator, NVDB_OPEN_WRITE, &status);
  std::printf("%s\n", status == NVDB_OK ? "ok" : nvdb_errmsg());
  nvdb_close(db);
  return -status;
}

int reader_write(const char *locator) {
  nvdb_db *db = open_db(locator, NVDB_OPEN_READ);
  const char *id = "intruder";
  const float v[4] = {1, 2, 3, 4};
  const int status = nvdb_upsert(db, 1, &id, v, 4, nullptr, nullptr);
  std::printf("%s\n", nvdb_errmsg());
  nvdb_close(db);
  return -status;
}

}  // namespace

int main(int argc, char **argv) {
  const std::string cmd = argc > 2 ? argv[1] : "";
  if (cmd == "writer" && (argc == 5 || (argc == 6 && std::strcmp(argv[5], "no-sync") == 0)))
    return writer(argv[2], std::atol(argv[3]), std::atol(argv[4]), argc == 6);
  if (cmd == "reader" && argc == 4) return reader(argv[2], std::atol(argv[3]));
  if (cmd == "check" && argc == 3) return check(argv[2]);
  if (cmd == "try-write" && argc == 3) return try_write(argv[2]);
  if (cmd == "reader-write" && argc == 3) return reader_write(argv[2]);
  std::fprintf(stderr, "usage: nvdb_actor writer|reader|check|try-write LOCATOR ...\n");
  return 2;
}
