// nvdb_bench: the speed of exact search on this machine, each figure next to
// a reference measured in the same run (CONTRACT section 6, issue "Speed"):
//
//   single query   vs the memory-bandwidth bound (a parallel read of as many
//                  bytes: an exact query must read every vector once), on all
//                  cores and on one thread; and faiss IndexFlatIP
//   batch query    of 1,000 vectors vs OpenBLAS's sgemm of the same product
//                  (the arithmetic any exact batch does) and faiss's batch
//   compact types float16, bfloat16 and int8: query time vs float32's, and
//                  recall@10 against the exact float32 answers
//   filtered query letting 10% of the records through, vs the unfiltered one
//   upsert         of the whole dataset into a new database
//   open           of a store file of that dataset for reading
//
//   nvdb_bench [--quick] [--json FILE]
//
// It prints a table and, with --json, writes the same figures to FILE.
// docs/performance.md records a run.
#include <nvdb.h>

#include "bandwidth.hpp"
#include "bench_common.hpp"

#ifdef NVDB_BENCH_FAISS
#include <faiss/IndexFlat.h>
#endif
#ifdef NVDB_BENCH_OPENBLAS
#include <cblas.h>
#endif

#include <algorithm>
#include <cmath>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <tuple>
#include <vector>

namespace {

using bench::check;
using bench::Clock;
using bench::db_info;
using bench::fail;
using bench::info_field;
using bench::ms_since;
using bench::Stats;
using bench::summarize;
using bench::BoundRead;
using bench::choose_sum;
using bench::SumKernel;
using bench::Team;
using bench::thread_count;
using bench::time_interleaved;

// ---------------------------------------------------------------------------
// nvdb through the C API.

std::vector<float> normal_vectors(std::size_t n, std::size_t dim, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal;
  std::vector<float> v(n * dim);
  for (float &x : v) x = normal(rng);
  return v;
}

// Upserts vectors in one call and returns the seconds it took (ids and
// metadata are built beforehand). With metadata, record i gets
// {"bucket": i % 10}, which a filter can select a tenth of the records by.
double upsert_all(nvdb_db *db, const std::vector<float> &vectors, std::size_t n, bool metadata) {
  std::vector<std::string> ids(n), metas(metadata ? n : 0);
  std::vector<const char *> id_ptrs(n), meta_ptrs(metas.size());
  for (std::size_t i = 0; i < n; ++i) {
    ids[i] = "v" + std::to_string(i);
    id_ptrs[i] = ids[i].c_str();
  }
  for (std::size_t i = 0; i < metas.size(); ++i) {
    metas[i] = "{\"bucket\": " + std::to_string(i % 10) + "}";
    meta_ptrs[i] = metas[i].c_str();
  }
  auto start = Clock::now();
  check(nvdb_upsert(db, n, id_ptrs.data(), vectors.data(), vectors.size(),
                    metadata ? meta_ptrs.data() : nullptr, nullptr),
        "nvdb_upsert");
  double seconds = ms_since(start) / 1000;
  std::size_t stored = 0;
  check(nvdb_count(db, &stored), "nvdb_count");
  if (stored != n) fail("nvdb_count: " + std::to_string(stored) + " records, expected " + std::to_string(n));
  return seconds;
}

nvdb_db *open_memory(std::size_t dim) {
  nvdb_options opts = NVDB_OPTIONS_INIT;
  opts.dim = static_cast<std::uint32_t>(dim);
  nvdb_db *db = nullptr;
  check(nvdb_open(&db, ":memory:", &opts), "nvdb_open");
  return db;
}

// One top-10 query per call, each with the next of its own random vectors,
// with an optional declarative filter.
class Query {
 public:
  static constexpr std::uint32_t kTopK = 10;

  Query(nvdb_db *db, std::size_t dim, std::size_t count, const char *filter = nullptr)
      : db_(db), dim_(dim), count_(count), filter_(filter), vectors_(normal_vectors(count, dim, 7)) {}

  void operator()() {
    nvdb_query_options opts = NVDB_QUERY_OPTIONS_INIT;
    opts.top_k = kTopK;
    opts.filter = filter_;
    nvdb_hits *hits = nullptr;
    const float *vector = vectors_.data() + (next_++ % count_) * dim_;
    check(nvdb_query(db_, vector, dim_, &opts, &hits), "nvdb_query");
    std::size_t got = nvdb_hits_count(hits);
    nvdb_hits_free(hits);
    if (got != kTopK) fail("nvdb_query: " + std::to_string(got) + " hits, expected 10");
  }

 private:
  nvdb_db *db_;
  std::size_t dim_, count_, next_ = 0;
  const char *filter_;
  std::vector<float> vectors_;
};

// ---------------------------------------------------------------------------
// The references of the batch and of single queries: OpenBLAS's sgemm of
// the same product and faiss, the reference library for exact search.

// Rows scaled to unit length, as nvdb stores them under cosine, so that
// inner products (sgemm, faiss IndexFlatIP) are nvdb's scores.
std::vector<float> unit(std::vector<float> v, std::size_t dim) {
  for (std::size_t r = 0; r < v.size() / dim; ++r) {
    double sq = 0;
    for (std::size_t i = 0; i < dim; ++i) sq += double(v[r * dim + i]) * v[r * dim + i];
    const double inv = 1 / std::sqrt(sq);
    for (std::size_t i = 0; i < dim; ++i) v[r * dim + i] = static_cast<float>(v[r * dim + i] * inv);
  }
  return v;
}

constexpr std::size_t kBatch = 1000;

// kBatch top-10 queries in one nvdb_query_batch call.
class BatchQuery {
 public:
  BatchQuery(nvdb_db *db, const std::vector<float> &queries) : db_(db), queries_(queries) {}

  void operator()() {
    nvdb_query_options opts = NVDB_QUERY_OPTIONS_INIT;
    opts.top_k = Query::kTopK;
    std::vector<nvdb_hits *> out(kBatch);
    check(nvdb_query_batch(db_, kBatch, queries_.data(), queries_.size(), &opts, out.data()),
          "nvdb_query_batch");
    for (nvdb_hits *hits : out) {
      if (nvdb_hits_count(hits) != Query::kTopK) fail("nvdb_query_batch: a query has too few hits");
      nvdb_hits_free(hits);
    }
  }

 private:
  nvdb_db *db_;
  const std::vector<float> &queries_;
};

// Each operation in turn, one untimed call then `reps` timed ones, the whole
// round twice, so that load from neighbours weighs on all alike. The untimed
// call also lets the previous operation's threads (OpenBLAS's spin for a
// while after a call) go quiet before timing starts.
std::vector<Stats> time_in_turn(const std::vector<std::function<void()>> &ops, int reps) {
  std::vector<std::vector<double>> ms(ops.size());
  for (int round = 0; round < 2; ++round)
    for (std::size_t i = 0; i < ops.size(); ++i) {
      ops[i]();
      for (int r = 0; r < reps; ++r) {
        auto start = Clock::now();
        ops[i]();
        ms[i].push_back(ms_since(start));
      }
    }
  std::vector<Stats> stats;
  for (auto &m : ms) stats.push_back(summarize(m));
  return stats;
}

// ---------------------------------------------------------------------------
// The report: one row per figure, each with its reference and target.

struct Row {
  std::string what;           // what was measured
  Stats stats;                // in ms
  std::string reference;      // what it is compared to ("" = nothing)
  double reference_ms = 0;
  double ratio = 0;           // stats.median / reference_ms (or as the row says)
  std::string target;         // e.g. "<= 1.2"; "" = context, not judged
  bool met = true;
};

// A figure against a reference: ratio = its median / the reference's,
// judged against limit (at most, or at least), 0 = context only.
Row compared(std::string what, Stats s, std::string reference, Stats ref, double limit,
             bool at_least = false) {
  Row r{std::move(what), s, std::move(reference), ref.median, s.median / ref.median, "", true};
  if (limit > 0) {
    char t[32];
    std::snprintf(t, sizeof t, "%s %.2f", at_least ? ">=" : "<=", limit);
    r.target = t;
    r.met = at_least ? r.ratio >= limit : r.ratio <= limit;
  }
  return r;
}

Row absolute(std::string what, Stats s, double limit_ms) {
  Row r{std::move(what), s, "", 0, 0, "", true};
  char t[32];
  std::snprintf(t, sizeof t, "<= %g ms", limit_ms);
  r.target = t;
  r.met = s.median <= limit_ms;
  return r;
}

void print_rows(const std::vector<Row> &rows) {
  std::printf("\n%-40s %10s %9s | %-28s %10s | %7s  %s\n", "measure", "median ms", "p90 ms",
              "reference", "ref ms", "ratio", "target");
  for (const Row &r : rows) {
    std::printf("%-40s %10.3f %9.3f | %-28s ", r.what.c_str(), r.stats.median, r.stats.p90,
                r.reference.c_str());
    if (r.reference.empty())
      std::printf("%10s | %7s  ", "", "");
    else
      std::printf("%10.3f | %7.3f  ", r.reference_ms, r.ratio);
    std::printf("%s%s\n", r.target.empty() ? "(context)" : r.target.c_str(),
                r.target.empty() ? "" : (r.met ? "  met" : "  MISSED"));
  }
}

std::string json_string(const std::string &s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

bool write_json(const char *path, const std::vector<Row> &rows, const std::string &header) {
  FILE *f = std::fopen(path, "w");
  if (!f) return false;
  std::fprintf(f, "{%s,\n \"rows\": [", header.c_str());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const Row &r = rows[i];
    std::fprintf(f,
                 "%s\n  {\"measure\": %s, \"median_ms\": %.4f, \"p90_ms\": %.4f, \"max_ms\": %.4f, "
                 "\"reference\": %s, \"reference_ms\": %.4f, \"ratio\": %.4f, \"target\": %s, "
                 "\"met\": %s}",
                 i ? "," : "", json_string(r.what).c_str(), r.stats.median, r.stats.p90, r.stats.max,
                 r.reference.empty() ? "null" : json_string(r.reference).c_str(), r.reference_ms,
                 r.ratio, r.target.empty() ? "null" : json_string(r.target).c_str(),
                 r.target.empty() ? "null" : (r.met ? "true" : "false"));
  }
  std::fprintf(f, "\n ]}\n");
  return std::fclose(f) == 0;
}

// ---------------------------------------------------------------------------
// The measurements.

// The ids of a top-10 query's hits.
std::vector<std::string> top_ids(nvdb_db *db, const float *vector, std::size_t dim) {
  nvdb_hits *hits = nullptr;
  check(nvdb_query(db, vector, dim, nullptr, &hits), "nvdb_query");
  std::vector<std::string> ids;
  for (std::size_t i = 0; i < nvdb_hits_count(hits); ++i) ids.push_back(nvdb_hits_id(hits, i));
  nvdb_hits_free(hits);
  return ids;
}

// A compact element type against float32 on the same vectors: query times,
// interleaved, and recall@10 against the exact float32 answers.
struct CompactFigures {
  Stats compact, float32;
  double recall = 0;
};

struct Setup {
  std::size_t n, dim;
  int reps;
  const SumKernel &kernel;
};

CompactFigures compact_against_float32(nvdb_db *float32, const std::vector<float> &vectors, const Setup &s,
                                      nvdb_element_type type) {
  nvdb_options opts = NVDB_OPTIONS_INIT;
  opts.dim = static_cast<std::uint32_t>(s.dim);
  opts.element_type = type;
  nvdb_db *db = nullptr;
  check(nvdb_open(&db, ":memory:", &opts), "nvdb_open");
  upsert_all(db, vectors, s.n, false);
  CompactFigures f;
  Query compact(db, s.dim, 2 * std::size_t(s.reps)), exact(float32, s.dim, 2 * std::size_t(s.reps));
  for (int i = 0; i < 3; ++i) compact();
  std::tie(f.compact, f.float32) = time_interleaved(s.reps, std::ref(compact), std::ref(exact));
  const std::vector<float> queries = normal_vectors(s.reps, s.dim, 11);
  std::size_t found = 0, wanted = 0;
  for (int q = 0; q < s.reps; ++q) {
    const std::vector<std::string> got = top_ids(db, queries.data() + q * s.dim, s.dim);
    const std::vector<std::string> want = top_ids(float32, queries.data() + q * s.dim, s.dim);
    for (const std::string &id : want) found += std::count(got.begin(), got.end(), id);
    wanted += want.size();
  }
  f.recall = double(found) / double(wanted);
  check(nvdb_close(db), "nvdb_close");
  return f;
}

// Single queries against the bound, with `threads` threads on both sides.
std::pair<Stats, Stats> single_vs_bound(nvdb_db *db, const Setup &s, unsigned threads) {
  Team team(threads);
  BoundRead bound(s.n * s.dim, team, s.kernel);
  Query query(db, s.dim, 2 * std::size_t(s.reps));  // more vectors than calls: none repeats
  for (int i = 0; i < 3; ++i) query();                 // wakes the library's pool
  return time_interleaved(s.reps, std::ref(bound), std::ref(query));
}

// The library's pool is sized once per process, so the one-thread figures
// come from a copy of this program run with NVDB_THREADS=1.
std::pair<Stats, Stats> single_vs_bound_one_thread(const char *self, bool quick) {
  std::string cmd = std::string("NVDB_THREADS=1 '") + self + "' --one-thread" + (quick ? " --quick" : "");
  FILE *child = popen(cmd.c_str(), "r");
  if (!child) fail("cannot run " + cmd);
  Stats bound, query;
  int got = std::fscanf(child, "%lf %lf %lf %lf %lf %lf", &bound.median, &bound.p90, &bound.max,
                        &query.median, &query.p90, &query.max);
  if (pclose(child) != 0 || got != 6) fail("the one-thread run failed: " + cmd);
  return {bound, query};
}

// Upserts of the whole dataset into new :memory: databases. The first fill
// of a process also pays for the kernel handing it fresh pages (on a VM,
// often the hypervisor too); later fills reuse memory the process gave back.
Stats upsert_times(const std::vector<float> &vectors, const Setup &s, int fills) {
  std::vector<double> ms;
  for (int i = 0; i < fills; ++i) {
    nvdb_db *db = open_memory(s.dim);
    ms.push_back(upsert_all(db, vectors, s.n, false) * 1000);
    check(nvdb_close(db), "nvdb_close");
  }
  return bench::summarize(ms);
}

// nvdb_open(NVDB_OPEN_READ) of a store file holding the dataset, and a first
// nvdb_count, as a new reader would.
Stats open_times(nvdb_db *db, int reps) {
  char dir[] = "/tmp/nvdb-bench-XXXXXX";
  if (!mkdtemp(dir)) fail("mkdtemp failed");
  const std::string path = std::string(dir) + "/store.nvdb";
  nvdb_options opts = NVDB_OPTIONS_INIT;
  opts.flags = NVDB_FLAG_NO_SYNC;
  opts.dim = nvdb_dim(db);
  nvdb_db *store = nullptr;
  check(nvdb_open(&store, path.c_str(), &opts), "nvdb_open (store)");
  check(nvdb_copy(store, db), "nvdb_copy");
  check(nvdb_close(store), "nvdb_close");
  std::vector<double> ms;
  nvdb_options read = NVDB_OPTIONS_INIT;
  read.mode = NVDB_OPEN_READ;
  for (int i = 0; i < reps; ++i) {
    auto start = Clock::now();
    nvdb_db *reader = nullptr;
    check(nvdb_open(&reader, path.c_str(), &read), "nvdb_open (read)");
    std::size_t count = 0;
    check(nvdb_count(reader, &count), "nvdb_count");
    ms.push_back(ms_since(start));
    check(nvdb_close(reader), "nvdb_close");
  }
  std::string rm = std::string("rm -rf '") + dir + "'";
  if (std::system(rm.c_str()) != 0) fail("cannot remove " + std::string(dir));
  return bench::summarize(ms);
}

std::string header_json(const Setup &s, const std::string &isa, unsigned threads, bool quick) {
  char h[512];
  std::snprintf(h, sizeof h,
                "\"nvdb_version\": \"%s\", \"kernel_isa\": %s, \"bound_isa\": \"%s\", \"threads\": %u, "
                "\"n\": %zu, \"dim\": %zu, \"repetitions\": %d, \"quick\": %s",
                nvdb_version(), isa.empty() ? "null" : json_string(isa).c_str(), s.kernel.isa, threads,
                s.n, s.dim, s.reps, quick ? "true" : "false");
  return h;
}

}  // namespace

int main(int argc, char **argv) {
  bench::Args args;
  bool one_thread = false;
  std::vector<char *> rest{argv[0]};
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--one-thread") == 0)
      one_thread = true;
    else
      rest.push_back(argv[i]);
  }
  if (!bench::parse_args(static_cast<int>(rest.size()), rest.data(), args)) return 2;
  const SumKernel kernel = choose_sum();
  const Setup setup{args.quick ? 20000u : 100000u, 1024, args.quick ? 20 : 50, kernel};
  const std::vector<float> vectors = normal_vectors(setup.n, setup.dim, 42);

  nvdb_db *db = open_memory(setup.dim);
  upsert_all(db, vectors, setup.n, true);

  if (one_thread) {  // the child of single_vs_bound_one_thread
    auto [bound, query] = single_vs_bound(db, setup, 1);
    std::printf("%f %f %f %f %f %f\n", bound.median, bound.p90, bound.max, query.median, query.p90,
                query.max);
    return nvdb_close(db) == NVDB_OK ? 0 : 1;
  }

  const unsigned threads = thread_count();
  std::vector<Row> rows;
  std::fprintf(stderr, "nvdb_bench: single queries ...\n");
  auto [bound, single] = single_vs_bound(db, setup, threads);
  rows.push_back(compared("single query, " + std::to_string(threads) + " threads", single,
                          "bandwidth bound", bound, 1.2));
  auto [bound1, single1] = single_vs_bound_one_thread(argv[0], args.quick);
  rows.push_back(compared("single query, 1 thread", single1, "bandwidth bound, 1 thread", bound1, 0));

  const std::vector<float> unit_rows = unit(vectors, setup.dim);
#ifdef NVDB_BENCH_FAISS
  faiss::IndexFlatIP faiss_index(static_cast<faiss::Index::idx_t>(setup.dim));
  faiss_index.add(static_cast<faiss::Index::idx_t>(setup.n), unit_rows.data());
  std::fprintf(stderr, "nvdb_bench: faiss single queries ...\n");
  {
    const std::vector<float> queries = unit(normal_vectors(2 * setup.reps, setup.dim, 7), setup.dim);
    std::size_t next = 0;
    auto faiss_query = [&] {
      float scores[Query::kTopK];
      faiss::Index::idx_t labels[Query::kTopK];
      faiss_index.search(1, queries.data() + (next++ % (2 * setup.reps)) * setup.dim, Query::kTopK,
                         scores, labels);
      if (labels[Query::kTopK - 1] < 0) fail("faiss: fewer than 10 hits");
    };
    Query query(db, setup.dim, 2 * std::size_t(setup.reps));
    auto [faiss_single, nvdb_single] = time_interleaved(setup.reps, faiss_query, std::ref(query));
    rows.push_back(compared("single query, nvdb", nvdb_single, "faiss IndexFlatIP", faiss_single, 0));
  }
#else
  std::fprintf(stderr, "nvdb_bench: built without faiss (libfaiss-dev), its rows are left out\n");
#endif

  std::fprintf(stderr, "nvdb_bench: batches of %zu queries ...\n", kBatch);
  {
    const std::vector<float> queries = unit(normal_vectors(kBatch, setup.dim, 9), setup.dim);
    BatchQuery batch(db, queries);
    std::vector<std::function<void()>> ops{std::ref(batch)};
#ifdef NVDB_BENCH_OPENBLAS
    std::vector<float> product(kBatch * setup.n);
    ops.push_back([&] {
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, int(kBatch), int(setup.n), int(setup.dim), 1.0f,
                  queries.data(), int(setup.dim), unit_rows.data(), int(setup.dim), 0.0f, product.data(),
                  int(setup.n));
    });
#endif
#ifdef NVDB_BENCH_FAISS
    std::vector<float> scores(kBatch * Query::kTopK);
    std::vector<faiss::Index::idx_t> labels(kBatch * Query::kTopK);
    ops.push_back([&] {
      faiss_index.search(kBatch, queries.data(), Query::kTopK, scores.data(), labels.data());
    });
#endif
    const std::vector<Stats> t = time_in_turn(ops, args.quick ? 1 : 3);
    std::size_t i = 1;
#ifdef NVDB_BENCH_OPENBLAS
    rows.push_back(compared("batch of 1000 queries", t[0], "OpenBLAS sgemm, same product", t[i++], 1.25));
#else
    std::fprintf(stderr, "nvdb_bench: built without OpenBLAS (libopenblas-dev), sgemm is left out\n");
#endif
#ifdef NVDB_BENCH_FAISS
    rows.push_back(compared("faiss batch time / nvdb's", t[i], "nvdb batch of 1000", t[0], 1.5, true));
#endif
  }

  std::fprintf(stderr, "nvdb_bench: compact element types ...\n");
  {
    struct Type {
      nvdb_element_type type;
      const char *name;
      double limit;
    };
    for (const Type &t : {Type{NVDB_ELEMENT_FLOAT16, "float16", 0.6}, Type{NVDB_ELEMENT_BFLOAT16, "bfloat16", 0.6},
                          Type{NVDB_ELEMENT_INT8, "int8", 0.35}}) {
      const CompactFigures f = compact_against_float32(db, vectors, setup, t.type);
      char what[96];
      std::snprintf(what, sizeof what, "%s query, recall@10 %.3f", t.name, f.recall);
      Row r = compared(what, f.compact, "float32 query", f.float32, t.limit);
      r.target += ", recall >= 0.99";
      r.met = r.met && f.recall >= 0.99;
      rows.push_back(r);
    }
  }

  std::fprintf(stderr, "nvdb_bench: filtered queries ...\n");
  {
    Query unfiltered(db, setup.dim, 2 * std::size_t(setup.reps));
    Query filtered(db, setup.dim, 2 * std::size_t(setup.reps), "{\"bucket\": 3}");
    auto [all, tenth] = time_interleaved(setup.reps, std::ref(unfiltered), std::ref(filtered));
    rows.push_back(compared("query with a filter keeping 10%", tenth, "unfiltered query", all, 0.5));
  }

  std::fprintf(stderr, "nvdb_bench: upserts and opens ...\n");
  Stats fills = upsert_times(vectors, setup, 3);
  rows.push_back(absolute("upsert of all (median of 3 fills)", fills, 500));
  rows.push_back(absolute("open a store file for reading", open_times(db, setup.reps), 10));

  std::string info = db_info(db);
  std::string isa = info_field(info, "kernel");
  check(nvdb_close(db), "nvdb_close");

  std::printf("nvdb %s; kernel %s; threads %u%s; bound read loop %s; %zu x %zu float32 (%.1f MB); "
              "medians of %d\n",
              nvdb_version(), isa.empty() ? "?" : isa.c_str(), threads,
              std::getenv("NVDB_THREADS") ? " (NVDB_THREADS)" : "", kernel.isa, setup.n, setup.dim,
              double(setup.n) * setup.dim * 4 / 1e6, setup.reps);
  print_rows(rows);
  const bool all_met = std::all_of(rows.begin(), rows.end(), [](const Row &r) { return r.met; });
  std::printf("\n%s\n", all_met ? "every target met" : "some targets MISSED");
  if (args.json_path && !write_json(args.json_path, rows, header_json(setup, isa, threads, args.quick)))
    fail(std::string("cannot write ") + args.json_path);
  return 0;
}
