// The C boundary: every exported function funnels through guarded(), which
// turns exceptions into status codes and a thread-local message, so no C++
// exception ever crosses into C.
#include "nvdb.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <vector>

#include "core/database.hpp"
#include "core/error.hpp"

struct nvdb_db {
  std::unique_ptr<nvdb::Database> impl;
};

struct nvdb_report {
  nvdb::UpsertReport report;
};

struct nvdb_records {
  std::vector<nvdb::RecordCopy> records;
};

struct nvdb_hits {
  std::vector<nvdb::Hit> hits;
};

namespace {

thread_local std::string last_error;

int fail(int status, const char *message) noexcept {
  try {
    last_error = message;
  } catch (...) {
    last_error.clear();
  }
  return status;
}

template <class Body>
int guarded(Body &&body) noexcept {
  try {
    body();
    return NVDB_OK;
  } catch (const nvdb::Error &e) {
    return fail(e.status(), e.what());
  } catch (const std::bad_alloc &) {
    return fail(NVDB_ENOMEM, "out of memory");
  } catch (const std::exception &e) {
    return fail(NVDB_EINTERNAL, e.what());
  } catch (...) {
    return fail(NVDB_EINTERNAL, "unknown internal error");
  }
}

nvdb::Database &database(nvdb_db *db) {
  if (!db || !db->impl) throw nvdb::Error(NVDB_EINVAL, "the database handle is NULL");
  return *db->impl;
}

void require(const void *p, const char *what) {
  if (!p) throw nvdb::Error(NVDB_EINVAL, std::string(what) + " is NULL");
}

char *copy_string(const std::string &s) {
  char *out = static_cast<char *>(std::malloc(s.size() + 1));
  if (!out) throw std::bad_alloc();
  std::memcpy(out, s.c_str(), s.size() + 1);
  return out;
}

// C callers pass the float count they hold, so a wrong dimension is a clear
// error instead of a read past their buffer.
void check_length(std::size_t len, std::size_t n, std::size_t dim, const char *what) {
  if (n != 0 && len / n == dim && len % n == 0) return;
  if (n == 0 && len == 0) return;
  if (n == 1)
    throw nvdb::Error(NVDB_EDIM, std::string(what) + ": the vector has " + std::to_string(len) +
                                     " components, the database has dim " + std::to_string(dim));
  throw nvdb::Error(NVDB_EDIM, std::string(what) + ": " + std::to_string(len) + " floats for " +
                                   std::to_string(n) + " vectors of dim " + std::to_string(dim) +
                                   " (expected " + std::to_string(n * dim) + ")");
}

nvdb::QueryParams query_params(const nvdb_query_options *opts) {
  nvdb_query_options defaults = NVDB_QUERY_OPTIONS_INIT;
  const nvdb_query_options &o = opts ? *opts : defaults;
  if (o.version < 1 || o.version > NVDB_QUERY_OPTIONS_VERSION)
    throw nvdb::Error(NVDB_EINVAL, "query options: unknown version " + std::to_string(o.version));
  if (o.use_threshold && std::isnan(o.threshold))
    throw nvdb::Error(NVDB_EINVAL, "query options: the threshold is NaN");
  nvdb::QueryParams params;
  params.top_k = o.top_k;
  params.use_threshold = o.use_threshold != 0;
  params.threshold = o.threshold;
  params.filter = o.filter;
  params.filter_fn = o.filter_fn;
  params.filter_ctx = o.filter_ctx;
  return params;
}

// The bytes of an nvdb_options of a version this library knows: callers
// built against an older header pass a shorter struct.
std::size_t options_size(std::uint32_t version) {
  return version == 1 ? offsetof(nvdb_options, element_type) : sizeof(nvdb_options);
}

// The caller's options, the fields its version lacks at their defaults. An
// unknown version is kept for Database::open to refuse.
nvdb_options options_of(const nvdb_options *opts) {
  nvdb_options o = NVDB_OPTIONS_INIT;
  if (!opts) return o;
  if (opts->version >= 1 && opts->version <= NVDB_OPTIONS_VERSION)
    std::memcpy(&o, opts, options_size(opts->version));
  o.version = opts->version;
  return o;
}

template <class T>
const T *at(const std::vector<T> &v, std::size_t i) {
  return i < v.size() ? &v[i] : nullptr;
}

}  // namespace

extern "C" {

const char *nvdb_version(void) { return NVDB_VERSION_STRING; }

int nvdb_version_number(void) { return NVDB_VERSION_NUMBER; }

const char *nvdb_strerror(int status) {
  switch (status) {
    case NVDB_OK: return "success";
    case NVDB_EINVAL: return "invalid argument";
    case NVDB_EDIM: return "wrong vector length or dimension";
    case NVDB_EVECTOR: return "invalid vector (NaN, infinite, zero under cosine, or too large)";
    case NVDB_EID: return "invalid or colliding id";
    case NVDB_EJSON: return "invalid JSON object";
    case NVDB_EFILTER: return "invalid filter";
    case NVDB_ENOTFOUND: return "database not found";
    case NVDB_EEXIST: return "database already exists";
    case NVDB_EIO: return "input/output error";
    case NVDB_ECORRUPT: return "corrupt or truncated file";
    case NVDB_EVERSION: return "unsupported format version or layout";
    case NVDB_EBUSY: return "another writer has the database open";
    case NVDB_EREADONLY: return "the database is open read-only";
    case NVDB_ENOMEM: return "out of memory";
    case NVDB_EABORTED: return "query abandoned by the filter callback";
    case NVDB_EMISMATCH: return "options do not match the database";
    case NVDB_EINTERNAL: return "internal error";
    default: return "unknown status";
  }
}

const char *nvdb_errmsg(void) { return last_error.c_str(); }

void nvdb_free(void *ptr) { std::free(ptr); }

int nvdb_options_init(nvdb_options *opts, unsigned version) {
  return guarded([&] {
    require(opts, "opts");
    if (version < 1 || version > NVDB_OPTIONS_VERSION)
      throw nvdb::Error(NVDB_EINVAL, "options: unknown version " + std::to_string(version));
    const nvdb_options defaults = NVDB_OPTIONS_INIT;
    std::memcpy(opts, &defaults, options_size(version));
    opts->version = version;
  });
}

int nvdb_open(nvdb_db **out, const char *locator, const nvdb_options *opts) {
  return guarded([&] {
    require(out, "out");
    *out = nullptr;
    require(locator, "locator");
    auto handle = std::make_unique<nvdb_db>();
    handle->impl = nvdb::Database::open(locator, options_of(opts));
    *out = handle.release();
  });
}

int nvdb_close(nvdb_db *db) {
  if (!db) return NVDB_OK;
  int status = NVDB_OK;
  if (db->impl && !db->impl->read_only()) status = guarded([&] { db->impl->save(); });
  delete db;
  return status;
}

int nvdb_save(nvdb_db *db) {
  return guarded([&] { database(db).save(); });
}

uint32_t nvdb_dim(const nvdb_db *db) { return db && db->impl ? db->impl->dim() : 0; }

nvdb_metric nvdb_metric_of(const nvdb_db *db) {
  if (!db || !db->impl) return NVDB_METRIC_DEFAULT;
  switch (db->impl->metric()) {
    case nvdb::kernels::Metric::dot: return NVDB_METRIC_DOT;
    case nvdb::kernels::Metric::l2: return NVDB_METRIC_L2;
    default: return NVDB_METRIC_COSINE;
  }
}

nvdb_element_type nvdb_element_type_of(const nvdb_db *db) {
  if (!db || !db->impl) return NVDB_ELEMENT_DEFAULT;
  return static_cast<nvdb_element_type>(db->impl->element());
}

int nvdb_count(nvdb_db *db, size_t *out) {
  return guarded([&] {
    require(out, "out");
    *out = database(db).count();
  });
}

int nvdb_info(nvdb_db *db, char **out) {
  return guarded([&] {
    require(out, "out");
    *out = nullptr;
    *out = copy_string(database(db).info_json());
  });
}

int nvdb_upsert(nvdb_db *db, size_t n, const char *const *ids, const float *vectors,
                size_t vectors_len, const char *const *metadata, nvdb_report **report) {
  return guarded([&] {
    if (report) *report = nullptr;
    check_length(vectors_len, n, database(db).dim(), "upsert");
    auto result = std::make_unique<nvdb_report>();
    result->report = database(db).upsert(n, ids, vectors, metadata);
    if (report) *report = result.release();
  });
}

size_t nvdb_report_inserted_count(const nvdb_report *r) { return r ? r->report.inserted.size() : 0; }

const char *nvdb_report_inserted_id(const nvdb_report *r, size_t i) {
  const std::string *s = r ? at(r->report.inserted, i) : nullptr;
  return s ? s->c_str() : nullptr;
}

size_t nvdb_report_updated_count(const nvdb_report *r) { return r ? r->report.updated.size() : 0; }

const char *nvdb_report_updated_id(const nvdb_report *r, size_t i) {
  const std::string *s = r ? at(r->report.updated, i) : nullptr;
  return s ? s->c_str() : nullptr;
}

void nvdb_report_free(nvdb_report *r) { delete r; }

int nvdb_get(nvdb_db *db, size_t n, const char *const *ids, nvdb_records **out) {
  return guarded([&] {
    require(out, "out");
    *out = nullptr;
    auto result = std::make_unique<nvdb_records>();
    result->records = database(db).get(n, ids);
    *out = result.release();
  });
}

size_t nvdb_records_count(const nvdb_records *r) { return r ? r->records.size() : 0; }

const char *nvdb_records_id(const nvdb_records *r, size_t i) {
  const nvdb::RecordCopy *rec = r ? at(r->records, i) : nullptr;
  return rec ? rec->id.c_str() : nullptr;
}

const float *nvdb_records_vector(const nvdb_records *r, size_t i) {
  const nvdb::RecordCopy *rec = r ? at(r->records, i) : nullptr;
  return rec ? rec->vector.data() : nullptr;
}

const char *nvdb_records_metadata(const nvdb_records *r, size_t i) {
  const nvdb::RecordCopy *rec = r ? at(r->records, i) : nullptr;
  return rec ? rec->metadata_json.c_str() : nullptr;
}

void nvdb_records_free(nvdb_records *r) { delete r; }

int nvdb_delete(nvdb_db *db, size_t n, const char *const *ids, size_t *deleted) {
  return guarded([&] {
    size_t removed = database(db).remove(n, ids);
    if (deleted) *deleted = removed;
  });
}

int nvdb_query_options_init(nvdb_query_options *opts, unsigned version) {
  return guarded([&] {
    require(opts, "opts");
    if (version < 1 || version > NVDB_QUERY_OPTIONS_VERSION)
      throw nvdb::Error(NVDB_EINVAL, "query options: unknown version " + std::to_string(version));
    *opts = nvdb_query_options NVDB_QUERY_OPTIONS_INIT;
  });
}

int nvdb_query(nvdb_db *db, const float *vector, size_t vector_len,
               const nvdb_query_options *opts, nvdb_hits **out) {
  return guarded([&] {
    require(out, "out");
    *out = nullptr;
    check_length(vector_len, 1, database(db).dim(), "query");
    auto result = std::make_unique<nvdb_hits>();
    result->hits = database(db).query(vector, query_params(opts));
    *out = result.release();
  });
}

int nvdb_query_batch(nvdb_db *db, size_t n, const float *vectors, size_t vectors_len,
                     const nvdb_query_options *opts, nvdb_hits **out) {
  return guarded([&] {
    if (n > 0) require(out, "out");
    std::fill(out, out + n, nullptr);
    check_length(vectors_len, n, database(db).dim(), "query batch");
    std::vector<std::vector<nvdb::Hit>> answers = database(db).query_batch(n, vectors, query_params(opts));
    // Every result is allocated before any is handed out, so a failure
    // leaves every out[i] NULL.
    std::vector<std::unique_ptr<nvdb_hits>> results(n);
    for (std::size_t i = 0; i < n; ++i) {
      results[i] = std::make_unique<nvdb_hits>();
      results[i]->hits = std::move(answers[i]);
    }
    for (std::size_t i = 0; i < n; ++i) out[i] = results[i].release();
  });
}

size_t nvdb_hits_count(const nvdb_hits *h) { return h ? h->hits.size() : 0; }

const char *nvdb_hits_id(const nvdb_hits *h, size_t i) {
  const nvdb::Hit *hit = h ? at(h->hits, i) : nullptr;
  return hit ? hit->id.c_str() : nullptr;
}

float nvdb_hits_score(const nvdb_hits *h, size_t i) {
  const nvdb::Hit *hit = h ? at(h->hits, i) : nullptr;
  return hit ? hit->score : NAN;
}

const char *nvdb_hits_metadata(const nvdb_hits *h, size_t i) {
  const nvdb::Hit *hit = h ? at(h->hits, i) : nullptr;
  return hit ? hit->metadata_json.c_str() : nullptr;
}

void nvdb_hits_free(nvdb_hits *h) { delete h; }

int nvdb_get_additional_data(nvdb_db *db, char **out) {
  return guarded([&] {
    require(out, "out");
    *out = nullptr;
    *out = copy_string(database(db).additional_data_json());
  });
}

int nvdb_set_additional_data(nvdb_db *db, const char *json) {
  return guarded([&] {
    require(json, "json");
    database(db).set_additional_data(json);
  });
}

int nvdb_import_json(nvdb_db *db, const char *path) {
  return guarded([&] {
    require(path, "path");
    database(db).import_json(path);
  });
}

int nvdb_export_json(nvdb_db *db, const char *path) {
  return guarded([&] {
    require(path, "path");
    database(db).export_json(path);
  });
}

int nvdb_copy(nvdb_db *dst, nvdb_db *src) {
  return guarded([&] { database(dst).copy_from(database(src)); });
}

int nvdb_verify(nvdb_db *db, char **report) {
  return guarded([&] {
    require(report, "report");
    *report = nullptr;
    const nvdb::Database::VerifyResult found = database(db).verify();
    *report = copy_string(found.report);
    if (found.problem_count)
      throw nvdb::Error(NVDB_ECORRUPT,
                        database(db).locator() + ": damaged: " + found.first_problem +
                            (found.problem_count > 1
                                 ? " (and " + std::to_string(found.problem_count - 1) + " more)"
                                 : ""));
  });
}

int nvdb_compact(nvdb_db *db) {
  return guarded([&] { database(db).compact(); });
}

}  // extern "C"
