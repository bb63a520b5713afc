#include "db/probe_planner.h"

#include <algorithm>
#include <memory>
#include <random>

#include "gtest/gtest.h"
#include "table/bucket_directory.h"

namespace drift {
namespace {

constexpr uint32_t kDim = 2;
constexpr uint64_t kEpoch = 7;

// 16 centroids on a 4 x 4 grid (no coarse layer), calibrated so that
// probing 1, 2, 3, 4 slots finds 0.5, 0.8, 0.95, 1 of the neighbours.
std::shared_ptr<const Codebook> GridCodebook(bool calibrated = true) {
  auto cb = std::make_shared<Codebook>();
  cb->epoch = kEpoch;
  cb->dim = kDim;
  for (int i = 0; i < 4; ++i) {
    for (int j = 0; j < 4; ++j) {
      cb->centroids.push_back(static_cast<float>(i));
      cb->centroids.push_back(static_cast<float>(j));
    }
  }
  if (calibrated) cb->calibration = {{1, 0.5f}, {2, 0.8f}, {3, 0.95f}, {4, 1}};
  return cb;
}

std::vector<float> RandomQueries(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(-0.5f, 3.5f);
  std::vector<float> q(n * kDim);
  for (float& v : q) v = u(rng);
  return q;
}

// A segment directory with one bucket per given (centroid x, slot).
BucketDirectory Directory(uint64_t epoch, const std::vector<float>& xs) {
  BucketDirectory dir;
  dir.dim = kDim;
  dir.codebook_epoch = epoch;
  for (size_t b = 0; b < xs.size(); ++b) {
    BucketHeader h;
    dir.centroids.insert(dir.centroids.end(), {xs[b], 0});
    h.slot = static_cast<uint32_t>(b);
    dir.buckets.push_back(h);
  }
  return dir;
}

TEST(ProbePlannerTest, QueryPositionIsStableAndSpreadsQueries) {
  const size_t n = 20000;
  const std::vector<float> q = RandomQueries(n, 1);
  double sum = 0;
  size_t below_quarter = 0;
  for (size_t i = 0; i < n; ++i) {
    const float u = QueryPosition(q.data() + i * kDim, kDim);
    const std::vector<float> copy(q.begin() + i * kDim,
                                  q.begin() + (i + 1) * kDim);
    ASSERT_EQ(u, QueryPosition(copy.data(), kDim));  // bits, not address
    ASSERT_GE(u, 0.0f);
    ASSERT_LT(u, 1.0f);
    sum += u;
    below_quarter += u < 0.25f;
  }
  EXPECT_NEAR(sum / n, 0.5, 0.01);
  EXPECT_NEAR(static_cast<double>(below_quarter) / n, 0.25, 0.01);
}

TEST(ProbePlannerTest, TheMixMeetsTheRecallTargetOnAverage) {
  const auto cb = GridCodebook();
  const size_t n = 20000;
  const std::vector<float> q = RandomQueries(n, 2);
  for (float target : {0.6f, 0.9f, kDefaultRecallTarget}) {
    SearchOptions so;
    so.recall_target = target;
    const Codebook::ProbeMix mix = cb->ProbesForRecall(target);
    ASSERT_LT(mix.fraction, 1.0f);
    double recall = 0;
    size_t full = 0;
    for (size_t i = 0; i < n; ++i) {
      const float* query = q.data() + i * kDim;
      const ProbePlan plan = PlanProbes(so, cb, kDim, query);
      // Each query probes nprobe or nprobe - 1 of its nearest slots.
      const size_t p = plan.slots.size();
      ASSERT_TRUE(p == mix.nprobe || p == mix.nprobe - 1u) << p;
      std::vector<uint32_t> nearest;
      cb->NearestSlots(query, p, &nearest);
      ASSERT_EQ(plan.slots, nearest);
      // A repeated query probes the same slots.
      ASSERT_EQ(PlanProbes(so, cb, kDim, query).slots, plan.slots);
      recall += cb->CalibratedRecall(static_cast<uint32_t>(p));
      full += p == mix.nprobe;
    }
    EXPECT_NEAR(recall / n, target, 0.005) << target;
    EXPECT_NEAR(static_cast<double>(full) / n, mix.fraction, 0.02) << target;
  }
  // recall_target 0 is the default target.
  SearchOptions by_default, explicit_default;
  explicit_default.recall_target = kDefaultRecallTarget;
  for (size_t i = 0; i < 1000; ++i) {
    const float* query = q.data() + i * kDim;
    ASSERT_EQ(PlanProbes(by_default, cb, kDim, query).slots,
              PlanProbes(explicit_default, cb, kDim, query).slots);
  }
}

TEST(ProbePlannerTest, TargetsOutsideTheMixProbeOneCount) {
  const auto cb = GridCodebook();
  const std::vector<float> q = RandomQueries(200, 3);
  // 1.0 needs every calibrated probe; 0.3 is met by the first point.
  for (auto [target, want] :
       {std::pair<float, size_t>{1.0f, 4}, std::pair<float, size_t>{0.3f, 1}}) {
    SearchOptions so;
    so.recall_target = target;
    for (size_t i = 0; i < 200; ++i) {
      EXPECT_EQ(PlanProbes(so, cb, kDim, q.data() + i * kDim).slots.size(),
                want);
    }
  }
}

TEST(ProbePlannerTest, NprobeOverridesTheTargetAndIsClamped) {
  const auto cb = GridCodebook();
  const std::vector<float> q = RandomQueries(1, 4);
  SearchOptions so;
  so.recall_target = 0.99f;
  so.nprobe = 5;
  ProbePlan plan = PlanProbes(so, cb, kDim, q.data());
  EXPECT_EQ(plan.slots.size(), 5u);
  EXPECT_EQ(plan.nprobe, 5u);
  so.nprobe = 1000;
  plan = PlanProbes(so, cb, kDim, q.data());
  EXPECT_EQ(plan.slots.size(), cb->size());
  // Without calibration: DefaultCodebookNprobe.
  so.nprobe = 0;
  plan = PlanProbes(so, GridCodebook(false), kDim, q.data());
  EXPECT_EQ(plan.slots.size(), DefaultCodebookNprobe(16));
  EXPECT_EQ(DefaultCodebookNprobe(16), 8u);
  EXPECT_EQ(DefaultCodebookNprobe(1600), 100u);
  EXPECT_EQ(DefaultCodebookNprobe(5), 5u);
}

TEST(ProbePlannerTest, ExhaustiveScansEveryBucket) {
  SearchOptions so;
  so.exhaustive = true;
  so.nprobe = 2;
  const std::vector<float> q = {0.1f, 0};
  const ProbePlan plan = PlanProbes(so, GridCodebook(), kDim, q.data());
  EXPECT_TRUE(plan.exhaustive);
  EXPECT_TRUE(plan.slots.empty());
  const auto none = [](uint32_t) { return ~0u; };
  for (uint64_t epoch : {kEpoch, kEpoch + 1}) {
    const BucketDirectory dir = Directory(epoch, {0, 1, 2, 3, 4});
    EXPECT_EQ(BucketsToProbe(dir, dir.centroids.data(), none, plan, q.data()),
              (std::vector<uint32_t>{0, 1, 2, 3, 4}));
  }
  EXPECT_EQ(RerankDepth(so, 10), 0u);  // every candidate
}

TEST(ProbePlannerTest, SegmentsOfTheEpochProbeTheSlotsOthersRouteThemselves) {
  SearchOptions so;
  so.nprobe = 3;
  const std::vector<float> q = {0, 0};
  const ProbePlan plan = PlanProbes(so, GridCodebook(), kDim, q.data());
  ASSERT_EQ(plan.slots, (std::vector<uint32_t>{0, 1, 4}));  // (0,0) (0,1) (1,0)
  // Same epoch: the slots' buckets, in plan order; slot 1 has none here.
  const BucketDirectory dir = Directory(kEpoch, {9, 9, 9, 9, 9});
  const auto bucket_of_slot = [](uint32_t slot) {
    return slot == 0 ? 2u : slot == 4 ? 0u : ~0u;
  };
  EXPECT_EQ(
      BucketsToProbe(dir, dir.centroids.data(), bucket_of_slot, plan, q.data()),
      (std::vector<uint32_t>{2, 0}));
  // Another epoch: the segment's own nearest centroids, nprobe of them.
  const BucketDirectory other = Directory(kEpoch + 1, {5, -1, 3, 0.5f, 8});
  EXPECT_EQ(BucketsToProbe(other, other.centroids.data(), bucket_of_slot, plan,
                           q.data()),
            (std::vector<uint32_t>{3, 1, 2}));
  // Without nprobe: DefaultNprobe (at least 8, all 5 here).
  SearchOptions target;
  const ProbePlan by_target = PlanProbes(target, nullptr, kDim, q.data());
  EXPECT_EQ(BucketsToProbe(other, other.centroids.data(), bucket_of_slot,
                           by_target, q.data()),
            (std::vector<uint32_t>{3, 1, 2, 0, 4}));
  EXPECT_EQ(DefaultNprobe(5), 5u);
  EXPECT_EQ(DefaultNprobe(800), 100u);
  EXPECT_EQ(RouteBuckets(other, other.centroids.data(), q.data(), 100).size(),
            5u);
}

// Under ip a segment of another epoch probes its buckets by the largest
// centroid inner product with the query, and so does a filtered search's
// widened round (WidenPlan keeps the metric).
TEST(ProbePlannerTest, OtherEpochsRouteByTheMetric) {
  SearchOptions so;
  so.nprobe = 2;
  const std::vector<float> q = {1, 0};
  const BucketDirectory other = Directory(kEpoch + 1, {5, -1, 3, 0.5f, 8});
  const auto no_slot = [](uint32_t) { return ~0u; };
  const ProbePlan l2 = PlanProbes(so, nullptr, kDim, q.data());
  EXPECT_EQ(
      BucketsToProbe(other, other.centroids.data(), no_slot, l2, q.data()),
      (std::vector<uint32_t>{3, 1}));  // x = 0.5, -1: nearest to 1
  const ProbePlan ip =
      PlanProbes(so, nullptr, kDim, q.data(), Metric::kInnerProduct);
  EXPECT_EQ(
      BucketsToProbe(other, other.centroids.data(), no_slot, ip, q.data()),
      (std::vector<uint32_t>{4, 0}));  // x = 8, 5: largest q.x
  const ProbePlan wider = WidenPlan(ip, 2, q.data());
  EXPECT_EQ(wider.metric, Metric::kInnerProduct);
  EXPECT_EQ(
      BucketsToProbe(other, other.centroids.data(), no_slot, wider, q.data()),
      (std::vector<uint32_t>{2, 3}));  // x = 3, 0.5: the next two
}

TEST(ProbePlannerTest, RerankDepth) {
  SearchOptions so;
  EXPECT_EQ(RerankDepth(so, 10), 20u);  // 2k
  EXPECT_EQ(RerankDepth(so, 3), 10u);   // at least 10
  so.recall_target = 0.99f;
  EXPECT_EQ(RerankDepth(so, 10), 40u);  // 4k for targets >= 0.99
  so.rerank = 5;
  EXPECT_EQ(RerankDepth(so, 10), 10u);  // never below k
  so.rerank = 50;
  EXPECT_EQ(RerankDepth(so, 10), 50u);
}

}  // namespace
}  // namespace drift
