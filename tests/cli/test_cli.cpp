// Black-box tests of the nvdb command (path in $NVDB_CLI): its JSON forms,
// streaming, exit statuses and error lines, which scripts rely on.
#define BOOST_TEST_MODULE nvdb_cli
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "nvdb.h"
#include "support/child.hpp"

namespace json = boost::json;
namespace fs = std::filesystem;


namespace {

// Every subcommand the CLI has (nvdb.1 must describe the same ones).
const char *const kSubcommands[] = {"info",   "upsert", "query",   "get",     "delete",
                                    "import", "export", "verify", "compact", "readers", "bench"};

std::string cli_path() {
  const char *p = std::getenv("NVDB_CLI");
  BOOST_REQUIRE_MESSAGE(p, "NVDB_CLI must name the nvdb binary (ctest sets it)");
  return p;
}

std::string slurp(const fs::path &path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void spit(const fs::path &path, const std::string &text) {
  std::ofstream(path, std::ios::binary) << text;
}

std::vector<std::string> lines_of(const std::string &text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

struct Result {
  int status = -1;
  std::string out, err;
};

// The nvdb binary with a file for its stderr.
class Child : public nvdb_test::Child {
 public:
  Child(const std::vector<std::string> &args, const fs::path &err_file)
      : nvdb_test::Child(with_program(args), err_file.string(), Stderr::truncate),
        err_file_(err_file) {}
  Result finish() {
    Result r;
    close_stdin();
    r.out = rest();
    r.status = wait();
    r.err = slurp(err_file_);
    return r;
  }

 private:
  static std::vector<std::string> with_program(std::vector<std::string> args) {
    args.insert(args.begin(), cli_path());
    return args;
  }
  fs::path err_file_;
};

// Each test case runs in a fresh temporary directory holding a copy of the
// a_small fixture as "a.json".
struct Workspace {
  fs::path dir;
  Workspace() {
    char tmpl[] = "/tmp/nvdb-cli-XXXXXX";
    dir = mkdtemp(tmpl);
    fs::copy_file(fs::path(NVDB_TEST_DATA) / "a_small.db.json", dir / "a.json");
  }
  ~Workspace() { fs::remove_all(dir); }

  std::string path(const std::string &name) const { return (dir / name).string(); }

  Result run(const std::vector<std::string> &args, const std::string &input = "") const {
    Child child(args, dir / "stderr.txt");
    BOOST_REQUIRE(child.write(input));
    return child.finish();
  }
  json::value info(const std::string &db) const {
    Result r = run({"info", path(db)});
    BOOST_REQUIRE_EQUAL(r.status, 0);
    return json::parse(r.out);
  }
  std::size_t count(const std::string &db) const {
    return info(db).at("count").to_number<std::size_t>();
  }
};

json::value expected() {
  return json::parse(slurp(fs::path(NVDB_TEST_DATA) / "a_small.expected.json"));
}

std::string vector_text(const json::value &v) { return json::serialize(v.at("vector")) + "\n"; }

// A query's hits match the fixture's ids in order and its scores within 1e-5.
void check_hits(const json::value &hits, const json::value &q) {
  const auto &ids = q.at("ids").as_array();
  BOOST_REQUIRE_EQUAL(hits.as_array().size(), ids.size());
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const auto &hit = hits.as_array()[i];
    BOOST_TEST(hit.at("id") == ids[i]);
    BOOST_TEST(hit.at("score").to_number<double>() == q.at("scores").as_array()[i].to_number<double>(),
               boost::test_tools::tolerance(1e-5));
    BOOST_TEST(hit.at("metadata").is_object());
  }
}

// An error is reported as exactly one line on stderr.
void check_one_error_line(const Result &r, const std::string &must_contain) {
  BOOST_TEST(r.status == 1);
  BOOST_TEST(lines_of(r.err).size() == 1u, "stderr: " << r.err);
  BOOST_TEST(r.err.find(must_contain) != std::string::npos, "stderr: " << r.err);
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(cli, Workspace)

BOOST_AUTO_TEST_CASE(version_and_usage) {
  Result r = run({"--version"});
  BOOST_TEST(r.status == 0);
  BOOST_TEST(r.out == std::string(NVDB_VERSION_STRING) + "\n");
  BOOST_TEST(run({}).status == 2);
  BOOST_TEST(run({"frobnicate"}).status == 2);
  BOOST_TEST(run({"query"}).status == 2);  // no DB
  BOOST_TEST(run({"upsert", path("a.json"), "--batch", "0"}).status == 2);
  BOOST_TEST(run({"info", path("a.json"), "--bogus"}).status == 2);
  r = run({"--help"});
  BOOST_TEST(r.status == 0);
  for (const char *sub : kSubcommands) BOOST_TEST(r.out.find(sub) != std::string::npos, sub);
  BOOST_TEST(r.out.find("Exit status: 0 success, 1 error") != std::string::npos, r.out);
}

// Every subcommand explains each of its options and shows examples.
BOOST_AUTO_TEST_CASE(every_subcommand_has_help_with_examples) {
  for (const char *sub : kSubcommands) {
    BOOST_TEST_CONTEXT(sub) {
      Result r = run({sub, "--help"});
      BOOST_TEST(r.status == 0);
      BOOST_TEST(r.out.find(std::string("Usage: nvdb ") + sub) != std::string::npos, r.out);
      const std::size_t examples = r.out.find("Examples:\n");
      BOOST_TEST(examples != std::string::npos, r.out);
      BOOST_TEST(r.out.find("nvdb " + std::string(sub) + " ", examples) != std::string::npos, r.out);
      BOOST_TEST(r.out.find("Exit status") != std::string::npos, r.out);
      // No option or positional without a description, on its line or the next.
      const std::vector<std::string> lines = lines_of(r.out);
      for (std::size_t i = 0; i < lines.size(); ++i) {
        const std::string &line = lines[i];
        const bool names_option = line.rfind("  -", 0) == 0 || line.find(" REQUIRED") != std::string::npos;
        const bool described = line.find("    ", 6) != std::string::npos ||
                               (i + 1 < lines.size() && lines[i + 1].find_first_not_of(' ') >= 20);
        if (names_option) BOOST_TEST(described, line);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(info_describes_the_database) {
  json::value info = this->info("a.json");
  BOOST_TEST(info.at("dim") == 8);
  BOOST_TEST(info.at("metric") == "cosine");
  BOOST_TEST(info.at("count") == 50);
  BOOST_TEST(info.at("storage") == "json");
  BOOST_TEST(info.at("format_version").is_number());
}

BOOST_AUTO_TEST_CASE(query_answers_as_nano_vectordb) {
  json::value exp = expected();
  std::string input;
  for (const auto &q : exp.at("queries").as_array()) input += vector_text(q);
  // Each query line runs with the same --top-k; the fixture's queries share one.
  const auto top_k = exp.at("queries").as_array()[0].at("top_k").to_number<int>();
  Result r = run({"query", path("a.json"), "--top-k", std::to_string(top_k)}, input);
  BOOST_REQUIRE_EQUAL(r.status, 0);
  std::vector<std::string> out = lines_of(r.out);
  BOOST_REQUIRE_EQUAL(out.size(), exp.at("queries").as_array().size());
  for (std::size_t i = 0; i < out.size(); ++i) check_hits(json::parse(out[i]), exp.at("queries").as_array()[i]);
}

BOOST_AUTO_TEST_CASE(query_with_threshold_and_filter) {
  json::value exp = expected();
  const json::value &tq = exp.at("threshold_query");
  Result r = run({"query", path("a.json"), "--top-k", std::to_string(tq.at("top_k").to_number<int>()),
                  "--threshold", json::serialize(tq.at("better_than_threshold"))},
                 vector_text(tq));
  BOOST_REQUIRE_EQUAL(r.status, 0);
  check_hits(json::parse(r.out), tq);

  const json::value &fq = exp.at("filtered_query");
  json::object filter;
  filter[fq.at("filter").at("field").as_string()] = fq.at("filter").at("equals");
  r = run({"query", path("a.json"), "-k", std::to_string(fq.at("top_k").to_number<int>()), "--filter",
           json::serialize(filter)},
          vector_text(fq));
  BOOST_REQUIRE_EQUAL(r.status, 0);
  check_hits(json::parse(r.out), fq);
}

// One process serves queries for as long as stdin stays open: each answer
// is on stdout before the next question is asked.
BOOST_AUTO_TEST_CASE(query_streams_one_answer_per_line) {
  Child child({"query", path("a.json"), "--top-k", "2"}, dir / "stderr.txt");
  for (int i = 0; i < 3; ++i) {
    BOOST_REQUIRE(child.write("[1, 0, 0, 0, 0, 0, 0, " + std::to_string(i) + "]\n"));
    json::value hits = json::parse(child.read_line());
    BOOST_TEST(hits.as_array().size() == 2u);
  }
  BOOST_REQUIRE(child.write("\n"));  // blank lines are skipped
  Result r = child.finish();
  BOOST_TEST(r.status == 0);
  BOOST_TEST(r.out == "");
}

BOOST_AUTO_TEST_CASE(query_errors_name_the_line) {
  Result r = run({"query", path("a.json")}, "[1,2,3,4,5,6,7,8]\n[1,2]\n[1,2,3,4,5,6,7,8]\n");
  check_one_error_line(r, "line 2");
  BOOST_TEST(lines_of(r.out).size() == 1u);  // the first answer was given
  check_one_error_line(run({"query", path("a.json")}, "[1,2,3,4,5,6,7,\"x\"]\n"), "line 1");
  check_one_error_line(run({"query", path("a.json")}, "{\"vector\": [1]}\n"), "array");
  check_one_error_line(run({"query", path("a.json")}, "[0,0,0,0,0,0,0,0]\n"), "zero");
  check_one_error_line(run({"query", path("a.json"), "--filter", "{\"n\": {\"$bad\": 1}}"},
                           "[1,2,3,4,5,6,7,8]\n"),
                       "$bad");
  check_one_error_line(run({"query", path("missing.json")}, ""), "missing.json");
}

// --batch answers with nvdb_query_batch, a few lines at a time (3 does not
// divide the fixture's 10 queries), exactly as line by line.
BOOST_AUTO_TEST_CASE(query_batch_answers_as_line_by_line) {
  json::value exp = expected();
  std::string input;
  for (const auto &q : exp.at("queries").as_array()) input += vector_text(q) + "\n";  // blank lines too
  const std::string top_k = std::to_string(exp.at("queries").as_array()[0].at("top_k").to_number<int>());
  Result by_line = run({"query", path("a.json"), "--top-k", top_k}, input);
  Result batched = run({"query", path("a.json"), "--top-k", top_k, "--batch", "--batch-size", "3"}, input);
  Result one_batch = run({"query", "--batch", path("a.json"), "--top-k", top_k}, input);
  BOOST_REQUIRE_EQUAL(batched.status, 0);
  BOOST_REQUIRE_EQUAL(one_batch.status, 0);
  BOOST_TEST(batched.out == by_line.out);
  BOOST_TEST(one_batch.out == by_line.out);
  std::vector<std::string> out = lines_of(batched.out);
  BOOST_REQUIRE_EQUAL(out.size(), exp.at("queries").as_array().size());
  for (std::size_t i = 0; i < out.size(); ++i) check_hits(json::parse(out[i]), exp.at("queries").as_array()[i]);
  BOOST_TEST(run({"query", path("a.json"), "--batch", "--batch-size", "0"}).status == 2);
  BOOST_TEST(run({"query", path("a.json"), "--batch-size", "5"}).status == 2);  // needs --batch
}

// A bad line in a batch: the lines before it are answered, then one error
// line names it, as line by line.
BOOST_AUTO_TEST_CASE(query_batch_errors_name_the_line) {
  const std::vector<std::string> batch = {"query", path("a.json"), "--batch", "--batch-size", "10"};
  Result r = run(batch, "[1,2,3,4,5,6,7,8]\n[8,7,6,5,4,3,2,1]\n[0,0,0,0,0,0,0,0]\n[1,2,3,4,5,6,7,8]\n");
  check_one_error_line(r, "line 3");
  BOOST_TEST(r.err.find("zero") != std::string::npos);
  BOOST_TEST(lines_of(r.out).size() == 2u);
  r = run(batch, "[1,2,3,4,5,6,7,8]\n[1,2]\n[1,2,3,4,5,6,7,8]\n");
  check_one_error_line(r, "line 2");
  BOOST_TEST(lines_of(r.out).size() == 1u);
  r = run(batch, "[1,2,3,4,5,6,7,8]\n\n[1,2,3,4,5,6,7,\"x\"]\n");
  check_one_error_line(r, "line 3");
  BOOST_TEST(lines_of(r.out).size() == 1u);
  std::vector<std::string> filtered = batch;
  filtered.insert(filtered.end(), {"--filter", "{\"n\": {\"$bad\": 1}}"});
  check_one_error_line(run(filtered, "[1,2,3,4,5,6,7,8]\n[1,2,3,4,5,6,7,8]\n"), "$bad");
}

BOOST_AUTO_TEST_CASE(upsert_creates_inserts_updates_and_reports) {
  Result r = run({"upsert", path("new.json"), "--batch", "2"},
                 "{\"id\": \"a\", \"vector\": [1, 0, 0], \"metadata\": {\"k\": 1.10, "
                 "\"big\": 123456789012345678901234567890}}\n"
                 "\n"
                 "{\"id\": \"b\", \"vector\": [0, 1, 0]}\n"
                 "{\"vector\": [0, 0, 1]}\n"
                 "{\"id\": \"a\", \"vector\": [1, 1, 0], \"metadata\": {\"k\": 2}}\n");
  BOOST_REQUIRE_MESSAGE(r.status == 0, r.err);
  json::value report = json::parse(r.out);
  BOOST_TEST(report.at("update") == json::parse("[\"a\"]"));
  const auto &ins = report.at("insert").as_array();
  BOOST_REQUIRE_EQUAL(ins.size(), 3u);
  BOOST_TEST(ins[0] == "a");
  BOOST_TEST(ins[1] == "b");
  BOOST_TEST(ins[2].as_string().size() == 32u);  // md5 hex of the vector, as nano-vectordb
  BOOST_TEST(info("new.json").at("dim") == 3);
  BOOST_TEST(count("new.json") == 3u);

  r = run({"get", path("new.json"), "a"});
  BOOST_REQUIRE_EQUAL(r.status, 0);
  BOOST_TEST(r.out.find("\"metadata\": {\"k\":2}") != std::string::npos, r.out);

  // Metadata passes through the line formats unchanged: big integers stay
  // exact, escapes are decoded. (A .json file keeps non-integers as Python
  // writes them, so 1.10 would come back as 1.1, as from nano-vectordb.)
  r = run({"upsert", path("new.json")},
          "{\"id\": \"c\", \"vector\": [1, 2, 3], \"metadata\": {\"k\": 1.25, \"big\": "
          "123456789012345678901234567890, \"s\": \"caf\\u00e9\"}}\n");
  BOOST_REQUIRE_EQUAL(r.status, 0);
  r = run({"get", path("new.json"), "c"});
  BOOST_TEST(r.out.find("{\"k\":1.25,\"big\":123456789012345678901234567890,\"s\":\"café\"}") !=
                 std::string::npos,
             r.out);
}

BOOST_AUTO_TEST_CASE(upsert_dim_option_creates_an_empty_database) {
  Result r = run({"upsert", path("empty.json"), "--dim", "5"}, "");
  BOOST_REQUIRE_EQUAL(r.status, 0);
  BOOST_TEST(r.out == "{\"update\": [], \"insert\": []}\n");
  BOOST_TEST(info("empty.json").at("dim") == 5);
  // Without --dim and without records there is nothing to create.
  BOOST_TEST(run({"upsert", path("none.json")}, "").status == 0);
  BOOST_TEST(!fs::exists(dir / "none.json"));
}

// A bad line stops the upsert; batches before it are committed, nothing
// from its batch is, and the error line says so.
BOOST_AUTO_TEST_CASE(upsert_errors_name_the_line_and_keep_earlier_batches) {
  const std::string good = "{\"id\": \"g%\", \"vector\": [1, 2, 3, 4, 5, 6, 7, 8]}\n";
  auto rec = [&](int i) {
    std::string s = good;
    s.replace(s.find('%'), 1, std::to_string(i));
    return s;
  };
  struct Case {
    std::string bad_line, must_contain;
  };
  for (const Case &c : std::vector<Case>{
           {"{\"id\": \"x\", \"vector\": [1, 2, 3]}", "dim 8"},
           {"{\"id\": \"x\", \"vector\": [0, 0, 0, 0, 0, 0, 0, 0]}", "zero"},
           {"{\"id\": \"\", \"vector\": [1, 2, 3, 4, 5, 6, 7, 8]}", "id"},
           {"{\"id\": \"x\", \"vector\": [1, 2, 3, 4, 5, 6, 7, 8], \"metadata\": [1]}", "metadata"},
           {"{\"id\": \"x\", \"vector\": [1, 2, 3, 4, 5, 6, 7, 1e999]}", "range"},
           {"{\"id\": \"x\", \"vec\": [1, 2, 3, 4, 5, 6, 7, 8]}", "\"vec\""},
           {"{\"id\": \"x\", \"vector\": [1, 2, 3, 4, 5, 6, 7, 8]", "JSON"},
           {"{\"id\": \"x\", \"vector\": [1, 2, 3, 4, 5, 6, 7, 8], \"metadata\": {\"__id__\": 1}}",
            "reserved"},
       }) {
    BOOST_TEST_CONTEXT(c.bad_line) {
      fs::copy_file(fs::path(NVDB_TEST_DATA) / "a_small.db.json", dir / "a.json",
                    fs::copy_options::overwrite_existing);
      // Lines 1-2 form the first batch; line 3 is good, line 4 bad.
      Result r = run({"upsert", path("a.json"), "--batch", "2"},
                     rec(1) + rec(2) + rec(3) + c.bad_line + "\n" + rec(5));
      check_one_error_line(r, "line 4");
      BOOST_TEST(r.err.find(c.must_contain) != std::string::npos, r.err);
      BOOST_TEST(r.err.find("lines 1-2 committed") != std::string::npos, r.err);
      BOOST_TEST(count("a.json") == 52u);
      BOOST_TEST(run({"get", path("a.json"), "g3"}).out == "");
    }
  }
}

BOOST_AUTO_TEST_CASE(get_prints_found_records_in_the_order_asked) {
  Result r = run({"get", path("a.json"), "doc-010", "missing-id", "文档-007-é", "doc-002"});
  BOOST_REQUIRE_EQUAL(r.status, 0);
  std::vector<std::string> out = lines_of(r.out);
  BOOST_REQUIRE_EQUAL(out.size(), 3u);
  json::value exp = expected();
  std::map<std::string, json::object> want;
  for (const auto &rec : exp.at("get").at("results").as_array()) {
    json::object meta = rec.as_object();
    std::string id(meta.at("__id__").as_string());
    meta.erase("__id__");
    want[id] = meta;
  }
  const char *order[] = {"doc-010", "文档-007-é", "doc-002"};
  for (std::size_t i = 0; i < 3; ++i) {
    json::value rec = json::parse(out[i]);
    BOOST_TEST(rec.at("id") == order[i]);
    BOOST_TEST(rec.at("metadata").as_object() == want[order[i]]);
    const auto &vec = rec.at("vector").as_array();
    BOOST_REQUIRE_EQUAL(vec.size(), 8u);
    double norm = 0;
    for (const auto &x : vec) norm += x.to_number<double>() * x.to_number<double>();
    BOOST_TEST(norm == 1.0, boost::test_tools::tolerance(1e-5));  // stored normalised
  }
}

BOOST_AUTO_TEST_CASE(delete_reports_and_saves) {
  Result r = run({"delete", path("a.json"), "doc-001", "nope", "doc-002"});
  BOOST_REQUIRE_EQUAL(r.status, 0);
  BOOST_TEST(r.out == "{\"deleted\": 2}\n");
  BOOST_TEST(count("a.json") == 48u);
  BOOST_TEST(run({"get", path("a.json"), "doc-001"}).out == "");
  check_one_error_line(run({"delete", path("missing.json"), "x"}), "missing.json");
}

// export writes the nano-vectordb layout: a file loaded and exported
// unchanged is byte for byte the one the Python package wrote.
BOOST_AUTO_TEST_CASE(import_and_export_round_trip) {
  Result r = run({"import", path("a.json"), path("copy.json")});
  BOOST_REQUIRE_MESSAGE(r.status == 0, r.err);
  BOOST_TEST(r.out == "{\"imported\": 50}\n");
  r = run({"export", path("copy.json"), path("back.json")});
  BOOST_REQUIRE_MESSAGE(r.status == 0, r.err);
  BOOST_TEST(r.out == "{\"exported\": 50}\n");
  BOOST_TEST((slurp(dir / "back.json") == slurp(fs::path(NVDB_TEST_DATA) / "a_small.db.json")));
  check_one_error_line(run({"export", path("a.json"), path("no/such/dir/x.json")}), "x.json");
}

// Every subcommand works on both kinds of store, and a nano-vectordb file
// goes into a store and comes back out byte for byte.
BOOST_AUTO_TEST_CASE(stores_in_shared_memory_and_files) {
  const std::string shm = "shm:nvdbcli-" + std::to_string(getpid()) + "-" + dir.filename().string();
  for (const std::string &store : {shm, path("docs.nvdb")}) {
    BOOST_TEST_CONTEXT(store) {
      Result r = run({"import", path("a.json"), store});
      BOOST_REQUIRE_MESSAGE(r.status == 0, r.err);
      json::value info = json::parse(run({"info", store}).out);
      BOOST_TEST(info.at("storage") == (store == shm ? "shm" : "file"));
      BOOST_TEST(info.at("count") == 50);
      BOOST_TEST(info.at("readers").as_array().size() == 1u);  // the info command itself
      json::value exp = expected();
      const json::value &q = exp.at("queries").as_array()[0];
      r = run({"query", store, "--top-k", std::to_string(q.at("top_k").to_number<int>())}, vector_text(q));
      BOOST_REQUIRE_EQUAL(r.status, 0);
      check_hits(json::parse(r.out), q);
      r = run({"upsert", store}, "{\"id\": \"new\", \"vector\": [1, 2, 3, 4, 5, 6, 7, 8]}\n");
      BOOST_TEST(r.out == "{\"update\": [], \"insert\": [\"new\"]}\n");
      BOOST_TEST(run({"get", store, "new"}).out.rfind("{\"id\": \"new\"", 0) == 0u);
      BOOST_TEST(run({"delete", store, "new"}).out == "{\"deleted\": 1}\n");
      r = run({"export", store, path("out.json")});
      BOOST_REQUIRE_MESSAGE(r.status == 0, r.err);
      BOOST_TEST((slurp(dir / "out.json") == slurp(fs::path(NVDB_TEST_DATA) / "a_small.db.json")));
    }
  }
  check_one_error_line(run({"info", "shm:nvdb-no-such-store-here"}), "no such store");
  for (const auto &e : fs::directory_iterator("/dev/shm"))
    if (e.path().filename().string().rfind("nvdb-" + shm.substr(4), 0) == 0) fs::remove(e.path());
}

// --element-type chooses what a new store keeps for its scan; answers stay
// float32's, an existing store must already be of the type, and .json
// files refuse any but float32.
BOOST_AUTO_TEST_CASE(element_type_option_creates_compact_stores) {
  for (const std::string type : {"float16", "bfloat16", "int8"}) {
    BOOST_TEST_CONTEXT(type) {
      const std::string store = path(type + ".nvdb");
      Result r = run({"import", path("a.json"), store, "--element-type", type});
      BOOST_REQUIRE_MESSAGE(r.status == 0, r.err);
      BOOST_TEST(info(type + ".nvdb").at("element_type").as_string() == type);
      json::value exp = expected();
      const json::value &q = exp.at("queries").as_array()[0];
      r = run({"query", store, "--top-k", std::to_string(q.at("top_k").to_number<int>())}, vector_text(q));
      BOOST_REQUIRE_EQUAL(r.status, 0);
      check_hits(json::parse(r.out), q);
      r = run({"upsert", store, "--element-type", "float32"}, "{\"id\": \"x\", \"vector\": [1, 2, 3, 4, 5, 6, 7, 8]}\n");
      check_one_error_line(r, "the vectors are stored as " + type);
      r = run({"upsert", path("new-" + type + ".nvdb"), "--element-type", type, "--dim", "3"}, "");
      BOOST_REQUIRE_MESSAGE(r.status == 0, r.err);
      BOOST_TEST(info("new-" + type + ".nvdb").at("element_type").as_string() == type);
    }
  }
  check_one_error_line(run({"upsert", path("c.json"), "--element-type", "int8", "--dim", "3"}, ""),
                       "float32 vectors only");
  BOOST_TEST(!fs::exists(dir / "c.json"));
  BOOST_TEST(run({"upsert", path("d.nvdb"), "--element-type", "half", "--dim", "3"}, "").status == 2);
  BOOST_TEST(info("a.json").at("element_type") == "float32");
}

BOOST_AUTO_TEST_CASE(corrupt_file_is_refused_and_left_alone) {
  std::string text = slurp(dir / "a.json");
  spit(dir / "bad.json", text.substr(0, text.size() / 2));
  check_one_error_line(run({"info", path("bad.json")}), "bad.json");
  check_one_error_line(run({"upsert", path("bad.json")}, "{\"vector\": [1,2,3,4,5,6,7,8]}\n"),
                       "bad.json");
  BOOST_TEST(slurp(dir / "bad.json") == text.substr(0, text.size() / 2));
}

// A store file made from the fixture, for the maintenance subcommands.
std::string make_store(const Workspace &w, const std::string &name) {
  Result r = w.run({"import", w.path("a.json"), w.path(name)});
  BOOST_REQUIRE_MESSAGE(r.status == 0, r.err);
  return w.path(name);
}

BOOST_AUTO_TEST_CASE(verify_reports_sound_and_damaged_stores) {
  const std::string store = make_store(*this, "v.nvdb");
  Result r = run({"verify", store});
  BOOST_TEST(r.status == 0, r.err);
  BOOST_TEST(r.out.find(store + ": sound\n") == 0u, r.out);
  r = run({"verify", "--json", store});
  BOOST_TEST(r.status == 0);
  json::value report = json::parse(r.out);
  BOOST_TEST(report.at("sound") == true);
  BOOST_TEST(report.at("live") == 50);
  BOOST_TEST(report.at("problems").as_array().empty());
  BOOST_TEST(run({"verify", path("a.json")}).status == 0);

  // Row 0's heap offset (dim 8, 1,024 rows: row entries start at 20480).
  {
    std::fstream f(store + ".1", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(20480);
    f.write("\xff\xff\xff\xff\xff\xff\xff\xff", 8);
  }
  r = run({"verify", store});
  BOOST_TEST(r.status == 3);
  BOOST_TEST(r.out.find(store + ": DAMAGED") == 0u, r.out);
  BOOST_TEST(r.out.find("row 0: its id and metadata lie outside the heap") != std::string::npos, r.out);
  r = run({"verify", "--json", store});
  BOOST_TEST(r.status == 3);
  report = json::parse(r.out);
  BOOST_TEST(report.at("sound") == false);
  BOOST_TEST(report.at("problem_count").to_number<int>() >= 1);

  // A file too damaged to open is damaged too, not an error.
  spit(dir / "bad.json", slurp(dir / "a.json").substr(0, 100));
  r = run({"verify", path("bad.json")});
  BOOST_TEST(r.status == 3);
  BOOST_TEST(r.out.find("DAMAGED") != std::string::npos, r.out);
  r = run({"verify", "--json", path("bad.json")});
  BOOST_TEST(r.status == 3);
  BOOST_TEST(json::parse(r.out).at("problems").as_array()[0].at("part") == "open");
  check_one_error_line(run({"verify", path("missing.nvdb")}), "missing.nvdb");
}

BOOST_AUTO_TEST_CASE(compact_removes_dead_rows_and_prints_sizes) {
  std::string input;
  for (int i = 0; i < 100; ++i)
    input += "{\"id\": \"r" + std::to_string(i) + "\", \"vector\": [1, " + std::to_string(i) + ", 2]}\n";
  Result r = run({"upsert", path("c.nvdb")}, input);
  BOOST_REQUIRE_MESSAGE(r.status == 0, r.err);
  std::vector<std::string> del = {"delete", path("c.nvdb")};
  for (int i = 0; i < 60; ++i) del.push_back("r" + std::to_string(i));
  BOOST_REQUIRE_EQUAL(run(del).status, 0);

  r = run({"compact", "--json", path("c.nvdb")});
  BOOST_REQUIRE_MESSAGE(r.status == 0, r.err);
  json::value c = json::parse(r.out);
  BOOST_TEST(c.at("rows_before") == 100);
  BOOST_TEST(c.at("rows_after") == 40);
  BOOST_TEST(c.at("live") == 40);
  BOOST_TEST(c.at("generation_after").to_number<int>() == c.at("generation_before").to_number<int>() + 1);
  BOOST_TEST(c.at("bytes_after").to_number<double>() > 0);
  BOOST_TEST(c.at("bytes_after").to_number<double>() <= c.at("bytes_before").to_number<double>());
  BOOST_TEST(count("c.nvdb") == 40u);

  r = run({"compact", path("c.nvdb")});
  BOOST_TEST(r.status == 0, r.err);
  BOOST_TEST(r.out.find("compacted: 0 dead rows removed, 40 live") != std::string::npos, r.out);
  BOOST_TEST(r.out.find("rows 40 -> 40") != std::string::npos, r.out);
  BOOST_TEST(run({"verify", path("c.nvdb")}).status == 0);
  check_one_error_line(run({"compact", path("missing.nvdb")}), "missing.nvdb");
}

BOOST_AUTO_TEST_CASE(readers_lists_live_reader_processes) {
  const std::string store = make_store(*this, "r.nvdb");
  Result r = run({"readers", store});
  BOOST_TEST(r.status == 0);
  BOOST_TEST(r.out == store + ": no readers\n");  // the command itself is not listed
  BOOST_TEST(run({"readers", "--json", store}).out == "{\"readers\":[]}\n");

  Child reader({"query", store}, dir / "reader-stderr.txt");
  BOOST_REQUIRE(reader.write("[1, 0, 0, 0, 0, 0, 0, 0]\n"));
  BOOST_REQUIRE(!reader.read_line().empty());  // attached and answering
  json::value list = json::parse(run({"readers", "--json", store}).out);
  BOOST_REQUIRE_EQUAL(list.at("readers").as_array().size(), 1u);
  const json::value &entry = list.at("readers").as_array()[0];
  BOOST_TEST(entry.at("pid") == reader.pid());
  BOOST_TEST(entry.at("command") == "nvdb");
  BOOST_TEST(entry.at("started").as_string().size() == 20u);  // 2026-01-02T03:04:05Z
  BOOST_TEST(entry.at("generation") == 1);
  r = run({"readers", store});
  BOOST_TEST(r.out.find("1 reader\n") != std::string::npos, r.out);
  BOOST_TEST(r.out.find(std::to_string(reader.pid())) != std::string::npos, r.out);
  BOOST_TEST(reader.finish().status == 0);
  BOOST_TEST(run({"readers", path("a.json")}).out.find("no readers") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(bench_measures_query_against_the_bound) {
  Result r = run({"bench", "--rows", "3000", "--dim", "64", "--queries", "5", "--json"});
  BOOST_REQUIRE_MESSAGE(r.status == 0, r.err);
  json::value b = json::parse(r.out);
  BOOST_TEST(b.at("rows") == 3000);
  BOOST_TEST(b.at("dim") == 64);
  BOOST_TEST(b.at("bytes").to_number<double>() == 3000.0 * 64 * 4);
  const double bound = b.at("bound_ms_median").to_number<double>();
  const double query = b.at("query_ms_median").to_number<double>();
  BOOST_TEST(bound > 0);
  BOOST_TEST(query > 0);
  BOOST_TEST(b.at("ratio").to_number<double>() == query / bound, boost::test_tools::tolerance(1e-2));
  r = run({"bench", "--rows", "3000", "--dim", "64", "--queries", "5"});
  BOOST_TEST(r.status == 0);
  BOOST_TEST(r.out.find("bandwidth bound") != std::string::npos, r.out);
  BOOST_TEST(r.out.find("ratio") != std::string::npos, r.out);
  BOOST_TEST(run({"bench", "--rows", "0"}).status == 2);
}

// 12,000 records: past the size at which an upsert shows its progress.
std::string many_records() {
  std::string input;
  for (int i = 0; i < 12000; ++i)
    input += "{\"id\": \"m" + std::to_string(i) + "\", \"vector\": [1, " + std::to_string(i % 97) + "]}\n";
  return input;
}

BOOST_AUTO_TEST_CASE(progress_is_silent_when_stderr_is_not_a_terminal) {
  Result r = run({"upsert", path("big.nvdb")}, many_records());
  BOOST_REQUIRE_EQUAL(r.status, 0);
  BOOST_TEST(r.err == "");
  BOOST_TEST(json::parse(r.out).at("insert").as_array().size() == 12000u);
  r = run({"export", path("big.nvdb"), path("big.json")});
  BOOST_TEST(r.status == 0);
  BOOST_TEST(r.err == "");
  r = run({"import", path("big.json"), path("big2.nvdb")});
  BOOST_TEST(r.out == "{\"imported\": 12000}\n");
  BOOST_TEST(r.err == "");
}

// The command with stderr on a pseudo-terminal, stdin and stdout on files.
struct TtyResult {
  int status = -1;
  std::string out, tty;
};

TtyResult run_on_tty(const Workspace &w, const std::vector<std::string> &args, const std::string &input) {
  spit(w.dir / "tty-in.txt", input);
  int master = -1, slave = -1;
  BOOST_REQUIRE(openpty(&master, &slave, nullptr, nullptr, nullptr) == 0);
  std::vector<std::string> argv = args;
  argv.insert(argv.begin(), cli_path());
  const pid_t pid = fork();
  BOOST_REQUIRE(pid >= 0);
  if (pid == 0) {
    const int in = open((w.dir / "tty-in.txt").c_str(), O_RDONLY);
    const int out = open((w.dir / "tty-out.txt").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (in < 0 || out < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(slave, 2) < 0) _exit(126);
    close(master);
    std::vector<char *> ptrs;
    for (auto &a : argv) ptrs.push_back(a.data());
    ptrs.push_back(nullptr);
    execv(ptrs[0], ptrs.data());
    _exit(127);
  }
  close(slave);
  TtyResult r;
  char buf[4096];
  for (ssize_t n; (n = read(master, buf, sizeof buf)) > 0;) r.tty.append(buf, static_cast<std::size_t>(n));
  close(master);  // read() fails with EIO once the child has closed the terminal
  int status = 0;
  waitpid(pid, &status, 0);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(w.dir / "tty-out.txt");
  return r;
}

BOOST_AUTO_TEST_CASE(progress_is_drawn_on_a_terminal_and_stdout_stays_clean) {
  TtyResult r = run_on_tty(*this, {"upsert", path("tty.nvdb")}, many_records());
  BOOST_REQUIRE_EQUAL(r.status, 0);
  BOOST_TEST(r.tty.find("\r\x1b[Knvdb upsert: ") != std::string::npos, r.tty);
  BOOST_TEST(r.tty.find("records read") != std::string::npos, r.tty);
  BOOST_REQUIRE(r.tty.size() >= 4u);
  BOOST_TEST(r.tty.substr(r.tty.size() - 4) == "\r\x1b[K", "the line is erased at the end");
  BOOST_TEST(json::parse(r.out).at("insert").as_array().size() == 12000u);  // stdout: JSON only
  BOOST_TEST(r.out.find('\r') == std::string::npos);

  r = run_on_tty(*this, {"import", path("a.json"), path("tty2.nvdb")}, "");
  BOOST_REQUIRE_EQUAL(r.status, 0);
  BOOST_TEST(r.tty.find("\r\x1b[Knvdb import: reading " + path("a.json")) != std::string::npos, r.tty);
  BOOST_TEST(r.out == "{\"imported\": 50}\n");
  // Small upserts show nothing.
  r = run_on_tty(*this, {"upsert", path("small.nvdb")}, "{\"id\": \"x\", \"vector\": [1, 2]}\n");
  BOOST_REQUIRE_EQUAL(r.status, 0);
  BOOST_TEST(r.tty == "");
}

BOOST_AUTO_TEST_SUITE_END()
