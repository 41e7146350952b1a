/* Loads libnvdb by the name given (its SONAME, libnvdb.so.0), as another
 * language's FFI would, and runs a small cycle through dlsym alone. Only
 * the installed header's types are used; the program does not link nvdb.
 * Usage: dlopen LIBRARY EXPECTED_VERSION. Prints "dlopen: ..." and exits 0. */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include <nvdb.h>

static void *lookup(void *lib, const char *name) {
  void *p = dlsym(lib, name);
  if (!p) fprintf(stderr, "dlopen: missing symbol %s\n", name);
  return p;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: dlopen LIBRARY EXPECTED_VERSION\n");
    return 2;
  }
  void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    fprintf(stderr, "dlopen: %s\n", dlerror());
    return 1;
  }
  const char *(*version)(void);
  int (*open_db)(nvdb_db **, const char *, const nvdb_options *);
  int (*upsert)(nvdb_db *, size_t, const char *const *, const float *, size_t,
                const char *const *, nvdb_report **);
  int (*count)(nvdb_db *, size_t *);
  int (*close_db)(nvdb_db *);
  /* POSIX guarantees object and function pointers convert through dlsym. */
  *(void **)&version = lookup(lib, "nvdb_version");
  *(void **)&open_db = lookup(lib, "nvdb_open");
  *(void **)&upsert = lookup(lib, "nvdb_upsert");
  *(void **)&count = lookup(lib, "nvdb_count");
  *(void **)&close_db = lookup(lib, "nvdb_close");
  if (!version || !open_db || !upsert || !count || !close_db) return 1;
  if (strcmp(version(), argv[2]) != 0) {
    fprintf(stderr, "dlopen: %s is version %s, expected %s\n", argv[1], version(), argv[2]);
    return 1;
  }
  nvdb_options opts = NVDB_OPTIONS_INIT;
  opts.dim = 3;
  nvdb_db *db = NULL;
  const float vector[] = {1.0f, 2.0f, 3.0f};
  size_t n = 0;
  if (open_db(&db, ":memory:", &opts) != NVDB_OK ||
      upsert(db, 1, NULL, vector, 3, NULL, NULL) != NVDB_OK || count(db, &n) != NVDB_OK || n != 1) {
    fprintf(stderr, "dlopen: the cycle failed\n");
    close_db(db);
    return 1;
  }
  close_db(db);
  printf("dlopen: %s (nvdb %s) ok\n", argv[1], version());
  dlclose(lib);
  return 0;
}
