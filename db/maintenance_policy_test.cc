// The drift policy (db/maintenance_policy.cc): retraining when the data
// drifts and not again without new data, bounded under oscillation, the
// bucket statistics it decides on against a model, and vacuum.
#include <cmath>

#include "index/bucket_moments.h"
#include "index/codebook.h"
#include "tests/vector_index_fixture.h"

namespace drift {
namespace {

using test::Model;

class MaintenancePolicyTest : public test::VectorIndexFixture {};

// Drift maintenance: data arriving in a new region overloads the buckets
// nearest to it; Maintain retrains and re-buckets once, and searches stay
// exact throughout.
TEST_F(MaintenancePolicyTest, MaintenanceRetrainsWhenDataDrifts) {
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
  DriftToAFarRegion(&rng, &model);
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

// The bucket statistics against a model: per slot of the codebook, the live
// vectors' count, centre and spread, and the rows hidden by later overwrites
// and deletions, with some writes still in the memtable and some flushed
// before the statistics saw them; compaction then drops the hidden rows.
TEST_F(MaintenancePolicyTest, BucketStatsMatchTheModel) {
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
TEST_F(MaintenancePolicyTest, MaintenanceIsBoundedUnderOscillation) {
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

// Vacuum: entries made dead by later overwrites (which the deletion-ratio
// scavenger cannot see) are found by sampling and compacted away once a
// segment is >= 20% dead; below that, nothing is rewritten.
TEST_F(MaintenancePolicyTest, VacuumCompactsSegmentsMadeDeadByLaterWrites) {
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

}  // namespace
}  // namespace drift
