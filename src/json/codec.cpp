// JSON text <-> binary docs. Parsing goes through Boost.JSON's basic_parser
// with our own handler: the handler sees each number's text, so nothing is
// lost to a double or a 64-bit integer on the way in.
#include "json/codec.hpp"

#include <boost/json/basic_parser_impl.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "core/error.hpp"

namespace nvdb::json {

namespace {

constexpr std::size_t kMaxDepth = 64;
constexpr std::size_t kLinearKeyCheck = 32;

void put_u8(std::string &out, std::uint8_t v) { out.push_back(static_cast<char>(v)); }

void put_u32(std::string &out, std::uint32_t v) {
  char b[4];
  std::memcpy(b, &v, 4);
  out.append(b, 4);
}

void put_f64(std::string &out, double v) {
  char b[8];
  std::memcpy(b, &v, 8);
  out.append(b, 8);
}

void set_u32(std::string &out, std::size_t at, std::uint32_t v) { std::memcpy(&out[at], &v, 4); }

bool is_integer_lexeme(std::string_view s) {
  return s.find_first_of(".eE") == std::string_view::npos;
}

std::uint32_t checked_u32(std::size_t n, const char *what) {
  if (n > UINT32_MAX) throw Error(NVDB_EJSON, std::string(what) + " is too large");
  return static_cast<std::uint32_t>(n);
}

}  // namespace

// ---------------------------------------------------------------------------
// Builder

void Builder::begin_object() {
  if (!stack_.empty()) stack_.back().count++;
  stack_.push_back({out_.size(), 0, {}});
  put_u8(out_, static_cast<std::uint8_t>(Type::object));
  put_u32(out_, 0);
  put_u32(out_, 0);
}

void Builder::begin_array() {
  if (!stack_.empty()) stack_.back().count++;
  stack_.push_back({out_.size(), 0, {}});
  put_u8(out_, static_cast<std::uint8_t>(Type::array));
  put_u32(out_, 0);
  put_u32(out_, 0);
}

void Builder::key(std::string_view k) {
  Open &top = stack_.back();
  // Objects in metadata are small: a linear scan beats hashing until they
  // are not, and past that end_object() checks a sorted copy once.
  if (top.keys.size() < kLinearKeyCheck) {
    for (const auto &seen : top.keys)
      if (seen == k) throw Error(NVDB_EJSON, "duplicate key \"" + std::string(k) + "\"");
  }
  top.keys.emplace_back(k);
  put_u32(out_, checked_u32(k.size(), "a key"));
  out_.append(k.data(), k.size());
}

void Builder::end_object() {
  Open &top = stack_.back();
  if (top.keys.size() > kLinearKeyCheck) {
    std::vector<std::string> keys = top.keys;
    std::sort(keys.begin(), keys.end());
    auto dup = std::adjacent_find(keys.begin(), keys.end());
    if (dup != keys.end()) throw Error(NVDB_EJSON, "duplicate key \"" + *dup + "\"");
  }
  end_array();
}

void Builder::end_array() {
  Open &top = stack_.back();
  set_u32(out_, top.header + 1, top.count);
  set_u32(out_, top.header + 5, checked_u32(out_.size() - top.header - 9, "a container"));
  stack_.pop_back();
}

void Builder::string(std::string_view s) {
  if (!stack_.empty()) stack_.back().count++;
  put_u8(out_, static_cast<std::uint8_t>(Type::string));
  put_u32(out_, checked_u32(s.size(), "a string"));
  out_.append(s.data(), s.size());
}

void Builder::number(std::string_view lexeme, double value) {
  if (!stack_.empty()) stack_.back().count++;
  // Boost.JSON 1.81 may round a long decimal to a neighbouring double;
  // from_chars rounds correctly, as Python's float() does, so the value
  // written back is the one Python would write.
  double exact = 0;
  if (std::from_chars(lexeme.data(), lexeme.data() + lexeme.size(), exact).ec == std::errc())
    value = exact;
  put_u8(out_, static_cast<std::uint8_t>(is_integer_lexeme(lexeme) ? Type::integer : Type::real));
  put_f64(out_, value);
  put_u32(out_, checked_u32(lexeme.size(), "a number"));
  out_.append(lexeme.data(), lexeme.size());
}

void Builder::boolean(bool b) {
  if (!stack_.empty()) stack_.back().count++;
  put_u8(out_, static_cast<std::uint8_t>(b ? Type::true_ : Type::false_));
}

void Builder::null() {
  if (!stack_.empty()) stack_.back().count++;
  put_u8(out_, static_cast<std::uint8_t>(Type::null));
}

std::string Builder::take() {
  std::string done;
  done.swap(out_);
  stack_.clear();
  return done;
}

// ---------------------------------------------------------------------------
// Parsing text

namespace {

// basic_parser handler feeding a Builder. Keys, strings and numbers may
// arrive in parts; they are joined in `part_` first.
struct Handler {
  constexpr static std::size_t max_object_size = std::size_t(-1);
  constexpr static std::size_t max_array_size = std::size_t(-1);
  constexpr static std::size_t max_key_size = std::size_t(-1);
  constexpr static std::size_t max_string_size = std::size_t(-1);

  Builder builder;
  std::string part;
  std::string error;  // set when the handler itself refuses something
  bool top_level_object_only = false;
  bool reserved_keys = false;

  bool open() {
    if (builder.depth() >= kMaxDepth) {
      error = "nesting deeper than " + std::to_string(kMaxDepth);
      return false;
    }
    return true;
  }

  bool on_document_begin(boost::system::error_code &) { return true; }
  bool on_document_end(boost::system::error_code &) { return true; }

  bool on_object_begin(boost::system::error_code &) {
    if (!open()) return false;
    builder.begin_object();
    return true;
  }
  bool on_object_end(std::size_t, boost::system::error_code &) {
    return guard([&] { builder.end_object(); });
  }
  bool on_array_begin(boost::system::error_code &) {
    if (!top_ok("an array") || !open()) return false;
    builder.begin_array();
    return true;
  }
  bool on_array_end(std::size_t, boost::system::error_code &) {
    builder.end_array();
    return true;
  }

  bool on_key_part(std::string_view s, std::size_t, boost::system::error_code &) {
    part.append(s);
    return true;
  }
  bool on_key(std::string_view s, std::size_t, boost::system::error_code &) {
    part.append(s);
    if (reserved_keys && builder.depth() == 1 &&
        (part == "__id__" || part == "__vector__" || part == "__metrics__")) {
      error = "key \"" + part + "\" is reserved";
      return false;
    }
    bool ok = guard([&] { builder.key(part); });
    part.clear();
    return ok;
  }

  bool on_string_part(std::string_view s, std::size_t, boost::system::error_code &) {
    part.append(s);
    return true;
  }
  bool on_string(std::string_view s, std::size_t, boost::system::error_code &) {
    if (!top_ok("a string")) return false;
    part.append(s);
    builder.string(part);
    part.clear();
    return true;
  }

  bool on_number_part(std::string_view s, boost::system::error_code &) {
    part.append(s);
    return true;
  }
  bool number(std::string_view s, double value) {
    if (!top_ok("a number")) return false;
    part.append(s);
    if (!std::isfinite(value)) {
      error = "the number " + part + " is out of range";
      return false;
    }
    builder.number(part, value);
    part.clear();
    return true;
  }
  bool on_int64(std::int64_t v, std::string_view s, boost::system::error_code &) {
    return number(s, static_cast<double>(v));
  }
  bool on_uint64(std::uint64_t v, std::string_view s, boost::system::error_code &) {
    return number(s, static_cast<double>(v));
  }
  bool on_double(double v, std::string_view s, boost::system::error_code &) { return number(s, v); }

  bool on_bool(bool b, boost::system::error_code &) {
    if (!top_ok("a boolean")) return false;
    builder.boolean(b);
    return true;
  }
  bool on_null(boost::system::error_code &) {
    if (!top_ok("null")) return false;
    builder.null();
    return true;
  }

  bool on_comment_part(std::string_view, boost::system::error_code &) { return true; }
  bool on_comment(std::string_view, boost::system::error_code &) { return true; }

  bool top_ok(const char *what) {
    if (top_level_object_only && builder.depth() == 0) {
      error = std::string("not a JSON object (the text is ") + what + ")";
      return false;
    }
    return true;
  }

  template <class F>
  bool guard(F &&f) {
    try {
      f();
      return true;
    } catch (const Error &e) {
      error = e.what();
      return false;
    }
  }
};

std::string encode(std::string_view text, std::string_view what, bool object_only, bool reserved) {
  boost::json::parse_options opt;
  opt.max_depth = kMaxDepth + 1;
  boost::json::basic_parser<Handler> parser(opt);
  parser.handler().top_level_object_only = object_only;
  parser.handler().reserved_keys = reserved;
  boost::system::error_code ec;
  std::size_t used = parser.write_some(false, text.data(), text.size(), ec);
  std::string prefix = std::string(what) + ": ";
  if (!parser.handler().error.empty()) throw Error(NVDB_EJSON, prefix + parser.handler().error);
  if (ec)
    throw Error(NVDB_EJSON, prefix + "invalid JSON at byte " + std::to_string(used) + ": " + ec.message());
  if (!parser.done()) throw Error(NVDB_EJSON, prefix + "invalid JSON: the text ends too early");
  if (used != text.size())
    throw Error(NVDB_EJSON, prefix + "unexpected text after the JSON value at byte " + std::to_string(used));
  return parser.handler().builder.take();
}

}  // namespace

std::string encode_object(std::string_view text, std::string_view what, bool reserved_keys) {
  return encode(text, what, true, reserved_keys);
}

std::string encode_value(std::string_view text, std::string_view what) {
  return encode(text, what, false, false);
}

bool is_valid_utf8(std::string_view s) {
  const auto *p = reinterpret_cast<const unsigned char *>(s.data());
  const auto *end = p + s.size();
  while (p < end) {
    unsigned char c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    std::size_t len;
    std::uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (static_cast<std::size_t>(end - p) < len) return false;
    for (std::size_t i = 1; i < len; ++i) {
      if ((p[i] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i] & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
    static const std::uint32_t min_for_len[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min_for_len[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    p += len;
  }
  return true;
}

namespace {

// Checks the value at doc[pos...] and moves pos past it.
bool check_value(std::string_view doc, std::size_t &pos, std::size_t depth) {
  auto need = [&](std::size_t n) { return doc.size() - pos >= n; };
  if (!need(1) || depth > kMaxDepth) return false;
  const auto type = static_cast<Type>(doc[pos]);
  const char *p = doc.data() + pos;
  switch (type) {
    case Type::null:
    case Type::false_:
    case Type::true_:
      pos += 1;
      return true;
    case Type::integer:
    case Type::real:
      if (!need(13) || !need(13 + std::size_t(read_u32(p + 9)))) return false;
      pos += 13 + read_u32(p + 9);
      return true;
    case Type::string:
      if (!need(5) || !need(5 + std::size_t(read_u32(p + 1)))) return false;
      if (!is_valid_utf8({p + 5, read_u32(p + 1)})) return false;
      pos += 5 + read_u32(p + 1);
      return true;
    case Type::array:
    case Type::object: {
      if (!need(9) || !need(9 + std::size_t(read_u32(p + 5)))) return false;
      const std::size_t end = pos + 9 + read_u32(p + 5);
      const std::uint32_t count = read_u32(p + 1);
      std::string_view body = doc.substr(0, end);
      pos += 9;
      for (std::uint32_t i = 0; i < count; ++i) {
        if (type == Type::object) {
          if (body.size() - pos < 4) return false;
          const std::uint32_t klen = read_u32(body.data() + pos);
          if (body.size() - pos - 4 < klen || !is_valid_utf8(body.substr(pos + 4, klen))) return false;
          pos += 4 + klen;
        }
        if (!check_value(body, pos, depth + 1)) return false;
      }
      return pos == end;
    }
  }
  return false;
}

}  // namespace

bool is_well_formed(std::string_view doc) {
  std::size_t pos = 0;
  return check_value(doc, pos, 0) && pos == doc.size();
}

std::string empty_object() {
  Builder b;
  b.begin_object();
  b.end_object();
  return b.take();
}

// ---------------------------------------------------------------------------
// Writing text

void write_string(std::string_view s, std::string &out) {
  static const char hex[] = "0123456789abcdef";
  out.push_back('"');
  std::size_t run = 0;  // start of the pending run of bytes that need no escape
  for (std::size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    out.push_back('\\');
    switch (c) {
      case '"': out.push_back('"'); break;
      case '\\': out.push_back('\\'); break;
      case '\n': out.push_back('n'); break;
      case '\r': out.push_back('r'); break;
      case '\t': out.push_back('t'); break;
      case '\b': out.push_back('b'); break;
      case '\f': out.push_back('f'); break;
      default:
        out.append("u00");
        out.push_back(hex[c >> 4]);
        out.push_back(hex[c & 15]);
    }
  }
  out.append(s.data() + run, s.size() - run);
  out.push_back('"');
}

namespace {

void write_number(Value v, Style style, std::string &out) {
  std::string_view lexeme = v.lexeme();
  if (style == Style::compact) {
    out.append(lexeme);
  } else if (v.type() == Type::integer) {
    // Python reads "-0" as the int 0 and writes it back so.
    out.append(lexeme == "-0" ? std::string_view("0") : lexeme);
  } else {
    out.append(python_repr(v.number()));
  }
}

}  // namespace

void write(Value v, Style style, std::string &out) {
  const char *comma = style == Style::python ? ", " : ",";
  const char *colon = style == Style::python ? ": " : ":";
  switch (v.type()) {
    case Type::null: out.append("null"); return;
    case Type::false_: out.append("false"); return;
    case Type::true_: out.append("true"); return;
    case Type::integer:
    case Type::real: write_number(v, style, out); return;
    case Type::string: write_string(v.string(), out); return;
    case Type::array: {
      out.push_back('[');
      const char *p = v.body();
      for (std::uint32_t i = 0, n = v.count(); i < n; ++i) {
        if (i) out.append(comma);
        Value e(p);
        write(e, style, out);
        p += e.size();
      }
      out.push_back(']');
      return;
    }
    case Type::object: {
      out.push_back('{');
      bool first = true;
      for (Member m : Members(v)) {
        if (!first) out.append(comma);
        first = false;
        write_string(m.key, out);
        out.append(colon);
        write(m.value, style, out);
      }
      out.push_back('}');
      return;
    }
  }
}

}  // namespace nvdb::json
