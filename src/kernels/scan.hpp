// Exact top-k search over row-major vectors: score every row (or every row a
// filter keeps), select the best k without sorting all N scores.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "kernels/compact.hpp"
#include "kernels/kernels.hpp"

namespace nvdb::kernels {

struct Hit {
  float score;
  std::uint32_t row;
};

struct ScanRequest {
  const float *matrix = nullptr;  // nrows x dim, row-major
  std::size_t nrows = 0, dim = 0;
  const float *query = nullptr;   // dim floats (normalised by the caller under cosine)
  Metric metric = Metric::cosine;
  std::size_t top_k = 10;
  bool use_threshold = false;
  float threshold = 0;            // keep scores >= threshold
  // Optional: whether a row may be returned. Called from several threads at
  // once; an exception it throws ends the scan and reaches the caller.
  const std::function<bool(std::uint32_t)> *keep = nullptr;
  // Optional: a cheap check made only for rows whose score could enter the
  // top k (rows deleted since the matrix was written, say). Unlike keep, it
  // leaves the blocked scan of every row as it is. Called from several
  // threads at once.
  const std::function<bool(std::uint32_t)> *admit = nullptr;
  // Required: the order of rows whose scores are equal.
  const std::function<bool(std::uint32_t, std::uint32_t)> *tie_less = nullptr;
  // Optional: compact codes of the same rows (compact.hpp). The scan then
  // reads these instead of `matrix`, keeps the compact_candidates(top_k)
  // best by their approximate scores, and re-scores those exactly from
  // `matrix`: scores are exact, the choice of candidates approximate.
  const CompactRows *compact = nullptr;
};

// The order of hits: descending score, then tie_less on the rows.
struct HitOrder {
  const std::function<bool(std::uint32_t, std::uint32_t)> &tie_less;
  bool operator()(const Hit &a, const Hit &b) const {
    if (a.score != b.score) return a.score > b.score;
    return tie_less(a.row, b.row);
  }
};

// A hit's score from what the kernels compute (score_rows): the dot
// product as it is, minus the square root of the squared distance for l2.
float final_score(Metric m, float raw);

// The score scan() gives row x for query q, from the active kernels: what
// re-scoring candidates uses, so that its scores are the scan's own.
float exact_score(Metric m, const float *q, const float *x, std::size_t dim);

// Keeps the best top_k of hits, best first (HitOrder).
void keep_best(std::vector<Hit> &hits, std::size_t top_k,
               const std::function<bool(std::uint32_t, std::uint32_t)> &tie_less);

// The rows of [0, nrows) that keep accepts, ascending; keep is called from
// the library's threads, and what it throws reaches the caller.
std::vector<std::uint32_t> kept_rows(std::size_t nrows, const std::function<bool(std::uint32_t)> &keep);

// How many candidates a compact scan re-scores for top_k hits.
std::size_t compact_candidates(std::size_t top_k);

// The best top_k rows, best first: descending score, then tie_less. Scores
// are dot products for cosine and dot, minus the Euclidean distance for l2.
// Large scans are split across the library's thread pool.
std::vector<Hit> scan(const ScanRequest &req);

}  // namespace nvdb::kernels
