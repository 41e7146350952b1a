/*
 * The SWIG interface common to every language binding of nvdb.
 *
 * It wraps the C API (include/nvdb.h), not the C++ core, through a thin C
 * layer (nvdb_b_*, below) shaped for SWIG: no pointer-to-pointer out
 * parameters, no arrays of strings, and an nvdb_b_error that each call
 * fills with its status and message, so that a language whose threads move
 * between calls (Go) never reads nvdb_errmsg() from the wrong thread. Each
 * language adds its typemaps and renames in bindings/<lang>/nvdb_<lang>.i
 * and an idiomatic API (Database, Hit, ...) written over this layer.
 *
 * Ownership: handles returned here (nvdb_db, nvdb_hits, nvdb_records,
 * nvdb_report, nvdb_b_batch, nvdb_b_ids, nvdb_b_verification, nvdb_b_answers)
 * are released by the matching *_free / nvdb_b_close call, which the
 * idiomatic layers make automatic.
 */

%{
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nvdb.h"

typedef struct nvdb_b_error {
  int status;        /* NVDB_OK or an NVDB_E* code */
  char message[1024];
} nvdb_b_error;

/* Records a call's outcome in err (which may be NULL). */
static void nvdb_b_record(nvdb_b_error *err, int status) {
  if (!err) return;
  err->status = status;
  err->message[0] = '\0';
  if (status != NVDB_OK) {
    const char *m = nvdb_errmsg();
    snprintf(err->message, sizeof err->message, "%s", m && m[0] ? m : nvdb_strerror(status));
  }
}

static void nvdb_b_fail(nvdb_b_error *err, int status, const char *message) {
  if (!err) return;
  err->status = status;
  snprintf(err->message, sizeof err->message, "%s", message);
}

/* A growable list of strings, NULL entries allowed. */
typedef struct nvdb_b_ids {
  char **items;
  size_t count, capacity;
} nvdb_b_ids;

/* Records collected for one upsert. */
typedef struct nvdb_b_batch {
  nvdb_b_ids ids;       /* NULL entries: generated ids */
  nvdb_b_ids metadata;  /* NULL entries: {} */
  float *vectors;
  size_t floats, floats_capacity;
  size_t *lengths;      /* of each record's vector */
} nvdb_b_batch;

/* Batch queries: the answers of nvdb_query_batch, one nvdb_hits per query. */
typedef struct nvdb_b_answers {
  nvdb_hits **hits;
  size_t count;
} nvdb_b_answers;

static int nvdb_b_push(nvdb_b_ids *list, const char *s) {
  if (list->count == list->capacity) {
    size_t cap = list->capacity ? 2 * list->capacity : 16;
    char **items = (char **)realloc(list->items, cap * sizeof *items);
    if (!items) return 0;
    list->items = items;
    list->capacity = cap;
  }
  list->items[list->count] = s ? strdup(s) : NULL;
  if (s && !list->items[list->count]) return 0;
  list->count++;
  return 1;
}

/* The outcome of nvdb_verify: a damaged database is a result, not an error. */
typedef struct nvdb_b_verification {
  int sound;     /* 1: NVDB_OK; 0: NVDB_ECORRUPT */
  char *report;  /* the JSON report, freed with nvdb_free */
} nvdb_b_verification;

static void nvdb_b_clear(nvdb_b_ids *list) {
  for (size_t i = 0; i < list->count; ++i) free(list->items[i]);
  free(list->items);
  memset(list, 0, sizeof *list);
}

/* The query options the languages pass as plain arguments. */
static nvdb_query_options nvdb_b_query_options(unsigned top_k, int use_threshold, float threshold,
                                               const char *filter) {
  nvdb_query_options o = NVDB_QUERY_OPTIONS_INIT;
  o.top_k = top_k;
  o.use_threshold = use_threshold;
  o.threshold = threshold;
  o.filter = filter;
  return o;
}
%}

%apply long long { size_t };

/* Strings the library allocates are copied into the language, then freed. */
%newobject nvdb_b_info;
%newobject nvdb_b_get_additional_data;
%typemap(newfree) char * "nvdb_free($1);";

/* The thin layer. Every function that can fail takes an nvdb_b_error. */
typedef struct nvdb_b_error {
  int status;
  char message[1024];
} nvdb_b_error;

%inline %{
typedef struct nvdb_db nvdb_db;
typedef struct nvdb_hits nvdb_hits;
typedef struct nvdb_records nvdb_records;
typedef struct nvdb_report nvdb_report;

nvdb_db *nvdb_b_open(const char *locator, unsigned dim, int metric, int mode,
                     unsigned permissions, unsigned flags, unsigned element_type,
                     nvdb_b_error *err) {
  nvdb_options opts = NVDB_OPTIONS_INIT;
  nvdb_db *db = NULL;
  opts.dim = dim;
  memcpy(&opts.metric, &metric, sizeof metric); /* any int reaches the library's check */
  memcpy(&opts.mode, &mode, sizeof mode);
  opts.permissions = permissions;
  opts.flags = flags;
  opts.element_type = element_type;
  nvdb_b_record(err, nvdb_open(&db, locator, &opts));
  return db;
}

void nvdb_b_close(nvdb_db *db, nvdb_b_error *err) { nvdb_b_record(err, nvdb_close(db)); }
void nvdb_b_save(nvdb_db *db, nvdb_b_error *err) { nvdb_b_record(err, nvdb_save(db)); }
unsigned nvdb_b_dim(nvdb_db *db) { return nvdb_dim(db); }
int nvdb_b_metric(nvdb_db *db) { return (int)nvdb_metric_of(db); }
int nvdb_b_element_type(nvdb_db *db) { return (int)nvdb_element_type_of(db); }

long long nvdb_b_count(nvdb_db *db, nvdb_b_error *err) {
  size_t n = 0;
  nvdb_b_record(err, nvdb_count(db, &n));
  return (long long)n;
}

/* Strings the caller frees with nvdb_free (SWIG: %newobject). */
char *nvdb_b_info(nvdb_db *db, nvdb_b_error *err) {
  char *out = NULL;
  nvdb_b_record(err, nvdb_info(db, &out));
  return out;
}

char *nvdb_b_get_additional_data(nvdb_db *db, nvdb_b_error *err) {
  char *out = NULL;
  nvdb_b_record(err, nvdb_get_additional_data(db, &out));
  return out;
}

void nvdb_b_set_additional_data(nvdb_db *db, const char *json, nvdb_b_error *err) {
  nvdb_b_record(err, nvdb_set_additional_data(db, json));
}

/* Lists of ids (get, delete). */
nvdb_b_ids *nvdb_b_ids_new(void) { return (nvdb_b_ids *)calloc(1, sizeof(nvdb_b_ids)); }
void nvdb_b_ids_free(nvdb_b_ids *ids) {
  if (!ids) return;
  nvdb_b_clear(ids);
  free(ids);
}
int nvdb_b_ids_add(nvdb_b_ids *ids, const char *id) { return ids ? nvdb_b_push(ids, id) : 0; }

/* Batches of records (upsert). */
nvdb_b_batch *nvdb_b_batch_new(void) { return (nvdb_b_batch *)calloc(1, sizeof(nvdb_b_batch)); }
void nvdb_b_batch_free(nvdb_b_batch *b) {
  if (!b) return;
  nvdb_b_clear(&b->ids);
  nvdb_b_clear(&b->metadata);
  free(b->vectors);
  free(b->lengths);
  free(b);
}

/* Adds one record: id or NULL (generated), len floats, metadata JSON or NULL. 0 if out of memory. */
int nvdb_b_batch_add(nvdb_b_batch *b, const char *id, const float *vector, size_t len,
                     const char *metadata) {
  if (!b || (len && !vector)) return 0;
  if (b->floats + len > b->floats_capacity) {
    size_t cap = b->floats_capacity ? 2 * b->floats_capacity : 1024;
    while (cap < b->floats + len) cap *= 2;
    float *v = (float *)realloc(b->vectors, cap * sizeof *v);
    if (!v) return 0;
    b->vectors = v;
    b->floats_capacity = cap;
  }
  size_t *lengths = (size_t *)realloc(b->lengths, (b->ids.count + 1) * sizeof *lengths);
  if (!lengths) return 0;
  b->lengths = lengths;
  if (!nvdb_b_push(&b->ids, id)) return 0;
  if (!nvdb_b_push(&b->metadata, metadata)) {
    free(b->ids.items[--b->ids.count]);
    return 0;
  }
  if (len) memcpy(b->vectors + b->floats, vector, len * sizeof *vector);
  b->lengths[b->ids.count - 1] = len;
  b->floats += len;
  return 1;
}

long long nvdb_b_batch_count(nvdb_b_batch *b) { return (long long)b->ids.count; }

/* Upserts a batch, all or nothing; the report lists updated and inserted ids. */
nvdb_report *nvdb_b_upsert(nvdb_db *db, nvdb_b_batch *b, nvdb_b_error *err) {
  nvdb_report *report = NULL;
  if (!b) {
    nvdb_b_fail(err, NVDB_EINVAL, "upsert: the batch is NULL");
    return NULL;
  }
  const unsigned dim = nvdb_dim(db);
  for (size_t i = 0; db && i < b->ids.count; ++i) {
    if (b->lengths[i] != dim) {
      char message[256];
      snprintf(message, sizeof message,
               "upsert: record %zu: the vector has %zu components, the database has dim %u", i,
               b->lengths[i], dim);
      nvdb_b_fail(err, NVDB_EDIM, message);
      return NULL;
    }
  }
  nvdb_b_record(err, nvdb_upsert(db, b->ids.count, (const char *const *)b->ids.items, b->vectors,
                                 b->floats, (const char *const *)b->metadata.items, &report));
  return report;
}

long long nvdb_b_report_inserted_count(const nvdb_report *r) { return (long long)nvdb_report_inserted_count(r); }
const char *nvdb_b_report_inserted_id(const nvdb_report *r, long long i) { return nvdb_report_inserted_id(r, (size_t)i); }
long long nvdb_b_report_updated_count(const nvdb_report *r) { return (long long)nvdb_report_updated_count(r); }
const char *nvdb_b_report_updated_id(const nvdb_report *r, long long i) { return nvdb_report_updated_id(r, (size_t)i); }
void nvdb_b_report_free(nvdb_report *r) { nvdb_report_free(r); }

/* Records with these ids, in the order asked (unknown ids skipped). */
nvdb_records *nvdb_b_get(nvdb_db *db, nvdb_b_ids *ids, nvdb_b_error *err) {
  nvdb_records *out = NULL;
  if (!ids) {
    nvdb_b_fail(err, NVDB_EINVAL, "get: the id list is NULL");
    return NULL;
  }
  nvdb_b_record(err, nvdb_get(db, ids->count, (const char *const *)ids->items, &out));
  return out;
}
long long nvdb_b_records_count(const nvdb_records *r) { return (long long)nvdb_records_count(r); }
const char *nvdb_b_records_id(const nvdb_records *r, long long i) { return nvdb_records_id(r, (size_t)i); }
const char *nvdb_b_records_metadata(const nvdb_records *r, long long i) { return nvdb_records_metadata(r, (size_t)i); }
/* Copies record i's vector into out (len floats, the database's dim). */
void nvdb_b_records_vector(const nvdb_records *r, long long i, float *out, size_t len) {
  const float *v = nvdb_records_vector(r, (size_t)i);
  if (v && out) memcpy(out, v, len * sizeof *out);
}
void nvdb_b_records_free(nvdb_records *r) { nvdb_records_free(r); }

long long nvdb_b_delete(nvdb_db *db, nvdb_b_ids *ids, nvdb_b_error *err) {
  size_t deleted = 0;
  if (!ids) {
    nvdb_b_fail(err, NVDB_EINVAL, "delete: the id list is NULL");
    return 0;
  }
  nvdb_b_record(err, nvdb_delete(db, ids->count, (const char *const *)ids->items, &deleted));
  return (long long)deleted;
}

/* A query; filter is a declarative JSON filter or NULL. */
nvdb_hits *nvdb_b_query(nvdb_db *db, const float *vector, size_t len, unsigned top_k,
                        int use_threshold, float threshold, const char *filter, nvdb_b_error *err) {
  const nvdb_query_options o = nvdb_b_query_options(top_k, use_threshold, threshold, filter);
  nvdb_hits *hits = NULL;
  nvdb_b_record(err, nvdb_query(db, vector, len, &o, &hits));
  return hits;
}
long long nvdb_b_hits_count(const nvdb_hits *h) { return (long long)nvdb_hits_count(h); }
const char *nvdb_b_hits_id(const nvdb_hits *h, long long i) { return nvdb_hits_id(h, (size_t)i); }
float nvdb_b_hits_score(const nvdb_hits *h, long long i) { return nvdb_hits_score(h, (size_t)i); }
const char *nvdb_b_hits_metadata(const nvdb_hits *h, long long i) { return nvdb_hits_metadata(h, (size_t)i); }
void nvdb_b_hits_free(nvdb_hits *h) { nvdb_hits_free(h); }

/* n queries, row-major in vector (len floats: n times the database's dim). */
nvdb_b_answers *nvdb_b_query_batch(nvdb_db *db, const float *vector, size_t len, long long n,
                                   unsigned top_k, int use_threshold, float threshold,
                                   const char *filter, nvdb_b_error *err) {
  const nvdb_query_options o = nvdb_b_query_options(top_k, use_threshold, threshold, filter);
  nvdb_b_answers *a = NULL;
  int status;
  if (n < 0) {
    nvdb_b_fail(err, NVDB_EINVAL, "query batch: the number of queries is negative");
    return NULL;
  }
  a = (nvdb_b_answers *)calloc(1, sizeof *a);
  if (a && n > 0) a->hits = (nvdb_hits **)calloc((size_t)n, sizeof *a->hits);
  if (!a || (n > 0 && !a->hits)) {
    free(a);
    nvdb_b_fail(err, NVDB_ENOMEM, "query batch: out of memory");
    return NULL;
  }
  status = nvdb_query_batch(db, (size_t)n, vector, len, &o, a->hits);
  nvdb_b_record(err, status);
  if (status != NVDB_OK) {
    free(a->hits);
    free(a);
    return NULL;
  }
  a->count = (size_t)n;
  return a;
}
long long nvdb_b_answers_count(const nvdb_b_answers *a) { return a ? (long long)a->count : 0; }
/* Query i's hits, now the caller's (release with nvdb_b_hits_free); NULL if
   out of range or already taken. */
nvdb_hits *nvdb_b_answers_take(nvdb_b_answers *a, long long i) {
  nvdb_hits *h = NULL;
  if (!a || i < 0 || (size_t)i >= a->count) return NULL;
  h = a->hits[i];
  a->hits[i] = NULL;
  return h;
}
/* Releases the answers and the hits not taken. */
void nvdb_b_answers_free(nvdb_b_answers *a) {
  if (!a) return;
  for (size_t i = 0; i < a->count; ++i) nvdb_hits_free(a->hits[i]);
  free(a->hits);
  free(a);
}

void nvdb_b_import_json(nvdb_db *db, const char *path, nvdb_b_error *err) {
  nvdb_b_record(err, nvdb_import_json(db, path));
}
void nvdb_b_export_json(nvdb_db *db, const char *path, nvdb_b_error *err) {
  nvdb_b_record(err, nvdb_export_json(db, path));
}
void nvdb_b_copy(nvdb_db *dst, nvdb_db *src, nvdb_b_error *err) {
  nvdb_b_record(err, nvdb_copy(dst, src));
}

/* Verification and compaction. nvdb_b_verify returns NULL (err set) only
   when the check could not run; whether the database is sound is in the
   result, which the caller releases with nvdb_b_verification_free. */
nvdb_b_verification *nvdb_b_verify(nvdb_db *db, nvdb_b_error *err) {
  char *report = NULL;
  const int status = nvdb_verify(db, &report);
  if (!report) {
    nvdb_b_record(err, status);
    return NULL;
  }
  nvdb_b_verification *v = (nvdb_b_verification *)calloc(1, sizeof *v);
  if (!v) {
    nvdb_free(report);
    nvdb_b_fail(err, NVDB_ENOMEM, "verify: out of memory");
    return NULL;
  }
  nvdb_b_record(err, NVDB_OK);
  v->sound = status == NVDB_OK;
  v->report = report;
  return v;
}
int nvdb_b_verification_sound(const nvdb_b_verification *v) { return v ? v->sound : 0; }
/* Lives as long as v. */
const char *nvdb_b_verification_report(const nvdb_b_verification *v) { return v ? v->report : NULL; }
void nvdb_b_verification_free(nvdb_b_verification *v) {
  if (!v) return;
  nvdb_free(v->report);
  free(v);
}
void nvdb_b_compact(nvdb_db *db, nvdb_b_error *err) { nvdb_b_record(err, nvdb_compact(db)); }

const char *nvdb_b_version(void) { return nvdb_version(); }
const char *nvdb_b_strerror(int status) { return nvdb_strerror(status); }
void nvdb_b_free(void *p) { nvdb_free(p); }
%}

/* Status codes and enum values, as constants. */
%constant int NVDB_OK = NVDB_OK;
%constant int NVDB_EINVAL = NVDB_EINVAL;
%constant int NVDB_EDIM = NVDB_EDIM;
%constant int NVDB_EVECTOR = NVDB_EVECTOR;
%constant int NVDB_EID = NVDB_EID;
%constant int NVDB_EJSON = NVDB_EJSON;
%constant int NVDB_EFILTER = NVDB_EFILTER;
%constant int NVDB_ENOTFOUND = NVDB_ENOTFOUND;
%constant int NVDB_EEXIST = NVDB_EEXIST;
%constant int NVDB_EIO = NVDB_EIO;
%constant int NVDB_ECORRUPT = NVDB_ECORRUPT;
%constant int NVDB_EVERSION = NVDB_EVERSION;
%constant int NVDB_EBUSY = NVDB_EBUSY;
%constant int NVDB_EREADONLY = NVDB_EREADONLY;
%constant int NVDB_ENOMEM = NVDB_ENOMEM;
%constant int NVDB_EABORTED = NVDB_EABORTED;
%constant int NVDB_EMISMATCH = NVDB_EMISMATCH;
%constant int NVDB_EINTERNAL = NVDB_EINTERNAL;
%constant int NVDB_METRIC_DEFAULT = NVDB_METRIC_DEFAULT;
%constant int NVDB_METRIC_COSINE = NVDB_METRIC_COSINE;
%constant int NVDB_METRIC_DOT = NVDB_METRIC_DOT;
%constant int NVDB_METRIC_L2 = NVDB_METRIC_L2;
%constant int NVDB_OPEN_CREATE = NVDB_OPEN_CREATE;
%constant int NVDB_OPEN_WRITE = NVDB_OPEN_WRITE;
%constant int NVDB_OPEN_READ = NVDB_OPEN_READ;
%constant unsigned NVDB_FLAG_NO_SYNC = NVDB_FLAG_NO_SYNC;
%constant int NVDB_ELEMENT_DEFAULT = NVDB_ELEMENT_DEFAULT;
%constant int NVDB_ELEMENT_FLOAT32 = NVDB_ELEMENT_FLOAT32;
%constant int NVDB_ELEMENT_FLOAT16 = NVDB_ELEMENT_FLOAT16;
%constant int NVDB_ELEMENT_BFLOAT16 = NVDB_ELEMENT_BFLOAT16;
%constant int NVDB_ELEMENT_INT8 = NVDB_ELEMENT_INT8;
