#include "kernels/scan.hpp"

#include <algorithm>
#include <cmath>

#include "util/thread_pool.hpp"

namespace nvdb::kernels {

namespace {

// Rows are scored in blocks small enough for their scores to stay in L1,
// and split into tasks of about kTaskBytes of vectors so both cores get a
// fair share and a task is long enough to amortise the handoff.
constexpr std::size_t kBlockRows = 256;
constexpr std::size_t kTaskBytes = std::size_t{2} << 20;
constexpr std::size_t kInlineBytes = std::size_t{256} << 10;

// Keeps the best k hits seen so far in a heap whose top is the worst of them.
class TopK {
 public:
  TopK(std::size_t k, const std::function<bool(std::uint32_t, std::uint32_t)> &tie_less)
      : k_(k), better_{tie_less} {
    heap_.reserve(k);
  }

  void offer(float score, std::uint32_t row) {
    if (heap_.size() < k_) {
      heap_.push_back({score, row});
      std::push_heap(heap_.begin(), heap_.end(), better_);
      return;
    }
    // The common case: worse than the worst kept, decided on the score alone.
    const Hit &worst = heap_.front();
    if (score < worst.score) return;
    if (!better_(Hit{score, row}, worst)) return;
    std::pop_heap(heap_.begin(), heap_.end(), better_);
    heap_.back() = {score, row};
    std::push_heap(heap_.begin(), heap_.end(), better_);
  }

  // Whether a row of this score could be kept (ties are decided later).
  bool could_take(float score) const { return heap_.size() < k_ || score >= heap_.front().score; }

  std::vector<Hit> &hits() { return heap_; }

  using Better = HitOrder;

 private:
  std::size_t k_;
  Better better_;
  std::vector<Hit> heap_;
};

// Scores rows [begin, end) (all of them, or those listed in `rows`) into
// top. With compact rows, the scores are approximate ranking scores: no
// threshold applies to them (re_score() applies it to the exact ones).
void score_range(const ScanRequest &req, std::size_t begin, std::size_t end,
                 const std::uint32_t *rows, TopK &top, const CompactQuery *compact) {
  float scores[kBlockRows];
  for (std::size_t b = begin; b < end; b += kBlockRows) {
    std::size_t n = std::min(kBlockRows, end - b);
    if (compact) {
      compact->score(rows ? rows + b : nullptr, b, n, scores);
    } else if (rows) {
      const KernelSet &k = active();
      for (std::size_t i = 0; i < n; ++i) {
        const float *x = req.matrix + std::size_t(rows[b + i]) * req.dim;
        scores[i] = req.metric == Metric::l2 ? -k.l2sq(req.query, x, req.dim)
                                             : k.dot(req.query, x, req.dim);
      }
    } else {
      score_rows(req.metric, req.query, req.matrix + b * req.dim, n, req.dim, scores);
    }
    for (std::size_t i = 0; i < n; ++i) {
      float s = compact ? scores[i] : final_score(req.metric, scores[i]);
      // Stored vectors are finite when they enter, but a damaged shared
      // store could hold NaNs, which would break the ordering the heap needs.
      if (std::isnan(s)) continue;
      if (!compact && req.use_threshold && !(s >= req.threshold)) continue;
      const std::uint32_t row = rows ? rows[b + i] : static_cast<std::uint32_t>(b + i);
      if (req.admit && (!top.could_take(s) || !(*req.admit)(row))) continue;
      top.offer(s, row);
    }
  }
}

// Runs fn(begin, end, &top) over [0, n) in tasks of task_rows rows, and
// merges what the tasks kept into the final best-first list.
template <class Fn>
std::vector<Hit> in_tasks(const ScanRequest &req, std::size_t n, std::size_t task_rows, Fn &&fn) {
  const std::size_t tasks = (n + task_rows - 1) / task_rows;
  std::vector<std::vector<Hit>> kept(tasks);
  // No task keeps more than the n rows there are, whatever top_k asks
  // (a top_k of UINT32_MAX means "all of them", not 32 GB of heap).
  const std::size_t keep = std::min(req.top_k, n);
  ThreadPool::instance().parallel_for(tasks, [&](std::size_t t) {
    TopK top(keep, *req.tie_less);
    std::size_t begin = t * task_rows;
    fn(begin, std::min(n, begin + task_rows), top);
    kept[t] = std::move(top.hits());
  });
  std::vector<Hit> all;
  for (auto &k : kept) all.insert(all.end(), k.begin(), k.end());
  keep_best(all, req.top_k, *req.tie_less);
  return all;
}

// Sized by the bytes the scan reads: a compact row's codes, or its floats.
// Each task fills its own top-k heap from empty, so a task also spans at
// least kRowsPerKept rows per hit it keeps: a compact scan keeps four times
// as many, and with 2 MB tasks heap updates took 4.5% of its time.
constexpr std::size_t kRowsPerKept = 64;
std::size_t rows_per_task(const ScanRequest &req, std::size_t n) {
  const std::size_t read = req.compact ? code_bytes(req.compact->element, req.dim) : 0;
  std::size_t row_bytes = std::max<std::size_t>(1, read ? read : req.dim * sizeof(float));
  if (n * row_bytes <= kInlineBytes) return std::max<std::size_t>(n, 1);
  const std::size_t by_bytes = std::max<std::size_t>(kBlockRows, kTaskBytes / row_bytes);
  return read ? std::max(by_bytes, kRowsPerKept * std::min(req.top_k, n)) : by_bytes;
}

}  // namespace

float final_score(Metric m, float raw) { return m == Metric::l2 ? -std::sqrt(-raw) : raw; }

float exact_score(Metric m, const float *q, const float *x, std::size_t dim) {
  return final_score(m, m == Metric::l2 ? -l2sq(q, x, dim) : dot(q, x, dim));
}

void keep_best(std::vector<Hit> &hits, std::size_t top_k,
               const std::function<bool(std::uint32_t, std::uint32_t)> &tie_less) {
  const std::size_t k = std::min(top_k, hits.size());
  std::partial_sort(hits.begin(), hits.begin() + static_cast<std::ptrdiff_t>(k), hits.end(), HitOrder{tie_less});
  hits.resize(k);
}

// Testing a filter is cheaper than scoring a vector, so the filtered scan
// reads only the vectors that can be returned.
std::vector<std::uint32_t> kept_rows(std::size_t nrows, const std::function<bool(std::uint32_t)> &keep) {
  constexpr std::size_t kRowsPerTask = 4096;
  const std::size_t tasks = (nrows + kRowsPerTask - 1) / kRowsPerTask;
  std::vector<std::vector<std::uint32_t>> parts(tasks);
  ThreadPool::instance().parallel_for(tasks, [&](std::size_t t) {
    std::size_t end = std::min(nrows, (t + 1) * kRowsPerTask);
    for (std::size_t r = t * kRowsPerTask; r < end; ++r)
      if (keep(static_cast<std::uint32_t>(r))) parts[t].push_back(static_cast<std::uint32_t>(r));
  });
  std::vector<std::uint32_t> rows;
  for (auto &p : parts) rows.insert(rows.end(), p.begin(), p.end());
  return rows;
}

namespace {

// The best top_k rows of req, ranked by `compact` if not null.
std::vector<Hit> select(const ScanRequest &req, const CompactQuery *compact) {
  if (!req.keep) {
    return in_tasks(req, req.nrows, rows_per_task(req, req.nrows), [&](std::size_t b, std::size_t e, TopK &top) {
      score_range(req, b, e, nullptr, top, compact);
    });
  }
  std::vector<std::uint32_t> rows = kept_rows(req.nrows, *req.keep);
  return in_tasks(req, rows.size(), rows_per_task(req, rows.size()), [&](std::size_t b, std::size_t e, TopK &top) {
    score_range(req, b, e, rows.data(), top, compact);
  });
}

// ---------------------------------------------------------------------------
// Compact element types: candidates chosen by their codes, then re-scored
// from the float32 rows, so that every score returned is exact.

// Exact scores of the candidates, the threshold applied, best first.
std::vector<Hit> re_score(const ScanRequest &req, const std::vector<Hit> &candidates) {
  std::vector<Hit> exact;
  exact.reserve(candidates.size());
  for (const Hit &c : candidates) {
    const float s = exact_score(req.metric, req.query, req.matrix + std::size_t(c.row) * req.dim, req.dim);
    if (std::isnan(s) || (req.use_threshold && !(s >= req.threshold))) continue;
    exact.push_back({s, c.row});
  }
  keep_best(exact, req.top_k, *req.tie_less);
  return exact;
}

std::vector<Hit> scan_compact(const ScanRequest &req) {
  const CompactQuery query(*req.compact, req.query, req.dim, req.metric);
  ScanRequest wide = req;
  wide.top_k = compact_candidates(req.top_k);
  return re_score(req, select(wide, &query));
}

}  // namespace

// Four times as many candidates as hits, and at least 32 more: recall@10
// against exact float32 then measured 1.0 for every type on the datasets of
// tests/api/test_compact.cpp and bench/bench_compact.cpp (docs/storage.md).
std::size_t compact_candidates(std::size_t top_k) {
  return std::max(4 * top_k, top_k + 32);
}

std::vector<Hit> scan(const ScanRequest &req) {
  if (req.top_k == 0 || req.nrows == 0) return {};
  if (req.compact && req.compact->element != Element::float32) return scan_compact(req);
  return select(req, nullptr);
}

}  // namespace nvdb::kernels
