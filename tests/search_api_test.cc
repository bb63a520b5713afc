// SearchBatch (parallel, one snapshot, per-query stats), hits with vectors
// and SearchRadius, against Search one by one and brute force over a model,
// with writes, flushes and compactions running concurrently.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <mutex>
#include <random>
#include <thread>

#include "drift/plugin.h"
#include "drift/vector_index.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"
#include "tests/vector_model.h"

namespace drift {
namespace {

using test::BruteForce;
using test::BruteForceRadius;
using test::Model;

constexpr uint32_t kDim = 6;

class SearchApiTest : public testing::Test {
 protected:
  void SetUp() override {
    RegisterDrift();
    dir_ = test::TempDir("search_api");
  }
  void TearDown() override {
    index_.reset();
    for (auto* h : handles_) EXPECT_OK(db_->DestroyColumnFamilyHandle(h));
    handles_.clear();
    db_.reset();
    test::RemoveDir(dir_);
  }

  // With `quiet`, nothing changes the column family but the test's calls
  // (no background flush, compaction or training).
  void Open(bool quiet, uint32_t search_threads = 2) {
    rocksdb::ColumnFamilyOptions base;
    base.write_buffer_size = quiet ? 64 << 20 : 64 << 10;
    base.target_file_size_base = 64 << 10;
    base.disable_auto_compactions = quiet;
    rocksdb::ColumnFamilyOptions vec = VectorColumnFamilyOptions(kDim, base);
    DriftTableOptions topts;
    topts.dimension = kDim;
    topts.target_bucket_size = 32;
    vec.table_factory = NewDriftTableFactory(topts);
    ASSERT_OK(test::OpenWithVectorCf(dir_, rocksdb::DBOptions(), vec, &db_,
                                     &handles_));
    VectorIndexOptions vopts;
    vopts.dimension = kDim;
    vopts.auto_train = !quiet;
    vopts.min_train_vectors = 500;
    vopts.target_bucket_size = 32;
    vopts.search_threads = search_threads;
    ASSERT_OK(VectorIndex::Attach(db_.get(), handles_[1], vopts, &index_));
  }

  std::vector<float> RandomVector(int grid) {
    std::vector<float> v(kDim);
    // A small grid makes distance ties frequent: they must break by key.
    for (float& x : v) x = static_cast<float>(static_cast<int>(rng_() % grid));
    return v;
  }

  std::string Key(int i) { return "k" + std::to_string(i); }

  void PutRandom(int n, int keys) {
    for (int i = 0; i < n; ++i) {
      const std::string k = Key(rng_() % keys);
      const std::vector<float> v = RandomVector(20);
      ASSERT_OK(index_->Put(rocksdb::WriteOptions(), k, v));
      model_[k] = v;
    }
  }

  std::vector<float> Queries(size_t n) {
    std::vector<float> q;
    for (size_t i = 0; i < n; ++i) {
      const std::vector<float> v = RandomVector(20);
      q.insert(q.end(), v.begin(), v.end());
    }
    return q;
  }

  static std::vector<float> Row(const std::vector<float>& queries, size_t i) {
    return std::vector<float>(queries.begin() + i * kDim,
                              queries.begin() + (i + 1) * kDim);
  }

  // Each hit's vector is the model's for its key.
  void ExpectVectors(const std::vector<SearchHit>& hits, const Model& model) {
    for (const SearchHit& h : hits) {
      auto it = model.find(h.key);
      ASSERT_NE(it, model.end()) << h.key;
      EXPECT_EQ(h.vector, it->second) << h.key;
    }
  }

  std::string dir_;
  std::mt19937 rng_{11};
  Model model_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  std::unique_ptr<VectorIndex> index_;
};

void ExpectSameStats(const SearchStats& a, const SearchStats& b) {
  EXPECT_EQ(a.memtable_vectors_scanned, b.memtable_vectors_scanned);
  EXPECT_EQ(a.memtable_graph_results, b.memtable_graph_results);
  EXPECT_EQ(a.segment_vectors_scanned, b.segment_vectors_scanned);
  EXPECT_EQ(a.buckets_probed, b.buckets_probed);
  EXPECT_EQ(a.candidates_verified, b.candidates_verified);
  EXPECT_EQ(a.point_reads, b.point_reads);
}

// Default effort, in both re-rank paths (one version per key after a full
// compaction; memtable rows and overwritten keys after more writes): the
// batch's hits, vectors and per-query stats are Search's, query by query.
TEST_F(SearchApiTest, BatchEqualsSearchOneByOne) {
  Open(/*quiet=*/true);
  PutRandom(3000, 2500);
  ASSERT_OK(db_->Flush(rocksdb::FlushOptions(), handles_[1]));
  ASSERT_OK(index_->Train(TrainOptions()));  // and compacts into one level
  for (int state = 0; state < 2; ++state) {
    if (state == 1) PutRandom(300, 2500);  // memtable rows, overwrites
    const std::vector<float> queries = Queries(40);
    for (bool vectors : {false, true}) {
      SearchOptions so;
      so.return_vectors = vectors;
      std::vector<std::vector<SearchHit>> batch;
      std::vector<SearchStats> stats;
      ASSERT_OK(index_->SearchBatch(so, queries, 10, &batch, &stats));
      ASSERT_EQ(batch.size(), 40u);
      ASSERT_EQ(stats.size(), 40u);
      for (size_t i = 0; i < 40; ++i) {
        std::vector<SearchHit> one;
        SearchStats one_stats;
        ASSERT_OK(index_->Search(so, Row(queries, i), 10, &one, &one_stats));
        ASSERT_EQ(batch[i], one) << "state " << state << " query " << i;
        ExpectSameStats(stats[i], one_stats);
        // State 0 re-ranks from segment rows, state 1 with point reads.
        EXPECT_EQ(stats[i].point_reads == 0, state == 0);
        if (vectors) {
          ExpectVectors(batch[i], model_);
        } else {
          for (const SearchHit& h : batch[i]) EXPECT_TRUE(h.vector.empty());
        }
      }
    }
  }
}

// Writes, deletes, flushes and compactions (and background training) run
// while batches search at snapshots: every exhaustive batch equals brute
// force over the model at its snapshot, so does every exhaustive radius
// search, and returned vectors are the snapshot's.
TEST_F(SearchApiTest, ExhaustiveBatchAndRadiusEqualBruteForceUnderWrites) {
  Open(/*quiet=*/false);
  std::mutex mu;  // the model and the DB change together under it
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    std::mt19937 rng(5);
    int ops = 0;
    while (!stop.load()) {
      std::lock_guard<std::mutex> lock(mu);
      const std::string k = Key(rng() % 1500);
      if (rng() % 5 == 0) {
        ASSERT_OK(index_->Delete(rocksdb::WriteOptions(), k));
        model_.erase(k);
      } else {
        std::vector<float> v(kDim);
        for (float& x : v) x = static_cast<float>(rng() % 20);
        ASSERT_OK(index_->Put(rocksdb::WriteOptions(), k, v));
        model_[k] = v;
      }
      if (++ops % 700 == 0) {
        ASSERT_OK(db_->Flush(rocksdb::FlushOptions(), handles_[1]));
      }
    }
  });
  std::mt19937 rng(9);
  for (int round = 0; round < 30 && !HasFailure(); ++round) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    Model at_snapshot;
    const rocksdb::Snapshot* snap = nullptr;
    {
      std::lock_guard<std::mutex> lock(mu);
      snap = db_->GetSnapshot();
      at_snapshot = model_;
    }
    if (round % 10 == 9) {
      ASSERT_OK(db_->CompactRange(rocksdb::CompactRangeOptions(), handles_[1],
                                  nullptr, nullptr));
    }
    SearchOptions so;
    so.exhaustive = true;
    so.snapshot = snap;
    so.return_vectors = round % 2 == 0;
    std::vector<float> queries;
    for (int i = 0; i < 8; ++i) {
      for (uint32_t d = 0; d < kDim; ++d) {
        queries.push_back(static_cast<float>(rng() % 20));
      }
    }
    const size_t k = 1 + rng() % 15;
    std::vector<std::vector<SearchHit>> batch;
    ASSERT_OK(index_->SearchBatch(so, queries, k, &batch));
    ASSERT_EQ(batch.size(), 8u);
    for (size_t i = 0; i < 8; ++i) {
      const std::vector<float> q = Row(queries, i);
      ASSERT_EQ(batch[i], BruteForce(at_snapshot, q, k)) << "query " << i;
      if (so.return_vectors) ExpectVectors(batch[i], at_snapshot);
      const float radius = static_cast<float>(rng() % 60);
      std::vector<SearchHit> within;
      ASSERT_OK(index_->SearchRadius(so, q, radius, &within));
      ASSERT_EQ(within, BruteForceRadius(at_snapshot, q, radius))
          << "radius " << radius;
      if (so.return_vectors) ExpectVectors(within, at_snapshot);
    }
    db_->ReleaseSnapshot(snap);
  }
  stop = true;
  writer.join();
}

TEST_F(SearchApiTest, RadiusCapIsIncompleteWithTheNearest) {
  Open(/*quiet=*/true);
  PutRandom(2000, 2000);
  ASSERT_OK(db_->Flush(rocksdb::FlushOptions(), handles_[1]));
  const std::vector<float> q = RandomVector(20);
  SearchOptions so;
  so.exhaustive = true;
  so.radius_max_results = 50;
  std::vector<SearchHit> hits;
  rocksdb::Status s = index_->SearchRadius(so, q, 1e9f, &hits);
  ASSERT_TRUE(s.IsIncomplete()) << s.ToString();
  EXPECT_NE(s.ToString().find("radius_max_results = 50"), std::string::npos);
  EXPECT_EQ(hits, BruteForce(model_, q, 50));
  // Radius 0: exactly the stored copies of the query.
  ASSERT_OK(index_->Put(rocksdb::WriteOptions(), "copy", q));
  model_["copy"] = q;
  so.radius_max_results = 10000;
  ASSERT_OK(index_->SearchRadius(so, q, 0, &hits));
  EXPECT_EQ(hits, BruteForceRadius(model_, q, 0));
  EXPECT_FALSE(hits.empty());
}

// At the default effort SearchRadius finds about what the recall target
// promises, and never a vector outside the radius or a wrong distance.
TEST_F(SearchApiTest, RadiusAtDefaultEffortFollowsTheRecallTarget) {
  Open(/*quiet=*/true);
  PutRandom(6000, 6000);
  ASSERT_OK(db_->Flush(rocksdb::FlushOptions(), handles_[1]));
  ASSERT_OK(index_->Train(TrainOptions()));
  size_t found = 0, expected = 0;
  for (int i = 0; i < 30; ++i) {
    const std::vector<float> q = RandomVector(20);
    // About 40 neighbours within the radius.
    const float radius = BruteForce(model_, q, 40).back().distance;
    const std::vector<SearchHit> truth = BruteForceRadius(model_, q, radius);
    std::vector<SearchHit> hits;
    SearchStats stats;
    ASSERT_OK(index_->SearchRadius(SearchOptions(), q, radius, &hits, &stats));
    EXPECT_LT(stats.segment_vectors_scanned, model_.size());
    for (const SearchHit& h : hits) {
      EXPECT_LE(h.distance, radius);
      EXPECT_NE(std::find(truth.begin(), truth.end(), h), truth.end());
    }
    found += hits.size();
    expected += truth.size();
  }
  const double recall = static_cast<double>(found) / expected;
  EXPECT_GE(recall, 0.85) << found << " of " << expected;
  std::printf("radius recall at the default effort: %.3f\n", recall);
}

// A narrow key range is read in key order (no bucket probed): its hits carry
// their vectors too.
TEST_F(SearchApiTest, KeyRangeHitsCarryTheirVectors) {
  Open(/*quiet=*/true);
  PutRandom(2000, 2000);
  ASSERT_OK(db_->Flush(rocksdb::FlushOptions(), handles_[1]));
  ASSERT_OK(index_->Train(TrainOptions()));
  SearchOptions so;
  so.return_vectors = true;
  so.key_start = "k10";
  so.key_limit = "k11";
  std::vector<SearchHit> hits;
  SearchStats stats;
  ASSERT_OK(index_->Search(so, RandomVector(20), 5, &hits, &stats));
  EXPECT_GT(stats.range_vectors_scanned, 0u);
  ASSERT_FALSE(hits.empty());
  ExpectVectors(hits, model_);
  for (const SearchHit& h : hits) EXPECT_EQ(h.vector.size(), kDim);
}

TEST_F(SearchApiTest, BadInputIsAClearStatus) {
  Open(/*quiet=*/true);
  PutRandom(100, 100);
  std::vector<std::vector<SearchHit>> batch;
  std::vector<SearchHit> hits;
  std::vector<float> queries = Queries(5);
  queries[3 * kDim + 2] = std::nanf("");
  rocksdb::Status s = index_->SearchBatch(SearchOptions(), queries, 5, &batch);
  ASSERT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_NE(s.ToString().find("SearchBatch query 3: "), std::string::npos)
      << s.ToString();
  queries[3 * kDim + 2] = std::numeric_limits<float>::infinity();
  s = index_->SearchBatch(SearchOptions(), queries, 5, &batch);
  EXPECT_NE(s.ToString().find("query 3"), std::string::npos) << s.ToString();
  queries.pop_back();
  s = index_->SearchBatch(SearchOptions(), queries, 5, &batch);
  ASSERT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.ToString().find("not a multiple of the dimension"),
            std::string::npos);
  const std::vector<float> good = Queries(3);
  EXPECT_TRUE(index_->SearchBatch(SearchOptions(), good, 0, &batch)
                  .IsInvalidArgument());
  EXPECT_TRUE(
      index_->SearchBatch(SearchOptions(), good, kMaxSearchK + 1, &batch)
          .IsInvalidArgument());
  ASSERT_OK(index_->SearchBatch(SearchOptions(), {}, 5, &batch));
  EXPECT_TRUE(batch.empty());

  const std::vector<float> q = Row(good, 0);
  for (float radius :
       {-1.0f, std::nanf(""), std::numeric_limits<float>::infinity()}) {
    s = index_->SearchRadius(SearchOptions(), q, radius, &hits);
    EXPECT_TRUE(s.IsInvalidArgument()) << radius;
    EXPECT_NE(s.ToString().find("radius must be finite and >= 0"),
              std::string::npos);
  }
  EXPECT_TRUE(index_->SearchRadius(SearchOptions(), {1, 2}, 1, &hits)
                  .IsInvalidArgument());
  SearchOptions so;
  so.radius_max_results = 0;
  EXPECT_TRUE(index_->SearchRadius(so, q, 1, &hits).IsInvalidArgument());
  so.radius_max_results = kMaxSearchK + 1;
  EXPECT_TRUE(index_->SearchRadius(so, q, 1, &hits).IsInvalidArgument());
  std::vector<float> nan_q = q;
  nan_q[0] = std::nanf("");
  EXPECT_TRUE(index_->SearchRadius(SearchOptions(), nan_q, 1, &hits)
                  .IsInvalidArgument());
  // Nothing was lost: the index still answers.
  ASSERT_OK(index_->SearchBatch(SearchOptions(), good, 5, &batch));
  EXPECT_EQ(batch.size(), 3u);
}

// No helper threads (search_threads 0 and no pool) runs on the caller only;
// a pool passed in the options (which several indexes may share) lends all
// its threads: same answers.
TEST_F(SearchApiTest, SharedPoolAndCallerOnlyGiveTheSameAnswers) {
  Open(/*quiet=*/true, /*search_threads=*/0);
  PutRandom(1500, 1500);
  ASSERT_OK(db_->Flush(rocksdb::FlushOptions(), handles_[1]));
  const std::vector<float> queries = Queries(25);
  std::vector<std::vector<SearchHit>> caller_only, pooled;
  ASSERT_OK(index_->SearchBatch(SearchOptions(), queries, 7, &caller_only));
  VectorIndexOptions vopts;
  vopts.dimension = kDim;
  vopts.auto_train = false;
  vopts.search_pool.reset(rocksdb::NewThreadPool(2),
                          [](rocksdb::ThreadPool* p) {
                            p->JoinAllThreads();
                            delete p;
                          });
  index_.reset();  // one VectorIndex per column family
  ASSERT_OK(VectorIndex::Attach(db_.get(), handles_[1], vopts, &index_));
  ASSERT_OK(index_->SearchBatch(SearchOptions(), queries, 7, &pooled));
  EXPECT_EQ(pooled, caller_only);
}

}  // namespace
}  // namespace drift
