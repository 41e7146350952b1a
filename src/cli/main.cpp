// nvdb: the command-line face of libnvdb. See README.md ("The nvdb command")
// and the man page (nvdb.1) for the forms; scripts rely on them, so they
// stay stable.
//
// Exit status: 0 success, 1 an error (one line on stderr naming it), 2 a
// usage error, 3 nvdb verify found the database damaged.
#include <CLI/CLI.hpp>

#include <iostream>
#include <map>

#include "commands.hpp"
#include "jsonl.hpp"
#include "nvdb.h"

namespace {

using namespace nvdb::cli;

constexpr const char *kExitStatus =
    "Exit status: 0 success, 1 error (one line on stderr), 2 usage error,\n"
    "3 the database is damaged (verify).";

struct Args {
  std::string db, src, dst;
  std::uint32_t import_element_type = NVDB_ELEMENT_DEFAULT;
  std::vector<std::string> ids;
  UpsertArgs upsert;
  QueryArgs query;
  BenchArgs bench;
  bool json = false;
};

using Run = std::function<int()>;

// --element-type NAME: what a database created by the command stores for
// its scan (nvdb_element_type); an existing one must already be of it.
void add_element_type_option(CLI::App *command, std::uint32_t &element_type) {
  const std::map<std::string, std::uint32_t> names{{"float32", NVDB_ELEMENT_FLOAT32},
                                                   {"float16", NVDB_ELEMENT_FLOAT16},
                                                   {"bfloat16", NVDB_ELEMENT_BFLOAT16},
                                                   {"int8", NVDB_ELEMENT_INT8}};
  command
      ->add_option("--element-type", element_type,
                   "Vectors of a database to create, as the scan reads them: float32 (default), "
                   "float16, bfloat16 or int8 (not for .json files)")
      ->transform(CLI::CheckedTransformer(names));
}

// A subcommand with its examples and the exit statuses under its options.
CLI::App *subcommand(CLI::App &app, const char *name, const std::string &description,
                     const std::string &examples) {
  CLI::App *sub = app.add_subcommand(name, description);
  sub->footer("Examples:\n" + examples + "\n" + kExitStatus);
  return sub;
}

void declare_records(CLI::App &app, Args &a, Run &run) {
  auto *info = subcommand(app, "info", "Print the database's dim, metric, count and storage as one JSON object",
                          "  nvdb info docs.json\n  nvdb info shm:docs\n");
  info->add_option("DB", a.db, "Database locator: a .json file, shm:NAME or a store file")->required();
  info->callback([&] { run = [&] { run_info(a.db); return kExitOk; }; });

  auto *upsert = subcommand(
      app, "upsert",
      "Insert or replace records read from stdin, one JSON object per line:\n"
      "{\"id\": \"...\", \"vector\": [...], \"metadata\": {...}} (id and metadata optional).\n"
      "Prints {\"update\": [ids], \"insert\": [ids]}. Shows progress on a terminal for large inputs.",
      "  echo '{\"id\": \"a\", \"vector\": [1, 0, 0]}' | nvdb upsert docs.json --dim 3\n"
      "  nvdb upsert shm:docs --batch 10000 < records.jsonl\n");
  upsert->add_option("DB", a.upsert.db, "Database locator; created if missing")->required();
  upsert->add_option("--batch", a.upsert.batch, "Commit every N records, and at the end (default 1000)")
      ->check(CLI::Range(1, 100000000));
  upsert->add_option("--dim", a.upsert.dim,
                     "Dimension of a database to create (default: the first vector's length)")
      ->check(CLI::Range(1, NVDB_MAX_DIM));
  add_element_type_option(upsert, a.upsert.element_type);
  upsert->callback([&] { run = [&] { run_upsert(a.upsert); return kExitOk; }; });

  auto *query = subcommand(
      app, "query",
      "Answer query vectors read from stdin (one JSON array per line) with one JSON array\n"
      "of hits {\"id\", \"score\", \"metadata\"} per line, flushed as each is answered\n"
      "(with --batch, as each batch is)",
      "  echo '[1, 0, 0]' | nvdb query docs.json --top-k 3\n"
      "  nvdb query shm:docs --filter '{\"genre\": \"jazz\"}' --threshold 0.5 < queries.jsonl\n"
      "  nvdb query --batch docs.nvdb < queries.jsonl > answers.jsonl\n");
  query->add_option("DB", a.query.db, "Database locator")->required();
  query->add_option("--top-k,-k", a.query.top_k, "Hits per query (default 10)");
  query->add_option("--threshold", a.query.threshold, "Keep only hits scoring at least T");
  query->add_option("--filter", a.query.filter,
                    "Declarative metadata filter, a JSON object ($eq $ne $gt $gte $lt $lte $in $nin "
                    "$exists $and $or $not)");
  auto *batch = query->add_flag("--batch", a.query.batch,
                  "Answer the lines --batch-size at a time, with one batch query each (the same\n"
                  "answers, written when a batch or the input ends)");
  query->add_option("--batch-size", a.query.batch_size, "Lines per batch query (default 1000)")
      ->check(CLI::Range(1, 1000000))
      ->needs(batch);
  query->callback([&] { run = [&] { run_query(a.query); return kExitOk; }; });

  auto *get = subcommand(app, "get", "Print the records with these ids, one JSON object per line, in the order asked",
                         "  nvdb get docs.json doc-1 doc-2\n");
  get->add_option("DB", a.db, "Database locator")->required();
  get->add_option("ID", a.ids, "Record ids (unknown ones are skipped)")->required();
  get->callback([&] { run = [&] { run_get(a.db, a.ids); return kExitOk; }; });

  auto *del = subcommand(app, "delete", "Delete the records with these ids; prints {\"deleted\": N}",
                         "  nvdb delete docs.json doc-1 doc-2\n");
  del->add_option("DB", a.db, "Database locator")->required();
  del->add_option("ID", a.ids, "Record ids (unknown ones are ignored)")->required();
  del->callback([&] { run = [&] { run_delete(a.db, a.ids); return kExitOk; }; });

  auto *imp = subcommand(app, "import",
                         "Upsert every record of SRC into DST (created if missing); prints {\"imported\": N}.\n"
                         "Shows progress on a terminal.",
                         "  nvdb import docs.json shm:docs\n  nvdb import docs.json docs.nvdb\n");
  imp->add_option("SRC", a.src, "Source database")->required();
  imp->add_option("DST", a.dst, "Destination database")->required();
  add_element_type_option(imp, a.import_element_type);
  imp->callback([&] { run = [&] { run_import(a.src, a.dst, a.import_element_type); return kExitOk; }; });

  auto *exp = subcommand(app, "export",
                         "Write the database as a nano-vectordb JSON file; prints {\"exported\": N}.\n"
                         "Shows progress on a terminal.",
                         "  nvdb export shm:docs backup.json\n");
  exp->add_option("DB", a.db, "Database locator")->required();
  exp->add_option("DST", a.dst, "Destination .json file (replaced atomically)")->required();
  exp->callback([&] { run = [&] { run_export(a.db, a.dst); return kExitOk; }; });
}

void declare_maintenance(CLI::App &app, Args &a, Run &run) {
  auto *verify = subcommand(
      app, "verify",
      "Check the database's checksums and structure: the header, every commit record,\n"
      "every row, the heap and the live vectors. Reports what is wrong; exit status 3\n"
      "when it is damaged. Opens it read-only: safe while a writer works.",
      "  nvdb verify docs.nvdb\n  nvdb verify --json shm:docs\n");
  verify->add_option("DB", a.db, "Database locator")->required();
  verify->add_flag("--json", a.json, "Print nvdb_verify's JSON report instead of text");
  verify->callback([&] { run = [&] { return run_verify(a.db, a.json); }; });

  auto *compact = subcommand(
      app, "compact",
      "Rewrite a store into a new generation without dead (deleted or replaced) rows,\n"
      "and print the sizes before and after. Readers keep working meanwhile.",
      "  nvdb compact docs.nvdb\n  nvdb compact --json shm:docs\n");
  compact->add_option("DB", a.db, "Database locator (a store, or a .json file)")->required();
  compact->add_flag("--json", a.json, "Print one JSON object instead of text");
  compact->callback([&] { run = [&] { return run_compact(a.db, a.json); }; });

  auto *readers = subcommand(app, "readers",
                             "List the live reader processes of a store: pid, start time, generation, command",
                             "  nvdb readers shm:docs\n  nvdb readers --json docs.nvdb\n");
  readers->add_option("DB", a.db, "Database locator (shm:NAME or a store file)")->required();
  readers->add_flag("--json", a.json, "Print one JSON object instead of text");
  readers->callback([&] { run = [&] { return run_readers(a.db, a.json); }; });

  auto *bench = subcommand(
      app, "bench",
      "A quick self-benchmark: fills a temporary :memory: database with random vectors, then\n"
      "times the median query (top 10, cosine) against a parallel read of as many bytes (the\n"
      "memory-bandwidth bound), interleaved in one run, and prints both and their ratio",
      "  nvdb bench\n  nvdb bench --rows 20000 --dim 384 --json\n");
  bench->add_option("--rows", a.bench.rows, "Number of vectors (default 100000)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{100000000}));
  bench->add_option("--dim", a.bench.dim, "Their dimension (default 1024)")->check(CLI::Range(1, NVDB_MAX_DIM));
  bench->add_option("--queries", a.bench.queries, "Timed queries, and as many timed reads (default 50)")
      ->check(CLI::Range(1, 100000));
  bench->add_flag("--json", a.bench.json, "Print one JSON object instead of text");
  bench->callback([&] { run = [&] { return run_bench(a.bench); }; });
}

}  // namespace

int main(int argc, char **argv) {
  CLI::App app("nvdb: a small, fast vector database (nano-vectordb compatible).\n"
               "DB is a locator: a nano-vectordb .json file, shm:NAME (a store in shared memory)\n"
               "or any other path (a store file). `nvdb SUBCOMMAND --help` describes each.",
               "nvdb");
  app.set_version_flag("--version", nvdb_version(), "Print the library's version and exit");
  app.require_subcommand(1);
  Args args;
  Run run;
  declare_records(app, args, run);
  declare_maintenance(app, args, run);
  // Set after the subcommands, which would otherwise inherit it.
  app.footer(std::string("Examples:\n  nvdb info docs.json\n  echo '[1, 0, 0]' | nvdb query docs.json -k 3\n"
                         "  nvdb verify docs.nvdb\n\n") +
             kExitStatus + "\nSee nvdb(1) for more.");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp &e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp &e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion &e) {
    return app.exit(e);
  } catch (const CLI::ParseError &e) {
    std::cerr << "nvdb: " << e.what() << " (see nvdb --help)\n";
    return kExitUsage;
  }

  const std::string name = app.get_subcommands().front()->get_name();
  try {
    return run();
  } catch (const std::exception &e) {
    std::cerr << "nvdb " << name << ": " << e.what() << '\n';
    return kExitError;
  }
}
