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
};

void run_info(const std::string &db);
void run_upsert(const UpsertArgs &args);
void run_query(const QueryArgs &args);
void run_get(const std::string &db, const std::vector<std::string> &ids);
void run_delete(const std::string &db, const std::vector<std::string> &ids);
void run_import(const std::string &src, const std::string &dst, std::uint32_t element_type);
void run_export(const std::string &db, const std::string &dst);

}  // namespace nvdb::cli
