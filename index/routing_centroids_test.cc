#include "index/routing_centroids.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "index/distance.h"
#include "util/dataset.h"

namespace drift {
namespace {

constexpr size_t kDim = 40;
constexpr size_t kCentroids = 60;
constexpr size_t kGroups = 4;

// Centroids x * scale + offset in groups of 15 slots (interleaved, as
// k-means groups are), the coarse centroids their group means.
struct Layout {
  std::vector<float> centroids, coarse;
  std::vector<std::vector<uint32_t>> members;
};

Layout MakeLayout(float scale, float offset) {
  Layout l;
  l.centroids = GaussianVectors(kCentroids, kDim, 11);
  for (float& v : l.centroids) v = v * scale + offset;
  l.members.resize(kGroups);
  l.coarse.assign(kGroups * kDim, 0.0f);
  for (uint32_t s = 0; s < kCentroids; ++s) l.members[s % kGroups].push_back(s);
  for (size_t g = 0; g < kGroups; ++g) {
    for (uint32_t s : l.members[g]) {
      for (size_t j = 0; j < kDim; ++j) {
        l.coarse[g * kDim + j] +=
            l.centroids[s * kDim + j] / l.members[g].size();
      }
    }
  }
  return l;
}

// Every member's distance within `rel` of the float centroid's distance.
void ExpectNearExact(const Layout& l, const RoutingCentroids& rc,
                     const std::vector<float>& query, double rel) {
  std::vector<float> scratch(kDim), dist;
  for (uint32_t g = 0; g < kGroups; ++g) {
    dist.resize(l.members[g].size());
    rc.GroupDistances(query.data(), g, l.members[g], l.centroids.data(),
                      scratch.data(), dist.data());
    for (size_t i = 0; i < dist.size(); ++i) {
      const float exact = L2Sqr(
          query.data(), l.centroids.data() + l.members[g][i] * kDim, kDim);
      ASSERT_TRUE(std::isfinite(dist[i]));
      ASSERT_NEAR(dist[i], exact, rel * exact) << "group " << g << " i " << i;
    }
  }
}

// Residuals keep the precision where the data sits far from the origin (a
// half of the raw value 1000 would be off by up to 0.25).
TEST(RoutingCentroidsTest, DistancesAreNearExactAtAnyOffsetAndScale) {
  for (float scale : {1e-20f, 1e-3f, 1.0f, 1e4f, 1e15f}) {
    for (float offset : {0.0f, 1000.0f * scale}) {
      SCOPED_TRACE(testing::Message()
                   << "scale " << scale << " offset " << offset);
      const Layout l = MakeLayout(scale, offset);
      RoutingCentroids rc;
      rc.Build(l.centroids.data(), kDim, l.coarse.data(), l.members);
      ASSERT_FALSE(rc.empty());
      std::vector<float> query = GaussianVectors(1, kDim, 5);
      for (float& v : query) v = v * scale + offset;
      ExpectNearExact(l, rc, query, 2e-3);
    }
  }
}

// A query so far away that its scaled distance overflows (the float one
// does not) is measured against the float centroids.
TEST(RoutingCentroidsTest, FarQueriesFallBackToTheFloats) {
  const Layout l = MakeLayout(1.0f, 0.0f);
  RoutingCentroids rc;
  rc.Build(l.centroids.data(), kDim, l.coarse.data(), l.members);
  const std::vector<float> query(kDim, 1e18f);  // 4e37 in floats, not scaled
  ExpectNearExact(l, rc, query, 1e-5);
}

TEST(RoutingCentroidsTest, EmptyWithoutGroupsAndHalfTheBytes) {
  const Layout l = MakeLayout(1.0f, 0.0f);
  RoutingCentroids rc;
  rc.Build(l.centroids.data(), kDim, l.coarse.data(), {});
  EXPECT_TRUE(rc.empty());
  rc.Build(l.centroids.data(), kDim, l.coarse.data(), l.members);
  EXPECT_FALSE(rc.empty());
  EXPECT_LT(rc.MemoryBytes(), l.centroids.size() * sizeof(float) / 2 +
                                  l.coarse.size() * 4 + 64 * sizeof(uint32_t) +
                                  4096);
}

}  // namespace
}  // namespace drift
