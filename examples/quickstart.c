/* nvdb in a C program: create a database, add records, query it with a
 * metadata filter, read records back, delete one. */
#include <stdio.h>

#include "nvdb.h"

/* Prints the failed call's message and returns 1 from main. */
#define TRY(call)                                                             \
  do {                                                                        \
    int rc_ = (call);                                                         \
    if (rc_ != NVDB_OK) {                                                     \
      fprintf(stderr, "%s failed: %s (%s)\n", #call, nvdb_strerror(rc_), nvdb_errmsg()); \
      return 1;                                                               \
    }                                                                         \
  } while (0)

int main(void) {
  nvdb_options opts = NVDB_OPTIONS_INIT;
  nvdb_query_options qopts = NVDB_QUERY_OPTIONS_INIT;
  nvdb_db *db = NULL;
  nvdb_hits *hits = NULL;
  nvdb_records *records = NULL;
  nvdb_report *report = NULL;
  size_t i, deleted = 0;

  const char *ids[] = {"kind-of-blue", "a-love-supreme", "nevermind"};
  const float vectors[] = {
      0.9f, 0.1f, 0.0f, 0.2f, /* kind-of-blue   */
      0.8f, 0.3f, 0.1f, 0.1f, /* a-love-supreme */
      0.1f, 0.9f, 0.8f, 0.0f, /* nevermind      */
  };
  const char *metadata[] = {
      "{\"genre\": \"jazz\", \"year\": 1959}",
      "{\"genre\": \"jazz\", \"year\": 1965}",
      "{\"genre\": \"rock\", \"year\": 1991}",
  };
  const float query[] = {1.0f, 0.2f, 0.0f, 0.1f};

  opts.dim = 4; /* cosine by default, like nano-vectordb */
  TRY(nvdb_open(&db, ":memory:", &opts));
  TRY(nvdb_upsert(db, 3, ids, vectors, 12, metadata, &report));
  printf("inserted %zu records\n", nvdb_report_inserted_count(report));
  nvdb_report_free(report);

  qopts.top_k = 2;
  qopts.filter = "{\"genre\": \"jazz\", \"year\": {\"$gte\": 1960}}";
  TRY(nvdb_query(db, query, 4, &qopts, &hits));
  for (i = 0; i < nvdb_hits_count(hits); ++i)
    printf("hit %zu: %s score %.4f %s\n", i, nvdb_hits_id(hits, i), nvdb_hits_score(hits, i),
           nvdb_hits_metadata(hits, i));
  if (nvdb_hits_count(hits) != 1) return 1;
  nvdb_hits_free(hits);

  TRY(nvdb_get(db, 1, &ids[2], &records));
  printf("get: %s %s\n", nvdb_records_id(records, 0), nvdb_records_metadata(records, 0));
  nvdb_records_free(records);

  TRY(nvdb_delete(db, 1, &ids[2], &deleted));
  printf("deleted %zu\n", deleted);
  return nvdb_close(db) == NVDB_OK ? 0 : 1;
}
