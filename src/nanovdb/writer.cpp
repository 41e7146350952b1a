// Writing nano-vectordb files: the exact bytes Python's json.dump writes
// (", " and ": " separators, ensure_ascii=False), streamed through a large
// buffer into a temporary file that replaces the target atomically.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <vector>

#include "core/error.hpp"
#include "nanovdb/digest.hpp"
#include "nanovdb/nanovdb.hpp"

namespace nvdb::nanovdb {

namespace {

constexpr std::size_t kBufferBytes = std::size_t{4} << 20;
// Matrix bytes encoded at a time: a multiple of 3, so padding only ends the text.
constexpr std::size_t kStageBytes = std::size_t{3} << 18;

[[noreturn]] void io_error(const std::string &what, const std::string &path, int err) {
  throw Error(NVDB_EIO, what + " " + path + ": " + std::strerror(err));
}

// The temporary file: removed on destruction unless committed.
class TempFile {
 public:
  explicit TempFile(const std::string &target) {
    static std::atomic<unsigned> counter{0};
    // Same folder as the target, so that rename() is atomic. O_EXCL: a stale
    // temporary of a crashed process with our pid just moves us to the next name.
    for (int attempt = 0; fd_ < 0; ++attempt) {
      name_ = target + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
      fd_ = ::open(name_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
      if (fd_ < 0 && (errno != EEXIST || attempt == 100)) io_error("cannot create", name_, errno);
    }
  }
  ~TempFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_) ::unlink(name_.c_str());
  }
  TempFile(const TempFile &) = delete;
  TempFile &operator=(const TempFile &) = delete;

  int fd() const { return fd_; }
  const std::string &name() const { return name_; }

  // fsync, close, and rename over target.
  void commit(const std::string &target) {
    if (::fsync(fd_) != 0) io_error("cannot fsync", name_, errno);
    int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) io_error("cannot close", name_, errno);
    if (::rename(name_.c_str(), target.c_str()) != 0) io_error("cannot rename to", target, errno);
    committed_ = true;
  }

 private:
  std::string name_;
  int fd_ = -1;
  bool committed_ = false;
};

// Text gathered in a large buffer and written out when it fills.
class Output {
 public:
  explicit Output(const TempFile &file) : file_(file) { buf_.reserve(kBufferBytes + 64 * 1024); }

  std::string &text() { return buf_; }
  void maybe_flush() {
    if (buf_.size() >= kBufferBytes) flush();
  }

  void base64(const unsigned char *data, std::size_t size) {
    std::size_t old = buf_.size();
    buf_.resize(old + base64_encoded_size(size) + 1);
    buf_.resize(old + base64_encode_to(data, size, buf_.data() + old));
    maybe_flush();
  }

  void flush() {
    const char *p = buf_.data();
    std::size_t left = buf_.size();
    while (left > 0) {
      ssize_t n = ::write(file_.fd(), p, left);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) io_error("cannot write", file_.name(), errno);
      p += n;
      left -= static_cast<std::size_t>(n);
    }
    buf_.clear();
  }

 private:
  const TempFile &file_;
  std::string buf_;
};

void write_id(std::string &out, const RecordView &r) {
  out += "\"__id__\": ";
  if (!r.id_is_number) {
    json::write_string(r.id, out);
    return;
  }
  // The text goes out raw: it must be an integer's, or the file is not JSON.
  std::string_view digits = r.id.substr(r.id.substr(0, 1) == "-" ? 1 : 0);
  if (digits.empty() || digits.find_first_not_of("0123456789") != std::string_view::npos)
    throw Error(NVDB_EID, "id " + std::string(r.id) + " is marked as a number but is not an integer");
  out += r.id;
}

// One record: its metadata members, with "__id__" back at position id_pos.
void write_record(std::string &out, const RecordView &r) {
  out += '{';
  std::uint32_t pos = 0;
  bool first = true;
  auto separate = [&] {
    if (!first) out += ", ";
    first = false;
  };
  for (json::Member m : json::Members(r.meta)) {
    if (pos++ == r.id_pos) {
      separate();
      write_id(out, r);
    }
    separate();
    json::write_string(m.key, out);
    out += ": ";
    json::write(m.value, json::Style::python, out);
  }
  if (r.id_pos >= pos) {
    separate();
    write_id(out, r);
  }
  out += '}';
}

// The float32 rows, little-endian as in memory, base64-encoded in chunks.
void write_matrix(Output &out, std::uint32_t dim, std::size_t count,
                  const std::function<RecordView(std::size_t)> &record) {
  std::vector<unsigned char> stage(kStageBytes);
  std::size_t used = 0;
  for (std::size_t i = 0; i < count; ++i) {
    auto row = reinterpret_cast<const unsigned char *>(record(i).vector);
    std::size_t left = std::size_t{dim} * sizeof(float);
    while (left > 0) {
      std::size_t n = std::min(left, kStageBytes - used);
      std::memcpy(stage.data() + used, row, n);
      used += n;
      row += n;
      left -= n;
      if (used == kStageBytes) {
        out.base64(stage.data(), used);
        used = 0;
      }
    }
  }
  out.base64(stage.data(), used);
}

void write_body(Output &out, std::uint32_t dim, std::size_t count,
                const std::function<RecordView(std::size_t)> &record,
                const std::string *additional_data) {
  std::string &text = out.text();
  text += "{\"embedding_dim\": " + std::to_string(dim) + ", \"data\": [";
  for (std::size_t i = 0; i < count; ++i) {
    if (i > 0) text += ", ";
    write_record(text, record(i));
    out.maybe_flush();
  }
  text += "], \"matrix\": \"";
  write_matrix(out, dim, count, record);
  text += '"';
  if (additional_data) {
    text += ", \"additional_data\": ";
    json::write(json::Value(additional_data->data()), json::Style::python, text);
  }
  text += '}';
  out.flush();
}

// Makes the rename durable.
void sync_folder(const std::string &path) {
  std::size_t slash = path.rfind('/');
  std::string folder = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) io_error("cannot open folder", folder, errno);
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) io_error("cannot fsync folder", folder, err);
}

}  // namespace

void write(const std::string &path, std::uint32_t dim, std::size_t count,
           const std::function<RecordView(std::size_t)> &record,
           const std::string *additional_data) {
  TempFile temp(path);
  // Replacing a file keeps its permissions, as Python's open("w") does.
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::fchmod(temp.fd(), st.st_mode & 07777) != 0)
    io_error("cannot set the mode of", temp.name(), errno);
  Output out(temp);
  write_body(out, dim, count, record, additional_data);
  temp.commit(path);
  sync_folder(path);
}

}  // namespace nvdb::nanovdb
