#include "commands.hpp"

#include <cstdlib>
#include <iostream>
#include <utility>

#include "jsonl.hpp"
#include "nvdb.h"

namespace nvdb::cli {

namespace {

// Throws a Failure carrying the library's message for a failed call.
void check(int status, const std::string &context) {
  if (status == NVDB_OK) return;
  std::string msg = nvdb_errmsg();
  if (msg.empty()) msg = nvdb_strerror(status);
  throw Failure(context.empty() ? msg : context + ": " + msg);
}

// An open database handle. close() reports a failed final save; the
// destructor only releases a handle abandoned by an error.
class Database {
 public:
  Database(const std::string &locator, nvdb_open_mode mode, std::uint32_t dim = 0,
           nvdb_metric metric = NVDB_METRIC_DEFAULT, std::uint32_t element_type = NVDB_ELEMENT_DEFAULT) {
    nvdb_options opts = NVDB_OPTIONS_INIT;
    opts.mode = mode;
    opts.dim = dim;
    opts.metric = metric;
    opts.element_type = element_type;
    check(nvdb_open(&db_, locator.c_str(), &opts), "");
  }
  explicit Database(nvdb_db *db) : db_(db) {}
  Database(Database &&other) noexcept : db_(std::exchange(other.db_, nullptr)) {}
  Database(const Database &) = delete;
  Database &operator=(const Database &) = delete;
  ~Database() { nvdb_close(db_); }

  nvdb_db *get() const { return db_; }
  std::size_t count() const {
    std::size_t n = 0;
    check(nvdb_count(db_, &n), "");
    return n;
  }
  void close() { check(nvdb_close(std::exchange(db_, nullptr)), ""); }

 private:
  nvdb_db *db_ = nullptr;
};

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

void run_info(const std::string &db) {
  Database handle(db, NVDB_OPEN_READ);
  char *info = nullptr;
  check(nvdb_info(handle.get(), &info), "");
  print_line(info);
  nvdb_free(info);
}

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

  std::string text;
  for (std::size_t line = 1; std::getline(std::cin, text); ++line) {
    if (is_blank(text)) continue;
    try {
      batch.add(parse_record(text), line);
    } catch (const Failure &e) {
      throw Failure("line " + std::to_string(line) + ": " + e.what() + committed_note(totals));
    }
    if (batch.size() >= args.batch) flush();
  }
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

void run_query(const QueryArgs &args) {
  Database db(args.db, NVDB_OPEN_READ);
  nvdb_query_options opts = NVDB_QUERY_OPTIONS_INIT;
  opts.top_k = args.top_k;
  opts.use_threshold = args.threshold.has_value();
  opts.threshold = args.threshold.value_or(0.0f);
  opts.filter = args.filter.empty() ? nullptr : args.filter.c_str();

  std::string text, out;
  for (std::size_t line = 1; std::getline(std::cin, text); ++line) {
    if (is_blank(text)) continue;
    const std::string where = "line " + std::to_string(line);
    std::vector<float> vector;
    try {
      vector = parse_vector(text);
    } catch (const Failure &e) {
      throw Failure(where + ": " + e.what());
    }
    nvdb_hits *hits = nullptr;
    check(nvdb_query(db.get(), vector.data(), vector.size(), &opts, &hits), where);
    out.clear();
    write_hits(hits, out);
    nvdb_hits_free(hits);
    print_line(out);  // flushed now: a caller may be waiting for this answer
  }
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

void run_import(const std::string &src, const std::string &dst, std::uint32_t element_type) {
  Database from(src, NVDB_OPEN_READ);
  Database to = open_or_create(dst, nvdb_dim(from.get()), nvdb_metric_of(from.get()), element_type);
  check(nvdb_copy(to.get(), from.get()), "");
  const std::size_t n = from.count();
  to.close();
  print_line("{\"imported\": " + std::to_string(n) + "}");
}

void run_export(const std::string &db, const std::string &dst) {
  Database handle(db, NVDB_OPEN_READ);
  check(nvdb_export_json(handle.get(), dst.c_str()), "");
  print_line("{\"exported\": " + std::to_string(handle.count()) + "}");
}

}  // namespace nvdb::cli
