// nano-vectordb compatibility: every expectation recorded from the Python
// package in tests/fixtures/*.expected.json, reproduced through the C API.
#define BOOST_TEST_MODULE nvdb_nanovdb_compat
#include <boost/json.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "nvdb.h"

namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

std::string fixture_path(const std::string &name) { return std::string(NVDB_TEST_DATA) + "/" + name; }

std::string read_file(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

json::value expected(const std::string &fixture) {
  return json::parse(read_file(fixture_path(fixture + ".expected.json")));
}

// Ids the Python package kept as ints are their decimal text in nvdb.
std::string id_text(const json::value &id) {
  if (id.is_string()) return std::string(id.as_string());
  return json::serialize(id);
}

std::vector<float> floats(const json::value &arr) {
  std::vector<float> out;
  for (const auto &x : arr.as_array()) out.push_back(static_cast<float>(x.to_number<double>()));
  return out;
}

// The record as nano-vectordb returns it, minus its "__id__" and "__metrics__".
json::object metadata_part(const json::value &record) {
  json::object obj = record.as_object();
  obj.erase("__id__");
  obj.erase("__metrics__");
  return obj;
}

struct Opened {
  nvdb_db *db = nullptr;
  explicit Opened(const std::string &fixture) {
    nvdb_options opts = NVDB_OPTIONS_INIT;
    opts.mode = NVDB_OPEN_READ;
    int rc = nvdb_open(&db, fixture_path(fixture + ".db.json").c_str(), &opts);
    BOOST_REQUIRE_MESSAGE(rc == NVDB_OK, nvdb_errmsg());
  }
  ~Opened() { nvdb_close(db); }
};

void check_query(nvdb_db *db, const json::value &q, const char *filter = nullptr) {
  std::vector<float> v = floats(q.at("vector"));
  nvdb_query_options o = NVDB_QUERY_OPTIONS_INIT;
  o.top_k = static_cast<uint32_t>(q.at("top_k").to_number<int>());
  o.filter = filter;
  if (q.as_object().contains("better_than_threshold")) {
    o.use_threshold = 1;
    o.threshold = static_cast<float>(q.at("better_than_threshold").to_number<double>());
  }
  nvdb_hits *hits = nullptr;
  BOOST_REQUIRE_EQUAL(nvdb_query(db, v.data(), v.size(), &o, &hits), NVDB_OK);
  const auto &ids = q.at("ids").as_array();
  const auto &scores = q.at("scores").as_array();
  const auto &records = q.at("records").as_array();
  BOOST_REQUIRE_EQUAL(nvdb_hits_count(hits), ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    BOOST_TEST(nvdb_hits_id(hits, i) == id_text(ids[i]));
    BOOST_TEST(nvdb_hits_score(hits, i) == scores[i].to_number<double>(),
               boost::test_tools::tolerance(1e-5));
    BOOST_TEST(json::parse(nvdb_hits_metadata(hits, i)).as_object() == metadata_part(records[i]));
  }
  nvdb_hits_free(hits);
}

const std::vector<std::string> kLoadable = {"a_small", "b_autoid", "e_empty", "g_int_ids_plain"};

}  // namespace

// An expectation the fixture records; null where the Python run had none
// (an empty database has nothing to filter or get).
static bool has(const json::value &exp, const char *key) {
  const json::value *v = exp.as_object().if_contains(key);
  return v && !v->is_null();
}

BOOST_DATA_TEST_CASE(count_and_additional_data, boost::unit_test::data::make(kLoadable), fixture) {
  json::value exp = expected(fixture);
  Opened o(fixture);
  size_t n = 0;
  BOOST_REQUIRE_EQUAL(nvdb_count(o.db, &n), NVDB_OK);
  BOOST_TEST(n == exp.at("len").to_number<size_t>());
  BOOST_TEST(nvdb_dim(o.db) == exp.at("embedding_dim").to_number<uint32_t>());
  char *extra = nullptr;
  BOOST_REQUIRE_EQUAL(nvdb_get_additional_data(o.db, &extra), NVDB_OK);
  BOOST_TEST(json::parse(extra) == exp.at("additional_data"));
  nvdb_free(extra);
}

BOOST_DATA_TEST_CASE(queries_give_the_same_ids_and_scores, boost::unit_test::data::make(kLoadable),
                     fixture) {
  json::value exp = expected(fixture);
  Opened o(fixture);
  for (const auto &q : exp.at("queries").as_array()) check_query(o.db, q);
}

BOOST_DATA_TEST_CASE(threshold_query, boost::unit_test::data::make(kLoadable), fixture) {
  json::value exp = expected(fixture);
  if (!has(exp, "threshold_query")) return;
  Opened o(fixture);
  check_query(o.db, exp.at("threshold_query"));
}

// nano-vectordb's filter_lambda `d.get(field) == value` is the declarative
// filter {field: value}.
BOOST_DATA_TEST_CASE(filtered_query, boost::unit_test::data::make(kLoadable), fixture) {
  json::value exp = expected(fixture);
  if (!has(exp, "filtered_query")) return;
  const json::value &q = exp.at("filtered_query");
  json::object filter;
  filter[q.at("filter").at("field").as_string()] = q.at("filter").at("equals");
  Opened o(fixture);
  check_query(o.db, q, json::serialize(filter).c_str());
}

// nano-vectordb returns row order; nvdb returns the order asked. The same
// records come back either way.
BOOST_DATA_TEST_CASE(get_returns_the_same_records, boost::unit_test::data::make(kLoadable), fixture) {
  json::value exp = expected(fixture);
  if (!has(exp, "get")) return;
  std::vector<std::string> asked;
  for (const auto &id : exp.at("get").at("ids").as_array()) asked.push_back(id_text(id));
  std::vector<const char *> ptrs;
  for (const auto &s : asked) ptrs.push_back(s.c_str());
  std::map<std::string, json::object> want;
  for (const auto &r : exp.at("get").at("results").as_array())
    want[id_text(r.at("__id__"))] = metadata_part(r);

  Opened o(fixture);
  nvdb_records *recs = nullptr;
  BOOST_REQUIRE_EQUAL(nvdb_get(o.db, ptrs.size(), ptrs.data(), &recs), NVDB_OK);
  BOOST_REQUIRE_EQUAL(nvdb_records_count(recs), want.size());
  size_t next = 0;
  for (const auto &id : asked) {
    if (!want.count(id)) continue;
    BOOST_TEST(nvdb_records_id(recs, next) == id);
    BOOST_TEST(json::parse(nvdb_records_metadata(recs, next)).as_object() == want[id]);
    ++next;
  }
  nvdb_records_free(recs);
}

// Writing a loaded file back gives the Python writer's bytes exactly.
BOOST_DATA_TEST_CASE(export_reproduces_the_file_byte_for_byte, boost::unit_test::data::make(kLoadable),
                     fixture) {
  char tmpl[] = "/tmp/nvdb-compat-XXXXXX";
  fs::path dir = mkdtemp(tmpl);
  std::string out = (dir / "out.json").string();
  {
    Opened o(fixture);
    BOOST_REQUIRE_MESSAGE(nvdb_export_json(o.db, out.c_str()) == NVDB_OK, nvdb_errmsg());
  }
  std::string original = read_file(fixture_path(fixture + ".db.json"));
  std::string written = read_file(out);
  fs::remove_all(dir);
  BOOST_TEST(written.size() == original.size());
  BOOST_TEST((written == original));
}

BOOST_AUTO_TEST_CASE(auto_ids_match_nano_vectordb) {
  json::value exp = expected("b_autoid");
  nvdb_options opts = NVDB_OPTIONS_INIT;
  opts.dim = exp.at("embedding_dim").to_number<uint32_t>();
  nvdb_db *db = nullptr;
  BOOST_REQUIRE_EQUAL(nvdb_open(&db, ":memory:", &opts), NVDB_OK);
  for (const auto &input : exp.at("auto_ids").at("inputs").as_array()) {
    std::vector<float> v = floats(input.at("vector_f32"));
    nvdb_report *r = nullptr;
    BOOST_REQUIRE_EQUAL(nvdb_upsert(db, 1, nullptr, v.data(), v.size(), nullptr, &r), NVDB_OK);
    BOOST_TEST(nvdb_report_inserted_id(r, 0) == std::string(input.at("md5_id").as_string()));
    nvdb_report_free(r);
  }
  nvdb_close(db);
}

// f_int_ids holds the int id 3 and the string id "3": as text they collide,
// and the import names them instead of guessing.
BOOST_AUTO_TEST_CASE(colliding_int_and_string_ids_are_refused) {
  nvdb_db *db = nullptr;
  BOOST_TEST(nvdb_open(&db, fixture_path("f_int_ids.db.json").c_str(), nullptr) == NVDB_EID);
  BOOST_TEST(db == nullptr);
  std::string msg = nvdb_errmsg();
  BOOST_TEST(msg.find("3") != std::string::npos);
  BOOST_TEST_MESSAGE(msg);
}
