// nano-vectordb files: parsing the Python package's fixtures, writing them
// back byte for byte, and refusing corrupt input with the right status.
#define BOOST_TEST_MODULE nanovdb
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <sstream>

#include "core/error.hpp"
#include "json/codec.hpp"
#include "nanovdb/digest.hpp"
#include "nanovdb/nanovdb.hpp"

namespace fs = std::filesystem;
namespace bj = boost::json;
using namespace nvdb;

namespace {

const char *const kFixtures[] = {"a_small", "b_autoid", "e_empty", "g_int_ids_plain"};

std::string fixture_path(const std::string &name) { return std::string(NVDB_TEST_DATA) + "/" + name; }

std::string slurp(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  BOOST_REQUIRE_MESSAGE(in, "cannot open " << path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

bj::value expected(const std::string &name) {
  return bj::parse(slurp(fixture_path(name + ".expected.json")));
}

// An id of the expected files (string or int) as nvdb's text.
std::string id_text(const bj::value &v) {
  return v.is_string() ? std::string(v.as_string()) : std::to_string(v.to_number<std::int64_t>());
}

std::string compact(const std::string &doc) {
  std::string out;
  json::write(json::Value(doc.data()), json::Style::compact, out);
  return out;
}

// The status and message of what f throws (0 if it does not).
template <class F>
std::pair<int, std::string> failure(F f) {
  try {
    f();
  } catch (const Error &e) {
    return {e.status(), e.what()};
  }
  return {0, ""};
}

void check_fails(const std::string &text, int status, const std::string &part = "") {
  auto [got, message] = failure([&] { nanovdb::parse(text); });
  BOOST_CHECK_MESSAGE(got == status, "status " << got << " (" << message << ") for: " << text.substr(0, 200));
  if (!part.empty())
    BOOST_CHECK_MESSAGE(message.find(part) != std::string::npos,
                        "message \"" << message << "\" lacks \"" << part << "\"");
}

// A fresh folder under /tmp, removed at the end of the test.
struct TempDir {
  fs::path path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "nvdb-nano-XXXXXX").string();
    BOOST_REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }
  ~TempDir() { fs::remove_all(path); }
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (auto &e : fs::directory_iterator(path)) out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
  }
};

nanovdb::RecordView view(const nanovdb::File &f, std::size_t i) {
  const nanovdb::FileRecord &r = f.records[i];
  return {r.id, r.id_is_number, r.id_pos, json::Value(r.meta.data()), f.matrix.data() + i * f.dim};
}

void write_file(const std::string &path, const nanovdb::File &f) {
  nanovdb::write(path, f.dim, f.records.size(), [&](std::size_t i) { return view(f, i); },
                 f.has_additional_data ? &f.additional_data : nullptr);
}

void check_same(const nanovdb::File &a, const nanovdb::File &b) {
  BOOST_CHECK_EQUAL(a.dim, b.dim);
  BOOST_REQUIRE_EQUAL(a.records.size(), b.records.size());
  for (std::size_t i = 0; i < a.records.size(); ++i) {
    BOOST_CHECK_EQUAL(a.records[i].id, b.records[i].id);
    BOOST_CHECK_EQUAL(a.records[i].id_is_number, b.records[i].id_is_number);
    BOOST_CHECK_EQUAL(a.records[i].id_pos, b.records[i].id_pos);
    BOOST_CHECK(a.records[i].meta == b.records[i].meta);
  }
  BOOST_CHECK(a.matrix == b.matrix);
  BOOST_CHECK_EQUAL(a.has_additional_data, b.has_additional_data);
  BOOST_CHECK(a.additional_data == b.additional_data);
}

// A small file around a record list and a matrix.
std::string file_text(const std::string &data, const std::string &matrix, int dim = 2) {
  return "{\"embedding_dim\": " + std::to_string(dim) + ", \"data\": [" + data + "], \"matrix\": \"" +
         matrix + "\"}";
}

std::string floats_b64(const std::vector<float> &v) { return base64_encode(v.data(), v.size() * 4); }

}  // namespace

// --- digests -------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(md5_and_base64_known_values) {
  BOOST_CHECK_EQUAL(md5_hex("", 0), "d41d8cd98f00b204e9800998ecf8427e");
  BOOST_CHECK_EQUAL(md5_hex("abc", 3), "900150983cd24fb0d6963f7d28e17f72");
  const char *plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
  const char *coded[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
  for (int i = 0; i < 7; ++i) {
    BOOST_CHECK_EQUAL(base64_encode(plain[i], std::strlen(plain[i])), coded[i]);
    // Decoding, whole and one character at a time.
    for (std::size_t step : {std::size_t{1000}, std::size_t{1}, std::size_t{3}}) {
      Base64Decoder d;
      std::string text = coded[i], out;
      for (std::size_t at = 0; at < text.size(); at += step) {
        std::string_view part = std::string_view(text).substr(at, step);
        std::string buf(d.max_output(part.size()), '\0');
        out.append(buf.data(), d.feed(part, reinterpret_cast<unsigned char *>(buf.data())));
      }
      d.finish();
      BOOST_CHECK_EQUAL(out, plain[i]);
    }
  }
}

BOOST_AUTO_TEST_CASE(base64_decoder_rejects_bad_text) {
  for (std::string bad : {"Zg=", "Zg", "Z===", "Zg==Zg==", "Zm9v!m9v", "Zm9v\nZm9", " Zm9", "Zm9 ", "Zg=A",
                          "=Zm9", "Zm9vYmFy====", "Zm\xc3\xa9v"}) {
    auto [status, message] = failure([&] {
      Base64Decoder d;
      std::string buf(d.max_output(bad.size()) + 4, '\0');
      d.feed(bad, reinterpret_cast<unsigned char *>(buf.data()));
      d.finish();
    });
    BOOST_CHECK_MESSAGE(status == NVDB_ECORRUPT, "accepted base64 \"" << bad << "\"");
  }
}

BOOST_AUTO_TEST_CASE(md5_of_auto_id_vectors) {
  bj::value exp = expected("b_autoid");
  const bj::array &inputs = exp.at("auto_ids").at("inputs").as_array();
  BOOST_REQUIRE(!inputs.empty());
  for (const bj::value &in : inputs) {
    std::vector<float> v;
    for (const bj::value &x : in.at("vector_f32").as_array()) v.push_back(static_cast<float>(x.to_number<double>()));
    BOOST_CHECK_EQUAL(md5_hex(v.data(), v.size() * sizeof(float)), std::string(in.at("md5_id").as_string()));
  }
}

// --- fixtures ------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(fixtures_parse) {
  struct First {
    const char *name;
    float values[3];
  } firsts[] = {{"a_small", {-0.25032466650009155f, -0.644580602645874f, 0.19112934172153473f}},
                {"b_autoid", {0.4341217875480652f, -0.1746947467327118f, -0.2601362466812134f}},
                {"e_empty", {}},
                {"g_int_ids_plain", {-0.04156619682908058f, -0.785017728805542f, 0.5419631004333496f}}};
  for (const First &first : firsts) {
    BOOST_TEST_CONTEXT(first.name) {
      std::string name = first.name;
      bj::value exp = expected(name);
      nanovdb::File f = nanovdb::read(fixture_path(name + ".db.json"));
      BOOST_CHECK_EQUAL(f.dim, exp.at("embedding_dim").to_number<std::uint32_t>());

      const bj::array &ids = exp.at("ids_in_row_order").as_array();
      BOOST_REQUIRE_EQUAL(f.records.size(), ids.size());
      for (std::size_t i = 0; i < ids.size(); ++i) {
        BOOST_CHECK_EQUAL(f.records[i].id, id_text(ids[i]));
        BOOST_CHECK_EQUAL(f.records[i].id_is_number, ids[i].is_int64());
      }

      bool has_extra = false;
      for (const bj::value &k : exp.at("top_level_keys_in_file_order").as_array())
        has_extra |= k.as_string() == "additional_data";
      BOOST_CHECK_EQUAL(f.has_additional_data, has_extra);
      if (has_extra) BOOST_CHECK(bj::parse(compact(f.additional_data)) == exp.at("additional_data"));

      BOOST_REQUIRE_EQUAL(f.matrix.size(), ids.size() * f.dim);
      if (!f.matrix.empty())
        for (int j = 0; j < 3; ++j) BOOST_CHECK_EQUAL(f.matrix[j], first.values[j]);
      for (std::size_t r = 0; r < ids.size(); ++r) {  // nano-vectordb stores unit rows
        double norm = 0;
        for (std::size_t j = 0; j < f.dim; ++j) norm += double(f.matrix[r * f.dim + j]) * f.matrix[r * f.dim + j];
        BOOST_CHECK_SMALL(std::sqrt(norm) - 1.0, 1e-6);
      }

      // The metadata: every record of the file minus "__id__".
      bj::value file = bj::parse(slurp(fixture_path(name + ".db.json")));
      const bj::array &data = file.at("data").as_array();
      for (std::size_t i = 0; i < data.size(); ++i) {
        bj::object rec = data[i].as_object();
        rec.erase("__id__");
        BOOST_CHECK(bj::parse(compact(f.records[i].meta)) == bj::value(rec));
      }

      // Scores recomputed from the matrix give the expected answers.
      for (const bj::value &q : exp.at("queries").as_array()) {
        std::vector<double> v;
        for (const bj::value &x : q.at("vector").as_array()) v.push_back(x.to_number<double>());
        double qn = std::sqrt(std::inner_product(v.begin(), v.end(), v.begin(), 0.0));
        std::vector<std::pair<double, std::size_t>> scores;
        for (std::size_t r = 0; r < f.records.size(); ++r) {
          double s = 0;
          for (std::size_t j = 0; j < f.dim; ++j) s += f.matrix[r * f.dim + j] * v[j] / qn;
          scores.push_back({-s, r});
        }
        std::sort(scores.begin(), scores.end());
        const bj::array &want = q.at("ids").as_array();
        const bj::array &want_scores = q.at("scores").as_array();
        for (std::size_t k = 0; k < want.size(); ++k) {
          BOOST_CHECK_EQUAL(f.records[scores[k].second].id, id_text(want[k]));
          BOOST_CHECK_SMALL(-scores[k].first - want_scores[k].to_number<double>(), 1e-5);
        }
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(id_position_is_kept) {
  nanovdb::File a = nanovdb::read(fixture_path("a_small.db.json"));
  BOOST_CHECK_EQUAL(a.records[0].id_pos, 0u);
  BOOST_CHECK_EQUAL(a.records[2].id_pos, 1u);  // {"order": ..., "__id__": ..., "group": ...}
  nanovdb::File b = nanovdb::read(fixture_path("b_autoid.db.json"));
  for (const auto &r : b.records) BOOST_CHECK_EQUAL(r.id_pos, json::Value(r.meta.data()).count());
}

BOOST_AUTO_TEST_CASE(chunked_parse_equals_whole) {
  for (const char *name : kFixtures) {
    std::string text = slurp(fixture_path(std::string(name) + ".db.json"));
    nanovdb::File whole = nanovdb::parse(text);
    for (std::size_t chunk : {1, 2, 3, 5, 7, 64, 4096}) {
      BOOST_TEST_CONTEXT(name << " in chunks of " << chunk) { check_same(nanovdb::parse_in_chunks(text, chunk), whole); }
    }
  }
}

BOOST_AUTO_TEST_CASE(fixtures_round_trip_byte_for_byte) {
  TempDir dir;
  for (const char *name : kFixtures) {
    BOOST_TEST_CONTEXT(name) {
      std::string original = slurp(fixture_path(std::string(name) + ".db.json"));
      std::string out = (dir.path / (std::string(name) + ".db.json")).string();
      write_file(out, nanovdb::parse(original));
      std::string written = slurp(out);
      if (written != original) {
        auto diff = std::mismatch(written.begin(), written.end(), original.begin(), original.end());
        std::size_t at = static_cast<std::size_t>(diff.first - written.begin());
        BOOST_ERROR("first difference at byte " << at << ": wrote \"" << written.substr(at > 40 ? at - 40 : 0, 80)
                                                << "\", expected \"" << original.substr(at > 40 ? at - 40 : 0, 80) << "\"");
      }
    }
  }
  BOOST_CHECK_EQUAL(dir.names().size(), std::size(kFixtures));  // no temporaries left
}

BOOST_AUTO_TEST_CASE(int_id_colliding_with_string_id) {
  auto [status, message] = failure([] { nanovdb::read(fixture_path("f_int_ids.db.json")); });
  BOOST_CHECK_EQUAL(status, NVDB_EID);
  BOOST_CHECK_MESSAGE(message.find("3 (a number)") != std::string::npos, message);
  BOOST_CHECK_MESSAGE(message.find("\"3\" (a string)") != std::string::npos, message);
}

// --- corrupt input ---------------------------------------------------------------

BOOST_AUTO_TEST_CASE(truncated_files) {
  std::string text = slurp(fixture_path("a_small.db.json"));
  for (std::size_t k = 0; k < 20; ++k) {
    std::size_t at = text.size() * k / 20 + k;  // spread out, and not on round numbers
    check_fails(text.substr(0, at), NVDB_ECORRUPT);
  }
  check_fails(text.substr(0, text.size() - 1), NVDB_ECORRUPT, "truncated");
  check_fails(text.substr(0, text.find("\"matrix\"") + 20), NVDB_ECORRUPT);
  check_fails("", NVDB_ECORRUPT);
  check_fails("   ", NVDB_ECORRUPT);
}

BOOST_AUTO_TEST_CASE(bad_matrix) {
  std::string text = slurp(fixture_path("a_small.db.json"));
  std::size_t m = text.find("\"matrix\": \"") + 11;
  for (char c : {'!', '-', '_', ' ', '='}) {
    std::string flipped = text;
    flipped[m + 100] = c;
    check_fails(flipped, NVDB_ECORRUPT, "matrix");
  }
  std::string shorter = text;
  shorter.erase(m + 8, 4);  // one group less: 3 bytes short
  check_fails(shorter, NVDB_ECORRUPT, "need");
  std::string longer = text;
  longer.insert(m, "AAAAAAAAAAAAAAAA");  // 12 bytes more: 3 floats
  check_fails(longer, NVDB_ECORRUPT, "need");
  std::string row_more = text;
  row_more.insert(m, floats_b64(std::vector<float>(8 * 3, 0.5f)));
  check_fails(row_more, NVDB_ECORRUPT, "need");

  // A zero vector, which nano-vectordb stores as a row of NaN.
  float nan_row[2];
  std::uint32_t nan_bits = 0xffc00000u;
  std::memcpy(&nan_row[0], &nan_bits, 4);
  std::memcpy(&nan_row[1], &nan_bits, 4);
  check_fails(file_text("{\"__id__\": \"a\"}, {\"__id__\": \"z\"}", floats_b64({1, 0, nan_row[0], nan_row[1]})),
              NVDB_ECORRUPT, "zero vector");
  check_fails(file_text("{\"__id__\": \"a\"}", floats_b64({1, INFINITY})), NVDB_ECORRUPT, "row 0");
  check_fails(file_text("{\"__id__\": \"a\"}", "AAAAAA=="), NVDB_ECORRUPT);
  check_fails(file_text("{\"__id__\": \"a\"}", "AAAAAAAAAA"), NVDB_ECORRUPT, "multiple of 4");
}

BOOST_AUTO_TEST_CASE(bad_structure) {
  std::string ok_matrix = floats_b64({0.6f, 0.8f});
  std::string one = "{\"__id__\": \"a\", \"x\": 1}";
  BOOST_CHECK_EQUAL(nanovdb::parse(file_text(one, ok_matrix)).records.at(0).id, "a");

  // Missing, unknown, repeated and mistyped top-level keys.
  check_fails("{\"data\": [], \"matrix\": \"\"}", NVDB_ECORRUPT, "embedding_dim");
  check_fails("{\"embedding_dim\": 2, \"matrix\": \"\"}", NVDB_ECORRUPT, "data");
  check_fails("{\"embedding_dim\": 2, \"data\": []}", NVDB_ECORRUPT, "matrix");
  check_fails("{}", NVDB_ECORRUPT, "missing");
  check_fails("{\"embedding_dim\": 2, \"data\": [], \"matrix\": \"\", \"version\": 1}", NVDB_ECORRUPT, "version");
  check_fails("{\"embedding_dim\": 2, \"embedding_dim\": 2, \"data\": [], \"matrix\": \"\"}", NVDB_ECORRUPT, "repeated");
  check_fails("{\"embedding_dim\": \"2\", \"data\": [], \"matrix\": \"\"}", NVDB_ECORRUPT, "embedding_dim");
  check_fails("{\"embedding_dim\": 2, \"data\": {}, \"matrix\": \"\"}", NVDB_ECORRUPT, "data");
  check_fails("{\"embedding_dim\": 2, \"data\": [], \"matrix\": []}", NVDB_ECORRUPT, "matrix");
  check_fails("{\"embedding_dim\": 2, \"data\": [], \"matrix\": \"\", \"additional_data\": [1]}", NVDB_ECORRUPT,
              "additional_data");
  check_fails("[]", NVDB_ECORRUPT, "object");
  check_fails("\"x\"", NVDB_ECORRUPT, "object");
  check_fails("{\"embedding_dim\": 2, \"data\": [], \"matrix\": \"\"} x", NVDB_ECORRUPT, "after");
  for (const char *dim : {"0", "-1", "65537", "2.0", "1e3", "99999999999999999999999", "true"})
    check_fails("{\"embedding_dim\": " + std::string(dim) + ", \"data\": [], \"matrix\": \"\"}", NVDB_ECORRUPT,
                "embedding_dim");
  BOOST_CHECK_EQUAL(nanovdb::parse("{\"matrix\": \"\", \"data\": [], \"embedding_dim\": 65536}").dim, 65536u);

  // Records.
  check_fails(file_text("1", ok_matrix), NVDB_ECORRUPT, "record 0");
  check_fails(file_text("[]", ok_matrix), NVDB_ECORRUPT, "record 0");
  check_fails(file_text("{\"x\": 1}", ok_matrix), NVDB_ECORRUPT, "__id__");
  check_fails(file_text("{\"__id__\": \"a\", \"__id__\": \"b\"}", ok_matrix), NVDB_ECORRUPT, "__id__");
  check_fails(file_text("{\"__id__\": \"a\", \"x\": 1, \"x\": 2}", ok_matrix), NVDB_ECORRUPT, "record 0");
  check_fails(file_text("{\"__id__\": 3.5}", ok_matrix), NVDB_ECORRUPT, "string or an integer");
  check_fails(file_text("{\"__id__\": 3e2}", ok_matrix), NVDB_ECORRUPT, "string or an integer");
  check_fails(file_text("{\"__id__\": null}", ok_matrix), NVDB_ECORRUPT, "string or an integer");
  check_fails(file_text("{\"__id__\": true}", ok_matrix), NVDB_ECORRUPT, "string or an integer");
  check_fails(file_text("{\"__id__\": [\"a\"]}", ok_matrix), NVDB_ECORRUPT, "string or an integer");
  check_fails(file_text("{\"__id__\": {}}", ok_matrix), NVDB_ECORRUPT, "string or an integer");

  // NaN and Infinity, anywhere.
  for (const char *bad : {"NaN", "Infinity", "-Infinity", "1e999", "[1, NaN]"})
    check_fails(file_text("{\"__id__\": \"a\", \"x\": " + std::string(bad) + "}", ok_matrix), NVDB_ECORRUPT);
  check_fails("{\"embedding_dim\": NaN, \"data\": [], \"matrix\": \"\"}", NVDB_ECORRUPT);

  // Invalid UTF-8 and too deep nesting.
  check_fails(file_text("{\"__id__\": \"a\", \"x\": \"\xff\"}", ok_matrix), NVDB_ECORRUPT);
  std::string deep = std::string(64, '[') + std::string(64, ']');
  BOOST_CHECK_NO_THROW(nanovdb::parse(file_text("{\"__id__\": \"a\", \"x\": " + deep.substr(1, 126) + "}", ok_matrix)));
  check_fails(file_text("{\"__id__\": \"a\", \"x\": " + deep + "}", ok_matrix), NVDB_ECORRUPT, "nesting");
  check_fails(file_text("{\"__id__\": \"a\", \"x\": " + std::string(5000, '[') + "}", ok_matrix), NVDB_ECORRUPT);
}

BOOST_AUTO_TEST_CASE(bad_ids) {
  std::string m1 = floats_b64({0.6f, 0.8f}), m2 = floats_b64({0.6f, 0.8f, 1, 0});
  check_fails(file_text("{\"__id__\": \"\"}", m1), NVDB_EID, "empty");
  check_fails(file_text("{\"__id__\": \"" + std::string(1025, 'x') + "\"}", m1), NVDB_EID, "1024");
  BOOST_CHECK_NO_THROW(nanovdb::parse(file_text("{\"__id__\": \"" + std::string(1024, 'x') + "\"}", m1)));
  check_fails(file_text("{\"__id__\": \"a\\u0000b\"}", m1), NVDB_EID, "NUL");
  check_fails(file_text("{\"__id__\": \"a\"}, {\"__id__\": \"a\"}", m2), NVDB_EID, "\"a\" (a string)");
  check_fails(file_text("{\"__id__\": 7}, {\"__id__\": 7}", m2), NVDB_EID, "7 (a number)");
  check_fails(file_text("{\"__id__\": \"7\"}, {\"__id__\": 7}", m2), NVDB_EID, "records 0 and 1");

  // Integer ids of any size keep their decimal text; -0 is Python's 0.
  nanovdb::File f = nanovdb::parse(
      file_text("{\"__id__\": -0}, {\"__id__\": 123456789012345678901234567890}", m2));
  BOOST_CHECK_EQUAL(f.records[0].id, "0");
  BOOST_CHECK_EQUAL(f.records[1].id, "123456789012345678901234567890");
  BOOST_CHECK(f.records[1].id_is_number);
}

BOOST_AUTO_TEST_CASE(files_that_cannot_be_read) {
  TempDir dir;
  BOOST_CHECK_EQUAL(failure([&] { nanovdb::read((dir.path / "missing.json").string()); }).first, NVDB_ENOTFOUND);
  auto [status, message] = failure([&] { nanovdb::read(dir.path.string()); });
  BOOST_CHECK_EQUAL(status, NVDB_EIO);
  BOOST_CHECK_MESSAGE(message.find(dir.path.string()) != std::string::npos, message);
  std::string empty = (dir.path / "empty.json").string();
  std::ofstream(empty).close();
  BOOST_CHECK_EQUAL(failure([&] { nanovdb::read(empty); }).first, NVDB_ECORRUPT);
}

// --- writing ---------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(write_to_missing_folder) {
  TempDir dir;
  nanovdb::File f = nanovdb::read(fixture_path("a_small.db.json"));
  auto [status, message] = failure([&] { write_file((dir.path / "no" / "x.json").string(), f); });
  BOOST_CHECK_EQUAL(status, NVDB_EIO);
  BOOST_CHECK_MESSAGE(message.find("x.json") != std::string::npos, message);
  BOOST_CHECK(dir.names().empty());
}

BOOST_AUTO_TEST_CASE(write_replaces_atomically) {
  TempDir dir;
  std::string path = (dir.path / "db.json").string();
  nanovdb::File a = nanovdb::read(fixture_path("a_small.db.json"));
  nanovdb::File b = nanovdb::read(fixture_path("b_autoid.db.json"));
  write_file(path, a);
  ::chmod(path.c_str(), 0640);
  struct stat before {};
  ::stat(path.c_str(), &before);

  // A failure half-way (here the record source throws) leaves the old file whole.
  auto [status, message] = failure([&] {
    nanovdb::write(path, b.dim, b.records.size(), [&](std::size_t i) -> nanovdb::RecordView {
      if (i == 20) throw Error(NVDB_EINTERNAL, "source failed");
      return view(b, i);
    }, nullptr);
  });
  BOOST_CHECK_EQUAL(status, NVDB_EINTERNAL);
  BOOST_CHECK(slurp(path) == slurp(fixture_path("a_small.db.json")));
  BOOST_CHECK_EQUAL(dir.names().size(), 1u);

  write_file(path, b);
  BOOST_CHECK(slurp(path) == slurp(fixture_path("b_autoid.db.json")));
  BOOST_CHECK_EQUAL(dir.names().size(), 1u);
  struct stat after {};
  ::stat(path.c_str(), &after);
  BOOST_CHECK_NE(before.st_ino, after.st_ino);  // a new file renamed over the old one
  BOOST_CHECK_EQUAL(after.st_mode & 07777, 0640u);
}

BOOST_AUTO_TEST_CASE(write_places_ids_and_rejects_bad_numeric_ids) {
  TempDir dir;
  std::string path = (dir.path / "ids.json").string();
  std::string meta = json::encode_object("{\"a\": 1, \"b\": [2.5, \"x\"]}", "meta", true);
  std::string empty = json::empty_object();
  float v[2] = {0.6f, 0.8f};
  std::vector<nanovdb::RecordView> rows = {{"k0", false, 0, json::Value(meta.data()), v},
                                           {"k1", false, 1, json::Value(meta.data()), v},
                                           {"42", true, 2, json::Value(meta.data()), v},
                                           {"k3", false, 7, json::Value(meta.data()), v},
                                           {"-5", true, 0, json::Value(empty.data()), v}};
  nanovdb::write(path, 2, rows.size(), [&](std::size_t i) { return rows[i]; }, &empty);
  std::string m = floats_b64({0.6f, 0.8f, 0.6f, 0.8f, 0.6f, 0.8f, 0.6f, 0.8f, 0.6f, 0.8f});
  BOOST_CHECK_EQUAL(slurp(path),
                    "{\"embedding_dim\": 2, \"data\": [{\"__id__\": \"k0\", \"a\": 1, \"b\": [2.5, \"x\"]}, "
                    "{\"a\": 1, \"__id__\": \"k1\", \"b\": [2.5, \"x\"]}, {\"a\": 1, \"b\": [2.5, \"x\"], \"__id__\": 42}, "
                    "{\"a\": 1, \"b\": [2.5, \"x\"], \"__id__\": \"k3\"}, {\"__id__\": -5}], \"matrix\": \"" +
                        m + "\", \"additional_data\": {}}");
  nanovdb::File f = nanovdb::read(path);
  BOOST_CHECK_EQUAL(f.records[2].id_pos, 2u);
  BOOST_CHECK_EQUAL(f.records[3].id_pos, 2u);

  std::string before = slurp(path);
  for (const char *bad : {"4x", "", "-", "1.5"}) {
    nanovdb::RecordView r{bad, true, 0, json::Value(empty.data()), v};
    BOOST_CHECK_EQUAL(failure([&] { nanovdb::write(path, 2, 1, [&](std::size_t) { return r; }, nullptr); }).first,
                      NVDB_EID);
  }
  BOOST_CHECK(slurp(path) == before);
  BOOST_CHECK_EQUAL(dir.names().size(), 1u);
}

// A matrix larger than read()'s chunks and the writer's encoding stage.
BOOST_AUTO_TEST_CASE(large_file_round_trip) {
  TempDir dir;
  const std::uint32_t dim = 1000;  // 4000-byte rows: not a multiple of 3
  const std::size_t count = 3001;
  nanovdb::File f;
  f.dim = dim;
  f.matrix.resize(count * dim);
  std::uint32_t state = 12345;
  for (float &x : f.matrix) {
    state = state * 1664525u + 1013904223u;
    x = static_cast<float>(state >> 8) / 16777216.0f - 0.5f;
  }
  std::string meta = json::encode_object("{\"text\": \"some text\", \"n\": 7}", "meta", true);
  for (std::size_t i = 0; i < count; ++i) f.records.push_back({"id-" + std::to_string(i), false, 0, meta});
  std::string path = (dir.path / "big.json").string();
  write_file(path, f);
  nanovdb::File g = nanovdb::read(path);
  check_same(f, g);
  BOOST_CHECK(nanovdb::parse(slurp(path)).matrix == f.matrix);
}
