// Compact element types through the C API: recall against float32 and
// exact scores, float32 originals from get and export, the type kept by
// stores, refusals, and options structs of version 1.
#define BOOST_TEST_MODULE nvdb_compact
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "nvdb.h"
#include "support/shm_name.hpp"
#include "support/temp_dir.hpp"

namespace {

using nvdb_test::ShmName;
using nvdb_test::TempDir;

const nvdb_element_type kCompactTypes[] = {NVDB_ELEMENT_FLOAT16, NVDB_ELEMENT_BFLOAT16, NVDB_ELEMENT_INT8};
const char *const kTypeNames[] = {"default", "float32", "float16", "bfloat16", "int8"};

struct Db {
  nvdb_db *db = nullptr;
  Db(const std::string &locator, uint32_t dim, nvdb_element_type type, nvdb_metric metric = NVDB_METRIC_DEFAULT,
     nvdb_open_mode mode = NVDB_OPEN_CREATE) {
    nvdb_options opts = NVDB_OPTIONS_INIT;
    opts.dim = dim;
    opts.metric = metric;
    opts.mode = mode;
    opts.element_type = type;
    BOOST_REQUIRE_MESSAGE(nvdb_open(&db, locator.c_str(), &opts) == NVDB_OK, locator << ": " << nvdb_errmsg());
  }
  ~Db() { nvdb_close(db); }
  Db(const Db &) = delete;
  Db &operator=(const Db &) = delete;
  operator nvdb_db *() const { return db; }
};

int open_with(const std::string &locator, uint32_t element_type, nvdb_open_mode mode, uint32_t dim = 0) {
  nvdb_options opts = NVDB_OPTIONS_INIT;
  opts.dim = dim;
  opts.mode = mode;
  opts.element_type = element_type;
  nvdb_db *db = nullptr;
  const int rc = nvdb_open(&db, locator.c_str(), &opts);
  BOOST_CHECK(rc == NVDB_OK || db == nullptr);
  nvdb_close(db);
  return rc;
}

// Seeded Gaussian vectors and their ids "r0", "r1", ...
struct Dataset {
  std::size_t n, dim;
  std::vector<float> vectors;
  std::vector<std::string> ids;
  Dataset(std::size_t n_, std::size_t dim_, unsigned seed) : n(n_), dim(dim_), vectors(n_ * dim_) {
    std::mt19937 gen(seed);
    std::normal_distribution<float> normal;
    for (float &v : vectors) v = normal(gen);
    for (std::size_t i = 0; i < n; ++i) ids.push_back("r" + std::to_string(i));
  }
  void load(nvdb_db *db) const {
    std::vector<const char *> p;
    for (const auto &id : ids) p.push_back(id.c_str());
    BOOST_REQUIRE_MESSAGE(nvdb_upsert(db, n, p.data(), vectors.data(), vectors.size(), nullptr, nullptr) == NVDB_OK,
                          nvdb_errmsg());
  }
};

struct Hits {
  std::vector<std::string> ids;
  std::vector<float> scores;
};

Hits query(nvdb_db *db, const float *q, std::size_t dim, unsigned k, const char *filter = nullptr,
           const float *threshold = nullptr) {
  nvdb_query_options o = NVDB_QUERY_OPTIONS_INIT;
  o.top_k = k;
  o.filter = filter;
  if (threshold) {
    o.use_threshold = 1;
    o.threshold = *threshold;
  }
  nvdb_hits *hits = nullptr;
  BOOST_REQUIRE_MESSAGE(nvdb_query(db, q, dim, &o, &hits) == NVDB_OK, nvdb_errmsg());
  Hits out;
  for (size_t i = 0; i < nvdb_hits_count(hits); ++i) {
    out.ids.push_back(nvdb_hits_id(hits, i));
    out.scores.push_back(nvdb_hits_score(hits, i));
  }
  nvdb_hits_free(hits);
  return out;
}

std::vector<float> get_vector(nvdb_db *db, const std::string &id) {
  const char *ids[] = {id.c_str()};
  nvdb_records *records = nullptr;
  BOOST_REQUIRE_EQUAL(nvdb_get(db, 1, ids, &records), NVDB_OK);
  BOOST_REQUIRE_EQUAL(nvdb_records_count(records), 1u);
  const float *v = nvdb_records_vector(records, 0);
  std::vector<float> out(v, v + nvdb_dim(db));
  nvdb_records_free(records);
  return out;
}

std::string info(nvdb_db *db) {
  char *text = nullptr;
  BOOST_REQUIRE_EQUAL(nvdb_info(db, &text), NVDB_OK);
  std::string s = text;
  nvdb_free(text);
  return s;
}

bool same_bits(const std::vector<float> &a, const std::vector<float> &b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// Recall@10 of a compact database against a float32 one holding the same
// data, over `queries` seeded query vectors; every hit's score must be the
// float32 database's exact score for that record.
double recall_at_10(const Dataset &data, nvdb_metric metric, nvdb_element_type type, unsigned queries) {
  Db exact(":memory:", data.dim, NVDB_ELEMENT_FLOAT32, metric);
  Db compact(":memory:", data.dim, type, metric);
  data.load(exact);
  data.load(compact);
  std::mt19937 gen(7);
  std::normal_distribution<float> normal;
  std::size_t found = 0, total = 0;
  for (unsigned qi = 0; qi < queries; ++qi) {
    std::vector<float> q(data.dim);
    for (float &v : q) v = normal(gen);
    const Hits want = query(exact, q.data(), data.dim, 10);
    // The float32 scores of 64 hits, enough to cover every candidate.
    const Hits wide = query(exact, q.data(), data.dim, 64);
    const Hits got = query(compact, q.data(), data.dim, 10);
    BOOST_REQUIRE_EQUAL(got.ids.size(), 10u);
    const std::set<std::string> truth(want.ids.begin(), want.ids.end());
    for (std::size_t i = 0; i < got.ids.size(); ++i) {
      found += truth.count(got.ids[i]);
      for (std::size_t j = 0; j < wide.ids.size(); ++j)
        if (wide.ids[j] == got.ids[i])
          BOOST_CHECK_MESSAGE(got.scores[i] == wide.scores[j], kTypeNames[type] << " score of " << got.ids[i]);
      if (i > 0) BOOST_CHECK(got.scores[i - 1] >= got.scores[i]);  // best first
    }
    total += want.ids.size();
  }
  return double(found) / double(total);
}

}  // namespace

// ---------------------------------------------------------------------------
// Answers.

BOOST_AUTO_TEST_CASE(recall_at_10_is_at_least_0_99_with_exact_scores) {
  const Dataset data(20000, 256, 42);
  for (nvdb_metric metric : {NVDB_METRIC_COSINE, NVDB_METRIC_DOT, NVDB_METRIC_L2})
    for (nvdb_element_type type : kCompactTypes) {
      const double recall = recall_at_10(data, metric, type, 30);
      BOOST_TEST_MESSAGE(kTypeNames[type] << " metric " << metric << ": recall@10 " << recall);
      BOOST_CHECK_MESSAGE(recall >= 0.99, kTypeNames[type] << " metric " << metric << ": recall@10 " << recall);
    }
}

BOOST_AUTO_TEST_CASE(filters_and_thresholds_apply_to_exact_scores) {
  const Dataset data(3000, 64, 5);
  std::vector<std::string> metas;
  for (std::size_t i = 0; i < data.n; ++i) metas.push_back(i % 10 == 3 ? "{\"pick\": true}" : "{}");
  std::vector<const char *> ids, meta;
  for (std::size_t i = 0; i < data.n; ++i) {
    ids.push_back(data.ids[i].c_str());
    meta.push_back(metas[i].c_str());
  }
  for (nvdb_element_type type : kCompactTypes) {
    Db exact(":memory:", 64, NVDB_ELEMENT_FLOAT32), compact(":memory:", 64, type);
    for (nvdb_db *db : {exact.db, compact.db})
      BOOST_REQUIRE_EQUAL(nvdb_upsert(db, data.n, ids.data(), data.vectors.data(), data.vectors.size(), meta.data(),
                                      nullptr),
                          NVDB_OK);
    const float *q = data.vectors.data() + 17 * 64;
    const Hits want = query(exact, q, 64, 5, "{\"pick\": true}");
    const Hits got = query(compact, q, 64, 5, "{\"pick\": true}");
    BOOST_CHECK(got.ids == want.ids);
    BOOST_CHECK(got.scores == want.scores);
    // A threshold between the 3rd and 4th exact scores keeps exactly 3.
    const Hits top = query(exact, q, 64, 10);
    const float threshold = (top.scores[2] + top.scores[3]) / 2;
    const Hits cut = query(compact, q, 64, 10, nullptr, &threshold);
    BOOST_CHECK_EQUAL(cut.ids.size(), 3u);
    for (float s : cut.scores) BOOST_CHECK(s >= threshold);
    // Deleted records are never returned: delete the best hit.
    const char *best[] = {top.ids[0].c_str()};
    BOOST_REQUIRE_EQUAL(nvdb_delete(compact, 1, best, nullptr), NVDB_OK);
    const Hits after = query(compact, q, 64, 10);
    BOOST_CHECK(after.ids[0] == top.ids[1]);
  }
}

BOOST_AUTO_TEST_CASE(get_and_export_give_the_float32_originals) {
  TempDir dir;
  const Dataset data(50, 24, 9);
  for (nvdb_element_type type : kCompactTypes) {
    // dot: vectors are stored as given, which float16 cannot represent exactly.
    Db db(":memory:", 24, type, NVDB_METRIC_DOT);
    data.load(db);
    for (std::size_t i = 0; i < data.n; i += 7) {
      const std::vector<float> want(data.vectors.begin() + i * 24, data.vectors.begin() + (i + 1) * 24);
      BOOST_CHECK(same_bits(get_vector(db, data.ids[i]), want));
    }
    // Export needs cosine: the file holds the normalised float32 vectors.
    Db cosine(":memory:", 24, type);
    Db reference(":memory:", 24, NVDB_ELEMENT_FLOAT32);
    data.load(cosine);
    data.load(reference);
    const std::string path = dir.file(std::string(kTypeNames[type]) + ".json");
    BOOST_REQUIRE_MESSAGE(nvdb_export_json(cosine, path.c_str()) == NVDB_OK, nvdb_errmsg());
    Db file(path, 0, NVDB_ELEMENT_DEFAULT, NVDB_METRIC_DEFAULT, NVDB_OPEN_READ);
    BOOST_CHECK_EQUAL(nvdb_element_type_of(file), NVDB_ELEMENT_FLOAT32);
    for (std::size_t i = 0; i < data.n; i += 5)
      BOOST_CHECK(same_bits(get_vector(file, data.ids[i]), get_vector(reference, data.ids[i])));
  }
}

BOOST_AUTO_TEST_CASE(copy_moves_vectors_between_element_types) {
  const Dataset data(200, 16, 3);
  Db source(":memory:", 16, NVDB_ELEMENT_INT8, NVDB_METRIC_DOT);
  Db target(":memory:", 16, NVDB_ELEMENT_BFLOAT16, NVDB_METRIC_DOT);
  data.load(source);
  BOOST_REQUIRE_MESSAGE(nvdb_copy(target, source) == NVDB_OK, nvdb_errmsg());
  for (std::size_t i = 0; i < data.n; i += 9)
    BOOST_CHECK(same_bits(get_vector(target, data.ids[i]), get_vector(source, data.ids[i])));
  const Hits a = query(source, data.vectors.data(), 16, 5), b = query(target, data.vectors.data(), 16, 5);
  BOOST_CHECK(a.scores == b.scores);
}

BOOST_AUTO_TEST_CASE(a_top_k_beyond_the_rows_returns_every_row) {
  const Dataset data(300, 16, 4);
  for (nvdb_element_type type : {NVDB_ELEMENT_FLOAT32, NVDB_ELEMENT_FLOAT16, NVDB_ELEMENT_BFLOAT16, NVDB_ELEMENT_INT8}) {
    Db db(":memory:", 16, type);
    data.load(db);
    for (unsigned k : {299u, 300u, 301u, 0xffffffffu}) {
      const Hits all = query(db, data.vectors.data(), 16, k);
      BOOST_CHECK_EQUAL(all.ids.size(), std::min<std::size_t>(k, 300));
      BOOST_CHECK_EQUAL(std::set<std::string>(all.ids.begin(), all.ids.end()).size(), all.ids.size());
    }
  }
}

// ---------------------------------------------------------------------------
// Stores keep the type.

BOOST_AUTO_TEST_CASE(stores_keep_the_element_type_across_reopen_growth_and_compaction) {
  TempDir dir;
  const Dataset data(3000, 32, 11);  // past the first generation's capacity
  for (nvdb_element_type type : kCompactTypes) {
    ShmName shm(std::string("keep-") + kTypeNames[type]);
    for (const std::string &locator : {shm.locator(), dir.file(std::string(kTypeNames[type]) + ".nvdb")}) {
      Hits before;
      {
        Db writer(locator, 32, type);
        data.load(writer);
        // Delete two thirds: the store compacts into a new generation.
        std::vector<const char *> gone;
        for (std::size_t i = 0; i < data.n; ++i)
          if (i % 3) gone.push_back(data.ids[i].c_str());
        BOOST_REQUIRE_EQUAL(nvdb_delete(writer, gone.size(), gone.data(), nullptr), NVDB_OK);
        before = query(writer, data.vectors.data() + 3 * 32, 32, 10);
        BOOST_CHECK_EQUAL(before.ids[0], "r3");
        Db reader(locator, 0, NVDB_ELEMENT_DEFAULT, NVDB_METRIC_DEFAULT, NVDB_OPEN_READ);
        BOOST_CHECK_EQUAL(nvdb_element_type_of(reader), type);
        const Hits seen = query(reader, data.vectors.data() + 3 * 32, 32, 10);
        BOOST_CHECK(seen.ids == before.ids && seen.scores == before.scores);
      }
      Db again(locator, 0, NVDB_ELEMENT_DEFAULT, NVDB_METRIC_DEFAULT, NVDB_OPEN_WRITE);
      BOOST_CHECK_EQUAL(nvdb_element_type_of(again), type);
      BOOST_CHECK(info(again).find(std::string("\"element_type\":\"") + kTypeNames[type] + "\"") != std::string::npos);
      BOOST_CHECK(info(again).find("\"compact_kernel\":\"") != std::string::npos);
      const Hits after = query(again, data.vectors.data() + 3 * 32, 32, 10);
      BOOST_CHECK(after.ids == before.ids && after.scores == before.scores);
      Db same(locator, 0, type, NVDB_METRIC_DEFAULT, NVDB_OPEN_READ);  // naming its own type is fine
    }
  }
}

BOOST_AUTO_TEST_CASE(opening_with_another_element_type_is_a_mismatch) {
  TempDir dir;
  ShmName shm("mismatch");
  for (const std::string &locator : {shm.locator(), dir.file("m.nvdb")}) {
    { Db created(locator, 8, NVDB_ELEMENT_FLOAT16); }
    for (uint32_t other : {NVDB_ELEMENT_FLOAT32, NVDB_ELEMENT_BFLOAT16, NVDB_ELEMENT_INT8})
      for (nvdb_open_mode mode : {NVDB_OPEN_CREATE, NVDB_OPEN_WRITE, NVDB_OPEN_READ}) {
        BOOST_CHECK_EQUAL(open_with(locator, other, mode), NVDB_EMISMATCH);
        BOOST_CHECK(std::string(nvdb_errmsg()).find("float16") != std::string::npos);
      }
    Db still(locator, 0, NVDB_ELEMENT_DEFAULT, NVDB_METRIC_DEFAULT, NVDB_OPEN_WRITE);
    BOOST_CHECK_EQUAL(nvdb_element_type_of(still), NVDB_ELEMENT_FLOAT16);
  }
  // A float32 store is float32: asking for a compact type does not convert it.
  { Db plain(dir.file("plain.nvdb"), 8, NVDB_ELEMENT_DEFAULT); }
  BOOST_CHECK_EQUAL(open_with(dir.file("plain.nvdb"), NVDB_ELEMENT_INT8, NVDB_OPEN_WRITE), NVDB_EMISMATCH);
}

BOOST_AUTO_TEST_CASE(json_files_are_float32_only) {
  TempDir dir;
  const std::string path = dir.file("a.json");
  for (nvdb_element_type type : kCompactTypes) {
    BOOST_CHECK_EQUAL(open_with(path, type, NVDB_OPEN_CREATE, 4), NVDB_EMISMATCH);
    BOOST_CHECK(std::string(nvdb_errmsg()).find("float32 vectors only") != std::string::npos);
  }
  BOOST_CHECK(!std::filesystem::exists(path));
  BOOST_CHECK_EQUAL(open_with(path, NVDB_ELEMENT_FLOAT32, NVDB_OPEN_CREATE, 4), NVDB_OK);
}

BOOST_AUTO_TEST_CASE(unknown_element_types_are_invalid) {
  BOOST_CHECK_EQUAL(open_with(":memory:", 5, NVDB_OPEN_CREATE, 4), NVDB_EINVAL);
  BOOST_CHECK(std::string(nvdb_errmsg()).find("element type 5") != std::string::npos);
  BOOST_CHECK_EQUAL(open_with(":memory:", 0xffffffffu, NVDB_OPEN_CREATE, 4), NVDB_EINVAL);
  BOOST_CHECK_EQUAL(nvdb_element_type_of(nullptr), NVDB_ELEMENT_DEFAULT);
}

BOOST_AUTO_TEST_CASE(memory_databases_default_to_float32) {
  Db db(":memory:", 4, NVDB_ELEMENT_DEFAULT);
  BOOST_CHECK_EQUAL(nvdb_element_type_of(db), NVDB_ELEMENT_FLOAT32);
  BOOST_CHECK(info(db).find("\"element_type\":\"float32\"") != std::string::npos);
  BOOST_CHECK(info(db).find("compact_kernel") == std::string::npos);
}

// ---------------------------------------------------------------------------
// Options of version 1, from callers built against the older header.

BOOST_AUTO_TEST_CASE(version_1_options_never_touch_element_type) {
  nvdb_options opts;
  std::memset(&opts, 0xab, sizeof opts);
  BOOST_REQUIRE_EQUAL(nvdb_options_init(&opts, 1), NVDB_OK);
  BOOST_CHECK_EQUAL(opts.version, 1u);
  BOOST_CHECK_EQUAL(opts.element_type, 0xababababu);  // past a version-1 struct: not written
  BOOST_CHECK_EQUAL(opts.dim, 0u);
  // Opening reads no further than version 1 either: the garbage is ignored.
  opts.dim = 4;
  nvdb_db *db = nullptr;
  BOOST_REQUIRE_MESSAGE(nvdb_open(&db, ":memory:", &opts) == NVDB_OK, nvdb_errmsg());
  BOOST_CHECK_EQUAL(nvdb_element_type_of(db), NVDB_ELEMENT_FLOAT32);
  nvdb_close(db);

  BOOST_REQUIRE_EQUAL(nvdb_options_init(&opts, 2), NVDB_OK);
  BOOST_CHECK_EQUAL(opts.version, 2u);
  BOOST_CHECK_EQUAL(opts.element_type, uint32_t(NVDB_ELEMENT_DEFAULT));
  BOOST_CHECK_EQUAL(nvdb_options_init(&opts, 3), NVDB_EINVAL);
}
