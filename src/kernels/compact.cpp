#include "kernels/compact.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

namespace nvdb::kernels {

namespace {

std::uint32_t bits_of(float x) {
  std::uint32_t b;
  std::memcpy(&b, &x, sizeof b);
  return b;
}

float float_of(std::uint32_t b) {
  float x;
  std::memcpy(&x, &b, sizeof x);
  return x;
}

float max_abs(const float *x, std::size_t dim) {
  float m = 0;
  for (std::size_t i = 0; i < dim; ++i) m = std::max(m, std::fabs(x[i]));
  return m;
}

double squared_norm(const float *x, std::size_t dim) {
  double s = 0;
  for (std::size_t i = 0; i < dim; ++i) s += double(x[i]) * double(x[i]);
  return s;
}

// Codes in [-127, 127] and their scale; -128 is never used, so that the
// kernels may take absolute values without overflow. The division is done
// in double: 127 / scale overflows float for a denormal scale.
float quantize_int8(const float *x, std::size_t dim, std::int8_t *codes) {
  const float m = max_abs(x, dim);
  const double inverse = m > 0 ? 127.0 / double(m) : 0.0;
  for (std::size_t i = 0; i < dim; ++i)
    codes[i] = static_cast<std::int8_t>(std::clamp(std::lrint(double(x[i]) * inverse), -127L, 127L));
  return static_cast<float>(double(m) / 127.0);
}

template <std::uint16_t (*Convert)(float)>
float to_halves(const float *x, std::size_t dim, std::uint16_t *codes) {
  const float m = max_abs(x, dim);
  const double inverse = m > 0 ? 1.0 / double(m) : 0.0;
  for (std::size_t i = 0; i < dim; ++i) codes[i] = Convert(static_cast<float>(double(x[i]) * inverse));
  return m;
}

}  // namespace

const char *element_name(Element e) {
  switch (e) {
    case Element::float32: return "float32";
    case Element::float16: return "float16";
    case Element::bfloat16: return "bfloat16";
    case Element::int8: return "int8";
  }
  return "?";
}

std::size_t code_bytes(Element e, std::size_t dim) {
  switch (e) {
    case Element::float16:
    case Element::bfloat16: return 2 * dim;
    case Element::int8: return dim;
    case Element::float32: break;
  }
  return 0;
}

std::uint16_t to_f16(float x) {
  const std::uint32_t b = bits_of(x);
  const auto sign = static_cast<std::uint16_t>((b >> 16) & 0x8000u);
  const std::uint32_t a = b & 0x7fffffffu;
  if (a > 0x7f800000u)  // NaN, made quiet
    return static_cast<std::uint16_t>(sign | 0x7e00u | ((a >> 13) & 0x3ffu));
  if (a >= 0x477ff000u) return static_cast<std::uint16_t>(sign | 0x7c00u);  // 65520 and up round to infinity
  if (a >= 0x38800000u) {                       // a normal binary16 (>= 2^-14)
    const std::uint32_t rounded = a + 0xfffu + ((a >> 13) & 1u);  // to nearest even
    return static_cast<std::uint16_t>(sign | ((rounded - 0x38000000u) >> 13));
  }
  // A binary16 denormal counts units of 2^-24; the product is exact, and
  // nearbyint rounds to nearest even in the default rounding mode. 1024
  // units carry over into the smallest normal, as they should.
  return static_cast<std::uint16_t>(sign | static_cast<std::uint32_t>(std::nearbyint(float_of(a) * 0x1p24f)));
}

float from_f16(std::uint16_t h) {
  const std::uint32_t sign = std::uint32_t(h & 0x8000u) << 16;
  const std::uint32_t exponent = (h >> 10) & 0x1fu, mantissa = h & 0x3ffu;
  if (exponent == 0x1f) return float_of(sign | 0x7f800000u | (mantissa << 13));
  if (exponent != 0) return float_of(sign | ((exponent + 112) << 23) | (mantissa << 13));
  const float denormal = float(mantissa) * 0x1p-24f;
  return sign ? -denormal : denormal;
}

std::uint16_t to_bf16(float x) {
  const std::uint32_t b = bits_of(x);
  if ((b & 0x7fffffffu) > 0x7f800000u) return static_cast<std::uint16_t>((b >> 16) | 0x40u);
  return static_cast<std::uint16_t>((b + 0x7fffu + ((b >> 16) & 1u)) >> 16);
}

float from_bf16(std::uint16_t h) { return float_of(std::uint32_t(h) << 16); }

void encode_row(Element e, const float *x, std::size_t dim, void *codes, RowAux &aux) {
  aux.norm2 = static_cast<float>(squared_norm(x, dim));
  switch (e) {
    case Element::float16:
      aux.scale = to_halves<to_f16>(x, dim, static_cast<std::uint16_t *>(codes));
      return;
    case Element::bfloat16:
      aux.scale = to_halves<to_bf16>(x, dim, static_cast<std::uint16_t *>(codes));
      return;
    case Element::int8:
      aux.scale = quantize_int8(x, dim, static_cast<std::int8_t *>(codes));
      return;
    case Element::float32:
      break;
  }
  aux.scale = 1;
}

// ---------------------------------------------------------------------------
// Ranking compact rows.

CompactQuery::CompactQuery(const CompactRows &rows, const float *q, std::size_t dim, Metric metric)
    : rows_(rows), dim_(dim), code_bytes_(code_bytes(rows.element, dim)), l2_(metric == Metric::l2),
      kernels_(active_compact()), q_(q) {
  if (rows.element == Element::bfloat16) {
    q16_.resize(dim);
    for (std::size_t i = 0; i < dim; ++i) q16_[i] = to_bf16(q[i]);
  } else if (rows.element == Element::int8) {
    q8_.resize(dim);
    q_scale_ = quantize_int8(q, dim, q8_.data());
    for (std::int8_t c : q8_) q8_sum_ += c;
  }
}

template <class Dot>
void CompactQuery::score_with(Dot dot, const std::uint32_t *ids, std::size_t first, std::size_t n,
                              float *scores) const {
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t row = ids ? ids[i] : first + i;
    const RowAux &aux = rows_.aux[row];
    const float d = dot(rows_.codes + row * code_bytes_) * aux.scale;
    scores[i] = l2_ ? 2 * d - aux.norm2 : d;
  }
}

void CompactQuery::score(const std::uint32_t *ids, std::size_t first, std::size_t n, float *scores) const {
  switch (rows_.element) {
    case Element::float16: {
      const auto f16_dot = kernels_.f16_dot;
      return score_with(
          [&](const unsigned char *c) { return f16_dot(q_, reinterpret_cast<const std::uint16_t *>(c), dim_); },
          ids, first, n, scores);
    }
    case Element::bfloat16: {
      const auto bf16_dot = kernels_.bf16_dot;
      const std::uint16_t *q = q16_.data();
      return score_with(
          [&](const unsigned char *c) { return bf16_dot(q, reinterpret_cast<const std::uint16_t *>(c), dim_); },
          ids, first, n, scores);
    }
    case Element::int8: {
      const auto i8_dot = kernels_.i8_dot;
      const std::int8_t *q = q8_.data();
      return score_with(
          [&](const unsigned char *c) {
            return q_scale_ * float(i8_dot(q, q8_sum_, reinterpret_cast<const std::int8_t *>(c), dim_));
          },
          ids, first, n, scores);
    }
    case Element::float32:
      break;
  }
  throw std::logic_error("CompactQuery: float32 rows have no codes to score");  // scan.cpp never asks
}

}  // namespace nvdb::kernels
