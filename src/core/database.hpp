// The database engine behind the C API: records in memory, exact search,
// nano-vectordb semantics. One Database per open handle.
//
// Storage: row-major vectors in one aligned array (stored normalised under
// cosine), one Record per row (id, encoded metadata), and an id -> row hash
// index. Deleting moves the last row into the hole, so rows stay dense and a
// scan never skips tombstones; that is why answers are ordered by score and
// then id, never by row.
//
// Concurrency: reads take a shared lock, writes an exclusive one that
// new readers queue behind (util/rw_lock.hpp). Every
// write validates and prepares the whole batch before it touches anything,
// so a failed call leaves the database as it was.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/aligned_floats.hpp"
#include "kernels/kernels.hpp"
#include "util/rw_lock.hpp"
#include "nvdb.h"

namespace nvdb {

namespace nanovdb {
struct File;
}

enum class StorageKind { memory, json };

// One stored record. id_is_number and id_pos exist for nano-vectordb files:
// a numeric id is written back as a number, and "__id__" goes back to the
// place among the keys where the file had it.
struct Record {
  std::string id;
  bool id_is_number = false;
  std::uint32_t id_pos = 0;
  std::string meta;  // encoded json doc (json/doc.hpp), always an object
};

struct UpsertReport {
  std::vector<std::string> inserted;
  std::vector<std::string> updated;
};

struct RecordCopy {
  std::string id;
  std::vector<float> vector;
  std::string metadata_json;
};

struct Hit {
  std::string id;
  float score;
  std::string metadata_json;
};

struct QueryParams {
  std::size_t top_k = 10;
  bool use_threshold = false;
  float threshold = 0;
  const char *filter = nullptr;
  nvdb_filter_fn filter_fn = nullptr;
  void *filter_ctx = nullptr;
};

class Database {
 public:
  // Opens a locator (see nvdb_open). Throws nvdb::Error.
  static std::unique_ptr<Database> open(std::string_view locator, const nvdb_options &opts);

  Database(std::uint32_t dim, kernels::Metric metric, StorageKind kind, std::string locator,
           bool read_only);

  std::uint32_t dim() const { return dim_; }
  kernels::Metric metric() const { return metric_; }
  bool read_only() const { return read_only_; }

  // Writes.
  UpsertReport upsert(std::size_t n, const char *const *ids, const float *vectors,
                      const char *const *metadata);
  std::size_t remove(std::size_t n, const char *const *ids);
  void set_additional_data(std::string_view json_text);
  void import_json(const std::string &path);
  void copy_from(Database &src);
  void save();

  // Reads.
  std::size_t count() const;
  std::vector<RecordCopy> get(std::size_t n, const char *const *ids) const;
  std::vector<Hit> query(const float *vector, const QueryParams &params) const;
  std::string additional_data_json() const;
  std::string info_json() const;
  void export_json(const std::string &path) const;

 private:
  // A batch that passed every check, ready to apply without failing.
  struct Batch {
    std::vector<Record> records;
    std::vector<float> vectors;  // records.size() * dim, already normalised
  };

  Batch prepare(std::size_t n, const char *const *ids, const float *vectors,
                const char *const *metadata) const;
  Batch prepare_file(nanovdb::File &&file) const;
  Batch snapshot_all() const;
  void add_checked_row(Batch &batch, Record &&record, const float *vector, double squared_norm,
                       const std::string &where) const;
  UpsertReport apply(Batch &&batch);
  void check_writable() const;
  void write_json_file(const std::string &path) const;

  const std::uint32_t dim_;
  const kernels::Metric metric_;
  const StorageKind kind_;
  const std::string locator_;
  const bool read_only_;

  mutable RwLock mutex_;
  AlignedFloats matrix_;
  std::vector<Record> records_;
  std::unordered_map<std::string, std::uint32_t> index_;
  std::string additional_data_;  // encoded doc; empty = never set
};

}  // namespace nvdb
