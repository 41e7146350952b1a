/* A program that uses an installed nvdb as any C program would: the header
 * and the library must be of one version, and a small cycle must work.
 * Built by the find_package, add_subdirectory and pkg-config consumer tests
 * (run_consumers.sh). Prints "<how>: nvdb VERSION ok" and exits 0. */
#include <stdio.h>
#include <string.h>

#include <nvdb.h>

#ifndef CONSUMER
#define CONSUMER "consumer"
#endif

static int fail(const char *what, int rc) {
  fprintf(stderr, CONSUMER ": %s failed: %s (%s)\n", what, nvdb_strerror(rc), nvdb_errmsg());
  return 1;
}

int main(void) {
  if (strcmp(nvdb_version(), NVDB_VERSION_STRING) != 0 ||
      nvdb_version_number() != NVDB_VERSION_NUMBER) {
    fprintf(stderr, CONSUMER ": header %s, library %s\n", NVDB_VERSION_STRING, nvdb_version());
    return 1;
  }
  nvdb_options opts = NVDB_OPTIONS_INIT;
  opts.dim = 2;
  nvdb_db *db = NULL;
  int rc = nvdb_open(&db, ":memory:", &opts);
  if (rc != NVDB_OK) return fail("nvdb_open", rc);
  const char *ids[] = {"east", "north"};
  const float vectors[] = {1.0f, 0.0f, 0.0f, 1.0f};
  rc = nvdb_upsert(db, 2, ids, vectors, 4, NULL, NULL);
  if (rc != NVDB_OK) return fail("nvdb_upsert", rc);
  nvdb_query_options q = NVDB_QUERY_OPTIONS_INIT;
  q.top_k = 1;
  const float query[] = {0.1f, 0.9f};
  nvdb_hits *hits = NULL;
  rc = nvdb_query(db, query, 2, &q, &hits);
  if (rc != NVDB_OK) return fail("nvdb_query", rc);
  int ok = nvdb_hits_count(hits) == 1 && strcmp(nvdb_hits_id(hits, 0), "north") == 0;
  nvdb_hits_free(hits);
  nvdb_close(db);
  if (!ok) {
    fprintf(stderr, CONSUMER ": the query did not find \"north\"\n");
    return 1;
  }
  printf(CONSUMER ": nvdb %s ok\n", nvdb_version());
  return 0;
}
