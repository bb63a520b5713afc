#include "index/rabitq.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "index/kernel_table.h"
#include "index/runnable_kernels_test_util.h"
#include "util/cpu_features.h"
#include "util/dataset.h"

namespace drift {
namespace {

const uint32_t kDims[] = {1, 17, 64, 100, 128, 784};

using test::RunnableIsas;
using test::RunnableTables;

double Dot(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (size_t j = 0; j < a.size(); ++j) s += a[j] * b[j];
  return s;
}

std::vector<double> Rotated(const RabitqRotation& rot, const float* x) {
  std::vector<float> out(rot.padded_dim());
  rot.Apply(x, out.data());
  return std::vector<double>(out.begin(), out.end());
}

TEST(RabitqTest, RotationIsOrthogonalAndDeterministic) {
  for (uint32_t d : kDims) {
    RabitqRotation rot(d);
    ASSERT_GE(rot.padded_dim(), d);
    ASSERT_EQ(rot.padded_dim() % 64, 0u);
    std::vector<float> x = GaussianVectors(2, d, d);
    std::vector<double> a = Rotated(rot, x.data());
    std::vector<double> b = Rotated(rot, x.data() + d);
    double xa = 0, xb = 0, xab = 0;
    for (size_t j = 0; j < d; ++j) {
      xa += double{x[j]} * x[j];
      xb += double{x[d + j]} * x[d + j];
      xab += double{x[j]} * x[d + j];
    }
    EXPECT_NEAR(Dot(a, a), xa, 1e-5 * xa) << d;
    EXPECT_NEAR(Dot(b, b), xb, 1e-5 * xb) << d;
    EXPECT_NEAR(Dot(a, b), xab, 1e-5 * std::sqrt(xa * xb)) << d;
    EXPECT_EQ(Rotated(RabitqRotation(d), x.data()), a);
    // Another seed is another map.
    EXPECT_NE(Rotated(RabitqRotation(d, 7), x.data()), a);
  }
}

// The bit-plane scan of every ISA against integer popcounts: exact.
TEST(RabitqTest, PlaneScanIsExactOnEveryIsa) {
  std::mt19937_64 rng(3);
  for (size_t pd : {64, 128, 256, 512, 1024, 2048}) {
    const size_t n = 37, bytes = pd / 8, words = pd / 64;
    std::vector<uint64_t> planes(internal::kRabitqQueryBits * words);
    for (uint64_t& p : planes) p = rng();
    std::vector<uint8_t> codes(n * bytes);
    for (uint8_t& c : codes) c = static_cast<uint8_t>(rng());
    std::fill(codes.begin(), codes.begin() + bytes, 0xff);  // all ones
    for (const internal::Kernels* table : RunnableTables()) {
      const internal::Kernels& k = *table;
      const IsaLevel isa = k.level;
      std::vector<uint32_t> out(n);
      k.scan_planes(planes.data(), codes.data(), n, pd, out.data());
      for (size_t i = 0; i < n; ++i) {
        uint32_t want = 0;
        for (size_t t = 0; t < pd; ++t) {
          if (!((codes[i * bytes + t / 8] >> (t % 8)) & 1)) continue;
          for (int b = 0; b < internal::kRabitqQueryBits; ++b) {
            want += ((planes[b * words + t / 64] >> (t % 64)) & 1) << b;
          }
        }
        ASSERT_EQ(out[i], want) << IsaName(isa) << " pd=" << pd << " i=" << i;
      }
    }
  }
}

struct Pairs {
  std::vector<double> truth, est, bound;
};

// Clustered data: rows and queries around one centroid, coded and scanned
// on `isa`; the true distances and the estimator's in double.
// With ex_bits > 0, every row is refined with its extended code.
Pairs MeasurePairs(uint32_t d, size_t rows, size_t queries, float eps,
                   IsaLevel isa, uint32_t seed, uint32_t ex_bits = 0) {
  RabitqRotation rot(d);
  std::vector<float> c = GaussianVectors(1, d, seed);
  std::vector<float> x = GaussianVectors(rows, d, seed + 1);
  std::vector<float> q = GaussianVectors(queries, d, seed + 2);
  for (size_t i = 0; i < x.size(); ++i) x[i] = c[i % d] + 0.5f * x[i];
  for (size_t i = 0; i < q.size(); ++i) q[i] = c[i % d] + 0.6f * q[i];
  std::vector<float> rc(rot.padded_dim());
  rot.Apply(c.data(), rc.data());
  std::vector<uint8_t> codes(rows * RabitqCodeBytes(rot.padded_dim()));
  std::vector<float> factors(rows * kRabitqFactorsPerRow);
  std::vector<uint8_t> ex_codes(rows *
                                RabitqExCodeBytes(rot.padded_dim(), ex_bits));
  std::vector<float> ex_factors(rows * kRabitqExFactorsPerRow);
  RabitqEncode(rot, rc.data(), x.data(), rows, codes.data(), factors.data(),
               ex_bits, ex_codes.data(), ex_factors.data());
  const RabitqExCodes ex{ex_bits, ex_codes.data(), ex_factors.data()};
  Pairs p;
  std::vector<float> est(rows), bound(rows);
  for (size_t qi = 0; qi < queries; ++qi) {
    RabitqScanner scanner(rot, q.data() + qi * d, eps, isa);
    EXPECT_EQ(scanner.isa(), isa);
    scanner.ScanBucket(rc.data(), codes.data(), factors.data(), rows,
                       est.data(), bound.data());
    if (ex_bits > 0) {
      scanner.PrepareRefine(rc.data());
      for (size_t i = 0; i < rows; ++i) {
        scanner.RefineRow(codes.data(), factors.data(), ex, rows, i, est.data(),
                          bound.data());
      }
    }
    for (size_t i = 0; i < rows; ++i) {
      double t = 0;
      for (size_t j = 0; j < d; ++j) {
        const double diff = double{q[qi * d + j]} - x[i * d + j];
        t += diff * diff;
      }
      p.truth.push_back(t);
      p.est.push_back(est[i]);
      p.bound.push_back(bound[i]);
    }
  }
  return p;
}

// The estimator against its definition computed in double from the rotated
// vectors with the query unquantized, on every ISA: the scan's 4-bit grid of
// the rotated query (step delta) moves it by at most
// |rescale| * pd * delta / 2, and the
// bound lies between the code's error alone and that plus the grid's worst
// case.
TEST(RabitqTest, EstimateMatchesDoubleReferenceOnEveryIsa) {
  for (uint32_t d : kDims) {
    RabitqRotation rot(d);
    const size_t pd = rot.padded_dim(), n = 29;
    std::vector<float> c = GaussianVectors(1, d, 11);
    std::vector<float> x = GaussianVectors(n, d, 12);
    std::vector<float> q = GaussianVectors(1, d, 13);
    std::copy(c.begin(), c.end(), x.begin() + d);  // row 1 = the centroid
    std::vector<float> rc(pd);
    rot.Apply(c.data(), rc.data());
    std::vector<uint8_t> codes(n * RabitqCodeBytes(pd));
    std::vector<float> factors(n * kRabitqFactorsPerRow);
    RabitqEncode(rot, rc.data(), x.data(), n, codes.data(), factors.data());
    std::vector<double> v = Rotated(rot, q.data());
    // The grid step of the rotated query.
    const double delta = (*std::max_element(v.begin(), v.end()) -
                          *std::min_element(v.begin(), v.end())) /
                         ((1 << internal::kRabitqQueryBits) - 1);
    for (size_t j = 0; j < pd; ++j) v[j] -= rc[j];
    const double vn = std::sqrt(Dot(v, v));
    for (IsaLevel isa : RunnableIsas()) {
      RabitqScanner scanner(rot, q.data(), 2.0f, isa);
      std::vector<float> est(n), bound(n);
      scanner.ScanBucket(rc.data(), codes.data(), factors.data(), n, est.data(),
                         bound.data());
      for (size_t i = 0; i < n; ++i) {
        std::vector<double> o = Rotated(rot, x.data() + i * d);
        for (size_t j = 0; j < pd; ++j) o[j] -= rc[j];
        const double on = std::sqrt(Dot(o, o));
        double want = on * on + vn * vn, code_bound = 0, grid = 0;
        if (i != 1) {
          double l1 = 0, xv = 0;
          for (size_t j = 0; j < pd; ++j) {
            l1 += std::fabs(o[j]);
            xv += (o[j] > 0 ? 1 : -1) * v[j] / std::sqrt(double(pd));
          }
          const double a = l1 / (std::sqrt(double(pd)) * on);
          want -= 2 * on * xv / a;
          code_bound = 2.0 * 2 * on * vn * std::sqrt(1 - a * a) /
                       (a * std::sqrt(pd - 1.0));
          grid = 2 * on / (a * std::sqrt(double(pd))) * pd * delta / 2;
        }
        const double tol = 1e-4 * (on * on + vn * vn);
        EXPECT_NEAR(est[i], want, grid + tol)
            << IsaName(isa) << " d=" << d << " i=" << i;
        EXPECT_GE(bound[i], code_bound - tol)
            << IsaName(isa) << " d=" << d << " i=" << i;
        EXPECT_LE(bound[i], std::hypot(code_bound, 2.0 * grid) + tol)
            << IsaName(isa) << " d=" << d << " i=" << i;
      }
      // The centroid's own row is estimated exactly, with no error bound.
      EXPECT_NEAR(est[1], vn * vn, 1e-5 * vn * vn);
      EXPECT_EQ(bound[1], 0.0f);
    }
  }
}

// The extended code against its definition in double: the B-bit code
// unpacked from the stored bits keeps each dimension's sign, its a_B is at
// least the 1-bit a (ex_err <= err), and RefineRow's estimate and bound are
// the formula's on every ISA.
TEST(RabitqTest, ExtendedCodeMatchesDoubleReferenceOnEveryIsa) {
  for (uint32_t d : kDims) {
    for (uint32_t ex_bits = 1; ex_bits <= kRabitqMaxExBits; ++ex_bits) {
      RabitqRotation rot(d);
      const size_t pd = rot.padded_dim(), n = 19, bytes = pd / 8;
      std::vector<float> c = GaussianVectors(1, d, 21);
      std::vector<float> x = GaussianVectors(n, d, 22 + ex_bits);
      std::vector<float> q = GaussianVectors(1, d, 23);
      std::copy(c.begin(), c.end(), x.begin() + d);  // row 1 = the centroid
      std::vector<float> rc(pd);
      rot.Apply(c.data(), rc.data());
      std::vector<uint8_t> codes(n * bytes);
      std::vector<float> factors(n * kRabitqFactorsPerRow);
      std::vector<uint8_t> ex_codes(n * RabitqExCodeBytes(pd, ex_bits));
      std::vector<float> ex_factors(n * kRabitqExFactorsPerRow);
      RabitqEncode(rot, rc.data(), x.data(), n, codes.data(), factors.data(),
                   ex_bits, ex_codes.data(), ex_factors.data());
      const RabitqExCodes ex{ex_bits, ex_codes.data(), ex_factors.data()};
      std::vector<double> v = Rotated(rot, q.data());
      for (size_t j = 0; j < pd; ++j) v[j] -= rc[j];
      const double vn = std::sqrt(Dot(v, v));
      for (IsaLevel isa : RunnableIsas()) {
        RabitqScanner scanner(rot, q.data(), 3.0f, isa);
        std::vector<float> est(n), bound(n);
        scanner.PrepareRefine(rc.data());
        for (size_t i = 0; i < n; ++i) {
          scanner.RefineRow(codes.data(), factors.data(), ex, n, i, est.data(),
                            bound.data());
          std::vector<double> o = Rotated(rot, x.data() + i * d);
          for (size_t j = 0; j < pd; ++j) o[j] -= rc[j];
          const double on = std::sqrt(Dot(o, o));
          const double tol = 1e-4 * (on * on + vn * vn);
          if (i == 1) {
            EXPECT_NEAR(est[i], vn * vn, tol);
            EXPECT_EQ(bound[i], 0.0f);
            continue;
          }
          std::vector<double> y(pd);
          const uint8_t* planes = ex_codes.data() + i * (ex_bits * bytes);
          for (size_t j = 0; j < pd; ++j) {
            const uint32_t b = (codes[i * bytes + j / 8] >> (j % 8)) & 1;
            uint32_t u = b << ex_bits;
            for (uint32_t k = 0; k < ex_bits; ++k) {
              u |= ((planes[k * bytes + j / 8] >> (j % 8)) & 1u) << k;
            }
            y[j] = u - ((2u << ex_bits) - 1) / 2.0;
            if (o[j] != 0) ASSERT_EQ(y[j] > 0, o[j] > 0) << d << " " << j;
          }
          const double yo = Dot(y, o), yn = std::sqrt(Dot(y, y));
          const double a = yo / (yn * on);
          const double want = on * on + vn * vn - 2 * on * on * Dot(y, v) / yo;
          const double want_bound = 3.0 * 2 * on * vn * std::sqrt(1 - a * a) /
                                    (a * std::sqrt(pd - 1.0));
          EXPECT_NEAR(est[i], want, tol) << IsaName(isa) << " d=" << d;
          EXPECT_NEAR(bound[i], want_bound, 1e-3 * want_bound + tol)
              << IsaName(isa) << " d=" << d;
          EXPECT_LE(ex_factors[n + i], factors[2 * n + i] * (1 + 1e-5f))
              << "a_B below the 1-bit a: d=" << d << " ex=" << ex_bits;
        }
      }
    }
  }
}

// The bound holds as theory says: at eps = 3 (three standard deviations of
// the estimate's error; a Gaussian's 99.73%) for >= 99.5% of pairs, and it
// is not loose: at eps = 1 about a Gaussian's 68% fall within it. The estimate
// is unbiased: the mean error, in units of its standard deviation, is ~0.
// The same for the extended codes (ex_bits 3 and 7), whose bound must also
// be much tighter than the 1-bit one on the same pairs.
class RabitqBoundTest : public testing::TestWithParam<uint32_t> {};

INSTANTIATE_TEST_SUITE_P(ExBits, RabitqBoundTest, testing::Values(0u, 3u, 7u));

double MeanBound(const Pairs& p) {
  double s = 0;
  for (double b : p.bound) s += b;
  return s / p.bound.size();
}

TEST_P(RabitqBoundTest, BoundHoldsEmpirically) {
  const uint32_t ex_bits = GetParam();
  for (uint32_t d : {64u, 128u, 784u}) {
    for (IsaLevel isa : RunnableIsas()) {
      Pairs p = MeasurePairs(d, 400, 50, 3.0f, isa, d, ex_bits);
      if (ex_bits > 0) {
        // The 1-bit bound (code and query grid) shrinks ~8x at B = 4
        // (measured 0.13 at every d), ~100x at B = 8.
        const double ratio =
            MeanBound(p) / MeanBound(MeasurePairs(d, 400, 50, 3.0f, isa, d));
        EXPECT_LT(ratio, 0.2) << IsaName(isa) << " d=" << d;
      }
      size_t within = 0, within1 = 0;
      double mean_z = 0;
      size_t zs = 0;
      for (size_t i = 0; i < p.truth.size(); ++i) {
        const double e = std::fabs(p.est[i] - p.truth[i]);
        within += e <= p.bound[i];
        within1 += e <= p.bound[i] / 3;
        if (p.bound[i] > 0) {
          mean_z += (p.est[i] - p.truth[i]) / (p.bound[i] / 3);
          ++zs;
        }
      }
      const double n = static_cast<double>(p.truth.size());
      EXPECT_GE(within / n, ex_bits > 0 ? 0.99 : 0.995)
          << IsaName(isa) << " d=" << d;
      EXPECT_LE(within1 / n, 0.76) << IsaName(isa) << " d=" << d;
      EXPECT_GE(within1 / n, 0.6) << IsaName(isa) << " d=" << d;
      EXPECT_LT(std::fabs(mean_z / zs), 0.05) << IsaName(isa) << " d=" << d;
    }
  }
}

}  // namespace
}  // namespace drift
