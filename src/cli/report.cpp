#include "report.hpp"

#include <cstdio>

#include "core/error.hpp"
#include "jsonl.hpp"

namespace nvdb::cli {

JsonDoc::JsonDoc(std::string_view text) {
  try {
    doc_ = json::encode_value(text, "report");
  } catch (const nvdb::Error &e) {
    throw Failure(std::string("the library returned malformed JSON: ") + e.what());
  }
}

const char *JsonDoc::member(json::Value object, std::string_view key) {
  return object.type() == json::Type::object ? object.find(key) : nullptr;
}

std::uint64_t JsonDoc::number(json::Value object, std::string_view key) {
  const char *p = member(object, key);
  return p && json::Value(p).is_number() ? static_cast<std::uint64_t>(json::Value(p).number()) : 0;
}

std::string JsonDoc::string(json::Value object, std::string_view key) {
  const char *p = member(object, key);
  return p && json::Value(p).type() == json::Type::string ? std::string(json::Value(p).string()) : "";
}

bool JsonDoc::flag(json::Value object, std::string_view key) {
  const char *p = member(object, key);
  return p && json::Value(p).type() == json::Type::true_;
}

std::string human_bytes(std::uint64_t bytes) {
  const char *units[] = {"B", "kB", "MB", "GB", "TB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1000 && unit < 4) {
    value /= 1000;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof text, unit ? "%.1f %s" : "%.0f %s", value, units[unit]);
  return text;
}

}  // namespace nvdb::cli
