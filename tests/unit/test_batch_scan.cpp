// Batch search (src/kernels/batch_scan.hpp, gemm.hpp): every GEMM
// micro-kernel this CPU runs against a double-precision reference, and
// scan_batch() against scan() query by query, which it must equal exactly:
// the same rows in the same order with the same float scores.
//
// scan_batch() uses the kernels chosen for the process (NVDB_KERNEL), so
// CTest runs this file once per instruction set (tests/CMakeLists.txt).
#define BOOST_TEST_MODULE batch_scan
#include <boost/test/unit_test.hpp>
#include <algorithm>
#include <cmath>
#include <functional>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/aligned_floats.hpp"
#include "kernels/batch_scan.hpp"
#include "kernels/gemm.hpp"

using namespace nvdb::kernels;

namespace {

using Keep = std::function<bool(std::uint32_t)>;
using TieLess = std::function<bool(std::uint32_t, std::uint32_t)>;

const TieLess kByRow = [](std::uint32_t a, std::uint32_t b) { return a < b; };

std::vector<float> random_floats(std::size_t n, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float &x : v) x = u(gen);
  return v;
}

// Components in {-1, 0, 1, 2}: many rows have equal scores.
std::vector<float> small_integers(std::size_t n, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_int_distribution<int> pick(-1, 2);
  std::vector<float> v(n);
  for (float &x : v) x = float(pick(gen));
  return v;
}

// Rows scaled to unit length, as a cosine database stores them.
void normalise_rows(std::vector<float> &v, std::size_t dim) {
  for (std::size_t r = 0; r * dim < v.size(); ++r) {
    double sq = 0;
    for (std::size_t i = 0; i < dim; ++i) sq += double(v[r * dim + i]) * v[r * dim + i];
    if (sq == 0) {
      v[r * dim] = 1;
      sq = 1;
    }
    for (std::size_t i = 0; i < dim; ++i) v[r * dim + i] = float(v[r * dim + i] / std::sqrt(sq));
  }
}

struct Case {
  std::vector<float> rows, queries;
  std::size_t nrows, dim, nqueries;
  Metric metric;
};

BatchScanRequest batch_request(const Case &c, std::size_t top_k) {
  BatchScanRequest req;
  req.matrix = c.rows.data();
  req.nrows = c.nrows;
  req.dim = c.dim;
  req.queries = c.queries.data();
  req.nqueries = c.nqueries;
  req.metric = c.metric;
  req.top_k = top_k;
  req.tie_less = &kByRow;
  return req;
}

// What scan() answers for query q of a batch request.
std::vector<Hit> single(const BatchScanRequest &b, std::size_t q) {
  ScanRequest req;
  req.matrix = b.matrix;
  req.nrows = b.nrows;
  req.dim = b.dim;
  req.query = b.queries + q * b.dim;
  req.metric = b.metric;
  req.top_k = b.top_k;
  req.use_threshold = b.use_threshold;
  req.threshold = b.threshold;
  req.keep = b.keep;
  req.tie_less = b.tie_less;
  return scan(req);
}

std::string describe(const BatchScanRequest &req) {
  std::ostringstream s;
  s << "metric " << int(req.metric) << " nrows " << req.nrows << " dim " << req.dim << " queries "
    << req.nqueries << " top_k " << req.top_k << (req.keep ? " filtered" : "");
  if (req.use_threshold) s << " threshold " << req.threshold;
  return s.str();
}

// scan_batch(req) must be, query by query, exactly scan()'s answer.
void check_equals_singles(const BatchScanRequest &req) {
  const std::vector<std::vector<Hit>> got = scan_batch(req);
  BOOST_REQUIRE_EQUAL(got.size(), req.nqueries);
  for (std::size_t q = 0; q < req.nqueries; ++q) {
    const std::vector<Hit> want = single(req, q);
    bool same = got[q].size() == want.size();
    std::size_t at = 0;
    for (; same && at < want.size(); ++at)
      same = got[q][at].row == want[at].row && got[q][at].score == want[at].score;
    BOOST_CHECK_MESSAGE(same, describe(req) << ": query " << q << " differs from the single scan (" << got[q].size()
                                            << " hits, " << want.size() << " expected, first difference at "
                                            << (at ? at - 1 : 0) << ")");
    if (!same) return;
  }
}

Case random_case(std::size_t nrows, std::size_t dim, std::size_t nqueries, Metric metric, unsigned seed,
                 bool integers = false) {
  Case c{integers ? small_integers(nrows * dim, seed) : random_floats(nrows * dim, seed),
         integers ? small_integers(nqueries * dim, seed + 1) : random_floats(nqueries * dim, seed + 1), nrows, dim,
         nqueries, metric};
  if (metric == Metric::cosine) {
    normalise_rows(c.rows, dim);
    normalise_rows(c.queries, dim);
  }
  return c;
}

const Metric kMetrics[] = {Metric::cosine, Metric::dot, Metric::l2};

}  // namespace

BOOST_AUTO_TEST_SUITE(gemm)

// Every micro-kernel: packed panels of random rows and queries, summed in
// two depth slices (the second accumulating), against double sums.
BOOST_AUTO_TEST_CASE(micro_kernels_match_a_double_reference) {
  int tested = 0;
  for (const char *isa : {"scalar", "avx2", "avx512"}) {
    const GemmKernel *k = gemm_kernel(isa);
    if (!k) continue;
    ++tested;
    const std::size_t mr = k->rows_per_panel, nr = k->queries_per_panel;
    for (std::size_t dim : {1u, 3u, 17u, 100u}) {
      const std::size_t nrows = mr - 1, nqueries = nr - 1;  // padding in both panels
      std::vector<float> rows = random_floats(nrows * dim, 1), queries = random_floats(nqueries * dim, 2);
      nvdb::AlignedFloats packed_rows;
      packed_rows.reserve(mr * dim, 0);
      std::vector<float> packed_queries(nr * dim);
      pack_panels(rows.data(), nullptr, nrows, dim, mr, packed_rows.data());
      pack_panels(queries.data(), nullptr, nqueries, dim, nr, packed_queries.data());
      const std::size_t ldc = mr + 16;
      std::vector<float> c(nr * ldc, -7.0f);
      const std::size_t split = dim / 2;
      if (split) k->micro(packed_rows.data(), packed_queries.data(), split, c.data(), ldc, false);
      k->micro(packed_rows.data() + split * mr, packed_queries.data() + split * nr, dim - split, c.data(), ldc,
               split != 0);
      for (std::size_t j = 0; j < nr; ++j)
        for (std::size_t i = 0; i < mr; ++i) {
          double want = 0;
          if (i < nrows && j < nqueries)
            for (std::size_t d = 0; d < dim; ++d) want += double(rows[i * dim + d]) * queries[j * dim + d];
          BOOST_CHECK_MESSAGE(std::fabs(c[j * ldc + i] - want) <= 1e-5 * (1 + double(dim)),
                              isa << " dim " << dim << " c[" << j << "][" << i << "] = " << c[j * ldc + i]
                                  << ", expected " << want);
        }
      BOOST_CHECK_EQUAL(c[mr], -7.0f);  // nothing written past the panel's rows
    }
  }
  BOOST_TEST(tested >= 1);
}

BOOST_AUTO_TEST_CASE(packing_gathers_listed_rows_and_pads_with_zeros) {
  const std::vector<float> src = {0, 1, 10, 11, 20, 21, 30, 31};  // 4 vectors of dim 2
  const std::uint32_t index[] = {3, 1, 2};
  std::vector<float> out(2 * 2 * 2, -1.0f);
  pack_panels(src.data(), index, 3, 2, 2, out.data());
  BOOST_TEST(out == (std::vector<float>{30, 10, 31, 11, 20, 0, 21, 0}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(the_batch_uses_the_scan_instruction_set) {
  BOOST_TEST(std::string(active_gemm().isa) == std::string(active_isa()));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(batch_equals_singles)

BOOST_AUTO_TEST_CASE(nothing_to_return) {
  Case c = random_case(50, 8, 3, Metric::dot, 3);
  BatchScanRequest req = batch_request(c, 0);
  for (const auto &hits : scan_batch(req)) BOOST_TEST(hits.empty());
  req.top_k = 5;
  req.nrows = 0;
  BOOST_TEST(scan_batch(req).size() == 3u);
  req.nqueries = 0;
  BOOST_TEST(scan_batch(req).empty());
}

// Odd dims and batch sizes that are no multiple of any panel or tile
// (12, 6, 4 queries; 240 queries a chunk), one query alone, and top_k
// below, at and beyond the number of rows.
BOOST_AUTO_TEST_CASE(every_metric_dim_and_batch_size) {
  for (Metric m : kMetrics)
    for (std::size_t dim : {1u, 3u, 17u, 1024u})
      for (std::size_t n : {1u, 5u, 13u, 241u}) {
        if (dim == 1024 && n == 241) continue;  // covered by the larger cases below
        Case c = random_case(dim == 1024 ? 300 : 700, dim, n, m, unsigned(dim * 31 + n));
        for (std::size_t k : {1u, 10u, 800u}) check_equals_singles(batch_request(c, k));
      }
}

// Small integers give exact scores and many ties, decided by tie_less.
BOOST_AUTO_TEST_CASE(ties_are_ordered_as_the_single_scan_orders_them) {
  std::vector<std::uint32_t> rank(3000);
  for (std::uint32_t i = 0; i < rank.size(); ++i) rank[i] = (i * 7919u) % 3000u;
  const TieLess shuffled = [&](std::uint32_t a, std::uint32_t b) { return rank[a] < rank[b]; };
  for (Metric m : {Metric::dot, Metric::l2}) {
    Case c = random_case(3000, 6, 30, m, 11, true);
    BatchScanRequest req = batch_request(c, 25);
    req.tie_less = &shuffled;
    check_equals_singles(req);
  }
}

// Rows that are all alike but for rounding: every one lies within the
// margin, and the candidates must still be exactly the single scan's.
BOOST_AUTO_TEST_CASE(near_duplicate_rows) {
  Case c = random_case(2000, 64, 20, Metric::cosine, 5);
  for (std::size_t r = 1; r < c.nrows; ++r)
    for (std::size_t i = 0; i < c.dim; ++i)
      c.rows[r * c.dim + i] = c.rows[i] * (1.0f + float(r % 7) * 1e-7f);
  check_equals_singles(batch_request(c, 10));
}

BOOST_AUTO_TEST_CASE(thresholds_and_filters) {
  for (Metric m : kMetrics) {
    Case c = random_case(5000, 40, 30, m, 21);
    BatchScanRequest req = batch_request(c, 10);
    req.use_threshold = true;
    req.threshold = m == Metric::l2 ? -5.0f : 0.3f;
    check_equals_singles(req);
    const Keep every_third = [](std::uint32_t row) { return row % 3 == 0; };
    req.keep = &every_third;
    check_equals_singles(req);
    req.use_threshold = false;
    const Keep none = [](std::uint32_t) { return false; };
    req.keep = &none;
    for (const auto &hits : scan_batch(req)) BOOST_TEST(hits.empty());
  }
}

// Many blocks and tasks, large vectors and a batch of several chunks.
BOOST_AUTO_TEST_CASE(large_batches_across_tasks) {
  for (Metric m : kMetrics) {
    Case c = random_case(6000, 200, 500, m, 31);
    check_equals_singles(batch_request(c, 10));
  }
  Case wide = random_case(1500, 1024, 60, Metric::l2, 41);
  check_equals_singles(batch_request(wide, 7));
}

// l2 rows far from the origin: the expanded |q|^2 + |x|^2 - 2 q.x loses
// most of its digits, and the margin must cover that.
BOOST_AUTO_TEST_CASE(l2_far_from_the_origin) {
  Case c = random_case(3000, 32, 40, Metric::l2, 51);
  for (float &x : c.rows) x += 1000.0f;
  for (float &x : c.queries) x += 1000.0f;
  check_equals_singles(batch_request(c, 10));
}

BOOST_AUTO_TEST_CASE(exceptions_from_keep_reach_the_caller) {
  Case c = random_case(20000, 4, 5, Metric::dot, 61);
  BatchScanRequest req = batch_request(c, 10);
  const Keep throws = [](std::uint32_t row) {
    if (row == 12345) throw std::runtime_error("row 12345");
    return true;
  };
  req.keep = &throws;
  BOOST_CHECK_THROW(scan_batch(req), std::runtime_error);
}

BOOST_AUTO_TEST_SUITE_END()
