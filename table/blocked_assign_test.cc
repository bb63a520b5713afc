#include "table/blocked_assign.h"

#include <random>

#include "gtest/gtest.h"
#include "index/distance.h"
#include "index/kmeans.h"
#include "tests/test_util.h"

namespace drift {
namespace {

std::vector<float> Clustered(size_t n, size_t d, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal;
  std::vector<float> centres(32 * d);
  for (float& c : centres) c = 3 * normal(rng);
  std::vector<float> x(n * d);
  for (size_t i = 0; i < n; ++i) {
    const float* c = &centres[(rng() % 32) * d];
    for (size_t j = 0; j < d; ++j) x[i * d + j] = c[j] + normal(rng);
  }
  return x;
}

Codebook Train(const std::vector<float>& x, size_t d, size_t k) {
  Codebook cb;
  cb.dim = static_cast<uint32_t>(d);
  EXPECT_OK(
      KMeans(x.data(), x.size() / d, d, k, KMeansOptions(), &cb.centroids));
  EXPECT_OK(cb.BuildCoarseLayer());
  return cb;
}

// With a coarse layer: Assign's choice up to rounding of near ties.
TEST(BlockedAssignTest, AgreesWithCodebookAssign) {
  for (size_t d : {7u, 64u, 130u}) {
    const size_t n = 5000 + 77;  // not a multiple of the block
    const auto x = Clustered(n, d, d);
    const Codebook cb = Train(x, d, 200);
    ASSERT_FALSE(cb.members.empty());
    std::vector<uint32_t> want(n), got(n);
    cb.Assign(x.data(), n, want.data());
    BlockedAssigner(cb).Assign(x.data(), n, got.data());
    size_t differ = 0;
    for (size_t i = 0; i < n; ++i) {
      if (got[i] == want[i]) continue;
      ++differ;
      const float a = L2Sqr(&x[i * d], cb.centroid(got[i]), d);
      const float b = L2Sqr(&x[i * d], cb.centroid(want[i]), d);
      EXPECT_NEAR(a, b, 1e-4 * (a + b)) << d << " " << i;
    }
    EXPECT_LE(differ, n / 1000) << d;
  }
}

// Without one: exactly AssignNearest.
TEST(BlockedAssignTest, SmallCodebookIsExactNearest) {
  const size_t d = 16, n = 3000;
  const auto x = Clustered(n, d, 1);
  const Codebook cb = Train(x, d, 40);
  ASSERT_TRUE(cb.members.empty());
  std::vector<uint32_t> want(n), got(n);
  AssignNearest(x.data(), n, cb.centroids.data(), cb.size(), d, want.data(),
                nullptr);
  BlockedAssigner(cb).Assign(x.data(), n, got.data());
  EXPECT_EQ(got, want);
}

}  // namespace
}  // namespace drift
