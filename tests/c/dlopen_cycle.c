/* Loads libnvdb by its SONAME with dlopen, as a C program (or another
 * language's FFI) would, and runs a whole upsert/query/get/delete cycle
 * through dlsym alone. Exits 0 on success; prints what failed otherwise. */
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../../include/nvdb.h"

#define CHECK(cond)                                              \
  do {                                                           \
    if (!(cond)) {                                               \
      fprintf(stderr, "dlopen_cycle: line %d: %s\n", __LINE__, #cond); \
      return 1;                                                  \
    }                                                            \
  } while (0)

/* Every function of the cycle, looked up by name. */
struct api {
  int (*open)(nvdb_db **, const char *, const nvdb_options *);
  int (*close)(nvdb_db *);
  int (*upsert)(nvdb_db *, size_t, const char *const *, const float *, size_t,
                const char *const *, nvdb_report **);
  size_t (*report_inserted_count)(const nvdb_report *);
  void (*report_free)(nvdb_report *);
  int (*query)(nvdb_db *, const float *, size_t, const nvdb_query_options *, nvdb_hits **);
  size_t (*hits_count)(const nvdb_hits *);
  const char *(*hits_id)(const nvdb_hits *, size_t);
  float (*hits_score)(const nvdb_hits *, size_t);
  void (*hits_free)(nvdb_hits *);
  int (*get)(nvdb_db *, size_t, const char *const *, nvdb_records **);
  size_t (*records_count)(const nvdb_records *);
  const char *(*records_metadata)(const nvdb_records *, size_t);
  void (*records_free)(nvdb_records *);
  int (*del)(nvdb_db *, size_t, const char *const *, size_t *);
  int (*count)(nvdb_db *, size_t *);
  const char *(*version)(void);
  int (*version_number)(void);
};

static void *sym(void *lib, const char *name, int *missing) {
  void *p = dlsym(lib, name);
  if (!p) {
    fprintf(stderr, "dlopen_cycle: missing symbol %s\n", name);
    *missing = 1;
  }
  return p;
}

/* POSIX guarantees object and function pointers convert through dlsym. */
#define LOAD(field, name) *(void **)(&a->field) = sym(lib, name, &missing)

static int load(void *lib, struct api *a) {
  int missing = 0;
  LOAD(open, "nvdb_open");
  LOAD(close, "nvdb_close");
  LOAD(upsert, "nvdb_upsert");
  LOAD(report_inserted_count, "nvdb_report_inserted_count");
  LOAD(report_free, "nvdb_report_free");
  LOAD(query, "nvdb_query");
  LOAD(hits_count, "nvdb_hits_count");
  LOAD(hits_id, "nvdb_hits_id");
  LOAD(hits_score, "nvdb_hits_score");
  LOAD(hits_free, "nvdb_hits_free");
  LOAD(get, "nvdb_get");
  LOAD(records_count, "nvdb_records_count");
  LOAD(records_metadata, "nvdb_records_metadata");
  LOAD(records_free, "nvdb_records_free");
  LOAD(del, "nvdb_delete");
  LOAD(count, "nvdb_count");
  LOAD(version, "nvdb_version");
  LOAD(version_number, "nvdb_version_number");
  return missing;
}

int main(int argc, char **argv) {
  const char *soname = argc > 1 ? argv[1] : "libnvdb.so.0";
  void *lib = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
  struct api a;
  nvdb_options opts = NVDB_OPTIONS_INIT;
  nvdb_query_options qopts = NVDB_QUERY_OPTIONS_INIT;
  nvdb_db *db = NULL;
  nvdb_report *report = NULL;
  nvdb_hits *hits = NULL;
  nvdb_records *records = NULL;
  const char *ids[] = {"a", "b", "c"};
  const char *meta[] = {"{\"n\":1}", "{\"n\":2}", "{\"n\":3}"};
  const float vectors[] = {1, 0, 0, 0, 1, 0, 0.9f, 0.1f, 0};
  const float q[] = {1, 0, 0};
  size_t n = 0;

  if (!lib) {
    fprintf(stderr, "dlopen_cycle: %s\n", dlerror());
    return 1;
  }
  CHECK(load(lib, &a) == 0);
  CHECK(a.version_number() == NVDB_VERSION_NUMBER);
  CHECK(strcmp(a.version(), NVDB_VERSION_STRING) == 0);

  opts.dim = 3;
  CHECK(a.open(&db, ":memory:", &opts) == NVDB_OK);
  CHECK(a.upsert(db, 3, ids, vectors, 9, meta, &report) == NVDB_OK);
  CHECK(a.report_inserted_count(report) == 3);
  a.report_free(report);

  qopts.top_k = 2;
  CHECK(a.query(db, q, 3, &qopts, &hits) == NVDB_OK);
  CHECK(a.hits_count(hits) == 2);
  CHECK(strcmp(a.hits_id(hits, 0), "a") == 0);
  CHECK(strcmp(a.hits_id(hits, 1), "c") == 0);
  CHECK(fabsf(a.hits_score(hits, 0) - 1.0f) < 1e-6f);
  a.hits_free(hits);

  CHECK(a.get(db, 1, ids + 1, &records) == NVDB_OK);
  CHECK(a.records_count(records) == 1);
  CHECK(strcmp(a.records_metadata(records, 0), "{\"n\":2}") == 0);
  a.records_free(records);

  CHECK(a.del(db, 2, ids, &n) == NVDB_OK);
  CHECK(n == 2);
  CHECK(a.count(db, &n) == NVDB_OK);
  CHECK(n == 1);
  CHECK(a.close(db) == NVDB_OK);
  dlclose(lib);
  printf("dlopen_cycle: %s %s passed\n", soname, NVDB_VERSION_STRING);
  return 0;
}
