// The fixture of the VectorIndex tests (tests/vector_index_test.cc and the
// maintenance tests beside db/maintenance*.cc): a DB in a directory of its
// own with a vector column family (handles_[1]) and a VectorIndex attached,
// configured by the members set before Open, and searches checked against
// a model.
#pragma once

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "drift/plugin.h"
#include "drift/vector_index.h"
#include "gtest/gtest.h"
#include "tests/random_ops.h"
#include "tests/test_util.h"
#include "tests/vector_model.h"
#include "util/dataset.h"

namespace drift {
namespace test {

class VectorIndexFixture : public testing::Test {
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
    topts.rabitq_ex_bits = rabitq_ex_bits_;
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

  // Puts the first n base vectors of `data` ("img00000", "img00001", ...)
  // through the index in WriteBatches of batch_rows, then flushes.
  void PutAndFlushBase(const Dataset& data, size_t n, size_t batch_rows) {
    rocksdb::WriteBatch batch;
    for (size_t i = 0; i < n; ++i) {
      char key[16];
      snprintf(key, sizeof(key), "img%05u", static_cast<unsigned>(i));
      ASSERT_OK(index_->Put(
          &batch, key,
          std::vector<float>(data.base.begin() + i * data.dim,
                             data.base.begin() + (i + 1) * data.dim)));
      if (batch.Count() == batch_rows) {
        ASSERT_OK(db_->Write(rocksdb::WriteOptions(), &batch));
        batch.Clear();
      }
    }
    ASSERT_OK(db_->Write(rocksdb::WriteOptions(), &batch));
    ASSERT_OK(db_->Flush(rocksdb::FlushOptions(), handles_[1]));
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

  // The distribution moves: 3000 vectors in a tight region far away,
  // flushed and compacted; the buckets nearest to it are overloaded.
  void DriftToAFarRegion(std::mt19937* rng, Model* model) {
    PutRegion("b", 3000, 10, 400, rng, model);
    ASSERT_OK(db_->Flush(rocksdb::FlushOptions(), handles_[1]));
    ASSERT_OK(db_->CompactRange(rocksdb::CompactRangeOptions(), handles_[1],
                                nullptr, nullptr));
    IndexStats st;
    ASSERT_OK(index_->GetStats(&st));
    EXPECT_GT(st.max_over_mean(), 3.0);
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

  std::string dir_;
  uint32_t dim_ = 0;
  BucketCodes codes_ = BucketCodes::kSQ8;
  int32_t rabitq_ex_bits_ = -1;  // with codes_ rabitq
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

}  // namespace test
}  // namespace drift
