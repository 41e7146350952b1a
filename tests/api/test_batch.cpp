// nvdb_query_batch through the C API: for random databases of every metric,
// with filters, thresholds, deleted and replaced records, and a store
// reader, each query's answer must be nvdb_query's for the same vector (the
// same ids in the same order, the same scores); bad batches fail whole.
#define BOOST_TEST_MODULE nvdb_batch
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "nvdb.h"

namespace fs = std::filesystem;

namespace {

struct Answer {
  std::vector<std::string> ids, metadata;
  std::vector<float> scores;
};

Answer answer_of(nvdb_hits *hits) {
  Answer a;
  for (size_t i = 0; i < nvdb_hits_count(hits); ++i) {
    a.ids.emplace_back(nvdb_hits_id(hits, i));
    a.scores.push_back(nvdb_hits_score(hits, i));
    a.metadata.emplace_back(nvdb_hits_metadata(hits, i));
  }
  return a;
}

std::vector<Answer> batch(nvdb_db *db, const std::vector<float> &queries, size_t n, const nvdb_query_options *o) {
  std::vector<nvdb_hits *> out(n, nullptr);
  BOOST_REQUIRE_MESSAGE(nvdb_query_batch(db, n, queries.data(), queries.size(), o, out.data()) == NVDB_OK,
                        nvdb_errmsg());
  std::vector<Answer> answers;
  for (nvdb_hits *h : out) {
    BOOST_REQUIRE(h != nullptr);
    answers.push_back(answer_of(h));
    nvdb_hits_free(h);
  }
  return answers;
}

Answer single(nvdb_db *db, const float *q, size_t dim, const nvdb_query_options *o) {
  nvdb_hits *hits = nullptr;
  BOOST_REQUIRE_MESSAGE(nvdb_query(db, q, dim, o, &hits) == NVDB_OK, nvdb_errmsg());
  Answer a = answer_of(hits);
  nvdb_hits_free(hits);
  return a;
}

// Every query of the batch against nvdb_query: ids, order and metadata
// equal, scores within 1e-5 (they are in fact computed by the same kernel).
void check_batch_equals_singles(nvdb_db *db, const std::vector<float> &queries, size_t n,
                                const nvdb_query_options *o, const std::string &what) {
  const size_t dim = nvdb_dim(db);
  const std::vector<Answer> got = batch(db, queries, n, o);
  BOOST_REQUIRE_EQUAL(got.size(), n);
  for (size_t q = 0; q < n; ++q) {
    const Answer want = single(db, queries.data() + q * dim, dim, o);
    bool same = got[q].ids == want.ids && got[q].metadata == want.metadata;
    for (size_t i = 0; same && i < want.scores.size(); ++i) same = std::fabs(got[q].scores[i] - want.scores[i]) <= 1e-5;
    BOOST_CHECK_MESSAGE(same, what << ": query " << q << " of " << n << " differs from nvdb_query ("
                                   << got[q].ids.size() << " hits, " << want.ids.size() << " expected)");
    if (!same) return;
  }
}

std::vector<float> random_vectors(size_t n, size_t dim, unsigned seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> normal;
  std::vector<float> v(n * dim);
  for (float &x : v) x = normal(gen);
  return v;
}

nvdb_db *open_db(const std::string &locator, uint32_t dim, nvdb_metric metric,
                 nvdb_open_mode mode = NVDB_OPEN_CREATE) {
  nvdb_options opts = NVDB_OPTIONS_INIT;
  opts.dim = dim;
  opts.metric = metric;
  opts.mode = mode;
  nvdb_db *db = nullptr;
  BOOST_REQUIRE_MESSAGE(nvdb_open(&db, locator.c_str(), &opts) == NVDB_OK, nvdb_errmsg());
  return db;
}

// n records "r0".."r{n-1}" with metadata {"i": index, "even": bool}.
void fill(nvdb_db *db, size_t n, unsigned seed) {
  const size_t dim = nvdb_dim(db);
  std::vector<float> v = random_vectors(n, dim, seed);
  std::vector<std::string> ids(n), meta(n);
  std::vector<const char *> id_ptrs(n), meta_ptrs(n);
  for (size_t i = 0; i < n; ++i) {
    ids[i] = "r" + std::to_string(i);
    meta[i] = "{\"i\":" + std::to_string(i) + ",\"even\":" + (i % 2 ? "false" : "true") + "}";
    id_ptrs[i] = ids[i].c_str();
    meta_ptrs[i] = meta[i].c_str();
  }
  BOOST_REQUIRE_MESSAGE(nvdb_upsert(db, n, id_ptrs.data(), v.data(), v.size(), meta_ptrs.data(), nullptr) == NVDB_OK,
                        nvdb_errmsg());
}

struct Closer {
  nvdb_db *db;
  ~Closer() { nvdb_close(db); }
};

const nvdb_metric kMetrics[] = {NVDB_METRIC_COSINE, NVDB_METRIC_DOT, NVDB_METRIC_L2};

int keep_multiples_of_three(const char *id, const char *, void *) { return std::stoi(id + 1) % 3 == 0; }

int count_calls(const char *, const char *, void *ctx) {
  ++*static_cast<int *>(ctx);
  return 1;
}

int abort_on_r7(const char *id, const char *, void *) { return std::string(id) == "r7" ? -1 : 1; }

}  // namespace

BOOST_AUTO_TEST_SUITE(answers)

BOOST_AUTO_TEST_CASE(every_metric_and_dimension) {
  for (nvdb_metric m : kMetrics)
    for (uint32_t dim : {1u, 3u, 17u, 1024u}) {
      nvdb_db *db = open_db(":memory:", dim, m);
      Closer close{db};
      fill(db, dim == 1024 ? 400 : 1500, dim);
      nvdb_query_options o = NVDB_QUERY_OPTIONS_INIT;
      for (size_t n : {1u, 7u, 29u}) {
        const std::vector<float> q = random_vectors(n, dim, unsigned(n + dim));
        check_batch_equals_singles(db, q, n, &o, "metric " + std::to_string(m) + " dim " + std::to_string(dim));
      }
    }
}

BOOST_AUTO_TEST_CASE(thresholds_and_both_kinds_of_filter) {
  for (nvdb_metric m : kMetrics) {
    nvdb_db *db = open_db(":memory:", 24, m);
    Closer close{db};
    fill(db, 3000, 5);
    const std::vector<float> q = random_vectors(37, 24, 6);
    nvdb_query_options o = NVDB_QUERY_OPTIONS_INIT;
    o.top_k = 15;
    o.use_threshold = 1;
    o.threshold = m == NVDB_METRIC_L2 ? -6.0f : m == NVDB_METRIC_COSINE ? 0.2f : 3.0f;
    check_batch_equals_singles(db, q, 37, &o, "threshold");
    o.use_threshold = 0;
    o.filter = "{\"even\": true, \"i\": {\"$lt\": 2000}}";
    check_batch_equals_singles(db, q, 37, &o, "declarative filter");
    o.filter = nullptr;
    o.filter_fn = keep_multiples_of_three;
    check_batch_equals_singles(db, q, 37, &o, "callback filter");
  }
}

BOOST_AUTO_TEST_CASE(the_callback_is_asked_once_per_record_for_the_whole_batch) {
  nvdb_db *db = open_db(":memory:", 8, NVDB_METRIC_DOT);
  Closer close{db};
  fill(db, 500, 8);
  const std::vector<float> q = random_vectors(20, 8, 9);
  int calls = 0;
  nvdb_query_options o = NVDB_QUERY_OPTIONS_INIT;
  o.filter_fn = count_calls;
  o.filter_ctx = &calls;
  batch(db, q, 20, &o);
  BOOST_TEST(calls == 500);
}

BOOST_AUTO_TEST_CASE(deleted_and_replaced_records) {
  nvdb_db *db = open_db(":memory:", 16, NVDB_METRIC_L2);
  Closer close{db};
  fill(db, 2000, 10);
  // Replace r0..r99 with new vectors (their old rows die) and delete every
  // tenth record: too few dead rows for a compaction, so dead rows stay.
  std::vector<float> v = random_vectors(100, 16, 11);
  std::vector<std::string> ids;
  std::vector<const char *> ptrs;
  for (int i = 0; i < 100; ++i) ids.push_back("r" + std::to_string(i));
  for (auto &id : ids) ptrs.push_back(id.c_str());
  BOOST_REQUIRE_EQUAL(nvdb_upsert(db, 100, ptrs.data(), v.data(), v.size(), nullptr, nullptr), NVDB_OK);
  std::vector<std::string> gone;
  for (int i = 100; i < 2000; i += 10) gone.push_back("r" + std::to_string(i));
  std::vector<const char *> gone_ptrs;
  for (auto &id : gone) gone_ptrs.push_back(id.c_str());
  size_t deleted = 0;
  BOOST_REQUIRE_EQUAL(nvdb_delete(db, gone_ptrs.size(), gone_ptrs.data(), &deleted), NVDB_OK);
  BOOST_REQUIRE_EQUAL(deleted, gone.size());
  // Queries equal to the replaced and deleted vectors find them or not.
  std::vector<float> q = random_vectors(2000, 16, 10);
  q.resize(30 * 16);
  q.insert(q.end(), v.begin(), v.begin() + 5 * 16);
  nvdb_query_options o = NVDB_QUERY_OPTIONS_INIT;
  check_batch_equals_singles(db, q, 35, &o, "deleted and replaced");
  const std::vector<Answer> got = batch(db, q, 35, &o);
  BOOST_TEST(got[30].ids.at(0) == "r0");  // the replacement, at distance 0
  for (const Answer &a : got)
    for (const std::string &id : a.ids) BOOST_TEST((std::stoi(id.substr(1)) < 100 || std::stoi(id.substr(1)) % 10 != 0));
}

BOOST_AUTO_TEST_CASE(a_store_reader_answers_as_the_writer) {
  const std::string name = "nvdbtest-" + std::to_string(::getpid()) + "-batch";
  {
    nvdb_db *writer = open_db("shm:" + name, 32, NVDB_METRIC_COSINE);
    Closer close_writer{writer};
    fill(writer, 2500, 12);
    nvdb_db *reader = open_db("shm:" + name, 0, NVDB_METRIC_DEFAULT, NVDB_OPEN_READ);
    Closer close_reader{reader};
    const std::vector<float> q = random_vectors(50, 32, 13);
    nvdb_query_options o = NVDB_QUERY_OPTIONS_INIT;
    o.top_k = 20;
    check_batch_equals_singles(reader, q, 50, &o, "reader");
    const std::vector<Answer> from_reader = batch(reader, q, 50, &o), from_writer = batch(writer, q, 50, &o);
    for (size_t i = 0; i < 50; ++i) BOOST_TEST(from_reader[i].ids == from_writer[i].ids);
  }
  for (const auto &e : fs::directory_iterator("/dev/shm"))
    if (e.path().filename().string().rfind("nvdb-" + name, 0) == 0) fs::remove(e.path());
}

BOOST_AUTO_TEST_CASE(an_empty_batch_does_nothing) {
  nvdb_db *db = open_db(":memory:", 4, NVDB_METRIC_COSINE);
  Closer close{db};
  BOOST_TEST(nvdb_query_batch(db, 0, nullptr, 0, nullptr, nullptr) == NVDB_OK);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(rejections)

// A failed batch sets every out[i] to NULL, whatever it held.
void check_rejected(nvdb_db *db, size_t n, const std::vector<float> &q, int status, const std::string &message,
                    const nvdb_query_options *o = nullptr) {
  std::vector<nvdb_hits *> out(n, reinterpret_cast<nvdb_hits *>(0x1));
  BOOST_TEST(nvdb_query_batch(db, n, q.data(), q.size(), o, out.data()) == status);
  BOOST_TEST(std::string(nvdb_errmsg()).find(message) != std::string::npos,
             "message \"" << nvdb_errmsg() << "\" lacks \"" << message << "\"");
  for (nvdb_hits *h : out) BOOST_TEST(h == nullptr);
}

BOOST_AUTO_TEST_CASE(bad_batches_name_the_query_and_return_nothing) {
  nvdb_db *db = open_db(":memory:", 4, NVDB_METRIC_COSINE);
  Closer close{db};
  fill(db, 10, 1);
  std::vector<float> q = random_vectors(5, 4, 2);
  q[3 * 4 + 2] = std::numeric_limits<float>::quiet_NaN();
  check_rejected(db, 5, q, NVDB_EVECTOR, "query 3: component 2 is NaN");
  q[3 * 4 + 2] = 0;
  q[4 * 4 + 1] = std::numeric_limits<float>::infinity();
  check_rejected(db, 5, q, NVDB_EVECTOR, "query 4: component 1 is infinite");
  q[4 * 4 + 1] = 0;
  for (int i = 0; i < 4; ++i) q[1 * 4 + i] = 0;
  check_rejected(db, 5, q, NVDB_EVECTOR, "query 1: a zero vector has no direction");
  check_rejected(db, 6, q, NVDB_EDIM, "20 floats for 6 vectors of dim 4");
  std::vector<float> zero(4, 0.0f);  // a batch of one names its query as any batch does
  check_rejected(db, 1, zero, NVDB_EVECTOR, "query 0: a zero vector has no direction");
  std::vector<float> fine = random_vectors(2, 4, 3);
  nvdb_query_options o = NVDB_QUERY_OPTIONS_INIT;
  o.filter = "{\"i\": {\"$nope\": 1}}";
  check_rejected(db, 2, fine, NVDB_EFILTER, "$nope", &o);
  o.filter = nullptr;
  o.filter_fn = abort_on_r7;
  check_rejected(db, 2, fine, NVDB_EABORTED, "r7", &o);
  o.filter_fn = nullptr;
  o.version = 99;
  check_rejected(db, 2, fine, NVDB_EINVAL, "version", &o);
}

BOOST_AUTO_TEST_CASE(null_arguments) {
  nvdb_db *db = open_db(":memory:", 4, NVDB_METRIC_DOT);
  Closer close{db};
  std::vector<float> q = random_vectors(2, 4, 4);
  nvdb_hits *out[2] = {nullptr, nullptr};
  BOOST_TEST(nvdb_query_batch(db, 2, q.data(), q.size(), nullptr, nullptr) == NVDB_EINVAL);
  BOOST_TEST(nvdb_query_batch(db, 2, nullptr, 8, nullptr, out) == NVDB_EINVAL);
  BOOST_TEST(nvdb_query_batch(nullptr, 2, q.data(), q.size(), nullptr, out) == NVDB_EINVAL);
  BOOST_TEST(out[0] == nullptr);
  BOOST_TEST(out[1] == nullptr);
}

BOOST_AUTO_TEST_SUITE_END()
