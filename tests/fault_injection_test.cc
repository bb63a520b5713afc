// IO faults under a vector column family: failed appends, syncs and reads
// surface as a Status (a background error for flushes and compactions), never
// as a crash, a wrong answer or a lost acknowledged write; once the fault
// clears, Resume() or a reopen recovers everything that was acknowledged.
#include <algorithm>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "drift/plugin.h"
#include "drift/table_files.h"
#include "drift/vector_index.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "rocksdb/env.h"
#include "tests/fault_fs.h"
#include "tests/test_util.h"
#include "tests/vector_model.h"
#include "util/dataset.h"

namespace drift {
namespace {

constexpr uint32_t kDim = 8;

class FaultInjectionTest : public testing::Test {
 protected:
  void SetUp() override {
    RegisterDrift();
    dir_ = test::TempDir("fault_injection");
    fs_ = std::make_shared<test::FaultFs>(rocksdb::FileSystem::Default());
    env_ = rocksdb::NewCompositeEnv(fs_);
    Open();
  }
  void TearDown() override {
    fs_->Clear();
    Close();
    test::RemoveDir(dir_);
  }

  void Open() {
    rocksdb::DBOptions db_opts;
    db_opts.env = env_.get();
    rocksdb::ColumnFamilyOptions vec = VectorColumnFamilyOptions(kDim);
    vec.disable_auto_compactions = true;
    ASSERT_OK(test::OpenWithVectorCf(dir_, db_opts, vec, &db_, &handles_));
    VectorIndexOptions opts;
    opts.dimension = kDim;
    opts.auto_train = false;
    ASSERT_OK(VectorIndex::Attach(db_.get(), handles_[1], opts, &index_));
  }

  void Close() {
    if (index_ != nullptr) {
      EXPECT_OK(index_->Close());
    }
    index_.reset();
    for (auto* h : handles_) EXPECT_OK(db_->DestroyColumnFamilyHandle(h));
    handles_.clear();
    db_.reset();
  }

  void Reopen() {
    Close();
    Open();
  }

  // After the fault cleared: Resume(), or a reopen where RocksDB made the
  // error fatal (with paranoid_checks, a failed flush or compaction write).
  void Recover() {
    fs_->Clear();
    if (!db_->Resume().ok()) Reopen();
  }

  std::vector<float> RandomVector() { return GaussianVectors(1, kDim, rng_()); }

  // Writes through the index; the model records only acknowledged writes.
  void RandomWrites(int n) {
    for (int i = 0; i < n; ++i) {
      const std::string key = "k" + std::to_string(rng_() % 400);
      if (rng_() % 5 == 0) {
        if (index_->Delete(rocksdb::WriteOptions(), key).ok()) {
          model_.erase(key);
        }
      } else {
        std::vector<float> v = RandomVector();
        if (index_->Put(rocksdb::WriteOptions(), key, v).ok()) model_[key] = v;
      }
    }
  }

  // Every acknowledged write is visible, nothing else is, and an exhaustive
  // search equals brute force over the model.
  void VerifyAgainstModel() {
    for (int i = 0; i < 400; ++i) {
      const std::string key = "k" + std::to_string(i);
      std::vector<float> got;
      rocksdb::Status s = index_->Get(rocksdb::ReadOptions(), key, &got);
      auto it = model_.find(key);
      if (it == model_.end()) {
        EXPECT_TRUE(s.IsNotFound()) << key << ": " << s.ToString();
      } else {
        ASSERT_OK(s) << key;
        EXPECT_EQ(got, it->second) << key;
      }
    }
    SearchOptions exhaustive;
    exhaustive.exhaustive = true;
    for (int q = 0; q < 5; ++q) {
      const std::vector<float> query = RandomVector();
      std::vector<SearchHit> hits;
      ASSERT_OK(index_->Search(exhaustive, query, 10, &hits));
      EXPECT_EQ(hits, test::BruteForce(model_, query, 10));
    }
  }

  // .sst files in the directory that the DB does not reference.
  std::vector<std::string> OrphanTables() {
    std::vector<std::string> orphans;
    EXPECT_OK(ListUnreferencedTableFiles(db_.get(), &orphans));
    return orphans;
  }

  rocksdb::Status Flush() {
    return db_->Flush(rocksdb::FlushOptions(), handles_[1]);
  }
  rocksdb::Status Compact() {
    return db_->CompactRange(rocksdb::CompactRangeOptions(), handles_[1],
                             nullptr, nullptr);
  }

  std::string dir_;
  std::shared_ptr<test::FaultFs> fs_;
  std::unique_ptr<rocksdb::Env> env_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  std::unique_ptr<VectorIndex> index_;
  test::Model model_;
  std::mt19937_64 rng_{7};
};

TEST_F(FaultInjectionTest, FailedFlushIsReportedAndRecovers) {
  RandomWrites(600);
  fs_->FailAfter(test::FaultFs::kAppend, ".sst", 0);
  rocksdb::Status s = Flush();
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
  EXPECT_GT(fs_->injected(test::FaultFs::kAppend), 0u);
  VerifyAgainstModel();  // Still served from the memtables.
  Recover();
  ASSERT_OK(Flush());
  VerifyAgainstModel();
  EXPECT_EQ(OrphanTables(), std::vector<std::string>());
  Reopen();
  VerifyAgainstModel();
}

TEST_F(FaultInjectionTest, FailedCompactionKeepsInputsAndRecovers) {
  RandomWrites(400);
  ASSERT_OK(Flush());
  RandomWrites(400);
  ASSERT_OK(Flush());
  fs_->FailAfter(test::FaultFs::kAppend, ".sst", 0);
  rocksdb::Status s = Compact();
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
  EXPECT_GT(fs_->injected(test::FaultFs::kAppend), 0u);
  VerifyAgainstModel();
  Recover();
  ASSERT_OK(Compact());
  VerifyAgainstModel();
  EXPECT_EQ(OrphanTables(), std::vector<std::string>());
  Reopen();
  VerifyAgainstModel();
}

TEST_F(FaultInjectionTest, ReadFaultsAreIOErrorsNeverWrongAnswers) {
  RandomWrites(800);
  ASSERT_OK(Flush());
  ASSERT_OK(Compact());
  Reopen();  // Cold caches: reads go to the files.
  fs_->FailRandomly(test::FaultFs::kRead, ".sst", 0.3, 11);
  int failed = 0, answered = 0;
  for (int i = 0; i < 400; ++i) {
    const std::string key = "k" + std::to_string(i);
    std::vector<float> got;
    rocksdb::Status s = index_->Get(rocksdb::ReadOptions(), key, &got);
    if (s.IsIOError()) {
      ++failed;
      continue;
    }
    ++answered;
    auto it = model_.find(key);
    if (it == model_.end()) {
      EXPECT_TRUE(s.IsNotFound()) << key << ": " << s.ToString();
    } else {
      ASSERT_OK(s) << key;
      EXPECT_EQ(got, it->second);
    }
  }
  SearchOptions exhaustive;
  exhaustive.exhaustive = true;
  for (int q = 0; q < 20; ++q) {
    const std::vector<float> query = RandomVector();
    std::vector<SearchHit> hits;
    rocksdb::Status s = index_->Search(exhaustive, query, 10, &hits);
    if (s.IsIOError()) {
      ++failed;
      continue;
    }
    ++answered;
    ASSERT_OK(s);
    EXPECT_EQ(hits, test::BruteForce(model_, query, 10));
  }
  EXPECT_GT(failed, 0);
  EXPECT_GT(answered, 0);
  EXPECT_GT(fs_->injected(test::FaultFs::kRead), 0u);
  fs_->Clear();
  VerifyAgainstModel();
}

TEST_F(FaultInjectionTest, TrainFailsCleanlyWhenTheCodebookCannotBeSynced) {
  RandomWrites(800);
  ASSERT_OK(Flush());
  fs_->FailAfter(test::FaultFs::kSync, ".log", 0);
  rocksdb::Status s = index_->Train(TrainOptions());
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(index_->codebook_epoch(), 0u);
  EXPECT_GT(fs_->injected(test::FaultFs::kSync), 0u);
  Recover();
  ASSERT_OK(index_->Train(TrainOptions()));
  EXPECT_GT(index_->codebook_epoch(), 0u);
  VerifyAgainstModel();
  Reopen();
  EXPECT_GT(index_->codebook_epoch(), 0u);
  VerifyAgainstModel();
}

// Random append and sync faults on every file while writing, flushing and
// compacting: after each failure the DB resumes (or is reopened), and in the
// end every acknowledged write is there and nothing else.
TEST_F(FaultInjectionTest, RandomWriteFaultsLoseNoAcknowledgedWrite) {
  uint64_t failures = 0;
  for (int round = 0; round < 30; ++round) {
    fs_->FailRandomly(round % 2 ? test::FaultFs::kAppend : test::FaultFs::kSync,
                      "", 0.05, 100 + round);
    RandomWrites(100);
    rocksdb::Status s = round % 3 == 2 ? Compact() : Flush();
    fs_->Clear();
    if (!s.ok()) {
      ++failures;
      Recover();
    }
  }
  EXPECT_GT(fs_->total_injected(), 0u);
  std::printf("faults injected: %llu, failed flushes/compactions: %llu\n",
              static_cast<unsigned long long>(fs_->total_injected()),
              static_cast<unsigned long long>(failures));
  ASSERT_OK(Flush());
  VerifyAgainstModel();
  Reopen();
  VerifyAgainstModel();
  EXPECT_EQ(OrphanTables(), std::vector<std::string>());
}

}  // namespace
}  // namespace drift
