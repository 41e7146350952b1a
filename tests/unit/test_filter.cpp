// Declarative filters (src/filter): each operator, dotted paths, what a
// missing field does, comparisons across types and of big integers, and the
// filters that must be refused with NVDB_EFILTER.
#define BOOST_TEST_MODULE filter
#include <boost/test/unit_test.hpp>
#include <iterator>
#include <optional>
#include <string>
#include <utility>

#include "core/error.hpp"
#include "filter/filter.hpp"
#include "json/codec.hpp"

using namespace nvdb;
using nvdb::filter::Filter;

namespace {

// Whether the filter text matches the metadata text.
bool match(const std::string &filter_text, const std::string &metadata) {
  std::string doc = json::encode_object(metadata, "metadata", true);
  return Filter::compile(filter_text).matches(json::Value(doc.data()));
}

#define CHECK_MATCH(f, m) BOOST_CHECK_MESSAGE(match(f, m), "filter " << (f) << " should match " << (m))
#define CHECK_NO_MATCH(f, m) BOOST_CHECK_MESSAGE(!match(f, m), "filter " << (f) << " should not match " << (m))

// The status and message compile throws (0 and "" if it does not).
std::pair<int, std::string> compile_failure(const std::string &filter_text) {
  try {
    Filter::compile(filter_text);
  } catch (const Error &e) {
    return {e.status(), e.what()};
  }
  return {0, ""};
}

void check_refused(const std::string &filter_text, const std::string &part = "") {
  auto [status, message] = compile_failure(filter_text);
  BOOST_CHECK_MESSAGE(status == NVDB_EFILTER, "status " << status << " (" << message << ") for " << filter_text);
  BOOST_CHECK_MESSAGE(message.find("filter") != std::string::npos, "message \"" << message << "\" does not say filter");
  if (!part.empty())
    BOOST_CHECK_MESSAGE(message.find(part) != std::string::npos,
                        "message \"" << message << "\" lacks \"" << part << "\"");
}

const std::string kAlbum =
    R"({"title": "Kind of Blue", "year": 1959, "rating": 4.5, "genre": "jazz", "live": false,
        "tags": ["modal", "cool"], "label": {"name": "Columbia", "country": "US", "ids": {"cat": "CL 1355"}},
        "notes": null})";

}  // namespace

// ---------------------------------------------------------------------------
// Operators.

BOOST_AUTO_TEST_CASE(empty_filter_matches_everything) {
  CHECK_MATCH("{}", kAlbum);
  CHECK_MATCH("{}", "{}");
  CHECK_MATCH("  {}  ", "{}");
}

BOOST_AUTO_TEST_CASE(implicit_equality_and_eq) {
  for (const char *f : {R"({"genre": "jazz"})", R"({"genre": {"$eq": "jazz"}})", R"({"year": 1959})",
                        R"({"rating": 4.5})", R"({"live": false})", R"({"notes": null})",
                        R"({"tags": ["modal", "cool"]})", R"({"genre": "jazz", "year": 1959})"}) {
    CHECK_MATCH(f, kAlbum);
  }
  for (const char *f : {R"({"genre": "Jazz"})", R"({"genre": {"$eq": "rock"}})", R"({"year": 1960})",
                        R"({"live": true})", R"({"tags": ["cool", "modal"]})", R"({"tags": "modal"})",
                        R"({"genre": "jazz", "year": 1960})", R"({"missing": null})"}) {
    CHECK_NO_MATCH(f, kAlbum);
  }
}

BOOST_AUTO_TEST_CASE(ne) {
  CHECK_MATCH(R"({"genre": {"$ne": "rock"}})", kAlbum);
  CHECK_NO_MATCH(R"({"genre": {"$ne": "jazz"}})", kAlbum);
  CHECK_MATCH(R"({"year": {"$ne": "1959"}})", kAlbum);  // a string is never a number
  CHECK_NO_MATCH(R"({"notes": {"$ne": null}})", kAlbum);
}

BOOST_AUTO_TEST_CASE(equality_is_deep_and_exact) {
  // Numbers by value, whatever their text.
  CHECK_MATCH(R"({"n": 1})", R"({"n": 1.0})");
  CHECK_MATCH(R"({"n": 100})", R"({"n": 1e2})");
  CHECK_MATCH(R"({"n": 0})", R"({"n": -0.0})");
  CHECK_MATCH(R"({"n": 0})", R"({"n": -0})");
  CHECK_MATCH(R"({"n": 0.5})", R"({"n": 5E-1})");
  // true, false and null are not numbers or strings.
  CHECK_NO_MATCH(R"({"b": 1})", R"({"b": true})");
  CHECK_NO_MATCH(R"({"b": 0})", R"({"b": false})");
  CHECK_NO_MATCH(R"({"b": 0})", R"({"b": null})");
  CHECK_NO_MATCH(R"({"b": ""})", R"({"b": null})");
  CHECK_NO_MATCH(R"({"b": "true"})", R"({"b": true})");
  CHECK_NO_MATCH(R"({"b": false})", R"({"b": null})");
  // Strings bytewise: no case folding, no Unicode normalisation.
  CHECK_MATCH("{\"s\": \"caf\\u00e9\"}", "{\"s\": \"caf\xc3\xa9\"}");
  CHECK_NO_MATCH("{\"s\": \"cafe\\u0301\"}", "{\"s\": \"caf\xc3\xa9\"}");
  // Arrays in order and of the same length, nested values compared deeply.
  CHECK_MATCH(R"({"a": [1, [2, {"x": null}]]})", R"({"a": [1.0, [2, {"x": null}]]})");
  CHECK_NO_MATCH(R"({"a": [1, 2]})", R"({"a": [1, 2, 3]})");
  CHECK_NO_MATCH(R"({"a": [1, 2, 3]})", R"({"a": [1, 2]})");
  CHECK_NO_MATCH(R"({"a": [1, [2, {"x": null}]]})", R"({"a": [1, [2, {"x": 0}]]})");
  CHECK_MATCH(R"({"a": []})", R"({"a": []})");
  CHECK_NO_MATCH(R"({"a": []})", R"({"a": {}})");
  // Objects as key sets: order does not matter, extra or missing keys do.
  CHECK_MATCH(R"({"o": {"a": 1, "b": [2]}})", R"({"o": {"b": [2], "a": 1}})");
  CHECK_MATCH(R"({"o": {"$eq": {"a": 1, "b": [2]}}})", R"({"o": {"b": [2], "a": 1}})");
  CHECK_NO_MATCH(R"({"o": {"a": 1}})", R"({"o": {"a": 1, "b": 2}})");
  CHECK_NO_MATCH(R"({"o": {"a": 1, "b": 2}})", R"({"o": {"a": 1, "c": 2}})");
  CHECK_MATCH(R"({"o": {}})", R"({"o": {}})");
  CHECK_NO_MATCH(R"({"o": {}})", R"({"o": {"a": 1}})");
}

BOOST_AUTO_TEST_CASE(ordering_operators_on_numbers) {
  const std::string doc = R"({"n": 10, "r": 2.5})";
  CHECK_MATCH(R"({"n": {"$gt": 9}})", doc);
  CHECK_NO_MATCH(R"({"n": {"$gt": 10}})", doc);
  CHECK_MATCH(R"({"n": {"$gte": 10}})", doc);
  CHECK_NO_MATCH(R"({"n": {"$gte": 10.5}})", doc);
  CHECK_MATCH(R"({"n": {"$lt": 10.01}})", doc);
  CHECK_NO_MATCH(R"({"n": {"$lt": 10}})", doc);
  CHECK_MATCH(R"({"n": {"$lte": 10.0}})", doc);
  CHECK_NO_MATCH(R"({"n": {"$lte": 9}})", doc);
  // Integers with reals, and negatives.
  CHECK_MATCH(R"({"r": {"$gt": 2, "$lt": 3}})", doc);
  CHECK_MATCH(R"({"r": {"$gt": -1e300}})", doc);
  CHECK_NO_MATCH(R"({"r": {"$lt": -2.5}})", doc);
  CHECK_MATCH(R"({"n": {"$gt": -0}})", R"({"n": 0.001})");
  // -0 and 0 are the same number, as integers and as reals.
  CHECK_MATCH(R"({"n": {"$gte": 0, "$lte": 0}})", R"({"n": -0})");
  CHECK_NO_MATCH(R"({"n": {"$lt": 0}})", R"({"n": -0})");
  CHECK_NO_MATCH(R"({"n": {"$gt": -0}})", R"({"n": 0})");
  CHECK_NO_MATCH(R"({"n": {"$lt": 0}})", R"({"n": -0.0})");
}

BOOST_AUTO_TEST_CASE(every_operator_of_a_field_must_hold) {
  CHECK_MATCH(R"({"year": {"$gte": 1950, "$lt": 1960}})", kAlbum);
  CHECK_NO_MATCH(R"({"year": {"$gte": 1950, "$lt": 1959}})", kAlbum);
  CHECK_NO_MATCH(R"({"year": {"$gte": 1960, "$lt": 1970}})", kAlbum);
  CHECK_MATCH(R"({"genre": {"$ne": "rock", "$in": ["jazz", "blues"], "$exists": true}})", kAlbum);
  CHECK_NO_MATCH(R"({"genre": {"$ne": "jazz", "$in": ["jazz", "blues"]}})", kAlbum);
}

BOOST_AUTO_TEST_CASE(ordering_operators_on_strings_are_bytewise) {
  const std::string doc = "{\"s\": \"b\", \"u\": \"\xc3\xa9\"}";
  CHECK_MATCH(R"({"s": {"$gt": "a", "$lt": "c"}})", doc);
  CHECK_MATCH(R"({"s": {"$gt": "B"}})", doc);  // 'b' (0x62) > 'B' (0x42)
  CHECK_MATCH(R"({"s": {"$lt": "ba"}})", doc);  // a prefix sorts first
  CHECK_MATCH(R"({"s": {"$gte": "b", "$lte": "b"}})", doc);
  CHECK_NO_MATCH(R"({"s": {"$gt": "b"}})", doc);
  CHECK_MATCH(R"({"u": {"$gt": "z"}})", doc);  // UTF-8 lead byte 0xc3 > 'z'
  CHECK_MATCH(R"({"s": {"$gt": ""}})", doc);
}

BOOST_AUTO_TEST_CASE(ordering_across_types_is_always_false) {
  const std::string doc = R"({"n": 5, "s": "5", "t": true, "z": null, "a": [5], "o": {"x": 5}})";
  for (const char *field : {"n", "s", "t", "z", "a", "o"}) {
    for (const char *arg : {"\"5\"", "5", "true", "null", "[5]", "{\"x\": 5}"}) {
      // Only number-number and string-string pairs are ordered.
      bool comparable = (std::string(field) == "n" && std::string(arg) == "5") ||
                        (std::string(field) == "s" && std::string(arg) == "\"5\"");
      for (const char *op : {"$gt", "$gte", "$lt", "$lte"}) {
        std::string f = std::string("{\"") + field + "\": {\"" + op + "\": " + arg + "}}";
        bool expected = comparable && (std::string(op) == "$gte" || std::string(op) == "$lte");
        BOOST_CHECK_MESSAGE(match(f, doc) == expected, f << " on " << doc << " should be " << expected);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(big_integers_compare_exactly) {
  // 2^53 + 1 and 2^53 are the same double; as integers they differ.
  const std::string doc = R"({"n": 9007199254740993, "m": -9007199254740993, "h": 123456789012345678901234567890})";
  CHECK_NO_MATCH(R"({"n": 9007199254740992})", doc);
  CHECK_MATCH(R"({"n": 9007199254740993})", doc);
  CHECK_MATCH(R"({"n": {"$ne": 9007199254740992}})", doc);
  CHECK_MATCH(R"({"n": {"$gt": 9007199254740992}})", doc);
  CHECK_NO_MATCH(R"({"n": {"$lt": 9007199254740994}, "m": {"$gt": -9007199254740992}})", doc);
  CHECK_MATCH(R"({"n": {"$lt": 9007199254740994}})", doc);
  CHECK_MATCH(R"({"m": {"$lt": -9007199254740992}})", doc);
  CHECK_MATCH(R"({"m": {"$gt": -9007199254740994}})", doc);
  CHECK_NO_MATCH(R"({"m": {"$gt": -9007199254740992}})", doc);
  CHECK_MATCH(R"({"n": {"$in": [1, 9007199254740993]}})", doc);
  CHECK_NO_MATCH(R"({"n": {"$in": [1, 9007199254740992]}})", doc);
  // Beyond 64 bits: more digits is larger, fewer is smaller; signs first.
  CHECK_MATCH(R"({"h": 123456789012345678901234567890})", doc);
  CHECK_NO_MATCH(R"({"h": 123456789012345678901234567891})", doc);
  CHECK_MATCH(R"({"h": {"$gt": 123456789012345678901234567889, "$lt": 123456789012345678901234567891}})", doc);
  CHECK_MATCH(R"({"h": {"$gt": 99999999999999999999999999999}})", doc);
  CHECK_MATCH(R"({"h": {"$lt": 1000000000000000000000000000000}})", doc);
  CHECK_MATCH(R"({"h": {"$gt": -123456789012345678901234567891}})", doc);
  CHECK_MATCH(R"({"m": {"$lt": 1}})", doc);
  CHECK_MATCH(R"({"n": {"$gt": -1}})", doc);
  CHECK_MATCH(R"({"x": {"$lt": -99}})", R"({"x": -100})");
  CHECK_NO_MATCH(R"({"x": {"$lt": -100}})", R"({"x": -99})");
}

BOOST_AUTO_TEST_CASE(in_and_nin) {
  CHECK_MATCH(R"({"genre": {"$in": ["rock", "jazz"]}})", kAlbum);
  CHECK_NO_MATCH(R"({"genre": {"$in": ["rock", "pop"]}})", kAlbum);
  CHECK_NO_MATCH(R"({"genre": {"$in": []}})", kAlbum);
  CHECK_MATCH(R"({"year": {"$in": ["1959", 1959.0]}})", kAlbum);
  CHECK_NO_MATCH(R"({"year": {"$in": ["1959", true, null]}})", kAlbum);
  CHECK_MATCH(R"({"notes": {"$in": [0, null]}})", kAlbum);
  // The field's value is compared whole: an array field is one value.
  CHECK_MATCH(R"({"tags": {"$in": [["modal", "cool"], "x"]}})", kAlbum);
  CHECK_NO_MATCH(R"({"tags": {"$in": ["modal", "cool"]}})", kAlbum);
  CHECK_MATCH(R"({"label": {"$in": [{"ids": {"cat": "CL 1355"}, "country": "US", "name": "Columbia"}]}})", kAlbum);

  CHECK_MATCH(R"({"genre": {"$nin": ["rock", "pop"]}})", kAlbum);
  CHECK_NO_MATCH(R"({"genre": {"$nin": ["rock", "jazz"]}})", kAlbum);
  CHECK_MATCH(R"({"genre": {"$nin": []}})", kAlbum);
  CHECK_NO_MATCH(R"({"rating": {"$nin": [4.50]}})", kAlbum);
}

BOOST_AUTO_TEST_CASE(exists) {
  CHECK_MATCH(R"({"genre": {"$exists": true}})", kAlbum);
  CHECK_MATCH(R"({"notes": {"$exists": true}})", kAlbum);  // null is a value
  CHECK_NO_MATCH(R"({"genre": {"$exists": false}})", kAlbum);
  CHECK_MATCH(R"({"missing": {"$exists": false}})", kAlbum);
  CHECK_NO_MATCH(R"({"missing": {"$exists": true}})", kAlbum);
  CHECK_MATCH(R"({"label.ids.cat": {"$exists": true}})", kAlbum);
  CHECK_MATCH(R"({"label.ids.dog": {"$exists": false}})", kAlbum);
}

BOOST_AUTO_TEST_CASE(missing_fields) {
  // $ne and $nin hold for a missing field; every other operator fails.
  CHECK_MATCH(R"({"missing": {"$ne": 1}})", kAlbum);
  CHECK_MATCH(R"({"missing": {"$ne": null}})", kAlbum);
  CHECK_MATCH(R"({"missing": {"$nin": [1, null]}})", kAlbum);
  for (const char *f : {R"({"missing": null})", R"({"missing": {"$eq": null}})", R"({"missing": {"$gt": 0}})",
                        R"({"missing": {"$gte": 0}})", R"({"missing": {"$lt": 0}})", R"({"missing": {"$lte": 0}})",
                        R"({"missing": {"$in": [null]}})", R"({"missing": {"$in": []}})"}) {
    CHECK_NO_MATCH(f, kAlbum);
    CHECK_NO_MATCH(f, "{}");
  }
  // The same holds for a path that stops early.
  CHECK_MATCH(R"({"label.missing.x": {"$ne": 1}})", kAlbum);
  CHECK_NO_MATCH(R"({"label.missing.x": {"$lt": 1}})", kAlbum);
}

BOOST_AUTO_TEST_CASE(and_or_not) {
  CHECK_MATCH(R"({"$and": [{"genre": "jazz"}, {"year": {"$lt": 1960}}]})", kAlbum);
  CHECK_NO_MATCH(R"({"$and": [{"genre": "jazz"}, {"year": {"$lt": 1959}}]})", kAlbum);
  CHECK_MATCH(R"({"$and": [{}]})", kAlbum);
  CHECK_MATCH(R"({"$or": [{"genre": "rock"}, {"year": 1959}]})", kAlbum);
  CHECK_MATCH(R"({"$or": [{"year": 1959}, {"genre": "rock"}]})", kAlbum);
  CHECK_NO_MATCH(R"({"$or": [{"genre": "rock"}, {"year": 1960}]})", kAlbum);
  CHECK_MATCH(R"({"$not": {"genre": "rock"}})", kAlbum);
  CHECK_NO_MATCH(R"({"$not": {"genre": "jazz"}})", kAlbum);
  CHECK_NO_MATCH(R"({"$not": {}})", kAlbum);
  // $not of an operator that fails on a missing field holds.
  CHECK_MATCH(R"({"$not": {"missing": {"$gt": 1}}})", kAlbum);
  CHECK_MATCH(R"({"$not": {"$not": {"genre": "jazz"}}})", kAlbum);
  // Top-level entries, operators among them, are ANDed.
  CHECK_MATCH(R"({"genre": "jazz", "$or": [{"live": true}, {"rating": {"$gte": 4}}], "$not": {"year": 1960}})",
              kAlbum);
  CHECK_NO_MATCH(R"({"genre": "jazz", "$or": [{"live": true}, {"rating": {"$gte": 5}}]})", kAlbum);
  CHECK_NO_MATCH(R"({"genre": "jazz", "$not": {"year": 1959}})", kAlbum);
  // Nested combinations.
  CHECK_MATCH(R"({"$or": [{"$and": [{"genre": "rock"}, {"year": 1959}]}, {"$not": {"tags": []}}]})", kAlbum);
  CHECK_NO_MATCH(R"({"$and": [{"$or": [{"genre": "rock"}, {"live": true}]}, {"year": 1959}]})", kAlbum);
}

// ---------------------------------------------------------------------------
// Dotted paths.

BOOST_AUTO_TEST_CASE(dotted_paths_reach_into_objects) {
  CHECK_MATCH(R"({"label.name": "Columbia"})", kAlbum);
  CHECK_MATCH(R"({"label.ids.cat": {"$gte": "CL"}})", kAlbum);
  CHECK_NO_MATCH(R"({"label.name": "Blue Note"})", kAlbum);
  CHECK_MATCH(R"({"label.ids": {"cat": "CL 1355"}})", kAlbum);
  // A path does not go through arrays, scalars or null.
  CHECK_NO_MATCH(R"({"tags.0": "modal"})", kAlbum);
  CHECK_NO_MATCH(R"({"genre.x": {"$exists": true}})", kAlbum);
  CHECK_NO_MATCH(R"({"notes.x": null})", kAlbum);
  CHECK_NO_MATCH(R"({"label.name.first": {"$exists": true}})", kAlbum);
  // Empty path segments name empty keys.
  CHECK_MATCH(R"({"a..b": 1})", R"({"a": {"": {"b": 1}}})");
  CHECK_MATCH(R"({"a.": 1})", R"({"a": {"": 1}})");
  CHECK_NO_MATCH(R"({"a.": 1})", R"({"a": 1})");
}

BOOST_AUTO_TEST_CASE(keys_with_dots_match_whole_first) {
  CHECK_MATCH(R"({"a.b": 1})", R"({"a.b": 1})");
  CHECK_MATCH(R"({"a.b": 2})", R"({"a": {"b": 2}})");
  // A literal key wins over the path when both exist.
  CHECK_MATCH(R"({"a.b": 1})", R"({"a": {"b": 2}, "a.b": 1})");
  CHECK_NO_MATCH(R"({"a.b": 2})", R"({"a": {"b": 2}, "a.b": 1})");
  CHECK_MATCH(R"({"a.b.c": 3})", R"({"a": {"b.c": 9, "b": {"c": 3}}})");
  // Nested objects are reached by the path only, not by a literal at depth.
  CHECK_NO_MATCH(R"({"a.b.c": 9})", R"({"a": {"b.c": 9}})");
}

// ---------------------------------------------------------------------------
// Refused filters.

BOOST_AUTO_TEST_CASE(refuses_invalid_json) {
  for (const char *f : {"", "{", "{\"a\":}", "{\"a\": 1,}", "{\"a\": 1}x", "{'a': 1}", "{\"a\": NaN}",
                        "{\"a\": 1e400}", "{\"a\": 1, \"a\": 2}", "{\"a\": \"\xff\"}"})
    check_refused(f);
}

BOOST_AUTO_TEST_CASE(refuses_non_object_filters) {
  for (const char *f : {"[]", "[{}]", "1", "\"genre\"", "null", "true"}) check_refused(f, "must be a JSON object");
}

BOOST_AUTO_TEST_CASE(refuses_unknown_operators) {
  check_refused(R"({"a": {"$regex": "x"}})", "\"$regex\"");
  check_refused(R"({"a": {"$gt": 1, "$foo": 2}})", "\"$foo\"");
  check_refused(R"({"a": {"$EQ": 1}})", "\"$EQ\"");
  check_refused(R"({"$nor": [{"a": 1}]})", "\"$nor\"");
  check_refused(R"({"$eq": 1})", "\"$eq\"");
  check_refused(R"({"$or": [{"$xor": []}]})", "\"$xor\"");
  check_refused(R"({"$not": {"a": {"$size": 1}}})", "\"$size\"");
  // An object without $-keys is a value, so "$" inside it is just text.
  BOOST_CHECK_EQUAL(compile_failure(R"({"a": {"b": "$gt"}})").first, 0);
}

BOOST_AUTO_TEST_CASE(refuses_bad_operands) {
  for (const char *f : {R"({"a": {"$in": 1}})", R"({"a": {"$in": "x"}})", R"({"a": {"$in": {"x": 1}}})",
                        R"({"a": {"$in": null}})", R"({"a": {"$nin": "x"}})"})
    check_refused(f, "needs an array");
  for (const char *f : {R"({"a": {"$exists": 1}})", R"({"a": {"$exists": "true"}})", R"({"a": {"$exists": null}})"})
    check_refused(f, "$exists");
  for (const char *f : {R"({"$and": []})", R"({"$or": []})", R"({"$and": {"a": 1}})", R"({"$or": "a"})",
                        R"({"$and": [1]})", R"({"$or": [{"a": 1}, []]})", R"({"$not": []})", R"({"$not": 1})",
                        R"({"$not": [{"a": 1}]})"})
    check_refused(f);
  // Mixing operators and field names in one object is ambiguous.
  check_refused(R"({"a": {"$gt": 1, "b": 2}})", "mixes");
  check_refused(R"({"a": {"b": 2, "$gt": 1}})", "mixes");
}

// ---------------------------------------------------------------------------
// The compiled filter as an object.

BOOST_AUTO_TEST_CASE(copies_outlive_the_original) {
  // The nodes point into the encoded filter text; a copy or a moved-to
  // filter must keep that text alive (short texts live inside a
  // std::string, so moving the text itself would leave them dangling).
  std::string doc = json::encode_object(R"({"a": "x", "n": 3})", "m", true);
  json::Value v(doc.data());
  std::optional<Filter> original = Filter::compile(R"({"a": "x", "n": {"$in": [1, 3]}})");
  Filter copy = *original;
  Filter moved = std::move(*original);
  original.reset();
  BOOST_CHECK(copy.matches(v));
  BOOST_CHECK(moved.matches(v));
  Filter assigned = Filter::compile(R"({"a": "y"})");
  BOOST_CHECK(!assigned.matches(v));
  assigned = copy;
  BOOST_CHECK(assigned.matches(v));
}

BOOST_AUTO_TEST_CASE(one_filter_many_docs) {
  Filter f = Filter::compile(R"({"n": {"$gte": 2}, "tag": {"$nin": ["skip"]}})");
  const char *docs[] = {R"({"n": 1})", R"({"n": 2})", R"({"n": 3, "tag": "skip"})", R"({"n": 4, "tag": "keep"})",
                        R"({"tag": "keep"})"};
  const bool expected[] = {false, true, false, true, false};
  for (std::size_t i = 0; i < std::size(docs); ++i) {
    std::string doc = json::encode_object(docs[i], "m", true);
    BOOST_CHECK_MESSAGE(f.matches(json::Value(doc.data())) == expected[i], docs[i]);
  }
}
