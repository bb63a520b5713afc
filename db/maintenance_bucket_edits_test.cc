// Bucket edits (db/maintenance_bucket_edits.cc): drift absorbed by
// splitting the overloaded buckets instead of retraining.
#include "tests/vector_index_fixture.h"

namespace drift {
namespace {

using test::Model;

class MaintenanceBucketEditsTest : public test::VectorIndexFixture {};

// With split_merge (the default), the same drift is absorbed by splitting the
// overloaded buckets: no retraining, buckets balanced again, searches exact.
TEST_F(MaintenanceBucketEditsTest, MaintenanceSplitsBucketsWhenDataDrifts) {
  auto_train_ = false;
  Open(8, /*bucket_size=*/64, /*file_size=*/1 << 20);
  std::mt19937 rng(5);
  Model model;
  LoadAndTrain(3000, &rng, &model);
  bool retrained = true;
  ASSERT_OK(index_->Maintain(&retrained));
  EXPECT_FALSE(retrained);  // A fresh codebook: nothing written since.
  IndexStats st;
  ASSERT_OK(index_->GetStats(&st));
  const uint64_t first_epoch = st.codebook_epoch;
  const uint64_t first_buckets = st.buckets;
  EXPECT_EQ(st.edit_checks, 0u);
  DriftToAFarRegion(&rng, &model);
  ASSERT_OK(index_->Maintain(&retrained));
  EXPECT_TRUE(retrained);
  ASSERT_OK(index_->GetStats(&st));
  EXPECT_EQ(st.codebook_epoch, first_epoch + 1);
  EXPECT_EQ(st.trainings, 1u);  // the explicit Train only
  EXPECT_EQ(st.edit_checks, 1u);
  EXPECT_EQ(st.edit_publishes, 1u);
  // 3000 new vectors at 256 per bucket: split until each is under 384.
  EXPECT_GE(st.bucket_splits, 6u);
  EXPECT_EQ(st.buckets, first_buckets + st.bucket_splits - st.bucket_merges);
  EXPECT_EQ(st.other_epoch_vectors, 0u);  // every segment re-bucketed
  EXPECT_EQ(st.bucketed_vectors, 6000u);
  EXPECT_LE(st.max_bucket_vectors, 1.5 * 256 * 1.2);
  EXPECT_LT(st.max_over_mean(), 2.5);
  ExpectExact(model, nullptr, &rng);
  std::string text;
  ASSERT_OK(index_->GetProperty("drift.stats", &text));
  EXPECT_NE(text.find("buckets split: " + std::to_string(st.bucket_splits)),
            std::string::npos);
  ASSERT_OK(index_->Maintain(&retrained));
  EXPECT_FALSE(retrained);  // nothing written since the check
  ASSERT_OK(index_->GetStats(&st));
  EXPECT_EQ(st.edit_checks, 1u);
}

}  // namespace
}  // namespace drift
