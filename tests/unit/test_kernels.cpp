// SIMD scoring kernels (src/kernels/kernels.hpp): every instruction set this
// CPU runs is compared against a double-precision reference, on random and
// adversarial inputs, for lengths around every vector width and unaligned.
#define BOOST_TEST_MODULE kernels
#include <boost/test/unit_test.hpp>
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "kernels/kernels.hpp"

using namespace nvdb::kernels;

namespace {

const char *const kIsas[] = {"scalar", "avx2", "avx512"};

// The kernel sets this CPU runs ("scalar" always does).
std::vector<const KernelSet *> available_sets() {
  std::vector<const KernelSet *> sets;
  for (const char *isa : kIsas)
    if (const KernelSet *k = kernel_set(isa)) sets.push_back(k);
  return sets;
}

// Lengths around every width: 8 (AVX2), 16 and 32 (AVX-512 and its two
// accumulators), the 4-row blocks of score_rows, and the largest dim.
std::vector<std::size_t> dims() {
  std::vector<std::size_t> d;
  for (std::size_t n = 1; n <= 70; ++n) d.push_back(n);
  for (std::size_t n : {127, 128, 129, 1000, 1024, 65536}) d.push_back(n);
  return d;
}

// A double-precision result and the sum of the absolute values of its terms,
// which bounds the rounding error of any float summation order.
struct Reference {
  double value;
  double magnitude;
};

Reference ref_dot(const float *a, const float *b, std::size_t n) {
  Reference r{0, 0};
  for (std::size_t i = 0; i < n; ++i) {
    double t = double(a[i]) * double(b[i]);
    r.value += t;
    r.magnitude += std::fabs(t);
  }
  return r;
}

Reference ref_l2sq(const float *a, const float *b, std::size_t n) {
  Reference r{0, 0};
  for (std::size_t i = 0; i < n; ++i) {
    double d = double(a[i]) - double(b[i]);
    r.value += d * d;
    r.magnitude += d * d;
  }
  return r;
}

// Float accumulation over n terms in any order: relative to the terms'
// magnitude, 1e-5; past a few thousand terms, rounding errors of a
// sequential sum grow like sqrt(n) float epsilons (the scalar kernel is off
// by 1.2e-5 at n = 65536), so the bound grows with them. Plus at most half a
// denormal step per term for products that underflow.
bool close(float got, const Reference &r, std::size_t n) {
  double relative = std::max(1e-5, 2.0 * std::sqrt(double(n)) * std::numeric_limits<float>::epsilon());
  double tiny = double(n) * std::numeric_limits<float>::denorm_min();
  return std::isfinite(got) && std::fabs(double(got) - r.value) <= relative * r.magnitude + tiny;
}

// Floats in a 64-byte aligned buffer, reachable at a chosen misalignment.
class Buffer {
 public:
  explicit Buffer(std::size_t n) : storage_(n + 64) {
    void *p = storage_.data();
    std::size_t space = storage_.size() * sizeof(float);
    base_ = static_cast<float *>(std::align(64, n * sizeof(float), p, space));
  }
  // The buffer's floats starting `offset` floats past a 64-byte boundary.
  float *at(std::size_t offset) { return base_ + offset; }

 private:
  std::vector<float> storage_;
  float *base_;
};

using Fill = std::function<void(float *a, float *b, std::size_t n)>;

std::mt19937 &rng() {
  static std::mt19937 gen(20240611);
  return gen;
}

void fill_uniform(float *p, std::size_t n, float scale) {
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  for (std::size_t i = 0; i < n; ++i) p[i] = u(rng()) * scale;
}

// Checks dot and l2sq of every available kernel set on inputs made by fill,
// for every length in `lengths`, with a and b at several misalignments.
void check_pairs(const Fill &fill, const std::vector<std::size_t> &lengths) {
  const std::size_t offsets[][2] = {{0, 0}, {1, 1}, {1, 3}, {7, 0}};
  for (std::size_t n : lengths) {
    Buffer a(n + 8), b(n + 8);
    for (const auto &off : offsets) {
      float *x = a.at(off[0]), *y = b.at(off[1]);
      fill(x, y, n);
      Reference d = ref_dot(x, y, n), l = ref_l2sq(x, y, n);
      for (const KernelSet *k : available_sets()) {
        float got_dot = k->dot(x, y, n), got_l2 = k->l2sq(x, y, n);
        BOOST_CHECK_MESSAGE(close(got_dot, d, n), k->isa << " dot n=" << n << " offsets " << off[0] << "/"
                                                           << off[1] << ": " << got_dot << " vs " << d.value);
        BOOST_CHECK_MESSAGE(close(got_l2, l, n), k->isa << " l2sq n=" << n << " offsets " << off[0] << "/"
                                                         << off[1] << ": " << got_l2 << " vs " << l.value);
      }
    }
  }
}

// Checks score_rows of every available kernel set, both metrics, on nrows
// random rows of length dim starting at a misaligned address; the slot
// after the last score must be left alone.
void check_rows(std::size_t nrows, std::size_t dim, std::size_t offset) {
  Buffer q(dim + 8), rows(nrows * dim + 8);
  fill_uniform(q.at(offset), dim, 1.0f);
  fill_uniform(rows.at(offset), nrows * dim, 1.0f);
  const float sentinel = 12345.0f;
  for (const KernelSet *k : available_sets()) {
    for (bool l2 : {false, true}) {
      std::vector<float> scores(nrows + 1, sentinel);
      k->score_rows(q.at(offset), rows.at(offset), nrows, dim, l2, scores.data());
      for (std::size_t r = 0; r < nrows; ++r) {
        const float *x = rows.at(offset) + r * dim;
        Reference ref = l2 ? ref_l2sq(q.at(offset), x, dim) : ref_dot(q.at(offset), x, dim);
        if (l2) ref.value = -ref.value;
        BOOST_CHECK_MESSAGE(close(scores[r], ref, dim), k->isa << " score_rows l2=" << l2 << " row " << r << "/"
                                                               << nrows << " dim " << dim << ": " << scores[r]
                                                               << " vs " << ref.value);
      }
      BOOST_CHECK_MESSAGE(scores[nrows] == sentinel, k->isa << " score_rows wrote past row " << nrows);
    }
  }
}

}  // namespace

// ---------------------------------------------------------------------------
// Dispatch.

BOOST_AUTO_TEST_CASE(kernel_sets_and_dispatch) {
  const KernelSet *scalar = kernel_set("scalar");
  BOOST_REQUIRE(scalar != nullptr);  // the fallback runs everywhere
  BOOST_CHECK_EQUAL(std::string(scalar->isa), "scalar");
  for (const char *isa : kIsas)
    if (const KernelSet *k = kernel_set(isa)) {
      BOOST_TEST_MESSAGE("kernel set available: " << isa);
      BOOST_CHECK_EQUAL(std::string(k->isa), isa);
      BOOST_CHECK(k->dot && k->l2sq && k->score_rows);
    }
  BOOST_CHECK(kernel_set("avx1024") == nullptr);
  BOOST_CHECK(kernel_set("") == nullptr);
  BOOST_CHECK(kernel_set("AVX2") == nullptr);

  // active() is one of the sets, the one NVDB_KERNEL names if it runs here,
  // otherwise the widest this CPU runs.
  const KernelSet &act = active();
  BOOST_CHECK(kernel_set(act.isa) == &act);
  BOOST_CHECK_EQUAL(std::string(active_isa()), act.isa);
  const char *forced = std::getenv("NVDB_KERNEL");
  if (forced && kernel_set(forced)) {
    BOOST_CHECK_EQUAL(std::string(act.isa), forced);
  } else {
    const char *best = kernel_set("avx512") ? "avx512" : kernel_set("avx2") ? "avx2" : "scalar";
    BOOST_CHECK_EQUAL(std::string(act.isa), best);
  }
}

BOOST_AUTO_TEST_CASE(inline_wrappers_follow_the_metric) {
  std::vector<float> q(37), rows(3 * 37);
  fill_uniform(q.data(), q.size(), 1.0f);
  fill_uniform(rows.data(), rows.size(), 1.0f);
  for (Metric m : {Metric::cosine, Metric::dot, Metric::l2}) {
    float scores[3];
    score_rows(m, q.data(), rows.data(), 3, 37, scores);
    for (std::size_t r = 0; r < 3; ++r) {
      const float *x = rows.data() + r * 37;
      Reference ref = m == Metric::l2 ? ref_l2sq(q.data(), x, 37) : ref_dot(q.data(), x, 37);
      if (m == Metric::l2) ref.value = -ref.value;
      BOOST_CHECK(close(scores[r], ref, 37));
    }
  }
  BOOST_CHECK(close(dot(q.data(), rows.data(), 37), ref_dot(q.data(), rows.data(), 37), 37));
  BOOST_CHECK(close(l2sq(q.data(), rows.data(), 37), ref_l2sq(q.data(), rows.data(), 37), 37));
}

// ---------------------------------------------------------------------------
// dot and l2sq.

BOOST_AUTO_TEST_CASE(random_inputs) {
  check_pairs(
      [](float *a, float *b, std::size_t n) {
        fill_uniform(a, n, 1.0f);
        fill_uniform(b, n, 1.0f);
      },
      dims());
}

BOOST_AUTO_TEST_CASE(all_zeros_give_exact_zero) {
  std::vector<std::size_t> lengths = dims();
  for (std::size_t n : lengths) {
    std::vector<float> z(n + 1, 0.0f);
    for (const KernelSet *k : available_sets()) {
      BOOST_CHECK_MESSAGE(k->dot(z.data(), z.data() + 1, n) == 0.0f, k->isa << " dot of zeros, n=" << n);
      BOOST_CHECK_MESSAGE(k->l2sq(z.data(), z.data() + 1, n) == 0.0f, k->isa << " l2sq of zeros, n=" << n);
    }
  }
}

BOOST_AUTO_TEST_CASE(identical_vectors_have_zero_distance) {
  for (std::size_t n : dims()) {
    Buffer a(n + 1), b(n + 1);
    fill_uniform(a.at(0), n, 1e3f);
    std::memcpy(b.at(1), a.at(0), n * sizeof(float));  // the same values at another alignment
    for (const KernelSet *k : available_sets())
      BOOST_CHECK_MESSAGE(k->l2sq(a.at(0), b.at(1), n) == 0.0f, k->isa << " l2sq(a, a) != 0, n=" << n);
  }
}

BOOST_AUTO_TEST_CASE(alternating_signs_cancel_exactly) {
  // Small integers: every partial sum is exact in float whatever the order,
  // so every kernel must give the exact answer, including the cancellation.
  for (std::size_t n : dims()) {
    Buffer a(n + 1), b(n + 1);
    float *x = a.at(1), *y = b.at(1);
    for (std::size_t i = 0; i < n; ++i) {
      x[i] = i % 2 ? -3.0f : 3.0f;
      y[i] = 2.0f;
    }
    float expected_dot = n % 2 ? 6.0f : 0.0f;
    float expected_l2 = float(n / 2) * 25.0f + float((n + 1) / 2) * 1.0f;
    for (const KernelSet *k : available_sets()) {
      BOOST_CHECK_MESSAGE(k->dot(x, y, n) == expected_dot, k->isa << " alternating dot n=" << n << ": "
                                                                  << k->dot(x, y, n));
      BOOST_CHECK_MESSAGE(k->l2sq(x, y, n) == expected_l2, k->isa << " alternating l2sq n=" << n << ": "
                                                                  << k->l2sq(x, y, n));
    }
  }
  // Random magnitudes with alternating signs: heavy cancellation.
  check_pairs(
      [](float *a, float *b, std::size_t n) {
        fill_uniform(b, n, 1.0f);
        for (std::size_t i = 0; i < n; ++i) a[i] = i % 2 ? -b[i] : b[i];
      },
      dims());
}

BOOST_AUTO_TEST_CASE(large_magnitudes) {
  // Components near 1e18: products near 1e36, and sums of up to 70 of them
  // (and squared differences up to 2e18) stay below FLT_MAX (3.4e38).
  std::vector<std::size_t> lengths;
  for (std::size_t n = 1; n <= 70; ++n) lengths.push_back(n);
  check_pairs(
      [](float *a, float *b, std::size_t n) {
        fill_uniform(a, n, 1e18f);
        fill_uniform(b, n, 1e18f);
      },
      lengths);
}

BOOST_AUTO_TEST_CASE(denormals_are_not_flushed) {
  // Denormal components times large ones give normal products (about
  // 1e-24), which a kernel running with flush-to-zero or denormals-are-zero
  // would lose; 1e15 keeps the squared differences finite.
  check_pairs(
      [](float *a, float *b, std::size_t n) {
        fill_uniform(a, n, 1e-39f);
        fill_uniform(b, n, 1e15f);
      },
      dims());
  // And a known value: n * (1e-40 * 1e30).
  for (std::size_t n : {1, 15, 16, 17, 33, 1000}) {
    std::vector<float> a(n, 1e-40f), b(n, 1e30f);
    for (const KernelSet *k : available_sets()) {
      float got = k->dot(a.data(), b.data(), n);
      BOOST_CHECK_MESSAGE(std::fabs(got - 1e-10 * double(n)) <= 1e-4 * 1e-10 * double(n),
                          k->isa << " denormal dot n=" << n << ": " << got);
    }
  }
  // Denormal by denormal underflows to (almost) zero, never to garbage.
  check_pairs(
      [](float *a, float *b, std::size_t n) {
        fill_uniform(a, n, 1e-39f);
        fill_uniform(b, n, 1e-39f);
      },
      dims());
}

// ---------------------------------------------------------------------------
// score_rows.

BOOST_AUTO_TEST_CASE(score_rows_random) {
  // Row counts around the 4-row blocks, at every dim.
  for (std::size_t dim : dims()) {
    std::size_t max_rows = dim >= 65536 ? 5 : 9;
    for (std::size_t nrows = 0; nrows <= max_rows; ++nrows) check_rows(nrows, dim, nrows % 2);
  }
}

BOOST_AUTO_TEST_CASE(score_rows_adversarial) {
  // Rows of zeros, a row equal to the query, and alternating signs, in one
  // matrix of 6 rows (one 4-row block and a remainder of 2).
  for (std::size_t dim : {1, 7, 8, 15, 16, 17, 31, 33, 129}) {
    Buffer qb(dim + 1), rb(6 * dim + 1);
    float *q = qb.at(1), *rows = rb.at(1);
    for (std::size_t i = 0; i < dim; ++i) q[i] = float(i % 5) - 2.0f;
    for (std::size_t i = 0; i < dim; ++i) {
      rows[0 * dim + i] = 0.0f;
      rows[1 * dim + i] = q[i];
      rows[2 * dim + i] = i % 2 ? -1.0f : 1.0f;
      rows[3 * dim + i] = -q[i];
      rows[4 * dim + i] = 0.0f;
      rows[5 * dim + i] = q[i];
    }
    for (const KernelSet *k : available_sets()) {
      for (bool l2 : {false, true}) {
        float scores[6];
        k->score_rows(q, rows, 6, dim, l2, scores);
        for (std::size_t r = 0; r < 6; ++r) {
          // Small integers again: the exact answer is expected.
          Reference ref = l2 ? ref_l2sq(q, rows + r * dim, dim) : ref_dot(q, rows + r * dim, dim);
          float expected = float(l2 ? -ref.value : ref.value);
          BOOST_CHECK_MESSAGE(scores[r] == expected, k->isa << " adversarial row " << r << " l2=" << l2 << " dim "
                                                            << dim << ": " << scores[r] << " vs " << expected);
        }
      }
    }
  }
}
