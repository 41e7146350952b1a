// nvdb_bench: how close a single exact query comes to the memory-bandwidth
// bound. An exact top-k query must read every stored vector once, so it can
// be no faster than a plain parallel read of as many bytes; the ratio
// query / read says how much the library adds on top (the target is <= 1.5).
//
//   nvdb_bench [--quick] [--json FILE]
#include <nvdb.h>

#include "bandwidth.hpp"
#include "bench_common.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

namespace {

using bench::Clock;
using bench::ms_since;
using bench::Stats;
using bench::summarize;
using bench::BoundRead;
using bench::choose_sum;
using bench::SumKernel;
using bench::Team;
using bench::thread_count;
using bench::time_interleaved;

[[noreturn]] void fail(const std::string &what) {
  std::fprintf(stderr, "nvdb_bench: %s\n", what.c_str());
  std::exit(1);
}

void check(int status, const char *call) {
  if (status != NVDB_OK)
    fail(std::string(call) + " failed: " + nvdb_strerror(status) + ": " + nvdb_errmsg());
}


// ---------------------------------------------------------------------------
// nvdb through the C API.

std::vector<float> normal_vectors(std::size_t n, std::size_t dim, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal;
  std::vector<float> v(n * dim);
  for (float &x : v) x = normal(rng);
  return v;
}

// Returns the seconds the whole upsert took (ids are built beforehand).
double upsert_all(nvdb_db *db, const std::vector<float> &vectors, std::size_t n, std::size_t dim) {
  constexpr std::size_t kBatch = 10000;
  std::vector<std::string> ids(n);
  for (std::size_t i = 0; i < n; ++i) ids[i] = "v" + std::to_string(i);
  std::vector<const char *> id_ptrs(n);
  for (std::size_t i = 0; i < n; ++i) id_ptrs[i] = ids[i].c_str();

  auto start = Clock::now();
  for (std::size_t b = 0; b < n; b += kBatch) {
    std::size_t count = std::min(kBatch, n - b);
    check(nvdb_upsert(db, count, id_ptrs.data() + b, vectors.data() + b * dim, count * dim,
                      nullptr, nullptr),
          "nvdb_upsert");
  }
  double seconds = ms_since(start) / 1000;
  std::size_t stored = 0;
  check(nvdb_count(db, &stored), "nvdb_count");
  if (stored != n) fail("nvdb_count: " + std::to_string(stored) + " records, expected " + std::to_string(n));
  return seconds;
}

// One top-10 query per call, each with the next of its own random vectors.
class Query {
 public:
  static constexpr std::uint32_t kTopK = 10;

  Query(nvdb_db *db, std::size_t dim, std::size_t count)
      : db_(db), dim_(dim), count_(count), vectors_(normal_vectors(count, dim, 7)) {}

  void operator()() {
    nvdb_query_options opts = NVDB_QUERY_OPTIONS_INIT;
    opts.top_k = kTopK;
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
  std::vector<float> vectors_;
};

// The value of "key" in nvdb_info's flat JSON object, or "" if absent.
std::string info_field(const std::string &info, const std::string &key) {
  std::size_t at = info.find("\"" + key + "\":");
  if (at == std::string::npos) return "";
  at += key.size() + 3;
  if (at < info.size() && info[at] == '"') return info.substr(at + 1, info.find('"', at + 1) - at - 1);
  return info.substr(at, info.find_first_of(",}", at) - at);
}

std::string db_info(nvdb_db *db) {
  char *text = nullptr;
  check(nvdb_info(db, &text), "nvdb_info");
  std::string info(text);
  nvdb_free(text);
  return info;
}

// ---------------------------------------------------------------------------

struct Result {
  std::size_t n, dim;
  Stats bound, query;
  double upsert_s;
  std::string info;

  double bytes() const { return double(n) * double(dim) * sizeof(float); }
  double ratio() const { return query.median / bound.median; }
  double bound_gbs() const { return bytes() / bound.median / 1e6; }
  double upsert_vps() const { return double(n) / upsert_s; }
  double upsert_gbs() const { return bytes() / upsert_s / 1e9; }
};

Result run_dataset(std::size_t n, std::size_t dim, int reps, Team &team, const SumKernel &kernel) {
  Result res{n, dim, {}, {}, 0, ""};
  nvdb_options opts = NVDB_OPTIONS_INIT;
  opts.dim = static_cast<std::uint32_t>(dim);
  opts.metric = NVDB_METRIC_COSINE;
  nvdb_db *db = nullptr;
  check(nvdb_open(&db, ":memory:", &opts), "nvdb_open");
  res.upsert_s = upsert_all(db, normal_vectors(n, dim, 42), n, dim);
  res.info = db_info(db);

  BoundRead bound(n * dim, team, kernel);
  Query query(db, dim, 2 * std::size_t(reps));  // more vectors than calls: none repeats
  for (int i = 0; i < 3; ++i) query();  // wakes the library's pool for the first time
  std::tie(res.bound, res.query) = time_interleaved(reps, std::ref(bound), std::ref(query));
  check(nvdb_close(db), "nvdb_close");
  return res;
}

void print_table(const std::vector<Result> &results) {
  std::printf("\n%-14s %9s | %9s %9s | %9s %9s | %7s | %8s %12s %8s\n", "dataset", "MB",
              "bound ms", "GB/s", "query ms", "p90 ms", "ratio", "upsert s", "vectors/s", "GB/s");
  for (const Result &r : results) {
    std::string name = std::to_string(r.n) + " x " + std::to_string(r.dim);
    std::printf("%-14s %9.1f | %9.3f %9.2f | %9.3f %9.3f | %6.2f%s | %8.3f %12.0f %8.3f\n",
                name.c_str(), r.bytes() / 1e6, r.bound.median, r.bound_gbs(), r.query.median,
                r.query.p90, r.ratio(), r.ratio() <= 1.5 ? " " : "!", r.upsert_s, r.upsert_vps(),
                r.upsert_gbs());
  }
  std::printf("\nbound: median time to sum N*dim floats on every thread; query: median and p90 of\n"
              "nvdb_query (top 10, cosine); ratio = query median / bound median, target <= 1.5 "
              "(! above)\n");
}

bool write_json(const char *path, const std::vector<Result> &results, const std::string &isa,
                const SumKernel &kernel, unsigned threads, int reps, bool quick) {
  FILE *f = std::fopen(path, "w");
  if (!f) return false;
  // kernel_isa is null when nvdb_info does not report it.
  std::string isa_json = isa.empty() ? "null" : "\"" + isa + "\"";
  std::fprintf(f,
               "{\"nvdb_version\": \"%s\", \"kernel_isa\": %s, \"bound_isa\": \"%s\", "
               "\"threads\": %u, \"repetitions\": %d, \"quick\": %s,\n \"datasets\": [",
               nvdb_version(), isa_json.c_str(), kernel.isa, threads, reps, quick ? "true" : "false");
  for (std::size_t i = 0; i < results.size(); ++i) {
    const Result &r = results[i];
    std::fprintf(f,
                 "%s\n  {\"n\": %zu, \"dim\": %zu, \"bytes\": %.0f, \"bound_ms_median\": %.4f, "
                 "\"bound_gb_per_s\": %.3f, \"query_ms_median\": %.4f, \"query_ms_p90\": %.4f, "
                 "\"ratio\": %.3f, \"upsert_s\": %.4f, \"upsert_vectors_per_s\": %.0f, "
                 "\"upsert_gb_per_s\": %.4f}",
                 i ? "," : "", r.n, r.dim, r.bytes(), r.bound.median, r.bound_gbs(), r.query.median,
                 r.query.p90, r.ratio(), r.upsert_s, r.upsert_vps(), r.upsert_gbs());
  }
  std::fprintf(f, "\n ]}\n");
  return std::fclose(f) == 0;
}

}  // namespace

int main(int argc, char **argv) {
  bench::Args args;
  if (!bench::parse_args(argc, argv, args)) return 2;
  const bool quick = args.quick;
  const char *json_path = args.json_path;
  const int reps = quick ? 20 : 50;
  const unsigned threads = thread_count();
  const SumKernel kernel = choose_sum();
  Team team(threads);

  std::vector<Result> results;
  for (auto [n, dim] : {std::pair<std::size_t, std::size_t>{quick ? 20000 : 100000, 1024}, {10000, 384}}) {
    std::fprintf(stderr, "nvdb_bench: %zu x %zu ...\n", n, dim);
    results.push_back(run_dataset(n, dim, reps, team, kernel));
  }

  // nvdb_info names the kernel ISA only if the library reports it.
  std::string isa = info_field(results[0].info, "isa");
  if (isa.empty()) isa = info_field(results[0].info, "kernel");
  std::printf("nvdb %s; threads: %u%s; repetitions: %d; kernel ISA: %s; bound read loop: %s\n",
              nvdb_version(), threads, std::getenv("NVDB_THREADS") ? " (NVDB_THREADS)" : "", reps,
              isa.empty() ? "not reported by nvdb_info" : isa.c_str(), kernel.isa);
  print_table(results);

  if (json_path && !write_json(json_path, results, isa, kernel, threads, reps, quick))
    fail(std::string("cannot write ") + json_path);
  return 0;
}
