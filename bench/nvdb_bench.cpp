// nvdb_bench: how close a single exact query comes to the memory-bandwidth
// bound. An exact top-k query must read every stored vector once, so it can
// be no faster than a plain parallel read of as many bytes; the ratio
// query / read says how much the library adds on top (the target is <= 1.5).
//
//   nvdb_bench [--quick] [--json FILE]
#include <nvdb.h>

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

[[noreturn]] void fail(const std::string &what) {
  std::fprintf(stderr, "nvdb_bench: %s\n", what.c_str());
  std::exit(1);
}

void check(int status, const char *call) {
  if (status != NVDB_OK)
    fail(std::string(call) + " failed: " + nvdb_strerror(status) + ": " + nvdb_errmsg());
}


// The library's pool size: one thread per core, or NVDB_THREADS.
unsigned thread_count() {
  unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  if (const char *env = std::getenv("NVDB_THREADS")) {
    long v = std::strtol(env, nullptr, 10);
    if (v >= 1 && v <= 1024) threads = static_cast<unsigned>(v);
  }
  return threads;
}

// ---------------------------------------------------------------------------
// The bound: a vectorised parallel sum over a buffer as large as the matrix.

// 64 independent accumulators leave no dependency between lanes, so the
// compiler vectorises the inner loop without -ffast-math. Inlined into each
// target-specific wrapper below, it is compiled once per instruction set.
__attribute__((always_inline)) inline float sum_floats(const float *p, std::size_t n) {
  constexpr std::size_t kLanes = 64;
  float acc[kLanes] = {};
  std::size_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (std::size_t j = 0; j < kLanes; ++j) acc[j] += p[i + j];
  for (; i < n; ++i) acc[0] += p[i];
  float s = 0;
  for (float a : acc) s += a;
  return s;
}

__attribute__((target("avx512f"))) float sum_avx512(const float *p, std::size_t n) {
  return sum_floats(p, n);
}
__attribute__((target("avx2,fma"))) float sum_avx2(const float *p, std::size_t n) {
  return sum_floats(p, n);
}
float sum_sse2(const float *p, std::size_t n) { return sum_floats(p, n); }

struct SumKernel {
  const char *isa;
  float (*sum)(const float *, std::size_t);
};

// The best this CPU runs, as the library chooses its kernels (NVDB_KERNEL
// caps it the same way, so the bound uses the same vector width).
SumKernel choose_sum() {
  __builtin_cpu_init();
  const char *forced = std::getenv("NVDB_KERNEL");
  auto allowed = [&](const char *isa) { return !forced || std::strcmp(forced, isa) == 0; };
  if (allowed("avx512") && __builtin_cpu_supports("avx512f")) return {"avx512", sum_avx512};
  if (allowed("avx2") && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    return {"avx2", sum_avx2};
  return {"sse2", sum_sse2};
}

// Runs fn() on every thread of the team (the caller is one of them). The
// workers are started once and woken per call, as the library's pool does,
// so thread creation is not timed but the wake-up is.
class Team {
 public:
  explicit Team(unsigned threads) {
    for (unsigned i = 1; i < threads; ++i) workers_.emplace_back([this] { work(); });
  }
  ~Team() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    for (auto &t : workers_) t.join();
  }

  void run(const std::function<void()> &fn) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      fn_ = &fn;
      busy_ = workers_.size();
      ++generation_;
    }
    wake_.notify_all();
    fn();
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [&] { return busy_ == 0; });
  }

 private:
  void work() {
    std::uint64_t seen = 0;
    for (;;) {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || generation_ != seen; });
      if (stopping_) return;
      seen = generation_;
      lock.unlock();
      (*fn_)();
      lock.lock();
      if (--busy_ == 0) done_.notify_one();
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_, done_;
  const std::function<void()> *fn_ = nullptr;
  std::uint64_t generation_ = 0;
  std::size_t busy_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

using AlignedFloats = std::unique_ptr<float[], decltype(&std::free)>;

AlignedFloats aligned_floats(std::size_t n) {
  std::size_t bytes = (n * sizeof(float) + 63) / 64 * 64;
  auto *p = static_cast<float *>(std::aligned_alloc(64, bytes));
  if (!p) fail("out of memory");
  return {p, &std::free};
}

std::atomic<float> g_sink{0};  // keeps the sums alive

// One read of a buffer of n floats on every thread: the bound. Threads claim
// 2 MiB chunks, as the library's scan claims its tasks, so a core the
// machine takes away for a while does not hold the others up.
class BoundRead {
 public:
  BoundRead(std::size_t n, Team &team, const SumKernel &kernel)
      : n_(n), buf_(aligned_floats(n)), team_(team), kernel_(kernel) {
    std::fill(buf_.get(), buf_.get() + n, 1.0f);  // fault every page in before timing
  }

  void operator()() {
    constexpr std::size_t kChunk = (std::size_t{2} << 20) / sizeof(float);
    const std::size_t chunks = (n_ + kChunk - 1) / kChunk;
    std::atomic<std::size_t> next{0};
    team_.run([&] {
      float s = 0;
      for (std::size_t c; (c = next.fetch_add(1)) < chunks;)
        s += kernel_.sum(buf_.get() + c * kChunk, std::min(kChunk, n_ - c * kChunk));
      g_sink.store(s, std::memory_order_relaxed);
    });
  }

 private:
  std::size_t n_;
  AlignedFloats buf_;
  Team &team_;
  const SumKernel &kernel_;
};

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

// Times reps calls of a and of b, alternating in blocks of a few calls, so
// that other load on a shared machine weighs on both alike instead of on
// whichever was running while it lasted. Each block starts with an untimed
// call that refills the caches the other operation evicted.
std::pair<Stats, Stats> time_interleaved(int reps, const std::function<void()> &a,
                                         const std::function<void()> &b) {
  constexpr int kBlock = 5;
  std::vector<double> ta, tb;
  auto block = [](const std::function<void()> &op, int n, std::vector<double> &times) {
    op();
    for (int i = 0; i < n; ++i) {
      auto start = Clock::now();
      op();
      times.push_back(ms_since(start));
    }
  };
  for (int done = 0; done < reps; done += kBlock) {
    block(a, std::min(kBlock, reps - done), ta);
    block(b, std::min(kBlock, reps - done), tb);
  }
  return {summarize(ta), summarize(tb)};
}

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
