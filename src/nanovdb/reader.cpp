// Reading nano-vectordb files: a streaming parse (boost::json::basic_parser
// with our own handler) that never builds a DOM and never holds the base64
// matrix text whole: the matrix is decoded part by part straight into the
// float vector, records are encoded into docs as their events arrive.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json/basic_parser_impl.hpp>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <memory>
#include <unordered_map>

#include "core/error.hpp"
#include "nanovdb/digest.hpp"
#include "nanovdb/nanovdb.hpp"

namespace nvdb::nanovdb {

namespace {

using boost::json::error_code;
using JsonView = boost::json::string_view;

std::string_view sv(JsonView s) { return {s.data(), s.size()}; }

[[noreturn]] void corrupt(const std::string &message) { throw Error(NVDB_ECORRUPT, message); }

// Metadata nesting nvdb accepts, as json::encode_object does.
constexpr std::size_t kMaxNesting = 64;

// The top-level members of a file.
enum class Field { none, dim, data, matrix, additional };

const char *field_name(Field f) {
  switch (f) {
    case Field::dim: return "embedding_dim";
    case Field::data: return "data";
    case Field::matrix: return "matrix";
    case Field::additional: return "additional_data";
    default: return "";
  }
}

const char *field_type(Field f) {
  switch (f) {
    case Field::dim: return "an integer";
    case Field::data: return "an array";
    case Field::matrix: return "a string";
    default: return "an object";
  }
}

// Where the parser is in the file's structure.
enum class Where {
  document,    // before the top-level object
  top,         // in the top-level object, between members
  value,       // at the value of the top-level member field_
  data,        // in the "data" array, between records
  record,      // inside a record: events go to the builder, except "__id__"'s value
  additional,  // inside "additional_data": events go to the builder
  end          // after the top-level object
};

bool is_integer_text(std::string_view lexeme) {
  return lexeme.find_first_of(".eE") == std::string_view::npos;
}

// The basic_parser handler: builds a File from the events.
class Handler {
 public:
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);

  explicit Handler(std::size_t input_size) : input_size_(input_size) {}

  bool on_document_begin(error_code &) { return true; }
  bool on_document_end(error_code &) { return true; }

  bool on_object_begin(error_code &) {
    if (where_ == Where::document) {
      where_ = Where::top;
    } else if (where_ == Where::value && field_ == Field::additional) {
      builder_.begin_object();
      where_ = Where::additional;
    } else if (where_ == Where::data) {
      begin_record();
    } else {
      nest("an object");
      builder_.begin_object();
    }
    return true;
  }

  bool on_object_end(std::size_t, error_code &) {
    if (where_ == Where::top) {
      where_ = Where::end;
    } else if (builder_.depth() > 1) {
      builder_.end_object();
    } else if (where_ == Where::record) {
      end_record();
    } else {  // the end of additional_data
      builder_.end_object();
      file_.additional_data = builder_.take();
      file_.has_additional_data = true;
      where_ = Where::top;
    }
    return true;
  }

  bool on_array_begin(error_code &) {
    if (where_ == Where::value && field_ == Field::data) {
      where_ = Where::data;
    } else {
      nest("an array");
      builder_.begin_array();
    }
    return true;
  }

  bool on_array_end(std::size_t, error_code &) {
    if (where_ == Where::data)
      where_ = Where::top;
    else
      builder_.end_array();
    return true;
  }

  bool on_key_part(JsonView s, std::size_t, error_code &) {
    key_.append(s.data(), s.size());
    return true;
  }

  bool on_key(JsonView s, std::size_t, error_code &) {
    std::string_view key = joined(key_, s);
    if (where_ == Where::top)
      top_key(key);
    else if (where_ == Where::record && builder_.depth() == 1)
      record_key(key);
    else
      builder_key(key);
    key_.clear();
    return true;
  }

  bool on_string_part(JsonView s, std::size_t, error_code &) {
    if (where_ == Where::value && field_ == Field::matrix)
      decode_matrix(sv(s));
    else
      str_.append(s.data(), s.size());
    return true;
  }

  bool on_string(JsonView s, std::size_t, error_code &) {
    if (where_ == Where::value && field_ == Field::matrix) {
      decode_matrix(sv(s));
      end_matrix();
    } else {
      std::string_view text = joined(str_, s);
      if (expect_id_)
        string_id(text);
      else if (forwarding())
        builder_.string(text);
      else
        misplaced("a string");
      str_.clear();
    }
    return true;
  }

  bool on_number_part(JsonView s, error_code &) {
    num_.append(s.data(), s.size());
    return true;
  }

  bool on_int64(std::int64_t i, JsonView s, error_code &) {
    number(joined(num_, s), static_cast<double>(i), std::to_string(i));
    return true;
  }

  bool on_uint64(std::uint64_t u, JsonView s, error_code &) {
    number(joined(num_, s), static_cast<double>(u), std::to_string(u));
    return true;
  }

  // Also called for integers beyond 64 bits (Python writes those): their
  // text has no '.', 'e' or 'E'.
  bool on_double(double d, JsonView s, error_code &) {
    std::string_view lexeme = joined(num_, s);
    if (!std::isfinite(d)) corrupt(context() + ": number out of range: " + std::string(lexeme));
    number(lexeme, d, is_integer_text(lexeme) ? std::string(lexeme) : std::string());
    return true;
  }

  bool on_bool(bool b, error_code &) {
    if (!forwarding()) misplaced("a boolean");
    builder_.boolean(b);
    return true;
  }

  bool on_null(error_code &) {
    if (!forwarding()) misplaced("null");
    builder_.null();
    return true;
  }

  bool on_comment_part(JsonView, error_code &) { return true; }
  bool on_comment(JsonView, error_code &) { return true; }

  // The file, once the parser has seen the whole document.
  File finish();

 private:
  // Text that arrived in parts: the parts so far plus the last one.
  static std::string_view joined(std::string &parts, JsonView last) {
    if (parts.empty()) return sv(last);
    parts.append(last.data(), last.size());
    return parts;
  }

  bool forwarding() const {
    return (where_ == Where::record || where_ == Where::additional) && !expect_id_;
  }

  std::string context() const {
    if (where_ == Where::record || where_ == Where::data)
      return "record " + std::to_string(file_.records.size() - (where_ == Where::record ? 1 : 0));
    if (where_ == Where::additional) return "additional_data";
    if (where_ == Where::value) return field_name(field_);
    return "the top-level object";
  }

  // A value of this kind where it does not belong.
  [[noreturn]] void misplaced(const char *kind) const {
    switch (where_) {
      case Where::document:
        corrupt(std::string("the file must hold a JSON object, not ") + kind);
      case Where::value:
        corrupt(std::string("\"") + field_name(field_) + "\" must be " + field_type(field_) +
                ", not " + kind);
      case Where::data:
        corrupt("record " + std::to_string(file_.records.size()) + " is " + kind +
                ", not an object");
      default:
        corrupt(context() + ": the id must be a string or an integer, not " + kind);
    }
  }

  // A container opening inside a record or additional_data.
  void nest(const char *kind) {
    if (!forwarding()) misplaced(kind);
    if (builder_.depth() >= kMaxNesting)
      corrupt(context() + ": nesting deeper than " + std::to_string(kMaxNesting));
  }

  void builder_key(std::string_view key) {
    try {
      builder_.key(key);
    } catch (const Error &e) {  // a repeated key
      corrupt(context() + ": " + e.what());
    }
  }

  void top_key(std::string_view key);
  void record_key(std::string_view key);
  void begin_record();
  void end_record();
  void string_id(std::string_view text);
  void number(std::string_view lexeme, double value, const std::string &integer_text);
  void decode_matrix(std::string_view part);
  void end_matrix();
  void check_matrix() const;
  void check_ids() const;

  std::size_t input_size_;  // bounds the matrix memory reserved up front
  File file_;
  Where where_ = Where::document;
  Field field_ = Field::none;
  bool seen_[5] = {};  // which top-level fields were seen, by Field

  json::Builder builder_;
  std::string key_, str_, num_;  // parts of a key, string or number so far

  // The record being read.
  bool has_id_ = false;
  bool expect_id_ = false;  // the next value is "__id__"'s
  std::size_t keys_ = 0;    // its keys before the current one, "__id__" excepted

  Base64Decoder base64_;
  std::size_t matrix_bytes_ = 0;
};

void Handler::top_key(std::string_view key) {
  Field f = key == "embedding_dim" ? Field::dim
            : key == "data"        ? Field::data
            : key == "matrix"      ? Field::matrix
            : key == "additional_data" ? Field::additional
                                       : Field::none;
  std::string quoted;
  json::write_string(key, quoted);
  if (f == Field::none) corrupt("unknown top-level key " + quoted);
  if (seen_[static_cast<int>(f)]) corrupt("repeated top-level key " + quoted);
  seen_[static_cast<int>(f)] = true;
  field_ = f;
  where_ = Where::value;
  if (f == Field::matrix && seen_[static_cast<int>(Field::dim)] && seen_[static_cast<int>(Field::data)]) {
    // Reserve the matrix once, as long as the input can hold it (a hostile
    // file must not make us reserve gigabytes): 4 base64 chars per 3 bytes.
    std::size_t floats = file_.records.size() * file_.dim;
    // One float more: the last feed may ask room for the padding's bytes.
    if (floats <= input_size_ / 4 * 3 / sizeof(float)) file_.matrix.reserve(floats + 1);
  }
}

void Handler::record_key(std::string_view key) {
  if (key != "__id__") {
    builder_key(key);
    ++keys_;
    return;
  }
  if (has_id_) corrupt(context() + ": repeated key \"__id__\"");
  has_id_ = expect_id_ = true;
  file_.records.back().id_pos = static_cast<std::uint32_t>(keys_);
}

void Handler::begin_record() {
  file_.records.emplace_back();
  where_ = Where::record;
  has_id_ = expect_id_ = false;
  keys_ = 0;
  builder_.begin_object();
}

void Handler::end_record() {
  if (!has_id_) corrupt(context() + " has no \"__id__\"");
  builder_.end_object();
  file_.records.back().meta = builder_.take();
  where_ = Where::data;
}

void Handler::string_id(std::string_view text) {
  expect_id_ = false;
  if (text.empty()) throw Error(NVDB_EID, context() + ": the id is empty");
  if (text.size() > kMaxIdBytes)
    throw Error(NVDB_EID, context() + ": the id is longer than 1024 bytes");
  if (text.find('\0') != std::string_view::npos)
    throw Error(NVDB_EID, context() + ": the id contains a NUL character");
  file_.records.back().id.assign(text);
}

// Every number: embedding_dim, a numeric id, or a metadata value.
// integer_text is the decimal text of an integer, empty for other numbers.
void Handler::number(std::string_view lexeme, double value, const std::string &integer_text) {
  if (where_ == Where::value && field_ == Field::dim) {
    if (integer_text.empty()) corrupt("\"embedding_dim\" must be an integer, not " + std::string(lexeme));
    if (lexeme.front() == '-' || integer_text.size() > 5 || value < 1 || value > kMaxDim)
      corrupt("\"embedding_dim\" is " + std::string(lexeme) + ", not in 1..65536");
    file_.dim = static_cast<std::uint32_t>(value);
    where_ = Where::top;
  } else if (expect_id_) {
    expect_id_ = false;
    if (integer_text.empty()) corrupt(context() + ": the id must be a string or an integer, not " + std::string(lexeme));
    if (integer_text.size() > kMaxIdBytes)
      throw Error(NVDB_EID, context() + ": the id is longer than 1024 bytes");
    file_.records.back().id = integer_text;
    file_.records.back().id_is_number = true;
  } else if (forwarding()) {
    builder_.number(lexeme, value);
  } else {
    misplaced("a number");
  }
  num_.clear();
}

void Handler::decode_matrix(std::string_view part) {
  std::size_t need = matrix_bytes_ + base64_.max_output(part.size());
  if (need > file_.matrix.size() * sizeof(float)) file_.matrix.resize((need + 3) / sizeof(float));
  auto out = reinterpret_cast<unsigned char *>(file_.matrix.data()) + matrix_bytes_;
  try {
    matrix_bytes_ += base64_.feed(part, out);
  } catch (const Error &e) {
    corrupt(std::string("\"matrix\": ") + e.what());
  }
}

void Handler::end_matrix() {
  try {
    base64_.finish();
  } catch (const Error &e) {
    corrupt(std::string("\"matrix\": ") + e.what());
  }
  where_ = Where::top;
}

File Handler::finish() {
  for (Field f : {Field::dim, Field::data, Field::matrix})
    if (!seen_[static_cast<int>(f)]) corrupt(std::string("missing top-level key \"") + field_name(f) + "\"");
  check_matrix();
  check_ids();
  file_.matrix.resize(matrix_bytes_ / sizeof(float));  // decoding left room for padding
  return std::move(file_);
}

// The matrix holds exactly len(data) rows of dim finite floats (stored
// little-endian, as this machine keeps them).
void Handler::check_matrix() const {
  static_assert(sizeof(float) == 4);
  std::size_t expected = file_.records.size() * file_.dim;
  if (matrix_bytes_ != expected * sizeof(float))
    corrupt("\"matrix\" decodes to " + std::to_string(matrix_bytes_) + " bytes, but " +
            std::to_string(file_.records.size()) + " records of dim " + std::to_string(file_.dim) +
            " need " + std::to_string(expected * sizeof(float)) + " (" + std::to_string(expected) +
            " float32s)");
  // An OR over the exponent bits vectorizes; find the row only if one is bad.
  const float *m = file_.matrix.data();
  bool bad = false;
  for (std::size_t i = 0; i < expected; ++i) {
    std::uint32_t bits;
    std::memcpy(&bits, m + i, 4);
    bad |= (bits & 0x7f800000u) == 0x7f800000u;
  }
  if (!bad) return;
  std::size_t i = 0;
  while (std::isfinite(m[i])) ++i;
  std::string id;
  json::write_string(file_.records[i / file_.dim].id, id);
  corrupt("\"matrix\" row " + std::to_string(i / file_.dim) + " (id " + id +
          ") has a NaN or infinite value (nano-vectordb stores a zero vector as NaNs)");
}

std::string describe(const FileRecord &r) {
  if (r.id_is_number) return r.id + " (a number)";
  std::string out;
  json::write_string(r.id, out);
  return out + " (a string)";
}

// Ids are unique, also across types: nvdb keeps them as text, so the int 3
// and the string "3" (distinct in Python) would be one id.
void Handler::check_ids() const {
  std::unordered_map<std::string_view, std::size_t> seen;
  seen.reserve(file_.records.size());
  for (std::size_t i = 0; i < file_.records.size(); ++i) {
    auto [it, fresh] = seen.try_emplace(file_.records[i].id, i);
    if (fresh) continue;
    throw Error(NVDB_EID, "ids collide: " + describe(file_.records[it->second]) + " and " +
                              describe(file_.records[i]) + ", records " +
                              std::to_string(it->second) + " and " + std::to_string(i));
  }
}

// Drives basic_parser over the text, fed in one piece or in chunks.
class Parser {
 public:
  explicit Parser(std::size_t input_size) : parser_(options(), input_size) {}

  void feed(std::string_view chunk, bool last) {
    static const char empty[1] = {};
    error_code ec;
    std::size_t n = parser_.write_some(!last, chunk.empty() ? empty : chunk.data(), chunk.size(), ec);
    if (ec) syntax_error(ec, chunk, n);
    if (n < chunk.size())
      corrupt("unexpected text after the JSON object, at byte " + std::to_string(offset_ + n));
    offset_ += n;
  }

  File finish() { return parser_.handler().finish(); }

 private:
  static boost::json::parse_options options() {
    boost::json::parse_options opt;
    // Room for the top object, the data array and 64 levels in a record, so
    // that the handler's nesting check is the one that speaks.
    opt.max_depth = kMaxNesting + 4;
    return opt;
  }

  [[noreturn]] void syntax_error(const error_code &ec, std::string_view chunk, std::size_t n) const {
    std::string at = " at byte " + std::to_string(offset_ + n);
    if (ec == boost::json::error::incomplete)
      corrupt("truncated JSON: the text ends" + at + " before the top-level object is closed");
    std::string_view rest = chunk.substr(std::min(n, chunk.size()));
    if (rest.substr(0, 1) == "N" || rest.substr(0, 1) == "I" || rest.substr(0, 2) == "-I")
      corrupt("invalid JSON" + at + ": NaN and Infinity are not valid JSON");
    corrupt("invalid JSON" + at + ": " + ec.message());
  }

  boost::json::basic_parser<Handler> parser_;
  std::size_t offset_ = 0;
};

[[noreturn]] void io_error(const std::string &what, const std::string &path, int err) {
  throw Error(err == ENOENT ? NVDB_ENOTFOUND : NVDB_EIO,
              what + " " + path + ": " + std::strerror(err));
}

}  // namespace

File parse(std::string_view text) {
  Parser parser(text.size());
  parser.feed(text, true);
  return parser.finish();
}

File parse_in_chunks(std::string_view text, std::size_t chunk_size) {
  Parser parser(text.size());
  chunk_size = std::max<std::size_t>(chunk_size, 1);
  for (std::size_t at = 0; at < text.size(); at += chunk_size)
    parser.feed(text.substr(at, chunk_size), false);
  parser.feed({}, true);
  return parser.finish();
}

File read(const std::string &path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) io_error("cannot open", path, errno);
  std::unique_ptr<int, void (*)(int *)> closer(&fd, [](int *f) { ::close(*f); });
  struct stat st {};
  if (::fstat(fd, &st) != 0) io_error("cannot stat", path, errno);
  if (S_ISDIR(st.st_mode)) io_error("cannot read", path, EISDIR);
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);

  // Large chunks: few system calls, and the base64 text is never held whole.
  constexpr std::size_t kChunk = std::size_t{8} << 20;
  std::size_t size = static_cast<std::size_t>(st.st_size);
  std::vector<char> buf(std::min(kChunk, size + 1));
  try {
    Parser parser(size);
    for (;;) {
      ssize_t n = ::read(fd, buf.data(), buf.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) io_error("cannot read", path, errno);
      parser.feed({buf.data(), static_cast<std::size_t>(n)}, n == 0);
      if (n == 0) break;
    }
    return parser.finish();
  } catch (const Error &e) {
    if (e.status() == NVDB_EIO) throw;
    throw Error(e.status(), path + ": " + e.what());
  }
}

}  // namespace nvdb::nanovdb
