#include "jsonl.hpp"

#include <charconv>
#include <cmath>

#include "core/error.hpp"
#include "json/codec.hpp"

namespace nvdb::cli {

namespace {

// Parses text with the library's codec, turning its errors into Failures.
template <class F>
auto decode(F &&f) {
  try {
    return f();
  } catch (const nvdb::Error &e) {
    throw Failure(e.what());
  }
}

std::vector<float> to_floats(json::Value v, const char *what) {
  if (v.type() != json::Type::array) throw Failure(std::string(what) + " must be a JSON array of numbers");
  std::vector<float> out;
  out.reserve(v.count());
  const char *p = v.body();
  for (std::uint32_t i = 0; i < v.count(); ++i) {
    json::Value item(p);
    if (!item.is_number())
      throw Failure(std::string(what) + ": element " + std::to_string(i) + " is not a number");
    // A double beyond float range becomes inf here, which the library
    // rejects with a message naming the record.
    out.push_back(static_cast<float>(item.number()));
    p += item.size();
  }
  return out;
}

void write_float(float f, std::string &out) {
  char buf[32];
  auto res = std::to_chars(buf, buf + sizeof buf, f);
  out.append(buf, res.ptr);
}

}  // namespace

bool is_blank(std::string_view line) {
  return line.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

InputRecord parse_record(std::string_view line) {
  const std::string doc = decode([&] { return json::encode_object(line, "record", false); });
  InputRecord rec;
  bool has_vector = false;
  for (const json::Member &m : json::Members(json::Value(doc.data()))) {
    if (m.key == "id") {
      if (m.value.type() != json::Type::string) throw Failure("\"id\" must be a JSON string");
      rec.id.emplace(m.value.string());
    } else if (m.key == "vector") {
      rec.vector = to_floats(m.value, "\"vector\"");
      has_vector = true;
    } else if (m.key == "metadata") {
      if (m.value.type() != json::Type::object) throw Failure("\"metadata\" must be a JSON object");
      rec.metadata.emplace();
      json::write(m.value, json::Style::compact, *rec.metadata);
    } else {
      // Strict, so that a misspelt key is not silently dropped.
      std::string msg = "unknown key ";
      json::write_string(m.key, msg);
      throw Failure(msg + " (expected \"id\", \"vector\" and \"metadata\")");
    }
  }
  if (!has_vector) throw Failure("the record has no \"vector\"");
  return rec;
}

std::vector<float> parse_vector(std::string_view line) {
  const std::string doc = decode([&] { return json::encode_value(line, "query vector"); });
  return to_floats(json::Value(doc.data()), "a query vector");
}

void write_string(std::string_view s, std::string &out) { json::write_string(s, out); }

void write_string_array(const std::vector<std::string> &items, std::string &out) {
  out.push_back('[');
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out.append(", ");
    json::write_string(items[i], out);
  }
  out.push_back(']');
}

void write_hits(const nvdb_hits *hits, std::string &out) {
  out.push_back('[');
  for (std::size_t i = 0, n = nvdb_hits_count(hits); i < n; ++i) {
    if (i) out.append(", ");
    out.append("{\"id\": ");
    json::write_string(nvdb_hits_id(hits, i), out);
    out.append(", \"score\": ");
    write_float(nvdb_hits_score(hits, i), out);
    out.append(", \"metadata\": ");
    out.append(nvdb_hits_metadata(hits, i));
    out.push_back('}');
  }
  out.push_back(']');
}

void write_record(const nvdb_records *records, std::size_t i, std::uint32_t dim, std::string &out) {
  out.append("{\"id\": ");
  json::write_string(nvdb_records_id(records, i), out);
  out.append(", \"vector\": [");
  const float *v = nvdb_records_vector(records, i);
  for (std::uint32_t d = 0; d < dim; ++d) {
    if (d) out.append(", ");
    write_float(v[d], out);
  }
  out.append("], \"metadata\": ");
  out.append(nvdb_records_metadata(records, i));
  out.push_back('}');
}

}  // namespace nvdb::cli
