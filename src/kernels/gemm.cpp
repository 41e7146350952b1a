#include "kernels/gemm.hpp"

#include <algorithm>
#include <cstring>
#include <initializer_list>

#include "kernels/kernels.hpp"
#include "kernels/simd.hpp"

namespace nvdb::kernels {

namespace {

// ---------------------------------------------------------------------------
// Portable scalar code: the fallback on any CPU. Small panels, written so the
// compiler can keep the 4 x 8 accumulators in registers.

constexpr std::size_t kScalarMR = 8, kScalarNR = 4;

void micro_scalar(const float *rows, const float *queries, std::size_t kc, float *c, std::size_t ldc,
                  bool accumulate) {
  float acc[kScalarNR][kScalarMR] = {};
  for (std::size_t k = 0; k < kc; ++k)
    for (std::size_t j = 0; j < kScalarNR; ++j)
      for (std::size_t i = 0; i < kScalarMR; ++i)
        acc[j][i] += rows[k * kScalarMR + i] * queries[k * kScalarNR + j];
  for (std::size_t j = 0; j < kScalarNR; ++j)
    for (std::size_t i = 0; i < kScalarMR; ++i)
      c[j * ldc + i] = accumulate ? c[j * ldc + i] + acc[j][i] : acc[j][i];
}

// ---------------------------------------------------------------------------
// AVX2 + FMA: 16 rows (two registers) by 6 queries, 12 accumulators; with
// the two row registers and one broadcast that is 15 of the 16 registers.

#define NVDB_AVX2 __attribute__((target("avx2,fma")))

constexpr std::size_t kAvx2MR = 16, kAvx2NR = 6;

NVDB_AVX2 void micro_avx2(const float *rows, const float *queries, std::size_t kc, float *c,
                          std::size_t ldc, bool accumulate) {
  __m256 acc0[kAvx2NR], acc1[kAvx2NR];
#pragma GCC unroll 6
  for (std::size_t j = 0; j < kAvx2NR; ++j) acc0[j] = acc1[j] = _mm256_setzero_ps();
  for (std::size_t k = 0; k < kc; ++k) {
    const __m256 r0 = _mm256_load_ps(rows + k * kAvx2MR);
    const __m256 r1 = _mm256_load_ps(rows + k * kAvx2MR + 8);
#pragma GCC unroll 6
    for (std::size_t j = 0; j < kAvx2NR; ++j) {
      const __m256 q = _mm256_broadcast_ss(queries + k * kAvx2NR + j);
      acc0[j] = _mm256_fmadd_ps(r0, q, acc0[j]);
      acc1[j] = _mm256_fmadd_ps(r1, q, acc1[j]);
    }
  }
#pragma GCC unroll 6
  for (std::size_t j = 0; j < kAvx2NR; ++j) {
    float *out = c + j * ldc;
    if (accumulate) {
      acc0[j] = _mm256_add_ps(acc0[j], _mm256_loadu_ps(out));
      acc1[j] = _mm256_add_ps(acc1[j], _mm256_loadu_ps(out + 8));
    }
    _mm256_storeu_ps(out, acc0[j]);
    _mm256_storeu_ps(out + 8, acc1[j]);
  }
}

// ---------------------------------------------------------------------------
// AVX-512: 32 rows (two registers) by 12 queries, 24 accumulators of the 32
// registers. Each step loads two row registers and broadcasts 12 query
// values for 24 multiply-adds, so the loop is bound by the FMA units.


constexpr std::size_t kAvx512MR = 32, kAvx512NR = 12;

NVDB_AVX512 void micro_avx512(const float *rows, const float *queries, std::size_t kc, float *c,
                              std::size_t ldc, bool accumulate) {
  __m512 acc0[kAvx512NR], acc1[kAvx512NR];
#pragma GCC unroll 12
  for (std::size_t j = 0; j < kAvx512NR; ++j) acc0[j] = acc1[j] = _mm512_setzero_ps();
  for (std::size_t k = 0; k < kc; ++k) {
    const __m512 r0 = _mm512_load_ps(rows + k * kAvx512MR);
    const __m512 r1 = _mm512_load_ps(rows + k * kAvx512MR + 16);
#pragma GCC unroll 12
    for (std::size_t j = 0; j < kAvx512NR; ++j) {
      const __m512 q = _mm512_set1_ps(queries[k * kAvx512NR + j]);
      acc0[j] = _mm512_fmadd_ps(r0, q, acc0[j]);
      acc1[j] = _mm512_fmadd_ps(r1, q, acc1[j]);
    }
  }
#pragma GCC unroll 12
  for (std::size_t j = 0; j < kAvx512NR; ++j) {
    float *out = c + j * ldc;
    if (accumulate) {
      acc0[j] = _mm512_add_ps(acc0[j], _mm512_loadu_ps(out));
      acc1[j] = _mm512_add_ps(acc1[j], _mm512_loadu_ps(out + 16));
    }
    _mm512_storeu_ps(out, acc0[j]);
    _mm512_storeu_ps(out + 16, acc1[j]);
  }
}

// ---------------------------------------------------------------------------
// Dispatch: the same instruction set as the scan kernels.

const GemmKernel kScalar{"scalar", kScalarMR, kScalarNR, micro_scalar};
const GemmKernel kAvx2{"avx2", kAvx2MR, kAvx2NR, micro_avx2};
const GemmKernel kAvx512{"avx512", kAvx512MR, kAvx512NR, micro_avx512};

}  // namespace

const GemmKernel *gemm_kernel(const char *isa) {
  if (!kernel_set(isa)) return nullptr;  // unknown, or not on this CPU
  for (const GemmKernel *k : {&kScalar, &kAvx2, &kAvx512})
    if (std::strcmp(k->isa, isa) == 0) return k;
  return nullptr;
}

// The scan's instruction set: every set active() may choose has a GEMM
// kernel, so batches and single queries run the same instructions.
const GemmKernel &active_gemm() {
  static const GemmKernel &chosen = *gemm_kernel(active_isa());
  return chosen;
}

void pack_panels(const float *src, const std::uint32_t *index, std::size_t count, std::size_t dim,
                 std::size_t width, float *out) {
  const std::size_t panels = (count + width - 1) / width;
  for (std::size_t p = 0; p < panels; ++p) {
    float *panel = out + p * width * dim;
    for (std::size_t i = 0; i < width; ++i) {
      const std::size_t m = p * width + i;
      if (m >= count) {
        for (std::size_t k = 0; k < dim; ++k) panel[k * width + i] = 0;
        continue;
      }
      const float *v = src + std::size_t(index ? index[m] : m) * dim;
      for (std::size_t k = 0; k < dim; ++k) panel[k * width + i] = v[k];
    }
  }
}

}  // namespace nvdb::kernels
