// The database engine behind the C API: nano-vectordb semantics over a
// store (src/store), exact search.
//
// Every kind of database has the same layout: a generation of rows in
// private memory (":memory:", nano-vectordb files), in a shared-memory
// object (shm:NAME) or in a file. Rows are appended; a replaced or deleted
// row gets a death epoch instead of being overwritten, and every query reads
// one commit (a Snapshot): rows below its count whose death is later. So
// queries take no lock, in this process or any other, and never see half a
// batch. When a generation is full or mostly dead, the writer copies the
// live rows into a new one; queries still on the old one finish there.
//
// Writes are serialised by a mutex and, across processes, by the store's
// writer lock. Every write validates and prepares the whole batch before it
// touches anything, so a failed call leaves the database as it was.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "kernels/kernels.hpp"
#include "nvdb.h"
#include "store/generation.hpp"
#include "store/root.hpp"

namespace nvdb {

namespace nanovdb {
struct File;
}

enum class StorageKind { memory, json, shm, file };

// A record on its way in. id_is_number and id_pos exist for nano-vectordb
// files: a numeric id is written back as a number, and "__id__" goes back
// to the place among the keys where the file had it.
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
  ~Database();

  std::uint32_t dim() const { return dim_; }
  kernels::Metric metric() const { return metric_; }
  kernels::Element element() const { return element_; }
  bool read_only() const { return read_only_; }
  const std::string &locator() const { return locator_; }

  // Writes.
  UpsertReport upsert(std::size_t n, const char *const *ids, const float *vectors,
                      const char *const *metadata);
  std::size_t remove(std::size_t n, const char *const *ids);
  void set_additional_data(std::string_view json_text);
  void import_json(const std::string &path);
  void copy_from(Database &src);
  void save();
  // Rewrites the live rows into a new generation sized for them (nvdb_compact).
  void compact();

  // Reads.
  std::size_t count() const;
  std::vector<RecordCopy> get(std::size_t n, const char *const *ids) const;
  std::vector<Hit> query(const float *vector, const QueryParams &params) const;
  // n queries (n * dim floats, row-major) with the same params: for each,
  // exactly what query() returns. Every vector is checked before any work.
  std::vector<std::vector<Hit>> query_batch(std::size_t n, const float *vectors,
                                            const QueryParams &params) const;
  std::string additional_data_json() const;
  std::string additional_data_doc() const;  // encoded; empty if never set
  std::string info_json() const;
  void export_json(const std::string &path) const;
  // nvdb_verify: the JSON report, and what it found.
  struct VerifyResult {
    std::string report;
    std::uint64_t problem_count = 0;
    std::string first_problem;  // "" when sound
  };
  VerifyResult verify() const;

 private:
  struct Config {
    std::uint32_t dim;
    kernels::Metric metric;
    kernels::Element element;
    StorageKind kind;
    std::string locator;
    bool read_only;
    bool durable;
    unsigned permissions;
  };
  explicit Database(const Config &config);

  // A batch that passed every check, ready to apply without failing.
  // Vectors are not copied here: apply() writes each one into the store
  // once, normalising it on the way, which halves the memory a large batch
  // touches.
  struct Batch {
    std::vector<Record> records;
    // records.size() * dim floats as given: the caller's memory (valid for
    // the call) or `owned`.
    const float *vectors = nullptr;
    std::vector<float> owned;
    // Per record: the squared norm to normalise by when it is stored, or 0
    // to store the vector as it is.
    std::vector<double> normalize_by;
  };
  // An epoch a read of this handle is at. Until it is released, the writer
  // reuses no row the read can see (a writer's own reads count in pins_, a
  // reader's are published in its slot of the reader table).
  class Pin {
   public:
    Pin() = default;
    Pin(const Database *db, std::uint64_t epoch) : db_(db), epoch_(epoch) {}
    Pin(Pin &&o) noexcept : db_(o.db_), epoch_(o.epoch_) { o.db_ = nullptr; }
    Pin &operator=(Pin &&o) noexcept {
      if (this != &o) {
        if (db_) db_->unpin(epoch_);
        db_ = o.db_;
        epoch_ = o.epoch_;
        o.db_ = nullptr;
      }
      return *this;
    }
    ~Pin() { if (db_) db_->unpin(epoch_); }
   private:
    const Database *db_ = nullptr;
    std::uint64_t epoch_ = 0;
  };
  // One commit of one generation: what a read works from.
  struct View {
    std::shared_ptr<store::Generation> gen;
    store::Snapshot snap;
    Pin pin;
  };
  // Where a batch's records go: a row each (reused or appended) and its
  // heap extent (the row's own when it reuses a row whose extent fits).
  struct Placement {
    std::vector<std::uint64_t> rows;
    std::vector<bool> own_extent;
    std::uint64_t appended = 0, heap_bytes = 0;
  };

  static std::unique_ptr<Database> open_store(const std::string &locator, const nvdb_options &opts);
  void create_first_generation(std::uint64_t capacity, std::uint64_t heap_payload);
  void recover_as_writer();

  std::vector<std::string> generated_ids(std::size_t n, const char *const *ids, const float *vectors) const;
  Batch prepare(std::size_t n, const char *const *ids, const float *vectors,
                const char *const *metadata) const;
  Batch prepare_file(nanovdb::File &&file) const;
  std::pair<std::vector<Record>, std::vector<float>> copy_live_rows() const;
  Batch prepare_owned(std::vector<Record> &&records, std::vector<float> &&vectors) const;
  std::vector<double> squared_norms(std::size_t n, const float *vectors) const;
  void check_writable() const;

  View view() const;
  void pin(View &v) const;
  void unpin(std::uint64_t epoch) const;
  void publish_pins() const;  // callers hold pins_mutex_
  struct Search;
  std::vector<float> query_vectors(std::size_t n, const float *vectors, bool batch) const;
  void follow_writer() const;

  // Writer side; callers hold write_mutex_.
  UpsertReport apply(Batch &&batch);
  void set_additional_doc(const std::string &doc);
  bool make_room(std::uint64_t rows, std::uint64_t heap_bytes);
  void collect_free_rows();
  Placement place(const Batch &batch, const std::vector<std::size_t> &order, std::size_t killed) const;
  std::uint64_t list_room(std::uint64_t epoch, std::size_t rows) const;
  void compact_if_mostly_dead();
  void resize_for(std::uint64_t rows, std::uint64_t heap_bytes);
  std::uint64_t live_heap_bytes() const;
  void rewrite(std::uint64_t capacity, std::uint64_t heap_payload);
  void release_retired();
  void before_write();
  void finish_write();
  bool flush_due() const;
  void flush();
  void remove_stale_generations();
  store::Snapshot fill(store::Generation &fresh, std::unordered_map<std::string, std::uint64_t> &index) const;
  store::Snapshot next_commit() const;
  void commit(store::Snapshot next, const std::vector<std::uint64_t> &killed,
              const std::vector<std::uint64_t> &born);
  void forget_free_rows();
  void note_killed(const std::vector<std::uint64_t> &killed);
  bool reuses_rows() const;
  bool pins_reads() const;  // the stores whose writers reuse rows
  void write_json_file(const std::string &path, const View &v) const;

  const std::uint32_t dim_;
  const kernels::Metric metric_;
  const kernels::Element element_;
  const StorageKind kind_;
  const std::string locator_;
  const bool read_only_;
  const bool durable_;
  const unsigned permissions_;
  store::Place place_;
  // shm and file stores. Mutable: a read may update this process's reader
  // slot and free the slots of dead readers.
  mutable std::optional<store::Root> root_;

  // The current generation; replaced (atomically) only by rewrite() in a
  // writer, or by follow_writer() in a reader (hence mutable).
  mutable std::shared_ptr<store::Generation> gen_;
  mutable std::mutex follow_mutex_;

  mutable std::mutex write_mutex_;
  store::Snapshot head_;  // the last commit (writers)
  std::unordered_map<std::string, std::uint64_t> index_;  // id -> live row (writers)
  // Generations a rewrite replaced, kept mapped while a listed reader is on
  // them (writers of stores). The process that lets go of a generation
  // last frees its pages, tens of ms for hundreds of MB: that should be the
  // writer, not a reader in the middle of a query.
  std::vector<std::shared_ptr<store::Generation>> retired_;
  std::chrono::steady_clock::time_point retired_checked_;

  // A store file's writer without durable_: when its commits were last
  // flushed (finish_write()).
  static constexpr std::chrono::seconds kFlushInterval{1};
  std::chrono::steady_clock::time_point last_flush_;
  std::uint64_t killed_since_flush_ = 0;
  // A rewrite whose root flush failed: the disk may still name an older
  // generation, kept (stale_generations_) until a flush stores the root.
  bool root_unsynced_ = false;
  std::vector<std::uint64_t> stale_generations_;

  // Row reuse (see reuses_rows()). Rows killed, by
  // death epoch, until no read can see them; then free, for the next
  // commits to write in place.
  std::deque<std::pair<std::uint64_t, std::uint64_t>> dying_;  // (death, row)
  std::vector<std::uint64_t> free_rows_;
  std::chrono::steady_clock::time_point readers_reaped_;
  // The heap extents the lists of killed and reused rows of a commit go
  // in when rows are reused, one per epoch parity: a commit never writes
  // over the lists of the commit before it, which recovery may fall back
  // on. Otherwise lists are appended (list_room).
  store::HeapExtent lists_[2];

  // Epochs this handle's reads are at, with their counts.
  mutable std::mutex pins_mutex_;
  mutable std::map<std::uint64_t, int> pins_;
};

}  // namespace nvdb
