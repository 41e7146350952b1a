// The library's one thread pool. A query splits its scan into tasks that the
// pool's workers and the calling thread run together, so many threads can
// query at once without a thread being created per call.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace nvdb {

class ThreadPool {
 public:
  // The process-wide pool, created on first use with one thread per core
  // (or NVDB_THREADS) counting the caller, so it starts size() - 1 workers.
  static ThreadPool &instance();

  explicit ThreadPool(std::size_t threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool &) = delete;
  ThreadPool &operator=(const ThreadPool &) = delete;

  // Runs fn(0) .. fn(n - 1) on the workers and the calling thread and returns
  // when all have finished. If any throws, the first exception is rethrown
  // here (after every task has finished). Called from inside a task, it runs
  // the tasks inline rather than waiting on the pool it occupies.
  void parallel_for(std::size_t n, const std::function<void(std::size_t)> &fn);

  std::size_t size() const { return workers_.size() + 1; }

 private:
  struct Job;
  void work();
  static void run_tasks(Job &job);

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::shared_ptr<Job>> queue_;
  std::vector<std::thread> workers_;
  bool stopping_ = false;
};

}  // namespace nvdb
