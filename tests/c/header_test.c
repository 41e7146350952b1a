/* Compiled with -pedantic -Werror as C99 and as C++ by CTest: the public
 * header must stand alone in both languages. */
#include "nvdb.h"

#if NVDB_VERSION_NUMBER != NVDB_VERSION_MAJOR * 1000000 + NVDB_VERSION_MINOR * 1000 + NVDB_VERSION_PATCH
#error "NVDB_VERSION_NUMBER disagrees with its parts"
#endif

int header_test_uses_the_api(void);

int header_test_uses_the_api(void) {
  nvdb_options opts = NVDB_OPTIONS_INIT;
  nvdb_query_options qopts = NVDB_QUERY_OPTIONS_INIT;
  nvdb_db *db = NULL;
  opts.dim = 4;
  qopts.top_k = 3;
  if (nvdb_open(&db, ":memory:", &opts) != NVDB_OK) return 1;
  return nvdb_close(db) + (int)qopts.top_k;
}
