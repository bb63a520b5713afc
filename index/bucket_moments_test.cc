#include "index/bucket_moments.h"

#include "gtest/gtest.h"
#include "util/dataset.h"

namespace drift {
namespace {

// Two-pass reference: count, mean and sum of squared distances to the mean.
void Reference(const std::vector<float>& x, uint32_t dim,
               std::vector<double>* mean, double* m2) {
  const size_t n = x.size() / dim;
  mean->assign(dim, 0.0);
  for (size_t i = 0; i < n; ++i) {
    for (uint32_t j = 0; j < dim; ++j) (*mean)[j] += x[i * dim + j];
  }
  for (double& v : *mean) v /= static_cast<double>(n);
  *m2 = 0;
  for (size_t i = 0; i < n; ++i) {
    for (uint32_t j = 0; j < dim; ++j) {
      const double d = x[i * dim + j] - (*mean)[j];
      *m2 += d * d;
    }
  }
}

// The accumulator's moments are the same bits on every ISA level (the test
// also runs with DRIFT_ISA=scalar and avx2): segments written on different
// machines carry the same statistics. The reference is the accumulator's
// arithmetic, written out.
TEST(BucketMomentsTest, AccumulatorIsBitExactOnEveryIsa) {
  const uint32_t dim = 37;  // not a multiple of any vector width
  const size_t n = 211;
  std::vector<float> x = GaussianVectors(n, dim, 3, 3.0f);
  for (size_t i = 0; i < x.size(); ++i) x[i] += 40.0f * (i % 5);
  MomentsAccumulator acc(dim);
  acc.AddRows(x.data(), 100);
  acc.AddRows(x.data() + 100 * dim, n - 100);
  const BucketMoments got = acc.Finish();

  std::vector<double> sum(dim, 0.0), sum_sq(dim, 0.0);
  for (size_t i = 0; i < n; ++i) {
    for (uint32_t j = 0; j < dim; ++j) {
      const double d = static_cast<double>(x[i * dim + j]) - x[j];
      sum[j] += d;
      sum_sq[j] += d * d;
    }
  }
  double m2 = 0;
  ASSERT_EQ(got.count, n);
  for (uint32_t j = 0; j < dim; ++j) {
    const double offset = sum[j] / static_cast<double>(n);
    EXPECT_EQ(got.mean[j], x[j] + offset) << j;
    m2 += sum_sq[j] - sum[j] * offset;
  }
  EXPECT_EQ(got.m2, m2);
}

TEST(BucketMomentsTest, AddAndMergeMatchTwoPassReference) {
  const uint32_t dim = 13;
  // Far from the origin with a small spread: where naive sums cancel.
  std::vector<float> x = GaussianVectors(1000, dim, 7, 0.5f);
  for (float& v : x) v += 1000.0f;
  std::vector<double> mean;
  double m2 = 0;
  Reference(x, dim, &mean, &m2);

  BucketMoments whole;
  whole.AddRows(x.data(), 1000, dim);
  // The same split into uneven parts (one empty), merged in another order.
  BucketMoments parts[4];
  parts[0].AddRows(x.data(), 1, dim);
  parts[2].AddRows(x.data() + dim, 700, dim);
  parts[3].AddRows(x.data() + 701 * dim, 299, dim);
  BucketMoments merged;
  for (int p : {3, 1, 0, 2}) merged.Merge(parts[p]);

  MomentsAccumulator acc(dim);
  acc.AddRows(x.data(), 400);
  acc.AddRows(x.data() + 400 * dim, 600);
  BucketMoments fast = acc.Finish();
  for (const BucketMoments* m : {&whole, &merged, &fast}) {
    ASSERT_EQ(m->count, 1000u);
    for (uint32_t j = 0; j < dim; ++j) EXPECT_NEAR(m->mean[j], mean[j], 1e-9);
    EXPECT_NEAR(m->m2, m2, 1e-6 * m2);
    EXPECT_NEAR(m->spread(), m2 / 1000, 1e-6 * m2 / 1000);
  }
  std::vector<float> origin(dim, 1000.0f);
  double shift = 0;
  for (uint32_t j = 0; j < dim; ++j)
    shift += (mean[j] - 1000) * (mean[j] - 1000);
  EXPECT_NEAR(merged.ShiftSqr(origin.data()), shift, 1e-9);
}

TEST(BucketMomentsTest, RemoveUndoesMerge) {
  const uint32_t dim = 5;
  std::vector<float> x = GaussianVectors(300, dim, 3, 3.0f);
  for (float& v : x) v += 2.0f;
  BucketMoments kept, gone, all;
  kept.AddRows(x.data(), 180, dim);
  gone.AddRows(x.data() + 180 * dim, 120, dim);
  all.AddRows(x.data(), 300, dim);
  all.Remove(gone);
  ASSERT_EQ(all.count, 180u);
  for (uint32_t j = 0; j < dim; ++j)
    EXPECT_NEAR(all.mean[j], kept.mean[j], 1e-9);
  EXPECT_NEAR(all.m2, kept.m2, 1e-7 * kept.m2);
  all.Remove(kept);
  EXPECT_EQ(all.count, 0u);
  EXPECT_TRUE(all.mean.empty());
}

TEST(BucketMomentsTest, EmptyIsNeutral) {
  BucketMoments empty, one;
  const float v[2] = {3, 4};
  EXPECT_EQ(empty.spread(), 0);
  EXPECT_EQ(empty.ShiftSqr(v), 0);
  one.Add(v, 2);
  one.Merge(empty);
  empty.Merge(one);
  for (const BucketMoments* m : {&one, &empty}) {
    EXPECT_EQ(m->count, 1u);
    EXPECT_EQ(m->mean, (std::vector<double>{3, 4}));
    EXPECT_EQ(m->m2, 0);
  }
}

}  // namespace
}  // namespace drift
