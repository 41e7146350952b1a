// Reading the JSON the library returns (nvdb_info, nvdb_verify) to print
// it for people, with the library's own codec.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "json/codec.hpp"

namespace nvdb::cli {

// A parsed JSON document and typed access to an object's members; a
// missing or mistyped member reads as 0 or "" (the text forms only).
class JsonDoc {
 public:
  explicit JsonDoc(std::string_view text);
  json::Value root() const { return json::Value(doc_.data()); }

  static std::uint64_t number(json::Value object, std::string_view key);
  static std::string string(json::Value object, std::string_view key);
  static bool flag(json::Value object, std::string_view key);
  // The member, or nullptr.
  static const char *member(json::Value object, std::string_view key);

 private:
  std::string doc_;
};

// "1.5 MB", "812 kB", "96 B": sizes read at a glance.
std::string human_bytes(std::uint64_t bytes);

}  // namespace nvdb::cli
