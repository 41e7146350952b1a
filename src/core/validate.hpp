// Checks applied to every id and vector that enters a database, whatever
// the way in (C API, nano-vectordb file, copy). Each throws nvdb::Error with
// the status the C API documents and a message naming `where` (e.g.
// "record 3").
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "json/codec.hpp"
#include "kernels/kernels.hpp"

namespace nvdb {

using json::is_valid_utf8;  // json/codec.hpp

// 1 to NVDB_MAX_ID_BYTES bytes of UTF-8 without NUL (NVDB_EID).
void check_id(std::string_view id, const std::string &where);
// Whether check_id would accept id, without building a message.
bool id_passes(std::string_view id);

// Finite components, squared norm within float range, non-zero under
// cosine (NVDB_EVECTOR). Returns the squared norm, computed in double.
double check_vector(const float *v, std::size_t dim, kernels::Metric metric,
                    const std::string &where);
// The squared norm check_vector computes (NaN or infinite when a component
// is), and whether check_vector would accept a vector of that norm.
double squared_norm(const float *v, std::size_t dim);
bool vector_passes(double squared_norm, kernels::Metric metric);

// Writes v / |v| to out (the norm computed in double, so that large or tiny
// components neither overflow nor lose precision).
void normalize(const float *v, std::size_t dim, double squared_norm, float *out);

// "record 3 (id \"doc-7\")" style prefix for messages.
std::string describe_record(std::size_t index, std::string_view id);

}  // namespace nvdb
