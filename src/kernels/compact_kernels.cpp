// The compact kernels (compact.hpp), one compiled copy per instruction set
// as in kernels.cpp, chosen once at run time.
#include "kernels/compact.hpp"

#include "kernels/simd.hpp"

#include <cpuid.h>

#include <initializer_list>

namespace nvdb::kernels {

namespace {

// ---------------------------------------------------------------------------
// Portable scalar code: the reference, and the fallback on any CPU.

float f16_dot_scalar(const float *q, const std::uint16_t *x, std::size_t n) {
  float s = 0;
  for (std::size_t i = 0; i < n; ++i) s += q[i] * from_f16(x[i]);
  return s;
}

float bf16_dot_scalar(const std::uint16_t *q, const std::uint16_t *x, std::size_t n) {
  float s = 0;
  for (std::size_t i = 0; i < n; ++i) s += from_bf16(q[i]) * from_bf16(x[i]);
  return s;
}

std::int32_t i8_dot_scalar(const std::int8_t *q, std::int32_t /*q_sum*/, const std::int8_t *x, std::size_t n) {
  std::int32_t s = 0;
  for (std::size_t i = 0; i < n; ++i) s += std::int32_t(q[i]) * std::int32_t(x[i]);
  return s;
}

// ---------------------------------------------------------------------------
// AVX2 + FMA + F16C: 8 values a step for the 16-bit types, 32 for int8.

#define NVDB_AVX2 __attribute__((target("avx2,fma,f16c")))

NVDB_AVX2 inline std::int32_t hsum256_epi32(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
  return _mm_cvtsi128_si32(s);
}

NVDB_AVX2 inline __m256 load_f16x8(const std::uint16_t *x) {
  return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i *>(x)));
}

// bfloat16 is the top half of a float32: widen and shift.
NVDB_AVX2 inline __m256 load_bf16x8(const std::uint16_t *x) {
  const __m256i wide = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i *>(x)));
  return _mm256_castsi256_ps(_mm256_slli_epi32(wide, 16));
}

// The query's 8 values: float32 as they are, bfloat16 widened.
NVDB_AVX2 inline __m256 load_q8(const float *q) { return _mm256_loadu_ps(q); }
NVDB_AVX2 inline __m256 load_q8(const std::uint16_t *q) { return load_bf16x8(q); }
inline float value_of(float q) { return q; }
inline float value_of(std::uint16_t q) { return from_bf16(q); }

// float32 q with binary16 x, or bfloat16 q with bfloat16 x (LoadX, FromX).
template <class Q, __m256 (*LoadX)(const std::uint16_t *), float (*FromX)(std::uint16_t)>
NVDB_AVX2 float halves_dot_avx2(const Q *q, const std::uint16_t *x, std::size_t n) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    acc0 = _mm256_fmadd_ps(load_q8(q + i), LoadX(x + i), acc0);
    acc1 = _mm256_fmadd_ps(load_q8(q + i + 8), LoadX(x + i + 8), acc1);
  }
  if (i + 8 <= n) {
    acc0 = _mm256_fmadd_ps(load_q8(q + i), LoadX(x + i), acc0);
    i += 8;
  }
  float s = hsum256(_mm256_add_ps(acc0, acc1));
  for (; i < n; ++i) s += value_of(q[i]) * FromX(x[i]);
  return s;
}

NVDB_AVX2 float f16_dot_avx2(const float *q, const std::uint16_t *x, std::size_t n) {
  return halves_dot_avx2<float, load_f16x8, from_f16>(q, x, n);
}

NVDB_AVX2 float bf16_dot_avx2(const std::uint16_t *q, const std::uint16_t *x, std::size_t n) {
  return halves_dot_avx2<std::uint16_t, load_bf16x8, from_bf16>(q, x, n);
}

// |q| (unsigned) times x carrying q's sign: maddubs multiplies unsigned by
// signed bytes. Codes avoid -128, so no absolute value or pair sum
// (2 * 127 * 127) overflows.
NVDB_AVX2 std::int32_t i8_dot_avx2(const std::int8_t *q, std::int32_t /*q_sum*/, const std::int8_t *x, std::size_t n) {
  const __m256i ones = _mm256_set1_epi16(1);
  __m256i acc = _mm256_setzero_si256();
  std::size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m256i qv = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(q + i));
    const __m256i xv = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(x + i));
    const __m256i pairs = _mm256_maddubs_epi16(_mm256_abs_epi8(qv), _mm256_sign_epi8(xv, qv));
    acc = _mm256_add_epi32(acc, _mm256_madd_epi16(pairs, ones));
  }
  std::int32_t s = hsum256_epi32(acc);
  for (; i < n; ++i) s += std::int32_t(q[i]) * std::int32_t(x[i]);
  return s;
}

// ---------------------------------------------------------------------------
// AVX-512 (F, BW, VL): 16 values a step for the 16-bit types, 64 for int8,
// and masked loads for the tail.


NVDB_AVX512 inline __mmask32 mask32(std::size_t left) { return static_cast<__mmask32>((1ull << left) - 1u); }
NVDB_AVX512 inline __mmask64 mask64(std::size_t left) {
  return left >= 64 ? ~__mmask64{0} : static_cast<__mmask64>((1ull << left) - 1u);
}

NVDB_AVX512 inline __m512 f16x16(__m256i h) { return _mm512_cvtph_ps(h); }
NVDB_AVX512 inline __m512 bf16x16(__m256i h) {
  return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
}

// The query's 16 values (masked: the first `m`), as load_q8.
NVDB_AVX512 inline __m512 load_q16(__mmask16 m, const float *q) { return _mm512_maskz_loadu_ps(m, q); }
NVDB_AVX512 inline __m512 load_q16(__mmask16 m, const std::uint16_t *q) {
  return bf16x16(_mm256_maskz_loadu_epi16(m, q));
}

template <class Q, __m512 (*ToFloat)(__m256i)>
NVDB_AVX512 inline __m512 halves_step(__m512 acc, __mmask16 m, const Q *q, const std::uint16_t *x) {
  return _mm512_fmadd_ps(load_q16(m, q), ToFloat(_mm256_maskz_loadu_epi16(m, x)), acc);
}

template <class Q, __m512 (*ToFloat)(__m256i)>
NVDB_AVX512 inline __m512 halves_fma(__m512 acc, const Q *q, __m256i x16) {
  return _mm512_fmadd_ps(load_q16(0xffff, q), ToFloat(x16), acc);
}

template <class Q, __m512 (*ToFloat)(__m256i)>
NVDB_AVX512 float halves_dot_avx512(const Q *q, const std::uint16_t *x, std::size_t n) {
  __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
  __m512 acc2 = _mm512_setzero_ps(), acc3 = _mm512_setzero_ps();
  std::size_t i = 0;
  // Four accumulators hide the FMA latency. x is read a whole cache line
  // (32 values) per load: with a 32-byte load
  // per 16 values, a float16 query from memory measured 0.66 to 0.69 of
  // float32's time instead of 0.50 to 0.57.
  for (; i + 64 <= n; i += 64) {
    const __m512i x01 = _mm512_loadu_si512(x + i), x23 = _mm512_loadu_si512(x + i + 32);
    acc0 = halves_fma<Q, ToFloat>(acc0, q + i, _mm512_castsi512_si256(x01));
    acc1 = halves_fma<Q, ToFloat>(acc1, q + i + 16, _mm512_extracti64x4_epi64(x01, 1));
    acc2 = halves_fma<Q, ToFloat>(acc2, q + i + 32, _mm512_castsi512_si256(x23));
    acc3 = halves_fma<Q, ToFloat>(acc3, q + i + 48, _mm512_extracti64x4_epi64(x23, 1));
  }
  for (; i < n; i += 16) acc0 = halves_step<Q, ToFloat>(acc0, tail_mask(n - i < 16 ? n - i : 16), q + i, x + i);
  return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(acc0, acc1), _mm512_add_ps(acc2, acc3)));
}

NVDB_AVX512 float f16_dot_avx512(const float *q, const std::uint16_t *x, std::size_t n) {
  return halves_dot_avx512<float, f16x16>(q, x, n);
}

NVDB_AVX512 float bf16_dot_avx512(const std::uint16_t *q, const std::uint16_t *x, std::size_t n) {
  return halves_dot_avx512<std::uint16_t, bf16x16>(q, x, n);
}

// The AVX2 method, 64 bytes a step. AVX-512 has no sign_epi8: x is negated
// where q is negative (the sign bits of q, as a mask).
NVDB_AVX512 inline __m512i abs_q_times_signed_x(__m512i qv, __m512i xv, __m512i &abs_q) {
  abs_q = _mm512_abs_epi8(qv);
  return _mm512_mask_sub_epi8(xv, _mm512_movepi8_mask(qv), _mm512_setzero_si512(), xv);
}

NVDB_AVX512 std::int32_t i8_dot_avx512(const std::int8_t *q, std::int32_t /*q_sum*/, const std::int8_t *x, std::size_t n) {
  const __m512i ones = _mm512_set1_epi16(1);
  __m512i acc = _mm512_setzero_si512();
  for (std::size_t i = 0; i < n; i += 64) {
    const __mmask64 m = mask64(n - i);
    __m512i abs_q;
    const __m512i sx = abs_q_times_signed_x(_mm512_maskz_loadu_epi8(m, q + i), _mm512_maskz_loadu_epi8(m, x + i), abs_q);
    acc = _mm512_add_epi32(acc, _mm512_madd_epi16(_mm512_maddubs_epi16(abs_q, sx), ones));
  }
  return _mm512_reduce_add_epi32(acc);
}

// ---------------------------------------------------------------------------
// AVX512-BF16 and AVX512-VNNI: VDPBF16PS multiplies pairs of bfloat16 and
// adds them to float32 lanes (32 values a step); VPDPBUSD adds four
// unsigned-by-signed byte products to each int32 lane (64 values a step).

#define NVDB_AVX512_BF16_VNNI \
  __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,fma,avx512bf16,avx512vnni")))

NVDB_AVX512_BF16_VNNI inline __m512bh bf16x32(__m512i v) { return (__m512bh)v; }

NVDB_AVX512_BF16_VNNI inline __m512 bf16_step(__m512 acc, __mmask32 m, const std::uint16_t *q,
                                               const std::uint16_t *x) {
  return _mm512_dpbf16_ps(acc, bf16x32(_mm512_maskz_loadu_epi16(m, q)), bf16x32(_mm512_maskz_loadu_epi16(m, x)));
}

NVDB_AVX512_BF16_VNNI float bf16_dot_avx512_bf16(const std::uint16_t *q, const std::uint16_t *x, std::size_t n) {
  const __mmask32 all = ~__mmask32{0};
  __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
  std::size_t i = 0;
  // Two cache lines of x a step: four a step (four accumulators) measured
  // 0.58 to 0.67 of float32's query time from memory, two 0.54 to 0.58.
  for (; i + 64 <= n; i += 64) {
    acc0 = bf16_step(acc0, all, q + i, x + i);
    acc1 = bf16_step(acc1, all, q + i + 32, x + i + 32);
  }
  for (; i < n; i += 32) acc0 = bf16_step(acc0, mask32(n - i < 32 ? n - i : 32), q + i, x + i);
  return _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1));
}

// x + 128 (x with its sign bit flipped) is unsigned, as VPDPBUSD's first
// operand must be, and q stays signed: no per-row work on the query. The
// sums fit: |(x + 128) q| <= 255 * 127, times 65,536 is below 2^31.
NVDB_AVX512_BF16_VNNI inline __m512i i8_step(__m512i acc, __mmask64 m, const std::int8_t *q, const std::int8_t *x) {
  const __m512i biased_x = _mm512_xor_si512(_mm512_maskz_loadu_epi8(m, x), _mm512_set1_epi8(-128));
  return _mm512_dpbusd_epi32(acc, biased_x, _mm512_maskz_loadu_epi8(m, q));
}

NVDB_AVX512_BF16_VNNI std::int32_t i8_dot_vnni(const std::int8_t *q, std::int32_t q_sum, const std::int8_t *x,
                                               std::size_t n) {
  const __mmask64 all = ~__mmask64{0};
  __m512i acc0 = _mm512_setzero_si512(), acc1 = _mm512_setzero_si512();
  __m512i acc2 = _mm512_setzero_si512(), acc3 = _mm512_setzero_si512();
  std::size_t i = 0;
  for (; i + 256 <= n; i += 256) {
    acc0 = i8_step(acc0, all, q + i, x + i);
    acc1 = i8_step(acc1, all, q + i + 64, x + i + 64);
    acc2 = i8_step(acc2, all, q + i + 128, x + i + 128);
    acc3 = i8_step(acc3, all, q + i + 192, x + i + 192);
  }
  // Masked-off bytes load as 0: x + 128 times a q of 0 adds nothing.
  for (; i < n; i += 64) acc0 = i8_step(acc0, mask64(n - i), q + i, x + i);
  const std::int32_t biased = _mm512_reduce_add_epi32(
      _mm512_add_epi32(_mm512_add_epi32(acc0, acc1), _mm512_add_epi32(acc2, acc3)));
  return static_cast<std::int32_t>(static_cast<std::uint32_t>(biased) - 128u * static_cast<std::uint32_t>(q_sum));
}

// ---------------------------------------------------------------------------
// Dispatch.

const CompactKernelSet kScalar{"scalar", f16_dot_scalar, bf16_dot_scalar, i8_dot_scalar};
const CompactKernelSet kAvx2{"avx2", f16_dot_avx2, bf16_dot_avx2, i8_dot_avx2};
const CompactKernelSet kAvx512{"avx512", f16_dot_avx512, bf16_dot_avx512, i8_dot_avx512};
const CompactKernelSet kAvx512Bf16Vnni{"avx512-bf16-vnni", f16_dot_avx512, bf16_dot_avx512_bf16, i8_dot_vnni};

// GCC 12's __builtin_cpu_supports knows neither "f16c" nor "avx512bf16":
// read CPUID. F16C is leaf 1 ECX bit 29; AVX512-BF16 is leaf 7 subleaf 1
// EAX bit 5; AVX512-VNNI is leaf 7 subleaf 0 ECX bit 11.
bool cpuid_bit(unsigned leaf, unsigned subleaf, int reg, unsigned bit) {
  unsigned r[4] = {0, 0, 0, 0};
  if (static_cast<unsigned>(__get_cpuid_max(0, nullptr)) < leaf) return false;
  __cpuid_count(leaf, subleaf, r[0], r[1], r[2], r[3]);
  return (r[reg] >> bit) & 1u;
}

bool supported(const CompactKernelSet &k) {
  __builtin_cpu_init();
  if (&k == &kAvx512Bf16Vnni) return cpu_has_avx512() && cpuid_bit(7, 1, 0, 5) && cpuid_bit(7, 0, 2, 11);
  if (&k == &kAvx512) return cpu_has_avx512();
  if (&k == &kAvx2)
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && cpuid_bit(1, 0, 2, 29);
  return true;
}

const CompactKernelSet *const kBestFirst[] = {&kAvx512Bf16Vnni, &kAvx512, &kAvx2, &kScalar};

}  // namespace

const CompactKernelSet *compact_kernel_set(const char *isa) { return find_set(kBestFirst, isa, supported); }

const CompactKernelSet &active_compact() {
  static const CompactKernelSet &chosen = choose_set(kBestFirst, supported);
  return chosen;
}

}  // namespace nvdb::kernels
