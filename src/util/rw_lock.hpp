// A reader-writer lock that lets a waiting writer in before new readers.
//
// std::shared_mutex on glibc prefers readers: with queries arriving
// back to back from several threads, an upsert could wait forever. Writer
// preference bounds that wait by one query. The price is that a thread
// must not take the shared side twice (a writer queued in between would
// deadlock it), which the engine never does.
#pragma once

#include <pthread.h>

#include <system_error>

namespace nvdb {

class RwLock {
 public:
  RwLock() {
    pthread_rwlockattr_t attr;
    pthread_rwlockattr_init(&attr);
    pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    const int rc = pthread_rwlock_init(&lock_, &attr);
    pthread_rwlockattr_destroy(&attr);
    if (rc != 0) throw std::system_error(rc, std::generic_category(), "pthread_rwlock_init");
  }
  ~RwLock() { pthread_rwlock_destroy(&lock_); }
  RwLock(const RwLock &) = delete;
  RwLock &operator=(const RwLock &) = delete;

  // The BasicLockable and SharedLockable names, for std::unique_lock and
  // std::shared_lock. Errors here are programming errors (EDEADLK), which
  // the lock kind above rules out.
  void lock() { pthread_rwlock_wrlock(&lock_); }
  void unlock() { pthread_rwlock_unlock(&lock_); }
  void lock_shared() { pthread_rwlock_rdlock(&lock_); }
  void unlock_shared() { pthread_rwlock_unlock(&lock_); }

 private:
  pthread_rwlock_t lock_;
};

}  // namespace nvdb
