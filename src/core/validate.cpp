#include "core/validate.hpp"

#include <cfloat>
#include <cmath>

#include "core/error.hpp"
#include "json/codec.hpp"

namespace nvdb {

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

void check_id(std::string_view id, const std::string &where) {
  if (id.empty()) throw Error(NVDB_EID, where + ": the id is empty");
  if (id.size() > NVDB_MAX_ID_BYTES)
    throw Error(NVDB_EID, where + ": the id has " + std::to_string(id.size()) +
                              " bytes, more than " + std::to_string(NVDB_MAX_ID_BYTES));
  if (id.find('\0') != std::string_view::npos)
    throw Error(NVDB_EID, where + ": the id contains a NUL character");
  if (!is_valid_utf8(id)) throw Error(NVDB_EID, where + ": the id is not valid UTF-8");
}

double check_vector(const float *v, std::size_t dim, kernels::Metric metric,
                    const std::string &where) {
  double sum = 0;
  for (std::size_t i = 0; i < dim; ++i) {
    if (!std::isfinite(v[i]))
      throw Error(NVDB_EVECTOR, where + ": component " + std::to_string(i) + " is " +
                                    (std::isnan(v[i]) ? "NaN" : "infinite"));
    sum += static_cast<double>(v[i]) * v[i];
  }
  // Bounding the squared norm keeps every dot product and distance between
  // accepted vectors finite (Cauchy-Schwarz), so no score is ever NaN.
  if (sum > FLT_MAX)
    throw Error(NVDB_EVECTOR, where + ": the squared norm of the vector exceeds the float range");
  if (metric == kernels::Metric::cosine && sum == 0)
    throw Error(NVDB_EVECTOR, where + ": a zero vector has no direction (metric cosine)");
  return sum;
}

void normalize(const float *v, std::size_t dim, double squared_norm, float *out) {
  double inv = 1.0 / std::sqrt(squared_norm);
  for (std::size_t i = 0; i < dim; ++i) out[i] = static_cast<float>(v[i] * inv);
}

std::string describe_record(std::size_t index, std::string_view id) {
  std::string s = "record " + std::to_string(index);
  if (!id.empty() && id.size() <= 200 && is_valid_utf8(id)) {
    s += " (id ";
    json::write_string(id, s);
    s += ")";
  }
  return s;
}

}  // namespace nvdb
