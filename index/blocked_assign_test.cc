#include "index/blocked_assign.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "gtest/gtest.h"
#include "index/distance.h"
#include "index/kmeans.h"
#include "tests/test_util.h"
#include "util/dataset.h"

namespace drift {
namespace {

Codebook Train(const std::vector<float>& x, size_t d, size_t k) {
  Codebook cb;
  cb.dim = static_cast<uint32_t>(d);
  EXPECT_OK(
      KMeans(x.data(), x.size() / d, d, k, KMeansOptions(), &cb.centroids));
  EXPECT_OK(cb.BuildCoarseLayer());
  return cb;
}

// Assign's rule with exact L2 distances: the nearest centroid among the
// members of the 3 coarse groups nearest to v.
uint32_t ReferenceSlot(const Codebook& cb, const float* v) {
  const size_t d = cb.dim, g = cb.members.size();
  std::vector<std::pair<float, uint32_t>> groups;
  for (uint32_t i = 0; i < g; ++i) {
    groups.push_back({L2Sqr(v, &cb.coarse_centroids[i * d], d), i});
  }
  std::stable_sort(
      groups.begin(), groups.end(),
      [](const auto& a, const auto& b) { return a.first < b.first; });
  float best = std::numeric_limits<float>::infinity();
  uint32_t best_slot = 0;
  for (size_t k = 0; k < std::min<size_t>(3, g); ++k) {
    for (uint32_t slot : cb.members[groups[k].second]) {
      const float dist = L2Sqr(v, cb.centroid(slot), d);
      if (dist < best || (dist == best && slot < best_slot)) {
        best = dist;
        best_slot = slot;
      }
    }
  }
  return best_slot;
}

// With a coarse layer: the exact-L2 rule's choice up to rounding of near ties
// (the blocked |c|^2 - 2 x.c differs from L2 in the last bits).
TEST(BlockedAssignTest, AgreesWithExactDistancesUpToNearTies) {
  for (size_t d : {7u, 64u, 130u}) {
    const size_t n = 5000 + 77;  // not a multiple of the block
    const auto x = GaussianClusters(n, d, 32, 3, d);
    const Codebook cb = Train(x, d, 200);
    ASSERT_FALSE(cb.members.empty());
    std::vector<uint32_t> got(n);
    BlockedAssigner(cb).Assign(x.data(), n, got.data());
    size_t differ = 0;
    for (size_t i = 0; i < n; ++i) {
      const uint32_t want = ReferenceSlot(cb, &x[i * d]);
      if (got[i] == want) continue;
      ++differ;
      const float a = L2Sqr(&x[i * d], cb.centroid(got[i]), d);
      const float b = L2Sqr(&x[i * d], cb.centroid(want), d);
      EXPECT_NEAR(a, b, 1e-4 * (a + b)) << d << " " << i;
    }
    EXPECT_LE(differ, n / 1000) << d;
  }
}

// A vector's slot depends on that vector alone, not on the batch it comes in:
// segments, the bucket statistics (memtable rows in batches) and the edit
// planner (a sample) all agree on it.
TEST(BlockedAssignTest, SlotOfARowDoesNotDependOnItsBatch) {
  for (size_t k : {40u, 300u}) {  // without and with a coarse layer
    const size_t d = 33, n = 2500;
    const auto x = GaussianClusters(n, d, 32, 3, k);
    const Codebook cb = Train(x, d, k);
    EXPECT_EQ(cb.members.empty(), k < Codebook::kMinCoarseSize);
    std::vector<uint32_t> whole(n), batched(n);
    cb.Assign(x.data(), n, whole.data());
    size_t first = 0;
    for (size_t batch = 1; first < n; batch = batch * 3 + 1) {
      const size_t count = std::min(batch, n - first);
      cb.Assign(&x[first * d], count, &batched[first]);
      first += count;
    }
    EXPECT_EQ(batched, whole) << k;
    std::vector<uint32_t> blocked(n);
    BlockedAssigner(cb).Assign(x.data(), n, blocked.data());
    EXPECT_EQ(blocked, whole) << k;
  }
}

// Without one: exactly AssignNearest.
TEST(BlockedAssignTest, SmallCodebookIsExactNearest) {
  const size_t d = 16, n = 3000;
  const auto x = GaussianClusters(n, d, 32, 3, 1);
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
