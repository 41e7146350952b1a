#include "store/object.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/interprocess/exceptions.hpp>
#include <boost/interprocess/permissions.hpp>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/error.hpp"
#include "nvdb.h"

namespace nvdb::store {

namespace bip = boost::interprocess;

namespace {

// Record locks belong to the open file description: a program the process
// starts must not inherit the descriptor, or the writer's lock (and a
// reader's) would outlive the process that took it.
void close_on_exec(int fd) {
  const int flags = ::fcntl(fd, F_GETFD);
  if (flags < 0 || ::fcntl(fd, F_SETFD, flags | FD_CLOEXEC) != 0)
    throw Error(NVDB_EIO, std::string("cannot set close-on-exec: ") + std::strerror(errno));
}

// Boost.Interprocess reports failures as exceptions with its own codes.
[[noreturn]] void rethrow(const bip::interprocess_exception &e, const std::string &what) {
  switch (e.get_error_code()) {
    case bip::not_found_error:
      throw Error(NVDB_ENOTFOUND, what + ": not found");
    case bip::already_exists_error:
      throw Error(NVDB_EEXIST, what + ": already exists");
    case bip::security_error:
      throw Error(NVDB_EIO, what + ": permission denied");
    case bip::out_of_space_error:
      throw Error(NVDB_ENOMEM, what + ": no space left");
    default:
      throw Error(NVDB_EIO, what + ": " + e.what());
  }
}

bool valid_shm_name(const std::string &name) {
  if (name.empty() || name.size() > 200) return false;
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'))
      return false;
  return true;
}

// Reserves [offset, offset + len) of a file or shm object, which then reads
// as zeros and cannot fail a later write for want of space. 0 or an errno;
// a filesystem without fallocate is not an error (it stays sparse).
int reserve_range(int fd, std::size_t offset, std::size_t len) {
  for (;;) {
    if (::fallocate(fd, 0, static_cast<off_t>(offset), static_cast<off_t>(len)) == 0) return 0;
    if (errno == EINTR) continue;
    return errno == EOPNOTSUPP || errno == ENOSYS ? 0 : errno;
  }
}

// Where an object lives in the filesystem, for stat() and messages.
std::string path_of(const Place &place, const std::string &name) {
  return place.medium == Medium::shm ? "/dev/shm/" + name : name;
}

Error space_error(int err, const std::string &name) {
  return Error(err == ENOSPC || err == EDQUOT ? NVDB_ENOMEM : NVDB_EIO, name + ": " + std::strerror(err));
}

}  // namespace

Place Place::parse(const std::string &locator) {
  Place p;
  if (locator.rfind("shm:", 0) == 0) {
    const std::string name = locator.substr(4);
    if (!valid_shm_name(name))
      throw Error(NVDB_EINVAL, "\"" + locator + "\": a shm: name is 1 to 200 letters, digits, '-', '_' or '.'");
    p.medium = Medium::shm;
    p.base = "nvdb-" + name;
  } else {
    if (locator.empty()) throw Error(NVDB_EINVAL, "an empty locator");
    p.medium = Medium::file;
    p.base = locator;
  }
  return p;
}

std::string Place::generation_object(std::uint64_t generation) const {
  return base + "." + std::to_string(generation);
}

std::string Place::describe() const {
  return medium == Medium::shm ? "shm:" + base.substr(5) : base;
}

Object Object::create(const Place &place, const std::string &name, std::size_t size, unsigned mode) {
  Object o;
  o.medium_ = place.medium;
  o.name_ = path_of(place, name);
  try {
    bip::permissions perms(mode);
    if (place.medium == Medium::shm) {
      o.shm_ = bip::shared_memory_object(bip::create_only, name.c_str(), bip::read_write, perms);
      o.fd_ = o.shm_.get_mapping_handle().handle;
      // Not shm_.truncate(), which reserves (and zeroes) every page: the
      // caller reserves what it writes through the mapping (reserve()).
      if (::ftruncate(o.fd_, static_cast<off_t>(size)) != 0) {
        const int err = errno;
        bip::shared_memory_object::remove(name.c_str());
        throw space_error(err, name);
      }
      o.region_ = bip::mapped_region(o.shm_, bip::read_write);
    } else {
      // O_EXCL: two creators race for the name and exactly one wins.
      const int fd = ::open(name.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, mode);
      if (fd < 0) {
        if (errno == EEXIST) throw Error(NVDB_EEXIST, name + ": already exists");
        if (errno == ENOENT) throw Error(NVDB_ENOTFOUND, name + ": no such directory");
        throw Error(NVDB_EIO, name + ": " + std::strerror(errno));
      }
      // The umask must not narrow what the caller asked for.
      const int rc = ::fchmod(fd, mode) == 0 && ::ftruncate(fd, static_cast<off_t>(size)) == 0 ? 0 : errno;
      ::close(fd);
      if (rc != 0) {
        ::unlink(name.c_str());
        throw space_error(rc, name);
      }
      o.file_ = bip::file_mapping(name.c_str(), bip::read_write);
      o.fd_ = o.file_.get_mapping_handle().handle;
      o.region_ = bip::mapped_region(o.file_, bip::read_write);
    }
    if (place.medium == Medium::shm) ::fchmod(o.fd_, mode);
    close_on_exec(o.fd_);
  } catch (const bip::interprocess_exception &e) {
    rethrow(e, name);
  }
  return o;
}

Object Object::open(const Place &place, const std::string &name, bool writable) {
  Object o;
  o.medium_ = place.medium;
  o.name_ = path_of(place, name);
  const bip::mode_t mode = writable ? bip::read_write : bip::read_only;
  try {
    if (place.medium == Medium::shm) {
      o.shm_ = bip::shared_memory_object(bip::open_only, name.c_str(), mode);
      o.fd_ = o.shm_.get_mapping_handle().handle;
      bip::offset_t size = 0;
      if (!o.shm_.get_size(size) || size == 0) throw Error(NVDB_ECORRUPT, name + ": empty");
      o.region_ = bip::mapped_region(o.shm_, mode);
    } else {
      struct stat st;
      if (::stat(name.c_str(), &st) != 0) {
        if (errno == ENOENT) throw Error(NVDB_ENOTFOUND, name + ": no such file");
        throw Error(NVDB_EIO, name + ": " + std::strerror(errno));
      }
      if (!S_ISREG(st.st_mode)) throw Error(NVDB_EINVAL, name + ": not a regular file");
      if (st.st_size == 0) throw Error(NVDB_ECORRUPT, name + ": empty file");
      o.file_ = bip::file_mapping(name.c_str(), mode);
      o.fd_ = o.file_.get_mapping_handle().handle;
      o.region_ = bip::mapped_region(o.file_, mode);
    }
    close_on_exec(o.fd_);
  } catch (const bip::interprocess_exception &e) {
    rethrow(e, name);
  }
  return o;
}

Object Object::anonymous(std::size_t size) {
  Object o;
  void *address = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (address == MAP_FAILED)
    throw Error(errno == ENOMEM ? NVDB_ENOMEM : NVDB_EIO,
                "memory: cannot map " + std::to_string(size) + " bytes: " + std::strerror(errno));
  o.anonymous_.address = address;
  o.anonymous_.size = size;
  // A hint: where transparent huge pages are off, the memory is simply
  // mapped with small pages.
  (void)::madvise(address, size, MADV_HUGEPAGE);
  return o;
}

Object::AnonymousMapping::~AnonymousMapping() {
  if (address) ::munmap(address, size);
}

void Object::sync_directory(const Place &place) {
  if (place.medium != Medium::file) return;
  std::string dir = std::filesystem::path(place.base).parent_path().string();
  if (dir.empty()) dir = ".";
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  const int rc = fd < 0 ? -1 : ::fsync(fd);
  const int err = errno;
  if (fd >= 0) ::close(fd);
  if (rc != 0) throw Error(NVDB_EIO, dir + ": cannot flush the directory: " + std::strerror(err));
}

void Object::remove(const Place &place, const std::string &name) {
  if (place.medium == Medium::shm)
    bip::shared_memory_object::remove(name.c_str());
  else if (place.medium == Medium::file)
    ::unlink(name.c_str());
}

bool Object::exists(const Place &place, const std::string &name) {
  struct stat st;
  return place.medium != Medium::memory && ::stat(path_of(place, name).c_str(), &st) == 0;
}

void Object::reserve(std::size_t offset, std::size_t len) {
  if (medium_ == Medium::memory || len == 0) return;
  if (const int err = reserve_range(fd_, offset, len)) throw space_error(err, name_);
}

void Object::write(std::size_t offset, const void *bytes, std::size_t len) {
  if (len == 0) return;
  if (offset > size() || len > size() - offset)
    throw Error(NVDB_EINTERNAL, name_ + ": a write past the end of the object");
  if (medium_ == Medium::memory) {
    std::memcpy(data() + offset, bytes, len);
    return;
  }
  const char *p = static_cast<const char *>(bytes);
  while (len > 0) {
    const ssize_t n = ::pwrite(fd_, p, len, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw space_error(n < 0 ? errno : EIO, name_);
    p += n;
    offset += static_cast<std::size_t>(n);
    len -= static_cast<std::size_t>(n);
  }
}

void Object::sync(std::size_t offset, std::size_t len) {
  if (medium_ != Medium::file || len == 0) return;
  // msync wants a page-aligned start.
  const std::size_t start = offset / 4096 * 4096;
  if (!region_.flush(start, offset + len - start, false))
    throw Error(NVDB_EIO, "msync failed: " + std::string(std::strerror(errno)));
}

void Object::sync_all() {
  if (medium_ != Medium::file) return;
  // Linux writes back pages dirtied through a shared mapping on fdatasync.
  if (::fdatasync(fd_) != 0) throw Error(NVDB_EIO, "fdatasync failed: " + std::string(std::strerror(errno)));
}

}  // namespace nvdb::store
