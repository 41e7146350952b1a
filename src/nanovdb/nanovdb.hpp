// nano-vectordb storage files (the JSON written by the Python package's
// save()): reading them into nvdb's form and writing them back byte for byte
// as Python does. See tests/fixtures/FORMAT.md for the format.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "json/codec.hpp"
#include "json/doc.hpp"

namespace nvdb::nanovdb {

// Limits nvdb keeps (CONTRACT §1).
constexpr std::uint32_t kMaxDim = 65536;
constexpr std::size_t kMaxIdBytes = 1024;

// One record of a nano-vectordb file, as nvdb keeps it.
struct FileRecord {
  std::string id;             // the id's text: a JSON string's value, or a JSON number id's decimal text
  bool id_is_number = false;  // written back as a JSON number
  std::uint32_t id_pos = 0;   // index of "__id__" among the record's keys (0 = first); lets export put it back where it was
  std::string meta;           // the record minus "__id__", as an encoded json doc (object)
};

struct File {
  std::uint32_t dim = 0;
  std::vector<FileRecord> records;
  std::vector<float> matrix;  // records.size() * dim floats, row-major, exactly the file's floats
  bool has_additional_data = false;
  std::string additional_data;  // encoded json doc (object) if present
};

// Parses a whole file's text. Throws nvdb::Error:
//   NVDB_ECORRUPT for malformed or truncated JSON, a missing, repeated,
//     unknown or mistyped top-level key, embedding_dim not in 1..65536, a
//     matrix that is not valid base64 or whose float count is not
//     len(data) * dim, a NaN/Inf in the matrix (nano-vectordb stores a zero
//     vector as NaNs), a record that is not an object, lacks "__id__" or has
//     a repeated key, an id that is not a string or an integer, NaN/Infinity
//     or an out-of-range number anywhere, nesting deeper than 64 in a record;
//   NVDB_EID for an empty id, an id over 1,024 bytes or containing NUL, and
//     for two records whose ids collide (a repeated id, or an int id whose
//     text equals a string id: 3 and "3").
// Messages name the record index or byte offset. Never a partial result.
File parse(std::string_view text);

// As parse(), feeding the parser chunk_size bytes at a time as read() does
// (tests use it to split keys, strings and numbers across chunks).
File parse_in_chunks(std::string_view text, std::size_t chunk_size);

// Reads and parses a file (streamed in large chunks: the base64 text is never
// held whole). NVDB_ENOTFOUND if it does not exist, NVDB_EIO on read errors
// (a directory included), plus parse()'s errors.
File read(const std::string &path);

// What write() needs of one record. The views need only live until the next
// call of the record function.
struct RecordView {
  std::string_view id;
  bool id_is_number;     // the id's text is an integer, written as a JSON number
  std::uint32_t id_pos;  // where "__id__" goes among meta's keys (past the end: last)
  json::Value meta;      // an object
  const float *vector;   // dim floats
};

// Writes records as a nano-vectordb file, atomically: a temporary file in the
// same folder (mode: the replaced file's, else 0666 less the umask), written
// through a large buffer, fsynced, renamed over path, then the folder fsynced.
// The layout is the Python writer's, byte for byte:
//   {"embedding_dim": D, "data": [...], "matrix": "<base64>"}
// plus , "additional_data": {...} (before the closing brace) only if
// additional_data is not null; no trailing newline.
// record(i) is called twice for each i in 0..count-1, in order: once while
// writing "data", once while writing "matrix".
// Throws NVDB_EIO on failure (message: path and strerror), NVDB_EID for a
// numeric id whose text is not an integer; the old file is then untouched and
// the temporary removed.
void write(const std::string &path, std::uint32_t dim, std::size_t count,
           const std::function<RecordView(std::size_t)> &record,
           const std::string *additional_data /* encoded doc or nullptr */);

}  // namespace nvdb::nanovdb
