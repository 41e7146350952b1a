#include "store/generation.hpp"

#define XXH_STATIC_LINKING_ONLY  // XXH64_state_t's size, for a state on the stack
#include <xxhash.h>

#include <algorithm>
#include <cstring>

#include "core/error.hpp"
#include "json/codec.hpp"
#include "nvdb.h"

namespace nvdb::store {

std::shared_ptr<Generation> Generation::create(const Place &place, std::uint64_t number,
                                               std::uint32_t dim, std::uint32_t metric,
                                               ElementType element, std::uint64_t capacity,
                                               std::uint64_t heap_capacity, unsigned mode) {
  const Geometry g = geometry(dim, element, capacity, heap_capacity);
  const std::string name = place.generation_object(number);
  Object object;
  if (place.medium == Medium::memory) {
    object = Object::anonymous(g.total_size);
  } else {
    Object::remove(place, name);  // left over by a writer that died creating it
    object = Object::create(place, name, g.total_size, mode);
    // Room for what is written through the mapping: the header, death
    // stamps and row entries, and the heap. write_vectors() writes the rest
    // (vectors, codes, aux) with pwrite, which reports a full filesystem
    // itself; aux is reserved too, as it shares pages with the heap.
    // Whole pages, so that no page written through the mapping can hold a
    // block left unreserved (filesystems with blocks smaller than a page).
    const std::uint64_t head_end = (g.vectors_off + kPage - 1) / kPage * kPage;
    const std::uint64_t tail_start = g.aux_off / kPage * kPage;
    try {
      object.reserve(0, std::min(head_end, g.total_size));
      object.reserve(tail_start, g.total_size - tail_start);
    } catch (...) {
      Object::remove(place, name);
      throw;
    }
  }
  auto *h = reinterpret_cast<DataHeader *>(object.data());
  init_header(*h, dim, metric, element, number, capacity, heap_capacity);
  // A row no commit has written yet is visible to none.
  auto *stamps = reinterpret_cast<RowStamp *>(object.data() + h->stamps_off);
  std::fill(stamps, stamps + capacity, RowStamp{kAlive, kAlive});
  return std::shared_ptr<Generation>(
      new Generation(std::move(object), place.describe(), place.medium == Medium::memory));
}

std::shared_ptr<Generation> Generation::open(const Place &place, std::uint64_t number, bool writable) {
  const std::string name = place.generation_object(number);
  Object object = Object::open(place, name, writable);
  check_header(object.data(), object.size(), place.describe());
  auto gen = std::shared_ptr<Generation>(new Generation(std::move(object), place.describe(), false));
  if (gen->number() != number)
    throw Error(NVDB_ECORRUPT, place.describe() + ": generation " + std::to_string(number) +
                                   " holds the header of generation " + std::to_string(gen->number()));
  return gen;
}

Generation::Generation(Object &&object, std::string what, bool trusted)
    : object_(std::move(object)), base_(object_.data()), what_(std::move(what)), trusted_(trusted) {
  const Geometry g = geometry(dim(), element(), capacity(), heap_capacity());
  codes_off_ = g.codes_off;
  aux_off_ = g.aux_off;
  code_bytes_ = kernels::code_bytes(element(), dim());  // 0 for float32
  if (!trusted_) {
    checked_chunks_ = (capacity() + kCheckedChunk - 1) / kCheckedChunk;
    checked_.reset(new std::atomic<std::atomic<std::uint64_t> *>[checked_chunks_]);
    for (std::size_t i = 0; i < checked_chunks_; ++i) checked_[i].store(nullptr, std::memory_order_relaxed);
  }
}

Generation::~Generation() {
  for (std::size_t i = 0; i < checked_chunks_; ++i) delete[] checked_[i].load(std::memory_order_relaxed);
}

std::atomic<std::uint64_t> &Generation::checked(std::uint64_t row) const {
  // The header is another process's to damage: a row past the capacity
  // this generation was opened with is refused, not looked up.
  if (row / kCheckedChunk >= checked_chunks_)
    throw Error(NVDB_ECORRUPT, what_ + ": row " + std::to_string(row) + " is beyond the capacity");
  std::atomic<std::atomic<std::uint64_t> *> &slot = checked_[row / kCheckedChunk];
  std::atomic<std::uint64_t> *chunk = slot.load(std::memory_order_acquire);
  if (!chunk) {
    auto *fresh = new std::atomic<std::uint64_t>[kCheckedChunk];
    for (std::size_t i = 0; i < kCheckedChunk; ++i) fresh[i].store(kAlive, std::memory_order_relaxed);
    if (slot.compare_exchange_strong(chunk, fresh, std::memory_order_acq_rel))
      chunk = fresh;
    else
      delete[] fresh;  // another thread installed one: `chunk` now holds it
  }
  return chunk[row % kCheckedChunk];
}

Snapshot Generation::snapshot() const {
  Snapshot s;
  if (!read_snapshot(header(), set_aside_, s)) {
    if (!fallback_) throw Error(NVDB_ECORRUPT, what_ + ": no consistent commit record");
    s = *fallback_;  // until the writer publishes it again
  }
  if (!trusted_ && s.extra_len && !json::is_well_formed(heap(s.extra_off, s.extra_len)))
    throw Error(NVDB_ECORRUPT, what_ + ": the additional data is corrupt");
  return s;
}

// Checked against the heap's capacity rather than a commit's use of it:
// enough for memory safety, and true of every row a commit ever counted.
void Generation::check_row(std::uint64_t i) const {
  if (row_problem(i, heap_capacity()))
    throw Error(NVDB_ECORRUPT, what_ + ": row " + std::to_string(i) + " is corrupt");
}

const char *Generation::row_problem(std::uint64_t i, std::uint64_t heap_limit) const {
  const RowEntry &r = rows()[i];
  const std::uint64_t len = std::uint64_t(r.id_len) + r.meta_len;
  if (r.heap_off > heap_limit || len > heap_limit - r.heap_off || r.heap_room < len)
    return "its id and metadata lie outside the heap";
  if (r.id_len == 0 || r.id_len > NVDB_MAX_ID_BYTES) return "its id length is out of range";
  if (!json::is_valid_utf8(heap(r.heap_off, r.id_len))) return "its id is not UTF-8";
  if (!json::is_well_formed(heap(r.heap_off + r.id_len, r.meta_len)))
    return "its metadata is not a well-formed document";
  if (json::Value(base_ + header().heap_off + r.heap_off + r.id_len).type() != json::Type::object)
    return "its metadata is not an object";
  return nullptr;
}

RowView Generation::row(std::uint64_t i) const {
  if (!trusted_) {
    // A row written in place is another row: checked again. kAlive marks
    // "not checked", so a row stamped so (never written, or damaged) is
    // checked every time.
    const std::uint64_t birth = load_birth(stamps(), i);
    std::atomic<std::uint64_t> &done = checked(i);
    if (birth == kAlive || done.load(std::memory_order_acquire) != birth) {
      check_row(i);
      done.store(birth, std::memory_order_release);
    }
  }
  const RowEntry &r = rows()[i];
  return {heap(r.heap_off, r.id_len), base_ + header().heap_off + r.heap_off + r.id_len,
          (r.flags & kIdIsNumber) != 0, r.id_pos};
}

void Generation::write_heap(std::uint64_t off, std::string_view bytes) {
  if (bytes.empty()) return;  // its data() may be null, which memcpy must not get
  std::memcpy(base_ + header().heap_off + off, bytes.data(), bytes.size());
}

void Generation::write_entry(std::uint64_t row, const HeapExtent &extent, std::string_view id,
                             bool id_is_number, std::uint32_t id_pos, std::string_view meta,
                             std::uint64_t epoch) {
  write_heap(extent.off, id);
  write_heap(extent.off + id.size(), meta);
  RowEntry *entry = rows_w() + row;
  entry->heap_off = extent.off;
  entry->id_len = static_cast<std::uint32_t>(id.size());
  entry->meta_len = static_cast<std::uint32_t>(meta.size());
  entry->id_pos = id_pos;
  entry->flags = id_is_number ? kIdIsNumber : 0;
  entry->heap_room = extent.room;
  entry->reserved = 0;
  // Birth first: a reader of an older epoch that sees the death go back
  // to kAlive sees this birth too, and skips the row.
  store_birth(stamps_w(), row, epoch);
  store_death(stamps_w(), row, kAlive);
}

void Generation::write_vectors(std::uint64_t first, std::uint64_t n, const float *vectors) {
  const std::size_t floats = std::size_t(n) * dim();
  object_.write(header().vectors_off + first * dim() * sizeof(float), vectors, floats * sizeof(float));
  if (!code_bytes_) return;
  std::vector<unsigned char> codes(n * code_bytes_);
  std::vector<kernels::RowAux> aux(n);
  for (std::uint64_t i = 0; i < n; ++i)
    kernels::encode_row(element(), vectors + i * dim(), dim(), codes.data() + i * code_bytes_, aux[i]);
  object_.write(codes_off_ + first * code_bytes_, codes.data(), codes.size());
  object_.write(aux_off_ + first * sizeof(kernels::RowAux), aux.data(), aux.size() * sizeof(kernels::RowAux));
}

void Generation::abandon(std::uint64_t row) {
  store_death(stamps_w(), row, 0);
  rows_w()[row].heap_room = 0;
}

void Generation::undo_after(std::uint64_t epoch, std::uint64_t rows) {
  for (std::uint64_t i = 0; i < rows; ++i) {
    const std::uint64_t birth = load_birth(stamps(), i), death = load_death(stamps(), i);
    if (birth != kAlive && birth > epoch)
      abandon(i);  // written in place: what it held before is gone
    else if (death != kAlive && death > epoch)
      store_death(stamps_w(), i, kAlive);
  }
}

// A list of rows in the heap, as a commit record names it; false if it
// does not lie within the first heap_used bytes.
bool Generation::read_list(std::uint64_t off, std::uint64_t count, std::uint64_t heap_used,
                           std::vector<std::uint64_t> &out) const {
  if (off > heap_used || count > (heap_used - off) / sizeof(std::uint64_t)) return false;
  out.resize(count);
  if (count) std::memcpy(out.data(), base_ + header().heap_off + off, count * sizeof(std::uint64_t));
  return true;
}

// Everything a commit wrote: the rows it appended (entries, vectors,
// codes), its new heap bytes, the rows it wrote in place with their ids
// and metadata, and its lists of killed and reused rows. `born` must have
// passed row_problem.
std::uint64_t Generation::data_checksum(const Snapshot &s, const std::vector<std::uint64_t> &born) const {
  const DataHeader &h = header();
  XXH64_state_t state_on_stack;  // no allocation on the commit path
  XXH64_state_t *state = &state_on_stack;
  XXH64_reset(state, 0x6e766462);
  XXH64_update(state, base_ + h.rows_off + s.prev_rows * sizeof(RowEntry),
               (s.rows - s.prev_rows) * sizeof(RowEntry));
  XXH64_update(state, base_ + h.vectors_off + s.prev_rows * dim() * sizeof(float),
               (s.rows - s.prev_rows) * dim() * sizeof(float));
  if (code_bytes_) {
    XXH64_update(state, base_ + codes_off_ + s.prev_rows * code_bytes_, (s.rows - s.prev_rows) * code_bytes_);
    XXH64_update(state, base_ + aux_off_ + s.prev_rows * sizeof(kernels::RowAux),
                 (s.rows - s.prev_rows) * sizeof(kernels::RowAux));
  }
  XXH64_update(state, base_ + h.heap_off + s.prev_heap, s.heap_used - s.prev_heap);
  for (std::uint64_t row : born) {
    const RowEntry &r = rows()[row];
    XXH64_update(state, &r, sizeof r);
    XXH64_update(state, base_ + h.heap_off + r.heap_off, std::uint64_t(r.id_len) + r.meta_len);
    XXH64_update(state, vector(row), dim() * sizeof(float));
    if (code_bytes_) {
      XXH64_update(state, base_ + codes_off_ + row * code_bytes_, code_bytes_);
      XXH64_update(state, base_ + aux_off_ + row * sizeof(kernels::RowAux), sizeof(kernels::RowAux));
    }
  }
  XXH64_update(state, base_ + h.heap_off + s.killed_off, s.killed_count * sizeof(std::uint64_t));
  XXH64_update(state, base_ + h.heap_off + s.born_off, s.born_count * sizeof(std::uint64_t));
  const std::uint64_t sum = XXH64_digest(state);
  return sum == 0 ? 1 : sum;  // 0 means "nothing to check"
}

bool Generation::matches_its_checksum(const Snapshot &s) const {
  if (s.data_sum == 0) return true;
  std::vector<std::uint64_t> killed, born;
  if (!read_list(s.killed_off, s.killed_count, s.heap_used, killed) ||
      !read_list(s.born_off, s.born_count, s.heap_used, born))
    return false;
  for (std::uint64_t row : killed)
    if (row >= s.rows || load_death(stamps(), row) != s.epoch) return false;
  for (std::uint64_t row : born)
    if (row >= s.prev_rows || load_birth(stamps(), row) != s.epoch || row_problem(row, s.heap_used))
      return false;
  return data_checksum(s, born) == s.data_sum;
}

Snapshot Generation::recover() {
  Snapshot s;
  bool found = read_snapshot(header(), set_aside_, s);
  if (!found) return snapshot();  // no consistent commit record: damage, not a crash
  // Committed since this machine booted: whatever the writer wrote is in
  // the page cache, so the check (which costs the commit's size) is needless.
  if (s.boot != 0 && s.boot == current_boot()) return snapshot();
  after_crash_ = true;
  Snapshot durable;
  const bool has_durable = read_durable(header(), durable);
  for (std::uint64_t &aside : set_aside_) {
    if (!found) break;
    if (has_durable && (s.epoch <= durable.epoch || (s.epoch == durable.epoch + 1 && matches_its_checksum(s))))
      return snapshot();  // s, the newest not set aside
    aside = s.record_sum;
    found = read_snapshot(header(), set_aside_, s);
  }
  if (!has_durable)
    throw Error(NVDB_ECORRUPT, what_ + ": the last commits are incomplete and none is known to be on disk");
  fallback_ = durable;
  return snapshot();
}

// The commit lists of a recovered commit may have been overwritten since
// (row reuse puts them in two extents by epoch parity), and it needs no
// check any more: it was on disk whole. The other record, of a lost or
// older commit, goes.
Snapshot Generation::publish_recovered(Snapshot s) {
  s.data_sum = 0;
  publish_rollback(header_w(), s);
  set_aside_[0] = set_aside_[1] = 0;
  fallback_.reset();
  return snapshot();
}

std::uint64_t Generation::durable_epoch() const {
  Snapshot s;
  return read_durable(header(), s) ? s.epoch : 0;
}

std::uint64_t Generation::durable_floor() const {
  std::uint64_t floor = kAlive;
  for (const MetaSlot &slot : header().durable) {
    Snapshot s;
    if (inspect_slot(header(), slot, s) != SlotState::sound) return 0;
    floor = std::min(floor, s.epoch);
  }
  return floor;
}

// Every flush goes through here, so that a failure sticks (make_durable).
void Generation::flush(bool header_only) {
  if (flush_failed_)
    throw Error(NVDB_EIO, what_ + ": an earlier flush to disk failed, so later commits may not reach it either "
                                  "(nvdb_compact writes the store anew)");
  try {
    if (header_only)
      object_.sync(0, sizeof(DataHeader));
    else
      object_.sync_all();
  } catch (...) {
    flush_failed_ = true;
    throw;
  }
}

void Generation::make_durable(const Snapshot &last) {
  if (object_.medium() != Medium::file) return;
  flush(false);
  record_durable(header_w(), last);
}

void Generation::checkpoint(const Snapshot &last) {
  if (object_.medium() != Medium::file) return;
  make_durable(last);
  flush(true);
}

Snapshot Generation::commit(Snapshot next, const std::vector<std::uint64_t> &born, bool durable) {
  const bool file = object_.medium() == Medium::file;
  // A small commit is flushed in one go, data and record together, and
  // carries a checksum of its data so that a crash that wrote the record
  // but not all the data is detected (recover()). Checking costs the
  // commit's size at open, so a large commit is flushed in two steps
  // instead: the data, then the record. Without a file, nothing survives
  // the machine and there is nothing to check.
  constexpr std::uint64_t kOneFlushBytes = 1 << 20;
  const std::uint64_t row_bytes = sizeof(RowEntry) + dim() * sizeof(float) +
                                  (code_bytes_ ? code_bytes_ + sizeof(kernels::RowAux) : 0);
  const std::uint64_t bytes = (next.rows - next.prev_rows + born.size()) * row_bytes +
                              (next.heap_used - next.prev_heap);
  const bool one_flush = file && bytes <= kOneFlushBytes;
  next.data_sum = one_flush || (file && !durable) ? data_checksum(next, born) : 0;
  if (durable && !one_flush) flush(false);
  publish(header_w(), next);
  next.record_sum = 0;
  return next;
}

}  // namespace nvdb::store
