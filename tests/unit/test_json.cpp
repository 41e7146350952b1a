// The JSON codec (src/json): what encode_object accepts and refuses, the
// binary doc it builds, and the text write() gives back in both styles.
#define BOOST_TEST_MODULE json
#include <boost/test/unit_test.hpp>
#include <cmath>
#include <cstdlib>
#include <string>
#include <utility>

#include "core/error.hpp"
#include "json/codec.hpp"
#include "json/doc.hpp"

using namespace nvdb;
using nvdb::json::Style;
using nvdb::json::Type;
using nvdb::json::Value;

namespace {

// The status and message of what f throws (0 and "" if it does not).
template <class F>
std::pair<int, std::string> failure(F f) {
  try {
    f();
  } catch (const Error &e) {
    return {e.status(), e.what()};
  }
  return {0, ""};
}

// Checks that encode_object refuses text with NVDB_EJSON and a message that
// names the value ("meta") and contains `part`.
void check_refused(const std::string &text, const std::string &part = "", bool reserved_keys = true) {
  auto [status, message] = failure([&] { json::encode_object(text, "meta", reserved_keys); });
  BOOST_CHECK_MESSAGE(status == NVDB_EJSON, "status " << status << " for: " << text);
  BOOST_CHECK_MESSAGE(message.rfind("meta: ", 0) == 0, "message \"" << message << "\" does not name the value");
  if (!part.empty())
    BOOST_CHECK_MESSAGE(message.find(part) != std::string::npos,
                        "message \"" << message << "\" lacks \"" << part << "\"");
}

void check_accepted(const std::string &text, bool reserved_keys = true) {
  auto [status, message] = failure([&] { json::encode_object(text, "meta", reserved_keys); });
  BOOST_CHECK_MESSAGE(status == 0, "refused (" << message << "): " << text);
}

std::string write(const std::string &doc, Style style) {
  std::string out;
  json::write(Value(doc.data()), style, out);
  return out;
}

std::string compact(const std::string &text) { return write(json::encode_object(text, "t", false), Style::compact); }
std::string python(const std::string &text) { return write(json::encode_object(text, "t", false), Style::python); }

// `depth` nested arrays inside a top-level object: {"a":[[...]]}; the object
// is one level, so the text nests depth + 1 containers.
std::string nested(std::size_t depth) {
  return "{\"a\":" + std::string(depth, '[') + std::string(depth, ']') + "}";
}

}  // namespace

// ---------------------------------------------------------------------------
// What encode_object accepts and refuses.

BOOST_AUTO_TEST_CASE(accepts_objects_with_whitespace_around) {
  check_accepted("{}");
  check_accepted("  {\"a\": 1}");
  check_accepted("{\"a\":1} \n\t\r ");
  check_accepted("{\"a\": {\"b\": [1, 2.5, \"x\", true, false, null, {}, []]}}");
}

BOOST_AUTO_TEST_CASE(refuses_non_objects) {
  for (const char *text : {"[]", "[1]", "1", "-2.5", "\"s\"", "true", "false", "null"})
    check_refused(text, "not a JSON object");
}

BOOST_AUTO_TEST_CASE(refuses_truncated_and_empty_text) {
  for (const char *text : {"", "   ", "{", "{\"a\"", "{\"a\":", "{\"a\":1", "{\"a\":[1,2", "{\"a\":\"unterminated"})
    check_refused(text);
}

BOOST_AUTO_TEST_CASE(refuses_trailing_garbage) {
  check_refused("{\"a\":1}x", "after the JSON value");
  check_refused("{\"a\":1} {}", "after the JSON value");
  check_refused("{}}", "after the JSON value");
  check_refused("{} ,");
}

BOOST_AUTO_TEST_CASE(refuses_malformed_json) {
  for (const char *text : {"{'a':1}", "{\"a\":1,}", "{a:1}", "{\"a\" 1}", "{\"a\":01}", "{\"a\":.5}",
                           "{\"a\":+1}", "{\"a\":1.}", "{\"a\":tru}", "{\"a\":\"\\x\"}",
                           "{\"a\":1 /* comment */}", "{\"a\":\"tab\there\"}"})
    check_refused(text);
}

BOOST_AUTO_TEST_CASE(refuses_duplicate_keys_at_any_depth) {
  check_refused("{\"a\":1,\"a\":2}", "duplicate key \"a\"");
  check_refused("{\"x\":{\"b\":1,\"c\":2,\"b\":3}}", "duplicate key \"b\"");
  check_refused("{\"x\":[{\"k\":1},{\"k\":1,\"k\":2}]}", "duplicate key \"k\"");
  // Same key in sibling objects, and a key equal to a value, are not duplicates.
  check_accepted("{\"x\":{\"k\":1},\"y\":{\"k\":1},\"k\":\"k\"}");
  // Keys that differ only after an escape are different keys...
  check_accepted("{\"a\\n\":1,\"a\":2}");
  // ...and keys written differently but equal once unescaped are the same.
  check_refused("{\"\\u0061\":1,\"a\":2}", "duplicate key");
}

BOOST_AUTO_TEST_CASE(refuses_duplicate_keys_in_large_objects) {
  // Past 32 members the builder checks a sorted copy at the end of the
  // object instead of scanning; both paths must catch duplicates.
  std::string text = "{";
  for (int i = 0; i < 50; ++i) text += "\"k" + std::to_string(i) + "\":" + std::to_string(i) + ",";
  check_accepted(text + "\"last\":0}");
  check_refused(text + "\"k3\":0}", "duplicate key \"k3\"");
  check_refused(text + "\"k45\":0}", "duplicate key \"k45\"");
}

BOOST_AUTO_TEST_CASE(reserved_keys_only_at_top_level_and_only_when_asked) {
  for (const char *key : {"__id__", "__vector__", "__metrics__"}) {
    std::string top = std::string("{\"x\":1,\"") + key + "\":1}";
    check_refused(top, "reserved");
    check_accepted(top, /*reserved_keys=*/false);
    check_accepted(std::string("{\"x\":{\"") + key + "\":1}}");
    check_accepted(std::string("{\"x\":[{\"") + key + "\":1}]}");
  }
  // Near misses are ordinary keys.
  check_accepted("{\"__id\":1,\"id\":2,\"__ID__\":3,\"__vector__ \":4}");
}

BOOST_AUTO_TEST_CASE(refuses_invalid_utf8) {
  for (const char *text : {
           "{\"a\":\"\xff\"}",              // never valid
           "{\"a\":\"\xc3\"}",              // truncated sequence
           "{\"a\":\"\xc0\x80\"}",          // overlong NUL
           "{\"a\":\"\xed\xa0\x80\"}",      // UTF-16 surrogate
           "{\"a\":\"\xf4\x90\x80\x80\"}",  // beyond U+10FFFF
           "{\"\xfe\":1}"})                 // in a key
    check_refused(text);
  check_accepted("{\"caf\xc3\xa9\":\"\xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x8e\xb5\"}");
}

BOOST_AUTO_TEST_CASE(refuses_non_finite_numbers) {
  for (const char *text : {"{\"a\":NaN}", "{\"a\":Infinity}", "{\"a\":-Infinity}", "{\"a\":nan}"})
    check_refused(text);
  check_refused("{\"a\":1e400}", "out of range");
  check_refused("{\"a\":[-1e400]}", "out of range");
  check_refused("{\"a\":{\"b\":1.8e308}}", "out of range");
  // The largest double is in range; an underflow is a (zero) number, as in Python.
  check_accepted("{\"a\":1.7976931348623157e308,\"b\":1e-400}");
}

BOOST_AUTO_TEST_CASE(refuses_nesting_deeper_than_64) {
  check_accepted(nested(63));  // 64 containers including the top-level object
  check_refused(nested(64), "nesting deeper than 64");
  check_refused(nested(10000));  // deep enough to overflow a recursive parser
}

// ---------------------------------------------------------------------------
// The binary doc.

BOOST_AUTO_TEST_CASE(doc_keeps_types_order_and_lexemes) {
  std::string doc = json::encode_object(
      "{\"z\":1,\"a\":1.0,\"m\":1e5,\"s\":\"x\\ny\",\"t\":true,\"f\":false,\"n\":null,"
      "\"arr\":[1,[2]],\"o\":{\"k\":-0}}",
      "t", true);
  Value v(doc.data());
  BOOST_REQUIRE(v.type() == Type::object);
  BOOST_CHECK_EQUAL(v.count(), 9u);
  BOOST_CHECK_EQUAL(v.size(), doc.size());

  std::string keys;
  for (json::Member m : json::Members(v)) keys += std::string(m.key) + " ";
  BOOST_CHECK_EQUAL(keys, "z a m s t f n arr o ");  // insertion order, not sorted

  // Integer or real is decided by the text, not the value.
  BOOST_CHECK(Value(v.find("z")).type() == Type::integer);
  BOOST_CHECK(Value(v.find("a")).type() == Type::real);
  BOOST_CHECK(Value(v.find("m")).type() == Type::real);
  BOOST_CHECK_EQUAL(Value(v.find("a")).number(), 1.0);
  BOOST_CHECK_EQUAL(Value(v.find("m")).number(), 1e5);
  BOOST_CHECK_EQUAL(Value(v.find("m")).lexeme(), "1e5");
  BOOST_CHECK_EQUAL(Value(v.find("s")).string(), "x\ny");  // unescaped
  BOOST_CHECK(Value(v.find("t")).type() == Type::true_);
  BOOST_CHECK(Value(v.find("f")).type() == Type::false_);
  BOOST_CHECK(Value(v.find("n")).type() == Type::null);
  BOOST_CHECK(v.find("missing") == nullptr);
  BOOST_CHECK(v.find("") == nullptr);

  Value arr(v.find("arr"));
  BOOST_REQUIRE(arr.type() == Type::array);
  BOOST_CHECK_EQUAL(arr.count(), 2u);
  Value second(arr.body() + Value(arr.body()).size());
  BOOST_CHECK(second.type() == Type::array);
  BOOST_CHECK_EQUAL(second.count(), 1u);

  Value neg_zero(Value(v.find("o")).find("k"));
  BOOST_CHECK_EQUAL(neg_zero.lexeme(), "-0");
}

BOOST_AUTO_TEST_CASE(numbers_are_correctly_rounded) {
  // The value kept is the nearest double to the text (what Python's float()
  // gives), so that written-back reals match nano-vectordb's.
  for (const char *lexeme : {"0.1", "0.30000000000000004441", "2.2250738585072011e-308",
                             "9007199254740993", "123456789012345678901234567890",
                             "1.00000000000000011102230246251565404236316680908203125",
                             "4.9406564584124654e-324", "7.038531e-26"}) {
    std::string doc = json::encode_object(std::string("{\"v\":") + lexeme + "}", "t", true);
    Value v(Value(doc.data()).find("v"));
    BOOST_CHECK_EQUAL(v.lexeme(), lexeme);
    BOOST_CHECK_MESSAGE(v.number() == std::strtod(lexeme, nullptr), lexeme << " read as " << v.number());
  }
}

BOOST_AUTO_TEST_CASE(builder_refuses_duplicates_and_builds_what_the_parser_builds) {
  json::Builder b;
  b.begin_object();
  b.key("a");
  b.number("1.50", 1.5);
  b.key("b");
  b.begin_array();
  b.string("x");
  b.boolean(true);
  b.null();
  b.end_array();
  b.end_object();
  BOOST_CHECK_EQUAL(b.depth(), 0u);
  BOOST_CHECK(b.take() == json::encode_object("{\"a\":1.50,\"b\":[\"x\",true,null]}", "t", true));

  json::Builder dup;
  dup.begin_object();
  dup.key("a");
  dup.null();
  BOOST_CHECK_EQUAL(failure([&] { dup.key("a"); }).first, NVDB_EJSON);

  BOOST_CHECK_EQUAL(write(json::empty_object(), Style::compact), "{}");
  BOOST_CHECK_EQUAL(write(json::empty_object(), Style::python), "{}");
}

// ---------------------------------------------------------------------------
// Writing text back.

BOOST_AUTO_TEST_CASE(compact_write_round_trips_text) {
  for (const char *text : {
           "{}",
           "{\"a\":1.10,\"b\":123456789012345678901234567890,\"c\":-0.0,\"d\":-0,\"e\":1e-07}",
           "{\"f\":1E+5,\"g\":2.50e-3,\"h\":-123456789012345678901234567890.000}",
           "{\"s\":\"caf\xc3\xa9 \xf0\x9f\x8e\xb5\",\"t\":[true,false,null,{},[]]}",
           "{\"o\":{\"z\":{\"y\":[1,[2,[3]]]},\"a\":\"\"}}",
           "{\"esc\":\"q\\\" b\\\\ n\\n r\\r t\\t b\\b f\\f u\\u0001 \\u001f\"}"})
    BOOST_CHECK_EQUAL(compact(text), text);
}

BOOST_AUTO_TEST_CASE(compact_write_normalises_whitespace_and_escapes) {
  BOOST_CHECK_EQUAL(compact(" { \"a\" : [ 1 , 2 ] ,\n\"b\" : { } } "), "{\"a\":[1,2],\"b\":{}}");
  // Escapes that are not needed are written as the character itself.
  BOOST_CHECK_EQUAL(compact("{\"a\":\"\\/ \\u00e9 \\ud83c\\udfb5 \\u0041\"}"),
                    "{\"a\":\"/ \xc3\xa9 \xf0\x9f\x8e\xb5 A\"}");
  // Control characters other than the short escapes are \u00XX, lowercase hex.
  BOOST_CHECK_EQUAL(compact("{\"a\":\"\\u001B\\u007f\"}"), "{\"a\":\"\\u001b\x7f\"}");
  // Keys are escaped like strings.
  BOOST_CHECK_EQUAL(compact("{\"a\\\"\\n\":0}"), "{\"a\\\"\\n\":0}");
}

BOOST_AUTO_TEST_CASE(write_string_escapes_only_what_json_needs) {
  std::string out = "prefix:";
  json::write_string(std::string("a\"b\\c\x01\x1f\x7f\xc3\xa9/\0z", 13), out);
  BOOST_CHECK_EQUAL(out, "prefix:\"a\\\"b\\\\c\\u0001\\u001f\x7f\xc3\xa9/\\u0000z\"");
}

BOOST_AUTO_TEST_CASE(python_style_matches_json_dumps) {
  // json.dumps(obj, ensure_ascii=False) with the default separators.
  BOOST_CHECK_EQUAL(python("{\"a\":1,\"b\":[true,null,{}],\"c\":{\"d\":\"x\"},\"e\":[]}"),
                    "{\"a\": 1, \"b\": [true, null, {}], \"c\": {\"d\": \"x\"}, \"e\": []}");
  BOOST_CHECK_EQUAL(python("{\"\xc3\xa9\":\"\xe6\x97\xa5\\u00e9\"}"), "{\"\xc3\xa9\": \"\xe6\x97\xa5\xc3\xa9\"}");
  // Integers keep their digits (Python ints are exact); "-0" is the int 0.
  BOOST_CHECK_EQUAL(python("{\"a\":123456789012345678901234567890,\"b\":-0,\"c\":-7}"),
                    "{\"a\": 123456789012345678901234567890, \"b\": 0, \"c\": -7}");
  // Reals are Python's repr of the double, whatever their text was.
  BOOST_CHECK_EQUAL(python("{\"a\":1.10,\"b\":1E5,\"c\":-0.0,\"d\":0.00001,\"e\":1e16,\"f\":2.50e-3}"),
                    "{\"a\": 1.1, \"b\": 100000.0, \"c\": -0.0, \"d\": 1e-05, \"e\": 1e+16, \"f\": 0.0025}");
  BOOST_CHECK_EQUAL(python("{\"a\":1e-400}"), "{\"a\": 0.0}");
}

BOOST_AUTO_TEST_CASE(python_repr_of_doubles) {
  const std::pair<double, const char *> cases[] = {
      {0.1, "0.1"},
      {1e-05, "1e-05"},
      {0.0001, "0.0001"},  // the last positional exponent
      {1e16, "1e+16"},
      {1e15, "1000000000000000.0"},  // the last positional exponent
      {123.0, "123.0"},
      {-0.0, "-0.0"},
      {0.0, "0.0"},
      {9.333333015441895, "9.333333015441895"},  // a float32 widened, as vectors are
      {1.5e+300, "1.5e+300"},
      {5e-324, "5e-324"},
      {-2.5e-7, "-2.5e-07"},
      {1.0 / 3.0, "0.3333333333333333"},
      {123456789.125, "123456789.125"},
      {1.7976931348623157e308, "1.7976931348623157e+308"},
      {12345678901234567890.0, "1.2345678901234567e+19"},
  };
  for (const auto &[value, expected] : cases) BOOST_CHECK_EQUAL(json::python_repr(value), expected);
}

BOOST_AUTO_TEST_CASE(python_repr_round_trips) {
  // The shortest digits that read back as the same double, for values across
  // the whole exponent range.
  double v = 5e-324;
  for (int i = 0; i < 5000 && std::isfinite(v); ++i, v *= 1.7 + i % 7 * 0.013) {
    std::string r = json::python_repr(v);
    BOOST_CHECK_MESSAGE(std::strtod(r.c_str(), nullptr) == v, r << " does not read back as " << v);
    BOOST_CHECK_MESSAGE(r.find_first_of(".e") != std::string::npos, r << " lacks a '.' or an exponent");
  }
}
