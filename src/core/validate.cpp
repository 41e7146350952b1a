#include "core/validate.hpp"

#include <cfloat>
#include <cmath>

#include "core/error.hpp"
#include "json/codec.hpp"

namespace nvdb {

bool id_passes(std::string_view id) {
  return !id.empty() && id.size() <= NVDB_MAX_ID_BYTES && id.find('\0') == std::string_view::npos &&
         is_valid_utf8(id);
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

double squared_norm(const float *v, std::size_t dim) {
  // Eight independent sums: no loop-carried dependency on one addition, so
  // the loop runs at the adders' throughput (and vectorises) without
  // -ffast-math. A NaN or infinite component makes the sum non-finite.
  constexpr std::size_t kLanes = 8;
  double lanes[kLanes] = {};
  std::size_t i = 0;
  for (; i + kLanes <= dim; i += kLanes)
    for (std::size_t l = 0; l < kLanes; ++l) lanes[l] += static_cast<double>(v[i + l]) * v[i + l];
  double sum = 0;
  for (; i < dim; ++i) sum += static_cast<double>(v[i]) * v[i];
  for (double lane : lanes) sum += lane;
  return sum;
}

bool vector_passes(double squared_norm, kernels::Metric metric) {
  // Bounding the squared norm keeps every dot product and distance between
  // accepted vectors finite (Cauchy-Schwarz), so no score is ever NaN.
  // (!(x <= FLT_MAX) is also true for NaN.)
  return squared_norm <= FLT_MAX && !(metric == kernels::Metric::cosine && squared_norm == 0);
}

double check_vector(const float *v, std::size_t dim, kernels::Metric metric,
                    const std::string &where) {
  const double sum = squared_norm(v, dim);
  if (vector_passes(sum, metric)) return sum;
  for (std::size_t i = 0; i < dim; ++i)
    if (!std::isfinite(v[i]))
      throw Error(NVDB_EVECTOR, where + ": component " + std::to_string(i) + " is " +
                                    (std::isnan(v[i]) ? "NaN" : "infinite"));
  if (sum > FLT_MAX)
    throw Error(NVDB_EVECTOR, where + ": the squared norm of the vector exceeds the float range");
  throw Error(NVDB_EVECTOR, where + ": a zero vector has no direction (metric cosine)");
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
