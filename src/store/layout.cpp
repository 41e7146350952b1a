#include "store/layout.hpp"

#include <xxhash.h>

#include <cstring>
#include <fstream>
#include <string>
#include <thread>

#include "core/error.hpp"
#include "nvdb.h"

namespace nvdb::store {

namespace {

std::uint64_t align_up(std::uint64_t v, std::uint64_t a) { return (v + a - 1) / a * a; }

// The fields of a slot the checksum covers, epoch through data_sum.
constexpr std::size_t kSlotFields = 13;
static_assert(offsetof(MetaSlot, checksum) - offsetof(MetaSlot, epoch) == kSlotFields * 8,
              "the checksum covers the fields between seq and itself");

std::uint64_t load(const std::uint64_t &field) { return __atomic_load_n(&field, __ATOMIC_RELAXED); }
void store(std::uint64_t &field, std::uint64_t v) { __atomic_store_n(&field, v, __ATOMIC_RELAXED); }

const std::uint64_t *fields(const MetaSlot &slot) { return &slot.epoch; }
std::uint64_t *fields(MetaSlot &slot) { return &slot.epoch; }

// One slot as read, before knowing whether the read was clean.
struct SlotCopy {
  std::uint64_t seq;
  std::uint64_t f[kSlotFields];
  std::uint64_t sum;
  std::uint64_t boot;
};

void copy_slot(const MetaSlot &slot, SlotCopy &out) {
  out.seq = __atomic_load_n(&slot.seq, __ATOMIC_ACQUIRE);
  for (std::size_t i = 0; i < kSlotFields; ++i) out.f[i] = load(fields(slot)[i]);
  out.sum = load(slot.checksum);
  out.boot = load(slot.boot);
}

SlotState classify(const SlotCopy &c, const DataHeader &h, Snapshot &out) {
  if (c.seq == 0) return SlotState::unused;
  if (c.seq & 1) return SlotState::being_written;
  if (checksum(c.f, sizeof c.f) != c.sum) return SlotState::bad_checksum;
  const std::uint64_t *f = c.f;
  out = Snapshot{f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9], f[10], f[11], f[12], c.sum, c.boot};
  const bool in_range = out.rows <= h.capacity && out.heap_used <= h.heap_capacity &&
                        out.live <= out.rows && out.extra_off <= out.heap_used &&
                        out.extra_len <= out.heap_used - out.extra_off &&
                        out.prev_rows <= out.rows && out.prev_heap <= out.heap_used;
  return in_range ? SlotState::sound : SlotState::out_of_range;
}

// Whether a clean copy holds a complete, consistent commit.
bool valid(const SlotCopy &c, const DataHeader &h, Snapshot &out) {
  return classify(c, h, out) == SlotState::sound;
}

// Copies slot `index` under its seqlock; false if the writer kept it busy.
bool copy_clean(const MetaSlot &slot, SlotCopy &out) {
  for (int attempt = 0; attempt < 100000; ++attempt) {
    copy_slot(slot, out);
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    if (__atomic_load_n(&slot.seq, __ATOMIC_RELAXED) == out.seq) return true;
    if (attempt > 100) std::this_thread::yield();
  }
  return false;
}

}  // namespace

std::uint64_t checksum(const void *data, std::size_t size) { return XXH64(data, size, 0x6e766462); }

std::uint64_t current_boot() {
  static const std::uint64_t boot = [] {
    std::ifstream in("/proc/sys/kernel/random/boot_id");
    std::string id;
    if (!std::getline(in, id) || id.empty()) return std::uint64_t{0};
    return checksum(id.data(), id.size()) | 1;  // never 0
  }();
  return boot;
}

Geometry geometry(std::uint32_t dim, ElementType element, std::uint64_t capacity,
                  std::uint64_t heap_capacity) {
  const bool compact = element != ElementType::float32;
  Geometry g;
  g.stamps_off = kPage;
  g.rows_off = align_up(g.stamps_off + capacity * sizeof(RowStamp), 64);
  g.vectors_off = align_up(g.rows_off + capacity * sizeof(RowEntry), 64);
  g.codes_off = align_up(g.vectors_off + capacity * dim * sizeof(float), 64);
  g.aux_off = align_up(g.codes_off + capacity * kernels::code_bytes(element, dim), 64);
  g.heap_off = align_up(g.aux_off + (compact ? capacity * sizeof(kernels::RowAux) : 0), 64);
  g.total_size = align_up(g.heap_off + heap_capacity, kPage);
  return g;
}

void init_header(DataHeader &h, std::uint32_t dim, std::uint32_t metric, ElementType element,
                 std::uint64_t generation, std::uint64_t capacity, std::uint64_t heap_capacity) {
  std::memset(&h, 0, sizeof h);
  std::memcpy(h.magic, kDataMagic, sizeof h.magic);
  h.format_version = kFormatVersion;
  h.endian_mark = kEndianMark;
  h.header_size = sizeof(DataHeader);
  h.meta_size = sizeof(MetaSlot);
  h.row_size = sizeof(RowEntry);
  h.element_type = static_cast<std::uint32_t>(element);
  h.dim = dim;
  h.metric = metric;
  h.generation = generation;
  h.capacity = capacity;
  h.heap_capacity = heap_capacity;
  const Geometry g = geometry(dim, element, capacity, heap_capacity);
  h.stamps_off = g.stamps_off;
  h.rows_off = g.rows_off;
  h.vectors_off = g.vectors_off;
  h.heap_off = g.heap_off;
  h.total_size = g.total_size;
  h.header_checksum = checksum(&h, offsetof(DataHeader, header_checksum));
}

void check_header(const void *base, std::size_t size, const std::string &what) {
  if (size < sizeof(DataHeader)) throw Error(NVDB_ECORRUPT, what + ": truncated (no header)");
  DataHeader h;
  std::memcpy(&h, base, sizeof h);
  if (std::memcmp(h.magic, kDataMagic, sizeof h.magic) != 0)
    throw Error(NVDB_ECORRUPT, what + ": not an nvdb store (bad magic number)");
  if (h.format_version != kFormatVersion)
    throw Error(NVDB_EVERSION, what + ": store format version " + std::to_string(h.format_version) +
                                   ", this library reads version " + std::to_string(kFormatVersion));
  if (h.endian_mark != kEndianMark || h.header_size != sizeof(DataHeader) ||
      h.meta_size != sizeof(MetaSlot) || h.row_size != sizeof(RowEntry))
    throw Error(NVDB_EVERSION, what + ": the store was written with another layout "
                                      "(byte order or structure sizes)");
  if (checksum(base, offsetof(DataHeader, header_checksum)) != h.header_checksum)
    throw Error(NVDB_ECORRUPT, what + ": header checksum mismatch");
  if (h.element_type < static_cast<std::uint32_t>(ElementType::float32) ||
      h.element_type > static_cast<std::uint32_t>(ElementType::int8))
    throw Error(NVDB_EVERSION, what + ": unknown vector element type " + std::to_string(h.element_type));
  if (h.dim == 0 || h.dim > NVDB_MAX_DIM || h.metric > 2 || h.capacity > (std::uint64_t(1) << 32) ||
      h.heap_capacity > (std::uint64_t(1) << 48))
    throw Error(NVDB_ECORRUPT, what + ": header values out of range");
  const Geometry g =
      geometry(h.dim, static_cast<ElementType>(h.element_type), h.capacity, h.heap_capacity);
  if (g.stamps_off != h.stamps_off || g.rows_off != h.rows_off || g.vectors_off != h.vectors_off ||
      g.heap_off != h.heap_off || g.total_size != h.total_size)
    throw Error(NVDB_ECORRUPT, what + ": header geometry is inconsistent");
  if (size < h.total_size)
    throw Error(NVDB_ECORRUPT, what + ": truncated (" + std::to_string(size) + " of " +
                                   std::to_string(h.total_size) + " bytes)");
}

bool read_snapshot(const DataHeader &h, const std::uint64_t (&skip)[2], Snapshot &out) {
  // Both slots are read under one seqlock: were they read at different
  // moments, a slot read before a commit and the other read while the next
  // commit rewrote it would yield a commit older than one already visible.
  // Read cleanly, a slot being written means the other holds the newest
  // commit; a slot a dead writer left half-written stays so, and the other
  // is the newest too.
  for (int attempt = 0; attempt < 100000; ++attempt) {
    SlotCopy a, b;
    copy_slot(h.meta[0], a);
    copy_slot(h.meta[1], b);
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    const bool clean = __atomic_load_n(&h.meta[0].seq, __ATOMIC_RELAXED) == a.seq &&
                       __atomic_load_n(&h.meta[1].seq, __ATOMIC_RELAXED) == b.seq;
    if (!clean) {
      if (attempt > 100) std::this_thread::yield();
      continue;
    }
    Snapshot sa, sb;
    const bool ok_a = valid(a, h, sa) && !is_set_aside(sa, skip);
    const bool ok_b = valid(b, h, sb) && !is_set_aside(sb, skip);
    if (ok_a && (!ok_b || sa.epoch > sb.epoch)) {
      out = sa;
      return true;
    }
    if (ok_b) {
      out = sb;
      return true;
    }
    return false;  // neither slot holds a commit
  }
  return false;
}

bool is_set_aside(const Snapshot &s, const std::uint64_t (&skip)[2]) {
  return (s.record_sum == skip[0] || s.record_sum == skip[1]) && s.boot != current_boot();
}

SlotState inspect_slot(const DataHeader &h, const MetaSlot &slot, Snapshot &out) {
  SlotCopy copy;
  if (!copy_clean(slot, copy)) return SlotState::being_written;
  return classify(copy, h, out);
}

namespace {

void write_slot(MetaSlot &slot, const Snapshot &s) {
  const std::uint64_t seq = load(slot.seq);
  __atomic_store_n(&slot.seq, seq | 1, __ATOMIC_RELAXED);  // odd: being written
  __atomic_thread_fence(__ATOMIC_RELEASE);
  const std::uint64_t f[kSlotFields] = {s.epoch,     s.rows,      s.heap_used,  s.live,
                                        s.extra_off, s.extra_len, s.prev_rows,  s.prev_heap,
                                        s.killed_off, s.killed_count, s.born_off,
                                        s.born_count, s.data_sum};
  for (std::size_t i = 0; i < kSlotFields; ++i) store(fields(slot)[i], f[i]);
  store(slot.checksum, checksum(f, sizeof f));
  store(slot.boot, current_boot());
  __atomic_store_n(&slot.seq, (seq | 1) + 1, __ATOMIC_RELEASE);  // even: complete
}

}  // namespace

void publish(DataHeader &h, const Snapshot &s) { write_slot(h.meta[s.epoch & 1], s); }

void record_durable(DataHeader &h, const Snapshot &s) {
  Snapshot a, b;
  const bool ok_a = inspect_slot(h, h.durable[0], a) == SlotState::sound;
  const bool ok_b = inspect_slot(h, h.durable[1], b) == SlotState::sound;
  if ((ok_a && a.epoch >= s.epoch) || (ok_b && b.epoch >= s.epoch)) return;  // recorded already
  // The older (or unsound) one goes; a torn write then still leaves the other.
  const int older = !ok_a ? 0 : !ok_b ? 1 : a.epoch <= b.epoch ? 0 : 1;
  write_slot(h.durable[older], s);
}

bool read_durable(const DataHeader &h, Snapshot &newest) {
  bool found = false;
  for (const MetaSlot &slot : h.durable) {
    Snapshot s;
    if (inspect_slot(h, slot, s) == SlotState::sound && (!found || s.epoch > newest.epoch)) {
      newest = s;
      found = true;
    }
  }
  return found;
}

void publish_rollback(DataHeader &h, const Snapshot &s) {
  // s first: a reader that comes in between sees the other record, of
  // another boot, and sets it aside as recovery did.
  publish(h, s);
  auto clear = [](MetaSlot &slot) { __atomic_store_n(&slot.seq, load(slot.seq) | 1, __ATOMIC_RELEASE); };
  clear(h.meta[(s.epoch & 1) ^ 1]);  // odd: no commit to read
  // A durable record newer than s cannot be (the header is written back
  // whole), unless a torn write mixed two versions of it: it goes too.
  for (MetaSlot &slot : h.durable) {
    Snapshot d;
    if (inspect_slot(h, slot, d) == SlotState::sound && d.epoch > s.epoch) clear(slot);
  }
}

}  // namespace nvdb::store
