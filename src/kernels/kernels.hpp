// Scoring kernels: dot products and squared L2 distances between a query and
// row-major vectors. Each instruction set has its own compiled copy
// (__attribute__((target))), and the best one this CPU runs is chosen once at
// run time, so shipped binaries need no -march flag.
#pragma once

#include <cstddef>

namespace nvdb::kernels {

enum class Metric { cosine, dot, l2 };

// One implementation of every kernel, for one instruction set.
struct KernelSet {
  const char *isa;
  float (*dot)(const float *a, const float *b, std::size_t n);
  float (*l2sq)(const float *a, const float *b, std::size_t n);
  // scores[i] = dot(q, row i), or -l2sq(q, row i) when negate_l2 is set.
  void (*score_rows)(const float *q, const float *rows, std::size_t nrows, std::size_t dim,
                     bool l2, float *scores);
};

// The kernels in use: the best this CPU supports, or the one named by the
// environment variable NVDB_KERNEL (scalar, avx2, avx512) if it runs here.
const KernelSet &active();

// The kernel set for an instruction set, or nullptr if this CPU lacks it.
const KernelSet *kernel_set(const char *isa);

inline float dot(const float *a, const float *b, std::size_t n) { return active().dot(a, b, n); }
inline float l2sq(const float *a, const float *b, std::size_t n) { return active().l2sq(a, b, n); }
inline const char *active_isa() { return active().isa; }

// For cosine and dot: scores[i] = dot(q, row i); for l2: -l2sq(q, row i).
inline void score_rows(Metric m, const float *q, const float *rows, std::size_t nrows,
                       std::size_t dim, float *scores) {
  active().score_rows(q, rows, nrows, dim, m == Metric::l2, scores);
}

}  // namespace nvdb::kernels
