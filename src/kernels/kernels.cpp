#include "kernels/kernels.hpp"

#include "kernels/simd.hpp"

#include <initializer_list>

namespace nvdb::kernels {

namespace {

// ---------------------------------------------------------------------------
// Portable scalar code: the reference, and the fallback on any CPU.

float dot_scalar(const float *a, const float *b, std::size_t n) {
  float s = 0;
  for (std::size_t i = 0; i < n; ++i) s += a[i] * b[i];
  return s;
}

float l2sq_scalar(const float *a, const float *b, std::size_t n) {
  float s = 0;
  for (std::size_t i = 0; i < n; ++i) {
    float d = a[i] - b[i];
    s += d * d;
  }
  return s;
}

void score_rows_scalar(const float *q, const float *rows, std::size_t nrows, std::size_t dim,
                       bool l2, float *scores) {
  for (std::size_t r = 0; r < nrows; ++r)
    scores[r] = l2 ? -l2sq_scalar(q, rows + r * dim, dim) : dot_scalar(q, rows + r * dim, dim);
}

// ---------------------------------------------------------------------------
// AVX2 + FMA: 8 floats a step. Four rows share each load of the query, so
// the loop is bound by memory, not by loads.

#define NVDB_AVX2 __attribute__((target("avx2,fma")))

template <bool L2>
NVDB_AVX2 inline __m256 step256(__m256 acc, __m256 q, const float *x) {
  __m256 v = _mm256_loadu_ps(x);
  if (L2) {
    __m256 d = _mm256_sub_ps(q, v);
    return _mm256_fmadd_ps(d, d, acc);
  }
  return _mm256_fmadd_ps(q, v, acc);
}

template <bool L2>
NVDB_AVX2 inline float tail(const float *q, const float *x, std::size_t from, std::size_t n) {
  float s = 0;
  for (std::size_t i = from; i < n; ++i) {
    float d = L2 ? q[i] - x[i] : q[i] * x[i];
    s += L2 ? d * d : d;
  }
  return s;
}

template <bool L2>
NVDB_AVX2 float one_avx2(const float *a, const float *b, std::size_t n) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  __m256 acc2 = _mm256_setzero_ps(), acc3 = _mm256_setzero_ps();
  std::size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    acc0 = step256<L2>(acc0, _mm256_loadu_ps(a + i), b + i);
    acc1 = step256<L2>(acc1, _mm256_loadu_ps(a + i + 8), b + i + 8);
    acc2 = step256<L2>(acc2, _mm256_loadu_ps(a + i + 16), b + i + 16);
    acc3 = step256<L2>(acc3, _mm256_loadu_ps(a + i + 24), b + i + 24);
  }
  acc0 = _mm256_add_ps(acc0, acc2);
  acc1 = _mm256_add_ps(acc1, acc3);
  for (; i + 16 <= n; i += 16) {
    acc0 = step256<L2>(acc0, _mm256_loadu_ps(a + i), b + i);
    acc1 = step256<L2>(acc1, _mm256_loadu_ps(a + i + 8), b + i + 8);
  }
  for (; i + 8 <= n; i += 8) acc0 = step256<L2>(acc0, _mm256_loadu_ps(a + i), b + i);
  return hsum256(_mm256_add_ps(acc0, acc1)) + tail<L2>(a, b, i, n);
}

NVDB_AVX2 float dot_avx2(const float *a, const float *b, std::size_t n) { return one_avx2<false>(a, b, n); }
NVDB_AVX2 float l2sq_avx2(const float *a, const float *b, std::size_t n) { return one_avx2<true>(a, b, n); }

// One row at a time, for the reason given at rows_avx512.
template <bool L2>
NVDB_AVX2 void rows_avx2(const float *q, const float *rows, std::size_t nrows, std::size_t dim,
                         float *scores) {
  for (std::size_t r = 0; r < nrows; ++r) {
    const float s = one_avx2<L2>(q, rows + r * dim, dim);
    scores[r] = L2 ? -s : s;
  }
}

NVDB_AVX2 void score_rows_avx2(const float *q, const float *rows, std::size_t nrows, std::size_t dim,
                               bool l2, float *scores) {
  l2 ? rows_avx2<true>(q, rows, nrows, dim, scores) : rows_avx2<false>(q, rows, nrows, dim, scores);
}

// ---------------------------------------------------------------------------
// AVX-512: 16 floats a step, and masked loads for the tail, so any dim runs
// without a scalar remainder.


template <bool L2>
NVDB_AVX512 inline __m512 step512(__m512 acc, __m512 q, __m512 v) {
  if (L2) {
    __m512 d = _mm512_sub_ps(q, v);
    return _mm512_fmadd_ps(d, d, acc);
  }
  return _mm512_fmadd_ps(q, v, acc);
}

template <bool L2>
NVDB_AVX512 float one_avx512(const float *a, const float *b, std::size_t n) {
  // Four independent accumulators hide the FMA latency.
  __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
  __m512 acc2 = _mm512_setzero_ps(), acc3 = _mm512_setzero_ps();
  std::size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    acc0 = step512<L2>(acc0, _mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i));
    acc1 = step512<L2>(acc1, _mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16));
    acc2 = step512<L2>(acc2, _mm512_loadu_ps(a + i + 32), _mm512_loadu_ps(b + i + 32));
    acc3 = step512<L2>(acc3, _mm512_loadu_ps(a + i + 48), _mm512_loadu_ps(b + i + 48));
  }
  acc0 = _mm512_add_ps(acc0, acc2);
  acc1 = _mm512_add_ps(acc1, acc3);
  for (; i + 32 <= n; i += 32) {
    acc0 = step512<L2>(acc0, _mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i));
    acc1 = step512<L2>(acc1, _mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16));
  }
  for (; i + 16 <= n; i += 16) acc0 = step512<L2>(acc0, _mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i));
  if (i < n) {
    __mmask16 m = tail_mask(n - i);
    acc1 = step512<L2>(acc1, _mm512_maskz_loadu_ps(m, a + i), _mm512_maskz_loadu_ps(m, b + i));
  }
  return _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1));
}

NVDB_AVX512 float dot_avx512(const float *a, const float *b, std::size_t n) { return one_avx512<false>(a, b, n); }
NVDB_AVX512 float l2sq_avx512(const float *a, const float *b, std::size_t n) { return one_avx512<true>(a, b, n); }

// One row at a time: the matrix is read as a single sequential stream,
// which the hardware prefetcher follows; scoring four rows at once (four
// interleaved streams, one shared query load) measured up to 1.5x slower
// than a plain read of the same bytes.
template <bool L2>
NVDB_AVX512 void rows_avx512(const float *q, const float *rows, std::size_t nrows, std::size_t dim,
                             float *scores) {
  for (std::size_t r = 0; r < nrows; ++r) {
    const float s = one_avx512<L2>(q, rows + r * dim, dim);
    scores[r] = L2 ? -s : s;
  }
}

NVDB_AVX512 void score_rows_avx512(const float *q, const float *rows, std::size_t nrows,
                                   std::size_t dim, bool l2, float *scores) {
  l2 ? rows_avx512<true>(q, rows, nrows, dim, scores) : rows_avx512<false>(q, rows, nrows, dim, scores);
}

// ---------------------------------------------------------------------------
// Dispatch.

const KernelSet kScalar{"scalar", dot_scalar, l2sq_scalar, score_rows_scalar};
const KernelSet kAvx2{"avx2", dot_avx2, l2sq_avx2, score_rows_avx2};
const KernelSet kAvx512{"avx512", dot_avx512, l2sq_avx512, score_rows_avx512};

bool supported(const KernelSet &k) {
  __builtin_cpu_init();
  if (&k == &kAvx512) return cpu_has_avx512();
  if (&k == &kAvx2) return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return true;
}

const KernelSet *const kBestFirst[] = {&kAvx512, &kAvx2, &kScalar};

}  // namespace

const KernelSet *kernel_set(const char *isa) { return find_set(kBestFirst, isa, supported); }

const KernelSet &active() {
  static const KernelSet &chosen = choose_set(kBestFirst, supported);
  return chosen;
}

}  // namespace nvdb::kernels
