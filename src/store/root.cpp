#include "store/root.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "core/error.hpp"
#include "nvdb.h"
#include "store/layout.hpp"

namespace nvdb::store {

namespace {

constexpr char kRootMagic[8] = {'N', 'V', 'D', 'B', 'R', 'O', 'O', 'T'};
constexpr std::size_t kRootSize = 65536;
constexpr std::uint32_t kReady = 1;

template <class T>
T load(const T &v) {
  return __atomic_load_n(&v, __ATOMIC_ACQUIRE);
}
template <class T>
void store(T &v, T x) {
  __atomic_store_n(&v, x, __ATOMIC_RELEASE);
}

void pause_briefly() { std::this_thread::sleep_for(std::chrono::milliseconds(1)); }

}  // namespace

struct Root::Header {
  char magic[8];
  std::uint32_t format_version;
  std::uint32_t endian_mark;
  std::uint32_t slot_count;
  std::uint32_t state;  // kReady once the first generation exists
  std::uint64_t generation;
  std::int32_t writer_pid;
  std::uint32_t pad;
  std::uint64_t reserved[3];
};

struct Root::Slot {
  std::int32_t pid;  // 0: free
  std::uint32_t pad;
  std::uint64_t reserved;
  std::uint64_t generation;
  std::uint64_t epoch;  // the oldest epoch a read of this reader is at; 0: none
};

namespace {

// Record locks on the root: the writer's; the shared one readers outside
// the reader table hold (they cannot write a slot); and one per slot, held
// by its reader for as long as it is attached. The kernel drops a lock
// when its holder dies, so a slot whose lock is gone belongs to no live
// reader, whatever its pid now names (reused, or in another namespace).
constexpr off_t kWriterByte = 0;
constexpr off_t kUnlistedReaderByte = 1;
constexpr off_t kSlotLockBase = 4096;

struct flock one_byte(short type, off_t at) {
  struct flock lk;
  std::memset(&lk, 0, sizeof lk);
  lk.l_type = type;
  lk.l_whence = SEEK_SET;
  lk.l_start = at;
  lk.l_len = 1;
  return lk;
}

}  // namespace

Root::Header *Root::header() const {
  static_assert(sizeof(Header) == 64 && sizeof(Slot) == 32, "the root layout is part of the format");
  return reinterpret_cast<Header *>(object_.data());
}
Root::Slot *Root::slots() const { return reinterpret_cast<Slot *>(object_.data() + sizeof(Header)); }

// Maps an existing root; false if there is none. A reader allowed to read
// the store but not to write its root (permissions 0640, say) maps it
// read-only and stays out of the reader table.
bool Root::map_existing(bool reader) {
  try {
    object_ = Object::open(place_, place_.base, true);
    writable_ = true;
    return true;
  } catch (const Error &e) {
    if (e.status() == NVDB_ENOTFOUND) return false;
    if (e.status() != NVDB_EIO || !reader) throw;
  }
  object_ = Object::open(place_, place_.base, false);
  writable_ = false;
  // Unlisted, this reader tells the writer (which may reuse rows) it
  // exists by a shared lock the kernel drops when it closes the root or
  // dies: while any is held, the writer reuses no row (it cannot know which
  // ones such a reader sees).
  struct flock lk = one_byte(F_RDLCK, kUnlistedReaderByte);
  if (::fcntl(object_.fd(), F_OFD_SETLK, &lk) != 0)
    throw Error(NVDB_EIO, place_.describe() + ": cannot lock the root: " + std::strerror(errno));
  return true;
}

// Creates and initialises a root; false if another process created one
// first (then open that one).
bool Root::create_new(unsigned mode) {
  try {
    object_ = Object::create(place_, place_.base, kRootSize, mode);
  } catch (const Error &race) {
    if (race.status() == NVDB_EEXIST) return false;
    throw;
  }
  try {
    object_.reserve(0, kRootSize);  // all of it is written through the mapping
  } catch (...) {
    object_ = Object();
    Object::remove(place_, place_.base);
    throw;
  }
  Header *h = header();
  h->format_version = kFormatVersion;
  h->endian_mark = kEndianMark;
  h->slot_count = static_cast<std::uint32_t>((kRootSize - sizeof(Header)) / sizeof(Slot));
  __atomic_thread_fence(__ATOMIC_RELEASE);
  std::memcpy(h->magic, kRootMagic, sizeof kRootMagic);  // last: the root is now valid
  writable_ = true;
  return true;
}

Root Root::open(const Place &place, bool create, bool writer, unsigned mode) {
  Root root;
  root.place_ = place;
  const std::string what = place.describe();
  for (int attempt = 0;; ++attempt) {
    if (!root.map_existing(!writer)) {
      if (!create) throw Error(NVDB_ENOTFOUND, what + ": no such store");
      if (root.create_new(mode)) return root;
      continue;
    }
    if (root.object_.size() < kRootSize)
      throw Error(NVDB_ECORRUPT, what + ": the root object is truncated");
    Header *h = root.header();
    if (std::memcmp(h->magic, kRootMagic, sizeof kRootMagic) != 0) {
      // Its creator has not written the magic number yet, or this is no
      // store at all.
      bool blank = true;
      for (char c : h->magic) blank = blank && c == 0;
      if (!blank) throw Error(NVDB_ECORRUPT, what + ": not an nvdb store (bad magic number)");
      if (attempt > 2000) throw Error(NVDB_ECORRUPT, what + ": the root object was never initialised");
      pause_briefly();
      continue;
    }
    __atomic_thread_fence(__ATOMIC_ACQUIRE);  // pairs with create_new's release
    if (h->format_version != kFormatVersion)
      throw Error(NVDB_EVERSION, what + ": store format version " + std::to_string(h->format_version) +
                                     ", this library reads version " + std::to_string(kFormatVersion));
    if (h->endian_mark != kEndianMark ||
        h->slot_count != (kRootSize - sizeof(Header)) / sizeof(Slot))
      throw Error(NVDB_EVERSION, what + ": the store was written with another layout");
    return root;
  }
}

void Root::lock_writer() {
  struct flock lk = one_byte(F_WRLCK, kWriterByte);
  if (::fcntl(object_.fd(), F_OFD_SETLK, &lk) != 0) {
    if (errno == EAGAIN || errno == EACCES)
      throw Error(NVDB_EBUSY, place_.describe() + ": already open for writing (by process " +
                                  std::to_string(load(header()->writer_pid)) + ")");
    throw Error(NVDB_EIO, place_.describe() + ": cannot lock: " + std::strerror(errno));
  }
  store(header()->writer_pid, static_cast<std::int32_t>(::getpid()));
}

bool Root::ready() const { return load(header()->state) == kReady; }

void Root::mark_ready() {
  store(header()->state, kReady);
  object_.sync(0, sizeof(Header));
}

std::uint64_t Root::generation() const { return load(header()->generation); }

void Root::publish_generation(std::uint64_t generation) {
  store(header()->generation, generation);
  object_.sync(0, sizeof(Header));
}

bool Root::slot_lock(std::uint32_t slot, short type) const {
  struct flock lk = one_byte(type, kSlotLockBase + static_cast<off_t>(slot));
  return ::fcntl(object_.fd(), F_OFD_SETLK, &lk) == 0;
}

bool Root::slot_held(std::uint32_t slot) const {
  struct flock lk = one_byte(F_WRLCK, kSlotLockBase + static_cast<off_t>(slot));
  // Unknown (the call failed) counts as held: a live reader's slot must
  // never be taken for a dead one's.
  return ::fcntl(object_.fd(), F_OFD_GETLK, &lk) != 0 || lk.l_type != F_UNLCK;
}

void Root::attach_reader(std::uint64_t generation) {
  if (!writable_) return;
  const auto me = static_cast<std::int32_t>(::getpid());
  for (int pass = 0; pass < 2; ++pass) {
    Slot *s = slots();
    for (std::uint32_t i = 0; i < header()->slot_count; ++i) {
      if (load(s[i].pid) != 0) continue;
      // The lock first: from the moment the pid is in, the slot is alive.
      if (!slot_lock(i, F_RDLCK))
        throw Error(NVDB_EIO, place_.describe() + ": cannot lock a reader slot: " + std::strerror(errno));
      std::int32_t expected = 0;
      if (!__atomic_compare_exchange_n(&s[i].pid, &expected, me, false, __ATOMIC_ACQ_REL,
                                       __ATOMIC_RELAXED)) {
        slot_lock(i, F_UNLCK);
        continue;
      }
      store(s[i].epoch, std::uint64_t{0});
      store(s[i].generation, generation);
      slot_ = static_cast<int>(i);
      return;
    }
    readers();  // frees the slots of dead readers
  }
  throw Error(NVDB_EBUSY, place_.describe() + ": every reader slot is taken by a live process");
}

void Root::set_reader_generation(std::uint64_t generation) {
  if (slot_ >= 0) store(slots()[slot_].generation, generation);
}

void Root::detach_reader() {
  if (slot_ < 0) return;
  store(slots()[slot_].epoch, std::uint64_t{0});
  store(slots()[slot_].pid, std::int32_t{0});
  slot_lock(static_cast<std::uint32_t>(slot_), F_UNLCK);
  slot_ = -1;
}

bool Root::set_reader_epoch(std::uint64_t epoch) {
  if (slot_ < 0) return false;
  __atomic_store_n(&slots()[slot_].epoch, epoch, __ATOMIC_SEQ_CST);
  return true;
}

std::uint64_t Root::oldest_reader_epoch() const {
  struct flock lk = one_byte(F_WRLCK, kUnlistedReaderByte);
  if (::fcntl(object_.fd(), F_OFD_GETLK, &lk) != 0 || lk.l_type != F_UNLCK) return 0;
  std::uint64_t oldest = kAlive;
  const Slot *s = slots();
  for (std::uint32_t i = 0; i < header()->slot_count; ++i) {
    if (load(s[i].pid) == 0) continue;
    const std::uint64_t e = __atomic_load_n(&s[i].epoch, __ATOMIC_SEQ_CST);
    if (e != 0 && e < oldest) oldest = e;
  }
  return oldest;
}

std::vector<ReaderInfo> Root::readers() {
  std::vector<ReaderInfo> live;
  Slot *s = slots();
  for (std::uint32_t i = 0; i < header()->slot_count; ++i) {
    std::int32_t pid = load(s[i].pid);
    if (pid == 0) continue;
    // A read-only mapping lists every claimed slot: it cannot free any.
    // This handle's own lock is not reported to it.
    if (!writable_ || static_cast<int>(i) == slot_ || slot_held(i)) {
      live.push_back({pid, load(s[i].generation)});
      continue;
    }
    // Its reader is gone: free the slot, unless someone re-claimed it
    // meanwhile.
    __atomic_compare_exchange_n(&s[i].pid, &pid, 0, false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
  }
  return live;
}

}  // namespace nvdb::store
