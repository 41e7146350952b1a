// The line formats of the nvdb command: JSON in (one record or one query
// vector per line) and JSON out (hits, records, reports), read and written
// with the library's codec so that metadata text passes through unchanged.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "nvdb.h"

namespace nvdb::cli {

// A problem to report on stderr (one line) before exiting with status 1.
class Failure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One line of `nvdb upsert`: {"id": "...", "vector": [...], "metadata": {...}}.
struct InputRecord {
  std::optional<std::string> id;        // absent: generated from the vector
  std::vector<float> vector;
  std::optional<std::string> metadata;  // compact JSON text; absent: {}
};

// Throw Failure naming the problem (not the line; the caller knows it).
InputRecord parse_record(std::string_view line);
std::vector<float> parse_vector(std::string_view line);

// Output: each appends one JSON value to out.
void write_hits(const nvdb_hits *hits, std::string &out);
void write_record(const nvdb_records *records, std::size_t i, std::uint32_t dim, std::string &out);
void write_string_array(const std::vector<std::string> &items, std::string &out);
void write_string(std::string_view s, std::string &out);

// True if a line holds only whitespace (skipped in every input).
bool is_blank(std::string_view line);

}  // namespace nvdb::cli
