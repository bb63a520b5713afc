// The engine against a model: random Put / overwrite / Delete / DeleteRange /
// Flush / CompactRange / reopen / snapshots; after each step an exhaustive
// Search must equal brute force over the model's visible state at that snapshot
// exactly (same keys, same order, ties by key). Plus read-your-writes, bad
// input, and recall on fashion-mnist.
#include "drift/vector_index.h"

#include <dirent.h>
#include <sched.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <sstream>
#include <thread>

#include "drift/plugin.h"
#include "gtest/gtest.h"
#include "index/bucket_moments.h"
#include "index/codebook.h"
#include "index/distance.h"
#include "index/exact_knn.h"
#include "tests/random_ops.h"
#include "tests/test_util.h"
#include "tests/vector_model.h"
#include "util/dataset.h"

namespace drift {
namespace {

using test::BruteForce;
using test::Model;

class VectorIndexTest : public testing::Test {
 protected:
  void SetUp() override {
    RegisterDrift();
    dir_ = test::TempDir("vector_index");
  }
  void TearDown() override {
    Close();
    test::RemoveDir(dir_);
  }

  void Open(uint32_t dim, uint32_t bucket_size = 32,
            uint64_t file_size = 256 << 10) {
    dim_ = dim;
    rocksdb::DBOptions db_opts;
    rocksdb::ColumnFamilyOptions base;
    base.write_buffer_size = file_size;
    base.level0_file_num_compaction_trigger = 3;
    base.target_file_size_base = file_size;
    base.disable_auto_compactions = disable_auto_compactions_;
    rocksdb::ColumnFamilyOptions vec = VectorColumnFamilyOptions(dim, base);
    DriftTableOptions topts;
    topts.dimension = dim;
    topts.target_bucket_size = bucket_size;
    topts.codes = codes_;
    vec.table_factory = NewDriftTableFactory(topts);
    DriftMemTableOptions mopts;
    mopts.dimension = dim;
    mopts.graph_min_rows = graph_min_rows_;
    vec.memtable_factory = NewDriftMemTableFactory(mopts);
    ASSERT_OK(test::OpenWithVectorCf(dir_, db_opts, vec, &db_, &handles_));
    VectorIndexOptions vopts;
    vopts.dimension = dim;
    vopts.auto_train = auto_train_;
    vopts.min_train_vectors = 1000;
    vopts.janitor_ops_per_sec = janitor_ops_per_sec_;
    vopts.janitor_bytes_per_sec = janitor_bytes_per_sec_;
    vopts.max_memtable_age_seconds = max_memtable_age_seconds_;
    vopts.split_merge = split_merge_;
    vopts.maintenance_cpu_priority = maintenance_cpu_priority_;
    vopts.maintenance_quiet_ms = maintenance_quiet_ms_;
    vopts.maintenance_max_defer_ms = maintenance_max_defer_ms_;
    ASSERT_OK(VectorIndex::Attach(db_.get(), handles_[1], vopts, &index_));
  }

  void Close() {
    index_.reset();
    for (auto* h : handles_)
      db_->DestroyColumnFamilyHandle(h).PermitUncheckedError();
    handles_.clear();
    db_.reset();
  }

  std::vector<float> RandomVector(std::mt19937* rng, int grid) {
    std::vector<float> v(dim_);
    // Small integer grids make exact distance ties frequent: ties must break by
    // key.
    for (float& x : v)
      x = static_cast<float>(static_cast<int>((*rng)() % grid) - grid / 2);
    return v;
  }

  // Puts n vectors "<prefix>0".."<prefix>n-1" (RandomVector(rng, grid) plus
  // `offset` in every component) through the index, and into *model.
  void PutRegion(const std::string& prefix, int n, int grid, float offset,
                 std::mt19937* rng, Model* model) {
    for (int i = 0; i < n; ++i) {
      std::vector<float> v = RandomVector(rng, grid);
      for (float& x : v) x += offset;
      const std::string k = prefix + std::to_string(i);
      ASSERT_OK(index_->Put(rocksdb::WriteOptions(), k, v));
      (*model)[k] = v;
    }
  }

  // Open, with 2000 vectors in the memtable and no codebook yet (more than
  // min_train_vectors: the first flush requests the first training).
  void OpenWithUntrainedVectors(uint32_t seed) {
    Open(8, 64, /*file_size=*/64 << 20);
    std::mt19937 rng(seed);
    Model model;
    PutRegion("k", 2000, 1000, 0, &rng, &model);
  }

  // PutRegion of n wide vectors "a<i>", flushed, then a codebook trained.
  void LoadAndTrain(int n, std::mt19937* rng, Model* model) {
    PutRegion("a", n, 100, 0, rng, model);
    ASSERT_OK(db_->Flush(rocksdb::FlushOptions(), handles_[1]));
    ASSERT_OK(index_->Train(TrainOptions()));
  }

  void ExpectExact(const Model& model, const rocksdb::Snapshot* snap,
                   std::mt19937* rng) {
    SearchOptions so;
    so.exhaustive = true;
    so.snapshot = snap;
    for (int i = 0; i < 3; ++i) {
      const std::vector<float> q = RandomVector(rng, 9);
      const size_t k = 1 + (*rng)() % 12;
      std::vector<SearchHit> hits;
      ASSERT_OK(index_->Search(so, q, k, &hits));
      ASSERT_EQ(hits, BruteForce(model, q, k));
      ExpectValidApproximate(model, snap, q, k);
    }
  }

  // A default-effort search may miss neighbours, but every hit must be a
  // visible key with its exact distance, once, in order.
  void ExpectValidApproximate(const Model& model, const rocksdb::Snapshot* snap,
                              const std::vector<float>& q, size_t k) {
    SearchOptions so;
    so.snapshot = snap;
    std::vector<SearchHit> hits;
    ASSERT_OK(index_->Search(so, q, k, &hits));
    test::ExpectValidHits(model, hits, q, k);
  }

  // Random Put / Delete / DeleteRange / Flush / CompactRange / Train / reopen
  // / snapshots: every exhaustive search equals brute force on the model.
  void RandomOpsStayExact();

  std::string dir_;
  uint32_t dim_ = 0;
  BucketCodes codes_ = BucketCodes::kSQ8;
  bool auto_train_ = true;
  bool disable_auto_compactions_ = false;
  uint32_t janitor_ops_per_sec_ = 0;
  uint64_t janitor_bytes_per_sec_ = 0;
  uint64_t max_memtable_age_seconds_ = 0;
  bool split_merge_ = true;
  rocksdb::CpuPriority maintenance_cpu_priority_ = rocksdb::CpuPriority::kLow;
  uint32_t maintenance_quiet_ms_ = VectorIndexOptions().maintenance_quiet_ms;
  uint32_t maintenance_max_defer_ms_ =
      VectorIndexOptions().maintenance_max_defer_ms;
  // Small, so memtable graphs are built (in the background) during the tests.
  uint32_t graph_min_rows_ = 16;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  std::unique_ptr<VectorIndex> index_;
};

void VectorIndexTest::RandomOpsStayExact() {
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
  ops.expect_exact = [this](const Model& m, const rocksdb::Snapshot* snap,
                            std::mt19937* g) { ExpectExact(m, snap, g); };
  test::RunRandomOps(ops, &rng, &model);
}

TEST_F(VectorIndexTest, ExhaustiveSearchEqualsBruteForceUnderRandomOps) {
  RandomOpsStayExact();
}

TEST_F(VectorIndexTest, ExhaustiveSearchEqualsBruteForceWithRabitqCodes) {
  codes_ = BucketCodes::kRabitQ;
  RandomOpsStayExact();
}

// With RaBitQ codes in every segment (and one version per key) a search
// re-ranks by the codes' error bounds: probing every bucket it returns the
// exact k nearest (the bounds hold for ~99.7% of pairs, and a neighbour is
// only lost if its bound fails by more than the margin to the k-th upper
// bound), while verifying only a small share of the vectors.
TEST_F(VectorIndexTest, RabitqBoundsKeepSearchExactOverProbedBuckets) {
  codes_ = BucketCodes::kRabitQ;
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

TEST_F(VectorIndexTest, AutoTrainAfterFirstFlush) {
  Open(8, /*bucket_size=*/64, /*file_size=*/1 << 20);
  std::mt19937 rng(11);
  Model model;
  for (int i = 0; i < 2000; ++i) {
    const std::string k = "k" + std::to_string(i);
    model[k] = RandomVector(&rng, 1000);
    ASSERT_OK(index_->Put(rocksdb::WriteOptions(), k, model[k]));
  }
  ASSERT_OK(db_->Flush(rocksdb::FlushOptions(), handles_[1]));
  // The flush wrote a segment without a codebook: the background trainer
  // trains, persists, publishes and re-buckets.
  for (int i = 0; i < 600 && index_->codebook_epoch() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(index_->codebook_epoch(), 1u);
  ExpectExact(model, nullptr, &rng);
  // Close while idle and reopen: the codebook is the persisted one.
  Close();
  Open(8, 64, 1 << 20);
  EXPECT_EQ(index_->codebook_epoch(), 1u);
  ExpectExact(model, nullptr, &rng);
}

// Drift maintenance: data arriving in a new region overloads the buckets
// nearest to it; Maintain retrains and re-buckets once, and searches stay
// exact throughout.
TEST_F(VectorIndexTest, MaintenanceRetrainsWhenDataDrifts) {
  auto_train_ = false;
  split_merge_ = false;  // the retrain path alone
  Open(8, /*bucket_size=*/64, /*file_size=*/1 << 20);
  std::mt19937 rng(5);
  Model model;
  LoadAndTrain(3000, &rng, &model);
  IndexStats st;
  ASSERT_OK(index_->GetStats(&st));
  const uint64_t first_epoch = st.codebook_epoch;
  EXPECT_EQ(st.bucketed_vectors, 3000u);
  EXPECT_LT(st.max_over_mean(), 3.0);
  bool retrained = true;
  ASSERT_OK(index_->Maintain(&retrained));
  EXPECT_FALSE(retrained);  // Nothing new since training.
  // The distribution moves: 3000 vectors in a tight region far away.
  PutRegion("b", 3000, 10, 400, &rng, &model);
  ASSERT_OK(db_->Flush(rocksdb::FlushOptions(), handles_[1]));
  ASSERT_OK(db_->CompactRange(rocksdb::CompactRangeOptions(), handles_[1],
                              nullptr, nullptr));
  ASSERT_OK(index_->GetStats(&st));
  EXPECT_GT(st.max_over_mean(), 3.0);
  ExpectExact(model, nullptr, &rng);
  ASSERT_OK(index_->Maintain(&retrained));
  EXPECT_TRUE(retrained);
  ASSERT_OK(index_->GetStats(&st));
  EXPECT_GT(st.codebook_epoch, first_epoch);
  EXPECT_EQ(st.retrains_imbalance, 1u);
  EXPECT_EQ(st.other_epoch_vectors, 0u);  // Every segment re-bucketed.
  EXPECT_EQ(st.bucketed_vectors, 6000u);
  EXPECT_LT(st.max_over_mean(), 3.0);
  ExpectExact(model, nullptr, &rng);
  ASSERT_OK(index_->Maintain(&retrained));
  EXPECT_FALSE(retrained);  // Hysteresis: no new data, no new training.
}

// With split_merge (the default), the same drift is absorbed by splitting the
// overloaded buckets: no retraining, buckets balanced again, searches exact.
TEST_F(VectorIndexTest, MaintenanceSplitsBucketsWhenDataDrifts) {
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
  PutRegion("b", 3000, 10, 400, &rng, &model);
  ASSERT_OK(db_->Flush(rocksdb::FlushOptions(), handles_[1]));
  ASSERT_OK(db_->CompactRange(rocksdb::CompactRangeOptions(), handles_[1],
                              nullptr, nullptr));
  ASSERT_OK(index_->GetStats(&st));
  EXPECT_GT(st.max_over_mean(), 3.0);
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

// The bucket statistics against a model: per slot of the codebook, the live
// vectors' count, centre and spread, and the rows hidden by later overwrites
// and deletions, with some writes still in the memtable and some flushed
// before the statistics saw them; compaction then drops the hidden rows.
TEST_F(VectorIndexTest, BucketStatsMatchTheModel) {
  auto_train_ = false;
  split_merge_ = false;              // the codebook stays as trained
  disable_auto_compactions_ = true;  // hidden rows stay until CompactRange
  Open(8, /*bucket_size=*/64, /*file_size=*/1 << 20);
  std::mt19937 rng(12);
  Model model;
  LoadAndTrain(2000, &rng, &model);
  std::string encoded;
  ASSERT_OK(db_->Get(rocksdb::ReadOptions(), handles_[0],
                     "drift.codebook/" + handles_[1]->GetName(), &encoded));
  Codebook cb;
  ASSERT_OK(Codebook::DecodeFrom(encoded, &cb));
  ASSERT_EQ(cb.lineage.size(), cb.size());
  EXPECT_EQ(cb.lineage[0].born_epoch, cb.epoch);
  auto slot_of = [&](const std::vector<float>& v) {
    uint32_t slot = 0;
    cb.Assign(v.data(), 1, &slot);
    return slot;
  };
  std::vector<BucketInfo> buckets;
  ASSERT_OK(index_->GetBucketStats(&buckets));
  ASSERT_EQ(buckets.size(), cb.size());
  std::vector<uint64_t> hidden(cb.size(), 0);
  // Each key changes once: overwrites, deletions and new keys, half of them
  // flushed before the statistics look again.
  for (int half = 0; half < 2; ++half) {
    for (int i = half; i < 600; i += 2) {
      const std::string k = "a" + std::to_string(3 * i);
      ++hidden[slot_of(model[k])];
      if (i % 3 == 0) {
        ASSERT_OK(index_->Delete(rocksdb::WriteOptions(), k));
        model.erase(k);
      } else {
        model[k] = RandomVector(&rng, 100);
        ASSERT_OK(index_->Put(rocksdb::WriteOptions(), k, model[k]));
      }
    }
    PutRegion(half == 0 ? "c" : "d", 250, 10, 300, &rng, &model);
    if (half == 0) {
      ASSERT_OK(db_->Flush(rocksdb::FlushOptions(), handles_[1]));
    }
  }
  auto expect_model = [&](bool with_hidden) {
    std::vector<BucketMoments> live(cb.size());
    for (const auto& kv : model)
      live[slot_of(kv.second)].Add(kv.second.data(), 8);
    ASSERT_OK(index_->GetBucketStats(&buckets));
    ASSERT_EQ(buckets.size(), cb.size());
    uint64_t tombstones = 0;
    for (uint32_t s = 0; s < cb.size(); ++s) {
      const BucketInfo& b = buckets[s];
      EXPECT_EQ(b.slot, s);
      EXPECT_EQ(b.live, live[s].count) << s;
      EXPECT_EQ(b.tombstones, with_hidden ? hidden[s] : 0) << s;
      EXPECT_EQ(b.rows, b.live + b.tombstones) << s;
      EXPECT_NEAR(b.centre_shift, std::sqrt(live[s].ShiftSqr(cb.centroid(s))),
                  1e-3 * (1 + b.centre_shift))
          << s;
      EXPECT_NEAR(b.spread, std::sqrt(live[s].spread()), 1e-3 * (1 + b.spread))
          << s;
      tombstones += b.tombstones;
    }
    IndexStats st;
    ASSERT_OK(index_->GetStats(&st));
    EXPECT_EQ(st.bucket_tombstones, tombstones);
    EXPECT_EQ(st.stats_memtables_missed, 0u);
  };
  expect_model(/*with_hidden=*/true);
  ASSERT_OK(db_->Flush(rocksdb::FlushOptions(), handles_[1]));
  expect_model(/*with_hidden=*/true);
  ASSERT_OK(db_->CompactRange(rocksdb::CompactRangeOptions(), handles_[1],
                              nullptr, nullptr));
  expect_model(/*with_hidden=*/false);
  ExpectExact(model, nullptr, &rng);
}

// An adversarial workload that moves the same keys back and forth between two
// regions cannot make maintenance retrain over and over.
TEST_F(VectorIndexTest, MaintenanceIsBoundedUnderOscillation) {
  auto_train_ = false;
  Open(8, /*bucket_size=*/64, /*file_size=*/1 << 20);
  std::mt19937 rng(6);
  Model model;
  LoadAndTrain(2000, &rng, &model);
  for (int round = 0; round < 12; ++round) {
    PutRegion("o", 800, 10, round % 2 == 1 ? 400.0f : 0.0f, &rng, &model);
    ASSERT_OK(db_->Flush(rocksdb::FlushOptions(), handles_[1]));
    ASSERT_OK(db_->CompactRange(rocksdb::CompactRangeOptions(), handles_[1],
                                nullptr, nullptr));
    ASSERT_OK(index_->Maintain(nullptr));
  }
  IndexStats st;
  ASSERT_OK(index_->GetStats(&st));
  // At most the one retraining the 800 new vectors justify (they are > 10%
  // and >= min_train_vectors only together with the growth they brought).
  EXPECT_LE(st.trainings, 2u);
  // Split/merge checks ran every round, but once the codebook has buckets
  // for both regions, emptying one of them is not worth a re-bucketing.
  EXPECT_GE(st.edit_checks, 10u);
  EXPECT_LE(st.edit_publishes, 2u);
  EXPECT_GT(st.bucket_edits_deferred, 0u);
  ExpectExact(model, nullptr, &rng);
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

// Vacuum: entries made dead by later overwrites (which the deletion-ratio
// scavenger cannot see) are found by sampling and compacted away once a
// segment is >= 20% dead; below that, nothing is rewritten.
TEST_F(VectorIndexTest, VacuumCompactsSegmentsMadeDeadByLaterWrites) {
  auto_train_ = false;
  split_merge_ = false;              // no edit may rewrite the column family
  disable_auto_compactions_ = true;  // only the vacuum compacts
  Open(8, /*bucket_size=*/64, /*file_size=*/1 << 20);
  std::mt19937 rng(9);
  Model model;
  auto put = [&](const std::string& k) {
    model[k] = RandomVector(&rng, 100);
    ASSERT_OK(index_->Put(rocksdb::WriteOptions(), k, model[k]));
  };
  auto entries = [&] {
    rocksdb::TablePropertiesCollection props;
    EXPECT_OK(db_->GetPropertiesOfAllTables(handles_[1], &props));
    uint64_t n = 0;
    for (const auto& p : props) n += p.second->num_entries;
    return n;
  };
  for (int i = 0; i < 2000; ++i) put("k" + std::to_string(1000 + i));
  ASSERT_OK(db_->Flush(rocksdb::FlushOptions(), handles_[1]));
  ASSERT_OK(db_->CompactRange(rocksdb::CompactRangeOptions(), handles_[1],
                              nullptr, nullptr));
  ASSERT_OK(index_->Train(TrainOptions()));
  // 8% of the segment overwritten (and 100 new keys): not enough.
  for (int i = 0; i < 160; ++i) put("k" + std::to_string(1000 + 11 * i));
  for (int i = 0; i < 100; ++i) put("n" + std::to_string(i));
  ASSERT_OK(db_->Flush(rocksdb::FlushOptions(), handles_[1]));
  ASSERT_OK(index_->Maintain(nullptr));
  IndexStats st;
  ASSERT_OK(index_->GetStats(&st));
  EXPECT_EQ(st.vacuum_checks, 1u);
  EXPECT_EQ(st.segments_vacuumed, 0u);
  EXPECT_EQ(entries(), 2260u);
  // 30% more overwritten: the first segment is now ~38% dead.
  for (int i = 0; i < 600; ++i) put("k" + std::to_string(1001 + 3 * i));
  ASSERT_OK(db_->Flush(rocksdb::FlushOptions(), handles_[1]));
  ExpectExact(model, nullptr, &rng);
  ASSERT_OK(index_->Maintain(nullptr));
  ASSERT_OK(index_->GetStats(&st));
  EXPECT_EQ(st.vacuum_checks, 2u);
  EXPECT_GE(st.segments_vacuumed, 1u);
  EXPECT_EQ(entries(), model.size());  // every dead version dropped
  ExpectExact(model, nullptr, &rng);
  std::string text;
  ASSERT_OK(index_->GetProperty("drift.stats", &text));
  EXPECT_NE(text.find("segments vacuumed: " +
                      std::to_string(st.segments_vacuumed) + "\n"),
            std::string::npos);
  ASSERT_OK(index_->Maintain(nullptr));  // nothing written since: no check
  ASSERT_OK(index_->GetStats(&st));
  EXPECT_EQ(st.vacuum_checks, 2u);
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

// Nice value and scheduling policy of this process's thread named `name`
// (fields 19 and 41 of /proc/self/task/<tid>/stat); false if there is none.
bool ThreadScheduling(const std::string& name, int* nice, int* policy) {
  DIR* dir = opendir("/proc/self/task");
  if (dir == nullptr) return false;
  bool found = false;
  while (dirent* e = readdir(dir)) {
    const std::string task = std::string("/proc/self/task/") + e->d_name;
    std::ifstream comm(task + "/comm");
    std::string line;
    if (!std::getline(comm, line) || line != name) continue;
    std::ifstream stat_file(task + "/stat");
    std::string stat((std::istreambuf_iterator<char>(stat_file)),
                     std::istreambuf_iterator<char>());
    std::istringstream fields(stat.substr(stat.rfind(')') + 2));
    std::vector<std::string> f;  // f[0] is field 3 (state)
    for (std::string x; fields >> x;) f.push_back(x);
    if (f.size() < 39) continue;
    *nice = std::stoi(f[16]);
    *policy = std::stoi(f[38]);
    found = true;
  }
  closedir(dir);
  return found;
}

TEST_F(VectorIndexTest, MaintenanceThreadRunsAtItsCpuPriority) {
  struct Case {
    rocksdb::CpuPriority priority;
    int nice, policy;  // nice: only for kLow (SCHED_IDLE keeps it)
  };
  for (const Case c : {Case{rocksdb::CpuPriority::kLow, 19, SCHED_OTHER},
                       Case{rocksdb::CpuPriority::kIdle, 0, SCHED_IDLE}}) {
    errno = 0;
    const int own_nice = getpriority(PRIO_PROCESS, 0);
    maintenance_cpu_priority_ = c.priority;
    Open(8);
    int nice = -100, policy = -1;
    // The thread sets its own priority as it starts.
    const int want_nice =
        c.priority == rocksdb::CpuPriority::kIdle ? own_nice : c.nice;
    for (int i = 0;
         i < 500 && !(ThreadScheduling("drift-maint", &nice, &policy) &&
                      nice == want_nice && policy == c.policy);
         ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_EQ(nice, want_nice);
    EXPECT_EQ(policy, c.policy);
    Close();
    test::RemoveDir(dir_);
    // Only that thread: the test's own kept its priority.
    EXPECT_EQ(getpriority(PRIO_PROCESS, 0), own_nice);
    EXPECT_EQ(sched_getscheduler(0), SCHED_OTHER);
  }
}

TEST_F(VectorIndexTest, AttachRejectsAnInvalidCpuPriority) {
  rocksdb::ColumnFamilyOptions vec = VectorColumnFamilyOptions(8);
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  ASSERT_OK(
      test::OpenWithVectorCf(dir_, rocksdb::DBOptions(), vec, &db, &handles));
  VectorIndexOptions vopts;
  vopts.dimension = 8;
  vopts.maintenance_cpu_priority = static_cast<rocksdb::CpuPriority>(9);
  std::unique_ptr<VectorIndex> index;
  const rocksdb::Status s =
      VectorIndex::Attach(db.get(), handles[1], vopts, &index);
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_NE(s.ToString().find("maintenance_cpu_priority"), std::string::npos)
      << s.ToString();
  for (auto* h : handles) EXPECT_OK(db->DestroyColumnFamilyHandle(h));
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

TEST_F(VectorIndexTest, CloseStopsAPacedRebucketing) {
  auto_train_ = false;
  disable_auto_compactions_ = true;
  janitor_bytes_per_sec_ = 10 << 10;  // megabytes would take minutes
  Open(16, 64, /*file_size=*/128 << 10);
  std::mt19937 rng(29);
  for (int i = 0; i < 4000; ++i) {
    ASSERT_OK(index_->Put(rocksdb::WriteOptions(), "c" + std::to_string(i),
                          RandomVector(&rng, 1000)));
  }
  ASSERT_OK(db_->Flush(rocksdb::FlushOptions(), handles_[1]));
  rocksdb::Status trained;
  const auto start = std::chrono::steady_clock::now();
  std::thread train([&] {
    TrainOptions t;
    t.rebucket = true;
    trained = index_->Train(t);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_OK(index_->Close());
  train.join();
  EXPECT_TRUE(trained.IsIncomplete()) << trained.ToString();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
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

// Writes one vector every 5 ms from its own thread until destroyed.
class TrickleWriter {
 public:
  explicit TrickleWriter(VectorIndex* index)
      : thread_([this, index] {
          std::mt19937 rng(77);
          std::uniform_real_distribution<float> u(-1, 1);
          for (int i = 0; !stop_; ++i) {
            std::vector<float> v(8);
            for (float& x : v) x = u(rng);
            const rocksdb::Status s =
                index->Put(rocksdb::WriteOptions(), "t" + std::to_string(i), v);
            EXPECT_TRUE(s.ok()) << s.ToString();
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
          }
        }) {}
  ~TrickleWriter() {
    stop_ = true;
    thread_.join();
  }

 private:
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// Waits up to 30 s for the first codebook.
bool WaitForFirstCodebook(VectorIndex* index) {
  for (int i = 0; i < 600 && index->codebook_epoch() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return index->codebook_epoch() > 0;
}

TEST_F(VectorIndexTest, MaintenanceWaitsForWritesToPause) {
  maintenance_quiet_ms_ = 300;
  maintenance_max_defer_ms_ = 60000;
  OpenWithUntrainedVectors(31);
  {
    TrickleWriter writes(index_.get());
    // The flush requests the first training, which waits for a pause.
    ASSERT_OK(db_->Flush(rocksdb::FlushOptions(), handles_[1]));
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    EXPECT_EQ(index_->codebook_epoch(), 0u);
  }
  ASSERT_TRUE(WaitForFirstCodebook(index_.get()));
  IndexStats stats;
  ASSERT_OK(index_->GetStats(&stats));
  EXPECT_GE(stats.maintenance_deferrals, 1u);
  EXPECT_EQ(stats.maintenance_deferrals_capped, 0u);
  EXPECT_GE(stats.maintenance_defer_micros, 1000000u);
  std::string text;
  ASSERT_OK(index_->GetProperty("drift.stats", &text));
  EXPECT_NE(text.find("maintenance checks deferred for writes: "),
            std::string::npos);
}

TEST_F(VectorIndexTest, MaintenanceStartsAtTheDeferralCapUnderSustainedWrites) {
  maintenance_quiet_ms_ = 2000;
  maintenance_max_defer_ms_ = 300;
  OpenWithUntrainedVectors(37);
  TrickleWriter writes(index_.get());
  ASSERT_OK(db_->Flush(rocksdb::FlushOptions(), handles_[1]));
  // Writes never pause for 2 s: the training starts after 300 ms anyway.
  ASSERT_TRUE(WaitForFirstCodebook(index_.get()));
  IndexStats stats;
  ASSERT_OK(index_->GetStats(&stats));
  EXPECT_GE(stats.maintenance_deferrals_capped, 1u);
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
  rocksdb::WriteBatch batch;
  for (size_t i = 0; i < data.num_base(); ++i) {
    char key[16];
    snprintf(key, sizeof(key), "img%05u", static_cast<unsigned>(i));
    ASSERT_OK(index_->Put(
        &batch, key,
        std::vector<float>(data.base.begin() + i * data.dim,
                           data.base.begin() + (i + 1) * data.dim)));
    if (batch.Count() == 1000) {
      ASSERT_OK(db_->Write(rocksdb::WriteOptions(), &batch));
      batch.Clear();
    }
  }
  ASSERT_OK(db_->Write(rocksdb::WriteOptions(), &batch));
  ASSERT_OK(db_->Flush(rocksdb::FlushOptions(), handles_[1]));
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
