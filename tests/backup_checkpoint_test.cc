// RocksDB's Checkpoint and BackupEngine on a database with a vector column
// family: the copies hold the .drift segments, the WAL and the persisted
// codebook, so a VectorIndex attached to a restored copy has the same epoch
// and returns exactly the original's results, and exhaustive searches match
// brute force over the expected state. Ordinary keys of another column family
// are all there too, and VerifyBackup with checksums passes.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "drift/plugin.h"
#include "drift/vector_index.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "rocksdb/utilities/backup_engine.h"
#include "rocksdb/utilities/checkpoint.h"
#include "tests/test_util.h"
#include "util/dataset.h"

namespace drift {
namespace {

constexpr int kDim = 16;
constexpr int kQueries = 20;
constexpr size_t kK = 10;

std::string Key(const char* prefix, int i) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%s%05d", prefix, i);
  return buf;
}

// "key:distance" per hit, for comparisons that print readably (distances are
// compared exactly: %a prints every bit).
std::vector<std::string> Describe(const std::vector<SearchHit>& hits) {
  std::vector<std::string> out;
  for (const SearchHit& h : hits) {
    char buf[64];
    std::snprintf(buf, sizeof(buf), ":%a", static_cast<double>(h.distance));
    out.push_back(h.key + buf);
  }
  return out;
}

// What a copy must reproduce: every key of both column families, the codebook
// epoch and the results of searches at several efforts.
struct Observed {
  std::map<std::string, std::string> vectors_cf, plain_cf;
  uint64_t epoch = 0;
  std::vector<std::vector<std::string>> exhaustive, default_effort, nprobe2;
  std::vector<std::string> exhaustive_keys;  // kK per query
  uint64_t segment_vectors = 0;  // sum of drift.num_vectors over live segments
};

class BackupCheckpointTest : public testing::Test {
 protected:
  void SetUp() override {
    RegisterDrift();
    dir_ = test::TempDir("backup_checkpoint");
    const std::vector<float> q = GaussianVectors(kQueries, kDim, 7, 4.0f);
    for (size_t i = 0; i < q.size(); i += kDim) {
      queries_.emplace_back(q.begin() + i, q.begin() + i + kDim);
    }
  }
  void TearDown() override { test::RemoveDir(dir_); }

  // 8 clusters, centred on the diagonal.
  static std::vector<float> RandomVector(GaussianSource* source) {
    const std::vector<float> centre(kDim, static_cast<float>(source->Below(8)));
    std::vector<float> v;
    source->Append(centre.data(), kDim, 1, 1.0f, &v);
    return v;
  }

  // Opens `path` with "default" (codebook), "vectors" and "plain".
  void Open(const std::string& path) {
    rocksdb::DBOptions dbo;
    dbo.create_if_missing = dbo.create_missing_column_families = true;
    rocksdb::DB* raw = nullptr;
    ASSERT_OK(rocksdb::DB::Open(dbo, path,
                                {{rocksdb::kDefaultColumnFamilyName, {}},
                                 {"vectors", VectorColumnFamilyOptions(kDim)},
                                 {"plain", {}}},
                                &handles_, &raw));
    db_.reset(raw);
    VectorIndexOptions vo;
    vo.dimension = kDim;
    vo.auto_train = false;  // the test decides when to train
    ASSERT_OK(VectorIndex::Attach(db_.get(), handles_[1], vo, &index_));
  }

  void Close() {
    if (index_ != nullptr) index_->Close();
    index_.reset();
    for (auto* h : handles_) ASSERT_OK(db_->DestroyColumnFamilyHandle(h));
    handles_.clear();
    if (db_ != nullptr) {
      ASSERT_OK(db_->Close());
    }
    db_.reset();
  }

  // Writes through the engine: trained, compacted segments, a later segment,
  // overwrites, deletes and unflushed vectors (WAL only), plus plain keys.
  void Populate() {
    GaussianSource rng(42);
    auto put = [&](int i) {
      const std::vector<float> v = RandomVector(&rng);
      ASSERT_OK(index_->Put(rocksdb::WriteOptions(), Key("vec", i), v));
      expected_[Key("vec", i)] = v;
    };
    for (int i = 0; i < 3000; ++i) put(i);
    for (int i = 0; i < 1000; ++i) {
      ASSERT_OK(db_->Put(rocksdb::WriteOptions(), handles_[2], Key("plain", i),
                         "value " + std::to_string(i)));
    }
    ASSERT_OK(db_->Flush(rocksdb::FlushOptions(), handles_[1]));
    ASSERT_OK(db_->Flush(rocksdb::FlushOptions(), handles_[2]));
    ASSERT_OK(index_->Train(TrainOptions()));  // codebook + re-bucketing
    ASSERT_GT(index_->codebook_epoch(), 0u);
    for (int i = 3000; i < 3600; ++i) put(i);
    for (int i = 0; i < 3000; i += 10) put(i);  // overwrites
    for (int i = 5; i < 3000; i += 37) {
      ASSERT_OK(index_->Delete(rocksdb::WriteOptions(), Key("vec", i)));
      expected_.erase(Key("vec", i));
    }
    ASSERT_OK(db_->Flush(rocksdb::FlushOptions(), handles_[1]));
    for (int i = 3600; i < 3800; ++i) put(i);  // stays in the memtable / WAL
  }

  static std::map<std::string, std::string> Scan(
      rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf) {
    std::map<std::string, std::string> out;
    std::unique_ptr<rocksdb::Iterator> it(
        db->NewIterator(rocksdb::ReadOptions(), cf));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      out[it->key().ToString()] = it->value().ToString();
    }
    EXPECT_OK(it->status());
    return out;
  }

  Observed Observe() {
    Observed o;
    o.vectors_cf = Scan(db_.get(), handles_[1]);
    o.plain_cf = Scan(db_.get(), handles_[2]);
    o.epoch = index_->codebook_epoch();
    for (const std::vector<float>& q : queries_) {
      SearchOptions exhaustive, by_default, nprobe2;
      exhaustive.exhaustive = true;
      nprobe2.nprobe = 2;
      std::vector<SearchHit> hits;
      EXPECT_OK(index_->Search(exhaustive, q, kK, &hits));
      o.exhaustive.push_back(Describe(hits));
      for (const SearchHit& h : hits) o.exhaustive_keys.push_back(h.key);
      EXPECT_OK(index_->Search(by_default, q, kK, &hits));
      o.default_effort.push_back(Describe(hits));
      EXPECT_OK(index_->Search(nprobe2, q, kK, &hits));
      o.nprobe2.push_back(Describe(hits));
    }
    rocksdb::TablePropertiesCollection props;
    EXPECT_OK(db_->GetPropertiesOfAllTables(handles_[1], &props));
    for (const auto& [file, p] : props) {
      const auto& u = p->user_collected_properties;
      auto it = u.find("drift.num_vectors");
      EXPECT_NE(it, u.end()) << file << " is not a .drift segment";
      if (it != u.end()) o.segment_vectors += std::stoull(it->second);
    }
    return o;
  }

  // The exact k nearest neighbours of `q` over expected_ (squared L2, ties by
  // key).
  std::vector<std::string> BruteForce(const std::vector<float>& q) const {
    std::vector<std::pair<double, std::string>> all;
    for (const auto& [key, v] : expected_) {
      double d = 0;
      for (int j = 0; j < kDim; ++j) d += double(v[j] - q[j]) * (v[j] - q[j]);
      all.emplace_back(d, key);
    }
    std::partial_sort(all.begin(), all.begin() + kK, all.end());
    std::vector<std::string> keys;
    for (size_t i = 0; i < kK; ++i) keys.push_back(all[i].second);
    return keys;
  }

  // Opens the copy at `path` and checks it against the original's `want`.
  void CheckCopy(const std::string& path, const Observed& want) {
    SCOPED_TRACE(path);
    Open(path);
    if (HasFatalFailure()) return;
    const Observed got = Observe();
    EXPECT_EQ(got.epoch, want.epoch);
    EXPECT_EQ(got.vectors_cf, want.vectors_cf);
    EXPECT_EQ(got.plain_cf, want.plain_cf);
    EXPECT_EQ(got.segment_vectors, want.segment_vectors);
    EXPECT_EQ(got.exhaustive, want.exhaustive);
    EXPECT_EQ(got.default_effort, want.default_effort);
    EXPECT_EQ(got.nprobe2, want.nprobe2);
    for (int q = 0; q < kQueries; ++q) {
      const std::vector<std::string> keys(
          got.exhaustive_keys.begin() + q * kK,
          got.exhaustive_keys.begin() + (q + 1) * kK);
      EXPECT_EQ(keys, BruteForce(queries_[q])) << "query " << q;
    }
    Close();
  }

  std::string dir_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  std::unique_ptr<VectorIndex> index_;
  std::vector<std::vector<float>> queries_;
  std::map<std::string, std::vector<float>> expected_;
};

TEST_F(BackupCheckpointTest, CopiesSearchExactlyLikeTheOriginal) {
  Open(dir_ + "/db");
  ASSERT_NO_FATAL_FAILURE(Populate());
  const Observed before = Observe();
  ASSERT_EQ(before.vectors_cf.size(), expected_.size());
  ASSERT_EQ(before.plain_cf.size(), 1000u);
  ASSERT_GT(before.segment_vectors,
            3000u);  // segments exist, not just memtables

  // Neither copy flushes: the last 200 vectors are only in the copied WAL, and
  // each copy replays it at open exactly as the original does when reopened.
  rocksdb::BackupEngine* raw_be = nullptr;
  ASSERT_OK(rocksdb::BackupEngine::Open(
      rocksdb::Env::Default(), rocksdb::BackupEngineOptions(dir_ + "/backups"),
      &raw_be));
  std::unique_ptr<rocksdb::BackupEngine> be(raw_be);
  rocksdb::BackupID id = 0;
  ASSERT_OK(
      be->CreateNewBackup(rocksdb::CreateBackupOptions(), db_.get(), &id));
  ASSERT_OK(be->VerifyBackup(id, /*verify_with_checksum=*/true));
  rocksdb::Checkpoint* raw_cp = nullptr;
  ASSERT_OK(rocksdb::Checkpoint::Create(db_.get(), &raw_cp));
  std::unique_ptr<rocksdb::Checkpoint> cp(raw_cp);
  ASSERT_OK(cp->CreateCheckpoint(dir_ + "/checkpoint",
                                 /*log_size_for_flush=*/UINT64_MAX));
  Close();

  // The reference: the original, reopened (its WAL replayed into a segment).
  Open(dir_ + "/db");
  ASSERT_FALSE(HasFatalFailure());
  const Observed want = Observe();
  Close();
  EXPECT_EQ(want.vectors_cf, before.vectors_cf);
  EXPECT_EQ(want.plain_cf, before.plain_cf);
  EXPECT_EQ(want.exhaustive, before.exhaustive);
  EXPECT_EQ(want.epoch, before.epoch);

  CheckCopy(dir_ + "/checkpoint", want);
  ASSERT_OK(
      be->RestoreDBFromBackup(id, dir_ + "/restored", dir_ + "/restored"));
  CheckCopy(dir_ + "/restored", want);
}

}  // namespace
}  // namespace drift
