// The engine against a model: random Put / overwrite / Delete / DeleteRange /
// Flush / CompactRange / reopen / snapshots; after each step an exhaustive
// Search must equal brute force over the model's visible state at that snapshot
// exactly (same keys, same order, ties by key). Plus read-your-writes, bad
// input, and recall on fashion-mnist. The maintenance tests are beside
// db/maintenance*.cc (same fixture, tests/vector_index_fixture.h).
#include "drift/vector_index.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <random>
#include <thread>

#include "drift/plugin.h"
#include "gtest/gtest.h"
#include "index/codebook.h"
#include "index/distance.h"
#include "index/exact_knn.h"
#include "tests/random_ops.h"
#include "tests/test_util.h"
#include "tests/vector_index_fixture.h"
#include "tests/vector_model.h"
#include "util/dataset.h"

namespace drift {
namespace {

using test::BruteForce;
using test::Model;

class VectorIndexTest : public test::VectorIndexFixture {
 protected:
  // Random Put / Delete / DeleteRange / Flush / CompactRange / Train / reopen
  // / snapshots: every exhaustive search equals brute force on the model;
  // with `bounded`, so does every search that probes every bucket with a
  // re-rank depth of 1 (RaBitQ codes: the bounds size the re-rank).
  void RandomOpsStayExact(bool bounded = false);

  // Searches that probe every bucket but are not exhaustive, at `snap`.
  void ExpectBoundedExact(const Model& model, const rocksdb::Snapshot* snap,
                          std::mt19937* rng);
  // Bounded searches that read candidates at the snapshot (the MVCC path).
  int mvcc_bounded_searches_ = 0;
};

void VectorIndexTest::ExpectBoundedExact(const Model& model,
                                         const rocksdb::Snapshot* snap,
                                         std::mt19937* rng) {
  SearchOptions so;
  so.snapshot = snap;
  so.nprobe = 100000;  // every slot (a plan holds at most all)
  so.rerank = 1;       // ignored for RaBitQ-ranked and memtable candidates
  for (int i = 0; i < 3; ++i) {
    const std::vector<float> q = RandomVector(rng, 9);
    const size_t k = 2 + (*rng)() % 12;
    so.return_vectors = i == 0;
    std::vector<SearchHit> hits;
    SearchStats stats;
    ASSERT_OK(index_->Search(so, q, k, &hits, &stats));
    ASSERT_EQ(hits, BruteForce(model, q, k))
        << "probed " << stats.buckets_probed << " scanned "
        << stats.segment_vectors_scanned << " memtable "
        << stats.memtable_vectors_scanned << " verified "
        << stats.candidates_verified << " reads " << stats.point_reads;
    mvcc_bounded_searches_ += stats.point_reads > 0 && stats.buckets_probed > 0;
  }
}

void VectorIndexTest::RandomOpsStayExact(bool bounded) {
  Open(6);
  std::mt19937 rng(7);
  Model model;
  test::RandomOps ops;
  ops.ops = 2500;
  ops.db = [this] { return db_.get(); };
  ops.cf = [this] { return handles_[1]; };
  ops.index = [this] { return index_.get(); };
  ops.random_vector = [this](std::mt19937* g) { return RandomVector(g, 9); };
  ops.reopen = [this] {
    Close();
    Open(6);
  };
  ops.expect_exact = [this, bounded](const Model& m,
                                     const rocksdb::Snapshot* snap,
                                     std::mt19937* g) {
    ExpectExact(m, snap, g);
    if (bounded) ExpectBoundedExact(m, snap, g);
  };
  test::RunRandomOps(ops, &rng, &model);
}

TEST_F(VectorIndexTest, ExhaustiveSearchEqualsBruteForceUnderRandomOps) {
  RandomOpsStayExact();
}

TEST_F(VectorIndexTest, ExhaustiveSearchEqualsBruteForceWithRabitqCodes) {
  codes_ = BucketCodes::kRabitQ;
  RandomOpsStayExact();
}

// With RaBitQ codes, memtable writes, overwrites, deletes and several levels
// (the path that reads candidates at the snapshot), a search that probes
// every bucket verifies every candidate whose lower bound could beat the
// k-th exact distance of the visible vectors: it equals brute force although
// its re-rank depth is 1. Memtables are scanned (no graph: its search is
// approximate).
// The RaBitQ bound tests with 1-bit codes alone and with extended codes
// (ex_bits 3: the rows that could reach the top k are refined).
class RabitqBoundsTest : public VectorIndexTest,
                         public testing::WithParamInterface<int32_t> {
 protected:
  RabitqBoundsTest() {
    codes_ = BucketCodes::kRabitQ;
    rabitq_ex_bits_ = GetParam();
  }
};

INSTANTIATE_TEST_SUITE_P(ExBits, RabitqBoundsTest, testing::Values(0, 3));

TEST_P(RabitqBoundsTest, RabitqBoundsKeepSearchExactUnderRandomOps) {
  graph_min_rows_ = 1u << 30;
  RandomOpsStayExact(/*bounded=*/true);
  EXPECT_GT(mvcc_bounded_searches_, 1000);
}

// With RaBitQ codes in every segment (and one version per key) a search
// re-ranks by the codes' error bounds: probing every bucket it returns the
// exact k nearest (the bounds hold for ~99.7% of pairs, and a neighbour is
// only lost if its bound fails by more than the margin to the k-th upper
// bound), while verifying only a small share of the vectors.
TEST_P(RabitqBoundsTest, RabitqBoundsKeepSearchExactOverProbedBuckets) {
  auto_train_ = false;
  Open(32, 64, /*file_size=*/64 << 20);
  std::mt19937 rng(11);
  Model model;
  // Clustered: 20 centres, so buckets differ and bounds matter.
  std::vector<std::vector<float>> centres;
  for (int c = 0; c < 20; ++c) centres.push_back(RandomVector(&rng, 200));
  for (int i = 0; i < 4000; ++i) {
    std::vector<float> v = centres[rng() % centres.size()];
    for (float& x : v) x += std::normal_distribution<float>(0, 8)(rng);
    const std::string k = "r" + std::to_string(i);
    ASSERT_OK(index_->Put(rocksdb::WriteOptions(), k, v));
    model[k] = v;
  }
  ASSERT_OK(db_->Flush(rocksdb::FlushOptions(), handles_[1]));
  TrainOptions t;
  t.num_buckets = 40;
  ASSERT_OK(index_->Train(t));
  uint64_t verified = 0;
  for (int i = 0; i < 60; ++i) {
    std::vector<float> q = centres[rng() % centres.size()];
    for (float& x : q) x += std::normal_distribution<float>(0, 10)(rng);
    const size_t k = 1 + rng() % 20;
    SearchOptions so;
    so.nprobe = 100000;  // every slot (a plan holds at most all)
    so.rerank = 1;       // ignored: the bounds size the re-rank (else 1 hit)
    so.return_vectors = i % 2 == 0;
    std::vector<SearchHit> hits;
    SearchStats stats;
    ASSERT_OK(index_->Search(so, q, k, &hits, &stats));
    EXPECT_EQ(stats.point_reads, 0u);  // the unique-keys path
    EXPECT_EQ(stats.segment_vectors_scanned, model.size());
    ASSERT_EQ(hits, BruteForce(model, q, k)) << "query " << i;
    for (const SearchHit& h : hits) {
      EXPECT_EQ(h.vector,
                so.return_vectors ? model[h.key] : std::vector<float>());
    }
    verified += stats.candidates_verified;
  }
  // The bounds prune: far fewer rows are verified than scanned.
  EXPECT_LT(verified, 60 * model.size() / 10);
  // Refined bounds verify fewer still (measured 117.5 rows per query with
  // 1-bit codes alone, 16.0 with ex_bits 3, k 10.5 on average).
  if (GetParam() > 0) EXPECT_LT(verified, 60u * 40);
}

// One segment holding entries older and newer than a snapshot (the unique-
// keys path, where a segment wholly below the snapshot skips the per-entry
// visibility check): the snapshot sees only the older entries, the newest
// view all of them, with either code.
TEST_F(VectorIndexTest, OneSegmentSearchedAtAnOlderSnapshotHidesNewerEntries) {
  for (BucketCodes codes : {BucketCodes::kSQ8, BucketCodes::kRabitQ}) {
    codes_ = codes;
    auto_train_ = false;
    Open(8, 64, /*file_size=*/64 << 20);
    std::mt19937 rng(5);
    Model old_model;
    PutRegion("a", 600, 100, 0, &rng, &old_model);
    const rocksdb::Snapshot* snap = db_->GetSnapshot();
    Model all = old_model;
    PutRegion("b", 600, 100, 0, &rng, &all);
    ASSERT_OK(db_->Flush(rocksdb::FlushOptions(), handles_[1]));
    TrainOptions t;
    t.num_buckets = 8;
    ASSERT_OK(index_->Train(t));
    ASSERT_OK(db_->CompactRange(rocksdb::CompactRangeOptions(), handles_[1],
                                nullptr, nullptr));
    for (int i = 0; i < 10; ++i) {
      const std::vector<float> q = RandomVector(&rng, 100);
      const size_t k = 1 + rng() % 12;
      for (const rocksdb::Snapshot* at : {snap, db_->GetSnapshot()}) {
        const Model& model = at == snap ? old_model : all;
        SearchOptions so;
        so.snapshot = at;
        so.nprobe = 100000;  // every bucket: exact where the bounds hold
        std::vector<SearchHit> hits;
        SearchStats stats;
        ASSERT_OK(index_->Search(so, q, k, &hits, &stats));
        EXPECT_EQ(stats.point_reads, 0u);  // the unique-keys path
        ASSERT_EQ(hits, BruteForce(model, q, k)) << "query " << i;
        so.exhaustive = true;
        ASSERT_OK(index_->Search(so, q, k, &hits));
        ASSERT_EQ(hits, BruteForce(model, q, k)) << "query " << i;
        if (at != snap) db_->ReleaseSnapshot(at);
      }
    }
    db_->ReleaseSnapshot(snap);
    Close();
    test::RemoveDir(dir_);
    dir_ = test::TempDir("vector_index");
  }
}

TEST_F(VectorIndexTest, CodebookRoutingAndSingleVersionFastPath) {
  auto_train_ = false;  // epochs come from the explicit Train calls only
  Open(8, /*bucket_size=*/64, /*file_size=*/1 << 20);
  std::mt19937 rng(3);
  Model model;
  for (int i = 0; i < 3000; ++i) {
    const std::string k = "k" + std::to_string(i);
    model[k] = RandomVector(&rng, 1000);
    ASSERT_OK(index_->Put(rocksdb::WriteOptions(), k, model[k]));
  }
  ASSERT_OK(db_->Flush(rocksdb::FlushOptions(), handles_[1]));
  EXPECT_EQ(index_->codebook_epoch(), 0u);
  TrainOptions t;
  t.num_buckets = 40;
  ASSERT_OK(index_->Train(t));  // re-buckets every segment
  EXPECT_EQ(index_->codebook_epoch(), 1u);
  SearchOptions so;
  so.nprobe = 4;
  for (int i = 0; i < 20; ++i) {
    const std::vector<float> q = RandomVector(&rng, 1000);
    std::vector<SearchHit> hits;
    SearchStats stats;
    ASSERT_OK(index_->Search(so, q, 10, &hits, &stats));
    EXPECT_EQ(hits.size(), 10u);
    EXPECT_EQ(stats.point_reads, 0u);  // compacted: one version per key
    EXPECT_GT(stats.candidates_verified, 0u);
    // The same 4 slots in every segment of the epoch.
    EXPECT_LE(stats.buckets_probed, 4u * 8);
    EXPECT_LT(stats.segment_vectors_scanned, 3000u);
    ExpectValidApproximate(model, nullptr, q, 10);
  }
  // A fresh write: memtable not empty, so candidates are verified by reads.
  ASSERT_OK(index_->Put(rocksdb::WriteOptions(), "k0", model["k0"]));
  std::vector<SearchHit> hits;
  SearchStats stats;
  ASSERT_OK(index_->Search(so, model["k0"], 3, &hits, &stats));
  EXPECT_GT(stats.point_reads, 0u);
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(hits[0].key, "k0");
  // The codebook survives reopen; a new Train gets the next epoch.
  Close();
  Open(8, 64, 1 << 20);
  EXPECT_EQ(index_->codebook_epoch(), 1u);
  ASSERT_OK(index_->Train(t));
  EXPECT_EQ(index_->codebook_epoch(), 2u);
}

// Scavenger: a segment that is >= 20% tombstones is marked for compaction,
// and the compaction drops the deleted vectors.
TEST_F(VectorIndexTest, DeletedVectorsAreScavenged) {
  auto_train_ = false;
  Open(8, /*bucket_size=*/64, /*file_size=*/1 << 20);
  std::mt19937 rng(8);
  Model model;
  for (int i = 0; i < 2000; ++i) {
    const std::string k = "k" + std::to_string(1000 + i);
    model[k] = RandomVector(&rng, 100);
    ASSERT_OK(index_->Put(rocksdb::WriteOptions(), k, model[k]));
  }
  ASSERT_OK(db_->Flush(rocksdb::FlushOptions(), handles_[1]));
  ASSERT_OK(db_->CompactRange(rocksdb::CompactRangeOptions(), handles_[1],
                              nullptr, nullptr));
  for (int i = 0; i < 600; ++i) {
    const std::string k = "k" + std::to_string(1000 + 3 * i);
    ASSERT_OK(index_->Delete(rocksdb::WriteOptions(), k));
    model.erase(k);
  }
  ASSERT_OK(db_->Flush(rocksdb::FlushOptions(), handles_[1]));
  uint64_t entries = 0;
  for (int i = 0; i < 200; ++i) {  // The compaction runs in the background.
    rocksdb::TablePropertiesCollection props;
    ASSERT_OK(db_->GetPropertiesOfAllTables(handles_[1], &props));
    entries = 0;
    for (const auto& p : props) entries += p.second->num_entries;
    if (entries == model.size()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(entries, model.size());  // Deleted vectors and tombstones gone.
  ExpectExact(model, nullptr, &rng);
}

// Searches see memtable vectors through the DriftMemTable only: Attach
// refuses a column family whose memtables would be invisible to them.
TEST_F(VectorIndexTest, AttachNeedsTheDriftMemTableOfTheSameDimension) {
  for (int variant = 0; variant < 2; ++variant) {
    rocksdb::ColumnFamilyOptions vec = VectorColumnFamilyOptions(8);
    if (variant == 0) {
      vec.memtable_factory.reset(new rocksdb::SkipListFactory());
    } else {
      DriftMemTableOptions mopts;
      mopts.dimension = 4;
      vec.memtable_factory = NewDriftMemTableFactory(mopts);
    }
    const std::string dir = dir_ + "/attach" + std::to_string(variant);
    std::unique_ptr<rocksdb::DB> db;
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    ASSERT_OK(
        test::OpenWithVectorCf(dir, rocksdb::DBOptions(), vec, &db, &handles));
    VectorIndexOptions vopts;
    vopts.dimension = 8;
    std::unique_ptr<VectorIndex> index;
    const rocksdb::Status s =
        VectorIndex::Attach(db.get(), handles[1], vopts, &index);
    EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
    EXPECT_NE(s.ToString().find("DriftMemTable"), std::string::npos)
        << s.ToString();
    for (auto* h : handles) EXPECT_OK(db->DestroyColumnFamilyHandle(h));
  }
}

TEST_F(VectorIndexTest, MemtableGraphAnswersForIndexedRows) {
  Open(16, 64, /*file_size=*/256 << 20);  // everything stays in the memtable
  std::mt19937 rng(21);
  Model model;
  for (int i = 0; i < 6000; ++i) {
    const std::string k = "m" + std::to_string(i);
    model[k] = RandomVector(&rng, 1000);
    ASSERT_OK(index_->Put(rocksdb::WriteOptions(), k, model[k]));
  }
  // Until the background indexer caught up, the tail is scanned.
  SearchStats stats;
  std::vector<SearchHit> hits;
  for (int i = 0; i < 600; ++i) {
    stats = SearchStats();
    ASSERT_OK(index_->Search(SearchOptions(), model["m0"], 10, &hits, &stats));
    if (stats.memtable_vectors_scanned == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(stats.memtable_vectors_scanned, 0u);  // all rows indexed
  EXPECT_GT(stats.memtable_graph_results, 0u);
  size_t found = 0;
  for (int q = 0; q < 50; ++q) {
    const std::vector<float> query = RandomVector(&rng, 1000);
    ASSERT_OK(index_->Search(SearchOptions(), query, 10, &hits));
    const std::vector<SearchHit> exact = BruteForce(model, query, 10);
    for (const SearchHit& h : hits) {
      found += std::count(exact.begin(), exact.end(), h);
    }
    ExpectValidApproximate(model, nullptr, query, 10);
  }
  EXPECT_GE(found, 50u * 10 * 9 / 10);  // recall@10 >= 0.9 from the graph
  // A fresh write is searchable at once (scanned, not yet in the graph).
  const std::vector<float> v = RandomVector(&rng, 1000);
  ASSERT_OK(index_->Put(rocksdb::WriteOptions(), "fresh", v));
  ASSERT_OK(index_->Search(SearchOptions(), v, 1, &hits));
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].key, "fresh");
}

TEST_F(VectorIndexTest, JanitorRebucketsFileByFileWithinItsBudget) {
  auto_train_ = false;               // Train and Maintain are called here
  disable_auto_compactions_ = true;  // the janitor alone rewrites segments
  janitor_ops_per_sec_ = 1000;
  janitor_bytes_per_sec_ = 1 << 20;  // bursts of 100 KiB: every file waits
  Open(16, /*bucket_size=*/64, /*file_size=*/128 << 10);
  std::mt19937 rng(17);
  Model model;
  for (int round = 0; round < 4; ++round) {
    for (int i = 0; i < 2000; ++i) {
      const std::string k = "j" + std::to_string(rng() % 6000);
      model[k] = RandomVector(&rng, 1000);
      ASSERT_OK(index_->Put(rocksdb::WriteOptions(), k, model[k]));
    }
    ASSERT_OK(db_->Flush(rocksdb::FlushOptions(), handles_[1]));
  }
  // Several level-1 segments, each rewritten on its own below.
  ASSERT_OK(db_->CompactRange(rocksdb::CompactRangeOptions(), handles_[1],
                              nullptr, nullptr));
  std::vector<rocksdb::LiveFileMetaData> files;
  db_->GetLiveFilesMetaData(&files);
  ASSERT_GT(files.size(), 2u);
  TrainOptions t;
  t.rebucket = true;
  ASSERT_OK(index_->Train(t));
  IndexStats stats;
  ASSERT_OK(index_->GetStats(&stats));
  EXPECT_EQ(stats.other_epoch_vectors, 0u);
  EXPECT_GT(stats.segments_rebucketed, 1u);
  EXPECT_GT(stats.bytes_rebucketed, 128u << 10);
  EXPECT_GT(stats.janitor_budget_wait_micros, 0u);
  std::mt19937 qrng(2);
  ExpectExact(model, nullptr, &qrng);

  // A codebook published without re-bucketing: the next maintenance check
  // rewrites what it left in the old epoch, without retraining.
  t.rebucket = false;
  ASSERT_OK(index_->Train(t));
  ASSERT_OK(index_->GetStats(&stats));
  ASSERT_GT(stats.other_epoch_vectors, 0u);
  const uint64_t rewritten = stats.segments_rebucketed;
  const uint64_t trainings = stats.trainings;
  bool retrained = true;
  ASSERT_OK(index_->Maintain(&retrained));
  EXPECT_FALSE(retrained);
  ASSERT_OK(index_->GetStats(&stats));
  EXPECT_EQ(stats.other_epoch_vectors, 0u);
  EXPECT_GT(stats.segments_rebucketed, rewritten);
  EXPECT_EQ(stats.trainings, trainings);
  ExpectExact(model, nullptr, &qrng);
  std::string text;
  ASSERT_OK(index_->GetProperty("drift.stats", &text));
  EXPECT_NE(text.find("segments re-bucketed by the janitor: " +
                      std::to_string(stats.segments_rebucketed) + "\n"),
            std::string::npos)
      << text;
  EXPECT_TRUE(index_->GetProperty("drift.nope", &text).IsInvalidArgument());
}

TEST_F(VectorIndexTest, JanitorFlushesMemtablesThatGrewOld) {
  max_memtable_age_seconds_ = 1;
  Open(8, 64, /*file_size=*/64 << 20);  // nothing flushes by size
  std::mt19937 rng(23);
  ASSERT_OK(index_->Put(rocksdb::WriteOptions(), "old", RandomVector(&rng, 9)));
  uint64_t entries = 1;
  for (int i = 0; i < 100 && entries > 0; ++i) {  // up to 10 s
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    ASSERT_TRUE(db_->GetIntProperty(
        handles_[1], "rocksdb.num-entries-active-mem-table", &entries));
  }
  EXPECT_EQ(entries, 0u);
  std::vector<rocksdb::LiveFileMetaData> files;
  for (int i = 0; i < 100 && files.empty(); ++i) {  // the flush did not wait
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    db_->GetLiveFilesMetaData(&files);
  }
  EXPECT_FALSE(files.empty());
  IndexStats stats;
  ASSERT_OK(index_->GetStats(&stats));
  EXPECT_GE(stats.age_flushes, 1u);
}

TEST_F(VectorIndexTest, GraphOfAnImmutableMemtableStopsGrowing) {
  Open(64, 64, /*file_size=*/256 << 20);
  std::mt19937 rng(5);
  Model model;
  for (int i = 0; i < 30000; ++i) {  // far faster than the graph indexes
    const std::string k = "i" + std::to_string(i);
    model[k] = RandomVector(&rng, 1000);
    ASSERT_OK(index_->Put(rocksdb::WriteOptions(), k, model[k]));
  }
  // The memtable becomes immutable; its flush waits for background work.
  ASSERT_OK(db_->PauseBackgroundWork());
  rocksdb::FlushOptions no_wait;
  no_wait.wait = false;
  ASSERT_OK(db_->Flush(no_wait, handles_[1]));
  auto unindexed = [&] {
    SearchStats stats;
    std::vector<SearchHit> hits;
    EXPECT_OK(index_->Search(SearchOptions(), model["i0"], 10, &hits, &stats));
    return stats.memtable_vectors_scanned;
  };
  const uint64_t at_switch = unindexed();
  ASSERT_GT(at_switch, 0u) << "the graph caught up before the switch";
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(unindexed(), at_switch);  // the indexer left it alone
  for (int q = 0; q < 5; ++q) {
    ExpectValidApproximate(model, nullptr, RandomVector(&rng, 1000), 10);
  }
  ASSERT_OK(db_->ContinueBackgroundWork());
  ASSERT_OK(db_->Flush(rocksdb::FlushOptions(), handles_[1]));
  std::mt19937 qrng(9);
  ExpectExact(model, nullptr, &qrng);
}

TEST_F(VectorIndexTest, ReadYourWrites) {
  Open(4);
  std::mt19937 rng(1);
  for (int i = 0; i < 300; ++i) {
    std::vector<float> v = RandomVector(&rng, 1000);
    const std::string k = "k" + std::to_string(i);
    ASSERT_OK(index_->Put(rocksdb::WriteOptions(), k, v));
    std::vector<SearchHit> hits;
    ASSERT_OK(index_->Search(SearchOptions(), v, 1, &hits));  // default effort
    ASSERT_EQ(hits.size(), 1u);
    EXPECT_EQ(hits[0].distance, 0.0f);
    if (i % 100 == 99) {
      ASSERT_OK(db_->Flush(rocksdb::FlushOptions(), handles_[1]));
    }
  }
}

TEST_F(VectorIndexTest, BadInputGetsClearErrors) {
  Open(4);
  // Malformed maintenance options are refused at Attach, naming the rule.
  auto attach_error = [&](const VectorIndexOptions& o) {
    std::unique_ptr<VectorIndex> other;
    rocksdb::Status st = VectorIndex::Attach(db_.get(), handles_[1], o, &other);
    EXPECT_TRUE(st.IsInvalidArgument()) << st.ToString();
    return st.ToString();
  };
  VectorIndexOptions bad;
  bad.dimension = 4;
  bad.split_bucket_over_target = 1.0;
  EXPECT_NE(attach_error(bad).find("split_bucket_over_target"),
            std::string::npos);
  bad.split_bucket_over_target = 1.5;
  bad.merge_bucket_under_target = 0.5;  // no 4x gap: no hysteresis
  EXPECT_NE(attach_error(bad).find("merge_bucket_under_target"),
            std::string::npos);
  bad.merge_bucket_under_target = 0.25;
  bad.vacuum_dead_fraction = 1.5;
  EXPECT_NE(attach_error(bad).find("vacuum_dead_fraction"), std::string::npos);
  std::vector<SearchHit> hits;
  ASSERT_OK(index_->Search(SearchOptions(), {0, 0, 0, 0}, 5, &hits));
  EXPECT_TRUE(hits.empty());  // empty database: OK, no hits
  rocksdb::Status s = index_->Put(rocksdb::WriteOptions(), "a", {1, 2, 3});
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.ToString().find("dimension 3"), std::string::npos)
      << s.ToString();
  s = index_->Put(rocksdb::WriteOptions(), "a", {1, NAN, 3, 4});
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.ToString().find("NaN"), std::string::npos) << s.ToString();
  s = index_->Put(rocksdb::WriteOptions(), "a", {1, INFINITY, 3, 4});
  EXPECT_NE(s.ToString().find("infinite"), std::string::npos) << s.ToString();
  EXPECT_TRUE(index_->Search(SearchOptions(), {1, 2, 3, 4}, 0, &hits)
                  .IsInvalidArgument());
  EXPECT_TRUE(
      index_->Search(SearchOptions(), {1, 2, 3, 4}, kMaxSearchK + 1, &hits)
          .IsInvalidArgument());
  EXPECT_TRUE(
      index_->Search(SearchOptions(), {1, 2}, 1, &hits).IsInvalidArgument());
  ASSERT_OK(db_->Put(rocksdb::WriteOptions(), handles_[1], "raw", "xyz"));
  std::vector<float> v;
  EXPECT_TRUE(
      index_->Get(rocksdb::ReadOptions(), "raw", &v).IsInvalidArgument());
  EXPECT_TRUE(index_->Get(rocksdb::ReadOptions(), "none", &v).IsNotFound());
  ASSERT_OK(index_->Close());
  EXPECT_TRUE(index_->Put(rocksdb::WriteOptions(), "a", {1, 2, 3, 4})
                  .IsInvalidArgument());
  EXPECT_TRUE(index_->Search(SearchOptions(), {1, 2, 3, 4}, 1, &hits)
                  .IsInvalidArgument());
  EXPECT_TRUE(index_->Close().IsInvalidArgument());
}

TEST_F(VectorIndexTest, WriteBatchIsAtomicAcrossColumnFamilies) {
  Open(4);
  rocksdb::WriteBatch batch;
  ASSERT_OK(index_->Put(&batch, "vec", {1, 2, 3, 4}));
  ASSERT_OK(batch.Put(handles_[0], "meta", "hello"));
  ASSERT_OK(db_->Write(rocksdb::WriteOptions(), &batch));
  std::vector<float> v;
  ASSERT_OK(index_->Get(rocksdb::ReadOptions(), "vec", &v));
  EXPECT_EQ(v, std::vector<float>({1, 2, 3, 4}));
  std::string meta;
  ASSERT_OK(db_->Get(rocksdb::ReadOptions(), handles_[0], "meta", &meta));
  EXPECT_EQ(meta, "hello");
}

// Regression: `Put({}, key, v)` and `Delete({}, key)` pick the WriteBatch*
// overloads with a null batch; they used to crash and are InvalidArgument
// now, naming the fix, and write nothing.
TEST_F(VectorIndexTest, NullWriteBatchIsRejected) {
  Open(4);
  rocksdb::Status s = index_->Put({}, "a", {1, 2, 3, 4});
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_NE(s.ToString().find("null WriteBatch"), std::string::npos)
      << s.ToString();
  EXPECT_NE(s.ToString().find("rocksdb::WriteOptions()"), std::string::npos)
      << s.ToString();
  s = index_->Delete({}, "a");
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_NE(s.ToString().find("Delete: null WriteBatch"), std::string::npos)
      << s.ToString();
  std::vector<float> v;
  EXPECT_TRUE(index_->Get(rocksdb::ReadOptions(), "a", &v).IsNotFound());
  // The WriteOptions overloads still work.
  ASSERT_OK(index_->Put(rocksdb::WriteOptions(), "a", {1, 2, 3, 4}));
  ASSERT_OK(index_->Delete(rocksdb::WriteOptions(), "a"));
}

// recall@10 with default search options on fashion-mnist (60,000 x 784,
// 10,000 queries), exact ground truth computed here.
TEST_F(VectorIndexTest, FashionMnistRecallAtDefaultEffort) {
  Dataset data;
  rocksdb::Status s = LoadFashionMnist(DRIFT_FASHION_MNIST_DIR, &data);
  if (s.IsNotFound()) GTEST_SKIP() << s.ToString();
  ASSERT_OK(s);
  auto_train_ =
      false;  // trained explicitly below, so the test is deterministic
  Open(data.dim, 1024, 64 << 20);
  PutAndFlushBase(data, data.num_base(), /*batch_rows=*/1000);
  ASSERT_OK(index_->Train(TrainOptions()));  // re-buckets by compaction
  ASSERT_EQ(index_->codebook_epoch(), 1u);
  const size_t nq = data.num_queries();
  const size_t k = 10;
  std::vector<uint32_t> gt(nq * k);
  ExactKnn(data.base.data(), data.num_base(), data.queries.data(), nq, data.dim,
           k, gt.data());
  // The default (the calibrated nprobe) and density routing, each at the
  // default recall target.
  for (bool adaptive : {false, true}) {
    SearchOptions so;
    so.adaptive_probes = adaptive;
    size_t found = 0;
    std::vector<SearchHit> hits;
    for (size_t q = 0; q < nq; ++q) {
      std::vector<float> query(data.queries.begin() + q * data.dim,
                               data.queries.begin() + (q + 1) * data.dim);
      ASSERT_OK(index_->Search(so, query, k, &hits));
      for (const SearchHit& h : hits) {
        const uint32_t id = static_cast<uint32_t>(std::stoul(h.key.substr(3)));
        found += std::count(gt.begin() + q * k, gt.begin() + (q + 1) * k, id);
      }
    }
    const double recall = double(found) / (nq * k);
    printf("fashion-mnist recall@10 at default effort%s: %.4f\n",
           adaptive ? " (density routing)" : "", recall);
    EXPECT_GE(recall, 0.95);
  }
  // The default effort's probe mix: its calibrated recall is the target, and
  // a query probes the same buckets every time.
  IndexStats st;
  ASSERT_OK(index_->GetStats(&st));
  printf("default nprobe %.2f, calibrated recall %.4f\n", st.default_nprobe,
         st.default_nprobe_recall);
  EXPECT_GT(st.default_nprobe, 1.0f);
  EXPECT_NEAR(st.default_nprobe_recall, kDefaultRecallTarget, 1e-4);
  for (size_t q = 0; q < 50; ++q) {
    const std::vector<float> query(data.queries.begin() + q * data.dim,
                                   data.queries.begin() + (q + 1) * data.dim);
    std::vector<SearchHit> first, again;
    SearchStats a, b;
    ASSERT_OK(index_->Search(SearchOptions(), query, k, &first, &a));
    ASSERT_OK(index_->Search(SearchOptions(), query, k, &again, &b));
    EXPECT_EQ(a.buckets_probed, b.buckets_probed);
    ASSERT_EQ(first.size(), again.size());
    for (size_t i = 0; i < first.size(); ++i) {
      EXPECT_EQ(first[i].key, again[i].key);
    }
  }
}

}  // namespace
}  // namespace drift
