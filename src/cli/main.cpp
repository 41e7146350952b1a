// nvdb: the command-line face of libnvdb. See README.md ("The nvdb command")
// for the forms; scripts rely on them, so they stay stable.
//
// Exit status: 0 success, 1 an error (one line on stderr naming it), 2 a
// usage error.
#include <CLI/CLI.hpp>

#include <iostream>
#include <map>

#include "commands.hpp"
#include "jsonl.hpp"
#include "nvdb.h"

namespace {

using namespace nvdb::cli;

struct Args {
  std::string db, src, dst;
  std::uint32_t import_element_type = NVDB_ELEMENT_DEFAULT;
  std::vector<std::string> ids;
  UpsertArgs upsert;
  QueryArgs query;
};

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

// Declares every subcommand; the one given on the command line runs after
// parsing, through the callback it registers.
void declare(CLI::App &app, Args &a, std::function<void()> &run) {
  auto *info = app.add_subcommand("info", "Print the database's dim, metric, count and storage as JSON");
  info->add_option("DB", a.db, "Database locator (a .json file)")->required();
  info->callback([&] { run = [&] { run_info(a.db); }; });

  auto *upsert = app.add_subcommand(
      "upsert", "Insert or replace records read from stdin, one JSON object per line:\n"
                "{\"id\": \"...\", \"vector\": [...], \"metadata\": {...}} (id and metadata optional)");
  upsert->add_option("DB", a.upsert.db, "Database locator; created if missing")->required();
  upsert->add_option("--batch", a.upsert.batch, "Commit every N records (and at the end)")
      ->check(CLI::Range(1, 100000000));
  upsert->add_option("--dim", a.upsert.dim,
                     "Dimension of a database to create (default: the first vector's length)")
      ->check(CLI::Range(1, NVDB_MAX_DIM));
  add_element_type_option(upsert, a.upsert.element_type);
  upsert->callback([&] { run = [&] { run_upsert(a.upsert); }; });

  auto *query = app.add_subcommand(
      "query", "Answer query vectors read from stdin (one JSON array per line) with one JSON array\n"
               "of hits per line, flushed as each is answered");
  query->add_option("DB", a.query.db, "Database locator")->required();
  query->add_option("--top-k,-k", a.query.top_k, "Hits per query (default 10)");
  query->add_option("--threshold", a.query.threshold, "Keep only hits scoring at least T");
  query->add_option("--filter", a.query.filter, "Declarative metadata filter, a JSON object");
  query->callback([&] { run = [&] { run_query(a.query); }; });

  auto *get = app.add_subcommand("get", "Print the records with these ids, in the order asked");
  get->add_option("DB", a.db, "Database locator")->required();
  get->add_option("ID", a.ids, "Record ids")->required();
  get->callback([&] { run = [&] { run_get(a.db, a.ids); }; });

  auto *del = app.add_subcommand("delete", "Delete the records with these ids");
  del->add_option("DB", a.db, "Database locator")->required();
  del->add_option("ID", a.ids, "Record ids")->required();
  del->callback([&] { run = [&] { run_delete(a.db, a.ids); }; });

  auto *imp = app.add_subcommand("import", "Upsert every record of SRC into DST (created if missing)");
  imp->add_option("SRC", a.src, "Source database")->required();
  imp->add_option("DST", a.dst, "Destination database")->required();
  add_element_type_option(imp, a.import_element_type);
  imp->callback([&] { run = [&] { run_import(a.src, a.dst, a.import_element_type); }; });

  auto *exp = app.add_subcommand("export", "Write the database as a nano-vectordb JSON file");
  exp->add_option("DB", a.db, "Database locator")->required();
  exp->add_option("DST", a.dst, "Destination .json file")->required();
  exp->callback([&] { run = [&] { run_export(a.db, a.dst); }; });
}

}  // namespace

int main(int argc, char **argv) {
  CLI::App app("nvdb: a small, fast vector database (nano-vectordb compatible)", "nvdb");
  app.set_version_flag("--version", nvdb_version());
  app.require_subcommand(1);
  Args args;
  std::function<void()> run;
  declare(app, args, run);

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
    return 2;
  }

  const std::string name = app.get_subcommands().front()->get_name();
  try {
    run();
    return 0;
  } catch (const std::exception &e) {
    std::cerr << "nvdb " << name << ": " << e.what() << '\n';
    return 1;
  }
}
