#include "commands.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <utility>

#include "handle.hpp"
#include "jsonl.hpp"
#include "nvdb.h"
#include "progress.hpp"

namespace nvdb::cli {

namespace {

// Opens a database to write into, creating it with dim, metric and element
// type if it is missing. An existing one keeps its own dim and metric: input
// that does not fit then fails with the library's message naming the
// record. An element type asked for must be the existing one's.
Database open_or_create(const std::string &locator, std::uint32_t dim, nvdb_metric metric,
                        std::uint32_t element_type) {
  nvdb_options opts = NVDB_OPTIONS_INIT;
  opts.mode = NVDB_OPEN_WRITE;
  opts.element_type = element_type;
  nvdb_db *db = nullptr;
  const int status = nvdb_open(&db, locator.c_str(), &opts);
  if (status == NVDB_ENOTFOUND) return Database(locator, NVDB_OPEN_CREATE, dim, metric, element_type);
  check(status, "");
  return Database(db);
}

void print_line(const std::string &text) { std::cout << text << '\n' << std::flush; }

// What makes an upsert large enough to show its progress (on a terminal).
constexpr std::uint64_t kLargeUpsertRecords = 10000;
constexpr std::uint64_t kLargeInputBytes = 16 << 20;

// The size of stdin when it is a regular file, else 0 (a pipe: unknown).
std::uint64_t stdin_file_size() {
  struct stat st;
  if (fstat(STDIN_FILENO, &st) != 0 || !S_ISREG(st.st_mode)) return 0;
  return static_cast<std::uint64_t>(st.st_size);
}

std::vector<const char *> c_strings(const std::vector<std::string> &items) {
  std::vector<const char *> out;
  out.reserve(items.size());
  for (const auto &s : items) out.push_back(s.c_str());
  return out;
}

// ---------------------------------------------------------------------------
// upsert

// Records read but not yet committed, with the input line of each.
struct Batch {
  std::vector<std::string> ids;
  std::vector<bool> has_id;
  std::vector<float> vectors;
  std::vector<std::string> metadata;
  std::vector<bool> has_metadata;
  std::vector<std::size_t> lengths;  // of each vector
  std::vector<std::size_t> lines;

  std::size_t size() const { return lines.size(); }
  void add(InputRecord &&rec, std::size_t line) {
    lengths.push_back(rec.vector.size());
    ids.push_back(rec.id.value_or(""));
    has_id.push_back(rec.id.has_value());
    vectors.insert(vectors.end(), rec.vector.begin(), rec.vector.end());
    metadata.push_back(rec.metadata.value_or(""));
    has_metadata.push_back(rec.metadata.has_value());
    lines.push_back(line);
  }
};

struct UpsertTotals {
  std::vector<std::string> updated, inserted;
  std::size_t committed_lines = 0;  // input lines 1..this are in the database
};

// The input line of the record a library message names ("record 3 ..."),
// or 0 if it names none.
std::size_t line_named_by(const std::string &message, const Batch &batch) {
  const std::size_t at = message.find("record ");
  if (at == std::string::npos) return 0;
  char *end = nullptr;
  const unsigned long index = std::strtoul(message.c_str() + at + 7, &end, 10);
  if (end == message.c_str() + at + 7 || index >= batch.size()) return 0;
  return batch.lines[index];
}

std::string line_range(std::size_t first, std::size_t last) {
  if (first == last) return "line " + std::to_string(first);
  return "lines " + std::to_string(first) + "-" + std::to_string(last);
}

std::string committed_note(const UpsertTotals &totals) {
  if (totals.committed_lines == 0) return " (nothing was written)";
  return " (" + line_range(1, totals.committed_lines) + " committed, nothing after)";
}

// The C API takes one flat array, so each record's length is checked here,
// where the line it came from is known.
void check_lengths(const Batch &batch, std::uint32_t dim, const UpsertTotals &totals) {
  for (std::size_t i = 0; i < batch.size(); ++i)
    if (batch.lengths[i] != dim)
      throw Failure(line_range(batch.lines[i], batch.lines[i]) + ": the vector has " +
                    std::to_string(batch.lengths[i]) + " numbers, the database has dim " +
                    std::to_string(dim) + committed_note(totals));
}

void commit(Database &db, const Batch &batch, UpsertTotals &totals) {
  check_lengths(batch, nvdb_dim(db.get()), totals);
  std::vector<const char *> ids(batch.size()), meta(batch.size());
  for (std::size_t i = 0; i < batch.size(); ++i) {
    ids[i] = batch.has_id[i] ? batch.ids[i].c_str() : nullptr;
    meta[i] = batch.has_metadata[i] ? batch.metadata[i].c_str() : nullptr;
  }
  nvdb_report *report = nullptr;
  const int status = nvdb_upsert(db.get(), batch.size(), ids.data(), batch.vectors.data(),
                                 batch.vectors.size(), meta.data(), &report);
  if (status != NVDB_OK) {
    const std::string msg = nvdb_errmsg();
    const std::size_t line = line_named_by(msg, batch);
    const std::string where =
        line ? line_range(line, line) : line_range(batch.lines.front(), batch.lines.back());
    throw Failure(where + ": " + msg + committed_note(totals));
  }
  for (std::size_t i = 0; i < nvdb_report_updated_count(report); ++i)
    totals.updated.emplace_back(nvdb_report_updated_id(report, i));
  for (std::size_t i = 0; i < nvdb_report_inserted_count(report); ++i)
    totals.inserted.emplace_back(nvdb_report_inserted_id(report, i));
  nvdb_report_free(report);
  check(nvdb_save(db.get()), "saving lines up to " + std::to_string(batch.lines.back()) +
                                 committed_note(totals));
  totals.committed_lines = batch.lines.back();
}

}  // namespace

void run_info(const std::string &db) { print_line(Database(db, NVDB_OPEN_READ).info()); }

void run_upsert(const UpsertArgs &args) {
  std::optional<Database> db;
  Batch batch;
  UpsertTotals totals;
  auto flush = [&] {
    if (batch.size() == 0) return;
    if (!db) {
      const auto dim = static_cast<std::uint32_t>(args.dim ? args.dim : batch.lengths.front());
      db.emplace(open_or_create(args.db, dim, NVDB_METRIC_DEFAULT, args.element_type));
    }
    commit(*db, batch, totals);
    batch = Batch();
  };

  // A large upsert shows its progress: from the start when stdin is a big
  // file (whose size gives a percentage), else once many records came in.
  Progress progress("upsert");
  const std::uint64_t input_size = stdin_file_size();
  if (input_size >= kLargeInputBytes) progress.start();
  std::uint64_t bytes_read = 0, records = 0;
  std::string text;
  for (std::size_t line = 1; std::getline(std::cin, text); ++line) {
    bytes_read += text.size() + 1;
    if (is_blank(text)) continue;
    try {
      batch.add(parse_record(text), line);
    } catch (const Failure &e) {
      throw Failure("line " + std::to_string(line) + ": " + e.what() + committed_note(totals));
    }
    if (++records == kLargeUpsertRecords) progress.start();
    if (batch.size() >= args.batch) {
      flush();
      progress.step(std::to_string(records) + " records read, committed up to line " +
                    std::to_string(line));
      if (input_size) progress.advance(bytes_read, input_size, "bytes");
    }
  }
  progress.finish();
  if (std::cin.bad()) throw Failure("reading stdin failed" + committed_note(totals));
  flush();
  // With --dim, an empty input still creates the database.
  if (!db && args.dim) db.emplace(open_or_create(args.db, args.dim, NVDB_METRIC_DEFAULT, args.element_type));
  if (db) db->close();

  std::string out = "{\"update\": ";
  write_string_array(totals.updated, out);
  out.append(", \"insert\": ");
  write_string_array(totals.inserted, out);
  out.push_back('}');
  print_line(out);
}

namespace {

// One input line of `nvdb query`, parsed.
struct QueryLine {
  std::size_t line;
  std::vector<float> vector;
};

void print_hits(const nvdb_hits *hits) {
  std::string out;
  write_hits(hits, out);
  print_line(out);  // flushed now: a caller may be waiting for this answer
}

void answer_each(nvdb_db *db, const std::vector<QueryLine> &queries, const nvdb_query_options &opts) {
  for (const QueryLine &q : queries) {
    nvdb_hits *hits = nullptr;
    check(nvdb_query(db, q.vector.data(), q.vector.size(), &opts, &hits), "line " + std::to_string(q.line));
    print_hits(hits);
    nvdb_hits_free(hits);
  }
}

// Answers the queries with one nvdb_query_batch call. A refused batch is
// answered line by line instead, so that the answers before the bad line and
// the error naming it are exactly those of the line-by-line mode.
void answer(nvdb_db *db, const std::vector<QueryLine> &queries, const nvdb_query_options &opts) {
  const std::size_t dim = nvdb_dim(db);
  bool batchable = queries.size() > 1;
  for (const QueryLine &q : queries) batchable = batchable && q.vector.size() == dim;
  if (!batchable) return answer_each(db, queries, opts);
  std::vector<float> vectors;
  vectors.reserve(queries.size() * dim);
  for (const QueryLine &q : queries) vectors.insert(vectors.end(), q.vector.begin(), q.vector.end());
  std::vector<nvdb_hits *> hits(queries.size());
  if (nvdb_query_batch(db, queries.size(), vectors.data(), vectors.size(), &opts, hits.data()) != NVDB_OK)
    return answer_each(db, queries, opts);
  for (nvdb_hits *h : hits) print_hits(h);
  for (nvdb_hits *h : hits) nvdb_hits_free(h);
}

}  // namespace

void run_query(const QueryArgs &args) {
  Database db(args.db, NVDB_OPEN_READ);
  nvdb_query_options opts = NVDB_QUERY_OPTIONS_INIT;
  opts.top_k = args.top_k;
  opts.use_threshold = args.threshold.has_value();
  opts.threshold = args.threshold.value_or(0.0f);
  opts.filter = args.filter.empty() ? nullptr : args.filter.c_str();

  const std::size_t per_call = args.batch ? args.batch_size : 1;
  std::vector<QueryLine> pending;
  std::string text;
  for (std::size_t line = 1; std::getline(std::cin, text); ++line) {
    if (is_blank(text)) continue;
    try {
      pending.push_back({line, parse_vector(text)});
    } catch (const Failure &e) {
      answer(db.get(), pending, opts);
      throw Failure("line " + std::to_string(line) + ": " + e.what());
    }
    if (pending.size() == per_call) {
      answer(db.get(), pending, opts);
      pending.clear();
    }
  }
  answer(db.get(), pending, opts);
  if (std::cin.bad()) throw Failure("reading stdin failed");
}

void run_get(const std::string &db, const std::vector<std::string> &ids) {
  Database handle(db, NVDB_OPEN_READ);
  const std::vector<const char *> ptrs = c_strings(ids);
  nvdb_records *records = nullptr;
  check(nvdb_get(handle.get(), ptrs.size(), ptrs.data(), &records), "");
  std::string out;
  for (std::size_t i = 0; i < nvdb_records_count(records); ++i) {
    out.clear();
    write_record(records, i, nvdb_dim(handle.get()), out);
    std::cout << out << '\n';
  }
  nvdb_records_free(records);
  std::cout << std::flush;
}

void run_delete(const std::string &db, const std::vector<std::string> &ids) {
  Database handle(db, NVDB_OPEN_WRITE);
  const std::vector<const char *> ptrs = c_strings(ids);
  std::size_t deleted = 0;
  check(nvdb_delete(handle.get(), ptrs.size(), ptrs.data(), &deleted), "");
  handle.close();
  print_line("{\"deleted\": " + std::to_string(deleted) + "}");
}

// import and export are one library call each (all or nothing), so their
// progress names the step under way and the time it has taken.
void run_import(const std::string &src, const std::string &dst, std::uint32_t element_type) {
  Progress progress("import");
  progress.step("reading " + src);
  progress.start();
  Database from(src, NVDB_OPEN_READ);
  const std::size_t n = from.count();
  Database to = open_or_create(dst, nvdb_dim(from.get()), nvdb_metric_of(from.get()), element_type);
  progress.step("copying " + std::to_string(n) + " records into " + dst);
  check(nvdb_copy(to.get(), from.get()), "");
  progress.step("saving " + dst);
  to.close();
  progress.finish();
  print_line("{\"imported\": " + std::to_string(n) + "}");
}

void run_export(const std::string &db, const std::string &dst) {
  Progress progress("export");
  progress.step("reading " + db);
  progress.start();
  Database handle(db, NVDB_OPEN_READ);
  const std::size_t n = handle.count();
  progress.step("writing " + std::to_string(n) + " records to " + dst);
  check(nvdb_export_json(handle.get(), dst.c_str()), "");
  progress.finish();
  print_line("{\"exported\": " + std::to_string(n) + "}");
}

}  // namespace nvdb::cli
