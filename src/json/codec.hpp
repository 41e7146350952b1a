// Conversions between JSON text and the binary docs of doc.hpp.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "json/doc.hpp"

namespace nvdb::json {

// How write() lays text out.
//   compact: {"a":1,"b":[true,null]}            (what the C API returns)
//   python:  {"a": 1, "b": [true, null]}        (Python's json.dumps with
//            ensure_ascii=False: the nano-vectordb file layout; non-integer
//            numbers are written as Python's repr of the double)
// Both escape only '"', '\\' and control characters below 0x20 (\n \r \t \b
// \f, others as \u00XX in lowercase hex); all other UTF-8 is written raw.
enum class Style { compact, python };

// Builds one encoded value from SAX-style events, so that a streaming parser
// (the nano-vectordb importer) can encode records without going through
// text. Keys and strings must be whole (join the parts first) and valid
// UTF-8. Throws nvdb::Error(NVDB_EJSON) on a duplicate key in an object.
class Builder {
 public:
  void begin_object();
  void key(std::string_view key);
  void end_object();
  void begin_array();
  void end_array();
  void string(std::string_view s);
  // lexeme is the number's JSON text; value its double.
  void number(std::string_view lexeme, double value);
  void boolean(bool b);
  void null();
  // The finished value (call once all containers are closed); resets the builder.
  std::string take();
  // Nesting depth of open containers.
  std::size_t depth() const { return stack_.size(); }

 private:
  struct Open {
    std::size_t header;  // offset of the container's tag
    std::uint32_t count;
    std::vector<std::string> keys;  // objects only, for duplicate checks
  };
  std::string out_;
  std::vector<Open> stack_;
};

// Parses text that must be exactly one JSON object (whitespace around it is
// allowed) and returns its doc. Rejects, with nvdb::Error(NVDB_EJSON) and a
// message naming `what` and the problem (byte offset, key): invalid JSON,
// invalid UTF-8, NaN/Infinity, a number out of double range, a value that is
// not an object, a duplicate key at any depth, nesting deeper than 64. When
// reserved_keys is true, the top-level keys "__id__", "__vector__" and
// "__metrics__" are rejected too.
std::string encode_object(std::string_view text, std::string_view what, bool reserved_keys);

// As encode_object, for any JSON value (used by filters).
std::string encode_value(std::string_view text, std::string_view what);

// Strict UTF-8: no overlong forms, surrogates or code points past U+10FFFF.
bool is_valid_utf8(std::string_view s);

// Whether `doc` is exactly one well-formed encoded value (bounds, tags,
// UTF-8 strings, nesting within the parser's limit): the check for docs read
// from storage another process could have corrupted.
bool is_well_formed(std::string_view doc);

// Appends the JSON text of v to out.
void write(Value v, Style style, std::string &out);

// Appends s as a JSON string literal (quotes included), escaped as write() does.
void write_string(std::string_view s, std::string &out);

// Python's repr() of a float: shortest round-trip digits, "1e-07",
// "1.5e+300", "-0.0", "2.0", "inf" never (callers reject non-finite values).
std::string python_repr(double value);

// The "{}" doc.
std::string empty_object();

}  // namespace nvdb::json
