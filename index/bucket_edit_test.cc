#include "index/bucket_edit.h"

#include <algorithm>

#include "gtest/gtest.h"
#include "index/distance.h"
#include "util/dataset.h"

namespace drift {
namespace {

constexpr uint32_t kDim = 8;
constexpr uint32_t kTarget = 64;

// Cluster centres on the axes, 100 apart.
std::vector<float> Centre(size_t c) {
  std::vector<float> v(kDim, 0.0f);
  v[c % kDim] = 100.0f * static_cast<float>(1 + c / kDim);
  return v;
}

// Appends n points around `centre` (+ offset on axis 1), unit noise.
void AddCluster(std::vector<float> centre, size_t n, float offset,
                GaussianSource* rng, std::vector<float>* x) {
  centre[1] += offset;
  rng->Append(centre.data(), kDim, n, 1.0f, x);
}

Codebook MakeCodebook(const std::vector<std::vector<float>>& centres) {
  Codebook cb;
  cb.epoch = 1;
  cb.dim = kDim;
  for (const auto& c : centres) {
    cb.centroids.insert(cb.centroids.end(), c.begin(), c.end());
  }
  EXPECT_TRUE(cb.BuildCoarseLayer().ok());
  return cb;
}

Codebook FromResult(const BucketEditResult& r, uint64_t epoch) {
  Codebook cb;
  cb.epoch = epoch;
  cb.dim = kDim;
  cb.centroids = r.centroids;
  EXPECT_TRUE(cb.BuildCoarseLayer().ok());
  return cb;
}

std::vector<size_t> BucketSizes(const Codebook& cb,
                                const std::vector<float>& x) {
  const size_t n = x.size() / kDim;
  std::vector<uint32_t> slot(n);
  cb.Assign(x.data(), n, slot.data());
  std::vector<size_t> sizes(cb.size());
  for (uint32_t s : slot) ++sizes[s];
  return sizes;
}

BucketEditOptions Options() {
  BucketEditOptions o;
  o.target_bucket_size = kTarget;
  o.nprobe = 2;
  return o;
}

// Runs one pass and returns the next codebook (the same one if unchanged).
Codebook Pass(const Codebook& cb, std::vector<double>* flags,
              const std::vector<float>& x, BucketEditResult* r,
              const BucketEditOptions& opt = Options()) {
  EXPECT_TRUE(PlanBucketEdits(cb, *flags, x.data(), x.size() / kDim,
                              x.size() / kDim, opt, r)
                  .ok());
  *flags = r->unsplittable;
  return r->changed() ? FromResult(*r, cb.epoch + 1) : cb;
}

TEST(BucketEditTest, SplitsOverfullBucketsUntilEveryBucketFits) {
  GaussianSource rng(1);
  std::vector<float> x;
  for (size_t c = 0; c < 3; ++c) AddCluster(Centre(c), kTarget, 0, &rng, &x);
  // Bucket 3 receives 6.25x the target, in two sub-clusters.
  AddCluster(Centre(3), 200, -8, &rng, &x);
  AddCluster(Centre(3), 200, 8, &rng, &x);
  Codebook cb = MakeCodebook({Centre(0), Centre(1), Centre(2), Centre(3)});
  std::vector<double> flags;
  BucketEditResult r;
  Codebook next = Pass(cb, &flags, x, &r);
  EXPECT_GE(r.splits, 3u);
  EXPECT_EQ(r.merges, 0u);
  EXPECT_LT(r.cost_after, r.cost_before);
  EXPECT_EQ(next.size(), 4u + r.splits);
  for (size_t size : BucketSizes(next, x)) {
    EXPECT_LE(size, 1.5 * kTarget);
  }
  // The other buckets keep their slots; their centroids stay at their
  // clusters (a split's local re-clustering may move them to their means).
  for (size_t c = 0; c < 3; ++c) {
    EXPECT_LT(L2Sqr(next.centroid(c), Centre(c).data(), kDim), 0.5f);
  }
  // A pass over the same data does nothing: the plan converged.
  BucketEditResult again;
  Pass(next, &flags, x, &again);
  EXPECT_FALSE(again.changed());
  EXPECT_EQ(again.deferred, 0u);
}

TEST(BucketEditTest, SplitsABucketWhoseVectorsMovedAwayFromItsCentroid) {
  GaussianSource rng(2);
  std::vector<float> x;
  for (size_t c = 0; c < 3; ++c) AddCluster(Centre(c), kTarget, 0, &rng, &x);
  // Bucket 3: 90 vectors (under the split threshold of 96), half still at
  // its centroid, half drifted 12 away.
  AddCluster(Centre(3), 45, 0, &rng, &x);
  AddCluster(Centre(3), 45, 12, &rng, &x);
  Codebook cb = MakeCodebook({Centre(0), Centre(1), Centre(2), Centre(3)});
  BucketEditOptions opt = Options();
  opt.min_gain = 0;  // one drift split alone is worth publishing here
  std::vector<double> flags;
  BucketEditResult r;
  Codebook next = Pass(cb, &flags, x, &r, opt);
  EXPECT_EQ(r.splits, 1u);
  const std::vector<size_t> sizes = BucketSizes(next, x);
  ASSERT_EQ(sizes.size(), 5u);
  EXPECT_EQ(sizes[3] + sizes[4], 90u);
  EXPECT_GE(std::min(sizes[3], sizes[4]), 40u);
  // With the default min_gain, one drift split in 4 buckets still pays.
  BucketEditResult with_default;
  std::vector<double> none;
  Pass(cb, &none, x, &with_default);
  EXPECT_EQ(with_default.splits, 1u);
}

// The singularity guard: identical vectors cannot be separated; the bucket is
// marked and not tried again until it grows by half.
TEST(BucketEditTest, IdenticalVectorsAreMarkedUnsplittable) {
  GaussianSource rng(3);
  std::vector<float> x;
  for (size_t c = 0; c < 3; ++c) AddCluster(Centre(c), kTarget, 0, &rng, &x);
  for (int i = 0; i < 400; ++i) {
    const std::vector<float> c = Centre(3);
    x.insert(x.end(), c.begin(), c.end());
  }
  Codebook cb = MakeCodebook({Centre(0), Centre(1), Centre(2), Centre(3)});
  std::vector<double> flags;
  BucketEditResult r;
  Codebook next = Pass(cb, &flags, x, &r);
  EXPECT_FALSE(r.changed());
  EXPECT_EQ(r.rejected, 1u);
  ASSERT_EQ(flags.size(), 4u);
  EXPECT_EQ(flags[3], 400.0);
  BucketEditResult again;
  Pass(next, &flags, x, &again);
  EXPECT_EQ(again.rejected, 0u);  // not tried again at the same size
  EXPECT_FALSE(again.changed());
}

TEST(BucketEditTest, RemovesEmptyBucketsAndMergesTinyOnesWhenItPays) {
  GaussianSource rng(4);
  std::vector<float> x;
  for (size_t c = 0; c < 3; ++c) AddCluster(Centre(c), kTarget, 0, &rng, &x);
  AddCluster(Centre(3), 1, 0, &rng, &x);  // one vector in bucket 3
  // Bucket 4 is empty (its data went away).
  Codebook cb =
      MakeCodebook({Centre(0), Centre(1), Centre(2), Centre(3), Centre(4)});
  BucketEditOptions opt = Options();
  opt.nprobe = 1;
  opt.min_gain = 0;  // removing 2 of 5 centroids gains ~3%
  std::vector<double> flags;
  BucketEditResult r;
  Codebook next = Pass(cb, &flags, x, &r, opt);
  EXPECT_EQ(r.splits, 0u);
  EXPECT_EQ(r.merges, 2u);
  EXPECT_EQ(next.size(), 3u);
  EXPECT_LT(r.cost_after, r.cost_before);
  // Hysteresis: a merge must leave the result well below the split
  // threshold, so two buckets of 0.2 and 1.5 x the target stay apart.
  x.clear();
  AddCluster(Centre(0), 96, 0, &rng, &x);
  AddCluster(Centre(0), 12, 6, &rng, &x);
  std::vector<float> near0 = Centre(0);
  near0[1] += 6;
  Codebook pair = MakeCodebook({Centre(0), near0});
  flags.clear();
  Pass(pair, &flags, x, &r, opt);
  EXPECT_EQ(r.merges, 0u);
}

// Removing buckets that data may come back to is not worth a re-bucketing:
// the merges are deferred under min_gain.
TEST(BucketEditTest, SmallGainsAreDeferred) {
  GaussianSource rng(5);
  std::vector<float> x;
  for (size_t c = 0; c < 16; ++c) AddCluster(Centre(c), kTarget, 0, &rng, &x);
  std::vector<std::vector<float>> centres;
  for (size_t c = 0; c < 17; ++c) centres.push_back(Centre(c));
  Codebook cb = MakeCodebook(centres);  // bucket 16 is empty
  std::vector<double> flags;
  BucketEditResult r;
  Codebook next = Pass(cb, &flags, x, &r);
  EXPECT_FALSE(r.changed());
  EXPECT_EQ(r.deferred, 1u);
  EXPECT_EQ(next.size(), 17u);
}

// An adversarial workload oscillating between two states, each crossing a
// threshold a policy without hysteresis would act on, causes a bounded number
// of actions: once the codebook fits both states, none.
TEST(BucketEditTest, OscillatingWorkloadCausesBoundedActions) {
  GaussianSource rng(6);
  std::vector<float> base;
  for (size_t c = 0; c < 8; ++c) AddCluster(Centre(c), kTarget, 0, &rng, &base);
  // State A: 140 vectors (over the split threshold) in bucket 0's region and
  // 300 in a far new region; state B: the new region empty again, bucket 0
  // back to 30 (under a naive merge threshold of half the target).
  std::vector<float> a = base, b;
  AddCluster(Centre(0), 140, 3, &rng, &a);
  AddCluster(Centre(20), 300, 0, &rng, &a);
  AddCluster(Centre(0), 30, 0, &rng, &b);
  for (size_t c = 1; c < 8; ++c) AddCluster(Centre(c), kTarget, 0, &rng, &b);
  std::vector<std::vector<float>> centres;
  for (size_t c = 0; c < 8; ++c) centres.push_back(Centre(c));
  Codebook cb = MakeCodebook(centres);
  std::vector<double> flags;
  uint32_t actions = 0, publishes = 0, late_actions = 0;
  for (int pass = 0; pass < 40; ++pass) {
    BucketEditResult r;
    cb = Pass(cb, &flags, pass % 2 == 0 ? a : b, &r);
    actions += r.splits + r.merges;
    publishes += r.changed();
    if (pass >= 4) late_actions += r.splits + r.merges;
  }
  EXPECT_GT(actions, 0u);  // state A needed splits
  EXPECT_LE(actions, 12u);
  EXPECT_EQ(publishes, 1u);  // state B defers its removals
  EXPECT_EQ(late_actions, 0u);
  for (size_t size : BucketSizes(cb, a)) EXPECT_LE(size, 1.5 * kTarget);
}

TEST(BucketEditTest, DeterministicAndBadInputIsInvalidArgument) {
  GaussianSource rng(7);
  std::vector<float> x;
  for (size_t c = 0; c < 4; ++c) AddCluster(Centre(c), 300, 0, &rng, &x);
  Codebook cb = MakeCodebook({Centre(0), Centre(1), Centre(2), Centre(3)});
  BucketEditResult r1, r2;
  const size_t n = x.size() / kDim;
  ASSERT_TRUE(PlanBucketEdits(cb, {}, x.data(), n, n, Options(), &r1).ok());
  ASSERT_TRUE(PlanBucketEdits(cb, {}, x.data(), n, n, Options(), &r2).ok());
  EXPECT_EQ(r1.centroids, r2.centroids);
  EXPECT_GT(r1.splits, 0u);
  // Scaled: the same sample standing for 10x the vectors splits more.
  BucketEditResult scaled;
  ASSERT_TRUE(
      PlanBucketEdits(cb, {}, x.data(), n, 10 * n, Options(), &scaled).ok());
  EXPECT_GT(scaled.splits, r1.splits);

  BucketEditOptions bad = Options();
  bad.merge_under_target = 1.0;  // no room for hysteresis
  EXPECT_TRUE(
      PlanBucketEdits(cb, {}, x.data(), n, n, bad, &r1).IsInvalidArgument());
  bad = Options();
  bad.merge_margin = 1.0;
  EXPECT_TRUE(
      PlanBucketEdits(cb, {}, x.data(), n, n, bad, &r1).IsInvalidArgument());
  EXPECT_TRUE(PlanBucketEdits(cb, {1.0}, x.data(), n, n, Options(), &r1)
                  .IsInvalidArgument());
  EXPECT_TRUE(PlanBucketEdits(Codebook(), {}, x.data(), n, n, Options(), &r1)
                  .IsInvalidArgument());
  EXPECT_TRUE(PlanBucketEdits(cb, {}, x.data(), 0, 0, Options(), &r1)
                  .IsInvalidArgument());
}

}  // namespace
}  // namespace drift

namespace drift {
namespace {

// The engine's live moments decide sizes and centre shifts where the sample
// alone would not: a bucket whose sample looks small but whose live count is
// over the threshold is split, one whose live vectors moved is split as
// drifted, and the result's lineage names where each slot came from.
TEST(BucketEditTest, LiveMomentsDecideAndLineageIsReported) {
  GaussianSource rng(21);
  std::vector<float> x;
  // Three buckets of 40 sample points each; the second's sample is two
  // separable halves 20 apart.
  AddCluster(Centre(0), 40, 0, &rng, &x);
  AddCluster(Centre(1), 20, -10, &rng, &x);
  AddCluster(Centre(1), 20, 10, &rng, &x);
  AddCluster(Centre(2), 40, 0, &rng, &x);
  const Codebook cb = MakeCodebook({Centre(0), Centre(1), Centre(2)});
  std::vector<double> flags;
  BucketEditResult r;
  // From the sample (120 of 120 vectors) every bucket is under 1.5 x 64.
  Pass(cb, &flags, x, &r);
  EXPECT_FALSE(r.changed());
  ASSERT_EQ(r.kept_from.size(), 3u);
  for (uint32_t s = 0; s < 3; ++s) {
    EXPECT_EQ(r.kept_from[s], s);
    EXPECT_EQ(r.parent[s], s);
  }
  // The statistics say bucket 1 holds 400 live vectors.
  std::vector<BucketMoments> live(3);
  for (uint32_t s = 0; s < 3; ++s) {
    live[s].AddRows(x.data() + s * 40 * kDim, 40, kDim);
  }
  std::vector<float> many;
  AddCluster(Centre(1), 400, 0, &rng, &many);
  live[1] = BucketMoments();
  live[1].AddRows(many.data(), 400, kDim);
  flags.clear();
  ASSERT_TRUE(
      PlanBucketEdits(cb, flags, x.data(), 120, 480, Options(), &r, &live)
          .ok());
  EXPECT_GE(r.splits, 1u);
  ASSERT_EQ(r.kept_from.size(), r.centroids.size() / kDim);
  size_t made = 0;
  for (size_t s = 0; s < r.kept_from.size(); ++s) {
    if (r.kept_from[s] == Codebook::kNoParent) {
      ++made;
      EXPECT_EQ(r.parent[s], 1u);  // both halves come from bucket 1
    } else {
      EXPECT_EQ(r.parent[s], r.kept_from[s]);
      EXPECT_NE(r.kept_from[s], 1u);  // bucket 1 was replaced
    }
  }
  EXPECT_EQ(made, 1u + r.splits);
  // Moments of another codebook are refused.
  live.pop_back();
  EXPECT_TRUE(
      PlanBucketEdits(cb, flags, x.data(), 120, 480, Options(), &r, &live)
          .IsInvalidArgument());
}

}  // namespace
}  // namespace drift
