// Compact element types (src/kernels/compact.hpp): the float16 and bfloat16
// conversions, the per-row encoding, and every compact kernel set this CPU
// runs against a double-precision reference, on random and adversarial
// inputs (denormals, large magnitudes, extreme codes), for lengths around
// every vector width, dim 1 and dim 65,536.
#define BOOST_TEST_MODULE compact_kernels
#include <boost/test/unit_test.hpp>
#include <cfloat>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "kernels/compact.hpp"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

using namespace nvdb::kernels;

namespace {

const char *const kIsas[] = {"scalar", "avx2", "avx512", "avx512-bf16-vnni"};

std::vector<const CompactKernelSet *> available_sets() {
  std::vector<const CompactKernelSet *> sets;
  for (const char *isa : kIsas)
    if (const CompactKernelSet *k = compact_kernel_set(isa)) sets.push_back(k);
  return sets;
}

// Lengths around every width (8, 16, 32 values; 32, 64, 128 bytes), dim 1
// and the largest dim.
std::vector<std::size_t> dims() {
  std::vector<std::size_t> d;
  for (std::size_t n = 1; n <= 70; ++n) d.push_back(n);
  for (std::size_t n : {127, 128, 129, 130, 255, 1000, 1024, 65536}) d.push_back(n);
  return d;
}

std::mt19937 &rng() {
  static std::mt19937 gen(20261127);
  return gen;
}

float uniform(float scale) { return std::uniform_real_distribution<float>(-1.0f, 1.0f)(rng()) * scale; }

float bits_float(std::uint32_t b) {
  float f;
  std::memcpy(&f, &b, sizeof f);
  return f;
}

// A double-precision sum and the sum of its terms' magnitudes, which bounds
// the rounding error of any float summation order (as in test_kernels.cpp).
struct Reference {
  double value = 0, magnitude = 0;
  void add(double term) {
    value += term;
    magnitude += std::fabs(term);
  }
};

// Float accumulation over n terms in any order, plus `tiny` per term for
// products that underflow (half a denormal step, or a whole FLT_MIN for a
// kernel that flushes denormals).
bool close(float got, const Reference &r, std::size_t n, double tiny_per_term) {
  const double relative = std::max(1e-5, 2.0 * std::sqrt(double(n)) * FLT_EPSILON);
  return std::isfinite(got) && std::fabs(double(got) - r.value) <= relative * r.magnitude + double(n) * tiny_per_term;
}

// VDPBF16PS counts denormal inputs as zero and flushes denormal results.
bool flushes_bf16_denormals(const CompactKernelSet &k) { return std::string(k.isa) == "avx512-bf16-vnni"; }

float bf16_value(std::uint16_t h, bool flush) {
  const float v = from_bf16(h);
  return flush && std::fpclassify(v) == FP_SUBNORMAL ? 0.0f : v;
}

using F16Fill = std::function<void(std::vector<float> &q, std::vector<std::uint16_t> &x)>;
using Bf16Fill = std::function<void(std::vector<std::uint16_t> &q, std::vector<std::uint16_t> &x)>;

void check_f16(const F16Fill &fill, const std::vector<std::size_t> &lengths) {
  for (std::size_t n : lengths) {
    std::vector<float> q(n + 1);
    std::vector<std::uint16_t> x(n + 1);
    fill(q, x);
    for (std::size_t off : {0, 1}) {  // also at an odd address
      Reference r;
      for (std::size_t i = 0; i < n; ++i) r.add(double(q[i + off]) * double(from_f16(x[i + off])));
      for (const CompactKernelSet *k : available_sets()) {
        const float got = k->f16_dot(q.data() + off, x.data() + off, n);
        BOOST_CHECK_MESSAGE(close(got, r, n, FLT_TRUE_MIN / 2),
                            k->isa << " f16_dot n=" << n << " off " << off << ": " << got << " vs " << r.value);
      }
    }
  }
}

void check_bf16(const Bf16Fill &fill, const std::vector<std::size_t> &lengths) {
  for (std::size_t n : lengths) {
    std::vector<std::uint16_t> q(n + 1), x(n + 1);
    fill(q, x);
    for (std::size_t off : {0, 1}) {
      for (const CompactKernelSet *k : available_sets()) {
        const bool flush = flushes_bf16_denormals(*k);
        Reference r;
        for (std::size_t i = 0; i < n; ++i)
          r.add(double(bf16_value(q[i + off], flush)) * double(bf16_value(x[i + off], flush)));
        const float got = k->bf16_dot(q.data() + off, x.data() + off, n);
        BOOST_CHECK_MESSAGE(close(got, r, n, flush ? FLT_MIN : FLT_TRUE_MIN / 2),
                            k->isa << " bf16_dot n=" << n << " off " << off << ": " << got << " vs " << r.value);
      }
    }
  }
}

using I8Fill = std::function<void(std::vector<std::int8_t> &q, std::vector<std::int8_t> &x)>;

// Integer dot products are exact: every kernel must give the same number.
void check_i8(const I8Fill &fill, const std::vector<std::size_t> &lengths) {
  for (std::size_t n : lengths) {
    std::vector<std::int8_t> q(n + 1), x(n + 1);
    fill(q, x);
    for (std::size_t off : {0, 1}) {
      std::int64_t expected = 0;
      std::int32_t q_sum = 0;
      for (std::size_t i = 0; i < n; ++i) {
        expected += std::int64_t(q[i + off]) * x[i + off];
        q_sum += q[i + off];
      }
      for (const CompactKernelSet *k : available_sets()) {
        const std::int32_t got = k->i8_dot(q.data() + off, q_sum, x.data() + off, n);
        BOOST_CHECK_MESSAGE(got == expected, k->isa << " i8_dot n=" << n << " off " << off << ": " << got
                                                    << " vs " << expected);
      }
    }
  }
}

std::int8_t random_code() { return static_cast<std::int8_t>(std::uniform_int_distribution<int>(-127, 127)(rng())); }

}  // namespace

// ---------------------------------------------------------------------------
// Dispatch.

BOOST_AUTO_TEST_CASE(compact_kernel_sets_and_dispatch) {
  const CompactKernelSet *scalar = compact_kernel_set("scalar");
  BOOST_REQUIRE(scalar != nullptr);
  for (const CompactKernelSet *k : available_sets()) {
    BOOST_TEST_MESSAGE("compact kernel set available: " << k->isa);
    BOOST_CHECK(k->f16_dot && k->bf16_dot && k->i8_dot);
  }
  BOOST_CHECK(compact_kernel_set("avx1024") == nullptr);
  BOOST_CHECK(compact_kernel_set("") == nullptr);

  const CompactKernelSet &act = active_compact();
  BOOST_CHECK(compact_kernel_set(act.isa) == &act);
  const char *forced = std::getenv("NVDB_KERNEL");
  if (forced && compact_kernel_set(forced)) {
    BOOST_CHECK_EQUAL(std::string(act.isa), forced);
  } else {
    const char *best = compact_kernel_set("avx512-bf16-vnni") ? "avx512-bf16-vnni"
                       : compact_kernel_set("avx512")         ? "avx512"
                       : compact_kernel_set("avx2")           ? "avx2"
                                                              : "scalar";
    BOOST_CHECK_EQUAL(std::string(act.isa), best);
  }
}

// ---------------------------------------------------------------------------
// Conversions.

BOOST_AUTO_TEST_CASE(float16_conversion_rounds_to_nearest_even) {
  BOOST_CHECK_EQUAL(to_f16(1.0f), 0x3c00);
  BOOST_CHECK_EQUAL(to_f16(-2.0f), 0xc000);
  BOOST_CHECK_EQUAL(to_f16(0.0f), 0x0000);
  BOOST_CHECK_EQUAL(to_f16(-0.0f), 0x8000);
  // 1 + 2^-11 is halfway between 1 and 1 + 2^-10: ties go to the even 1.
  BOOST_CHECK_EQUAL(to_f16(1.0f + 0x1p-11f), 0x3c00);
  BOOST_CHECK_EQUAL(to_f16(1.0f + 3 * 0x1p-11f), 0x3c02);
  BOOST_CHECK_EQUAL(to_f16(1.0f + 0x1p-11f + 0x1p-20f), 0x3c01);
  // Denormals: units of 2^-24; half a unit ties to zero, 1.5 units to 2.
  BOOST_CHECK_EQUAL(to_f16(0x1p-24f), 0x0001);
  BOOST_CHECK_EQUAL(to_f16(0x1p-25f), 0x0000);
  BOOST_CHECK_EQUAL(to_f16(3 * 0x1p-25f), 0x0002);
  BOOST_CHECK_EQUAL(to_f16(1023 * 0x1p-24f), 0x03ff);
  BOOST_CHECK_EQUAL(to_f16(0x1p-14f), 0x0400);  // the smallest normal
  BOOST_CHECK_EQUAL(to_f16(1e-30f), 0x0000);    // float denormal range: zero
}

BOOST_AUTO_TEST_CASE(float16_overflow_gives_infinity_and_nan_stays_nan) {
  BOOST_CHECK_EQUAL(to_f16(65504.0f), 0x7bff);       // the largest finite binary16
  BOOST_CHECK_EQUAL(to_f16(65519.99f), 0x7bff);      // below the halfway point
  BOOST_CHECK_EQUAL(to_f16(65520.0f), 0x7c00);       // the tie rounds to the even infinity
  BOOST_CHECK_EQUAL(to_f16(-1e10f), 0xfc00);
  BOOST_CHECK_EQUAL(to_f16(FLT_MAX), 0x7c00);
  BOOST_CHECK_EQUAL(to_f16(std::numeric_limits<float>::infinity()), 0x7c00);
  const std::uint16_t nan = to_f16(std::numeric_limits<float>::quiet_NaN());
  BOOST_CHECK((nan & 0x7c00) == 0x7c00 && (nan & 0x03ff) != 0);
  const std::uint16_t signalling = to_f16(bits_float(0x7f800001));  // payload below binary16's bits
  BOOST_CHECK((signalling & 0x7e00) == 0x7e00);                     // still NaN, made quiet
  BOOST_CHECK(std::isnan(from_f16(0x7e00)));
  BOOST_CHECK(std::isinf(from_f16(0xfc00)) && from_f16(0xfc00) < 0);
}

BOOST_AUTO_TEST_CASE(every_float16_round_trips) {
  for (std::uint32_t h = 0; h < 0x10000; ++h) {
    const float f = from_f16(static_cast<std::uint16_t>(h));
    if (std::isnan(f)) continue;
    BOOST_REQUIRE_MESSAGE(to_f16(f) == h, "binary16 " << std::hex << h << " -> " << f << " -> " << to_f16(f));
  }
  BOOST_CHECK_EQUAL(from_f16(0x0001), 0x1p-24f);
  BOOST_CHECK_EQUAL(from_f16(0x3555), 0.333251953125f);
}

#if defined(__x86_64__)
// The conversion F16C does in hardware (round to nearest even) must agree
// with ours on every input class, on CPUs that have it.
__attribute__((target("f16c"))) std::uint16_t f16c_convert(float x) {
  return static_cast<std::uint16_t>(_cvtss_sh(x, 0));
}

BOOST_AUTO_TEST_CASE(float16_conversion_matches_f16c) {
  if (!compact_kernel_set("avx2")) return;  // that set requires F16C
  std::uniform_int_distribution<std::uint32_t> bits;
  for (int i = 0; i < 2000000; ++i) {
    // Mostly the interesting exponents (binary16 range, denormals, overflow).
    std::uint32_t b = bits(rng());
    if (i % 2) b = (b & 0x807fffffu) | ((100 + b % 60) << 23);
    const float f = bits_float(b);
    const std::uint16_t ours = to_f16(f), theirs = f16c_convert(f);
    if (std::isnan(f)) {
      BOOST_REQUIRE(std::isnan(from_f16(ours)) && std::isnan(from_f16(theirs)));
      continue;
    }
    BOOST_REQUIRE_MESSAGE(ours == theirs, "float bits " << std::hex << b << ": ours " << ours << ", F16C " << theirs);
  }
}
#endif

BOOST_AUTO_TEST_CASE(bfloat16_conversion) {
  BOOST_CHECK_EQUAL(to_bf16(1.0f), 0x3f80);
  BOOST_CHECK_EQUAL(to_bf16(bits_float(0x3f808000)), 0x3f80);  // tie: to even
  BOOST_CHECK_EQUAL(to_bf16(bits_float(0x3f818000)), 0x3f82);  // tie: to even
  BOOST_CHECK_EQUAL(to_bf16(bits_float(0x3f808001)), 0x3f81);
  BOOST_CHECK_EQUAL(to_bf16(FLT_MAX), 0x7f80);                  // rounds past the largest: infinity
  BOOST_CHECK_EQUAL(to_bf16(bits_float(0x7f7f7fff)), 0x7f7f);   // the largest finite bfloat16
  BOOST_CHECK_EQUAL(to_bf16(-std::numeric_limits<float>::infinity()), 0xff80);
  BOOST_CHECK(std::isnan(from_bf16(to_bf16(std::numeric_limits<float>::quiet_NaN()))));
  BOOST_CHECK(std::isnan(from_bf16(to_bf16(bits_float(0x7f800001)))));  // a payload that truncation would lose
  BOOST_CHECK_EQUAL(to_bf16(1e-40f), to_bf16(1e-40f) & 0xffff);
  BOOST_CHECK(from_bf16(to_bf16(1e-40f)) > 0);  // denormals kept
  for (std::uint32_t h = 0; h < 0x10000; ++h) {
    const float f = from_bf16(static_cast<std::uint16_t>(h));
    if (std::isnan(f)) continue;
    BOOST_REQUIRE_EQUAL(to_bf16(f), h);
  }
}

// ---------------------------------------------------------------------------
// Encoding rows.

BOOST_AUTO_TEST_CASE(int8_rows_use_symmetric_codes_and_a_scale) {
  for (float magnitude : {1e-40f, 1e-3f, 1.0f, 1e30f, 3e38f}) {
    const std::size_t dim = 67;
    std::vector<float> x(dim);
    for (float &v : x) v = uniform(magnitude);
    x[5] = magnitude;  // the largest magnitude: code 127
    x[9] = -magnitude;
    std::vector<std::int8_t> codes(dim);
    RowAux aux;
    encode_row(Element::int8, x.data(), dim, codes.data(), aux);
    BOOST_CHECK_EQUAL(codes[5], 127);
    BOOST_CHECK_EQUAL(codes[9], -127);
    for (std::size_t i = 0; i < dim; ++i) {
      BOOST_CHECK(codes[i] >= -127);
      // Each value is within half a step of its code (the scale is a
      // float: a hair more for its own rounding).
      const double step = double(aux.scale);
      BOOST_CHECK_MESSAGE(std::fabs(double(x[i]) - step * codes[i]) <= 0.5 * step * (1 + 1e-6) + 1e-45,
                          "magnitude " << magnitude << " component " << i);
    }
  }
}

BOOST_AUTO_TEST_CASE(half_rows_are_scaled_into_range) {
  // Values far beyond 65504 are stored as a fraction of the row's largest
  // magnitude, so float16 never overflows. (1e17: the largest for which a
  // row's squared norm stays a float, as upsert requires.)
  for (Element e : {Element::float16, Element::bfloat16}) {
    const std::size_t dim = 33;
    std::vector<float> x(dim);
    for (float &v : x) v = uniform(1e17f);
    x[3] = -2e17f;
    std::vector<std::uint16_t> codes(dim);
    RowAux aux;
    encode_row(e, x.data(), dim, codes.data(), aux);
    BOOST_CHECK_EQUAL(aux.scale, 2e17f);
    const double precision = e == Element::float16 ? 0x1p-11 : 0x1p-8;
    for (std::size_t i = 0; i < dim; ++i) {
      const float decoded = e == Element::float16 ? from_f16(codes[i]) : from_bf16(codes[i]);
      BOOST_CHECK(std::isfinite(decoded) && std::fabs(decoded) <= 1.0f);
      BOOST_CHECK(std::fabs(double(decoded) * aux.scale - x[i]) <= precision * std::fabs(x[i]) + 1e-7 * aux.scale);
    }
    double norm2 = 0;
    for (float v : x) norm2 += double(v) * v;
    BOOST_CHECK_CLOSE(double(aux.norm2), norm2, 1e-4);
  }
}

BOOST_AUTO_TEST_CASE(a_zero_row_has_zero_scale_and_codes) {
  for (Element e : {Element::float16, Element::bfloat16, Element::int8}) {
    std::vector<float> x(17, 0.0f);
    std::vector<unsigned char> codes(code_bytes(e, 17), 0xff);
    RowAux aux;
    encode_row(e, x.data(), 17, codes.data(), aux);
    BOOST_CHECK_EQUAL(aux.scale, 0.0f);
    BOOST_CHECK_EQUAL(aux.norm2, 0.0f);
    for (unsigned char c : codes) BOOST_CHECK_EQUAL(c, 0);
  }
  BOOST_CHECK_EQUAL(code_bytes(Element::float32, 100), 0u);
  BOOST_CHECK_EQUAL(code_bytes(Element::float16, 100), 200u);
  BOOST_CHECK_EQUAL(code_bytes(Element::int8, 100), 100u);
}

// ---------------------------------------------------------------------------
// Kernels.

BOOST_AUTO_TEST_CASE(f16_dot_random) {
  check_f16(
      [](std::vector<float> &q, std::vector<std::uint16_t> &x) {
        for (float &v : q) v = uniform(1.0f);
        for (std::uint16_t &v : x) v = to_f16(uniform(1.0f));
      },
      dims());
}

BOOST_AUTO_TEST_CASE(f16_dot_adversarial) {
  // Large magnitudes: the largest binary16 values times 1e30.
  check_f16(
      [](std::vector<float> &q, std::vector<std::uint16_t> &x) {
        for (float &v : q) v = uniform(1e30f);
        for (std::size_t i = 0; i < x.size(); ++i) x[i] = i % 3 ? 0x7bff : 0xfbfe;
      },
      dims());
  // binary16 denormals (to 2^-24) times large queries, and float denormal
  // queries times binary16 values.
  check_f16(
      [](std::vector<float> &q, std::vector<std::uint16_t> &x) {
        for (float &v : q) v = uniform(1e20f);
        for (std::uint16_t &v : x) v = static_cast<std::uint16_t>(rng()() & 0x83ff);
      },
      dims());
  check_f16(
      [](std::vector<float> &q, std::vector<std::uint16_t> &x) {
        for (float &v : q) v = uniform(1e-39f);
        for (std::uint16_t &v : x) v = to_f16(uniform(60000.0f));
      },
      dims());
  // Cancellation: q and x alternate in sign.
  check_f16(
      [](std::vector<float> &q, std::vector<std::uint16_t> &x) {
        for (std::size_t i = 0; i < q.size(); ++i) {
          q[i] = i % 2 ? -1.5f : 1.5f;
          x[i] = to_f16(2.0f);
        }
      },
      dims());
}

BOOST_AUTO_TEST_CASE(bf16_dot_random) {
  check_bf16(
      [](std::vector<std::uint16_t> &q, std::vector<std::uint16_t> &x) {
        for (std::uint16_t &v : q) v = to_bf16(uniform(1.0f));
        for (std::uint16_t &v : x) v = to_bf16(uniform(1.0f));
      },
      dims());
}

BOOST_AUTO_TEST_CASE(bf16_dot_adversarial) {
  // Large magnitudes near 1e18 (products near 1e36) and denormals times
  // large values; the avx512-bf16-vnni set counts denormals as zero.
  check_bf16(
      [](std::vector<std::uint16_t> &q, std::vector<std::uint16_t> &x) {
        for (std::uint16_t &v : q) v = to_bf16(uniform(1e18f));
        for (std::uint16_t &v : x) v = to_bf16(uniform(1e18f));
      },
      dims());
  check_bf16(
      [](std::vector<std::uint16_t> &q, std::vector<std::uint16_t> &x) {
        for (std::uint16_t &v : q) v = to_bf16(uniform(1e-39f));
        for (std::uint16_t &v : x) v = to_bf16(uniform(1e15f));
      },
      dims());
  check_bf16(
      [](std::vector<std::uint16_t> &q, std::vector<std::uint16_t> &x) {
        for (std::size_t i = 0; i < q.size(); ++i) {
          q[i] = to_bf16(i % 2 ? -3.0f : 3.0f);
          x[i] = to_bf16(2.0f);
        }
      },
      dims());
}

BOOST_AUTO_TEST_CASE(i8_dot_random_and_extreme_codes) {
  check_i8(
      [](std::vector<std::int8_t> &q, std::vector<std::int8_t> &x) {
        for (std::int8_t &v : q) v = random_code();
        for (std::int8_t &v : x) v = random_code();
      },
      dims());
  // The extremes: every product +-127 * 127, which at dim 65,536 sums to
  // about 1.06e9, the most an int32 lane ever holds; and signs alternating
  // so the sums cancel.
  check_i8(
      [](std::vector<std::int8_t> &q, std::vector<std::int8_t> &x) {
        for (std::size_t i = 0; i < q.size(); ++i) {
          q[i] = -127;
          x[i] = 127;
        }
      },
      dims());
  check_i8(
      [](std::vector<std::int8_t> &q, std::vector<std::int8_t> &x) {
        for (std::size_t i = 0; i < q.size(); ++i) {
          q[i] = i % 2 ? -127 : 127;
          x[i] = 127;
        }
      },
      dims());
  check_i8(
      [](std::vector<std::int8_t> &q, std::vector<std::int8_t> &x) {
        for (std::size_t i = 0; i < q.size(); ++i) {
          q[i] = i % 3 ? 0 : random_code();
          x[i] = random_code();
        }
      },
      dims());
}

// ---------------------------------------------------------------------------
// Ranking compact rows: the approximate scores are close to the exact ones.

BOOST_AUTO_TEST_CASE(compact_query_scores_approximate_exact_ones) {
  const std::size_t dim = 300, nrows = 50;
  std::vector<float> rows(nrows * dim), q(dim);
  for (float &v : rows) v = uniform(2.0f);
  for (float &v : q) v = uniform(1.0f);
  for (Element e : {Element::float16, Element::bfloat16, Element::int8}) {
    std::vector<unsigned char> codes(nrows * code_bytes(e, dim));
    std::vector<RowAux> aux(nrows);
    for (std::size_t r = 0; r < nrows; ++r)
      encode_row(e, rows.data() + r * dim, dim, codes.data() + r * code_bytes(e, dim), aux[r]);
    const CompactRows compact{e, codes.data(), aux.data()};
    // Tolerances relative to |q| |x| (about 20 here): float16 2^-11,
    // bfloat16 2^-8 (both operands rounded), int8 two half-steps of 1/127.
    const double tolerance = e == Element::float16 ? 0.02 : e == Element::bfloat16 ? 0.2 : 0.5;
    for (Metric m : {Metric::dot, Metric::l2}) {
      const CompactQuery query(compact, q.data(), dim, m);
      std::vector<float> scores(nrows);
      query.score(nullptr, 0, nrows, scores.data());
      double q2 = 0;
      for (float v : q) q2 += double(v) * v;
      for (std::size_t r = 0; r < nrows; ++r) {
        double dot = 0, l2 = 0;
        for (std::size_t i = 0; i < dim; ++i) {
          dot += double(q[i]) * rows[r * dim + i];
          l2 += (double(q[i]) - rows[r * dim + i]) * (double(q[i]) - rows[r * dim + i]);
        }
        const double expected = m == Metric::dot ? dot : q2 - l2;  // 2 q.x - |x|^2
        const double slack = m == Metric::dot ? tolerance : 2 * tolerance;
        BOOST_CHECK_MESSAGE(std::fabs(scores[r] - expected) <= slack,
                            element_name(e) << " row " << r << ": " << scores[r] << " vs " << expected);
      }
      // Listed rows score as they do in order.
      const std::uint32_t ids[] = {7, 3, 49};
      float listed[3];
      query.score(ids, 0, 3, listed);
      for (int i = 0; i < 3; ++i) BOOST_CHECK_EQUAL(listed[i], scores[ids[i]]);
    }
  }
}
