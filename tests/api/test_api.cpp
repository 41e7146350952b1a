// The C API as a user sees it: behaviour, every rejection (status code and
// an unchanged database), ownership conventions.
#define BOOST_TEST_MODULE nvdb_c_api
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "nvdb.h"
#include "support/temp_dir.hpp"

namespace fs = std::filesystem;

namespace {

using nvdb_test::TempDir;

std::string read_file(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

nvdb_db *open_memory(uint32_t dim, nvdb_metric metric = NVDB_METRIC_DEFAULT) {
  nvdb_options opts = NVDB_OPTIONS_INIT;
  opts.dim = dim;
  opts.metric = metric;
  nvdb_db *db = nullptr;
  BOOST_REQUIRE_EQUAL(nvdb_open(&db, ":memory:", &opts), NVDB_OK);
  return db;
}

struct Db {
  nvdb_db *db;
  explicit Db(uint32_t dim, nvdb_metric metric = NVDB_METRIC_DEFAULT) : db(open_memory(dim, metric)) {}
  ~Db() { nvdb_close(db); }
  operator nvdb_db *() const { return db; }
};

int upsert(nvdb_db *db, std::vector<const char *> ids, const std::vector<float> &vectors,
           std::vector<const char *> meta = {}) {
  return nvdb_upsert(db, ids.size(), ids.data(), vectors.data(), vectors.size(),
                     meta.empty() ? nullptr : meta.data(), nullptr);
}

size_t count(nvdb_db *db) {
  size_t n = 0;
  BOOST_REQUIRE_EQUAL(nvdb_count(db, &n), NVDB_OK);
  return n;
}

struct HitList {
  std::vector<std::string> ids;
  std::vector<float> scores;
  std::vector<std::string> meta;
};

HitList query(nvdb_db *db, const std::vector<float> &q, uint32_t k, const char *filter = nullptr) {
  nvdb_query_options o = NVDB_QUERY_OPTIONS_INIT;
  o.top_k = k;
  o.filter = filter;
  nvdb_hits *hits = nullptr;
  BOOST_REQUIRE_EQUAL(nvdb_query(db, q.data(), q.size(), &o, &hits), NVDB_OK);
  HitList out;
  for (size_t i = 0; i < nvdb_hits_count(hits); ++i) {
    out.ids.emplace_back(nvdb_hits_id(hits, i));
    out.scores.push_back(nvdb_hits_score(hits, i));
    out.meta.emplace_back(nvdb_hits_metadata(hits, i));
  }
  nvdb_hits_free(hits);
  return out;
}

std::string metadata_of(nvdb_db *db, const char *id) {
  nvdb_records *r = nullptr;
  BOOST_REQUIRE_EQUAL(nvdb_get(db, 1, &id, &r), NVDB_OK);
  std::string out = nvdb_records_count(r) ? nvdb_records_metadata(r, 0) : "<missing>";
  nvdb_records_free(r);
  return out;
}

// The whole state of a cosine database, as bytes: its nano-vectordb export
// holds every record, vector, metadata and the additional data.
std::string state_of(nvdb_db *db) {
  TempDir dir;
  std::string path = dir.file("state.json");
  BOOST_REQUIRE_EQUAL(nvdb_export_json(db, path.c_str()), NVDB_OK);
  return read_file(path);
}

// A database with three records to fail calls against.
struct Seeded {
  Db db{4};
  Seeded() {
    BOOST_REQUIRE_EQUAL(upsert(db, {"a", "b", "c"}, {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0},
                               {"{\"n\":1}", "{\"n\":2}", "{\"n\":3}"}),
                        NVDB_OK);
    BOOST_REQUIRE_EQUAL(nvdb_set_additional_data(db, "{\"model\":\"m\"}"), NVDB_OK);
  }
};

const float kNaN = std::numeric_limits<float>::quiet_NaN();
const float kInf = std::numeric_limits<float>::infinity();

}  // namespace

BOOST_AUTO_TEST_SUITE(versions_and_errors)

BOOST_AUTO_TEST_CASE(runtime_version_matches_the_header) {
  BOOST_TEST(nvdb_version_number() == NVDB_VERSION_NUMBER);
  BOOST_TEST(std::string(nvdb_version()) == NVDB_VERSION_STRING);
}

BOOST_AUTO_TEST_CASE(every_status_has_a_description) {
  for (int s : {NVDB_OK, NVDB_EINVAL, NVDB_EDIM, NVDB_EVECTOR, NVDB_EID, NVDB_EJSON, NVDB_EFILTER,
                NVDB_ENOTFOUND, NVDB_EEXIST, NVDB_EIO, NVDB_ECORRUPT, NVDB_EVERSION, NVDB_EBUSY,
                NVDB_EREADONLY, NVDB_ENOMEM, NVDB_EABORTED, NVDB_EMISMATCH, NVDB_EINTERNAL})
    BOOST_TEST(std::string(nvdb_strerror(s)) != "unknown status");
  BOOST_TEST(std::string(nvdb_strerror(-1234)) == "unknown status");
}

BOOST_AUTO_TEST_CASE(error_messages_are_per_thread) {
  nvdb_db *db = nullptr;
  BOOST_TEST(nvdb_open(&db, "nowhere/x.json", nullptr) == NVDB_ENOTFOUND);
  std::string here = nvdb_errmsg();
  std::string there;
  std::thread([&] { there = nvdb_errmsg(); }).join();
  BOOST_TEST(here.find("nowhere/x.json") != std::string::npos);
  BOOST_TEST(there == "");
}

BOOST_AUTO_TEST_CASE(free_functions_accept_null) {
  BOOST_TEST(nvdb_close(nullptr) == NVDB_OK);
  nvdb_report_free(nullptr);
  nvdb_records_free(nullptr);
  nvdb_hits_free(nullptr);
  nvdb_free(nullptr);
  BOOST_TEST(nvdb_hits_count(nullptr) == 0u);
  BOOST_TEST(std::isnan(nvdb_hits_score(nullptr, 0)));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(opening)

BOOST_AUTO_TEST_CASE(failed_open_leaves_out_null) {
  nvdb_db *db = reinterpret_cast<nvdb_db *>(0x1);
  nvdb_options opts = NVDB_OPTIONS_INIT;
  BOOST_TEST(nvdb_open(&db, ":memory:", &opts) == NVDB_EINVAL);  // no dim
  BOOST_TEST(db == nullptr);
  BOOST_TEST(std::string(nvdb_errmsg()).find("dim") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(options_are_checked) {
  nvdb_db *db = nullptr;
  nvdb_options opts = NVDB_OPTIONS_INIT;
  opts.dim = NVDB_MAX_DIM + 1;
  BOOST_TEST(nvdb_open(&db, ":memory:", &opts) == NVDB_EINVAL);
  opts.dim = 4;
  opts.version = 99;
  BOOST_TEST(nvdb_open(&db, ":memory:", &opts) == NVDB_EINVAL);
  opts.version = NVDB_OPTIONS_VERSION;
  const int bad_metric = 42;  // as a C caller may store it
  std::memcpy(&opts.metric, &bad_metric, sizeof bad_metric);
  BOOST_TEST(nvdb_open(&db, ":memory:", &opts) == NVDB_EINVAL);
  opts.metric = NVDB_METRIC_DEFAULT;
  opts.mode = NVDB_OPEN_READ;
  BOOST_TEST(nvdb_open(&db, ":memory:", &opts) == NVDB_EINVAL);
  BOOST_TEST(nvdb_open(&db, "no-dim-no-store", nullptr) == NVDB_EINVAL);  // creating needs a dim
  BOOST_TEST(!std::filesystem::exists("no-dim-no-store"));
  BOOST_TEST(nvdb_open(nullptr, ":memory:", &opts) == NVDB_EINVAL);
  BOOST_TEST(nvdb_options_init(&opts, 7) == NVDB_EINVAL);
  BOOST_TEST(nvdb_options_init(&opts, NVDB_OPTIONS_VERSION) == NVDB_OK);
  BOOST_TEST(opts.dim == 0u);
}

BOOST_AUTO_TEST_CASE(largest_dimension_works) {
  Db db(NVDB_MAX_DIM);
  std::vector<float> v(NVDB_MAX_DIM, 0.5f);
  BOOST_TEST(upsert(db, {"big"}, v) == NVDB_OK);
  HitList hits = query(db, v, 1);
  BOOST_TEST(hits.scores.at(0) == 1.0f, boost::test_tools::tolerance(1e-5f));
}

BOOST_AUTO_TEST_CASE(reports_dim_and_metric) {
  Db db(7, NVDB_METRIC_L2);
  BOOST_TEST(nvdb_dim(db) == 7u);
  BOOST_TEST(nvdb_metric_of(db) == NVDB_METRIC_L2);
  char *info = nullptr;
  BOOST_REQUIRE(nvdb_info(db, &info) == NVDB_OK);
  BOOST_TEST(std::string(info).find("\"dim\":7") != std::string::npos);
  BOOST_TEST(std::string(info).find("\"metric\":\"l2\"") != std::string::npos);
  BOOST_TEST(std::string(info).find("\"storage\":\"memory\"") != std::string::npos);
  nvdb_free(info);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(upserting)

BOOST_AUTO_TEST_CASE(reports_inserted_then_updated_ids) {
  Db db(2);
  nvdb_report *r = nullptr;
  const char *ids[] = {"x", "y"};
  float v[] = {1, 0, 0, 1};
  BOOST_REQUIRE(nvdb_upsert(db, 2, ids, v, 4, nullptr, &r) == NVDB_OK);
  BOOST_TEST(nvdb_report_inserted_count(r) == 2u);
  BOOST_TEST(nvdb_report_updated_count(r) == 0u);
  BOOST_TEST(nvdb_report_inserted_id(r, 1) == std::string("y"));
  BOOST_TEST(nvdb_report_inserted_id(r, 2) == nullptr);
  nvdb_report_free(r);

  const char *ids2[] = {"y", "z"};
  BOOST_REQUIRE(nvdb_upsert(db, 2, ids2, v, 4, nullptr, &r) == NVDB_OK);
  BOOST_TEST(nvdb_report_updated_count(r) == 1u);
  BOOST_TEST(nvdb_report_updated_id(r, 0) == std::string("y"));
  BOOST_TEST(nvdb_report_inserted_id(r, 0) == std::string("z"));
  nvdb_report_free(r);
  BOOST_TEST(count(db) == 3u);
}

BOOST_AUTO_TEST_CASE(update_replaces_vector_and_metadata) {
  Db db(2);
  BOOST_REQUIRE(upsert(db, {"x"}, {1, 0}, {"{\"old\":true,\"keep\":1}"}) == NVDB_OK);
  BOOST_REQUIRE(upsert(db, {"x"}, {0, 1}, {"{\"new\":1}"}) == NVDB_OK);
  BOOST_TEST(metadata_of(db, "x") == "{\"new\":1}");
  HitList hits = query(db, {0, 1}, 1);
  BOOST_TEST(hits.scores.at(0) == 1.0f, boost::test_tools::tolerance(1e-6f));
}

BOOST_AUTO_TEST_CASE(repeated_id_in_a_batch_last_wins_reported_once) {
  Db db(2);
  nvdb_report *r = nullptr;
  const char *ids[] = {"d", "e", "d"};
  const char *meta[] = {"{\"v\":1}", "{}", "{\"v\":3}"};
  float v[] = {1, 0, 0, 1, 0, 2};
  BOOST_REQUIRE(nvdb_upsert(db, 3, ids, v, 6, meta, &r) == NVDB_OK);
  BOOST_TEST(nvdb_report_inserted_count(r) == 2u);
  BOOST_TEST(nvdb_report_inserted_id(r, 0) == std::string("d"));
  nvdb_report_free(r);
  BOOST_TEST(count(db) == 2u);
  BOOST_TEST(metadata_of(db, "d") == "{\"v\":3}");
}

BOOST_AUTO_TEST_CASE(auto_ids_are_md5_of_the_vector_as_given) {
  // md5 of the 8 bytes of float32 {1, 0}, little-endian.
  Db db(2);
  nvdb_report *r = nullptr;
  float v[] = {1, 0};
  BOOST_REQUIRE(nvdb_upsert(db, 1, nullptr, v, 2, nullptr, &r) == NVDB_OK);
  BOOST_TEST(nvdb_report_inserted_id(r, 0) == std::string("1bf0ccd7b0f6659416e162f190782761"));
  nvdb_report_free(r);
  // The same vector scaled is a different input, hence a different id;
  // the same vector again updates.
  BOOST_REQUIRE(nvdb_upsert(db, 1, nullptr, v, 2, nullptr, &r) == NVDB_OK);
  BOOST_TEST(nvdb_report_updated_count(r) == 1u);
  nvdb_report_free(r);
  const char *ids[] = {nullptr, "named"};
  float two[] = {2, 0, 0, 1};
  BOOST_REQUIRE(nvdb_upsert(db, 2, ids, two, 4, nullptr, &r) == NVDB_OK);
  BOOST_TEST(nvdb_report_inserted_count(r) == 2u);
  nvdb_report_free(r);
  BOOST_TEST(count(db) == 3u);
}

// A large batch computes its ids in parallel: they must be the ids each
// record gets on its own.
BOOST_AUTO_TEST_CASE(auto_ids_of_a_large_batch_are_each_vectors_own) {
  const std::size_t n = 2000, dim = 8;
  std::vector<float> v(n * dim);
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = float(i % 13) + float(i / dim) * 0.001f + 1;
  std::vector<const char *> ids(n, nullptr);
  ids[7] = "given";  // given and generated ids mix
  Db batch(dim), single(dim);
  nvdb_report *r = nullptr;
  BOOST_REQUIRE(nvdb_upsert(batch, n, ids.data(), v.data(), v.size(), nullptr, &r) == NVDB_OK);
  BOOST_REQUIRE_EQUAL(nvdb_report_inserted_count(r), n);
  for (std::size_t i = 0; i < n; ++i) {
    nvdb_report *one = nullptr;
    BOOST_REQUIRE(nvdb_upsert(single, 1, &ids[i], v.data() + i * dim, dim, nullptr, &one) == NVDB_OK);
    BOOST_TEST(nvdb_report_inserted_id(r, i) == std::string(nvdb_report_inserted_id(one, 0)));
    nvdb_report_free(one);
  }
  nvdb_report_free(r);
}

BOOST_AUTO_TEST_CASE(metadata_round_trips_exactly) {
  Db db(2);
  const char *meta =
      "{\"big\":18446744073709551616123,\"exact\":9007199254740993,\"nz\":-0.0,\"tiny\":1e-07,"
      "\"huge\":1.5e+300,\"s\":\"caf\xc3\xa9 \xe2\x98\x95 \xf0\x9f\x9a\x80\",\"esc\":\"tab\\t\\u0001\","
      "\"z\":[1,{\"deep\":null}],\"a\":true,\"e\":{}}";
  BOOST_REQUIRE(upsert(db, {"m"}, {1, 1}, {meta}) == NVDB_OK);
  BOOST_TEST(metadata_of(db, "m") == meta);
}

BOOST_AUTO_TEST_CASE(vectors_are_normalised_under_cosine_only) {
  for (nvdb_metric m : {NVDB_METRIC_COSINE, NVDB_METRIC_DOT}) {
    Db db(2, m);
    BOOST_REQUIRE(upsert(db, {"v"}, {3, 4}) == NVDB_OK);
    const char *id = "v";
    nvdb_records *r = nullptr;
    BOOST_REQUIRE(nvdb_get(db, 1, &id, &r) == NVDB_OK);
    const float *stored = nvdb_records_vector(r, 0);
    float expect = m == NVDB_METRIC_COSINE ? 0.6f : 3.0f;
    BOOST_TEST(stored[0] == expect, boost::test_tools::tolerance(1e-6f));
    nvdb_records_free(r);
  }
}

BOOST_AUTO_TEST_SUITE_END()

// Every rejection: the status, and a database that is exactly as before.
BOOST_FIXTURE_TEST_SUITE(rejections, Seeded)

BOOST_AUTO_TEST_CASE(bad_vectors) {
  const std::string before = state_of(db);
  struct Case {
    std::vector<float> v;
    int status;
  } cases[] = {
      {{kNaN, 0, 0, 0}, NVDB_EVECTOR},
      {{0, kInf, 0, 0}, NVDB_EVECTOR},
      {{0, 0, -kInf, 0}, NVDB_EVECTOR},
      {{0, 0, 0, 0}, NVDB_EVECTOR},
      {{3e38f, 3e38f, 0, 0}, NVDB_EVECTOR},
      {{1, 0, 0}, NVDB_EDIM},
      {{1, 0, 0, 0, 1}, NVDB_EDIM},
  };
  for (const Case &c : cases) {
    BOOST_TEST(upsert(db, {"new"}, c.v) == c.status);
    BOOST_TEST(std::string(nvdb_errmsg()).size() > 0u);
    BOOST_TEST(state_of(db) == before);
  }
}

BOOST_AUTO_TEST_CASE(a_bad_record_anywhere_rejects_the_whole_batch) {
  const std::string before = state_of(db);
  // The first record updates "a", the second inserts, the third is bad.
  BOOST_TEST(upsert(db, {"a", "fresh", "bad"}, {0, 0, 0, 1, 0, 1, 1, 0, 0, 0, 0, 0}) ==
             NVDB_EVECTOR);
  BOOST_TEST(std::string(nvdb_errmsg()).find("record 2") != std::string::npos);
  BOOST_TEST(std::string(nvdb_errmsg()).find("\"bad\"") != std::string::npos);
  BOOST_TEST(state_of(db) == before);
  BOOST_TEST(count(db) == 3u);
}

BOOST_AUTO_TEST_CASE(bad_ids) {
  const std::string before = state_of(db);
  std::string long_id(NVDB_MAX_ID_BYTES + 1, 'x');
  for (const char *id : {"", "\xff\xfe", "\xc0\xaf", "\xed\xa0\x80", long_id.c_str()}) {
    BOOST_TEST(upsert(db, {id}, {1, 1, 1, 1}) == NVDB_EID);
    BOOST_TEST(state_of(db) == before);
  }
  std::string longest(NVDB_MAX_ID_BYTES, 'y');
  BOOST_TEST(upsert(db, {longest.c_str()}, {1, 1, 1, 1}) == NVDB_OK);
}

BOOST_AUTO_TEST_CASE(bad_metadata) {
  const std::string before = state_of(db);
  for (const char *meta : {"[1,2]", "3", "\"text\"", "null", "{\"a\":", "{\"a\":1}x", "{\"a\":1,\"a\":2}",
                           "{\"__id__\":\"x\"}", "{\"__vector__\":[1]}", "{\"__metrics__\":1}",
                           "{\"s\":\"\xff\"}", "{\"n\":NaN}", "{\"n\":1e400}", ""}) {
    BOOST_TEST_CONTEXT("metadata " << meta) {
      BOOST_TEST(upsert(db, {"a"}, {1, 1, 1, 1}, {meta}) == NVDB_EJSON);
      BOOST_TEST(std::string(nvdb_errmsg()).find("metadata") != std::string::npos);
      BOOST_TEST(state_of(db) == before);
    }
  }
}

BOOST_AUTO_TEST_CASE(bad_additional_data) {
  const std::string before = state_of(db);
  for (const char *json : {"[]", "{", "{\"k\":1,\"k\":1}", "1"}) {
    BOOST_TEST(nvdb_set_additional_data(db, json) == NVDB_EJSON);
    BOOST_TEST(state_of(db) == before);
  }
  BOOST_TEST(nvdb_set_additional_data(db, nullptr) == NVDB_EINVAL);
}

BOOST_AUTO_TEST_CASE(null_arguments) {
  const std::string before = state_of(db);
  const char *ids[] = {"q"};
  BOOST_TEST(nvdb_upsert(db, 1, ids, nullptr, 4, nullptr, nullptr) == NVDB_EINVAL);
  BOOST_TEST(nvdb_upsert(nullptr, 1, ids, nullptr, 4, nullptr, nullptr) == NVDB_EINVAL);
  BOOST_TEST(nvdb_delete(db, 1, nullptr, nullptr) == NVDB_EINVAL);
  const char *with_null[] = {"a", nullptr};
  BOOST_TEST(nvdb_delete(db, 2, with_null, nullptr) == NVDB_EINVAL);
  BOOST_TEST(state_of(db) == before);
}

BOOST_AUTO_TEST_CASE(bad_queries) {
  nvdb_hits *hits = reinterpret_cast<nvdb_hits *>(0x1);
  float q[] = {1, 0, 0, 0};
  float nan_q[] = {kNaN, 0, 0, 0};
  float zero_q[] = {0, 0, 0, 0};
  BOOST_TEST(nvdb_query(db, q, 3, nullptr, &hits) == NVDB_EDIM);
  BOOST_TEST(hits == nullptr);
  BOOST_TEST(nvdb_query(db, nan_q, 4, nullptr, &hits) == NVDB_EVECTOR);
  BOOST_TEST(nvdb_query(db, zero_q, 4, nullptr, &hits) == NVDB_EVECTOR);
  nvdb_query_options o = NVDB_QUERY_OPTIONS_INIT;
  o.filter = "{\"n\":{\"$bogus\":1}}";
  BOOST_TEST(nvdb_query(db, q, 4, &o, &hits) == NVDB_EFILTER);
  BOOST_TEST(std::string(nvdb_errmsg()).find("$bogus") != std::string::npos);
  o.filter = "{not json";
  BOOST_TEST(nvdb_query(db, q, 4, &o, &hits) == NVDB_EFILTER);
  o.filter = nullptr;
  o.version = 0;
  BOOST_TEST(nvdb_query(db, q, 4, &o, &hits) == NVDB_EINVAL);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(reading)

BOOST_AUTO_TEST_CASE(get_returns_the_order_asked_and_skips_unknown_ids) {
  Seeded s;
  const char *ids[] = {"c", "nope", "a", "c"};
  nvdb_records *r = nullptr;
  BOOST_REQUIRE(nvdb_get(s.db, 4, ids, &r) == NVDB_OK);
  BOOST_REQUIRE(nvdb_records_count(r) == 3u);
  BOOST_TEST(nvdb_records_id(r, 0) == std::string("c"));
  BOOST_TEST(nvdb_records_id(r, 1) == std::string("a"));
  BOOST_TEST(nvdb_records_id(r, 2) == std::string("c"));
  BOOST_TEST(nvdb_records_metadata(r, 1) == std::string("{\"n\":1}"));
  BOOST_TEST(nvdb_records_vector(r, 0)[2] == 1.0f);
  BOOST_TEST(nvdb_records_id(r, 3) == nullptr);
  nvdb_records_free(r);
}

BOOST_AUTO_TEST_CASE(delete_counts_what_it_removed) {
  Seeded s;
  const char *ids[] = {"b", "nope", "b"};
  size_t deleted = 99;
  BOOST_REQUIRE(nvdb_delete(s.db, 3, ids, &deleted) == NVDB_OK);
  BOOST_TEST(deleted == 1u);
  BOOST_TEST(count(s.db) == 2u);
  BOOST_TEST(metadata_of(s.db, "b") == "<missing>");
  // The others are intact after the row move.
  BOOST_TEST(metadata_of(s.db, "c") == "{\"n\":3}");
  HitList hits = query(s.db, {0, 0, 1, 0}, 1);
  BOOST_TEST(hits.ids.at(0) == "c");
}

BOOST_AUTO_TEST_CASE(query_ranks_and_limits) {
  Db db(2);
  BOOST_REQUIRE(upsert(db, {"e", "ne", "n"}, {1, 0, 1, 1, 0, 1}) == NVDB_OK);
  HitList hits = query(db, {1, 0.1f}, 2);
  BOOST_REQUIRE(hits.ids.size() == 2u);
  BOOST_TEST(hits.ids[0] == "e");
  BOOST_TEST(hits.ids[1] == "ne");
  BOOST_TEST(hits.scores[0] >= hits.scores[1]);
  BOOST_TEST(query(db, {1, 0}, 0).ids.size() == 0u);
  BOOST_TEST(query(db, {1, 0}, 10).ids.size() == 3u);
}

BOOST_AUTO_TEST_CASE(threshold_keeps_scores_at_least_as_good) {
  Db db(2);
  BOOST_REQUIRE(upsert(db, {"a", "b", "c"}, {1, 0, 1, 1, 0, 1}) == NVDB_OK);
  nvdb_query_options o = NVDB_QUERY_OPTIONS_INIT;
  o.use_threshold = 1;
  o.threshold = 0.7071067f;  // cos 45°: "b" sits on it
  float q[] = {1, 0};
  nvdb_hits *hits = nullptr;
  BOOST_REQUIRE(nvdb_query(db, q, 2, &o, &hits) == NVDB_OK);
  BOOST_TEST(nvdb_hits_count(hits) == 2u);
  nvdb_hits_free(hits);
}

BOOST_AUTO_TEST_CASE(equal_scores_are_ordered_by_id) {
  Db db(2);
  BOOST_REQUIRE(upsert(db, {"zeta", "alpha", "mid", "other"}, {1, 0, 1, 0, 1, 0, 0, 1}) == NVDB_OK);
  HitList hits = query(db, {1, 0}, 3);
  BOOST_TEST(hits.ids == (std::vector<std::string>{"alpha", "mid", "zeta"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(dot_and_l2_scores) {
  Db dot(2, NVDB_METRIC_DOT);
  BOOST_REQUIRE(upsert(dot, {"a", "b"}, {2, 0, 0, 3}) == NVDB_OK);
  HitList hits = query(dot, {1, 2}, 2);
  BOOST_TEST(hits.ids[0] == "b");
  BOOST_TEST(hits.scores[0] == 6.0f);
  BOOST_TEST(hits.scores[1] == 2.0f);

  Db l2(2, NVDB_METRIC_L2);
  BOOST_REQUIRE(upsert(l2, {"near", "far"}, {1, 1, 4, 6}) == NVDB_OK);
  hits = query(l2, {1, 2}, 2);
  BOOST_TEST(hits.ids[0] == "near");
  BOOST_TEST(hits.scores[0] == -1.0f, boost::test_tools::tolerance(1e-6f));
  BOOST_TEST(hits.scores[1] == -5.0f, boost::test_tools::tolerance(1e-6f));  // 3-4-5
}

BOOST_AUTO_TEST_CASE(declarative_filter) {
  Db db(2);
  BOOST_REQUIRE(upsert(db, {"j1", "j2", "r1"}, {1, 0, 0.9f, 0.1f, 1, 0},
                       {"{\"genre\":\"jazz\",\"year\":1999}", "{\"genre\":\"jazz\",\"year\":2005}",
                        "{\"genre\":\"rock\",\"year\":2010}"}) == NVDB_OK);
  HitList hits = query(db, {1, 0}, 10, "{\"genre\":\"jazz\",\"year\":{\"$gte\":2000}}");
  BOOST_TEST(hits.ids == (std::vector<std::string>{"j2"}), boost::test_tools::per_element());
  hits = query(db, {1, 0}, 10, "{\"$or\":[{\"genre\":\"rock\"},{\"year\":{\"$lt\":2000}}]}");
  BOOST_TEST(hits.ids == (std::vector<std::string>{"j1", "r1"}), boost::test_tools::per_element());
  BOOST_TEST(hits.meta[0] == "{\"genre\":\"jazz\",\"year\":1999}");
}

BOOST_AUTO_TEST_CASE(callback_filter_and_abort) {
  Seeded s;
  struct Ctx {
    std::atomic<int> calls{0};
    bool abort = false;
  } ctx;
  auto keep_odd = [](const char *, const char *meta, void *c) -> int {
    auto *x = static_cast<Ctx *>(c);
    x->calls++;
    if (x->abort) return -7;
    return std::strstr(meta, "\"n\":2") ? 0 : 1;
  };
  nvdb_query_options o = NVDB_QUERY_OPTIONS_INIT;
  o.filter_fn = keep_odd;
  o.filter_ctx = &ctx;
  float q[] = {1, 1, 1, 0};
  nvdb_hits *hits = nullptr;
  BOOST_REQUIRE(nvdb_query(s.db, q, 4, &o, &hits) == NVDB_OK);
  BOOST_TEST(nvdb_hits_count(hits) == 2u);
  BOOST_TEST(ctx.calls.load() == 3);
  nvdb_hits_free(hits);

  o.filter = "{\"n\":{\"$gte\":3}}";  // ANDed with the callback
  BOOST_REQUIRE(nvdb_query(s.db, q, 4, &o, &hits) == NVDB_OK);
  BOOST_TEST(nvdb_hits_count(hits) == 1u);
  BOOST_TEST(nvdb_hits_id(hits, 0) == std::string("c"));
  nvdb_hits_free(hits);

  ctx.abort = true;
  o.filter = nullptr;
  BOOST_TEST(nvdb_query(s.db, q, 4, &o, &hits) == NVDB_EABORTED);
  BOOST_TEST(hits == nullptr);
}

BOOST_AUTO_TEST_CASE(additional_data_round_trip) {
  Db db(2);
  char *out = nullptr;
  BOOST_REQUIRE(nvdb_get_additional_data(db, &out) == NVDB_OK);
  BOOST_TEST(std::string(out) == "{}");
  nvdb_free(out);
  BOOST_REQUIRE(nvdb_set_additional_data(db, "{\"model\": \"m\u00fc\", \"n\": 18446744073709551617}") == NVDB_OK);
  BOOST_REQUIRE(nvdb_get_additional_data(db, &out) == NVDB_OK);
  BOOST_TEST(std::string(out) == "{\"model\":\"m\u00fc\",\"n\":18446744073709551617}");
  nvdb_free(out);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(json_files)

BOOST_AUTO_TEST_CASE(create_save_reopen) {
  TempDir dir;
  std::string path = dir.file("db.json");
  nvdb_options opts = NVDB_OPTIONS_INIT;
  opts.dim = 3;
  nvdb_db *db = nullptr;
  BOOST_REQUIRE(nvdb_open(&db, path.c_str(), &opts) == NVDB_OK);
  BOOST_REQUIRE(upsert(db, {"a", "b"}, {1, 2, 3, 3, 2, 1}, {"{\"k\":\"v\"}", nullptr}) == NVDB_OK);
  BOOST_REQUIRE(nvdb_close(db) == NVDB_OK);
  BOOST_TEST(fs::exists(path));

  opts.dim = 0;
  opts.mode = NVDB_OPEN_READ;
  BOOST_REQUIRE(nvdb_open(&db, path.c_str(), &opts) == NVDB_OK);
  BOOST_TEST(nvdb_dim(db) == 3u);
  BOOST_TEST(count(db) == 2u);
  BOOST_TEST(metadata_of(db, "a") == "{\"k\":\"v\"}");
  BOOST_TEST(upsert(db, {"c"}, {1, 1, 1}) == NVDB_EREADONLY);
  BOOST_TEST(nvdb_set_additional_data(db, "{}") == NVDB_EREADONLY);
  const char *ids[] = {"a"};
  BOOST_TEST(nvdb_delete(db, 1, ids, nullptr) == NVDB_EREADONLY);
  BOOST_TEST(nvdb_save(db) == NVDB_EREADONLY);
  BOOST_TEST(count(db) == 2u);
  BOOST_REQUIRE(nvdb_close(db) == NVDB_OK);
}

BOOST_AUTO_TEST_CASE(open_checks_existence_and_options) {
  TempDir dir;
  std::string path = dir.file("missing.json");
  nvdb_options opts = NVDB_OPTIONS_INIT;
  nvdb_db *db = nullptr;
  opts.mode = NVDB_OPEN_WRITE;
  BOOST_TEST(nvdb_open(&db, path.c_str(), &opts) == NVDB_ENOTFOUND);
  opts.mode = NVDB_OPEN_READ;
  BOOST_TEST(nvdb_open(&db, path.c_str(), &opts) == NVDB_ENOTFOUND);
  opts.mode = NVDB_OPEN_CREATE;
  BOOST_TEST(nvdb_open(&db, path.c_str(), &opts) == NVDB_EINVAL);  // no dim
  opts.dim = 4;
  opts.metric = NVDB_METRIC_L2;
  BOOST_TEST(nvdb_open(&db, path.c_str(), &opts) == NVDB_EMISMATCH);
  std::string fixture = std::string(NVDB_TEST_DATA) + "/a_small.db.json";
  opts.metric = NVDB_METRIC_DEFAULT;
  opts.dim = 9;
  BOOST_TEST(nvdb_open(&db, fixture.c_str(), &opts) == NVDB_EMISMATCH);
  BOOST_TEST(db == nullptr);
}

BOOST_AUTO_TEST_CASE(truncated_or_corrupt_files_open_nothing) {
  TempDir dir;
  std::string text = read_file(std::string(NVDB_TEST_DATA) + "/a_small.db.json");
  std::string path = dir.file("bad.json");
  for (size_t cut : {size_t(0), size_t(1), size_t(20), text.size() / 2, text.size() - 1}) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << text.substr(0, cut);
    nvdb_db *db = nullptr;
    BOOST_TEST(nvdb_open(&db, path.c_str(), nullptr) == NVDB_ECORRUPT);
    BOOST_TEST(db == nullptr);
  }
}

BOOST_AUTO_TEST_CASE(save_is_atomic_and_keeps_no_temporary) {
  TempDir dir;
  std::string path = dir.file("db.json");
  nvdb_options opts = NVDB_OPTIONS_INIT;
  opts.dim = 2;
  nvdb_db *db = nullptr;
  BOOST_REQUIRE(nvdb_open(&db, path.c_str(), &opts) == NVDB_OK);
  BOOST_REQUIRE(upsert(db, {"a"}, {1, 0}) == NVDB_OK);
  BOOST_REQUIRE(nvdb_save(db) == NVDB_OK);
  std::string first = read_file(path);
  BOOST_REQUIRE(upsert(db, {"b"}, {0, 1}) == NVDB_OK);
  BOOST_REQUIRE(nvdb_save(db) == NVDB_OK);
  BOOST_TEST(read_file(path) != first);
  BOOST_TEST(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator()) == 1);
  BOOST_REQUIRE(nvdb_close(db) == NVDB_OK);
}

BOOST_AUTO_TEST_CASE(import_merges_and_copy_copies) {
  std::string fixture = std::string(NVDB_TEST_DATA) + "/a_small.db.json";
  Db db(8);
  BOOST_REQUIRE(upsert(db, {"doc-000", "mine"}, {1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0}) == NVDB_OK);
  BOOST_REQUIRE(nvdb_import_json(db, fixture.c_str()) == NVDB_OK);
  BOOST_TEST(count(db) == 51u);
  Db other(8);
  BOOST_REQUIRE(nvdb_copy(other, db) == NVDB_OK);
  BOOST_TEST(count(other) == 51u);
  BOOST_TEST(state_of(other) == state_of(db));
  Db wrong(4);
  BOOST_TEST(nvdb_import_json(wrong, fixture.c_str()) == NVDB_EMISMATCH);
  BOOST_TEST(nvdb_copy(wrong, db) == NVDB_EMISMATCH);
  BOOST_TEST(count(wrong) == 0u);
  Db l2(8, NVDB_METRIC_L2);
  TempDir dir;
  BOOST_TEST(nvdb_export_json(l2, dir.file("x.json").c_str()) == NVDB_EMISMATCH);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_CASE(concurrent_queries_and_writes_on_one_handle) {
  Db db(16);
  std::vector<float> v(16);
  std::vector<std::string> names;
  for (int i = 0; i < 200; ++i) names.push_back("seed-" + std::to_string(i));
  for (int i = 0; i < 200; ++i) {
    for (int d = 0; d < 16; ++d) v[d] = static_cast<float>((i * 31 + d * 7) % 13) + 1;
    const char *id = names[i].c_str();
    BOOST_REQUIRE(nvdb_upsert(db, 1, &id, v.data(), 16, nullptr, nullptr) == NVDB_OK);
  }
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 8; ++t) {
    readers.emplace_back([&, t] {
      std::vector<float> q(16, 1.0f + t);
      while (!stop) {
        nvdb_hits *hits = nullptr;
        nvdb_query_options o = NVDB_QUERY_OPTIONS_INIT;
        o.top_k = 5;
        if (nvdb_query(db, q.data(), 16, &o, &hits) != NVDB_OK || nvdb_hits_count(hits) != 5)
          failures++;
        nvdb_hits_free(hits);
      }
    });
  }
  for (int i = 0; i < 300; ++i) {
    std::string id = "w-" + std::to_string(i % 50);
    const char *p = id.c_str();
    for (int d = 0; d < 16; ++d) v[d] = static_cast<float>(i % 7 + d) + 1;
    BOOST_REQUIRE(nvdb_upsert(db, 1, &p, v.data(), 16, nullptr, nullptr) == NVDB_OK);
    if (i % 3 == 0) BOOST_REQUIRE(nvdb_delete(db, 1, &p, nullptr) == NVDB_OK);
  }
  stop = true;
  for (auto &t : readers) t.join();
  BOOST_TEST(failures.load() == 0);
}

// The threads of this process, as the kernel lists them.
std::size_t thread_count() {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto &entry : std::filesystem::directory_iterator("/proc/self/task")) ++n;
  return n;
}

// Queries large enough to be split across the library's pool, from many
// threads at once: they share the one pool, no thread is started per call.
BOOST_AUTO_TEST_CASE(queries_from_many_threads_share_one_pool) {
  constexpr std::size_t kRows = 20000, kDim = 64;  // 5 MB of vectors: several tasks
  Db db(kDim);
  std::mt19937 rng(11);
  std::normal_distribution<float> normal;
  std::vector<float> vectors(kRows * kDim);
  for (float &x : vectors) x = normal(rng);
  BOOST_REQUIRE(nvdb_upsert(db, kRows, nullptr, vectors.data(), vectors.size(), nullptr, nullptr) == NVDB_OK);
  std::atomic<int> failures{0};
  auto query = [&](std::size_t i) {
    nvdb_hits *hits = nullptr;
    if (nvdb_query(db, vectors.data() + (i % kRows) * kDim, kDim, nullptr, &hits) != NVDB_OK ||
        nvdb_hits_count(hits) != 10)
      failures++;
    nvdb_hits_free(hits);
  };
  query(0);  // the pool starts at the first query that needs it
  const std::size_t before = thread_count();
  std::atomic<bool> stop{false};
  std::atomic<std::size_t> most{0};
  std::thread sampler([&] {
    while (!stop) {
      most = std::max(most.load(), thread_count());
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  });
  constexpr std::size_t kCallers = 8;
  std::vector<std::thread> callers;
  for (std::size_t t = 0; t < kCallers; ++t)
    callers.emplace_back([&, t] {
      for (std::size_t i = 0; i < 30; ++i) query(t * 1000 + i);
    });
  for (auto &t : callers) t.join();
  stop = true;
  sampler.join();
  BOOST_TEST(failures.load() == 0);
  BOOST_TEST(most.load() <= before + kCallers + 1);  // the callers and the sampler, nothing more
  BOOST_TEST(thread_count() == before);
}

