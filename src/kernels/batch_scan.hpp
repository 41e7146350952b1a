// Exact top-k search for many queries at once. Scoring n queries against
// every row is a matrix product, bound by arithmetic rather than by memory,
// so rows are scored in tiles (a block of rows against a block of queries,
// gemm.hpp) and each query keeps its best rows as the tiles go by.
//
// The answers are exactly scan()'s, query by query: the tiles only choose
// candidates, with a margin that covers the rounding difference between the
// two ways of summing, and the candidates are then scored again by the
// kernel scan() uses. Ids, order and scores are therefore identical.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "kernels/scan.hpp"

namespace nvdb::kernels {

struct BatchScanRequest {
  const float *matrix = nullptr;  // nrows x dim, row-major
  std::size_t nrows = 0, dim = 0;
  const float *queries = nullptr;  // nqueries x dim (normalised by the caller under cosine)
  std::size_t nqueries = 0;
  Metric metric = Metric::cosine;
  std::size_t top_k = 10;
  bool use_threshold = false;
  float threshold = 0;  // keep scores >= threshold
  // Optional: whether a row may be returned (a filter, or liveness). Asked
  // once per row for the whole batch, from several threads at once; an
  // exception it throws ends the scan and reaches the caller.
  const std::function<bool(std::uint32_t)> *keep = nullptr;
  // Required: the order of rows whose scores are equal.
  const std::function<bool(std::uint32_t, std::uint32_t)> *tie_less = nullptr;
};

// For each query, what scan() returns for it with the same options.
std::vector<std::vector<Hit>> scan_batch(const BatchScanRequest &req);

}  // namespace nvdb::kernels
