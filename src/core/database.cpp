#include "core/database.hpp"

#include <sys/stat.h>

#include <cmath>
#include <mutex>
#include <shared_mutex>
#include <unordered_set>

#include "core/error.hpp"
#include "core/validate.hpp"
#include "filter/filter.hpp"
#include "json/codec.hpp"
#include "kernels/scan.hpp"
#include "nanovdb/digest.hpp"
#include "nanovdb/nanovdb.hpp"

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

void check_options(const nvdb_options &opts) {
  if (opts.version < 1 || opts.version > NVDB_OPTIONS_VERSION)
    throw Error(NVDB_EINVAL, "options: unknown version " + std::to_string(opts.version) +
                                 " (this library knows 1 to " +
                                 std::to_string(NVDB_OPTIONS_VERSION) + ")");
  if (opts.dim > NVDB_MAX_DIM)
    throw Error(NVDB_EINVAL, "options: dim " + std::to_string(opts.dim) + " is over the limit " +
                                 std::to_string(NVDB_MAX_DIM));
  if (opts.metric < NVDB_METRIC_DEFAULT || opts.metric > NVDB_METRIC_L2)
    throw Error(NVDB_EINVAL, "options: unknown metric " + std::to_string(opts.metric));
  if (opts.mode < NVDB_OPEN_CREATE || opts.mode > NVDB_OPEN_READ)
    throw Error(NVDB_EINVAL, "options: unknown open mode " + std::to_string(opts.mode));
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

}  // namespace

std::unique_ptr<Database> Database::open(std::string_view locator, const nvdb_options &opts) {
  check_options(opts);
  const std::string path(locator);
  if (locator == ":memory:") {
    if (opts.mode != NVDB_OPEN_CREATE)
      throw Error(NVDB_EINVAL, ":memory: always creates a new database: use NVDB_OPEN_CREATE");
    return std::make_unique<Database>(dim_to_create(opts, locator), to_kernel_metric(opts.metric),
                                      StorageKind::memory, path, false);
  }
  if (!ends_with(locator, ".json"))
    throw Error(NVDB_EINVAL, "unknown locator \"" + path +
                                 "\": this version opens \":memory:\" and \"*.json\" files");
  if (opts.metric != NVDB_METRIC_DEFAULT && opts.metric != NVDB_METRIC_COSINE)
    throw Error(NVDB_EMISMATCH, path + ": nano-vectordb files are always metric cosine");

  const bool read_only = opts.mode == NVDB_OPEN_READ;
  if (!path_exists(path)) {
    if (opts.mode != NVDB_OPEN_CREATE) throw Error(NVDB_ENOTFOUND, path + ": no such file");
    // Fail now rather than at the first save, when the data would be lost.
    const std::string dir = parent_directory(path);
    if (!path_exists(dir))
      throw Error(NVDB_ENOTFOUND, path + ": the directory \"" + dir + "\" does not exist");
    return std::make_unique<Database>(dim_to_create(opts, locator), kernels::Metric::cosine,
                                      StorageKind::json, path, false);
  }
  nanovdb::File file = nanovdb::read(path);
  if (opts.dim != 0 && opts.dim != file.dim)
    throw Error(NVDB_EMISMATCH, path + ": the file has dim " + std::to_string(file.dim) +
                                    ", the options ask for " + std::to_string(opts.dim));
  auto db = std::make_unique<Database>(file.dim, kernels::Metric::cosine, StorageKind::json, path,
                                       read_only);
  std::string additional = file.has_additional_data ? file.additional_data : std::string();
  db->apply(db->prepare_file(std::move(file)));
  db->additional_data_ = std::move(additional);
  return db;
}

Database::Database(std::uint32_t dim, kernels::Metric metric, StorageKind kind,
                   std::string locator, bool read_only)
    : dim_(dim), metric_(metric), kind_(kind), locator_(std::move(locator)),
      read_only_(read_only) {}

// ---------------------------------------------------------------------------
// Preparing batches: every check happens here, before anything changes.

void Database::add_checked_row(Batch &batch, Record &&record, const float *vector,
                               double squared_norm, const std::string &where) const {
  check_id(record.id, where);
  float *out = batch.vectors.data() + batch.records.size() * dim_;
  if (metric_ == kernels::Metric::cosine && !is_unit_length(squared_norm))
    normalize(vector, dim_, squared_norm, out);
  else
    std::copy(vector, vector + dim_, out);
  batch.records.push_back(std::move(record));
}

Database::Batch Database::prepare(std::size_t n, const char *const *ids, const float *vectors,
                                  const char *const *metadata) const {
  if (n > 0 && !vectors) throw Error(NVDB_EINVAL, "upsert: vectors is NULL");
  Batch batch;
  batch.records.reserve(n);
  batch.vectors.resize(n * dim_);
  for (std::size_t i = 0; i < n; ++i) {
    const float *v = vectors + i * dim_;
    const char *given = ids ? ids[i] : nullptr;
    std::string where = describe_record(i, given ? given : "");
    double sq = check_vector(v, dim_, metric_, where);
    Record rec;
    if (given) {
      rec.id = given;
    } else {
      // nano-vectordb's rule: the md5 of the vector as given, before
      // normalisation, and "__id__" comes last in the record.
      rec.id = md5_hex(v, dim_ * sizeof(float));
    }
    const char *meta = metadata ? metadata[i] : nullptr;
    rec.meta = meta ? json::encode_object(meta, where + ": metadata", true) : json::empty_object();
    if (!given) rec.id_pos = json::Value(rec.meta.data()).count();
    // Under cosine every accepted vector is normalised here, even one of
    // length 1 within rounding, so the API behaves like nano-vectordb.
    float *out = batch.vectors.data() + i * dim_;
    if (metric_ == kernels::Metric::cosine)
      normalize(v, dim_, sq, out);
    else
      std::copy(v, v + dim_, out);
    check_id(rec.id, where);
    batch.records.push_back(std::move(rec));
  }
  return batch;
}

Database::Batch Database::prepare_file(nanovdb::File &&file) const {
  Batch batch;
  const std::size_t n = file.records.size();
  batch.records.reserve(n);
  batch.vectors.resize(n * dim_);
  for (std::size_t i = 0; i < n; ++i) {
    const float *v = file.matrix.data() + i * dim_;
    std::string where = describe_record(i, file.records[i].id);
    double sq = check_vector(v, dim_, metric_, where);
    Record rec{std::move(file.records[i].id), file.records[i].id_is_number,
               file.records[i].id_pos, std::move(file.records[i].meta)};
    add_checked_row(batch, std::move(rec), v, sq, where);
  }
  return batch;
}

Database::Batch Database::snapshot_all() const {
  std::shared_lock lock(mutex_);
  Batch batch;
  batch.records = records_;
  batch.vectors.assign(matrix_.data(), matrix_.data() + records_.size() * dim_);
  return batch;
}

// ---------------------------------------------------------------------------
// Applying a prepared batch. Allocation happens before the first change; the
// only step that may still throw (inserting into the index) is undone on
// failure.

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
  std::vector<std::uint32_t> target(order.size());
  std::size_t rows = records_.size();
  std::size_t inserts = 0;
  for (std::size_t k = 0; k < order.size(); ++k) {
    const std::string &id = batch.records[order[k]].id;
    auto it = index_.find(id);
    if (it != index_.end()) {
      target[k] = it->second;
      report.updated.push_back(id);
    } else {
      target[k] = static_cast<std::uint32_t>(rows + inserts++);
      report.inserted.push_back(id);
    }
  }
  if (rows + inserts > UINT32_MAX) throw Error(NVDB_ENOMEM, "upsert: too many records");

  matrix_.reserve((rows + inserts) * dim_, rows * dim_);
  records_.reserve(rows + inserts);
  index_.reserve(rows + inserts);
  std::vector<std::string> added;
  try {
    for (std::size_t k = 0; k < order.size(); ++k) {
      if (target[k] < rows) continue;
      const std::string &id = batch.records[order[k]].id;
      index_.emplace(id, target[k]);
      added.push_back(id);
    }
  } catch (...) {
    for (const auto &id : added) index_.erase(id);
    throw;
  }

  for (std::size_t k = 0; k < order.size(); ++k) {
    const std::size_t src = order[k];
    std::copy_n(batch.vectors.data() + src * dim_, dim_, matrix_.data() + target[k] * dim_);
    if (target[k] < rows)
      records_[target[k]] = std::move(batch.records[src]);
    else
      records_.push_back(std::move(batch.records[src]));
  }
  return report;
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
  std::unique_lock lock(mutex_);
  return apply(std::move(batch));
}

std::size_t Database::remove(std::size_t n, const char *const *ids) {
  check_writable();
  if (n > 0 && !ids) throw Error(NVDB_EINVAL, "delete: ids is NULL");
  std::vector<std::string> keys;
  keys.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    if (!ids[i]) throw Error(NVDB_EINVAL, "delete: id " + std::to_string(i) + " is NULL");
    keys.emplace_back(ids[i]);
  }
  std::unique_lock lock(mutex_);
  std::size_t removed = 0;
  for (const auto &key : keys) {
    auto it = index_.find(key);
    if (it == index_.end()) continue;
    const std::uint32_t row = it->second;
    const std::uint32_t last = static_cast<std::uint32_t>(records_.size() - 1);
    index_.erase(it);
    if (row != last) {
      std::copy_n(matrix_.data() + std::size_t(last) * dim_, dim_,
                  matrix_.data() + std::size_t(row) * dim_);
      records_[row] = std::move(records_[last]);
      index_.find(records_[row].id)->second = row;
    }
    records_.pop_back();
    ++removed;
  }
  return removed;
}

void Database::set_additional_data(std::string_view json_text) {
  check_writable();
  std::string doc = json::encode_object(json_text, "additional data", false);
  std::unique_lock lock(mutex_);
  additional_data_.swap(doc);
}

void Database::import_json(const std::string &path) {
  check_writable();
  nanovdb::File file = nanovdb::read(path);
  if (file.dim != dim_)
    throw Error(NVDB_EMISMATCH, path + ": the file has dim " + std::to_string(file.dim) +
                                    ", the database " + std::to_string(dim_));
  std::string additional = file.has_additional_data ? file.additional_data : std::string();
  Batch batch = prepare_file(std::move(file));
  std::unique_lock lock(mutex_);
  apply(std::move(batch));
  if (!additional.empty()) additional_data_.swap(additional);
}

void Database::copy_from(Database &src) {
  check_writable();
  if (&src == this) return;
  if (src.dim_ != dim_)
    throw Error(NVDB_EMISMATCH, "copy: the source has dim " + std::to_string(src.dim_) +
                                    ", the destination " + std::to_string(dim_));
  Batch all = src.snapshot_all();
  std::string additional;
  {
    std::shared_lock lock(src.mutex_);
    additional = src.additional_data_;
  }
  Batch batch;
  batch.records.reserve(all.records.size());
  batch.vectors.resize(all.vectors.size());
  for (std::size_t i = 0; i < all.records.size(); ++i) {
    const float *v = all.vectors.data() + i * dim_;
    std::string where = describe_record(i, all.records[i].id);
    double sq = check_vector(v, dim_, metric_, where);
    add_checked_row(batch, std::move(all.records[i]), v, sq, where);
  }
  std::unique_lock lock(mutex_);
  apply(std::move(batch));
  if (!additional.empty()) additional_data_.swap(additional);
}

void Database::save() {
  if (kind_ != StorageKind::json) return;
  check_writable();
  std::shared_lock lock(mutex_);
  write_json_file(locator_);
}

// ---------------------------------------------------------------------------
// Reads.

std::size_t Database::count() const {
  std::shared_lock lock(mutex_);
  return records_.size();
}

std::vector<RecordCopy> Database::get(std::size_t n, const char *const *ids) const {
  if (n > 0 && !ids) throw Error(NVDB_EINVAL, "get: ids is NULL");
  std::vector<RecordCopy> out;
  std::string key;
  std::shared_lock lock(mutex_);
  for (std::size_t i = 0; i < n; ++i) {
    if (!ids[i]) throw Error(NVDB_EINVAL, "get: id " + std::to_string(i) + " is NULL");
    key.assign(ids[i]);
    auto it = index_.find(key);
    if (it == index_.end()) continue;
    const float *v = matrix_.data() + std::size_t(it->second) * dim_;
    RecordCopy copy{key, std::vector<float>(v, v + dim_), {}};
    json::write(json::Value(records_[it->second].meta.data()), json::Style::compact,
                copy.metadata_json);
    out.push_back(std::move(copy));
  }
  return out;
}

std::vector<Hit> Database::query(const float *vector, const QueryParams &params) const {
  if (!vector) throw Error(NVDB_EINVAL, "query: vector is NULL");
  double sq = check_vector(vector, dim_, metric_, "query vector");
  std::vector<float> q(vector, vector + dim_);
  if (metric_ == kernels::Metric::cosine) normalize(vector, dim_, sq, q.data());

  std::unique_ptr<filter::Filter> compiled;
  if (params.filter) compiled = std::make_unique<filter::Filter>(filter::Filter::compile(params.filter));

  std::shared_lock lock(mutex_);
  std::function<bool(std::uint32_t)> keep = [&](std::uint32_t row) {
    const Record &rec = records_[row];
    if (compiled && !compiled->matches(json::Value(rec.meta.data()))) return false;
    if (params.filter_fn) {
      thread_local std::string text;
      text.clear();
      json::write(json::Value(rec.meta.data()), json::Style::compact, text);
      int verdict = params.filter_fn(rec.id.c_str(), text.c_str(), params.filter_ctx);
      if (verdict < 0)
        throw Error(NVDB_EABORTED, "query: the filter callback returned " +
                                       std::to_string(verdict) + " for id \"" + rec.id + "\"");
      return verdict != 0;
    }
    return true;
  };
  std::function<bool(std::uint32_t, std::uint32_t)> tie_less = [&](std::uint32_t a, std::uint32_t b) {
    return records_[a].id < records_[b].id;
  };

  kernels::ScanRequest req;
  req.matrix = matrix_.data();
  req.nrows = records_.size();
  req.dim = dim_;
  req.query = q.data();
  req.metric = metric_;
  req.top_k = params.top_k;
  req.use_threshold = params.use_threshold;
  req.threshold = params.threshold;
  req.keep = (compiled || params.filter_fn) ? &keep : nullptr;
  req.tie_less = &tie_less;

  std::vector<Hit> hits;
  for (const kernels::Hit &h : kernels::scan(req)) {
    const Record &rec = records_[h.row];
    Hit hit{rec.id, h.score, {}};
    json::write(json::Value(rec.meta.data()), json::Style::compact, hit.metadata_json);
    hits.push_back(std::move(hit));
  }
  return hits;
}

std::string Database::additional_data_json() const {
  std::shared_lock lock(mutex_);
  if (additional_data_.empty()) return "{}";
  std::string out;
  json::write(json::Value(additional_data_.data()), json::Style::compact, out);
  return out;
}

std::string Database::info_json() const {
  std::shared_lock lock(mutex_);
  std::string out = "{\"dim\":" + std::to_string(dim_) + ",\"metric\":\"" +
                    metric_name(metric_) + "\",\"count\":" + std::to_string(records_.size()) +
                    ",\"storage\":\"" + (kind_ == StorageKind::memory ? "memory" : "json") +
                    "\",\"locator\":";
  json::write_string(locator_, out);
  out += ",\"format\":\"";
  out += kind_ == StorageKind::memory ? "nvdb" : "nano-vectordb";
  out += "\",\"format_version\":1,\"read_only\":";
  out += read_only_ ? "true" : "false";
  out += "}";
  return out;
}

void Database::export_json(const std::string &path) const {
  if (metric_ != kernels::Metric::cosine)
    throw Error(NVDB_EMISMATCH, std::string("export: nano-vectordb files are cosine, this database is ") +
                                    metric_name(metric_));
  std::shared_lock lock(mutex_);
  write_json_file(path);
}

// Callers hold the lock.
void Database::write_json_file(const std::string &path) const {
  auto view = [this](std::size_t i) {
    const Record &rec = records_[i];
    return nanovdb::RecordView{rec.id, rec.id_is_number, rec.id_pos, json::Value(rec.meta.data()),
                               matrix_.data() + i * dim_};
  };
  nanovdb::write(path, dim_, records_.size(), view,
                 additional_data_.empty() ? nullptr : &additional_data_);
}

}  // namespace nvdb
