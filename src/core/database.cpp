#include "core/database.hpp"

#include <sys/stat.h>

#include <cmath>
#include <cstring>
#include <algorithm>
#include <mutex>
#include <thread>
#include <unordered_set>

#include "core/error.hpp"
#include "core/validate.hpp"
#include "filter/filter.hpp"
#include "json/codec.hpp"
#include "kernels/batch_scan.hpp"
#include "kernels/scan.hpp"
#include "nanovdb/digest.hpp"
#include "nanovdb/nanovdb.hpp"
#include "store/object.hpp"
#include "util/thread_pool.hpp"

namespace nvdb {

namespace {

const char *metric_name(kernels::Metric m) {
  switch (m) {
    case kernels::Metric::cosine:
      return "cosine";
    case kernels::Metric::dot:
      return "dot";
    case kernels::Metric::l2:
      return "l2";
  }
  return "?";
}

kernels::Metric to_kernel_metric(nvdb_metric m) {
  switch (m) {
    case NVDB_METRIC_DOT:
      return kernels::Metric::dot;
    case NVDB_METRIC_L2:
      return kernels::Metric::l2;
    default:
      return kernels::Metric::cosine;
  }
}

static_assert(NVDB_ELEMENT_FLOAT32 == int(kernels::Element::float32) &&
                  NVDB_ELEMENT_FLOAT16 == int(kernels::Element::float16) &&
                  NVDB_ELEMENT_BFLOAT16 == int(kernels::Element::bfloat16) &&
                  NVDB_ELEMENT_INT8 == int(kernels::Element::int8),
              "the C API and the store format number element types alike");

kernels::Element element_to_create(const nvdb_options &opts) {
  return opts.element_type == NVDB_ELEMENT_DEFAULT ? kernels::Element::float32
                                                   : static_cast<kernels::Element>(opts.element_type);
}

// An existing database answers to NVDB_ELEMENT_DEFAULT or its own type.
void check_element(const nvdb_options &opts, kernels::Element actual, const std::string &what) {
  if (opts.element_type != NVDB_ELEMENT_DEFAULT && static_cast<kernels::Element>(opts.element_type) != actual)
    throw Error(NVDB_EMISMATCH, what + ": the vectors are stored as " + kernels::element_name(actual) +
                                    ", the options ask for " +
                                    kernels::element_name(static_cast<kernels::Element>(opts.element_type)));
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool path_exists(const std::string &path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

std::string parent_directory(const std::string &path) {
  const std::size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// A C caller may store any int in an enum field, and C++ may not even load
// an out-of-range value as the enum type: read its bytes as an int.
template <class Enum>
int raw_int(const Enum &e) {
  static_assert(sizeof(Enum) == sizeof(int), "C enums are int-sized here");
  int v;
  std::memcpy(&v, &e, sizeof v);
  return v;
}

void check_options(const nvdb_options &opts) {
  if (opts.version < 1 || opts.version > NVDB_OPTIONS_VERSION)
    throw Error(NVDB_EINVAL, "options: unknown version " + std::to_string(opts.version) +
                                 " (this library knows 1 to " +
                                 std::to_string(NVDB_OPTIONS_VERSION) + ")");
  if (opts.dim > NVDB_MAX_DIM)
    throw Error(NVDB_EINVAL, "options: dim " + std::to_string(opts.dim) + " is over the limit " +
                                 std::to_string(NVDB_MAX_DIM));
  const int metric = raw_int(opts.metric), mode = raw_int(opts.mode);
  if (metric < NVDB_METRIC_DEFAULT || metric > NVDB_METRIC_L2)
    throw Error(NVDB_EINVAL, "options: unknown metric " + std::to_string(metric));
  if (mode < NVDB_OPEN_CREATE || mode > NVDB_OPEN_READ)
    throw Error(NVDB_EINVAL, "options: unknown open mode " + std::to_string(mode));
  if (opts.permissions > 0777)
    throw Error(NVDB_EINVAL, "options: permissions must be at most 0777");
  if (opts.flags & ~NVDB_FLAG_NO_SYNC)
    throw Error(NVDB_EINVAL, "options: unknown flags " + std::to_string(opts.flags));
  if (opts.element_type > NVDB_ELEMENT_INT8)
    throw Error(NVDB_EINVAL, "options: unknown element type " + std::to_string(opts.element_type));
}

std::uint32_t dim_to_create(const nvdb_options &opts, std::string_view locator) {
  if (opts.dim == 0)
    throw Error(NVDB_EINVAL, std::string(locator) + ": options.dim is required to create a database");
  return opts.dim;
}

// Rows in a nano-vectordb file are unit length within float32 rounding;
// keeping those floats bit for bit lets a file round-trip exactly. A row
// that is not (a file from another writer) is normalised, as nano-vectordb
// itself does on load.
bool is_unit_length(double squared_norm) { return std::fabs(squared_norm - 1.0) < 4e-6; }

// Sizes of a first generation: about 1 MB of vectors, grown by doubling.
std::uint64_t initial_capacity(std::uint32_t dim, std::uint64_t rows) {
  const std::uint64_t small = std::clamp<std::uint64_t>((1u << 20) / (dim * sizeof(float)), 16, 1024);
  return std::max(small, rows);
}
constexpr std::uint64_t kMinHeap = 64 * 1024;

// The heap of a generation of `rows` rows whose ids, metadata and
// additional data need `payload` bytes. Each commit also lists there the
// rows it killed, and a row dies at most once in a generation, so 8 bytes
// per row bound those lists: with them reserved, replacing records fills
// the rows and the heap together, and never forces an early rewrite of
// every vector for want of a few heap bytes.
std::uint64_t heap_for(std::uint64_t rows, std::uint64_t payload) {
  return std::max(kMinHeap, payload) + rows * sizeof(std::uint64_t);
}

// The heap extent a row gets for `bytes` of id and metadata: an eighth to
// spare, so that a record replaced by a slightly longer one can still be
// written in place; 8-byte aligned.
std::uint32_t extent_room(std::uint64_t bytes) { return static_cast<std::uint32_t>((bytes + bytes / 8 + 7) / 8 * 8); }

// Where a commit's lists of killed and reused rows go when the extent of
// its parity is too small: one big enough for this and most later commits.
constexpr std::uint64_t kMinListRoom = 4096;

// Vectors on their way into rows of a generation, gathered in runs of
// consecutive rows of up to a megabyte that each reach the store in one
// write.
class VectorRun {
 public:
  VectorRun(store::Generation &gen, std::size_t rows)
      : gen_(gen), dim_(gen.dim()), buffer_(std::clamp<std::size_t>(rows, 1, rows_per_run(dim_)) * dim_) {}

  // Where the vector of `row` goes.
  float *next(std::uint64_t row) {
    if (count_ > 0 && (row != first_ + count_ || count_ * dim_ == buffer_.size())) flush();
    if (count_ == 0) first_ = row;
    return buffer_.data() + count_++ * dim_;
  }

  // Writes the rows gathered since the last flush; due before a commit.
  void flush() {
    if (count_ > 0) gen_.write_vectors(first_, count_, buffer_.data());
    count_ = 0;
  }

 private:
  static std::size_t rows_per_run(std::size_t dim) {
    constexpr std::size_t kRunBytes = std::size_t{1} << 20;
    return std::max<std::size_t>(1, kRunBytes / (dim * sizeof(float)));
  }
  store::Generation &gen_;
  std::size_t dim_;
  std::uint64_t first_ = 0;
  std::size_t count_ = 0;
  std::vector<float> buffer_;
};

StorageKind kind_of(const store::Place &place) {
  return place.medium == store::Medium::shm ? StorageKind::shm : StorageKind::file;
}

const char *kind_name(StorageKind k) {
  switch (k) {
    case StorageKind::memory: return "memory";
    case StorageKind::json: return "json";
    case StorageKind::shm: return "shm";
    case StorageKind::file: return "file";
  }
  return "?";
}

}  // namespace


// ---------------------------------------------------------------------------
// Opening

std::unique_ptr<Database> Database::open(std::string_view locator, const nvdb_options &opts) {
  check_options(opts);
  const std::string path(locator);
  const unsigned perms = opts.permissions ? opts.permissions : 0600;
  if (locator == ":memory:") {
    if (opts.mode != NVDB_OPEN_CREATE)
      throw Error(NVDB_EINVAL, ":memory: always creates a new database: use NVDB_OPEN_CREATE");
    auto db = std::unique_ptr<Database>(new Database(
        {dim_to_create(opts, locator), to_kernel_metric(opts.metric), element_to_create(opts),
         StorageKind::memory, path, false, false, perms}));
    db->create_first_generation(initial_capacity(db->dim_, 0), 0);
    return db;
  }
  if (!ends_with(locator, ".json")) return open_store(path, opts);
  if (opts.metric != NVDB_METRIC_DEFAULT && opts.metric != NVDB_METRIC_COSINE)
    throw Error(NVDB_EMISMATCH, path + ": nano-vectordb files are always metric cosine");
  if (opts.element_type != NVDB_ELEMENT_DEFAULT && opts.element_type != NVDB_ELEMENT_FLOAT32)
    throw Error(NVDB_EMISMATCH, path + ": nano-vectordb files hold float32 vectors only, the options ask for " +
                                    kernels::element_name(static_cast<kernels::Element>(opts.element_type)));

  const bool read_only = opts.mode == NVDB_OPEN_READ;
  if (!path_exists(path)) {
    if (opts.mode != NVDB_OPEN_CREATE) throw Error(NVDB_ENOTFOUND, path + ": no such file");
    // Fail now rather than at the first save, when the data would be lost.
    const std::string dir = parent_directory(path);
    if (!path_exists(dir))
      throw Error(NVDB_ENOTFOUND, path + ": the directory \"" + dir + "\" does not exist");
    auto db = std::unique_ptr<Database>(new Database(
        {dim_to_create(opts, locator), kernels::Metric::cosine, kernels::Element::float32,
         StorageKind::json, path, false, false, perms}));
    db->create_first_generation(initial_capacity(db->dim_, 0), 0);
    return db;
  }
  nanovdb::File file = nanovdb::read(path);
  if (opts.dim != 0 && opts.dim != file.dim)
    throw Error(NVDB_EMISMATCH, path + ": the file has dim " + std::to_string(file.dim) +
                                    ", the options ask for " + std::to_string(opts.dim));
  auto db = std::unique_ptr<Database>(new Database(
      {file.dim, kernels::Metric::cosine, kernels::Element::float32, StorageKind::json, path,
       read_only, false, perms}));
  std::string additional = file.has_additional_data ? file.additional_data : std::string();
  Batch batch = db->prepare_file(std::move(file));
  std::uint64_t payload = kMinHeap + additional.size();
  for (const Record &r : batch.records) payload += r.id.size() + r.meta.size();
  db->create_first_generation(initial_capacity(db->dim_, batch.records.size()), payload);
  std::lock_guard lock(db->write_mutex_);
  db->apply(std::move(batch));
  if (!additional.empty()) db->set_additional_doc(additional);
  return db;
}

// shm:NAME or a store file: a root object (writer lock, current generation,
// readers) and the generation it names.
std::unique_ptr<Database> Database::open_store(const std::string &locator, const nvdb_options &opts) {
  const store::Place place = store::Place::parse(locator);
  const unsigned perms = opts.permissions ? opts.permissions : 0600;
  const bool reader = opts.mode == NVDB_OPEN_READ;
  // Nothing is created for a call that is bound to fail.
  if (opts.mode == NVDB_OPEN_CREATE && opts.dim == 0 && !store::Object::exists(place, place.base))
    dim_to_create(opts, locator);
  store::Root root = store::Root::open(place, opts.mode == NVDB_OPEN_CREATE, !reader, perms);
  if (!reader) root.lock_writer();

  if (!reader && !root.ready()) {
    // A new store, or one whose creator died before finishing: (re)create it.
    if (opts.mode != NVDB_OPEN_CREATE) throw Error(NVDB_ENOTFOUND, locator + ": no such store");
    auto db = std::unique_ptr<Database>(
        new Database({dim_to_create(opts, locator), to_kernel_metric(opts.metric),
                      element_to_create(opts), kind_of(place), locator, false,
                      !(opts.flags & NVDB_FLAG_NO_SYNC), perms}));
    db->place_ = place;
    db->root_.emplace(std::move(root));
    db->create_first_generation(initial_capacity(db->dim_, 0), 0);
    store::Object::sync_directory(place);  // the root's and generation 1's names
    db->root_->publish_generation(db->gen_->number());
    db->root_->mark_ready();
    return db;
  }
  // Readers wait (briefly) for a store being created by its first writer.
  for (int i = 0; reader && !root.ready(); ++i) {
    if (i > 2000) throw Error(NVDB_ENOTFOUND, locator + ": the store is still being created");
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }

  // The generation the root names; a compaction may replace it between
  // reading the name and opening it, so follow the root until they agree.
  std::shared_ptr<store::Generation> gen;
  for (int attempt = 0; !gen; ++attempt) {
    const std::uint64_t number = root.generation();
    try {
      gen = store::Generation::open(place, number, !reader);
    } catch (const Error &e) {
      if (e.status() != NVDB_ENOTFOUND || root.generation() != number) {
        if (e.status() == NVDB_ENOTFOUND && attempt < 1000) continue;
        throw;
      }
      throw Error(NVDB_ECORRUPT, locator + ": generation " + std::to_string(number) + " is missing");
    }
  }
  const store::DataHeader &h = gen->header();
  const auto metric = static_cast<kernels::Metric>(h.metric);
  if (opts.dim != 0 && opts.dim != h.dim)
    throw Error(NVDB_EMISMATCH, locator + ": the store has dim " + std::to_string(h.dim) +
                                    ", the options ask for " + std::to_string(opts.dim));
  if (opts.metric != NVDB_METRIC_DEFAULT && to_kernel_metric(opts.metric) != metric)
    throw Error(NVDB_EMISMATCH, locator + ": the store's metric is " + metric_name(metric));
  check_element(opts, gen->element(), locator);

  auto db = std::unique_ptr<Database>(new Database({h.dim, metric, gen->element(), kind_of(place), locator,
                                                    reader, !(opts.flags & NVDB_FLAG_NO_SYNC), perms}));
  db->place_ = place;
  db->gen_ = std::move(gen);
  // After a machine crash, the last commit of a file may be incomplete.
  db->head_ = db->kind_ == StorageKind::file ? db->gen_->recover() : db->gen_->snapshot();
  if (reader) root.attach_reader(db->gen_->number());
  db->root_.emplace(std::move(root));
  if (!reader) db->recover_as_writer();
  return db;
}

Database::Database(const Config &c)
    : dim_(c.dim), metric_(c.metric), element_(c.element), kind_(c.kind), locator_(c.locator),
      read_only_(c.read_only), durable_(c.durable), permissions_(c.permissions) {}

Database::~Database() {
  if (root_ && read_only_) root_->detach_reader();
}

void Database::create_first_generation(std::uint64_t capacity, std::uint64_t heap_payload) {
  gen_ = store::Generation::create(place_, 1, dim_, static_cast<std::uint32_t>(metric_), element_,
                                   capacity, heap_for(capacity, heap_payload), permissions_);
  store::Snapshot first;
  first.epoch = 1;
  head_ = gen_->commit(first, {}, true);
  gen_->checkpoint(head_);  // also without durable_: a power loss goes back to it at worst
  last_flush_ = std::chrono::steady_clock::now();
}

// A writer that died mid-commit may have stamped deaths for a commit that
// never happened, and left a half-built next generation or an old one it
// had not yet removed. Readers ignore all of that; a new writer cleans up.
void Database::recover_as_writer() {
  // After a machine crash, the commits after the one recovered are lost:
  // their records must not outlive them.
  if (gen_->recovered_after_crash()) head_ = gen_->publish_recovered(head_);
  gen_->undo_after(head_.epoch, head_.rows);
  // Recovery takes a commit only one past a durable record: a writer
  // without fsync may have left the record far behind, and this writer's
  // first commit must not depend on it.
  if (kind_ == StorageKind::file && gen_->durable_epoch() < head_.epoch) gen_->checkpoint(head_);
  last_flush_ = std::chrono::steady_clock::now();
  const std::uint64_t number = gen_->number();
  store::Object::remove(place_, place_.generation_object(number + 1));
  if (number > 1) store::Object::remove(place_, place_.generation_object(number - 1));
  for (std::uint64_t row = 0; row < head_.rows; ++row) {
    if (gen_->alive(row, head_.epoch))
      index_[std::string(gen_->row(row).id)] = row;
    else if (reuses_rows())
      dying_.emplace_back(gen_->death(row), row);
  }
  std::sort(dying_.begin(), dying_.end());
}

// ---------------------------------------------------------------------------
// Preparing batches: every check happens here, before anything changes.

// The squared norms of n vectors, summed on the thread pool; the checks
// that use them run in record order, so an error names the first bad record.
std::vector<double> Database::squared_norms(std::size_t n, const float *vectors) const {
  constexpr std::size_t kPerTask = 256;
  std::vector<double> norms(n);
  ThreadPool::instance().parallel_for((n + kPerTask - 1) / kPerTask, [&](std::size_t t) {
    for (std::size_t i = t * kPerTask; i < std::min(n, (t + 1) * kPerTask); ++i)
      norms[i] = squared_norm(vectors + i * dim_, dim_);
  });
  return norms;
}

// The ids of the records given none, "" for the others: nano-vectordb's
// rule, the md5 of the vector as given (before normalisation). Hashing
// 4 bytes per dimension is the largest cost of such an upsert, so it runs
// on the thread pool.
std::vector<std::string> Database::generated_ids(std::size_t n, const char *const *ids,
                                                 const float *vectors) const {
  constexpr std::size_t kPerTask = 256;
  std::vector<std::string> out(n);
  ThreadPool::instance().parallel_for((n + kPerTask - 1) / kPerTask, [&](std::size_t t) {
    for (std::size_t i = t * kPerTask; i < std::min(n, (t + 1) * kPerTask); ++i)
      if (!ids || !ids[i]) out[i] = md5_hex(vectors + i * dim_, dim_ * sizeof(float));
  });
  return out;
}

Database::Batch Database::prepare(std::size_t n, const char *const *ids, const float *vectors,
                                  const char *const *metadata) const {
  if (n > 0 && !vectors) throw Error(NVDB_EINVAL, "upsert: vectors is NULL");
  auto where = [&](std::size_t i) { return describe_record(i, ids && ids[i] ? ids[i] : ""); };
  Batch batch;
  batch.vectors = vectors;
  batch.normalize_by = squared_norms(n, vectors);
  std::vector<std::string> generated = generated_ids(n, ids, vectors);
  batch.records.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    double &sq = batch.normalize_by[i];
    if (!vector_passes(sq, metric_)) check_vector(vectors + i * dim_, dim_, metric_, where(i));
    // Under cosine every accepted vector is normalised, even one of length
    // 1 within rounding, so the API behaves like nano-vectordb.
    if (metric_ != kernels::Metric::cosine) sq = 0;
    const char *given = ids ? ids[i] : nullptr;
    Record rec;
    if (given) {
      rec.id = given;
    } else {
      rec.id = std::move(generated[i]);  // and "__id__" comes last in the record
    }
    const char *meta = metadata ? metadata[i] : nullptr;
    rec.meta = meta ? json::encode_object(meta, where(i) + ": metadata", true) : json::empty_object();
    if (!given) rec.id_pos = json::Value(rec.meta.data()).count();
    if (!id_passes(rec.id)) check_id(rec.id, where(i));
    batch.records.push_back(std::move(rec));
  }
  return batch;
}

// Records and vectors that came from elsewhere (a file, another database):
// checked as an upsert's are, and normalised under cosine only if they are
// not of unit length already, so that stored vectors keep their exact bits.
Database::Batch Database::prepare_owned(std::vector<Record> &&records,
                                        std::vector<float> &&vectors) const {
  Batch batch;
  batch.records = std::move(records);
  batch.owned = std::move(vectors);
  batch.vectors = batch.owned.data();
  auto where = [&](std::size_t i) { return describe_record(i, batch.records[i].id); };
  batch.normalize_by = squared_norms(batch.records.size(), batch.vectors);
  for (std::size_t i = 0; i < batch.records.size(); ++i) {
    double &sq = batch.normalize_by[i];
    if (!vector_passes(sq, metric_)) check_vector(batch.vectors + i * dim_, dim_, metric_, where(i));
    if (metric_ != kernels::Metric::cosine || is_unit_length(sq)) sq = 0;
    if (!id_passes(batch.records[i].id)) check_id(batch.records[i].id, where(i));
  }
  return batch;
}

Database::Batch Database::prepare_file(nanovdb::File &&file) const {
  std::vector<Record> records;
  records.reserve(file.records.size());
  for (auto &r : file.records)
    records.push_back(Record{std::move(r.id), r.id_is_number, r.id_pos, std::move(r.meta)});
  return prepare_owned(std::move(records), std::move(file.matrix));
}

// ---------------------------------------------------------------------------
// Applying a prepared batch: one commit. Rows are appended past the last
// commit and replaced rows get this commit's death epoch, so readers see all
// of it or none; room is made before the first change.

UpsertReport Database::apply(Batch &&batch) {
  const std::size_t n = batch.records.size();
  // Within one batch a repeated id: the last record wins, reported once at
  // its first position.
  std::unordered_map<std::string_view, std::size_t> last;
  last.reserve(n);
  for (std::size_t i = 0; i < n; ++i) last[batch.records[i].id] = i;
  std::vector<std::size_t> order;
  order.reserve(last.size());
  {
    std::unordered_set<std::string_view> seen;
    seen.reserve(n);
    for (std::size_t i = 0; i < n; ++i)
      if (seen.insert(batch.records[i].id).second) order.push_back(last[batch.records[i].id]);
  }

  UpsertReport report;
  for (std::size_t src : order)
    (index_.count(batch.records[src].id) ? report.updated : report.inserted).push_back(batch.records[src].id);
  if (order.empty()) return report;
  before_write();
  collect_free_rows();
  Placement where = place(batch, order, report.updated.size());
  // A rewrite leaves no free row: place again, and make room for that.
  while (make_room(where.appended, where.heap_bytes)) where = place(batch, order, report.updated.size());
  index_.reserve(index_.size() + report.inserted.size());

  store::Snapshot next = next_commit();
  std::vector<std::uint64_t> born, killed;  // rows written in place; rows replaced
  born.reserve(order.size());
  killed.reserve(order.size());  // nothing below throws between writing rows and commit()
  try {
    VectorRun run(*gen_, order.size());
    for (std::size_t i = 0; i < order.size(); ++i) {
      const Record &rec = batch.records[order[i]];
      const std::uint64_t row = where.rows[i];
      const float *vector = batch.vectors + order[i] * dim_;
      float *to = run.next(row);
      if (batch.normalize_by[order[i]] != 0)
        normalize(vector, dim_, batch.normalize_by[order[i]], to);
      else
        std::memcpy(to, vector, dim_ * sizeof(float));
      store::HeapExtent extent = gen_->extent(row);
      if (!where.own_extent[i]) {
        extent = {next.heap_used, extent_room(rec.id.size() + rec.meta.size())};
        next.heap_used += extent.room;
      }
      if (row < next.rows) born.push_back(row);
      gen_->write_entry(row, extent, rec.id, rec.id_is_number, rec.id_pos, rec.meta, next.epoch);
      if (row >= next.rows) next.rows = row + 1;
    }
    run.flush();
  } catch (...) {
    for (std::uint64_t row : born) gen_->abandon(row);
    throw;
  }
  // Deaths last: a write that failed above left nothing to undo but the
  // rows written in place.
  for (std::size_t src : order) {
    auto it = index_.find(batch.records[src].id);
    if (it == index_.end()) continue;
    gen_->kill(it->second, next.epoch);
    killed.push_back(it->second);
  }
  next.live += report.inserted.size();
  commit(next, killed, born);
  free_rows_.resize(free_rows_.size() - born.size());  // place() took them from the back
  note_killed(killed);
  for (std::size_t i = 0; i < order.size(); ++i) index_[batch.records[order[i]].id] = where.rows[i];
  finish_write();
  return report;
}

// Rows first from the free ones, then appended; heap for each record whose
// row's extent is too small (or new), and for the commit's lists.
Database::Placement Database::place(const Batch &batch, const std::vector<std::size_t> &order,
                                    std::size_t killed) const {
  Placement p;
  p.rows.reserve(order.size());
  p.own_extent.reserve(order.size());
  std::size_t reused = 0;
  for (std::size_t src : order) {
    const Record &rec = batch.records[src];
    const std::uint64_t bytes = rec.id.size() + rec.meta.size();
    if (reused < free_rows_.size()) {
      const std::uint64_t row = free_rows_[free_rows_.size() - 1 - reused++];
      // Within the heap's used bytes too: a dead row of a store another
      // process damaged must not send the write elsewhere.
      const store::HeapExtent own = gen_->extent(row);
      const bool fits = own.room >= bytes && own.off <= head_.heap_used && own.room <= head_.heap_used - own.off;
      p.rows.push_back(row);
      p.own_extent.push_back(fits);
      if (!fits) p.heap_bytes += extent_room(bytes);
    } else {
      p.rows.push_back(head_.rows + p.appended++);
      p.own_extent.push_back(false);
      p.heap_bytes += extent_room(bytes);
    }
  }
  p.heap_bytes += list_room(head_.epoch + 1, killed + reused);
  return p;
}

// The heap a commit's lists of `rows` rows need beyond its parity's extent.
// Without reuse they are appended: a store file that lost power may keep
// only an older commit record, whose lists must then be as it wrote them.
std::uint64_t Database::list_room(std::uint64_t epoch, std::size_t rows) const {
  const std::uint64_t bytes = rows * sizeof(std::uint64_t);
  if (!reuses_rows()) return bytes;
  return bytes <= lists_[epoch & 1].room ? 0 : std::max(bytes, kMinListRoom);
}

// Rows killed at or before the oldest epoch any read is at, and before the
// last commit (whose record recovery may fall back on is the one before),
// can be written in place; in a store file, only once the older of its
// durable records is as new (a power loss goes back to one of them at
// worst, and a torn write may take the newer). Readers outside the reader
// table stop it.
void Database::collect_free_rows() {
  if (dying_.empty()) return;
  // Pairs with the fence of a reader that publishes its epoch and then
  // checks the newest commit (Database::pin): either it sees the last
  // commit, or this sees its epoch.
  std::atomic_thread_fence(std::memory_order_seq_cst);
  auto oldest_read = [&] {
    std::uint64_t oldest = root_->oldest_reader_epoch();
    std::lock_guard lock(pins_mutex_);
    if (!pins_.empty()) oldest = std::min(oldest, pins_.begin()->first);
    return oldest;
  };
  const std::uint64_t last_safe = head_.epoch - 1;
  std::uint64_t safe = std::min(last_safe, oldest_read());
  // A reader killed mid-query leaves its epoch in its slot until its slot
  // is freed: look for dead readers now and then while one holds rows.
  const auto now = std::chrono::steady_clock::now();
  if (safe < dying_.front().first && safe < last_safe && now - readers_reaped_ > std::chrono::milliseconds(100)) {
    readers_reaped_ = now;
    root_->readers();
    safe = std::min(last_safe, oldest_read());
  }
  if (kind_ == StorageKind::file) safe = std::min(safe, gen_->durable_floor());
  while (!dying_.empty() && dying_.front().first <= safe) {
    free_rows_.push_back(dying_.front().second);
    dying_.pop_front();
  }
}

// A new generation has no dead rows, and lists go in new extents.
void Database::forget_free_rows() {
  dying_.clear();
  free_rows_.clear();
  lists_[0] = lists_[1] = {};
}

// Housekeeping before a write changes anything, so that its failure is
// that write's error and leaves everything as it was: reclaiming a mostly
// dead generation, and letting go of replaced generations readers have left.
void Database::before_write() {
  compact_if_mostly_dead();
  release_retired();
}

// A published commit is visible to readers whatever happens next, so it is
// flushed last, once the writer's own records match it: a disk error then
// leaves the handle consistent with what readers see. Without durable_, the
// commits of a store file are flushed at the first write a second after the
// last flush, which bounds what a power loss takes back.
void Database::finish_write() {
  if (durable_ || flush_due()) flush();
}

// A flush is due a second after the last, or once the commits since then
// killed a quarter of the room dead rows have: rows killed are reused after
// the next two flushes, and the room is the spare capacity and the live
// rows' count (more dead rows than live ones force a rewrite). A flush of
// what was written since the last costs less than that rewrite.
bool Database::flush_due() const {
  if (kind_ != StorageKind::file) return false;
  const std::uint64_t room = std::min(head_.live, gen_->capacity() - head_.live);
  return std::chrono::steady_clock::now() - last_flush_ >= kFlushInterval ||
         killed_since_flush_ > std::max<std::uint64_t>(16, room / 4);
}

void Database::flush() {
  try {
    if (root_unsynced_) {
      root_->publish_generation(gen_->number());
      root_unsynced_ = false;
      remove_stale_generations();
    }
    // nvdb_save promises the commits to the disk: the record saying so too.
    if (durable_)
      gen_->make_durable(head_);
    else
      gen_->checkpoint(head_);
    last_flush_ = std::chrono::steady_clock::now();
    killed_since_flush_ = 0;
  } catch (const Error &e) {
    throw Error(e.status(), std::string(e.what()) + " (the commit is visible, but may not survive a machine crash)");
  }
}

// The generations replaced since the root last reached the disk, which it
// no longer names.
void Database::remove_stale_generations() {
  for (std::uint64_t number : stale_generations_) store::Object::remove(place_, place_.generation_object(number));
  stale_generations_.clear();
}

// The commit after head_, adding nothing yet.
store::Snapshot Database::next_commit() const {
  store::Snapshot next = head_;
  next.epoch++;
  next.prev_rows = head_.rows;
  next.prev_heap = head_.heap_used;
  next.killed_off = next.killed_count = 0;
  return next;
}

// Publishes next, which killed the rows `killed` (already stamped with its
// epoch; their list goes into the heap so that recovery can check them).
// On failure the stamps are undone and nothing is visible. Not yet durable:
// see finish_write().
void Database::commit(store::Snapshot next, const std::vector<std::uint64_t> &killed,
                      const std::vector<std::uint64_t> &born) {
  store::HeapExtent &lists = lists_[next.epoch & 1];
  const store::HeapExtent lists_before = lists;
  auto bytes = [](const std::vector<std::uint64_t> &rows) {
    return std::string_view(reinterpret_cast<const char *>(rows.data()), rows.size() * sizeof(std::uint64_t));
  };
  try {
    if (const std::uint64_t room = list_room(next.epoch, killed.size() + born.size())) {
      lists = {next.heap_used, static_cast<std::uint32_t>(room)};
      next.heap_used += room;
    }
    next.killed_off = lists.off;
    next.killed_count = killed.size();
    next.born_off = lists.off + killed.size() * sizeof(std::uint64_t);
    next.born_count = born.size();
    gen_->write_heap(next.killed_off, bytes(killed));
    gen_->write_heap(next.born_off, bytes(born));
    head_ = gen_->commit(next, born, durable_);
  } catch (...) {
    lists = lists_before;
    for (std::uint64_t row : killed) gen_->kill(row, store::kAlive);
    for (std::uint64_t row : born) gen_->abandon(row);
    throw;
  }
}

// Rows the last commit killed, to reuse once no read can see them.
void Database::note_killed(const std::vector<std::uint64_t> &killed) {
  if (reuses_rows())
    for (std::uint64_t row : killed) dying_.emplace_back(head_.epoch, row);
  killed_since_flush_ += killed.size();
}

// Shared memory reuses rows, and so do store files without fsync, behind
// their durable records (collect_free_rows). Durable store files append,
// and rewrite to reclaim: a durable commit costs its flush, and a flush of
// rows scattered over a file costs a disk write each (a 100-record
// commit's median went from 1.8 to 11 ms). Readers cannot tell which
// writer they have, so every read of a store pins.
bool Database::reuses_rows() const {
  return !read_only_ && (kind_ == StorageKind::shm || (kind_ == StorageKind::file && !durable_));
}
bool Database::pins_reads() const { return kind_ == StorageKind::shm || kind_ == StorageKind::file; }

void Database::set_additional_doc(const std::string &doc) {
  make_room(0, doc.size());
  store::Snapshot next = next_commit();
  gen_->write_heap(next.heap_used, doc);
  next.extra_off = next.heap_used;
  next.extra_len = doc.size();
  next.heap_used += doc.size();
  commit(next, {}, {});
  finish_write();
}

// Growth: a generation has a fixed size, so a batch that does not fit goes
// into a new generation sized for twice the live data it will hold.
bool Database::make_room(std::uint64_t rows, std::uint64_t heap_bytes) {
  if (head_.rows + rows <= gen_->capacity() && head_.heap_used + heap_bytes <= gen_->heap_capacity())
    return false;
  resize_for(rows, heap_bytes);
  return true;
}

// Reclamation: once dead rows outnumber live ones (and are more than a
// few), the live rows move to a new generation sized for them.
void Database::compact_if_mostly_dead() {
  const std::uint64_t dead = head_.rows - head_.live;
  if (dead > head_.live && dead >= 64) resize_for(0, 0);
}

void Database::resize_for(std::uint64_t rows, std::uint64_t heap_bytes) {
  const std::uint64_t capacity = std::max(initial_capacity(dim_, 0), 2 * (head_.live + rows));
  rewrite(capacity, 2 * (live_heap_bytes() + heap_bytes));
}

// The heap bytes the live rows and the additional data use.
std::uint64_t Database::live_heap_bytes() const {
  std::uint64_t bytes = head_.extra_len;
  for (std::uint64_t row = 0; row < head_.rows; ++row)
    if (gen_->alive(row, head_.epoch)) {
      const store::RowView r = gen_->row(row);
      bytes += r.id.size() + json::Value(r.meta).size();
    }
  return bytes;
}

// Unlike growth, which doubles, an explicit compaction sizes the new
// generation for the live data plus an eighth, so that it is small and a
// few writes still fit before the next rewrite.
void Database::compact() {
  check_writable();
  std::lock_guard lock(write_mutex_);
  const std::uint64_t heap = live_heap_bytes();
  const std::uint64_t capacity = initial_capacity(dim_, head_.live + head_.live / 8);
  rewrite(capacity, heap + heap / 8 + 2 * kMinListRoom);  // and the next two commits' lists
}

void Database::rewrite(std::uint64_t capacity, std::uint64_t heap_payload) {
  auto fresh = store::Generation::create(place_, gen_->number() + 1, dim_,
                                         static_cast<std::uint32_t>(metric_), element_,
                                         capacity, heap_for(capacity, heap_payload), permissions_);
  std::unordered_map<std::string, std::uint64_t> index;
  store::Snapshot s;
  try {
    s = fill(*fresh, index);
    store::Object::sync_directory(place_);  // G+1's name, before the root names it
  } catch (...) {
    // Nothing names the half-built generation yet: it goes, the store
    // stays as it was, and the next rewrite may use its number again.
    store::Object::remove(place_, place_.generation_object(fresh->number()));
    throw;
  }
  if (root_) {  // nothing below may fail but the root's flush
    retired_.reserve(retired_.size() + 1);
    stale_generations_.reserve(stale_generations_.size() + 1);
  }
  std::exception_ptr not_durable;
  if (root_) {
    try {
      root_->publish_generation(fresh->number());
    } catch (...) {
      // Readers follow the root as soon as it names G+1: if it does, the
      // writer follows too, and reports the failed flush afterwards.
      if (root_->generation() != fresh->number()) {
        store::Object::remove(place_, place_.generation_object(fresh->number()));
        throw;
      }
      not_durable = std::current_exception();
    }
  }
  std::shared_ptr<store::Generation> old = std::atomic_exchange(&gen_, fresh);
  index_.swap(index);
  head_ = s;
  forget_free_rows();
  last_flush_ = std::chrono::steady_clock::now();  // fill() flushed it
  killed_since_flush_ = 0;
  if (root_) {
    // If the root's flush failed, the disk may still name G: it stays
    // until a flush puts the root on disk (flush()), or the next writer to
    // open the store removes it.
    stale_generations_.push_back(old->number());
    root_unsynced_ = static_cast<bool>(not_durable);
    if (!root_unsynced_) remove_stale_generations();
    retired_.push_back(std::move(old));
  }
  if (not_durable) std::rethrow_exception(not_durable);
}

// Lets go of the retired generations no listed reader is on. Looking at
// the reader table costs a read of /proc per reader, so at most every few
// milliseconds.
void Database::release_retired() {
  if (retired_.empty()) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - retired_checked_ < std::chrono::milliseconds(5)) return;
  retired_checked_ = now;
  const std::vector<store::ReaderInfo> readers = root_->readers();
  auto unused = [&](const std::shared_ptr<store::Generation> &g) {
    return std::none_of(readers.begin(), readers.end(),
                        [&](const store::ReaderInfo &r) { return r.generation == g->number(); });
  };
  retired_.erase(std::remove_if(retired_.begin(), retired_.end(), unused), retired_.end());
}

// Copies the live rows and the additional data of the current generation
// into `fresh` and commits them there, unseen until the root names it.
store::Snapshot Database::fill(store::Generation &fresh,
                               std::unordered_map<std::string, std::uint64_t> &index) const {
  store::Snapshot s;
  s.epoch = head_.epoch;
  index.reserve(head_.live);
  VectorRun run(fresh, head_.live);
  for (std::uint64_t row = 0; row < head_.rows; ++row) {
    if (!gen_->alive(row, head_.epoch)) continue;
    const store::RowView r = gen_->row(row);
    const std::string_view meta(r.meta, json::Value(r.meta).size());
    std::memcpy(run.next(s.rows), gen_->vector(row), dim_ * sizeof(float));
    const store::HeapExtent extent{s.heap_used, extent_room(r.id.size() + meta.size())};
    fresh.write_entry(s.rows, extent, r.id, r.id_is_number, r.id_pos, meta, s.epoch);
    index.emplace(r.id, s.rows);
    s.rows++;
    s.heap_used += extent.room;
  }
  run.flush();
  s.live = s.rows;
  if (head_.extra_len) {
    fresh.write_heap(s.heap_used, gen_->heap(head_.extra_off, head_.extra_len));
    s.extra_off = s.heap_used;
    s.extra_len = head_.extra_len;
    s.heap_used += s.extra_len;
  }
  // Whatever the flags, on disk with its durable record: the root will
  // name this generation, and the last one will be gone.
  s = fresh.commit(s, {}, true);
  fresh.checkpoint(s);
  return s;
}

// ---------------------------------------------------------------------------
// Writes.

void Database::check_writable() const {
  if (read_only_) throw Error(NVDB_EREADONLY, locator_ + ": the database is open read-only");
}

UpsertReport Database::upsert(std::size_t n, const char *const *ids, const float *vectors,
                              const char *const *metadata) {
  check_writable();
  Batch batch = prepare(n, ids, vectors, metadata);
  std::lock_guard lock(write_mutex_);
  return apply(std::move(batch));
}

std::size_t Database::remove(std::size_t n, const char *const *ids) {
  check_writable();
  if (n > 0 && !ids) throw Error(NVDB_EINVAL, "delete: ids is NULL");
  for (std::size_t i = 0; i < n; ++i)
    if (!ids[i]) throw Error(NVDB_EINVAL, "delete: id " + std::to_string(i) + " is NULL");
  std::lock_guard lock(write_mutex_);
  before_write();
  // Room for the list of killed rows first: making room may move every
  // row to a new generation.
  make_room(0, list_room(head_.epoch + 1, n));
  std::vector<std::uint64_t> rows;
  std::unordered_set<std::string_view> keys;
  for (std::size_t i = 0; i < n; ++i) {
    auto it = index_.find(ids[i]);
    if (it != index_.end() && keys.insert(it->first).second) rows.push_back(it->second);
  }
  if (rows.empty()) return 0;
  store::Snapshot next = next_commit();
  next.live -= rows.size();
  for (std::uint64_t row : rows) gen_->kill(row, next.epoch);
  commit(next, rows, {});
  note_killed(rows);
  for (std::string_view key : keys) index_.erase(std::string(key));
  finish_write();
  return rows.size();
}

void Database::set_additional_data(std::string_view json_text) {
  check_writable();
  std::string doc = json::encode_object(json_text, "additional data", false);
  std::lock_guard lock(write_mutex_);
  before_write();
  set_additional_doc(doc);
}

void Database::import_json(const std::string &path) {
  check_writable();
  nanovdb::File file = nanovdb::read(path);
  if (file.dim != dim_)
    throw Error(NVDB_EMISMATCH, path + ": the file has dim " + std::to_string(file.dim) +
                                    ", the database " + std::to_string(dim_));
  std::string additional = file.has_additional_data ? file.additional_data : std::string();
  Batch batch = prepare_file(std::move(file));
  std::lock_guard lock(write_mutex_);
  apply(std::move(batch));
  if (!additional.empty()) set_additional_doc(additional);
}

// The live records of one commit, with their vectors as stored.
std::pair<std::vector<Record>, std::vector<float>> Database::copy_live_rows() const {
  const View v = view();
  std::vector<Record> records;
  std::vector<float> vectors;
  records.reserve(v.snap.live);
  vectors.reserve(v.snap.live * dim_);
  for (std::uint64_t row = 0; row < v.snap.rows; ++row) {
    if (!v.gen->alive(row, v.snap.epoch)) continue;
    const store::RowView r = v.gen->row(row);
    records.push_back(
        Record{std::string(r.id), r.id_is_number, r.id_pos, std::string(r.meta, json::Value(r.meta).size())});
    vectors.insert(vectors.end(), v.gen->vector(row), v.gen->vector(row) + dim_);
  }
  return {std::move(records), std::move(vectors)};
}

void Database::copy_from(Database &src) {
  check_writable();
  if (&src == this) return;
  if (src.dim_ != dim_)
    throw Error(NVDB_EMISMATCH, "copy: the source has dim " + std::to_string(src.dim_) +
                                    ", the destination " + std::to_string(dim_));
  auto [records, vectors] = src.copy_live_rows();
  const std::string additional = src.additional_data_doc();
  Batch batch = prepare_owned(std::move(records), std::move(vectors));
  std::lock_guard lock(write_mutex_);
  apply(std::move(batch));
  if (!additional.empty()) set_additional_doc(additional);
}

// Stores commit as they go; save() makes the commits of a store file
// opened with NVDB_FLAG_NO_SYNC durable.
void Database::save() {
  if (kind_ == StorageKind::file && !read_only_) {
    std::lock_guard lock(write_mutex_);
    if (gen_->durable_epoch() < head_.epoch || gen_->flush_failed() || root_unsynced_) flush();
    return;
  }
  if (kind_ != StorageKind::json) return;
  check_writable();
  write_json_file(locator_, view());
}

// ---------------------------------------------------------------------------
// Reads: each works from one View, without a lock.

// A reader of a shared store moves to the generation the writer made
// current, if it changed since the last read.
void Database::follow_writer() const {
  const std::uint64_t current = root_->generation();
  if (std::atomic_load(&gen_)->number() == current) return;
  std::lock_guard lock(follow_mutex_);
  for (int attempt = 0; attempt < 1000; ++attempt) {
    const std::uint64_t number = root_->generation();
    if (std::atomic_load(&gen_)->number() == number) return;
    try {
      auto fresh = store::Generation::open(place_, number, false);
      std::atomic_store(&gen_, fresh);
      root_->set_reader_generation(number);
      return;
    } catch (const Error &e) {
      if (e.status() != NVDB_ENOTFOUND) throw;  // else superseded already: look again
    }
  }
  throw Error(NVDB_EBUSY, locator_ + ": the writer keeps replacing the generation");
}

Database::View Database::view() const {
  if (root_ && read_only_) follow_writer();
  View v;
  v.gen = std::atomic_load(&gen_);
  v.snap = v.gen->snapshot();
  if (pins_reads()) pin(v);
  return v;
}

// Publishes v's epoch, then makes sure it is still the newest commit: if
// a commit came in between, the writer may not have seen the epoch before
// it looked for rows to reuse (collect_free_rows), so the read moves to
// that commit and tries again.
void Database::pin(View &v) const {
  for (;;) {
    {
      std::lock_guard lock(pins_mutex_);
      pins_[v.snap.epoch]++;
      publish_pins();
    }
    Pin pin(this, v.snap.epoch);  // released on every way out but success
    std::atomic_thread_fence(std::memory_order_seq_cst);
    const store::Snapshot now = v.gen->snapshot();
    if (now.epoch == v.snap.epoch) {
      v.pin = std::move(pin);
      return;
    }
    v.snap = now;
  }
}

void Database::unpin(std::uint64_t epoch) const {
  std::lock_guard lock(pins_mutex_);
  auto it = pins_.find(epoch);
  if (it != pins_.end() && --it->second == 0) pins_.erase(it);
  publish_pins();
}

void Database::publish_pins() const {
  if (read_only_) root_->set_reader_epoch(pins_.empty() ? 0 : pins_.begin()->first);
}

std::size_t Database::count() const { return view().snap.live; }

std::vector<RecordCopy> Database::get(std::size_t n, const char *const *ids) const {
  if (n > 0 && !ids) throw Error(NVDB_EINVAL, "get: ids is NULL");
  for (std::size_t i = 0; i < n; ++i)
    if (!ids[i]) throw Error(NVDB_EINVAL, "get: id " + std::to_string(i) + " is NULL");
  // The rows of the asked ids: from the index in a writer, from one pass
  // over the rows in a reader (which keeps no index).
  std::unique_lock<std::mutex> lock;
  if (!read_only_) lock = std::unique_lock(write_mutex_);
  const View v = view();
  std::unordered_map<std::string_view, std::uint64_t> found;
  if (!read_only_) {
    for (std::size_t i = 0; i < n; ++i) {
      auto it = index_.find(ids[i]);
      if (it != index_.end()) found.emplace(ids[i], it->second);
    }
  } else if (n > 0) {
    std::unordered_map<std::string_view, bool> wanted;
    for (std::size_t i = 0; i < n; ++i) wanted.emplace(ids[i], true);
    for (std::uint64_t row = 0; row < v.snap.rows; ++row) {
      if (!v.gen->alive(row, v.snap.epoch)) continue;
      auto it = wanted.find(v.gen->row(row).id);
      if (it != wanted.end()) found.emplace(it->first, row);
    }
  }
  std::vector<RecordCopy> out;
  for (std::size_t i = 0; i < n; ++i) {
    auto it = found.find(ids[i]);
    if (it == found.end()) continue;
    const float *vec = v.gen->vector(it->second);
    RecordCopy copy{ids[i], std::vector<float>(vec, vec + dim_), {}};
    json::write(json::Value(v.gen->row(it->second).meta), json::Style::compact, copy.metadata_json);
    out.push_back(std::move(copy));
  }
  return out;
}

// What every query of one call reads: one commit, the compiled filter, and
// the predicates over its rows that the scans take. Not movable: the
// predicates refer to the members.
struct Database::Search {
  Search(const Database &db, const QueryParams &params);
  Search(const Search &) = delete;
  Search &operator=(const Search &) = delete;

  bool filtered() const { return compiled || params.filter_fn; }
  bool has_dead_rows() const { return v.snap.live != v.snap.rows; }
  std::vector<Hit> hits(const std::vector<kernels::Hit> &found) const;

  // A scan of this commit with these params (kernels::ScanRequest or
  // BatchScanRequest), but for the queries and the row predicates.
  template <class Request>
  Request request(std::uint32_t dim, kernels::Metric metric) const {
    Request req;
    req.matrix = v.gen->vectors();
    req.nrows = v.snap.rows;
    req.dim = dim;
    req.metric = metric;
    req.top_k = params.top_k;
    req.use_threshold = params.use_threshold;
    req.threshold = params.threshold;
    req.tie_less = &tie_less;
    return req;
  }

  const QueryParams &params;
  std::unique_ptr<filter::Filter> compiled;
  const View v;
  std::function<bool(std::uint32_t)> alive, keep;
  std::function<bool(std::uint32_t, std::uint32_t)> tie_less;
};

Database::Search::Search(const Database &db, const QueryParams &query_params)
    : params(query_params),
      compiled(params.filter ? std::make_unique<filter::Filter>(filter::Filter::compile(params.filter))
                             : nullptr),
      v(db.view()) {
  const store::Generation &gen = *v.gen;
  const std::uint64_t epoch = v.snap.epoch;
  alive = [&gen, epoch](std::uint32_t row) { return gen.alive(row, epoch); };
  keep = [this, &gen, epoch](std::uint32_t row) {
    if (!gen.alive(row, epoch)) return false;
    const store::RowView rec = gen.row(row);
    if (compiled && !compiled->matches(json::Value(rec.meta))) return false;
    if (params.filter_fn) {
      thread_local std::string text, id;
      text.clear();
      json::write(json::Value(rec.meta), json::Style::compact, text);
      id.assign(rec.id);
      int verdict = params.filter_fn(id.c_str(), text.c_str(), params.filter_ctx);
      if (verdict < 0)
        throw Error(NVDB_EABORTED, "query: the filter callback returned " +
                                       std::to_string(verdict) + " for id \"" + id + "\"");
      return verdict != 0;
    }
    return true;
  };
  tie_less = [&gen](std::uint32_t a, std::uint32_t b) { return gen.row(a).id < gen.row(b).id; };
}

std::vector<Hit> Database::Search::hits(const std::vector<kernels::Hit> &found) const {
  std::vector<Hit> out;
  out.reserve(found.size());
  for (const kernels::Hit &h : found) {
    const store::RowView rec = v.gen->row(h.row);
    Hit hit{std::string(rec.id), h.score, {}};
    json::write(json::Value(rec.meta), json::Style::compact, hit.metadata_json);
    out.push_back(std::move(hit));
  }
  return out;
}

// Checks n query vectors (naming the first bad one: "query vector" for a
// single query, "query I" in a batch, even a batch of one) and returns them
// as the scan takes them: normalised under cosine.
std::vector<float> Database::query_vectors(std::size_t n, const float *vectors, bool batch) const {
  if (n > 0 && !vectors) throw Error(NVDB_EINVAL, batch ? "query: vectors is NULL" : "query: vector is NULL");
  std::vector<float> q(vectors, vectors + n * dim_);
  for (std::size_t i = 0; i < n; ++i) {
    const float *v = vectors + i * dim_;
    const double sq = check_vector(v, dim_, metric_, batch ? "query " + std::to_string(i) : "query vector");
    if (metric_ == kernels::Metric::cosine) normalize(v, dim_, sq, q.data() + i * dim_);
  }
  return q;
}

std::vector<Hit> Database::query(const float *vector, const QueryParams &params) const {
  const std::vector<float> q = query_vectors(1, vector, false);
  const Search search(*this, params);

  kernels::ScanRequest req = search.request<kernels::ScanRequest>(dim_, metric_);
  req.query = q.data();
  // A filter picks the rows to read (dead ones are never kept); without
  // one, every row is scored and only candidates for the top k are checked
  // for life, which costs nothing when no row has died.
  req.keep = search.filtered() ? &search.keep : nullptr;
  req.admit = !search.filtered() && search.has_dead_rows() ? &search.alive : nullptr;
  // A compact generation is scanned by its codes, and the best candidates
  // re-scored from the float32 rows.
  const kernels::CompactRows compact = search.v.gen->compact_rows();
  if (element_ != kernels::Element::float32) req.compact = &compact;
  return search.hits(kernels::scan(req));
}

std::vector<std::vector<Hit>> Database::query_batch(std::size_t n, const float *vectors,
                                                    const QueryParams &params) const {
  const std::vector<float> q = query_vectors(n, vectors, true);
  const Search search(*this, params);
  if (n == 0) return {};

  kernels::BatchScanRequest req = search.request<kernels::BatchScanRequest>(dim_, metric_);
  req.queries = q.data();
  req.nqueries = n;
  // Rows are packed into tiles anyway, so dead rows are simply left out of
  // them, as filtered-out rows are.
  req.keep = search.filtered() ? &search.keep : search.has_dead_rows() ? &search.alive : nullptr;
  std::vector<std::vector<Hit>> out;
  out.reserve(n);
  for (const auto &found : kernels::scan_batch(req)) out.push_back(search.hits(found));
  return out;
}

std::string Database::additional_data_doc() const {
  const View v = view();
  if (!v.snap.extra_len) return {};
  return std::string(v.gen->heap(v.snap.extra_off, v.snap.extra_len));
}

std::string Database::additional_data_json() const {
  const std::string doc = additional_data_doc();
  if (doc.empty()) return "{}";
  std::string out;
  json::write(json::Value(doc.data()), json::Style::compact, out);
  return out;
}

std::string Database::info_json() const {
  const View v = view();
  const bool store = kind_ == StorageKind::shm || kind_ == StorageKind::file;
  std::string out = "{\"dim\":" + std::to_string(dim_) + ",\"metric\":\"" + metric_name(metric_) +
                    "\",\"count\":" + std::to_string(v.snap.live) + ",\"storage\":\"" +
                    kind_name(kind_) + "\",\"locator\":";
  json::write_string(locator_, out);
  out += ",\"format\":\"";
  out += kind_ == StorageKind::json ? "nano-vectordb" : "nvdb";
  out += "\",\"format_version\":" + std::to_string(store ? store::kFormatVersion : 1);
  out += ",\"read_only\":";
  out += read_only_ ? "true" : "false";
  out += ",\"element_type\":\"" + std::string(kernels::element_name(element_)) + "\"";
  if (element_ != kernels::Element::float32)
    out += ",\"compact_kernel\":\"" + std::string(kernels::active_compact().isa) + "\"";
  out += ",\"kernel\":\"" + std::string(kernels::active_isa()) +
         "\",\"threads\":" + std::to_string(ThreadPool::instance().size());
  if (store) {
    out += ",\"generation\":" + std::to_string(v.gen->number()) +
           ",\"epoch\":" + std::to_string(v.snap.epoch) + ",\"rows\":" + std::to_string(v.snap.rows) +
           ",\"capacity\":" + std::to_string(v.gen->capacity());
    if (kind_ == StorageKind::file) out += ",\"durable_epoch\":" + std::to_string(v.gen->durable_epoch());
    out += ",\"readers\":[";
    const auto readers = root_->readers();
    for (std::size_t i = 0; i < readers.size(); ++i) {
      if (i) out += ",";
      out += "{\"pid\":" + std::to_string(readers[i].pid) +
             ",\"generation\":" + std::to_string(readers[i].generation) + "}";
    }
    out += "]";
  }
  out += "}";
  return out;
}

Database::VerifyResult Database::verify() const {
  std::unique_lock<std::mutex> lock;
  if (!read_only_) lock = std::unique_lock(write_mutex_);  // not while this handle commits
  // Not view(): reading the newest commit is one of the checks, and a
  // failure there belongs in the report.
  if (root_ && read_only_) follow_writer();
  const auto gen = std::atomic_load(&gen_);
  // A pinned commit keeps the rows visible at it, and at every later one,
  // from being written in place while they are checked (shm). Without a
  // readable commit there is nothing to pin: the check reports why.
  View pinned;
  if (pins_reads()) {
    try {
      pinned.gen = gen;
      pinned.snap = gen->snapshot();
      pin(pinned);
    } catch (const Error &) {
    }
  }
  const store::Verification found = gen->verify(metric_ == kernels::Metric::cosine);
  VerifyResult result;
  result.problem_count = found.problem_count;
  if (!found.problems.empty()) result.first_problem = found.problems.front().message;
  std::string &out = result.report;
  out = "{\"sound\":";
  out += found.problem_count == 0 ? "true" : "false";
  out += ",\"locator\":";
  json::write_string(locator_, out);
  out += ",\"storage\":\"" + std::string(kind_name(kind_)) +
         "\",\"generation\":" + std::to_string(gen->number()) +
         ",\"epoch\":" + std::to_string(found.snap.epoch) +
         ",\"rows\":" + std::to_string(found.snap.rows) +
         ",\"live\":" + std::to_string(found.snap.live) +
         ",\"commit_records\":" + std::to_string(found.sound_records) +
         ",\"rows_checked\":" + std::to_string(found.rows_checked) +
         ",\"vectors_checked\":" + std::to_string(found.vectors_checked) +
         ",\"problem_count\":" + std::to_string(found.problem_count) + ",\"problems\":[";
  for (std::size_t i = 0; i < found.problems.size(); ++i) {
    if (i) out += ",";
    out += "{\"part\":";
    json::write_string(found.problems[i].part, out);
    out += ",\"message\":";
    json::write_string(found.problems[i].message, out);
    out += "}";
  }
  out += "]}";
  return result;
}

void Database::export_json(const std::string &path) const {
  if (metric_ != kernels::Metric::cosine)
    throw Error(NVDB_EMISMATCH, std::string("export: nano-vectordb files are cosine, this database is ") +
                                    metric_name(metric_));
  write_json_file(path, view());
}

void Database::write_json_file(const std::string &path, const View &v) const {
  std::vector<std::uint64_t> live;
  live.reserve(v.snap.live);
  for (std::uint64_t row = 0; row < v.snap.rows; ++row)
    if (v.gen->alive(row, v.snap.epoch)) live.push_back(row);
  auto record = [&](std::size_t i) {
    const store::RowView r = v.gen->row(live[i]);
    return nanovdb::RecordView{r.id, r.id_is_number, r.id_pos, json::Value(r.meta),
                               v.gen->vector(live[i])};
  };
  const std::string extra =
      v.snap.extra_len ? std::string(v.gen->heap(v.snap.extra_off, v.snap.extra_len)) : std::string();
  nanovdb::write(path, dim_, live.size(), record, v.snap.extra_len ? &extra : nullptr);
}

}  // namespace nvdb
