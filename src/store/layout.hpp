// The layout of one generation of an nvdb store: the bytes that a writer
// fills and readers map, in a shared-memory object, a file, or private
// memory (docs/storage.md has the diagram and the protocol).
//
//   DataHeader (one page)  magic, format version, layout descriptor,
//                          geometry, header checksum, two MetaSlots (the
//                          last commits), two more (the last commits
//                          known to be on disk)
//   stamps   RowStamp x capacity      the commits that wrote and killed each row
//   rows     RowEntry x capacity      where each row's id and metadata are
//   vectors  float x capacity x dim   64-byte aligned, row-major
//   codes    compact element types only (kernels/compact.hpp): the rows
//            in 16 or 8 bits, what the scan reads, 64-byte aligned
//   aux      RowAux x capacity        compact types only: scale, norm
//   heap     heap_capacity bytes      ids and metadata docs, commit lists
//
// Row i is visible at epoch e when i < rows and birth <= e < death. A row
// a commit replaced or deleted is written again in place (reused) once no
// reader can still see it: once every reader reads at an epoch at or after
// its death, and neither the commit record before the last nor (store
// files) a durable record depends on it.
// Its heap extent goes with it when the new id and metadata fit. Nothing a
// reader can see is ever overwritten; the rest is appended. A generation
// never grows: when it is full, or mostly dead (readers that hold reuse
// back), the writer copies the live rows into a new generation (growth and
// compaction are the same operation).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "kernels/compact.hpp"

namespace nvdb::store {

constexpr std::uint32_t kFormatVersion = 3;
constexpr char kDataMagic[8] = {'N', 'V', 'D', 'B', 'D', 'A', 'T', 'A'};
constexpr std::uint64_t kAlive = UINT64_MAX;
constexpr std::uint32_t kEndianMark = 0x01020304;
constexpr std::size_t kPage = 4096;

// What the vectors are stored as, beside their float32 originals.
using ElementType = kernels::Element;

// One of two commit records. The writer fills the slot the current commit
// does not use and publishes it by its sequence number (a seqlock), so a
// reader copies a consistent slot without taking a lock.
struct MetaSlot {
  std::uint64_t seq;        // odd while the writer is filling the slot
  std::uint64_t epoch;      // commit number, 1 for the first commit
  std::uint64_t rows;       // rows appended so far (live or dead)
  std::uint64_t heap_used;  // heap bytes used so far
  std::uint64_t live;       // rows alive at this epoch
  std::uint64_t extra_off;  // additional_data doc in the heap
  std::uint64_t extra_len;  // 0: never set
  // What this commit added, so that after a machine crash a reader can tell
  // whether all of it reached the disk (commits flushed in one go): rows
  // from prev_rows, heap bytes from prev_heap, the rows it killed and the
  // rows it wrote in place (u64 lists in the heap), summed in data_sum.
  // data_sum 0: the data was flushed before this record, nothing to check.
  std::uint64_t prev_rows, prev_heap, killed_off, killed_count, born_off, born_count, data_sum;
  std::uint64_t checksum;   // of epoch .. data_sum
  // The boot of the machine that made this commit (a hash of Linux's
  // boot_id; 0 = unknown). Only a machine crash can leave a record on disk
  // without its data, so a process of the same boot skips the data check
  // (not covered by the checksum: a damaged value just means checking).
  std::uint64_t boot;
};
static_assert(sizeof(MetaSlot) == 128, "commit records are two cache lines");

// The committed state a reader works from, copied out of a MetaSlot.
struct Snapshot {
  std::uint64_t epoch = 0, rows = 0, heap_used = 0, live = 0, extra_off = 0, extra_len = 0;
  std::uint64_t prev_rows = 0, prev_heap = 0, killed_off = 0, killed_count = 0;
  std::uint64_t born_off = 0, born_count = 0, data_sum = 0;
  std::uint64_t record_sum = 0;  // the slot's checksum: names this commit record
  std::uint64_t boot = 0;
};

// This machine's current boot, as MetaSlot::boot records it (0 if unknown).
std::uint64_t current_boot();

// The commits that wrote and killed a row: birth is the epoch of the commit
// that wrote it, death that of the commit that replaced or deleted it
// (kAlive until then; 0 for a row a failed commit wrote, never visible).
struct RowStamp {
  std::uint64_t birth;
  std::uint64_t death;
};

struct RowEntry {
  std::uint64_t heap_off;   // id bytes, then the metadata doc
  std::uint32_t id_len;
  std::uint32_t meta_len;
  std::uint32_t id_pos;     // nano-vectordb: where "__id__" goes among the keys
  std::uint32_t flags;      // kIdIsNumber
  std::uint32_t heap_room;  // bytes at heap_off the row owns (>= id_len + meta_len)
  std::uint32_t reserved;
};
constexpr std::uint32_t kIdIsNumber = 1;

struct DataHeader {
  char magic[8];
  std::uint32_t format_version;
  std::uint32_t endian_mark;
  // Layout descriptor: a reader built with other structure sizes refuses
  // the store instead of misreading it.
  std::uint16_t header_size, meta_size, row_size, reserved;
  std::uint32_t element_type;
  std::uint32_t dim;
  std::uint32_t metric;  // kernels::Metric
  std::uint32_t flags;
  std::uint64_t generation;
  std::uint64_t capacity;       // rows
  std::uint64_t heap_capacity;  // bytes
  std::uint64_t stamps_off, rows_off, vectors_off, heap_off, total_size;
  std::uint64_t header_checksum;  // of every byte before this field
  std::uint64_t pad[2];
  MetaSlot meta[2];
  // Copies of the last two commits known to be whole on disk (store
  // files), each written after the flush that put it there: by a durable
  // commit, a rewrite, nvdb_save, or a NO_SYNC writer's periodic flush.
  // After a machine crash a store file opens at a commit whose every
  // predecessor is on disk, which may be the newer of these.
  MetaSlot durable[2];
};
static_assert(sizeof(DataHeader) <= kPage, "the header fits in one page");
static_assert(offsetof(DataHeader, meta) % 64 == 0, "meta slots are cache-line aligned");

// Where each area of a generation goes, derived from dim, element type and
// capacities alone, so that a header whose offsets disagree is caught as
// corrupt. The compact areas (codes, aux) are empty for float32 and, being
// derived, need no field of their own in the header.
struct Geometry {
  std::uint64_t stamps_off, rows_off, vectors_off, codes_off, aux_off, heap_off, total_size;
};
Geometry geometry(std::uint32_t dim, ElementType element, std::uint64_t capacity,
                  std::uint64_t heap_capacity);

std::uint64_t checksum(const void *data, std::size_t size);

// Fills a new header (meta slots zeroed, epoch 0).
void init_header(DataHeader &h, std::uint32_t dim, std::uint32_t metric, ElementType element,
                 std::uint64_t generation, std::uint64_t capacity, std::uint64_t heap_capacity);

// Checks a mapped generation before anything else reads it: NVDB_ECORRUPT
// (not a store, truncated, bad checksum or geometry) or NVDB_EVERSION
// (another format version or layout). `what` names it in messages.
void check_header(const void *base, std::size_t size, const std::string &what);

// The newest consistent commit of a checked header, other than the records
// named in `skip` (commits set aside after a machine crash; 0: none).
// Retries while the writer is mid-publish; false if no slot holds one.
bool read_snapshot(const DataHeader &h, const std::uint64_t (&skip)[2], Snapshot &out);
// Whether `skip` names s: commits set aside come from an earlier boot, so
// one of this boot that happens to be identical is new.
bool is_set_aside(const Snapshot &s, const std::uint64_t (&skip)[2]);

// What one of the two commit records holds, read cleanly (nvdb_verify).
// A record being written (odd seq) is not damage: a writer may be
// publishing it, or have died doing so, and readers use the other one.
enum class SlotState { unused, being_written, bad_checksum, out_of_range, sound };
SlotState inspect_slot(const DataHeader &h, const MetaSlot &slot, Snapshot &out);

// Publishes s as the next commit (the writer only).
void publish(DataHeader &h, const Snapshot &s);

// The durable records (DataHeader::durable): record_durable() replaces the
// older with s; read_durable() gives the newer sound one, false if none.
void record_durable(DataHeader &h, const Snapshot &s);
bool read_durable(const DataHeader &h, Snapshot &newest);

// A writer that reopens a store file at an older commit than its records
// name (after a machine crash): the other record is cleared, then s is
// published in its own, so that no reader takes the lost commits for newer.
void publish_rollback(DataHeader &h, const Snapshot &s);

// Stamps are read by readers while the writer sets them. A row written in
// place gets its birth before its death goes back to kAlive (release), so
// a reader that loads the death (acquire) and then the birth never sees a
// row of a later commit as visible.
inline std::uint64_t load_death(const RowStamp *stamps, std::uint64_t row) {
  return __atomic_load_n(&stamps[row].death, __ATOMIC_ACQUIRE);
}
inline std::uint64_t load_birth(const RowStamp *stamps, std::uint64_t row) {
  return __atomic_load_n(&stamps[row].birth, __ATOMIC_RELAXED);
}
inline void store_death(RowStamp *stamps, std::uint64_t row, std::uint64_t epoch) {
  __atomic_store_n(&stamps[row].death, epoch, __ATOMIC_RELEASE);
}
inline void store_birth(RowStamp *stamps, std::uint64_t row, std::uint64_t epoch) {
  __atomic_store_n(&stamps[row].birth, epoch, __ATOMIC_RELAXED);
}
inline bool visible(const RowStamp *stamps, std::uint64_t row, std::uint64_t epoch) {
  return load_death(stamps, row) > epoch && load_birth(stamps, row) <= epoch;
}

}  // namespace nvdb::store
