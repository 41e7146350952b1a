// The subcommands of the nvdb command. Each reads its own input (stdin for
// upsert and query), writes JSON to stdout, and throws Failure (jsonl.hpp)
// on error; main() turns that into one line on stderr and exit status 1.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace nvdb::cli {

// Exit statuses (README.md, nvdb.1): scripts tell the cases apart by them.
constexpr int kExitOk = 0;
constexpr int kExitError = 1;    // one line on stderr says what went wrong
constexpr int kExitUsage = 2;    // the command line is wrong
constexpr int kExitDamaged = 3;  // nvdb verify found the database damaged

struct UpsertArgs {
  std::string db;
  std::size_t batch = 1000;  // records per commit
  std::uint32_t dim = 0;     // to create a missing database; 0 = the first vector's length
  std::uint32_t element_type = 0;  // nvdb_element_type of a database to create; 0 = float32
};

struct QueryArgs {
  std::string db;
  std::uint32_t top_k = 10;
  std::optional<float> threshold;
  std::string filter;  // empty = none
  bool batch = false;  // answer lines batch_size at a time with nvdb_query_batch
  std::size_t batch_size = 1000;
};

struct BenchArgs {
  std::size_t rows = 100000;
  std::uint32_t dim = 1024;
  int queries = 50;  // timed queries, and as many timed reads of the bound
  bool json = false;
};

void run_info(const std::string &db);
void run_upsert(const UpsertArgs &args);
void run_query(const QueryArgs &args);
void run_get(const std::string &db, const std::vector<std::string> &ids);
void run_delete(const std::string &db, const std::vector<std::string> &ids);
void run_import(const std::string &src, const std::string &dst, std::uint32_t element_type);
void run_export(const std::string &db, const std::string &dst);

// Subcommands with a text form and a --json form; they return the exit status.
int run_verify(const std::string &db, bool as_json);
int run_compact(const std::string &db, bool as_json);
int run_readers(const std::string &db, bool as_json);
int run_bench(const BenchArgs &args);

}  // namespace nvdb::cli
