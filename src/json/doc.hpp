// The binary form in which nvdb keeps JSON metadata ("docs").
//
// Metadata is parsed once, when it is stored, into this form, so that filters
// can test fields without re-parsing text, and so that the exact text comes
// back: key order, number text (big integers, -0.0, 1e-07) and strings are
// kept as given. All integers are little-endian and read unaligned.
//
//   value   := tag:u8 payload
//   null    := tag 0            false := tag 1          true := tag 2
//   number  := tag 3 (integer text: no '.', 'e', 'E') or tag 4 (other)
//              f64 value, u32 len, len bytes of the number's text
//   string  := tag 5, u32 len, len bytes of raw (unescaped) UTF-8
//   array   := tag 6, u32 count, u32 body_bytes, count values
//   object  := tag 7, u32 count, u32 body_bytes,
//              count members of (u32 key_len, key bytes, value)
//
// body_bytes lets a reader skip a container in O(1).
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace nvdb::json {

enum class Type : std::uint8_t {
  null = 0,
  false_ = 1,
  true_ = 2,
  integer = 3,
  real = 4,
  string = 5,
  array = 6,
  object = 7
};

inline std::uint32_t read_u32(const char *p) {
  std::uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

inline double read_f64(const char *p) {
  double v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// A read-only view of one encoded value. Cheap to copy.
class Value {
 public:
  explicit Value(const char *p) : p_(p) {}

  Type type() const { return static_cast<Type>(*p_); }
  bool is_number() const { return type() == Type::integer || type() == Type::real; }
  bool is_bool() const { return type() == Type::false_ || type() == Type::true_; }

  double number() const { return read_f64(p_ + 1); }
  // The number's text as it was given.
  std::string_view lexeme() const { return {p_ + 13, read_u32(p_ + 9)}; }
  std::string_view string() const { return {p_ + 5, read_u32(p_ + 1)}; }
  // Element count of an array or member count of an object.
  std::uint32_t count() const { return read_u32(p_ + 1); }

  // Total encoded size of this value, in bytes.
  std::size_t size() const {
    switch (type()) {
      case Type::integer:
      case Type::real:
        return 13 + read_u32(p_ + 9);
      case Type::string:
        return 5 + read_u32(p_ + 1);
      case Type::array:
      case Type::object:
        return 9 + read_u32(p_ + 5);
      default:
        return 1;
    }
  }

  // First element of an array / first member of an object.
  const char *body() const { return p_ + 9; }
  const char *data() const { return p_; }

  // The member named key of an object, or a null pointer.
  const char *find(std::string_view key) const {
    const char *m = body();
    for (std::uint32_t i = 0, n = count(); i < n; ++i) {
      std::uint32_t klen = read_u32(m);
      const char *v = m + 4 + klen;
      if (klen == key.size() && std::memcmp(m + 4, key.data(), klen) == 0) return v;
      m = v + Value(v).size();
    }
    return nullptr;
  }

 private:
  const char *p_;
};

// Iterates the members of an encoded object: for (auto m : Members(obj)).
struct Member {
  std::string_view key;
  Value value;
};

class Members {
 public:
  explicit Members(Value obj) : p_(obj.body()), n_(obj.count()) {}
  class iterator {
   public:
    iterator(const char *p, std::uint32_t left) : p_(p), left_(left) {}
    Member operator*() const {
      std::uint32_t klen = read_u32(p_);
      return {{p_ + 4, klen}, Value(p_ + 4 + klen)};
    }
    iterator &operator++() {
      std::uint32_t klen = read_u32(p_);
      const char *v = p_ + 4 + klen;
      p_ = v + Value(v).size();
      --left_;
      return *this;
    }
    bool operator!=(const iterator &o) const { return left_ != o.left_; }

   private:
    const char *p_;
    std::uint32_t left_;
  };
  iterator begin() const { return {p_, n_}; }
  iterator end() const { return {nullptr, 0}; }

 private:
  const char *p_;
  std::uint32_t n_;
};

}  // namespace nvdb::json
