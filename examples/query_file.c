/* Queries a database read-only: query_file LOCATOR TOP_K COMPONENT...
 * Prints one line per hit: rank, id, score, metadata. */
#include <stdio.h>
#include <stdlib.h>

#include "nvdb.h"

int main(int argc, char **argv) {
  nvdb_options opts = NVDB_OPTIONS_INIT;
  nvdb_query_options qopts = NVDB_QUERY_OPTIONS_INIT;
  nvdb_db *db = NULL;
  nvdb_hits *hits = NULL;
  float *vector;
  size_t i, dim;
  int rc;

  if (argc < 4) {
    fprintf(stderr, "usage: %s LOCATOR TOP_K COMPONENT...\n", argv[0]);
    return 2;
  }
  opts.mode = NVDB_OPEN_READ;
  if ((rc = nvdb_open(&db, argv[1], &opts)) != NVDB_OK) {
    fprintf(stderr, "open %s: %s\n", argv[1], nvdb_errmsg());
    return 1;
  }
  dim = (size_t)(argc - 3);
  vector = malloc(dim * sizeof *vector);
  for (i = 0; i < dim; ++i) vector[i] = strtof(argv[3 + i], NULL);
  qopts.top_k = (uint32_t)strtoul(argv[2], NULL, 10);
  rc = nvdb_query(db, vector, dim, &qopts, &hits);
  free(vector);
  if (rc != NVDB_OK) {
    fprintf(stderr, "query: %s\n", nvdb_errmsg());
    nvdb_close(db);
    return 1;
  }
  for (i = 0; i < nvdb_hits_count(hits); ++i)
    printf("%zu %s %.6f %s\n", i + 1, nvdb_hits_id(hits, i), nvdb_hits_score(hits, i),
           nvdb_hits_metadata(hits, i));
  nvdb_hits_free(hits);
  return nvdb_close(db) == NVDB_OK ? 0 : 1;
}
