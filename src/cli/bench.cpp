// nvdb bench: a quick self-benchmark. An exact query reads every stored
// vector once, so it can be no faster than a plain parallel read of as many
// bytes; this measures both in one run (interleaved, so that other load on
// the machine weighs on both alike) and prints their ratio.
#include <cstdio>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "bandwidth.hpp"
#include "commands.hpp"
#include "handle.hpp"
#include "progress.hpp"
#include "report.hpp"

namespace nvdb::cli {

namespace {

constexpr std::size_t kBatch = 10000;
constexpr std::uint32_t kTopK = 10;

// Uniform components in [-1, 1): cheap to make, and never a zero vector.
void random_vectors(std::minstd_rand &rng, std::size_t count, std::uint32_t dim,
                    std::vector<float> &out) {
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  out.resize(count * dim);
  for (float &x : out) x = uniform(rng);
}

// Fills db with rows random vectors; returns the seconds the upserts took.
double fill(Database &db, const BenchArgs &args, Progress &progress) {
  std::minstd_rand rng(42);
  std::vector<float> vectors;
  std::vector<std::string> ids(kBatch);
  std::vector<const char *> id_ptrs(kBatch);
  double seconds = 0;
  for (std::size_t start = 0; start < args.rows; start += kBatch) {
    const std::size_t n = std::min(kBatch, args.rows - start);
    random_vectors(rng, n, args.dim, vectors);
    for (std::size_t i = 0; i < n; ++i) {
      ids[i] = "v" + std::to_string(start + i);
      id_ptrs[i] = ids[i].c_str();
    }
    const auto began = bench::Clock::now();
    check(nvdb_upsert(db.get(), n, id_ptrs.data(), vectors.data(), vectors.size(), nullptr, nullptr),
          "upsert");
    seconds += bench::ms_since(began) / 1000;
    progress.advance(start + n, args.rows, "vectors");
  }
  return seconds;
}

struct Figures {
  double upsert_s;
  bench::Stats bound, query;
  std::string kernel;
  std::uint64_t threads;
  double bytes;
  double ratio() const { return query.median / bound.median; }
  double bound_gbs() const { return bytes / bound.median / 1e6; }
};

void print_text(const BenchArgs &args, const Figures &f) {
  std::printf("nvdb bench: %zu x %u float32 vectors (%s), cosine, kernel %s, %llu threads\n",
              args.rows, args.dim, human_bytes(static_cast<std::uint64_t>(f.bytes)).c_str(),
              f.kernel.c_str(), static_cast<unsigned long long>(f.threads));
  std::printf("  upsert            %9.3f s    (%.0f vectors/s)\n", f.upsert_s,
              static_cast<double>(args.rows) / f.upsert_s);
  std::printf("  bandwidth bound   %9.3f ms   (%.1f GB/s: a parallel read of as many bytes)\n",
              f.bound.median, f.bound_gbs());
  std::printf("  query (top %u)    %9.3f ms   median of %d, p90 %.3f ms\n", kTopK, f.query.median,
              args.queries, f.query.p90);
  std::printf("  ratio             %9.2f      query / bound (1.0 is the memory-bandwidth limit)\n",
              f.ratio());
  std::fflush(stdout);
}

void print_json(const BenchArgs &args, const Figures &f) {
  char text[640];
  std::snprintf(text, sizeof text,
                "{\"rows\":%zu,\"dim\":%u,\"bytes\":%.0f,\"metric\":\"cosine\",\"kernel\":\"%s\","
                "\"threads\":%llu,\"queries\":%d,\"top_k\":%u,\"upsert_s\":%.4f,"
                "\"bound_ms_median\":%.4f,\"bound_gb_per_s\":%.3f,\"query_ms_median\":%.4f,"
                "\"query_ms_p90\":%.4f,\"ratio\":%.4f}",
                args.rows, args.dim, f.bytes, f.kernel.c_str(),
                static_cast<unsigned long long>(f.threads), args.queries, kTopK, f.upsert_s,
                f.bound.median, f.bound_gbs(), f.query.median, f.query.p90, f.ratio());
  std::cout << text << '\n' << std::flush;
}

}  // namespace

int run_bench(const BenchArgs &args) {
  Progress progress("bench");
  progress.step("filling a :memory: database");
  progress.start();
  Database db(":memory:", NVDB_OPEN_CREATE, args.dim, NVDB_METRIC_COSINE);
  Figures f{};
  f.upsert_s = fill(db, args, progress);
  const JsonDoc info(db.info());
  f.kernel = JsonDoc::string(info.root(), "kernel");
  f.threads = JsonDoc::number(info.root(), "threads");
  f.bytes = double(args.rows) * args.dim * sizeof(float);

  progress.step("timing queries and the bound");
  progress.advance(0, 0, "");
  bench::Team team(static_cast<unsigned>(f.threads));
  const bench::SumKernel sum = bench::choose_sum();
  bench::BoundRead bound(args.rows * args.dim, team, sum);
  std::minstd_rand rng(7);
  std::vector<float> queries;
  random_vectors(rng, static_cast<std::size_t>(args.queries) * 2, args.dim, queries);
  std::size_t next = 0;
  nvdb_query_options opts = NVDB_QUERY_OPTIONS_INIT;
  opts.top_k = kTopK;
  auto query = [&] {
    nvdb_hits *hits = nullptr;
    const float *q = queries.data() + (next++ % (queries.size() / args.dim)) * args.dim;
    check(nvdb_query(db.get(), q, args.dim, &opts, &hits), "query");
    nvdb_hits_free(hits);
  };
  for (int i = 0; i < 3; ++i) query();  // wakes the library's pool for the first time
  std::tie(f.bound, f.query) = bench::time_interleaved(args.queries, std::ref(bound), query);
  progress.finish();
  if (args.json)
    print_json(args, f);
  else
    print_text(args, f);
  return kExitOk;
}

}  // namespace nvdb::cli
