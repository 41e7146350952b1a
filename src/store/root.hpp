// The root object of a shared or persistent store: which generation of
// data is current, who the writer is, and which readers are attached.
// Every process maps it read-write (readers write only their own slot:
// which generation they are on, and which epoch their reads are at); the
// data itself is mapped read-only by readers.
//
// The writer holds an open-file-description lock (F_OFD_SETLK) on the root:
// the kernel drops it when the writer's descriptor closes, including when
// the process is killed, so a crashed writer never blocks the next one.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "store/object.hpp"

namespace nvdb::store {

struct ReaderInfo {
  pid_t pid;
  std::uint64_t generation;
};

class Root {
 public:
  // Opens the root of an existing store, or creates one (create = true)
  // when it is missing. A root still being created by another process is
  // waited for (briefly). NVDB_ENOTFOUND, NVDB_ECORRUPT, NVDB_EVERSION, and
  // NVDB_EIO for a writer that may not write it (a reader then maps it
  // read-only).
  static Root open(const Place &place, bool create, bool writer, unsigned mode);

  // Takes the writer lock; NVDB_EBUSY naming the holder if another open
  // handle has it, in this process or another.
  void lock_writer();
  // True once a writer has finished creating the store.
  bool ready() const;
  void mark_ready();

  std::uint64_t generation() const;
  // Makes `generation` current (the writer only); durable for files.
  void publish_generation(std::uint64_t generation);

  // Claims a reader slot for this process (NVDB_EBUSY if all are held by
  // live processes) and releases it.
  void attach_reader(std::uint64_t generation);
  void set_reader_generation(std::uint64_t generation);
  void detach_reader();
  // Publishes the oldest epoch this handle's reads are at (0: none), so
  // that the writer reuses no row they can see; false for a reader outside
  // the reader table. Sequentially consistent: a reader publishes, then
  // checks that the commit it pinned is still the newest.
  bool set_reader_epoch(std::uint64_t epoch);
  // The writer: the oldest epoch a listed reader is reading at, kAlive if
  // none; 0 while a reader outside the table (a read-only root) is open.
  std::uint64_t oldest_reader_epoch() const;
  // Live readers; slots whose reader is gone (its slot lock dropped by the
  // kernel) are freed on the way.
  std::vector<ReaderInfo> readers();

  const Place &place() const { return place_; }

 private:
  struct Header;
  struct Slot;
  bool map_existing(bool reader);
  bool create_new(unsigned mode);
  Header *header() const;
  Slot *slots() const;
  bool slot_lock(std::uint32_t slot, short type) const;
  bool slot_held(std::uint32_t slot) const;

  Place place_;
  Object object_;
  bool writable_ = false;  // false: a reader without write permission on the root
  int slot_ = -1;
};

}  // namespace nvdb::store
