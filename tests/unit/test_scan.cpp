// Exact top-k search (src/kernels/scan.hpp) against a brute-force reference:
// score every row, sort by score (descending) then tie_less, take top_k.
//
// Most cases use small-integer vectors: every score is then exact in float
// whatever the kernel's summation order, so scan() must return exactly the
// reference's rows in the reference's order, and ties are plentiful. Random
// float data is compared with a tolerance instead.
//
// 200,000 rows of 16 floats (12.8 MB) are more than one task (2 MiB), so
// the large cases go through the thread pool's split and merge.
#define BOOST_TEST_MODULE scan
#include <boost/test/unit_test.hpp>
#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "kernels/scan.hpp"
#include "util/thread_pool.hpp"

using namespace nvdb::kernels;

namespace {

using Keep = std::function<bool(std::uint32_t)>;
using TieLess = std::function<bool(std::uint32_t, std::uint32_t)>;

constexpr std::size_t kLargeRows = 200000;
constexpr std::size_t kDim = 16;

struct Matrix {
  std::size_t nrows = 0, dim = 0;
  std::vector<float> values;
  const float *row(std::size_t r) const { return values.data() + r * dim; }
};

// Components in {-1, 0, 1, 2}: scores are small integers (or square roots
// of them), exact in float, with many ties.
Matrix small_integers(std::size_t nrows, std::size_t dim, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_int_distribution<int> pick(-1, 2);
  Matrix m{nrows, dim, std::vector<float>(nrows * dim)};
  for (float &v : m.values) v = float(pick(gen));
  return m;
}

Matrix random_floats(std::size_t nrows, std::size_t dim, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  Matrix m{nrows, dim, std::vector<float>(nrows * dim)};
  for (float &v : m.values) v = u(gen);
  return m;
}

std::vector<float> integer_query(std::size_t dim, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_int_distribution<int> pick(-2, 2);
  std::vector<float> q(dim);
  for (float &v : q) v = float(pick(gen));
  q[0] = 1.0f;  // never all zeros
  return q;
}

// Each row's score computed in double: the dot product, or minus the
// Euclidean distance under l2. Exact for small-integer data.
std::vector<double> reference_scores(const Matrix &m, const std::vector<float> &q, Metric metric) {
  std::vector<double> scores(m.nrows);
  for (std::size_t r = 0; r < m.nrows; ++r) {
    double dot = 0, l2 = 0;
    for (std::size_t i = 0; i < m.dim; ++i) {
      double x = m.row(r)[i];
      dot += double(q[i]) * x;
      l2 += (double(q[i]) - x) * (double(q[i]) - x);
    }
    scores[r] = metric == Metric::l2 ? -std::sqrt(l2) : dot;
  }
  return scores;
}

// The brute-force answer to req given every row's score.
std::vector<Hit> expected(const std::vector<double> &scores, const ScanRequest &req) {
  std::vector<Hit> all;
  for (std::uint32_t r = 0; r < req.nrows; ++r) {
    float s = float(scores[r]);
    if (req.keep && !(*req.keep)(r)) continue;
    if (req.use_threshold && !(s >= req.threshold)) continue;
    all.push_back({s, r});
  }
  std::sort(all.begin(), all.end(), [&](const Hit &a, const Hit &b) {
    return a.score != b.score ? a.score > b.score : (*req.tie_less)(a.row, b.row);
  });
  all.resize(std::min(all.size(), req.top_k));
  return all;
}

ScanRequest request(const Matrix &m, const std::vector<float> &q, Metric metric, std::size_t top_k,
                    const TieLess &tie_less) {
  ScanRequest req;
  req.matrix = m.values.data();
  req.nrows = m.nrows;
  req.dim = m.dim;
  req.query = q.data();
  req.metric = metric;
  req.top_k = top_k;
  req.tie_less = &tie_less;
  return req;
}

std::string describe(const ScanRequest &req) {
  std::ostringstream s;
  s << "metric " << int(req.metric) << " nrows " << req.nrows << " dim " << req.dim << " top_k " << req.top_k
    << (req.keep ? " filtered" : "");
  if (req.use_threshold) s << " threshold " << req.threshold;
  return s.str();
}

// Empty if got is exactly want, else the first difference.
std::string difference(const std::vector<Hit> &got, const std::vector<Hit> &want) {
  std::ostringstream s;
  if (got.size() != want.size()) s << got.size() << " hits instead of " << want.size() << "; ";
  for (std::size_t i = 0; i < std::min(got.size(), want.size()); ++i)
    if (got[i].row != want[i].row || got[i].score != want[i].score) {
      s << "hit " << i << " is row " << got[i].row << " (" << got[i].score << "), expected row " << want[i].row
        << " (" << want[i].score << ")";
      break;
    }
  return s.str();
}

// scan(req) must be exactly the brute-force answer.
void check_exact(const ScanRequest &req, const std::vector<double> &scores) {
  std::string diff = difference(scan(req), expected(scores, req));
  BOOST_CHECK_MESSAGE(diff.empty(), describe(req) << ": " << diff);
}

// For float data, where summation order moves scores by a few ulps and may
// swap near-ties: the same number of hits, each within tol of the reference
// hit at its rank and of its own row's reference score, rows distinct and
// kept, scores non-increasing.
void check_close(const ScanRequest &req, const std::vector<double> &scores, double tol) {
  std::vector<Hit> got = scan(req), want = expected(scores, req);
  BOOST_REQUIRE_MESSAGE(got.size() == want.size(), describe(req) << ": " << got.size() << " hits, not " << want.size());
  std::vector<bool> seen(req.nrows);
  for (std::size_t i = 0; i < got.size(); ++i) {
    const Hit &h = got[i];
    bool ok = h.row < req.nrows && !seen[h.row] && (!req.keep || (*req.keep)(h.row)) &&
              std::fabs(h.score - want[i].score) <= tol && std::fabs(h.score - scores[h.row]) <= tol &&
              (i == 0 || h.score <= got[i - 1].score);
    BOOST_CHECK_MESSAGE(ok, describe(req) << ": hit " << i << " row " << h.row << " score " << h.score
                                          << ", expected about " << want[i].score);
    if (!ok) return;
    seen[h.row] = true;
  }
}

// Orders for equal scores: ascending row, descending row, and a shuffle, so
// that a scan falling back on row order is caught.
struct TieOrders {
  TieLess ascending = [](std::uint32_t a, std::uint32_t b) { return a < b; };
  TieLess descending = [](std::uint32_t a, std::uint32_t b) { return a > b; };
  std::vector<std::uint32_t> rank;
  TieLess shuffled;

  explicit TieOrders(std::size_t nrows) : rank(nrows) {
    std::iota(rank.begin(), rank.end(), 0u);
    std::shuffle(rank.begin(), rank.end(), std::mt19937(7));
    shuffled = [this](std::uint32_t a, std::uint32_t b) { return rank[a] < rank[b]; };
  }
  TieOrders(const TieOrders &) = delete;  // `shuffled` points into this object

  std::vector<const TieLess *> all() const { return {&ascending, &descending, &shuffled}; }
};

const Metric kMetrics[] = {Metric::cosine, Metric::dot, Metric::l2};

// Shared by the large cases: built once, it takes a while under sanitizers.
const Matrix &large_integers() {
  static const Matrix m = small_integers(kLargeRows, kDim, 1);
  return m;
}

}  // namespace

BOOST_AUTO_TEST_CASE(nothing_to_return) {
  Matrix m = small_integers(100, kDim, 2);
  std::vector<float> q = integer_query(kDim, 3);
  TieOrders ties(m.nrows);
  ScanRequest req = request(m, q, Metric::dot, 0, ties.ascending);
  BOOST_CHECK(scan(req).empty());  // top_k = 0 means no hit, not every row
  req.top_k = 10;
  req.nrows = 0;
  BOOST_CHECK(scan(req).empty());
  req.nrows = m.nrows;
  req.use_threshold = true;
  req.threshold = 1e9f;
  BOOST_CHECK(scan(req).empty());
  req.use_threshold = false;
  Keep none = [](std::uint32_t) { return false; };
  req.keep = &none;
  BOOST_CHECK(scan(req).empty());
}

BOOST_AUTO_TEST_CASE(small_scans_match_brute_force) {
  // Under 256 KiB of vectors: scanned in one task on the calling thread.
  for (std::size_t nrows : {1, 2, 3, 5, 257, 1000}) {
    Matrix m = small_integers(nrows, kDim, unsigned(nrows));
    std::vector<float> q = integer_query(kDim, 11);
    TieOrders ties(nrows);
    for (Metric metric : kMetrics) {
      std::vector<double> scores = reference_scores(m, q, metric);
      for (const TieLess *tie : ties.all())
        for (std::size_t top_k : {std::size_t(1), std::size_t(10), nrows, nrows + 5})
          check_exact(request(m, q, metric, top_k, *tie), scores);
    }
  }
}

BOOST_AUTO_TEST_CASE(odd_dims_match_brute_force) {
  // Dims that are not a multiple of any vector width; 3 MB of vectors make
  // two tasks, split at a row that is not a multiple of the 4-row blocks.
  for (std::size_t dim : {1, 3, 17, 100}) {
    Matrix m = small_integers(3000000 / (dim * sizeof(float)) + 3, dim, unsigned(dim));
    std::vector<float> q = integer_query(dim, unsigned(dim) + 1);
    TieOrders ties(m.nrows);
    for (Metric metric : {Metric::dot, Metric::l2}) {
      std::vector<double> scores = reference_scores(m, q, metric);
      check_exact(request(m, q, metric, 25, ties.shuffled), scores);
    }
  }
}

BOOST_AUTO_TEST_CASE(large_scans_break_ties_across_tasks) {
  // Thousands of rows share each score, so the k-th best falls inside a
  // group of ties spread over every task: the merge must apply tie_less.
  const Matrix &m = large_integers();
  BOOST_TEST_MESSAGE("thread pool size " << nvdb::ThreadPool::instance().size());
  TieOrders ties(m.nrows);
  std::vector<float> q = integer_query(kDim, 5);
  for (Metric metric : kMetrics) {
    std::vector<double> scores = reference_scores(m, q, metric);
    for (const TieLess *tie : ties.all())
      for (std::size_t top_k : {1, 10, 1000})
        check_exact(request(m, q, metric, top_k, *tie), scores);
    // Every row, in order.
    check_exact(request(m, q, metric, kLargeRows + 1, ties.shuffled), scores);
  }
}

BOOST_AUTO_TEST_CASE(threshold_keeps_scores_at_least_as_good) {
  const Matrix &m = large_integers();
  TieOrders ties(m.nrows);
  std::vector<float> q = integer_query(kDim, 6);
  for (Metric metric : kMetrics) {
    std::vector<double> scores = reference_scores(m, q, metric);
    // Thresholds equal to a score that occurs (it must be kept: >=), at the
    // best score, and between scores.
    std::vector<double> sorted = scores;
    std::sort(sorted.begin(), sorted.end(), std::greater<>());
    for (double t : {sorted[0], sorted[50], sorted[5000], sorted[5000] + 0.25, sorted.back() - 1}) {
      for (std::size_t top_k : {std::size_t(10), kLargeRows}) {
        ScanRequest req = request(m, q, metric, top_k, ties.ascending);
        req.use_threshold = true;
        req.threshold = float(t);
        check_exact(req, scores);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(keep_filters_rows) {
  const Matrix &m = large_integers();
  TieOrders ties(m.nrows);
  std::vector<float> q = integer_query(kDim, 8);
  Keep every_third = [](std::uint32_t r) { return r % 3 == 1; };
  Keep last_rows = [](std::uint32_t r) { return r >= kLargeRows - 7; };  // fewer rows than top_k
  Keep one_row = [](std::uint32_t r) { return r == 123457; };
  for (Metric metric : kMetrics) {
    std::vector<double> scores = reference_scores(m, q, metric);
    for (const Keep *keep : {&every_third, &last_rows, &one_row})
      for (std::size_t top_k : {1, 10, 1000}) {
        ScanRequest req = request(m, q, metric, top_k, ties.shuffled);
        req.keep = keep;
        check_exact(req, scores);
        req.use_threshold = true;  // with a threshold too
        req.threshold = float(metric == Metric::l2 ? -3.0 : 2.0);
        check_exact(req, scores);
      }
  }
}

BOOST_AUTO_TEST_CASE(random_floats_match_brute_force) {
  for (std::size_t dim : {3, 16, 100}) {
    Matrix m = random_floats(dim == 16 ? kLargeRows : 30000, dim, unsigned(dim) + 100);
    std::vector<float> q = random_floats(1, dim, unsigned(dim)).values;
    TieOrders ties(m.nrows);
    Keep odd = [](std::uint32_t r) { return r % 2 == 1; };
    for (Metric metric : kMetrics) {
      std::vector<double> scores = reference_scores(m, q, metric);
      for (std::size_t top_k : {1, 10, 1000}) {
        ScanRequest req = request(m, q, metric, top_k, ties.ascending);
        check_close(req, scores, 1e-4);
        req.keep = &odd;
        check_close(req, scores, 1e-4);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(exceptions_from_keep_reach_the_caller) {
  const Matrix &m = large_integers();
  TieOrders ties(m.nrows);
  std::vector<float> q = integer_query(kDim, 9);
  Keep throws_late = [](std::uint32_t r) {
    if (r == 150001) throw std::runtime_error("keep failed");
    return true;
  };
  Keep always_throws = [](std::uint32_t) -> bool { throw std::runtime_error("keep failed"); };
  for (const Keep *keep : {&throws_late, &always_throws}) {
    ScanRequest req = request(m, q, Metric::dot, 10, ties.ascending);
    req.keep = keep;
    BOOST_CHECK_EXCEPTION(scan(req), std::runtime_error,
                          [](const std::runtime_error &e) { return std::string(e.what()) == "keep failed"; });
  }
  // A small scan (one task) too.
  Matrix small = small_integers(50, kDim, 4);
  ScanRequest req = request(small, q, Metric::l2, 10, ties.ascending);
  req.keep = &always_throws;
  BOOST_CHECK_THROW(scan(req), std::runtime_error);
  // The pool is still usable afterwards.
  check_exact(request(m, q, Metric::dot, 10, ties.ascending), reference_scores(m, q, Metric::dot));
}

BOOST_AUTO_TEST_CASE(concurrent_scans) {
  // Eight threads scan the same matrix at once, each with its own query and
  // options; each answer must be the one computed alone beforehand. Boost
  // assertions are not thread-safe, so the threads only record outcomes.
  constexpr std::size_t kThreads = 8, kRounds = 3;
  Matrix m = small_integers(60000, kDim, 12);  // 3.8 MB: two tasks per scan
  TieOrders ties(m.nrows);
  Keep even = [](std::uint32_t r) { return r % 2 == 0; };

  std::vector<std::vector<float>> queries;
  queries.reserve(kThreads);  // requests point into them
  std::vector<ScanRequest> requests;
  std::vector<std::vector<Hit>> answers;
  for (std::size_t t = 0; t < kThreads; ++t) {
    queries.push_back(integer_query(kDim, unsigned(100 + t)));
    Metric metric = kMetrics[t % 3];
    ScanRequest req = request(m, queries.back(), metric, 5 + 20 * t, t % 2 ? ties.shuffled : ties.descending);
    if (t % 4 == 3) req.keep = &even;
    if (t == 6) {
      req.use_threshold = true;
      req.threshold = 1.0f;
    }
    requests.push_back(req);
    answers.push_back(expected(reference_scores(m, queries.back(), metric), req));
  }
  std::vector<std::string> errors(kThreads);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (std::size_t round = 0; round < kRounds && errors[t].empty(); ++round) {
        try {
          errors[t] = difference(scan(requests[t]), answers[t]);
        } catch (const std::exception &e) {
          errors[t] = e.what();
        }
      }
    });
  for (auto &th : threads) th.join();
  for (std::size_t t = 0; t < kThreads; ++t)
    BOOST_CHECK_MESSAGE(errors[t].empty(), "thread " << t << " (" << describe(requests[t]) << "): " << errors[t]);
}
