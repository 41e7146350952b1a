// nvdb_bench_compact: what each element type buys. For one dataset at a
// time, in one run: the median time of a query (the scan of every row and
// the exact re-scoring of its candidates) for float16, bfloat16 and int8,
// as a ratio to float32's, and recall@10 against the exact float32 top 10
// (with a check that every score returned is float32's exact one). Queries
// to the compact database and to a float32 one alternate, so that the
// ratio compares times taken under the same load on a shared machine. It
// also reports the ratio of the process CPU time the queries took (every
// scan thread is in this process), which other processes' load inflates
// less than the wall-clock time.
// Datasets: Gaussian vectors; clusters of near-duplicates (the hard case
// for choosing candidates from approximate scores); and Gaussian vectors
// with a few outlier dimensions 20 times larger, as some embedding models
// produce (the hard case for a per-vector int8 scale, which the outliers
// set, leaving few levels for the other dimensions).
//
//   nvdb_bench_compact [--quick] [--json FILE]
#include <nvdb.h>

#include "bench_common.hpp"

#include <cstdio>
#include <ctime>
#include <cstdlib>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace {

using bench::check;
using bench::Clock;
using bench::fail;
using bench::ms_since;

struct Dataset {
  std::string name;
  std::size_t n, dim;
  std::vector<float> rows, queries;  // row-major
  std::size_t nqueries;
};

// Gaussian rows and queries.
Dataset gaussian(std::size_t n, std::size_t dim, std::size_t nq) {
  Dataset d{"gaussian", n, dim, std::vector<float>(n * dim), std::vector<float>(nq * dim), nq};
  std::mt19937 gen(1);
  std::normal_distribution<float> normal;
  for (float &v : d.rows) v = normal(gen);
  for (float &v : d.queries) v = normal(gen);
  return d;
}

// n / 50 cluster centres, each with 50 rows at cosine about 0.96 from it;
// each query is near a centre, so its top 10 are near-duplicates whose
// exact scores differ little.
Dataset clustered(std::size_t n, std::size_t dim, std::size_t nq) {
  Dataset d{"clustered", n, dim, std::vector<float>(n * dim), std::vector<float>(nq * dim), nq};
  std::mt19937 gen(2);
  std::normal_distribution<float> normal;
  const std::size_t clusters = n / 50;
  std::vector<float> centres(clusters * dim);
  for (float &v : centres) v = normal(gen);
  for (std::size_t r = 0; r < n; ++r)
    for (std::size_t i = 0; i < dim; ++i) d.rows[r * dim + i] = centres[(r % clusters) * dim + i] + 0.2f * normal(gen);
  for (std::size_t q = 0; q < nq; ++q)
    for (std::size_t i = 0; i < dim; ++i)
      d.queries[q * dim + i] = centres[(q * 7919 % clusters) * dim + i] + 0.2f * normal(gen);
  return d;
}

// Gaussian, but dimensions 0, 1 and 2 of every row and query are 20 times
// larger than the others.
Dataset outliers(std::size_t n, std::size_t dim, std::size_t nq) {
  Dataset d = gaussian(n, dim, nq);
  d.name = "outliers";
  for (std::vector<float> *m : {&d.rows, &d.queries})
    for (std::size_t r = 0; r < m->size() / dim; ++r)
      for (std::size_t i = 0; i < 3 && i < dim; ++i) (*m)[r * dim + i] *= 20;
  return d;
}

struct Answer {
  std::vector<std::string> ids;
  std::vector<float> scores;
};

struct Run {
  const char *type;
  double upsert_s = 0;
  bench::Stats query_ms, float32_ms;  // float32_ms: the interleaved float32 queries
  bench::Stats query_cpu_ms, float32_cpu_ms;
  std::vector<Answer> answers;
  double recall = 1;
  std::size_t inexact_scores = 0;
};

Answer query(nvdb_db *db, const float *q, std::size_t dim) {
  nvdb_query_options o = NVDB_QUERY_OPTIONS_INIT;
  o.top_k = 10;
  nvdb_hits *hits = nullptr;
  check(nvdb_query(db, q, dim, &o, &hits), "nvdb_query");
  Answer a;
  for (std::size_t i = 0; i < nvdb_hits_count(hits); ++i) {
    a.ids.push_back(nvdb_hits_id(hits, i));
    a.scores.push_back(nvdb_hits_score(hits, i));
  }
  nvdb_hits_free(hits);
  return a;
}

// CPU time of every thread of this process, in milliseconds.
double process_cpu_ms() {
  timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return double(t.tv_sec) * 1e3 + double(t.tv_nsec) / 1e6;
}

struct Timing {
  double wall_ms, cpu_ms;
};

Timing timed_query(nvdb_db *db, const float *q, std::size_t dim, Answer *out) {
  const double cpu = process_cpu_ms();
  const Clock::time_point t = Clock::now();
  Answer a = query(db, q, dim);
  const Timing timing{ms_since(t), process_cpu_ms() - cpu};
  if (out) *out = std::move(a);
  return timing;
}

// A database of the type holding the dataset.
nvdb_db *load(const Dataset &d, nvdb_element_type type, double &seconds) {
  nvdb_options opts = NVDB_OPTIONS_INIT;
  opts.dim = static_cast<uint32_t>(d.dim);
  opts.element_type = type;
  nvdb_db *db = nullptr;
  check(nvdb_open(&db, ":memory:", &opts), "nvdb_open");
  std::vector<std::string> ids(d.n);
  std::vector<const char *> id_ptrs(d.n);
  for (std::size_t i = 0; i < d.n; ++i) {
    ids[i] = "r" + std::to_string(i);
    id_ptrs[i] = ids[i].c_str();
  }
  const Clock::time_point start = Clock::now();
  check(nvdb_upsert(db, d.n, id_ptrs.data(), d.rows.data(), d.rows.size(), nullptr, nullptr), "nvdb_upsert");
  seconds = ms_since(start) / 1000;
  return db;
}

// Queries db and the float32 database in turn, reps times each.
Run run_type(const Dataset &d, nvdb_db *float32, nvdb_element_type type, const char *name, int reps) {
  Run run;
  run.type = name;
  nvdb_db *db = type == NVDB_ELEMENT_FLOAT32 ? float32 : load(d, type, run.upsert_s);
  for (int w = 0; w < 3; ++w) query(db, d.queries.data(), d.dim);  // warm the caches and the pool
  std::vector<double> times, float32_times, cpu, float32_cpu;
  for (int r = 0; r < reps; ++r) {
    const float *q = d.queries.data() + (r % d.nqueries) * d.dim;
    const Timing exact = timed_query(float32, q, d.dim, nullptr);
    run.answers.emplace_back();
    const Timing compact = timed_query(db, q, d.dim, &run.answers.back());
    float32_times.push_back(exact.wall_ms);
    float32_cpu.push_back(exact.cpu_ms);
    times.push_back(compact.wall_ms);
    cpu.push_back(compact.cpu_ms);
  }
  run.answers.resize(d.nqueries);
  run.query_ms = bench::summarize(times);
  run.float32_ms = bench::summarize(float32_times);
  run.query_cpu_ms = bench::summarize(cpu);
  run.float32_cpu_ms = bench::summarize(float32_cpu);
  if (db != float32) nvdb_close(db);
  return run;
}

// Recall@10 against float32's answers, and how many returned scores differ
// from float32's exact score for the same record.
void compare(Run &run, const Run &exact) {
  std::size_t found = 0, total = 0;
  for (std::size_t q = 0; q < exact.answers.size(); ++q) {
    std::map<std::string, float> truth;
    for (std::size_t i = 0; i < exact.answers[q].ids.size(); ++i) truth[exact.answers[q].ids[i]] = exact.answers[q].scores[i];
    const Answer &got = run.answers[q];
    for (std::size_t i = 0; i < got.ids.size(); ++i) {
      auto it = truth.find(got.ids[i]);
      if (it == truth.end()) continue;
      ++found;
      if (it->second != got.scores[i]) ++run.inexact_scores;
    }
    total += truth.size();
  }
  run.recall = total ? double(found) / double(total) : 1;
}

std::size_t scanned_bytes(const char *type, std::size_t dim) {
  const std::string t = type;
  return t == "float32" ? 4 * dim : t == "int8" ? dim : 2 * dim;
}

void print(const Dataset &d, const std::vector<Run> &runs) {
  std::printf("\n%s, %zu x %zu (%zu queries)\n", d.name.c_str(), d.n, d.dim, d.nqueries);
  std::printf("%-9s %13s %10s %10s %11s %7s %10s %10s %8s %8s\n", "type", "scanned B/row", "median ms",
              "p90 ms", "float32 ms", "ratio", "cpu ratio", "recall@10", "inexact", "upsert s");
  for (const Run &r : runs)
    std::printf("%-9s %13zu %10.3f %10.3f %11.3f %7.3f %10.3f %10.4f %8zu %8.2f\n", r.type,
                scanned_bytes(r.type, d.dim), r.query_ms.median, r.query_ms.p90, r.float32_ms.median,
                r.query_ms.median / r.float32_ms.median, r.query_cpu_ms.median / r.float32_cpu_ms.median, r.recall,
                r.inexact_scores, r.upsert_s);
}

void append_json(std::string &out, const Dataset &d, const std::vector<Run> &runs) {
  char buf[512];
  std::snprintf(buf, sizeof buf, "  {\"dataset\": \"%s\", \"n\": %zu, \"dim\": %zu, \"queries\": %zu, \"types\": [",
                d.name.c_str(), d.n, d.dim, d.nqueries);
  out += buf;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const Run &r = runs[i];
    std::snprintf(buf, sizeof buf,
                  "%s\n    {\"type\": \"%s\", \"median_ms\": %.4f, \"p90_ms\": %.4f, \"float32_median_ms\": %.4f, "
                  "\"ratio_to_float32\": %.4f, \"cpu_ms\": %.4f, \"float32_cpu_ms\": %.4f, \"cpu_ratio\": %.4f, "
                  "\"recall_at_10\": %.4f, \"inexact_scores\": %zu, \"upsert_s\": %.3f}",
                  i ? "," : "", r.type, r.query_ms.median, r.query_ms.p90, r.float32_ms.median,
                  r.query_ms.median / r.float32_ms.median, r.query_cpu_ms.median, r.float32_cpu_ms.median,
                  r.query_cpu_ms.median / r.float32_cpu_ms.median, r.recall, r.inexact_scores, r.upsert_s);
    out += buf;
  }
  out += "]}";
}

}  // namespace

int main(int argc, char **argv) {
  bench::program_name() = "nvdb_bench_compact";
  bench::Args args;
  if (!bench::parse_args(argc, argv, args)) return 2;
  const std::size_t n = args.quick ? 20000 : 100000, dim = args.quick ? 256 : 1024, nq = 50;
  const int reps = args.quick ? 30 : 60;
  const std::pair<nvdb_element_type, const char *> types[] = {{NVDB_ELEMENT_FLOAT32, "float32"},
                                                              {NVDB_ELEMENT_FLOAT16, "float16"},
                                                              {NVDB_ELEMENT_BFLOAT16, "bfloat16"},
                                                              {NVDB_ELEMENT_INT8, "int8"}};
  std::string json = "{\"library\": \"" + std::string(nvdb_version()) + "\", \"repetitions\": " +
                     std::to_string(reps) + ", \"datasets\": [\n";
  bool first = true;
  for (Dataset (*make)(std::size_t, std::size_t, std::size_t) : {gaussian, clustered, outliers}) {
    const Dataset d = make(n, dim, nq);
    double float32_upsert_s = 0;
    nvdb_db *float32 = load(d, NVDB_ELEMENT_FLOAT32, float32_upsert_s);
    std::vector<Run> runs;
    for (const auto &[type, name] : types) {
      std::fprintf(stderr, "nvdb_bench_compact: %s %s ...\n", d.name.c_str(), name);
      runs.push_back(run_type(d, float32, type, name, reps));
      compare(runs.back(), runs.front());
    }
    runs.front().upsert_s = float32_upsert_s;
    nvdb_close(float32);
    print(d, runs);
    if (!first) json += ",\n";
    append_json(json, d, runs);
    first = false;
  }
  json += "\n]}\n";
  std::printf("\nmedian of %d queries each, alternating with as many float32 queries;\n"
              "ratio = median / the median of those float32 queries (wall clock);\n"
              "cpu ratio = the same for the process CPU time of a query\n", reps);
  if (args.json_path) {
    FILE *f = std::fopen(args.json_path, "w");
    if (!f || std::fputs(json.c_str(), f) < 0 || std::fclose(f) != 0) fail(std::string("cannot write ") + args.json_path);
  }
  return 0;
}
