// libFuzzer target: a store whose data file holds arbitrary bytes must be
// refused with a status (NVDB_ECORRUPT, NVDB_EVERSION, ...) or read without
// crashing, whatever the bytes. The input becomes generation 1 of a store
// whose root is valid; the seed corpus should hold real data files (see
// .ci/run), which the fuzzer then mutates.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "core/database.hpp"
#include "core/error.hpp"

namespace {

std::string root_path;

// A valid store (its root and generation 1) in a private temporary folder.
void make_store() {
  char tmpl[] = "/tmp/nvdb-fuzz-store-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  root_path = dir + "/store.nvdb";
  nvdb_options opts = NVDB_OPTIONS_INIT;
  opts.dim = 4;
  auto db = nvdb::Database::open(root_path, opts);
  const char *ids[] = {"a", "b"};
  const char *meta[] = {"{\"k\":[1,{\"x\":\"y\"}]}", nullptr};
  const float v[] = {1, 2, 3, 4, 4, 3, 2, 1};
  db->upsert(2, ids, v, meta);
  db->set_additional_data("{\"model\":\"m\"}");
}

void exercise(nvdb::Database &db) {
  db.count();
  const float q[4] = {1, 0, 0, 1};
  nvdb::QueryParams p;
  p.filter = "{\"k\":{\"$exists\":true}}";
  db.query(q, nvdb::QueryParams{});
  db.query(q, p);
  const char *ids[] = {"a", "b", "zz"};
  db.get(3, ids);
  db.additional_data_json();
  db.info_json();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  make_store();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  {
    std::ofstream out(root_path + ".1", std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char *>(data), static_cast<std::streamsize>(size));
  }
  nvdb_options opts = NVDB_OPTIONS_INIT;
  opts.mode = NVDB_OPEN_READ;
  try {
    auto db = nvdb::Database::open(root_path, opts);
    exercise(*db);
  } catch (const nvdb::Error &) {
    // Refused or failed with a status: what a damaged store must do.
  }
  return 0;
}
