// Concurrency: writers, snapshot searchers, flushes, compactions, codebook
// training, maintenance (split/merge, vacuum) and the memtable graph indexer
// at once (run it under
// ThreadSanitizer: DRIFT_SANITIZE=thread). Each searcher takes a snapshot,
// reads the column family's visible state at it with an iterator (RocksDB's own
// MVCC view), and checks that an exhaustive search at that snapshot equals
// brute force over that state exactly, and that a default-effort search returns
// only visible keys with exact distances.
#include <atomic>
#include <random>
#include <thread>

#include "drift/plugin.h"
#include "drift/table_options.h"
#include "drift/vector_index.h"
#include "gtest/gtest.h"
#include "index/distance.h"
#include "tests/test_util.h"
#include "tests/vector_model.h"
#include "util/vector_value.h"

namespace drift {
namespace {

constexpr uint32_t kDim = 8;

class ConcurrencyTest : public testing::Test {
 protected:
  void SetUp() override {
    RegisterDrift();
    dir_ = test::TempDir("concurrency");
    rocksdb::DBOptions db_opts;
    db_opts.max_background_jobs = 4;
    rocksdb::ColumnFamilyOptions base;
    base.write_buffer_size = 64 << 10;  // frequent flushes
    base.level0_file_num_compaction_trigger = 2;
    base.target_file_size_base = 128 << 10;
    rocksdb::ColumnFamilyOptions vec = VectorColumnFamilyOptions(kDim, base);
    DriftTableOptions topts;
    topts.dimension = kDim;
    topts.target_bucket_size = 32;
    vec.table_factory = NewDriftTableFactory(topts);
    DriftMemTableOptions mopts;
    mopts.dimension = kDim;
    mopts.graph_min_rows = 64;  // memtable graphs are built concurrently too
    vec.memtable_factory = NewDriftMemTableFactory(mopts);
    ASSERT_OK(test::OpenWithVectorCf(dir_, db_opts, vec, &db_, &handles_));
    VectorIndexOptions vopts;
    vopts.dimension = kDim;
    vopts.min_train_vectors = 500;  // the background trainer runs too
    vopts.target_bucket_size = 32;
    ASSERT_OK(VectorIndex::Attach(db_.get(), handles_[1], vopts, &index_));
  }

  void TearDown() override {
    if (index_ != nullptr) {
      EXPECT_OK(index_->Close());
    }
    index_.reset();
    for (auto* h : handles_) EXPECT_OK(db_->DestroyColumnFamilyHandle(h));
    db_.reset();
    test::RemoveDir(dir_);
  }

  static std::vector<float> RandomVector(std::mt19937* rng) {
    std::vector<float> v(kDim);
    for (float& x : v) x = static_cast<float>(static_cast<int>((*rng)() % 64));
    return v;
  }

  void Writer(int id, int ops) {
    std::mt19937 rng(100 + id);
    for (int i = 0; i < ops && !failed_; ++i) {
      const std::string key =
          "w" + std::to_string(id) + "_" + std::to_string(rng() % 300);
      rocksdb::Status s;
      const int r = rng() % 10;
      if (r < 6) {
        s = index_->Put(rocksdb::WriteOptions(), key, RandomVector(&rng));
      } else if (r < 8) {
        s = index_->Delete(rocksdb::WriteOptions(), key);
      } else {  // a batch mixing the vector CF with the default CF
        rocksdb::WriteBatch batch;
        s = index_->Put(&batch, key, RandomVector(&rng));
        if (s.ok()) s = batch.Put(handles_[0], key, "meta");
        if (s.ok()) s = index_->Delete(&batch, key + "x");
        if (s.ok()) s = db_->Write(rocksdb::WriteOptions(), &batch);
      }
      if (!s.ok()) Fail("writer: " + s.ToString());
    }
  }

  void Maintainer(std::atomic<bool>* stop) {
    std::mt19937 rng(7);
    while (!*stop && !failed_) {
      rocksdb::Status s;
      switch (rng() % 4) {
        case 0:
          s = db_->Flush(rocksdb::FlushOptions(), handles_[1]);
          break;
        case 1:
          s = db_->CompactRange(rocksdb::CompactRangeOptions(), handles_[1],
                                nullptr, nullptr);
          break;
        case 2:  // split/merge, retrain, vacuum: whatever is due
          s = index_->Maintain(nullptr);
          break;
        default: {
          TrainOptions t;
          t.num_buckets = 4 + rng() % 20;
          t.rebucket = rng() % 2 == 0;
          s = index_->Train(t);
          if (s.IsInvalidArgument()) s = rocksdb::Status::OK();  // no vector
        }
      }
      if (!s.ok()) Fail("maintainer: " + s.ToString());
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }

  // The visible vectors at `snap`, read through RocksDB's iterator.
  test::Model VisibleAt(const rocksdb::Snapshot* snap) {
    rocksdb::ReadOptions ro;
    ro.snapshot = snap;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, handles_[1]));
    test::Model model;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      if (!IsVectorValue(it->value(), kDim)) continue;
      std::vector<float> v(kDim);
      DecodeVector(it->value(), kDim, v.data());
      model[it->key().ToString()] = v;
    }
    if (!it->status().ok()) Fail("iterator: " + it->status().ToString());
    return model;
  }

  void Searcher(int id, std::atomic<bool>* stop, std::atomic<int>* checks) {
    std::mt19937 rng(200 + id);
    while (!*stop && !failed_) {
      const rocksdb::Snapshot* snap = db_->GetSnapshot();
      const test::Model model = VisibleAt(snap);
      const std::vector<float> q = RandomVector(&rng);
      SearchOptions exact;
      exact.snapshot = snap;
      exact.exhaustive = true;
      std::vector<SearchHit> hits;
      rocksdb::Status s = index_->Search(exact, q, 20, &hits);
      if (!s.ok()) {
        Fail("search: " + s.ToString());
      } else if (!(hits == test::BruteForce(model, q, 20))) {
        Fail("exhaustive search differs from the snapshot's state");
      }
      SearchOptions approx;
      approx.snapshot = snap;
      s = index_->Search(approx, q, 10, &hits);
      for (const SearchHit& h : hits) {
        auto it = model.find(h.key);
        if (it == model.end() ||
            h.distance != L2Sqr(q.data(), it->second.data(), kDim)) {
          Fail("approximate search returned an invisible or stale hit " +
               h.key);
        }
      }
      if (!s.ok()) Fail("search: " + s.ToString());
      db_->ReleaseSnapshot(snap);
      ++*checks;
    }
  }

  void Fail(const std::string& what) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!failed_.exchange(true)) failure_ = what;
  }

  std::string dir_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  std::unique_ptr<VectorIndex> index_;
  std::atomic<bool> failed_{false};
  std::mutex mu_;
  std::string failure_;
};

TEST_F(ConcurrencyTest, WritersSearchersFlushesCompactionsTraining) {
  std::atomic<bool> stop{false};
  std::atomic<int> checks{0};
  std::vector<std::thread> writers, others;
  for (int i = 0; i < 2; ++i) writers.emplace_back([&, i] { Writer(i, 3000); });
  others.emplace_back([&] { Maintainer(&stop); });
  for (int i = 0; i < 2; ++i) {
    others.emplace_back([&, i] { Searcher(i, &stop, &checks); });
  }
  for (auto& t : writers) t.join();
  // Searches keep running on the final state for a moment.
  while (checks < 20 && !failed_) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  stop = true;
  for (auto& t : others) t.join();
  EXPECT_FALSE(failed_) << failure_;
  EXPECT_GE(checks.load(), 20);
  IndexStats st;
  ASSERT_OK(index_->GetStats(&st));
  printf(
      "concurrency: %d snapshot checks, codebook epoch %llu, %llu split/merge "
      "checks (%llu published), %llu vacuum checks (%llu segments)\n",
      checks.load(), static_cast<unsigned long long>(index_->codebook_epoch()),
      static_cast<unsigned long long>(st.edit_checks),
      static_cast<unsigned long long>(st.edit_publishes),
      static_cast<unsigned long long>(st.vacuum_checks),
      static_cast<unsigned long long>(st.segments_vacuumed));
}

}  // namespace
}  // namespace drift
