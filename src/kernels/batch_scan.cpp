#include "kernels/batch_scan.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <functional>
#include <limits>

#include "core/aligned_floats.hpp"
#include "kernels/gemm.hpp"
#include "util/thread_pool.hpp"

namespace nvdb::kernels {

namespace {

// Tile sizes. A block of rows is packed once and scored against every query
// of the group; its packed copy (kBlockBytes) stays in L2 while it is used.
// Scores of one block against one chunk of queries (at most 240 x 256
// floats) stay in L2 too until selection reads them. kDepth components at a
// time keep a query panel (kDepth x 12 floats) in L1 across row panels.
constexpr std::size_t kBlockBytes = std::size_t{512} << 10;
constexpr std::size_t kMaxBlockRows = 256;
constexpr std::size_t kDepth = 256;
constexpr std::size_t kChunkQueries = 240;  // a multiple of every kernel's NR
// Queries handled together: bounds the per-query state every task keeps.
constexpr std::size_t kGroupQueries = 4096;
// Enough tasks per thread that a core slowed by a neighbour does not hold
// up the batch.
constexpr std::size_t kTasksPerThread = 16;

constexpr double kUnitRoundoff = 1.0 / (1 << 24);  // float: 2^-24

// A row that may be among a query's best: [lower, upper] holds the score the
// exact kernel gives it.
struct Candidate {
  double lower, upper;
  std::uint32_t row;
};

double kth_largest_lower(const std::vector<Candidate> &items, std::size_t k) {
  if (items.size() < k) return -std::numeric_limits<double>::infinity();
  std::vector<double> scratch;
  scratch.reserve(items.size());
  for (const Candidate &c : items) scratch.push_back(c.lower);
  std::nth_element(scratch.begin(), scratch.begin() + std::ptrdiff_t(k - 1), scratch.end(),
                   std::greater<double>());
  return scratch[k - 1];
}

// Rows whose upper bound is below the k-th largest lower bound cannot be
// among the best k. The slack keeps rows a few ulps below it: under l2 two
// squared distances a few ulps apart can have the same square root, and the
// order of such hits is then decided by id.
double cutoff_below(double kth_lower) { return kth_lower - std::fabs(kth_lower) * 0x1p-20; }

// The candidates of one query within one task's rows: every row offered
// whose upper bound reaches the cutoff, which a heap of the k largest lower
// bounds raises as rows come.
class Candidates {
 public:
  explicit Candidates(std::size_t k) : k_(k), limit_(2 * k + 64) {}

  double cutoff() const { return cutoff_; }

  // Another task's cutoff for the same query: also a lower bound on its
  // k-th best score, since it comes from k other rows.
  void raise_cutoff(double cutoff) { cutoff_ = std::max(cutoff_, cutoff); }

  void offer(double lower, double upper, std::uint32_t row) {
    items_.push_back({lower, upper, row});
    if (lowest_.size() < k_) {
      lowest_.push_back(lower);
      std::push_heap(lowest_.begin(), lowest_.end(), std::greater<double>());
    } else if (lower > lowest_.front()) {
      std::pop_heap(lowest_.begin(), lowest_.end(), std::greater<double>());
      lowest_.back() = lower;
      std::push_heap(lowest_.begin(), lowest_.end(), std::greater<double>());
    }
    if (lowest_.size() == k_) cutoff_ = std::max(cutoff_, cutoff_below(lowest_.front()));
    if (items_.size() >= limit_) drop_below_cutoff();
  }

  std::vector<Candidate> &items() { return items_; }

 private:
  void drop_below_cutoff() {
    const double cut = cutoff_;
    items_.erase(std::remove_if(items_.begin(), items_.end(), [cut](const Candidate &c) { return c.upper < cut; }),
                 items_.end());
    // Many rows within the margin (near-duplicates): drop less often.
    limit_ = std::max(limit_, 2 * items_.size());
  }

  std::size_t k_, limit_;
  double cutoff_ = -std::numeric_limits<double>::infinity();
  std::vector<double> lowest_;  // min-heap of the k largest lower bounds
  std::vector<Candidate> items_;
};

// What every task of one group of queries shares.
struct Group {
  const BatchScanRequest &req;
  const GemmKernel &kernel;
  const std::uint32_t *rows;  // the rows to score (nullptr: all of them)
  std::size_t block_rows;     // a multiple of kernel.rows_per_panel
  const float *queries;       // the group's first query
  std::size_t nqueries;
  const float *packed_queries;     // panels of kernel.queries_per_panel
  std::vector<double> query_sq;    // squared norms, in double
  std::vector<double> query_norm;
  // Rounding: a float sum of dim products is within dim * 2^-24 * (sum of
  // |products|) of the exact value (Higham's bound, for any order of
  // summation), and the sum of |q_i x_i| is at most |q| |x|. Tile and exact
  // kernel each err by that much at most, so twice it (plus a little for
  // the norms, themselves rounded) bounds their difference. Under l2 the
  // tile's -(|q|^2 + |x|^2 - 2 q.x) has three such terms, bounded by
  // (|q| + |x|)^2, against the exact sum of squared differences.
  double dot_margin, l2_margin;
  // The best cutoff any task has found for each query, shared so that a
  // task starts from what earlier ones learnt instead of from nothing.
  std::atomic<double> *cutoffs;

  std::uint32_t row_at(std::size_t i) const { return rows ? rows[i] : static_cast<std::uint32_t>(i); }
};

// The rows of one block as select() needs them: squared norms and norms
// (for the margins), and their extremes.
struct BlockNorms {
  std::vector<double> sq, norm;
  double min_sq = 0, max_norm = 0;
};

// Each thread's buffers, kept from one batch to the next.
struct Workspace {
  AlignedFloats packed_rows, scores;
  BlockNorms norms;
};

// Scores the rows [start, start + count) of the group's row list against
// query panels, accumulating kDepth components at a time.
void score_tiles(const Group &g, Workspace &ws, std::size_t count, std::size_t q0, std::size_t qcount) {
  const std::size_t dim = g.req.dim, mr = g.kernel.rows_per_panel, nr = g.kernel.queries_per_panel;
  const std::size_t row_panels = (count + mr - 1) / mr, query_panels = (qcount + nr - 1) / nr;
  for (std::size_t pc = 0; pc < dim; pc += kDepth) {
    const std::size_t kc = std::min(kDepth, dim - pc);
    for (std::size_t jp = 0; jp < query_panels; ++jp) {
      const float *q = g.packed_queries + (q0 / nr + jp) * nr * dim + pc * nr;
      for (std::size_t ip = 0; ip < row_panels; ++ip)
        g.kernel.micro(ws.packed_rows.data() + ip * mr * dim + pc * mr, q, kc,
                       ws.scores.data() + jp * nr * g.block_rows + ip * mr, g.block_rows, pc > 0);
    }
  }
}

// A float below which a tile score cannot reach cutoff, for any row of the
// block: most scores are rejected by this one comparison.
float reject_below(const Group &g, const BlockNorms &rows, std::size_t j, double cutoff) {
  double t;
  if (g.req.metric == Metric::l2) {
    const double reach = g.query_norm[j] + rows.max_norm;
    t = (cutoff + g.query_sq[j] + rows.min_sq - g.l2_margin * reach * reach) / 2;
  } else {
    t = cutoff - g.dot_margin * g.query_norm[j] * rows.max_norm;
  }
  if (!(t > -std::numeric_limits<float>::max())) return -std::numeric_limits<float>::infinity();
  return std::nextafter(static_cast<float>(t), -std::numeric_limits<float>::infinity());
}

void publish(std::atomic<double> &shared, double cutoff) {
  double seen = shared.load(std::memory_order_relaxed);
  while (cutoff > seen && !shared.compare_exchange_weak(seen, cutoff, std::memory_order_relaxed)) {
  }
}

// Nearly every score is rejected, so they are first tested a run at a time,
// in a loop the compiler vectorises.
constexpr std::size_t kRejectRun = 16;

bool any_reaches(const float *s, float reject) {
  bool any = false;
  for (std::size_t i = 0; i < kRejectRun; ++i) any |= s[i] >= reject;
  return any;
}

// Offers each scored row to each query of the chunk, with its score's range.
void select(const Group &g, const BlockNorms &rows, const float *scores, std::size_t start,
            std::size_t count, std::size_t q0, std::size_t qcount, std::vector<Candidates> &per_query) {
  const bool l2 = g.req.metric == Metric::l2;
  for (std::size_t jl = 0; jl < qcount; ++jl) {
    const std::size_t j = q0 + jl;
    const float *s = scores + jl * g.block_rows;
    Candidates &c = per_query[j];
    c.raise_cutoff(g.cutoffs[j].load(std::memory_order_relaxed));
    float reject = reject_below(g, rows, j, c.cutoff());
    for (std::size_t i = 0; i < count; ++i) {
      if (i % kRejectRun == 0 && i + kRejectRun <= count && !any_reaches(s + i, reject)) {
        i += kRejectRun - 1;
        continue;
      }
      if (s[i] < reject) continue;
      double value, err;
      if (l2) {
        value = 2.0 * s[i] - g.query_sq[j] - rows.sq[i];
        const double reach = g.query_norm[j] + rows.norm[i];
        err = g.l2_margin * reach * reach;
      } else {
        value = s[i];
        err = g.dot_margin * g.query_norm[j] * rows.norm[i];
      }
      if (value + err < c.cutoff()) continue;
      c.offer(value - err, value + err, g.row_at(start + i));
      publish(g.cutoffs[j], c.cutoff());
      reject = reject_below(g, rows, j, c.cutoff());
    }
  }
}

// Packs one block of rows and offers it to every query of the group.
void score_block(const Group &g, Workspace &ws, std::size_t start, std::size_t count,
                 std::vector<Candidates> &per_query) {
  const std::size_t dim = g.req.dim;
  const float *src = g.rows ? g.req.matrix : g.req.matrix + start * dim;
  pack_panels(src, g.rows ? g.rows + start : nullptr, count, dim, g.kernel.rows_per_panel,
              ws.packed_rows.data());
  BlockNorms &norms = ws.norms;
  norms.min_sq = std::numeric_limits<double>::infinity();
  norms.max_norm = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const float *x = g.req.matrix + std::size_t(g.row_at(start + i)) * dim;
    norms.sq[i] = dot(x, x, dim);
    norms.norm[i] = std::sqrt(norms.sq[i]);
    norms.min_sq = std::min(norms.min_sq, norms.sq[i]);
    norms.max_norm = std::max(norms.max_norm, norms.norm[i]);
  }
  for (std::size_t q0 = 0; q0 < g.nqueries; q0 += kChunkQueries) {
    const std::size_t qcount = std::min(kChunkQueries, g.nqueries - q0);
    score_tiles(g, ws, count, q0, qcount);
    select(g, norms, ws.scores.data(), start, count, q0, qcount, per_query);
  }
}

void run_task(const Group &g, std::size_t begin, std::size_t end, std::vector<Candidates> &per_query) {
  thread_local Workspace ws;
  const std::size_t panel_rows = (g.block_rows + g.kernel.rows_per_panel - 1) / g.kernel.rows_per_panel *
                                 g.kernel.rows_per_panel;
  ws.packed_rows.reserve(panel_rows * g.req.dim, 0);
  ws.scores.reserve(kChunkQueries * g.block_rows, 0);
  ws.norms.sq.resize(g.block_rows);
  ws.norms.norm.resize(g.block_rows);
  for (std::size_t b = begin; b < end; b += g.block_rows)
    score_block(g, ws, b, std::min(g.block_rows, end - b), per_query);
}

// The exact answer for query j from the candidates every task kept.
std::vector<Hit> finish(const Group &g, std::size_t j, std::vector<std::vector<Candidates>> &tasks) {
  const BatchScanRequest &req = g.req;
  std::vector<Candidate> all;
  for (auto &t : tasks) all.insert(all.end(), t[j].items().begin(), t[j].items().end());
  const double cut = cutoff_below(kth_largest_lower(all, req.top_k));
  const float *q = g.queries + j * req.dim;
  std::vector<Hit> hits;
  for (const Candidate &c : all) {
    if (c.upper < cut) continue;
    // Scored as scan() scores, so that the scores are its own.
    const float s = exact_score(req.metric, q, req.matrix + std::size_t(c.row) * req.dim, req.dim);
    if (std::isnan(s)) continue;
    if (req.use_threshold && !(s >= req.threshold)) continue;
    hits.push_back({s, c.row});
  }
  keep_best(hits, req.top_k, *req.tie_less);
  return hits;
}

std::size_t block_rows_for(const GemmKernel &kernel, std::size_t dim) {
  const std::size_t mr = kernel.rows_per_panel;
  const std::size_t fit = kBlockBytes / (dim * sizeof(float)) / mr * mr;
  return std::clamp(fit, mr, kMaxBlockRows / mr * mr);
}

void scan_group(const BatchScanRequest &req, const std::uint32_t *rows, std::size_t nrows, std::size_t first,
                std::size_t nqueries, std::vector<std::vector<Hit>> &out) {
  const GemmKernel &kernel = active_gemm();
  const std::size_t dim = req.dim, nr = kernel.queries_per_panel;
  const double d = double(dim);
  Group g{req, kernel, rows, block_rows_for(kernel, dim), req.queries + first * dim, nqueries, nullptr,
          {}, {}, 2 * (d + 32) * kUnitRoundoff, 2 * (2 * d + 32) * kUnitRoundoff, nullptr};
  std::vector<std::atomic<double>> cutoffs(nqueries);
  for (auto &c : cutoffs) c.store(-std::numeric_limits<double>::infinity(), std::memory_order_relaxed);
  g.cutoffs = cutoffs.data();
  AlignedFloats packed;
  packed.reserve((nqueries + nr - 1) / nr * nr * dim, 0);
  pack_panels(g.queries, nullptr, nqueries, dim, nr, packed.data());
  g.packed_queries = packed.data();
  for (std::size_t j = 0; j < nqueries; ++j) {
    const float *q = g.queries + j * dim;
    double sq = 0;
    for (std::size_t i = 0; i < dim; ++i) sq += double(q[i]) * q[i];
    g.query_sq.push_back(sq);
    g.query_norm.push_back(std::sqrt(sq));
  }

  ThreadPool &pool = ThreadPool::instance();
  const std::size_t wanted = (nrows + pool.size() * kTasksPerThread - 1) / (pool.size() * kTasksPerThread);
  const std::size_t task_rows = std::max<std::size_t>(1, (wanted + g.block_rows - 1) / g.block_rows) * g.block_rows;
  const std::size_t tasks = (nrows + task_rows - 1) / task_rows;
  std::vector<std::vector<Candidates>> kept(tasks, std::vector<Candidates>(nqueries, Candidates(req.top_k)));
  pool.parallel_for(tasks, [&](std::size_t t) {
    run_task(g, t * task_rows, std::min(nrows, (t + 1) * task_rows), kept[t]);
  });
  pool.parallel_for(nqueries, [&](std::size_t j) { out[first + j] = finish(g, j, kept); });
}

}  // namespace

std::vector<std::vector<Hit>> scan_batch(const BatchScanRequest &req) {
  std::vector<std::vector<Hit>> out(req.nqueries);
  if (req.top_k == 0 || req.nrows == 0 || req.nqueries == 0) return out;
  std::vector<std::uint32_t> rows;
  if (req.keep) rows = kept_rows(req.nrows, *req.keep);
  const std::size_t nrows = req.keep ? rows.size() : req.nrows;
  if (nrows == 0) return out;
  for (std::size_t first = 0; first < req.nqueries; first += kGroupQueries)
    scan_group(req, req.keep ? rows.data() : nullptr, nrows, first, std::min(kGroupQueries, req.nqueries - first),
               out);
  return out;
}

}  // namespace nvdb::kernels
