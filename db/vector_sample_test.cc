#include "db/vector_sample.h"

#include <algorithm>
#include <set>

#include "drift/vector_index.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace drift {
namespace {

constexpr uint32_t kDim = 4;

class VectorSampleTest : public test::VectorDbTest {
 protected:
  VectorSampleTest() : VectorDbTest("vector_sample", kDim) {}
  // Vector i is (i, i, i, i).
  void Put(int i) {
    const float v[kDim] = {float(i), float(i), float(i), float(i)};
    PutVector("k" + std::to_string(i), v);
  }
  std::multiset<float> Draw(size_t max_sample, uint64_t seed, uint64_t* total) {
    PinnedView view;
    EXPECT_OK(view.Pin(db_.get(), handles_[1]));
    std::vector<float> sample;
    EXPECT_OK(SampleStoredVectors(view, kDim, Metric::kL2, max_sample, seed,
                                  &sample, total));
    std::multiset<float> ids;
    for (size_t r = 0; r < sample.size() / kDim; ++r) {
      EXPECT_EQ(sample[r * kDim], sample[r * kDim + 3]);  // whole rows
      ids.insert(sample[r * kDim]);
    }
    return ids;
  }
};

// Segments' buckets and memtable arenas both contribute; with room for all,
// the sample is every stored vector exactly once.
TEST_F(VectorSampleTest, TakesEveryStoredVectorWhenTheyFit) {
  for (int i = 0; i < 3000; ++i) Put(i);
  ASSERT_OK(db_->Flush(rocksdb::FlushOptions(), handles_[1]));
  for (int i = 3000; i < 3500; ++i) Put(i);  // stays in the memtable
  uint64_t total = 0;
  std::multiset<float> ids = Draw(10000, 1, &total);
  EXPECT_EQ(total, 3500u);
  ASSERT_EQ(ids.size(), 3500u);
  EXPECT_EQ(*ids.begin(), 0.0f);
  EXPECT_EQ(*ids.rbegin(), 3499.0f);
  EXPECT_EQ(std::set<float>(ids.begin(), ids.end()).size(), 3500u);
}

// Below the total it draws about max_sample rows, distinct, from both
// places, the same ones for the same seed.
TEST_F(VectorSampleTest, DrawsAboutMaxSampleRowsUniformly) {
  for (int i = 0; i < 6000; ++i) Put(i);
  ASSERT_OK(db_->Flush(rocksdb::FlushOptions(), handles_[1]));
  for (int i = 6000; i < 8000; ++i) Put(i);
  uint64_t total = 0;
  std::multiset<float> ids = Draw(1000, 7, &total);
  EXPECT_EQ(total, 8000u);
  EXPECT_NEAR(static_cast<double>(ids.size()), 1000.0, 60.0);
  EXPECT_EQ(std::set<float>(ids.begin(), ids.end()).size(), ids.size());
  const size_t fresh = static_cast<size_t>(
      std::count_if(ids.begin(), ids.end(), [](float v) { return v >= 6000; }));
  EXPECT_NEAR(static_cast<double>(fresh), 250.0, 50.0);  // 2000 of 8000
  EXPECT_EQ(Draw(1000, 7, &total), ids);
  EXPECT_TRUE(Draw(0, 7, &total).empty());
}

}  // namespace
}  // namespace drift
