#include "util/thread_pool.hpp"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <exception>
#include <string>

namespace nvdb {

namespace {
thread_local bool inside_task = false;
}

// One parallel_for call: tasks are claimed by index, so whoever is free
// takes the next one and the caller never waits on a busy worker.
struct ThreadPool::Job {
  const std::function<void(std::size_t)> *fn;
  std::size_t n;
  std::atomic<std::size_t> next{0};
  std::atomic<std::size_t> done{0};
  std::mutex mutex;
  std::condition_variable finished;
  std::exception_ptr error;
};

// The process-wide pool is never destroyed. Destroying it would join its
// workers from a static destructor while the process exits, which can hang
// (a language runtime such as mono exiting with threads of its own was seen
// to). libnvdb is linked with -z nodelete, so the workers' code stays
// mapped even after dlclose, and exit simply ends the idle workers.
ThreadPool &ThreadPool::instance() {
  static ThreadPool *pool = new ThreadPool([] {
    std::size_t threads = std::max(1u, std::thread::hardware_concurrency());
    if (const char *env = std::getenv("NVDB_THREADS")) {
      long v = std::strtol(env, nullptr, 10);
      if (v >= 1 && v <= 1024) threads = static_cast<std::size_t>(v);
    }
    return threads;
  }());
  return *pool;
}

ThreadPool::ThreadPool(std::size_t threads) {
  for (std::size_t i = 1; i < threads; ++i) workers_.emplace_back([this] { work(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto &t : workers_) t.join();
}

void ThreadPool::run_tasks(Job &job) {
  bool was_inside = inside_task;
  inside_task = true;
  for (std::size_t i; (i = job.next.fetch_add(1)) < job.n;) {
    try {
      (*job.fn)(i);
    } catch (...) {
      std::lock_guard lock(job.mutex);
      if (!job.error) job.error = std::current_exception();
    }
    if (job.done.fetch_add(1) + 1 == job.n) {
      std::lock_guard lock(job.mutex);
      job.finished.notify_all();
    }
  }
  inside_task = was_inside;
}

void ThreadPool::work() {
  for (;;) {
    std::shared_ptr<Job> job;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      job = queue_.front();
      // A job stays queued until its tasks are all claimed, so every free
      // worker can join it.
      if (job->next.load() >= job->n) {
        queue_.pop_front();
        continue;
      }
    }
    run_tasks(*job);
    std::lock_guard lock(mutex_);
    if (!queue_.empty() && queue_.front() == job) queue_.pop_front();
  }
}

void ThreadPool::parallel_for(std::size_t n, const std::function<void(std::size_t)> &fn) {
  if (n == 0) return;
  if (n == 1 || workers_.empty() || inside_task) {
    for (std::size_t i = 0; i < n; ++i) fn(i);
    return;
  }
  auto job = std::make_shared<Job>();
  job->fn = &fn;
  job->n = n;
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(job);
  }
  wake_.notify_all();
  run_tasks(*job);
  {
    std::unique_lock lock(job->mutex);
    job->finished.wait(lock, [&] { return job->done.load() == job->n; });
  }
  {
    // Claimed out: take it off the queue if no worker has yet.
    std::lock_guard lock(mutex_);
    auto it = std::find(queue_.begin(), queue_.end(), job);
    if (it != queue_.end()) queue_.erase(it);
  }
  if (job->error) std::rethrow_exception(job->error);
}

}  // namespace nvdb
