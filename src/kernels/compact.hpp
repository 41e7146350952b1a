// Compact element types: stored vectors in 16 or 8 bits, so that a scan
// reads 2x or 4x fewer bytes. A compact row is the float32 row divided by
// a per-row scale (its largest magnitude), so that every value lies in
// [-1, 1]: nothing overflows float16, and int8 uses its whole range. The
// scan ranks rows by these codes; the exact float32 rows, kept beside them,
// re-score the best candidates (scan.hpp), so answers stay exact float32.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "kernels/kernels.hpp"

namespace nvdb::kernels {

// Values match nvdb_element_type (nvdb.h) and the store format.
enum class Element : std::uint32_t { float32 = 1, float16 = 2, bfloat16 = 3, int8 = 4 };

const char *element_name(Element e);
// Bytes of one row's codes; 0 for float32, which has no codes.
std::size_t code_bytes(Element e, std::size_t dim);

// Stored beside each compact row.
struct RowAux {
  float scale;  // the row is about scale * decode(codes)
  float norm2;  // squared norm of the float32 row (ranks rows under l2)
};

// IEEE binary16 and bfloat16, rounded to nearest even. Overflow gives
// +-infinity (binary16: |x| >= 65520, which rounds past 65504; bfloat16:
// past 3.3895e38), NaN stays NaN (quiet), denormals are kept.
std::uint16_t to_f16(float x);
float from_f16(std::uint16_t h);
std::uint16_t to_bf16(float x);
float from_bf16(std::uint16_t h);

// Encodes a finite float32 row: codes (code_bytes(e, dim) bytes) and aux.
// float16 and bfloat16: x / scale with scale = max |x_i|; int8: round(x /
// scale) with scale = max |x_i| / 127, symmetric, codes in [-127, 127]. A
// zero row has scale 0 and zero codes.
void encode_row(Element e, const float *x, std::size_t dim, void *codes, RowAux &aux);

// Dot products of compact vectors, one implementation per instruction set.
//   f16_dot:  float32 q with binary16 x, products and sums in float32.
//   bf16_dot: bfloat16 q with bfloat16 x (their products are exact in
//             float32), sums in float32. The avx512-bf16-vnni set counts
//             denormal inputs as zero (VDPBF16PS always does).
//   i8_dot:   the exact integer dot product of codes in [-127, 127];
//             q_sum is the sum of q's n codes (VPDPBUSD multiplies unsigned
//             by signed bytes: x + 128 by q, then takes 128 * q_sum off).
struct CompactKernelSet {
  const char *isa;
  float (*f16_dot)(const float *q, const std::uint16_t *x, std::size_t n);
  float (*bf16_dot)(const std::uint16_t *q, const std::uint16_t *x, std::size_t n);
  std::int32_t (*i8_dot)(const std::int8_t *q, std::int32_t q_sum, const std::int8_t *x, std::size_t n);
};

// The set in use: the best this CPU runs, or the one NVDB_KERNEL names
// (scalar, avx2, avx512, avx512-bf16-vnni) if it runs here.
const CompactKernelSet &active_compact();
// The set of that name, or nullptr if this CPU lacks it (or none has it).
const CompactKernelSet *compact_kernel_set(const char *isa);

// Compact rows as a scan reads them.
struct CompactRows {
  Element element = Element::float32;
  const unsigned char *codes = nullptr;  // nrows x code_bytes(element, dim)
  const RowAux *aux = nullptr;           // nrows
};

// One query prepared for ranking compact rows: converted once, then used
// for every row.
class CompactQuery {
 public:
  // q: dim floats (normalised by the caller under cosine).
  CompactQuery(const CompactRows &rows, const float *q, std::size_t dim, Metric metric);

  // Ranking scores, higher is better, of rows ids[0..n) (or first..first+n
  // when ids is null): about dot(q, row) for cosine and dot, and about
  // 2 dot(q, row) - |row|^2 for l2 (minus the squared distance, plus |q|^2).
  void score(const std::uint32_t *ids, std::size_t first, std::size_t n, float *scores) const;

 private:
  // Scores with dot(codes of a row), the element type's kernel: one
  // dispatch per call rather than per row.
  template <class Dot>
  void score_with(Dot dot, const std::uint32_t *ids, std::size_t first, std::size_t n, float *scores) const;

  CompactRows rows_;
  std::size_t dim_, code_bytes_;
  bool l2_;
  const CompactKernelSet &kernels_;
  const float *q_;
  std::vector<std::uint16_t> q16_;  // bfloat16 query
  std::vector<std::int8_t> q8_;     // int8 query codes
  std::int32_t q8_sum_ = 0;         // their sum
  float q_scale_ = 1;               // int8: the query is q_scale_ * q8_
};

}  // namespace nvdb::kernels
