// Named memory objects a store lives in, mapped with Boost.Interprocess: a
// POSIX shared-memory object (shm:NAME), a file, or private anonymous
// memory (":memory:" and nano-vectordb files). Objects are created at
// their final size and never resized while mapped.
#pragma once

#include <boost/interprocess/file_mapping.hpp>
#include <boost/interprocess/mapped_region.hpp>
#include <boost/interprocess/shared_memory_object.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

namespace nvdb::store {

enum class Medium { memory, shm, file };

// Where a store's objects are: its root object and one object per
// generation of data. For shm:NAME the objects are "nvdb-NAME" and
// "nvdb-NAME.G" (in /dev/shm); for a file PATH they are PATH and PATH.G.
struct Place {
  Medium medium = Medium::memory;
  std::string base;  // the root object's name (shm) or path (file)

  static Place parse(const std::string &locator);  // shm:NAME or a path
  std::string generation_object(std::uint64_t generation) const;
  std::string describe() const;  // for messages
};

class Object {
 public:
  // A new object of `size` zero bytes, mapped read-write; sparse: see
  // reserve(). NVDB_EEXIST if it exists. `mode` is the permission bits
  // (0600 by default).
  static Object create(const Place &place, const std::string &name, std::size_t size,
                       unsigned mode);
  // An existing object, mapped whole. NVDB_ENOTFOUND if it is missing.
  static Object open(const Place &place, const std::string &name, bool writable);
  static Object anonymous(std::size_t size);
  // Removes the name; mappings stay valid until unmapped. A missing name is
  // not an error.
  static void remove(const Place &place, const std::string &name);
  static bool exists(const Place &place, const std::string &name);
  // Puts the names created in a store file's directory on disk (fsync of
  // the directory); a no-op for other media. NVDB_EIO on failure.
  static void sync_directory(const Place &place);

  Object() = default;
  Object(Object &&) = default;
  Object &operator=(Object &&) = default;

  char *data() const {
    return static_cast<char *>(anonymous_.size ? anonymous_.address : region_.get_address());
  }
  std::size_t size() const { return anonymous_.size ? anonymous_.size : region_.get_size(); }
  Medium medium() const { return medium_; }
  // The descriptor of a shm or file object (for record locks), -1 otherwise.
  int fd() const { return fd_; }
  // Reserves room for [offset, offset + len) now (fallocate; a no-op for
  // private memory and on filesystems without it): NVDB_ENOMEM if the
  // filesystem is full. What is written through the mapping must lie in
  // reserved room, or a full disk or /dev/shm would be a SIGBUS there;
  // write() reports a full filesystem itself.
  void reserve(std::size_t offset, std::size_t len);
  // Copies len bytes into the object at offset (a writable one): with
  // pwrite for shm and files, which spares the kernel zero-filling each new
  // page before a copy through the mapping overwrites it (most of a
  // writer's CPU time per commit on a store file); NVDB_ENOMEM when the
  // filesystem is full, NVDB_EIO for other failures.
  void write(std::size_t offset, const void *bytes, std::size_t len);
  // Writes [offset, offset + len) to stable storage (files only; a no-op
  // for memory and shm, which do not outlive the machine).
  void sync(std::size_t offset, std::size_t len);
  // Writes every change to the object to stable storage: one flush, where
  // several sync() calls would wait for one each (files only).
  void sync_all();

 private:
  // Private anonymous memory, mapped directly rather than through
  // Boost.Interprocess, whose anonymous memory is shared (shmem): private
  // memory can use transparent huge pages, which makes filling a large
  // database several times faster (one fault per 2 MB, not per 4 KB).
  struct AnonymousMapping {
    void *address = nullptr;
    std::size_t size = 0;
    AnonymousMapping() = default;
    AnonymousMapping(AnonymousMapping &&o) noexcept { swap(o); }
    AnonymousMapping &operator=(AnonymousMapping &&o) noexcept {
      swap(o);
      return *this;
    }
    ~AnonymousMapping();
    void swap(AnonymousMapping &o) noexcept {
      std::swap(address, o.address);
      std::swap(size, o.size);
    }
  };

  Medium medium_ = Medium::memory;
  boost::interprocess::shared_memory_object shm_;
  boost::interprocess::file_mapping file_;
  boost::interprocess::mapped_region region_;
  AnonymousMapping anonymous_;
  int fd_ = -1;
  std::string name_;  // for messages
};

}  // namespace nvdb::store
