#include "store/generation.hpp"

#include <cstring>

#include "core/error.hpp"
#include "json/codec.hpp"
#include "nvdb.h"

namespace nvdb::store {

std::shared_ptr<Generation> Generation::create(const Place &place, std::uint64_t number,
                                               std::uint32_t dim, std::uint32_t metric,
                                               std::uint64_t capacity,
                                               std::uint64_t heap_capacity, unsigned mode) {
  const Geometry g = geometry(dim, capacity, heap_capacity);
  const std::string name = place.generation_object(number);
  Object object;
  if (place.medium == Medium::memory) {
    object = Object::anonymous(g.total_size);
  } else {
    Object::remove(place, name);  // left over by a writer that died creating it
    object = Object::create(place, name, g.total_size, mode);
  }
  auto *h = reinterpret_cast<DataHeader *>(object.data());
  init_header(*h, dim, metric, number, capacity, heap_capacity);
  // Every row starts alive; a row is visible once a commit counts it.
  auto *deaths = reinterpret_cast<std::uint64_t *>(object.data() + h->deaths_off);
  std::fill(deaths, deaths + capacity, kAlive);
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
  if (!trusted_) {
    const std::size_t words = (capacity() + 63) / 64;
    checked_.reset(new std::atomic<std::uint64_t>[words]);
    for (std::size_t i = 0; i < words; ++i) checked_[i].store(0, std::memory_order_relaxed);
  }
}

Snapshot Generation::snapshot() const {
  Snapshot s = read_snapshot(header(), what_);
  if (!trusted_ && s.extra_len && !json::is_well_formed(heap(s.extra_off, s.extra_len)))
    throw Error(NVDB_ECORRUPT, what_ + ": the additional data is corrupt");
  return s;
}

// Checked against the heap's capacity rather than a commit's use of it:
// enough for memory safety, and true of every row a commit ever counted.
void Generation::check_row(std::uint64_t i) const {
  const RowEntry &r = rows()[i];
  const std::uint64_t len = std::uint64_t(r.id_len) + r.meta_len;
  const std::uint64_t cap = heap_capacity();
  if (r.heap_off > cap || len > cap - r.heap_off || r.id_len == 0 || r.id_len > NVDB_MAX_ID_BYTES ||
      !json::is_valid_utf8(heap(r.heap_off, r.id_len)) ||
      !json::is_well_formed(heap(r.heap_off + r.id_len, r.meta_len)))
    throw Error(NVDB_ECORRUPT, what_ + ": row " + std::to_string(i) + " is corrupt");
}

RowView Generation::row(std::uint64_t i) const {
  if (!trusted_) {
    std::atomic<std::uint64_t> &word = checked_[i / 64];
    const std::uint64_t bit = std::uint64_t(1) << (i % 64);
    if (!(word.load(std::memory_order_acquire) & bit)) {
      check_row(i);
      word.fetch_or(bit, std::memory_order_release);
    }
  }
  const RowEntry &r = rows()[i];
  return {heap(r.heap_off, r.id_len), base_ + header().heap_off + r.heap_off + r.id_len,
          (r.flags & kIdIsNumber) != 0, r.id_pos};
}

void Generation::write_heap(std::uint64_t off, std::string_view bytes) {
  std::memcpy(base_ + header().heap_off + off, bytes.data(), bytes.size());
}

void Generation::write_row(std::uint64_t row, std::uint64_t heap_off, std::string_view id,
                           bool id_is_number, std::uint32_t id_pos, std::string_view meta,
                           const float *vector) {
  write_heap(heap_off, id);
  write_heap(heap_off + id.size(), meta);
  auto *entry = reinterpret_cast<RowEntry *>(base_ + header().rows_off) + row;
  entry->heap_off = heap_off;
  entry->id_len = static_cast<std::uint32_t>(id.size());
  entry->meta_len = static_cast<std::uint32_t>(meta.size());
  entry->id_pos = id_pos;
  entry->flags = id_is_number ? kIdIsNumber : 0;
  std::memcpy(base_ + header().vectors_off + row * dim() * sizeof(float), vector,
              dim() * sizeof(float));
  store_death(deaths_w(), row, kAlive);
}

void Generation::revive_after(std::uint64_t epoch, std::uint64_t rows) {
  for (std::uint64_t i = 0; i < rows; ++i) {
    const std::uint64_t d = load_death(deaths(), i);
    if (d != kAlive && d > epoch) store_death(deaths_w(), i, kAlive);
  }
}

void Generation::commit(const Snapshot &next, bool durable) {
  // The data first, in one flush: a commit record must never point at
  // bytes that a crash could still lose. Then the record itself.
  if (durable) object_.sync_all();
  publish(*reinterpret_cast<DataHeader *>(base_), next);
  if (durable) object_.sync(0, sizeof(DataHeader));
}

}  // namespace nvdb::store
