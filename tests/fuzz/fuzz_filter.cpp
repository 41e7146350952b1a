// libFuzzer target: any bytes given as a declarative filter must either
// compile or be refused with nvdb::Error(NVDB_EFILTER) -- never crash, hang,
// leak or throw anything else. A filter that compiles is evaluated against
// fixed metadata docs, and must agree with the filters built around it:
// {"$not": F} gives the opposite answer, {"$and": [F]} and a copy of F the
// same one.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "filter/filter.hpp"
#include "json/codec.hpp"

namespace {

using nvdb::filter::Filter;

// Metadata covering every JSON type, big and negative-zero numbers, non-ASCII
// text, nesting, and a key containing a dot next to the path it spells.
const char *const kMetadata[] = {
    R"({})",
    R"({"genre": "jazz", "year": 1959, "rating": 4.5, "live": false, "notes": null,
        "tags": ["modal", "cool"], "label": {"name": "Columbia", "ids": {"cat": "CL 1355"}}})",
    R"({"n": 9007199254740993, "h": -123456789012345678901234567890, "z": -0, "r": -0.0,
        "e": 1e-07, "big": 1.5e300, "a": [1, 1.0, "1", true, null, [], {}]})",
    "{\"s\": \"caf\xc3\xa9\", \"\": \"\", \"a.b\": 1, \"a\": {\"b\": 2, \"\": {\"\": 3}}, \"$gt\": 0}",
};

const std::vector<std::string> &docs() {
  static const std::vector<std::string> encoded = [] {
    std::vector<std::string> out;
    for (const char *text : kMetadata) out.push_back(nvdb::json::encode_object(text, "metadata", true));
    return out;
  }();
  return encoded;
}

// Compiles text into out; false if it was refused as an invalid filter.
// Refusing it with any other status is a bug.
bool compile(std::string_view text, Filter &out) {
  try {
    out = Filter::compile(text);
    return true;
  } catch (const nvdb::Error &e) {
    if (e.status() != NVDB_EFILTER) __builtin_trap();
    return false;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char *>(data), size);
  Filter filter;
  if (!compile(text, filter)) return 0;

  // A wrapper may be refused only for nesting one or two levels deeper.
  Filter negated, conjunction;
  std::string body(text);
  bool have_not = compile("{\"$not\": " + body + "}", negated);
  bool have_and = compile("{\"$and\": [" + body + "]}", conjunction);
  Filter copy = filter;

  for (const std::string &doc : docs()) {
    nvdb::json::Value v(doc.data());
    bool m = filter.matches(v);
    if (have_not && negated.matches(v) == m) __builtin_trap();
    if (have_and && conjunction.matches(v) != m) __builtin_trap();
    if (copy.matches(v) != m) __builtin_trap();
  }
  return 0;
}
