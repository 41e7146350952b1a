// nvdb_bench_store: the targets of the shared stores (shm:NAME and store
// files), measured through the C API in one run, on a store of 100,000 x
// 1,024 float32 (409.6 MB; --quick: 20,000):
//   1. attach: nvdb_open(NVDB_OPEN_READ) + the first nvdb_count     < 10 ms
//   2. sharing: total PSS of 8 reader processes / store size         < 1.5
//   3. a reader's query latency while a writer commits / when idle   <= 1.2
//      (a reader whose pool leaves the writer a core; context: one using all)
//   4. a commit of 100 records into the store file                   median <= 5 ms
//
//   nvdb_bench_store [--quick] [--json FILE]
//
// Readers are other processes, as in real use: this executable run again in
// a hidden mode (--reader LOCATOR, --attach LOCATOR CYCLES) and driven over
// its stdin and stdout.
#include <nvdb.h>

#include "bench_common.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

extern char **environ;

namespace {

using bench::check;
using bench::Clock;
using bench::db_info;
using bench::fail;
using bench::info_field;
using bench::ms_since;
using bench::Stats;
using bench::summarize;

// ---------------------------------------------------------------------------
// Failing and cleaning up.

// What the run creates and must not leave behind: the store file's temp
// dir (hundreds of MB), the shm objects (RAM until reboot) and the reader
// processes not yet reaped. Only the bench process fills it in; its children
// leave it empty, so a failing child cleans nothing of the bench's.
struct Cleanup {
  std::string dir;              // removed with every file in it
  std::string shm_base;         // "nvdb-NAME": /dev/shm/nvdb-NAME and nvdb-NAME.G
  std::vector<pid_t> children;  // started and not yet reaped
};
Cleanup g_cleanup;

void remove_entries(const std::string &dir, const std::function<bool(const std::string &)> &match) {
  DIR *d = ::opendir(dir.c_str());
  if (!d) return;
  std::vector<std::string> names;
  while (const dirent *e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name != "." && name != ".." && match(name)) names.push_back(name);
  }
  ::closedir(d);
  for (const std::string &name : names) ::unlink((dir + "/" + name).c_str());
}

void cleanup_now() {
  for (pid_t pid : g_cleanup.children) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
  g_cleanup.children.clear();
  if (!g_cleanup.dir.empty()) {
    remove_entries(g_cleanup.dir, [](const std::string &) { return true; });
    ::rmdir(g_cleanup.dir.c_str());
    g_cleanup.dir.clear();
  }
  if (!g_cleanup.shm_base.empty()) {
    const std::string base = g_cleanup.shm_base;
    remove_entries("/dev/shm", [&](const std::string &name) {
      return name == base || name.rfind(base + ".", 0) == 0;
    });
    g_cleanup.shm_base.clear();
  }
}

// ---------------------------------------------------------------------------
// Random data.


// xorshift64*: fills 400 MB of vectors in well under a second, where a
// normal distribution takes several. Uniform components serve as well: a
// scan reads every vector whatever its values.
class Random {
 public:
  explicit Random(std::uint64_t seed) : s_(seed * 0x9E3779B97F4A7C15ull | 1) {}
  std::uint64_t next() {
    s_ ^= s_ >> 12;
    s_ ^= s_ << 25;
    s_ ^= s_ >> 27;
    return s_ * 0x2545F4914F6CDD1Dull;
  }
  float uniform() { return float(next() >> 40) * (2.0f / 16777216.0f) - 1.0f; }  // [-1, 1)
  std::size_t below(std::size_t n) { return next() % n; }

 private:
  std::uint64_t s_;
};

std::vector<float> random_vectors(std::size_t count, std::size_t dim, std::uint64_t seed) {
  Random rng(seed);
  std::vector<float> v(count * dim);
  for (float &x : v) x = rng.uniform();
  return v;
}

std::string record_id(std::size_t i) { return "v" + std::to_string(i); }

std::vector<const char *> c_strings(const std::vector<std::string> &strings) {
  std::vector<const char *> out;
  for (const std::string &s : strings) out.push_back(s.c_str());
  return out;
}

// ---------------------------------------------------------------------------
// Handles.

struct Closer {
  void operator()(nvdb_db *db) const { check(nvdb_close(db), "nvdb_close"); }
};
using Handle = std::unique_ptr<nvdb_db, Closer>;

Handle open_store(const std::string &locator, nvdb_open_mode mode, std::uint32_t dim,
                  std::uint32_t flags) {
  nvdb_options opts = NVDB_OPTIONS_INIT;
  opts.dim = dim;
  opts.mode = mode;
  opts.flags = flags;
  nvdb_db *db = nullptr;
  check(nvdb_open(&db, locator.c_str(), &opts), "nvdb_open(\"" + locator + "\")");
  return Handle(db);
}

std::size_t record_count(nvdb_db *db) {
  std::size_t n = 0;
  check(nvdb_count(db, &n), "nvdb_count");
  return n;
}

std::uint64_t store_generation(nvdb_db *db) {
  return std::strtoull(info_field(db_info(db), "generation").c_str(), nullptr, 10);
}

// ---------------------------------------------------------------------------
// Work the processes do.

// Creates a store with records v0..v(n-1), 10,000 per upsert; returns the
// seconds spent in nvdb_upsert.
double fill_store(const std::string &locator, std::size_t n, std::size_t dim, std::uint32_t flags) {
  constexpr std::size_t kBatch = 10000;
  Handle db = open_store(locator, NVDB_OPEN_CREATE, static_cast<std::uint32_t>(dim), flags);
  double ms = 0;
  for (std::size_t b = 0; b < n; b += kBatch) {
    const std::size_t count = std::min(kBatch, n - b);
    const std::vector<float> vectors = random_vectors(count, dim, b + 1);
    std::vector<std::string> ids;
    for (std::size_t i = 0; i < count; ++i) ids.push_back(record_id(b + i));
    const std::vector<const char *> id_ptrs = c_strings(ids);
    auto start = Clock::now();
    check(nvdb_upsert(db.get(), count, id_ptrs.data(), vectors.data(), vectors.size(), nullptr, nullptr),
          "nvdb_upsert");
    ms += ms_since(start);
  }
  if (record_count(db.get()) != n) fail(locator + ": wrong record count after the fill");
  return ms / 1000;
}

// Target 1's operation: attach to a store and read from it once.
double attach_ms(const std::string &locator) {
  nvdb_options opts = NVDB_OPTIONS_INIT;
  opts.mode = NVDB_OPEN_READ;
  nvdb_db *db = nullptr;
  auto start = Clock::now();
  check(nvdb_open(&db, locator.c_str(), &opts), "nvdb_open(\"" + locator + "\", NVDB_OPEN_READ)");
  const Handle handle(db);
  const std::size_t n = record_count(db);
  const double ms = ms_since(start);
  if (n == 0) fail(locator + ": the reader sees no records");
  return ms;
}

// Top-10 queries with random vectors, as a reader application asks them.
class Query {
 public:
  static constexpr std::uint32_t kTopK = 10;
  static constexpr std::size_t kPool = 64;

  Query(nvdb_db *db, std::uint64_t seed)
      : db_(db), dim_(nvdb_dim(db)), vectors_(random_vectors(kPool, dim_, seed)) {}

  void operator()() {
    nvdb_query_options opts = NVDB_QUERY_OPTIONS_INIT;
    opts.top_k = kTopK;
    nvdb_hits *hits = nullptr;
    const float *vector = vectors_.data() + (next_++ % kPool) * dim_;
    check(nvdb_query(db_, vector, dim_, &opts, &hits), "nvdb_query");
    const std::size_t got = nvdb_hits_count(hits);
    nvdb_hits_free(hits);
    if (got != kTopK) fail("nvdb_query: " + std::to_string(got) + " hits, expected 10");
  }

 private:
  nvdb_db *db_;
  std::size_t dim_, next_ = 0;
  std::vector<float> vectors_;
};

// Commits of 100 records that replace existing ones (distinct ids drawn at
// random, new vectors): the record count stays at n, as under a steady
// stream of updates, and the store grows only by its dead rows until the
// writer rewrites it. prepare() is not part of a timed commit.
class UpdateBatches {
 public:
  static constexpr std::size_t kRows = 100;

  UpdateBatches(std::size_t n, std::size_t dim, std::uint64_t seed) : n_(n), dim_(dim), rng_(seed) {
    // A few batches of vectors reused in turn: generating them is not the
    // writer's cost, and new values each time are not needed.
    for (std::uint64_t i = 0; i < 4; ++i) pool_.push_back(random_vectors(kRows, dim, seed * 16 + i));
  }

  void prepare() {
    std::unordered_set<std::size_t> picked;
    while (picked.size() < kRows) picked.insert(rng_.below(n_));
    ids_.clear();
    for (std::size_t i : picked) ids_.push_back(record_id(i));
    ptrs_ = c_strings(ids_);
    next_ = (next_ + 1) % pool_.size();
  }

  int commit(nvdb_db *db) const {
    const std::vector<float> &v = pool_[next_];
    return nvdb_upsert(db, kRows, ptrs_.data(), v.data(), v.size(), nullptr, nullptr);
  }

 private:
  std::size_t n_, dim_;
  Random rng_;
  std::vector<std::vector<float>> pool_;
  std::size_t next_ = 0;
  std::vector<std::string> ids_;
  std::vector<const char *> ptrs_;
};

// ---------------------------------------------------------------------------
// The hidden modes: what a child process runs.

// --reader LOCATOR: attach, touch every page of the store by scanning it a
// few times, say "ready", then answer "latency N" (the ms of each of N
// queries, on one line) until stdin closes.
int reader_main(const std::string &locator) {
  bench::program_name() = "nvdb_bench_store reader " + std::to_string(::getpid());
  constexpr int kTouchPasses = 3;
  const Handle db = open_store(locator, NVDB_OPEN_READ, 0, 0);
  Query query(db.get(), static_cast<std::uint64_t>(::getpid()));
  for (int i = 0; i < kTouchPasses; ++i) query();
  std::printf("ready\n");
  std::fflush(stdout);
  char line[128];
  while (std::fgets(line, sizeof line, stdin)) {
    int count = 0;
    if (std::sscanf(line, "latency %d", &count) != 1 || count < 1) fail(std::string("unknown command: ") + line);
    for (int i = 0; i < count; ++i) {
      auto start = Clock::now();
      query();
      std::printf("%.4f ", ms_since(start));
    }
    std::printf("\n");
    std::fflush(stdout);
  }
  return 0;
}

// --attach LOCATOR CYCLES: the attach time of each cycle on one line; the
// first is the first attach of a new process.
int attach_main(const std::string &locator, int cycles) {
  bench::program_name() = "nvdb_bench_store attach " + std::to_string(::getpid());
  for (int i = 0; i < cycles; ++i) std::printf("%.4f ", attach_ms(locator));
  std::printf("\n");
  return 0;
}

// ---------------------------------------------------------------------------
// Child processes: this executable in a hidden mode, its stdin and stdout
// connected to the bench by pipes.

std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return std::string("killed by signal ") + strsignal(WTERMSIG(status));
  return "stopped";
}

class Child {
 public:
  explicit Child(const std::vector<std::string> &args) {
    int in[2], out[2];
    // Close-on-exec, so that no child inherits another's pipe ends: a reader
    // must see end-of-file when the bench closes its stdin.
    if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0) fail(std::string("pipe2: ") + std::strerror(errno));
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    // The bench ignores SIGPIPE (a dead child is reported, not fatal);
    // children get the default back.
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t defaults;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);

    std::vector<std::string> all{"nvdb_bench_store"};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char *> argv;
    for (std::string &a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    const int rc = ::posix_spawn(&pid_, "/proc/self/exe", &actions, &attr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    ::close(in[0]);
    ::close(out[1]);
    to_ = in[1];
    from_ = ::fdopen(out[0], "r");
    if (rc != 0) fail(std::string("posix_spawn: ") + std::strerror(rc));
    g_cleanup.children.push_back(pid_);
  }
  Child(const Child &) = delete;
  Child &operator=(const Child &) = delete;
  // A child still running ends when its stdin closes: reap it, no zombie.
  ~Child() {
    if (pid_ > 0) wait();
  }

  pid_t pid() const { return pid_; }

  void send(const std::string &line) {
    const std::string text = line + "\n";
    if (::write(to_, text.data(), text.size()) != static_cast<ssize_t>(text.size()))
      fail("cannot write to child " + std::to_string(pid_) + ": " + std::strerror(errno));
  }

  std::string read_line() {
    char *line = nullptr;
    std::size_t cap = 0;
    const ssize_t len = ::getline(&line, &cap, from_);
    std::string text = len > 0 ? std::string(line, static_cast<std::size_t>(len)) : std::string();
    std::free(line);
    if (len <= 0) {
      const pid_t pid = pid_;
      fail("child " + std::to_string(pid) + " " + describe_status(wait()) + " without answering");
    }
    if (!text.empty() && text.back() == '\n') text.pop_back();
    return text;
  }

  // Closes the child's stdin (its signal to finish) and reaps it.
  void finish() {
    const pid_t pid = pid_;
    const int status = wait();
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
      fail("child " + std::to_string(pid) + " " + describe_status(status));
  }

 private:
  int wait() {
    if (to_ >= 0) ::close(to_);
    if (from_) std::fclose(from_);
    to_ = -1;
    from_ = nullptr;
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    auto &kids = g_cleanup.children;
    kids.erase(std::remove(kids.begin(), kids.end(), pid_), kids.end());
    pid_ = -1;
    return status;
  }

  pid_t pid_ = -1;
  int to_ = -1;
  FILE *from_ = nullptr;
};

std::unique_ptr<Child> start_reader(const std::string &locator) {
  return std::make_unique<Child>(std::vector<std::string>{"--reader", locator});
}

void expect_ready(Child &reader) {
  const std::string line = reader.read_line();
  if (line != "ready") fail("reader " + std::to_string(reader.pid()) + " said \"" + line + "\"");
}

std::vector<double> parse_numbers(const std::string &line) {
  std::istringstream in(line);
  std::vector<double> out;
  for (double x; in >> x;) out.push_back(x);
  return out;
}

// ---------------------------------------------------------------------------
// Configuration and the stores under test.

struct Config {
  bool quick = false;
  std::size_t n = 100000, dim = 1024;
  int attach_cycles = 30;     // per process (target: median of >= 20)
  int attach_processes = 5;   // fresh processes, each timing its first attach
  int cold_attaches = 5;      // fresh processes after the page cache is dropped
  int readers = 8;
  int latency_queries = 150;  // per measurement (>= 100)
  int commits = 200;          // per series, at least...
  int max_commits = 1500;     // ...and on until a rewrite is seen, up to this

  double store_bytes() const { return double(n) * double(dim) * sizeof(float); }
  double store_mb() const { return store_bytes() / 1e6; }
};

Config make_config(bool quick) {
  Config c;
  c.quick = quick;
  if (quick) {
    c.n = 20000;
    c.attach_cycles = 20;
    c.attach_processes = 3;
    c.cold_attaches = 3;
    c.latency_queries = 50;  // a smoke run: below the 100 the target asks for
    c.commits = 40;
    c.max_commits = 40;  // a smoke run does not wait for a rewrite
  }
  return c;
}

struct Store {
  std::string kind;     // "file" or "shm"
  std::string locator;
  double fill_s = 0;
  std::string info;     // nvdb_info after the fill
};

// ---------------------------------------------------------------------------
// 1. Attach time.

struct AttachResult {
  std::string store, where;
  int samples;
  Stats ms;
  bool judged;  // counts for the target (the cold-cache figure is context)
};

std::vector<double> attach_in_children(const std::string &locator, int processes, int cycles,
                                       std::vector<double> *firsts, const std::function<void()> &before) {
  std::vector<double> rest;
  for (int p = 0; p < processes; ++p) {
    if (before) before();
    Child child({"--attach", locator, std::to_string(cycles)});
    const std::vector<double> times = parse_numbers(child.read_line());
    child.finish();
    if (times.size() != static_cast<std::size_t>(cycles)) fail("attach child: wrong number of times");
    firsts->push_back(times[0]);
    rest.insert(rest.end(), times.begin() + 1, times.end());
  }
  return rest;
}

// Drops the store file's pages from the page cache (written back first), so
// that the next attach reads the disk as the first after a reboot would.
// Pages a process maps cannot be dropped: every handle must be closed.
void drop_page_cache(const std::string &dir) {
  DIR *d = ::opendir(dir.c_str());
  if (!d) fail("opendir " + dir);
  while (const dirent *e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    const int fd = ::open((dir + "/" + e->d_name).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    if (::fdatasync(fd) != 0 || ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) != 0)
      std::fprintf(stderr, "%s: cannot drop %s from the page cache\n", bench::program_name().c_str(), e->d_name);
    ::close(fd);
  }
  ::closedir(d);
}

std::vector<AttachResult> measure_attach(const Store &s, const Config &c) {
  std::vector<AttachResult> out;
  std::vector<double> in_process;
  for (int i = 0; i < c.attach_cycles; ++i) in_process.push_back(attach_ms(s.locator));
  out.push_back({s.kind, "this process", c.attach_cycles, summarize(in_process), true});

  std::vector<double> firsts;
  const std::vector<double> rest = attach_in_children(s.locator, c.attach_processes, c.attach_cycles, &firsts, {});
  out.push_back({s.kind, "new process, 1st attach", c.attach_processes, summarize(firsts), true});
  out.push_back({s.kind, "new process, later attaches", static_cast<int>(rest.size()), summarize(rest), true});

  if (s.kind == "file") {
    std::vector<double> cold;
    attach_in_children(s.locator, c.cold_attaches, 1, &cold, [&] { drop_page_cache(g_cleanup.dir); });
    out.push_back({s.kind, "new process, page cache dropped", c.cold_attaches, summarize(cold), false});
  }
  return out;
}

// ---------------------------------------------------------------------------
// 2. Memory sharing.

struct Memory {
  double rss_kb = 0, pss_kb = 0, pss_anon_kb = 0;
};

// A process's resident set and proportional set size: PSS divides each
// page among the processes mapping it, so shared pages count once in the
// sum over all processes, and private copies count in full.
Memory process_memory(pid_t pid) {
  const std::string path = "/proc/" + std::to_string(pid) + "/smaps_rollup";
  FILE *f = std::fopen(path.c_str(), "r");
  if (!f) fail("cannot read " + path + ": " + std::strerror(errno));
  Memory m;
  bool has_pss = false;
  char line[256];
  while (std::fgets(line, sizeof line, f)) {
    double kb = 0;
    if (std::sscanf(line, "Rss: %lf kB", &kb) == 1) m.rss_kb = kb;
    if (std::sscanf(line, "Pss: %lf kB", &kb) == 1) m.pss_kb = kb, has_pss = true;
    if (std::sscanf(line, "Pss_Anon: %lf kB", &kb) == 1) m.pss_anon_kb = kb;
  }
  std::fclose(f);
  if (!has_pss) fail(path + " has no Pss line");
  return m;
}

struct SharingResult {
  std::string store;
  int readers;
  Memory total;
  double store_mb;
  double ratio() const { return total.pss_kb * 1024 / 1e6 / store_mb; }
};

SharingResult measure_sharing(const Store &s, const Config &c) {
  std::vector<std::unique_ptr<Child>> readers;
  for (int i = 0; i < c.readers; ++i) readers.push_back(start_reader(s.locator));
  for (auto &r : readers) expect_ready(*r);
  SharingResult res{s.kind, c.readers, {}, c.store_mb()};
  for (auto &r : readers) {
    const Memory m = process_memory(r->pid());
    res.total.rss_kb += m.rss_kb;
    res.total.pss_kb += m.pss_kb;
    res.total.pss_anon_kb += m.pss_anon_kb;
  }
  for (auto &r : readers) r->finish();
  return res;
}

// ---------------------------------------------------------------------------
// 3. Reader latency under a writer.

double thread_cpu_ms() {
  timespec t{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

// Work a thread of this process does, switched on and off between blocks of
// a reader process's queries.
class Load {
 public:
  // A derived class calls shutdown() in its destructor: the thread calls step().
  virtual ~Load() = default;
  virtual bool makes_commits() const = 0;

  void launch() { thread_ = std::thread([this] { run(); }); }

  // Switches the load on; returns once a step has completed since, so that
  // the load is under way when the reader is asked.
  void resume() {
    std::unique_lock<std::mutex> lock(mutex_);
    resumed_at_ = Clock::now();
    active_ = true;
    const long before = steps_;
    changed_.notify_all();
    changed_.wait(lock, [&] { return steps_ > before || finished_; });
  }

  // Switches it off; returns once no step is running, so that the reader's
  // next block is idle.
  void pause() {
    std::unique_lock<std::mutex> lock(mutex_);
    active_ = false;
    changed_.wait(lock, [&] { return !in_step_; });
    active_ms_ += ms_since(resumed_at_);
  }

  // Ends the thread; fails if a step failed.
  void shutdown() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      quit_ = true;
    }
    changed_.notify_all();
    if (thread_.joinable()) thread_.join();
    if (!error_.empty()) fail(error_);
  }

  long steps() const { return steps_; }
  // The load thread's CPU time over the time it was on: the share of a core
  // it took from the reader (kernel threads doing its writeback not counted).
  double cpu_share() const { return active_ms_ > 0 ? cpu_ms_ / active_ms_ : 0; }

 protected:
  // One unit of work; false after setting error_.
  virtual bool step() = 0;
  std::string error_;

 private:
  void run() {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      changed_.wait(lock, [&] { return quit_ || active_; });
      if (quit_) break;
      in_step_ = true;
      lock.unlock();
      const double cpu_start = thread_cpu_ms();
      const bool ok = step();
      const double cpu = thread_cpu_ms() - cpu_start;
      lock.lock();
      in_step_ = false;
      cpu_ms_ += cpu;
      if (!ok) break;
      steps_++;
      changed_.notify_all();
    }
    finished_ = true;
    changed_.notify_all();
  }

  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable changed_;
  bool active_ = false, in_step_ = false, quit_ = false, finished_ = false;
  long steps_ = 0;
  double cpu_ms_ = 0, active_ms_ = 0;
  Clock::time_point resumed_at_;
};

// A writer committing 100 replaced records after another, as fast as it can.
class WriterLoad : public Load {
 public:
  WriterLoad(nvdb_db *db, const Config &c) : db_(db), batches_(c.n, c.dim, 99) {}
  ~WriterLoad() override { shutdown(); }
  bool makes_commits() const override { return true; }

 private:
  bool step() override {
    batches_.prepare();
    const int status = batches_.commit(db_);
    // fail() belongs to the main thread; shutdown() reports this there.
    if (status != NVDB_OK) error_ = std::string("nvdb_upsert failed: ") + nvdb_strerror(status) + ": " + nvdb_errmsg();
    return status == NVDB_OK;
  }
  nvdb_db *db_;
  UpdateBatches batches_;
};

// The control: a thread as busy as a writer can be but making no commits,
// so that the part of a slowdown that is only a core taken away shows.
class CpuLoad : public Load {
 public:
  ~CpuLoad() override { shutdown(); }
  bool makes_commits() const override { return false; }

 private:
  bool step() override {
    volatile std::uint64_t x = 0;
    for (int i = 0; i < 100000; ++i) x = x + i;
    return true;
  }
};

struct LatencyResult {
  std::string store, load;
  Stats idle, loaded;
  int idle_queries = 0, loaded_queries = 0;  // loaded_queries 0: an idle-only row
  long commits = -1;                         // -1: the load makes none
  double cpu_share = 0;
  std::uint64_t dead_rows = 0;               // after the measurement
  bool judged = false;                       // counts for the target
  unsigned reader_threads = 0;               // the reader's pool
  double ratio() const { return loaded.median / idle.median; }
};

// Rows of the current generation that replaced or deleted records left:
// queries on a store with dead rows take another path (they check each row).
std::uint64_t dead_rows(nvdb_db *db) {
  const std::string info = db_info(db);
  return std::strtoull(info_field(info, "rows").c_str(), nullptr, 10) -
         std::strtoull(info_field(info, "count").c_str(), nullptr, 10);
}

std::vector<double> ask_times(Child &reader, int queries) {
  reader.send("latency " + std::to_string(queries));
  const std::vector<double> times = parse_numbers(reader.read_line());
  if (times.size() != static_cast<std::size_t>(queries)) fail("reader: malformed latency answer");
  return times;
}

// Idle and loaded blocks of a few queries alternate, so that whatever else
// runs on a shared machine weighs on both alike; back to back, a minute of
// someone's compile would land on one of them only.
void time_with_and_without(Child &reader, Load &load, int queries, LatencyResult &r) {
  constexpr int kBlock = 10;
  std::vector<double> idle, loaded;
  load.launch();
  for (int done = 0; done < queries; done += kBlock) {
    const int k = std::min(kBlock, queries - done);
    for (double t : ask_times(reader, k)) idle.push_back(t);
    load.resume();
    for (double t : ask_times(reader, k)) loaded.push_back(t);
    load.pause();
  }
  load.shutdown();
  r.idle = summarize(idle);
  r.loaded = summarize(loaded);
  r.idle_queries = r.loaded_queries = queries;
  r.commits = load.makes_commits() ? load.steps() : -1;
  r.cpu_share = load.cpu_share();
}

// A reader process whose pool has `threads` threads (NVDB_THREADS), ready.
std::unique_ptr<Child> start_reader_with(const std::string &locator, unsigned threads) {
  ::setenv("NVDB_THREADS", std::to_string(threads).c_str(), 1);  // read by the child's library only
  auto reader = start_reader(locator);
  ::unsetenv("NVDB_THREADS");
  expect_ready(*reader);
  return reader;
}

// Two readers. The judged one leaves the writer a core (its pool has one
// thread fewer than the machine has cores), as a reader and a writer have
// on any machine with more cores than their threads: what slows it is the
// writer's commits, not a core taken away. The other uses every core, so
// the writer also takes CPU time from it; a control thread that only burns
// CPU shows how much of that slowdown is the core alone (context).
std::vector<LatencyResult> measure_latency(const Store &s, const Config &c) {
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  std::vector<LatencyResult> out;
  auto with = [&](Child &reader, unsigned threads, const std::string &label, Load &load, bool judged) {
    LatencyResult r;
    r.store = s.kind;
    r.load = label;
    r.reader_threads = threads;
    r.judged = judged;
    time_with_and_without(reader, load, c.latency_queries, r);
    r.dead_rows = dead_rows(open_store(s.locator, NVDB_OPEN_READ, 0, 0).get());
    out.push_back(r);
  };
  auto with_writer = [&](Child &reader, unsigned threads, const std::string &label, std::uint32_t flags,
                         bool judged) {
    const Handle db = open_store(s.locator, NVDB_OPEN_WRITE, 0, flags);
    WriterLoad writer(db.get(), c);
    with(reader, threads, label, writer, judged);
  };
  const bool file = s.kind == "file";

  const unsigned narrow = std::max(1u, cores - 1);
  auto reader = start_reader_with(s.locator, narrow);
  LatencyResult before;  // the idle store, before this test's writers
  before.store = s.kind;
  before.load = "none yet (idle only)";
  before.reader_threads = narrow;
  before.idle = summarize(ask_times(*reader, c.latency_queries));
  before.idle_queries = c.latency_queries;
  before.dead_rows = dead_rows(open_store(s.locator, NVDB_OPEN_READ, 0, 0).get());
  out.push_back(before);
  with_writer(*reader, narrow, file ? "writer, fsync commits" : "writer commits", 0, true);
  if (file) with_writer(*reader, narrow, "writer, NO_SYNC commits", NVDB_FLAG_NO_SYNC, true);
  reader->finish();

  if (cores > 1) {
    reader = start_reader_with(s.locator, cores);
    with_writer(*reader, cores, file ? "writer, fsync commits" : "writer commits", 0, false);
    if (file) with_writer(*reader, cores, "writer, NO_SYNC commits", NVDB_FLAG_NO_SYNC, false);
    CpuLoad cpu;
    with(*reader, cores, "control: busy thread, no commits", cpu, false);
    reader->finish();
  }
  return out;
}

// ---------------------------------------------------------------------------
// 4. Commit time.

struct CommitResult {
  std::string store, durability;
  int commits = 0, rewrites = 0;
  Stats all, without_rewrites;
  double rewrite_max = 0;
};

// Times 100-record commits, at least c.commits of them and on until one has
// rewritten the generation (growth or compaction) if c.max_commits allows:
// that rare, long commit is part of the honest maximum.
CommitResult measure_commits(const Store &s, const std::string &durability, std::uint32_t flags,
                             const Config &c) {
  const Handle db = open_store(s.locator, NVDB_OPEN_WRITE, 0, flags);
  UpdateBatches batches(c.n, c.dim, flags + 7);
  std::uint64_t generation = store_generation(db.get());
  std::vector<double> all, plain;
  CommitResult r;
  r.store = s.kind;
  r.durability = durability;
  while (r.commits < c.max_commits && (r.commits < c.commits || r.rewrites == 0)) {
    batches.prepare();
    auto start = Clock::now();
    check(batches.commit(db.get()), "nvdb_upsert");
    const double ms = ms_since(start);
    r.commits++;
    all.push_back(ms);
    const std::uint64_t now = store_generation(db.get());
    if (now != generation) {
      r.rewrites++;
      r.rewrite_max = std::max(r.rewrite_max, ms);
      generation = now;
    } else {
      plain.push_back(ms);
    }
  }
  r.all = summarize(all);
  r.without_rewrites = summarize(plain);
  return r;
}

// ---------------------------------------------------------------------------
// Report.

struct Results {
  std::vector<Store> stores;
  std::vector<AttachResult> attach;
  std::vector<SharingResult> sharing;
  std::vector<LatencyResult> latency;
  std::vector<CommitResult> commits;
};

constexpr double kAttachTargetMs = 10, kSharingTarget = 1.5, kLatencyTarget = 1.2, kCommitTargetMs = 5;

// Whether one row meets its target (a row not judged is still marked).
bool meets(const AttachResult &a) { return a.ms.median < kAttachTargetMs; }
bool meets(const SharingResult &s) { return s.ratio() < kSharingTarget; }
bool meets(const LatencyResult &l) { return l.ratio() <= kLatencyTarget; }
// The target is about the store file; shm is shown for comparison.
bool meets(const CommitResult &c) { return c.store != "file" || c.all.median <= kCommitTargetMs; }

bool judged(const AttachResult &a) { return a.judged; }
bool judged(const SharingResult &) { return true; }
bool judged(const LatencyResult &l) { return l.judged; }
bool judged(const CommitResult &) { return true; }

// Whether every judged row meets its target.
template <class Row>
bool all_met(const std::vector<Row> &rows) {
  return std::all_of(rows.begin(), rows.end(), [](const Row &x) { return !judged(x) || meets(x); });
}

const char *mark(bool ok) { return ok ? " " : "!"; }

void print_attach(const Results &r) {
  std::printf("\n1. attach: nvdb_open(NVDB_OPEN_READ) + first nvdb_count; target median < %.0f ms\n",
              kAttachTargetMs);
  std::printf("%-5s %-33s %7s | %9s %9s %9s\n", "store", "where", "samples", "median ms", "p90 ms", "max ms");
  for (const AttachResult &a : r.attach)
    std::printf("%-5s %-33s %7d | %8.3f%s %9.3f %9.3f%s\n", a.store.c_str(), a.where.c_str(), a.samples,
                a.ms.median, mark(meets(a)), a.ms.p90, a.ms.max,
                a.judged ? "" : "   (context, not judged)");
}

void print_sharing(const Results &r) {
  std::printf("\n2. memory sharing: reader processes that scanned the whole store; target PSS / store < %.1f\n",
              kSharingTarget);
  std::printf("%-5s %7s | %9s %13s %13s %13s | %9s\n", "store", "readers", "store MB", "sum of PSS MB",
              "of it anon MB", "sum of RSS MB", "PSS/store");
  for (const SharingResult &s : r.sharing)
    std::printf("%-5s %7d | %9.1f %13.1f %13.1f %13.1f | %8.3f%s\n", s.store.c_str(), s.readers, s.store_mb,
                s.total.pss_kb * 1024 / 1e6, s.total.pss_anon_kb * 1024 / 1e6, s.total.rss_kb * 1024 / 1e6,
                s.ratio(), mark(meets(s)));
}

void print_latency(const Results &r) {
  std::printf("\n3. reader query latency (top 10, one reader process); idle and loaded blocks of 10 queries\n"
              "   alternate while a thread of this process commits or burns CPU; target loaded / idle <= %.1f\n"
              "   for a reader that leaves the writer a core (threads: its pool)\n",
              kLatencyTarget);
  std::printf("%-5s %-33s %7s %7s | %9s %9s | %9s %9s %9s | %6s | %7s %7s | %9s\n", "store", "load", "threads",
              "queries", "idle ms", "idle p90", "loaded ms", "p90 ms", "max ms", "ratio", "commits", "its CPU",
              "dead rows");
  for (const LatencyResult &l : r.latency) {
    std::printf("%-5s %-33s %7u %7d | %9.3f %9.3f | ", l.store.c_str(), l.load.c_str(), l.reader_threads,
                l.idle_queries, l.idle.median, l.idle.p90);
    if (l.loaded_queries == 0) {
      std::printf("%9s %9s %9s | %6s | %7s %7s | %9llu\n", "-", "-", "-", "-", "-", "-",
                  static_cast<unsigned long long>(l.dead_rows));
      continue;
    }
    std::printf("%9.3f %9.3f %9.3f | %5.2f%s | %7s %6.0f%% | %9llu%s\n", l.loaded.median, l.loaded.p90,
                l.loaded.max, l.ratio(), mark(meets(l)),
                l.commits < 0 ? "-" : std::to_string(l.commits).c_str(), 100 * l.cpu_share,
                static_cast<unsigned long long>(l.dead_rows), l.judged ? "" : "   (context, not judged)");
  }
  std::printf("its CPU: the load thread's CPU time / the time it ran, in %% of one core of %u\n",
              std::thread::hardware_concurrency());
}

void print_commits(const Results &r) {
  std::printf("\n4. commit: nvdb_upsert of 100 replaced records; target median <= %.0f ms (store file)\n",
              kCommitTargetMs);
  std::printf("%-5s %-8s %7s | %9s %9s %9s | %8s %11s | %15s\n", "store", "sync", "commits", "median ms",
              "p90 ms", "max ms", "rewrites", "rewrite ms", "max w/o rewrite");
  for (const CommitResult &c : r.commits)
    std::printf("%-5s %-8s %7d | %8.3f%s %9.3f %9.3f | %8d %11.1f | %15.3f\n", c.store.c_str(),
                c.durability.c_str(), c.commits, c.all.median,
                mark(meets(c)), c.all.p90, c.all.max, c.rewrites,
                c.rewrite_max, c.without_rewrites.max);
}

void print_report(const Results &r, const Config &c) {
  const std::string &info = r.stores.front().info;
  std::printf("nvdb %s; kernel %s; threads %s; store %zu x %zu float32 = %.1f MB%s\n", nvdb_version(),
              info_field(info, "kernel").c_str(), info_field(info, "threads").c_str(), c.n, c.dim,
              c.store_mb(), c.quick ? " (--quick)" : "");
  for (const Store &s : r.stores)
    std::printf("fill %-4s: %.2f s in nvdb_upsert (batches of 10,000%s); generation %s, capacity %s rows\n",
                s.kind.c_str(), s.fill_s, s.kind == "file" ? ", NO_SYNC" : "",
                info_field(s.info, "generation").c_str(), info_field(s.info, "capacity").c_str());
  print_attach(r);
  print_sharing(r);
  print_latency(r);
  print_commits(r);
  std::printf("\ntargets: attach %s, sharing %s, latency %s, commit %s  (! marks a miss)\n",
              all_met(r.attach) ? "met" : "MISSED", all_met(r.sharing) ? "met" : "MISSED",
              all_met(r.latency) ? "met" : "MISSED", all_met(r.commits) ? "met" : "MISSED");
}

std::string json_stats(const Stats &s) {
  char buf[160];
  std::snprintf(buf, sizeof buf, "{\"median\": %.4f, \"p90\": %.4f, \"max\": %.4f}", s.median, s.p90, s.max);
  return buf;
}

bool write_json(const char *path, const Results &r, const Config &c) {
  FILE *f = std::fopen(path, "w");
  if (!f) return false;
  std::fprintf(f, "{\"nvdb_version\": \"%s\", \"quick\": %s, \"n\": %zu, \"dim\": %zu, \"store_bytes\": %.0f,\n",
               nvdb_version(), c.quick ? "true" : "false", c.n, c.dim, c.store_bytes());
  std::fprintf(f, " \"fill_s\": {");
  for (std::size_t i = 0; i < r.stores.size(); ++i)
    std::fprintf(f, "%s\"%s\": %.3f", i ? ", " : "", r.stores[i].kind.c_str(), r.stores[i].fill_s);
  std::fprintf(f, "},\n \"attach_ms\": [");
  for (std::size_t i = 0; i < r.attach.size(); ++i) {
    const AttachResult &a = r.attach[i];
    std::fprintf(f, "%s\n  {\"store\": \"%s\", \"where\": \"%s\", \"samples\": %d, \"judged\": %s, \"ms\": %s}",
                 i ? "," : "", a.store.c_str(), a.where.c_str(), a.samples, a.judged ? "true" : "false",
                 json_stats(a.ms).c_str());
  }
  std::fprintf(f, "],\n \"sharing\": [");
  for (std::size_t i = 0; i < r.sharing.size(); ++i) {
    const SharingResult &s = r.sharing[i];
    std::fprintf(f,
                 "%s\n  {\"store\": \"%s\", \"readers\": %d, \"pss_kb\": %.0f, \"pss_anon_kb\": %.0f, "
                 "\"rss_kb\": %.0f, \"pss_over_store\": %.4f}",
                 i ? "," : "", s.store.c_str(), s.readers, s.total.pss_kb, s.total.pss_anon_kb, s.total.rss_kb,
                 s.ratio());
  }
  std::fprintf(f, "],\n \"latency_ms\": [");
  for (std::size_t i = 0; i < r.latency.size(); ++i) {
    const LatencyResult &l = r.latency[i];
    const bool loaded = l.loaded_queries > 0;
    std::fprintf(f,
                 "%s\n  {\"store\": \"%s\", \"load\": \"%s\", \"judged\": %s, \"reader_threads\": %u, "
                 "\"idle_queries\": %d, "
                 "\"idle\": %s, \"loaded_queries\": %d, \"loaded\": %s, \"ratio\": %s, \"commits\": %ld, "
                 "\"load_cpu_share\": %.4f, \"dead_rows\": %llu}",
                 i ? "," : "", l.store.c_str(), l.load.c_str(), l.judged ? "true" : "false", l.reader_threads,
                 l.idle_queries,
                 json_stats(l.idle).c_str(), l.loaded_queries, loaded ? json_stats(l.loaded).c_str() : "null",
                 loaded ? std::to_string(l.ratio()).c_str() : "null", l.commits, l.cpu_share,
                 static_cast<unsigned long long>(l.dead_rows));
  }
  std::fprintf(f, "],\n \"commit_ms\": [");
  for (std::size_t i = 0; i < r.commits.size(); ++i) {
    const CommitResult &m = r.commits[i];
    std::fprintf(f,
                 "%s\n  {\"store\": \"%s\", \"sync\": \"%s\", \"commits\": %d, \"all\": %s, \"rewrites\": %d, "
                 "\"rewrite_max\": %.4f, \"without_rewrites\": %s}",
                 i ? "," : "", m.store.c_str(), m.durability.c_str(), m.commits, json_stats(m.all).c_str(),
                 m.rewrites, m.rewrite_max, json_stats(m.without_rewrites).c_str());
  }
  std::fprintf(f, "],\n \"targets_met\": {\"attach\": %s, \"sharing\": %s, \"latency\": %s, \"commit\": %s}}\n",
               all_met(r.attach) ? "true" : "false", all_met(r.sharing) ? "true" : "false",
               all_met(r.latency) ? "true" : "false", all_met(r.commits) ? "true" : "false");
  return std::fclose(f) == 0;
}

// ---------------------------------------------------------------------------

// The two stores, in a new temp dir and under a shm name no other run uses.
std::vector<Store> create_stores(const Config &c) {
  char dir[] = "/tmp/nvdb-bench-store-XXXXXX";
  if (!::mkdtemp(dir)) fail(std::string("mkdtemp: ") + std::strerror(errno));
  g_cleanup.dir = dir;
  const std::string shm_name = "bench-store-" + std::to_string(::getpid()) + "-" +
                               std::to_string(Clock::now().time_since_epoch().count() % 1000000007);
  g_cleanup.shm_base = "nvdb-" + shm_name;

  std::vector<Store> stores(2);
  stores[0].kind = "file";
  stores[0].locator = std::string(dir) + "/store.nvdb";
  stores[1].kind = "shm";
  stores[1].locator = "shm:" + shm_name;
  for (Store &s : stores) {
    std::fprintf(stderr, "nvdb_bench_store: filling %s with %zu x %zu ...\n", s.locator.c_str(), c.n, c.dim);
    // NO_SYNC only saves time during the fill; shm never syncs.
    s.fill_s = fill_store(s.locator, c.n, c.dim, s.kind == "file" ? NVDB_FLAG_NO_SYNC : 0);
    s.info = db_info(open_store(s.locator, NVDB_OPEN_READ, 0, 0).get());
  }
  return stores;
}

Results run(const Config &c) {
  Results r;
  r.stores = create_stores(c);
  // No handle stays open between the steps: a writer's mapping would add
  // to the PSS division, and would keep pages in the page cache.
  for (const Store &s : r.stores) {
    std::fprintf(stderr, "nvdb_bench_store: %s: attach ...\n", s.kind.c_str());
    for (AttachResult &a : measure_attach(s, c)) r.attach.push_back(a);
  }
  for (const Store &s : r.stores) {
    std::fprintf(stderr, "nvdb_bench_store: %s: %d readers ...\n", s.kind.c_str(), c.readers);
    r.sharing.push_back(measure_sharing(s, c));
  }
  // Commits before the latency test, whose writer leaves the store at an
  // arbitrary distance from its next rewrite.
  for (const Store &s : r.stores) {
    std::fprintf(stderr, "nvdb_bench_store: %s: commits ...\n", s.kind.c_str());
    if (s.kind == "file") {
      r.commits.push_back(measure_commits(s, "fsync", 0, c));
      r.commits.push_back(measure_commits(s, "NO_SYNC", NVDB_FLAG_NO_SYNC, c));
    } else {
      r.commits.push_back(measure_commits(s, "-", 0, c));
    }
  }
  for (const Store &s : r.stores) {
    std::fprintf(stderr, "nvdb_bench_store: %s: reader latency ...\n", s.kind.c_str());
    for (LatencyResult &l : measure_latency(s, c)) r.latency.push_back(l);
  }
  return r;
}

int bench_main(int argc, char **argv) {
  bench::Args args;
  if (!bench::parse_args(argc, argv, args)) return 2;
  bench::program_name() = "nvdb_bench_store";
  std::atexit(cleanup_now);  // also when fail() ends the run
  const bool quick = args.quick;
  const char *json_path = args.json_path;
  // A reader that died is reported by the read that finds its pipe closed;
  // a write to it must not kill the bench before it cleans up.
  ::signal(SIGPIPE, SIG_IGN);
  const Config config = make_config(quick);
  const Results results = run(config);
  print_report(results, config);
  if (json_path && !write_json(json_path, results, config)) fail(std::string("cannot write ") + json_path);
  return 0;
}

}  // namespace

int main(int argc, char **argv) {
  if (argc == 3 && std::strcmp(argv[1], "--reader") == 0) return reader_main(argv[2]);
  if (argc == 4 && std::strcmp(argv[1], "--attach") == 0) return attach_main(argv[2], std::atoi(argv[3]));
  return bench_main(argc, argv);
}
