// What the SIMD kernel files share: the intrinsics header (with the
// warnings it trips silenced), the AVX-512 feature test, and the AVX2
// horizontal sum. Each function carries its own target attribute, so
// nothing here needs a -m flag.
#pragma once

// GCC 12's AVX-512 headers use deliberately undefined registers
// (_mm256_undefined_pd) that trip -Wuninitialized when inlined; the warning
// is about the header, not this file.
#pragma GCC diagnostic ignored "-Wuninitialized"
#if !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>

// The target of every AVX-512 kernel: the features cpu_has_avx512() checks.
#define NVDB_AVX512 __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,fma")))

namespace nvdb::kernels {

// AVX-512 F, BW, DQ and VL with FMA: what every AVX-512 kernel set needs.
inline bool cpu_has_avx512() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") &&
         __builtin_cpu_supports("fma");
}

__attribute__((target("avx2,fma"))) inline float hsum256(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// Kernel sets of one kind (float32, compact), listed best first, the last
// one portable. runs(set) says whether this CPU runs a set.
// The set named isa, if this CPU runs it.
template <class Set, std::size_t N>
const Set *find_set(const Set *const (&best_first)[N], const char *isa, bool (*runs)(const Set &)) {
  for (const Set *k : best_first)
    if (std::strcmp(k->isa, isa) == 0) return runs(*k) ? k : nullptr;
  return nullptr;
}

// The set a process uses: the one NVDB_KERNEL names if this CPU runs it,
// else the best one it runs.
template <class Set, std::size_t N>
const Set &choose_set(const Set *const (&best_first)[N], bool (*runs)(const Set &)) {
  if (const char *forced = std::getenv("NVDB_KERNEL"))
    if (const Set *k = find_set(best_first, forced, runs)) return *k;
  for (const Set *k : best_first)
    if (runs(*k)) return *k;
  return *best_first[N - 1];
}

// The first `left` (< 16) lanes of a 16-float register: a masked tail.
NVDB_AVX512 inline __mmask16 tail_mask(std::size_t left) {
  return static_cast<__mmask16>((1u << left) - 1u);
}

}  // namespace nvdb::kernels
