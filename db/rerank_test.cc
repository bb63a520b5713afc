#include "db/rerank.h"

#include "db/candidate_set.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace drift {
namespace {

constexpr uint32_t kDim = 2;

class RerankAtSnapshotTest : public test::VectorDbTest {
 protected:
  RerankAtSnapshotTest() : VectorDbTest("rerank", kDim) {}
  void PutAt(const std::string& key, float x) {
    const float v[kDim] = {x, 0};
    PutVector(key, v);
  }
  // Re-ranks a pool of a, b, c, d found at approximate distances 0, 1, 4, 9
  // from the origin, `depth` of them, keeping k = 2, with their vectors.
  std::vector<SearchHit> Rerank(const rocksdb::Snapshot* snapshot, size_t depth,
                                SearchStats* stats) {
    CandidateSet pool(0);
    pool.Add("a", 0);
    pool.Add("b", 1);
    pool.Add("c", 4);
    pool.Add("d", 9);
    const float query[kDim] = {0, 0};
    std::vector<SearchHit> hits;
    EXPECT_OK(RerankAtSnapshot(db_.get(), handles_[1], snapshot,
                               ExactDistance(Metric::kL2, query, kDim), kDim,
                               pool, 2, depth, /*with_vectors=*/true, &hits,
                               stats));
    return hits;
  }
  static std::vector<std::string> Keys(const std::vector<SearchHit>& hits) {
    std::vector<std::string> keys;
    for (const SearchHit& h : hits) keys.push_back(h.key);
    return keys;
  }
};

TEST_F(RerankAtSnapshotTest, StaleCandidatesAreReplacedFromThePool) {
  PutAt("a", 0);
  PutAt("b", 1);
  PutAt("c", 2);
  PutAt("d", 3);
  const rocksdb::Snapshot* before = db_->GetSnapshot();
  // a is deleted, b moves far away, c is no longer a vector.
  ASSERT_OK(db_->Delete(rocksdb::WriteOptions(), handles_[1], "a"));
  PutAt("b", 100);
  ASSERT_OK(db_->Put(rocksdb::WriteOptions(), handles_[1], "c", "text"));
  const rocksdb::Snapshot* after = db_->GetSnapshot();

  // At the older snapshot the two nearest are still valid: two reads.
  SearchStats stats;
  std::vector<SearchHit> hits = Rerank(before, 2, &stats);
  EXPECT_EQ(Keys(hits), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(hits[1].distance, 1.0f);  // exact, from the visible value
  EXPECT_EQ(stats.point_reads, 2u);

  // Now a and b are stale: two more are read, of which c is stale too and
  // the pool is exhausted. b keeps its exact (far) distance.
  stats = SearchStats();
  hits = Rerank(after, 2, &stats);
  EXPECT_EQ(Keys(hits), (std::vector<std::string>{"d", "b"}));
  EXPECT_EQ(hits[0].distance, 9.0f);
  EXPECT_EQ(hits[1].distance, 10000.0f);
  // Each hit's vector is the one its distance was measured with.
  EXPECT_EQ(hits[1].vector, (std::vector<float>{100, 0}));
  EXPECT_EQ(stats.point_reads, 4u);
  EXPECT_EQ(stats.candidates_verified, 4u);

  // Depth 0 verifies the whole pool at once.
  stats = SearchStats();
  hits = Rerank(after, 0, &stats);
  EXPECT_EQ(Keys(hits), (std::vector<std::string>{"d", "b"}));
  EXPECT_EQ(stats.point_reads, 4u);

  db_->ReleaseSnapshot(before);
  db_->ReleaseSnapshot(after);
}

// Bounded candidates are verified in order of their lower bounds, whatever
// the depth, until the next bound exceeds the k-th exact distance of the
// visible vectors: a deleted key or one whose newest version moved away does
// not count towards it. A key is read once.
TEST_F(RerankAtSnapshotTest,
       BoundedCandidatesAreVerifiedUntilNoneCanBeatTheKth) {
  PutAt("a", 0);
  PutAt("b", 1);
  PutAt("c", 2);
  PutAt("d", 3);
  PutAt("e", 5);
  PutAt("f", 4);
  ASSERT_OK(db_->Delete(rocksdb::WriteOptions(), handles_[1], "a"));
  PutAt("b", 100);
  const rocksdb::Snapshot* snapshot = db_->GetSnapshot();
  const float query[kDim] = {0, 0};
  const ExactDistance distance(Metric::kL2, query, kDim);
  for (bool with_fixed : {false, true}) {
    CandidateSet pool(8);
    // Lower bounds of scanned rows (b's older version near, its newest far).
    pool.AddBounded(0, rocksdb::Slice("a"));
    pool.AddBounded(0.5, rocksdb::Slice("b"));
    pool.AddBounded(9999, rocksdb::Slice("b"));
    pool.AddBounded(3, rocksdb::Slice("c"));
    pool.AddBounded(8, rocksdb::Slice("d"));
    pool.AddBounded(20, rocksdb::Slice("e"));
    pool.AddBounded(with_fixed ? 1 : 10, rocksdb::Slice("f"));
    if (with_fixed) pool.Add("f", 16);  // read first, at depth 1
    std::vector<SearchHit> hits;
    SearchStats stats;
    ASSERT_OK(RerankAtSnapshot(db_.get(), handles_[1], snapshot, distance, kDim,
                               pool, 2, 1, /*with_vectors=*/false, &hits,
                               &stats));
    EXPECT_EQ(Keys(hits), (std::vector<std::string>{"c", "d"}));
    EXPECT_EQ(hits[1].distance, 9.0f);
    // a, b, c, d (and f once, at depth 1); e's bound exceeds 9.
    EXPECT_EQ(stats.point_reads, with_fixed ? 5u : 4u);
  }
  db_->ReleaseSnapshot(snapshot);
}

TEST_F(RerankAtSnapshotTest, AnEmptyPoolHasNoHits) {
  CandidateSet pool(8);
  const float query[kDim] = {0, 0};
  std::vector<SearchHit> hits = {{"stale", 1}};
  SearchStats stats;
  const rocksdb::Snapshot* snapshot = db_->GetSnapshot();
  ASSERT_OK(RerankAtSnapshot(
      db_.get(), handles_[1], snapshot, ExactDistance(Metric::kL2, query, kDim),
      kDim, pool, 2, 2, /*with_vectors=*/false, &hits, &stats));
  db_->ReleaseSnapshot(snapshot);
  EXPECT_TRUE(hits.empty());
  EXPECT_EQ(stats.point_reads, 0u);
}

}  // namespace
}  // namespace drift
