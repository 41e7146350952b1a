// The memory-bandwidth bound of an exact query, shared by nvdb_bench and
// `nvdb bench`: a vectorised parallel read of as many bytes as the matrix,
// on a team of threads woken as the library's pool wakes its own, timed
// interleaved with the operation it bounds.
#pragma once

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <new>
#include <thread>
#include <utility>
#include <vector>

#include "bench_common.hpp"

namespace bench {

// The library's pool size: one thread per core, or NVDB_THREADS.
inline unsigned thread_count() {
  unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  if (const char *env = std::getenv("NVDB_THREADS")) {
    long v = std::strtol(env, nullptr, 10);
    if (v >= 1 && v <= 1024) threads = static_cast<unsigned>(v);
  }
  return threads;
}

// ---------------------------------------------------------------------------
// The bound: a vectorised parallel sum over a buffer as large as the matrix.

// 64 independent accumulators leave no dependency between lanes, so the
// compiler vectorises the inner loop without -ffast-math. Inlined into each
// target-specific wrapper below, it is compiled once per instruction set.
__attribute__((always_inline)) inline float sum_floats(const float *p, std::size_t n) {
  constexpr std::size_t kLanes = 64;
  float acc[kLanes] = {};
  std::size_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (std::size_t j = 0; j < kLanes; ++j) acc[j] += p[i + j];
  for (; i < n; ++i) acc[0] += p[i];
  float s = 0;
  for (float a : acc) s += a;
  return s;
}

inline __attribute__((target("avx512f"))) float sum_avx512(const float *p, std::size_t n) {
  return sum_floats(p, n);
}
inline __attribute__((target("avx2,fma"))) float sum_avx2(const float *p, std::size_t n) {
  return sum_floats(p, n);
}
inline float sum_sse2(const float *p, std::size_t n) { return sum_floats(p, n); }

struct SumKernel {
  const char *isa;
  float (*sum)(const float *, std::size_t);
};

// The best this CPU runs, as the library chooses its kernels (NVDB_KERNEL
// caps it the same way, so the bound uses the same vector width).
inline SumKernel choose_sum() {
  __builtin_cpu_init();
  const char *forced = std::getenv("NVDB_KERNEL");
  auto allowed = [&](const char *isa) { return !forced || std::strcmp(forced, isa) == 0; };
  if (allowed("avx512") && __builtin_cpu_supports("avx512f")) return {"avx512", sum_avx512};
  if (allowed("avx2") && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    return {"avx2", sum_avx2};
  return {"sse2", sum_sse2};
}

// Runs fn() on every thread of the team (the caller is one of them). The
// workers are started once and woken per call, as the library's pool does,
// so thread creation is not timed but the wake-up is.
class Team {
 public:
  explicit Team(unsigned threads) {
    for (unsigned i = 1; i < threads; ++i) workers_.emplace_back([this] { work(); });
  }
  ~Team() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    for (auto &t : workers_) t.join();
  }

  void run(const std::function<void()> &fn) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      fn_ = &fn;
      busy_ = workers_.size();
      ++generation_;
    }
    wake_.notify_all();
    fn();
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [&] { return busy_ == 0; });
  }

 private:
  void work() {
    std::uint64_t seen = 0;
    for (;;) {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || generation_ != seen; });
      if (stopping_) return;
      seen = generation_;
      lock.unlock();
      (*fn_)();
      lock.lock();
      if (--busy_ == 0) done_.notify_one();
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_, done_;
  const std::function<void()> *fn_ = nullptr;
  std::uint64_t generation_ = 0;
  std::size_t busy_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

using AlignedFloats = std::unique_ptr<float[], decltype(&std::free)>;

inline AlignedFloats aligned_floats(std::size_t n) {
  std::size_t bytes = (n * sizeof(float) + 63) / 64 * 64;
  auto *p = static_cast<float *>(std::aligned_alloc(64, bytes));
  if (!p) throw std::bad_alloc();
  return {p, &std::free};
}

inline std::atomic<float> g_sink{0};  // keeps the sums alive

// One read of a buffer of n floats on every thread: the bound. Threads claim
// 2 MiB chunks, as the library's scan claims its tasks, so a core the
// machine takes away for a while does not hold the others up.
class BoundRead {
 public:
  BoundRead(std::size_t n, Team &team, const SumKernel &kernel)
      : n_(n), buf_(aligned_floats(n)), team_(team), kernel_(kernel) {
    std::fill(buf_.get(), buf_.get() + n, 1.0f);  // fault every page in before timing
  }

  void operator()() {
    constexpr std::size_t kChunk = (std::size_t{2} << 20) / sizeof(float);
    const std::size_t chunks = (n_ + kChunk - 1) / kChunk;
    std::atomic<std::size_t> next{0};
    team_.run([&] {
      float s = 0;
      for (std::size_t c; (c = next.fetch_add(1)) < chunks;)
        s += kernel_.sum(buf_.get() + c * kChunk, std::min(kChunk, n_ - c * kChunk));
      g_sink.store(s, std::memory_order_relaxed);
    });
  }

 private:
  std::size_t n_;
  AlignedFloats buf_;
  Team &team_;
  const SumKernel &kernel_;
};

// Times reps calls of a and of b, alternating in blocks of a few calls, so
// that other load on a shared machine weighs on both alike instead of on
// whichever was running while it lasted. Each block starts with an untimed
// call that refills the caches the other operation evicted.
inline std::pair<Stats, Stats> time_interleaved(int reps, const std::function<void()> &a,
                                         const std::function<void()> &b) {
  constexpr int kBlock = 5;
  std::vector<double> ta, tb;
  auto block = [](const std::function<void()> &op, int n, std::vector<double> &times) {
    op();
    for (int i = 0; i < n; ++i) {
      auto start = Clock::now();
      op();
      times.push_back(ms_since(start));
    }
  };
  for (int done = 0; done < reps; done += kBlock) {
    block(a, std::min(kBlock, reps - done), ta);
    block(b, std::min(kBlock, reps - done), tb);
  }
  return {summarize(ta), summarize(tb)};
}

}  // namespace bench
