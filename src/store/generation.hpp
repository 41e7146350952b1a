// One mapped generation of a store (layout.hpp): what readers scan and the
// writer appends to. Shared by every handle of a process that uses it, and
// kept alive (shared_ptr) by any query still reading it after the writer
// has moved on to a newer generation.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/layout.hpp"
#include "store/object.hpp"

namespace nvdb::store {

// Heap bytes a row owns: its id and metadata, and room to spare for the
// next record written in its place.
struct HeapExtent {
  std::uint64_t off = 0;
  std::uint32_t room = 0;
};

struct RowView {
  std::string_view id;
  const char *meta;  // encoded doc (json/doc.hpp)
  bool id_is_number;
  std::uint32_t id_pos;
};

// What nvdb_verify found in one generation (Generation::verify).
struct Finding {
  std::string part;  // "header", "commit record", "data", "row", "vector", "count", "id"
  std::string message;
};
struct Verification {
  static constexpr std::size_t kMaxListed = 100;  // further problems are only counted
  Snapshot snap;                   // the newest sound commit, the one checked
  int sound_records = 0;           // of the two commit records
  std::uint64_t rows_checked = 0;  // row entries, live and dead
  std::uint64_t vectors_checked = 0;
  std::uint64_t problem_count = 0;
  std::vector<Finding> problems;   // the first kMaxListed
  void add(std::string part, std::string message);
};

class Generation {
 public:
  // A new generation, mapped read-write, holding `start` (an empty commit
  // with that epoch) until the writer appends to it.
  static std::shared_ptr<Generation> create(const Place &place, std::uint64_t number,
                                            std::uint32_t dim, std::uint32_t metric,
                                            ElementType element, std::uint64_t capacity, std::uint64_t heap_capacity,
                                            unsigned mode);
  // An existing generation; its header is checked (NVDB_ECORRUPT, NVDB_EVERSION).
  static std::shared_ptr<Generation> open(const Place &place, std::uint64_t number, bool writable);
  ~Generation();
  Generation(const Generation &) = delete;
  Generation &operator=(const Generation &) = delete;

  const DataHeader &header() const { return *reinterpret_cast<const DataHeader *>(base_); }
  std::uint64_t number() const { return header().generation; }
  std::uint32_t dim() const { return header().dim; }
  ElementType element() const { return static_cast<ElementType>(header().element_type); }
  std::uint64_t capacity() const { return header().capacity; }
  std::uint64_t heap_capacity() const { return header().heap_capacity; }
  const std::string &what() const { return what_; }

  // The newest commit.
  Snapshot snapshot() const;
  // What opening a store file starts from. Within the boot that made it,
  // the newest commit. After a machine crash, a commit record may have
  // reached the disk before its data, or before the data of commits it
  // follows (NVDB_FLAG_NO_SYNC): a record is then taken only if the
  // durable records cover every commit before it and its data checksum
  // matches; otherwise the store opens at its newest durable record. What
  // is set aside stays so for this handle.
  Snapshot recover();
  // Whether recover() found the store as a machine crash left it; the
  // writer then publishes what it recovered again (publish_recovered), as
  // the only commit record, which needs no check of its data any more.
  bool recovered_after_crash() const { return after_crash_; }
  Snapshot publish_recovered(Snapshot s);
  // The newest commit known to be on disk (0: none; files only), and the
  // older of the two durable records (0 unless both are sound): rows
  // killed at or before it may be written in place.
  std::uint64_t durable_epoch() const;
  std::uint64_t durable_floor() const;

  const float *vectors() const { return reinterpret_cast<const float *>(base_ + header().vectors_off); }
  const float *vector(std::uint64_t row) const { return vectors() + row * dim(); }
  // The compact rows the scan reads (element() other than float32).
  kernels::CompactRows compact_rows() const {
    return {element(), reinterpret_cast<const unsigned char *>(base_ + codes_off_),
            reinterpret_cast<const kernels::RowAux *>(base_ + aux_off_)};
  }
  // Whether row i (below the snapshot's row count) is visible at `epoch`.
  bool alive(std::uint64_t row, std::uint64_t epoch) const { return visible(stamps(), row, epoch); }
  std::uint64_t death(std::uint64_t row) const { return load_death(stamps(), row); }
  std::uint64_t birth(std::uint64_t row) const { return load_birth(stamps(), row); }
  HeapExtent extent(std::uint64_t row) const { return {rows()[row].heap_off, rows()[row].heap_room}; }
  // Row i's id and metadata. In a generation another process may have
  // damaged, a row is checked the first time it is read (heap bounds, UTF-8
  // id, well-formed metadata; NVDB_ECORRUPT otherwise), so that attaching
  // stays O(1) and nothing reads out of bounds.
  RowView row(std::uint64_t row) const;
  std::string_view heap(std::uint64_t off, std::uint64_t len) const {
    return {base_ + header().heap_off + off, len};
  }

  // Reads every byte a commit relies on and reports what is damaged: the
  // header, both commit records (checksums, ranges, the data checksum of
  // the newest commit), the durable records, every row entry below the newest sound commit
  // (heap bounds, id, metadata, death stamp), the live count, duplicate live
  // ids, and each live vector (finite; unit length when `unit_vectors`).
  // Never throws for damage; O(size of the generation).
  Verification verify(bool unit_vectors) const;

  // Writer side. Rows and heap bytes go past the last commit, or into rows
  // no reader can see any more (the writer's reader table and pins say
  // which); kill() stamps a death that readers of older epochs ignore.
  // A row is its entry (id and metadata in its heap extent), its stamps
  // (born at `epoch`) and its vector; vectors go in runs of rows, each in
  // one write of the object, with their compact codes (NVDB_ENOMEM when a
  // store's filesystem is full).
  void write_entry(std::uint64_t row, const HeapExtent &extent, std::string_view id, bool id_is_number,
                   std::uint32_t id_pos, std::string_view meta, std::uint64_t epoch);
  void write_vectors(std::uint64_t first, std::uint64_t n, const float *vectors);
  void write_heap(std::uint64_t off, std::string_view bytes);
  void kill(std::uint64_t row, std::uint64_t epoch) { store_death(stamps_w(), row, epoch); }
  // A row written for a commit that never happened: visible at no epoch,
  // and owning no heap (its extent may lie past the last commit's heap,
  // where later commits write).
  void abandon(std::uint64_t row);
  // Undoes what commits after `epoch` did to the first `rows` rows (a
  // writer died, or a commit failed): their deaths go, their rows written
  // in place are abandoned.
  void undo_after(std::uint64_t epoch, std::uint64_t rows);
  // Makes `next` visible (its prev_*, killed_* and born_* fields describe
  // what it adds; `born` is the list born_* names) and returns it as
  // recorded; an exception means it was not published. With `durable`
  // (files only), make_durable() then puts it on disk: small commits in one
  // flush, data and record together, checked at the next open by
  // recover(); large ones in two, the data (here, before publishing) and
  // then the record. Commits to files without `durable` carry a checksum
  // of their data too.
  Snapshot commit(Snapshot next, const std::vector<std::uint64_t> &born, bool durable);
  // Flushes what the commits up to `last` (the last published) wrote, and
  // records `last` as durable (files; a no-op otherwise); the record
  // reaches the disk with the next flush. checkpoint() flushes the record
  // too: what nvdb_save promises, and a generation needs before the root
  // names it. NVDB_EIO if the disk fails: the commit is visible all the
  // same. A failure sticks: Linux reports a failed write-back once, so a
  // later flush that succeeds proves nothing, and this generation records
  // no commit as durable any more (a rewrite writes a new one).
  void make_durable(const Snapshot &last);
  void checkpoint(const Snapshot &last);
  bool flush_failed() const { return flush_failed_; }

 private:
  Generation(Object &&object, std::string what, bool trusted);
  const RowStamp *stamps() const { return reinterpret_cast<const RowStamp *>(base_ + header().stamps_off); }
  RowStamp *stamps_w() { return reinterpret_cast<RowStamp *>(base_ + header().stamps_off); }
  const RowEntry *rows() const { return reinterpret_cast<const RowEntry *>(base_ + header().rows_off); }
  RowEntry *rows_w() { return reinterpret_cast<RowEntry *>(base_ + header().rows_off); }
  DataHeader &header_w() { return *reinterpret_cast<DataHeader *>(base_); }
  void check_row(std::uint64_t row) const;
  // What is wrong with row i's entry, or nullptr: its id and metadata must
  // lie within the first heap_limit bytes of the heap.
  const char *row_problem(std::uint64_t i, std::uint64_t heap_limit) const;
  void verify_records(Verification &v) const;
  std::uint64_t newest_epoch() const;
  void flush(bool header_only);
  void verify_rows(Verification &v, bool unit_vectors) const;
  bool read_list(std::uint64_t off, std::uint64_t count, std::uint64_t heap_used,
                 std::vector<std::uint64_t> &out) const;
  std::uint64_t data_checksum(const Snapshot &s, const std::vector<std::uint64_t> &born) const;
  bool matches_its_checksum(const Snapshot &s) const;

  Object object_;
  char *base_;
  std::uint64_t codes_off_, aux_off_;  // derived from the header (geometry)
  std::uint64_t code_bytes_;           // a row's codes; 0 for float32 (no codes, no aux)
  std::string what_;
  bool trusted_;  // private memory: nobody else writes it
  // Set by recover() before the generation is shared: the commit records it
  // set aside (record sums), and the durable record it went back to.
  std::uint64_t set_aside_[2] = {0, 0};
  std::optional<Snapshot> fallback_;
  bool after_crash_ = false;
  bool flush_failed_ = false;  // the writer's: see make_durable()
  // Per row, the birth of the entry checked already, kAlive for none
  // (untrusted generations only). In chunks allocated when a row of theirs
  // is first read, so that attaching stays O(1) in time and memory.
  static constexpr std::size_t kCheckedChunk = 4096;
  std::atomic<std::uint64_t> &checked(std::uint64_t row) const;
  std::unique_ptr<std::atomic<std::atomic<std::uint64_t> *>[]> checked_;
  std::size_t checked_chunks_ = 0;  // for the capacity at open
};

}  // namespace nvdb::store
