/* A reader process of a shared store, in C: reader LOCATOR reads query
 * vectors from stdin (numbers separated by spaces, one query per line) and
 * prints the top 3 hits of each as "id=score ...": the reference the Java,
 * C# and Go readers of the multi-language test must agree with. */
#include <nvdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
  nvdb_options opts = NVDB_OPTIONS_INIT;
  nvdb_db *db = NULL;
  char line[4096];
  opts.mode = NVDB_OPEN_READ;
  if (argc != 2 || nvdb_open(&db, argv[1], &opts) != NVDB_OK) {
    fprintf(stderr, "reader: %s\n", argc == 2 ? nvdb_errmsg() : "usage: reader LOCATOR");
    return 1;
  }
  while (fgets(line, sizeof line, stdin)) {
    float q[64];
    size_t n = 0;
    nvdb_query_options qo = NVDB_QUERY_OPTIONS_INIT;
    nvdb_hits *hits = NULL;
    for (char *tok = strtok(line, " \n"); tok && n < 64; tok = strtok(NULL, " \n")) q[n++] = strtof(tok, NULL);
    qo.top_k = 3;
    if (nvdb_query(db, q, n, &qo, &hits) != NVDB_OK) {
      fprintf(stderr, "reader: %s\n", nvdb_errmsg());
      return 1;
    }
    for (size_t i = 0; i < nvdb_hits_count(hits); ++i)
      printf("%s%s=%.6f", i ? " " : "", nvdb_hits_id(hits, i), nvdb_hits_score(hits, i));
    printf("\n");
    fflush(stdout);
    nvdb_hits_free(hits);
  }
  return nvdb_close(db) == NVDB_OK ? 0 : 1;
}
