#include "index/distance.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <vector>

#include "index/half_float.h"
#include "index/kernel_table.h"
#include "index/runnable_kernels_test_util.h"
#include "util/cpu_features.h"
#include "util/dataset.h"

namespace drift {
namespace {

const size_t kDims[] = {1, 3, 7, 8, 9, 15, 16, 17, 31, 33, 64, 128, 784, 1000};

double RefL2(const float* a, const float* b, size_t d) {
  double s = 0;
  for (size_t j = 0; j < d; ++j)
    s += (double(a[j]) - b[j]) * (double(a[j]) - b[j]);
  return s;
}

double RefDot(const float* a, const float* b, size_t d) {
  double s = 0;
  for (size_t j = 0; j < d; ++j) s += double(a[j]) * b[j];
  return s;
}

// sum_j |a_j * b_j|-sized bound on float summation error.
double DotTolerance(const float* a, const float* b, size_t d) {
  double s = 0;
  for (size_t j = 0; j < d; ++j) s += std::fabs(double(a[j]) * b[j]);
  return 1e-5 * s + 1e-6;
}

// Every kernel level this CPU can run.
std::vector<const internal::Kernels*> RunnableKernels() {
  std::vector<const internal::Kernels*> out;
  for (IsaLevel l : {IsaLevel::kScalar, IsaLevel::kAvx2, IsaLevel::kAvx512}) {
    if (ClampToSupported(l) == l) out.push_back(&internal::KernelsFor(l));
  }
  return out;
}

TEST(CpuFeaturesTest, ParseAndClamp) {
  IsaLevel l = IsaLevel::kAvx512;
  EXPECT_TRUE(ParseIsaLevel("scalar", &l));
  EXPECT_EQ(l, IsaLevel::kScalar);
  EXPECT_TRUE(ParseIsaLevel("avx2", &l));
  EXPECT_EQ(l, IsaLevel::kAvx2);
  EXPECT_TRUE(ParseIsaLevel("avx512", &l));
  EXPECT_EQ(l, IsaLevel::kAvx512);
  EXPECT_FALSE(ParseIsaLevel("sse9", &l));
  EXPECT_EQ(l, IsaLevel::kAvx512);
  EXPECT_EQ(ClampToSupported(IsaLevel::kScalar), IsaLevel::kScalar);
  EXPECT_LE(static_cast<int>(ClampToSupported(IsaLevel::kAvx512)),
            static_cast<int>(DetectedIsa()));
  EXPECT_EQ(
      DetectCpuFeatures().avx2_fma,
      static_cast<int>(DetectedIsa()) >= static_cast<int>(IsaLevel::kAvx2));
  std::printf("detected %s, active %s, vnni %d\n", IsaName(DetectedIsa()),
              IsaName(ActiveIsa()), DetectCpuFeatures().avx512_vnni);
}

// ctest also runs this binary with DRIFT_ISA=scalar and DRIFT_ISA=avx2.
TEST(CpuFeaturesTest, EnvironmentOverride) {
  const char* env = std::getenv("DRIFT_ISA");
  IsaLevel forced;
  if (env == nullptr || !ParseIsaLevel(env, &forced)) {
    EXPECT_EQ(ActiveIsa(), DetectedIsa());
    return;
  }
  EXPECT_EQ(ActiveIsa(), ClampToSupported(forced));
  EXPECT_EQ(internal::ActiveKernels().level, ActiveIsa());
}

TEST(DistanceTest, PairKernelsMatchReference) {
  for (const internal::Kernels* k : RunnableKernels()) {
    for (size_t d : kDims) {
      std::vector<float> v = GaussianVectors(2, d, 7 + d);
      const float* a = v.data();
      const float* b = v.data() + d;
      SCOPED_TRACE(testing::Message() << IsaName(k->level) << " d=" << d);
      EXPECT_NEAR(k->l2sqr(a, b, d), RefL2(a, b, d),
                  1e-5 * RefL2(a, b, d) + 1e-6);
      EXPECT_NEAR(k->inner_product(a, b, d), RefDot(a, b, d),
                  DotTolerance(a, b, d));
      EXPECT_EQ(k->l2sqr(a, a, d), 0.0f);
    }
  }
}

TEST(DistanceTest, PublicFunctionsUseActiveKernels) {
  std::vector<float> v = GaussianVectors(2, 100, 1);
  const internal::Kernels& k = internal::ActiveKernels();
  EXPECT_EQ(L2Sqr(v.data(), v.data() + 100, 100),
            k.l2sqr(v.data(), v.data() + 100, 100));
  EXPECT_EQ(InnerProduct(v.data(), v.data() + 100, 100),
            k.inner_product(v.data(), v.data() + 100, 100));
}

// out[i] (n rows of a many-row kernel) against the double-precision distance
// of q to rows[i] (n x d floats).
void ExpectManyNearReference(const internal::Kernels* k, const float* q,
                             const float* rows, const float* out, size_t n,
                             size_t d) {
  for (size_t i = 0; i < n; ++i) {
    double ref = RefL2(q, rows + i * d, d);
    ASSERT_NEAR(out[i], ref, 1e-5 * ref + 1e-6)
        << IsaName(k->level) << " d=" << d << " i=" << i;
  }
}

TEST(DistanceTest, L2SqrManyMatchesReference) {
  const size_t n = 37;
  for (const internal::Kernels* k : RunnableKernels()) {
    for (size_t d : kDims) {
      std::vector<float> q = GaussianVectors(1, d, 3);
      std::vector<float> base = GaussianVectors(n, d, 4);
      std::vector<float> out(n);
      k->l2sqr_many(q.data(), base.data(), n, d, out.data());
      ExpectManyNearReference(k, q.data(), base.data(), out.data(), n, d);
    }
  }
  std::vector<float> q = GaussianVectors(1, 17, 5),
                     base = GaussianVectors(5, 17, 6);
  std::vector<float> out(5);
  L2SqrMany(q.data(), base.data(), 5, 17, out.data());
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(out[i], L2Sqr(q.data(), base.data() + i * 17, 17));
  }
}

TEST(DistanceTest, L2SqrHalfManyMatchesReference) {
  const size_t n = 37;
  for (const internal::Kernels* k : test::RunnableTables()) {
    for (size_t d : kDims) {
      std::vector<float> q = GaussianVectors(1, d, 3);
      std::vector<float> rows = GaussianVectors(n, d, 4);
      std::vector<uint16_t> base(rows.size());
      std::vector<float> exact(rows.size());  // what the halves hold
      for (size_t i = 0; i < rows.size(); ++i) {
        base[i] = FloatToHalf(rows[i]);
        exact[i] = HalfToFloat(base[i]);
      }
      std::vector<float> out(n);
      k->l2sqr_half_many(q.data(), base.data(), n, d, out.data());
      ExpectManyNearReference(k, q.data(), exact.data(), out.data(), n, d);
    }
  }
}

// Every finite half, in every lane of full-width and partial loads, converts
// to the float HalfToFloat gives (its square is exact in a float).
TEST(DistanceTest, HalfKernelsConvertEveryHalfExactly) {
  constexpr size_t kFull = 32, kPartial = 7;
  std::vector<uint16_t> halves;
  for (uint32_t h = 0; h <= 0xffff; ++h) {
    if ((h & 0x7c00) != 0x7c00) halves.push_back(static_cast<uint16_t>(h));
  }
  for (const internal::Kernels* k : test::RunnableTables()) {
    for (size_t d : {kFull, kPartial}) {
      std::vector<uint16_t> base(halves.size() * d, 0);
      for (size_t i = 0; i < halves.size(); ++i) {
        base[i * d + i % d] = halves[i];
      }
      std::vector<float> q(d, 0.0f), out(halves.size());
      k->l2sqr_half_many(q.data(), base.data(), halves.size(), d, out.data());
      for (size_t i = 0; i < halves.size(); ++i) {
        const float f = HalfToFloat(halves[i]);
        ASSERT_EQ(out[i], f * f)
            << IsaName(k->level) << " d=" << d << " half=" << halves[i];
      }
    }
  }
}

TEST(DistanceTest, DotBlockMatchesReference) {
  for (const internal::Kernels* k : RunnableKernels()) {
    for (size_t d :
         {size_t{1}, size_t{3}, size_t{17}, size_t{128}, size_t{1000}}) {
      for (size_t nx : {size_t{1}, size_t{5}, size_t{13}}) {
        for (size_t nc : {size_t{1}, size_t{7}, size_t{26}}) {
          std::vector<float> x = GaussianVectors(nx, d, 11);
          std::vector<float> c = GaussianVectors(nc, d, 12);
          std::vector<float> out(nx * nc, -1.0f);
          k->dot_block(x.data(), nx, c.data(), nc, d, out.data());
          for (size_t i = 0; i < nx; ++i) {
            for (size_t j = 0; j < nc; ++j) {
              const float* xi = x.data() + i * d;
              const float* cj = c.data() + j * d;
              ASSERT_NEAR(out[i * nc + j], RefDot(xi, cj, d),
                          DotTolerance(xi, cj, d))
                  << IsaName(k->level) << " d=" << d << " nx=" << nx
                  << " nc=" << nc << " i=" << i << " j=" << j;
            }
          }
        }
      }
    }
  }
}

// Brute force: the assigned centroid is a nearest one (up to rounding), and
// dist is its exact distance.
void CheckAssignment(const internal::Kernels& k, size_t n, size_t nc, size_t d,
                     uint32_t seed) {
  std::vector<float> x = GaussianVectors(n, d, seed);
  std::vector<float> c = GaussianVectors(nc, d, seed + 1);
  std::vector<uint32_t> assign(n);
  std::vector<float> dist(n);
  internal::AssignNearestWith(k, x.data(), n, c.data(), nc, d, assign.data(),
                              dist.data());
  for (size_t i = 0; i < n; ++i) {
    const float* xi = x.data() + i * d;
    double best = RefL2(xi, c.data(), d);
    for (size_t j = 1; j < nc; ++j)
      best = std::min(best, RefL2(xi, c.data() + j * d, d));
    ASSERT_LT(assign[i], nc);
    double got = RefL2(xi, c.data() + assign[i] * d, d);
    ASSERT_LE(got, best + 1e-4 * (best + RefDot(xi, xi, d)))
        << IsaName(k.level) << " n=" << n << " k=" << nc << " d=" << d
        << " i=" << i;
    ASSERT_EQ(dist[i], k.l2sqr(xi, c.data() + assign[i] * d, d));
    ASSERT_GE(dist[i], 0.0f);
  }
}

TEST(AssignNearestTest, MatchesBruteForce) {
  for (const internal::Kernels* k : RunnableKernels()) {
    CheckAssignment(*k, 1, 1, 1, 1);
    CheckAssignment(*k, 100, 3, 3, 2);
    CheckAssignment(*k, 101, 37, 17, 3);
    CheckAssignment(*k, 200, 256, 128, 4);
    CheckAssignment(*k, 97, 300, 784, 5);  // several centroid blocks
    CheckAssignment(*k, 50, 20, 1000, 6);
  }
}

TEST(AssignNearestTest, TiesGoToLowestIndex) {
  const size_t d = 19, n = 50;
  std::vector<float> x = GaussianVectors(n, d, 9);
  std::vector<float> base = GaussianVectors(1, d, 10);
  // Centroids 2, 5 and 6 are identical copies of the best candidate.
  std::vector<float> c(8 * d, 1000.0f);
  for (size_t j : {2, 5, 6})
    std::copy(base.begin(), base.end(), c.begin() + j * d);
  for (const internal::Kernels* k : RunnableKernels()) {
    std::vector<uint32_t> assign(n);
    internal::AssignNearestWith(*k, x.data(), n, c.data(), 8, d, assign.data(),
                                nullptr);
    for (uint32_t a : assign) EXPECT_EQ(a, 2u) << IsaName(k->level);
  }
  // A point equal to a centroid gets distance exactly 0 (clamped, not -eps).
  std::vector<uint32_t> assign(1);
  std::vector<float> dist(1);
  AssignNearest(base.data(), 1, c.data(), 8, d, assign.data(), dist.data());
  EXPECT_EQ(assign[0], 2u);
  EXPECT_EQ(dist[0], 0.0f);
}

}  // namespace
}  // namespace drift
