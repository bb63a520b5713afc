// Model-based randomized test of the table format: thousands of random Put /
// Merge / Delete / SingleDelete / DeleteRange / Flush / CompactRange / reopen /
// snapshot reads against a std::map model, once with BlockBasedTable (control)
// and once with DriftTable, same seed: both must match the model and each
// other.
#include <cmath>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>

#include "drift/plugin.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "rocksdb/merge_operator.h"
#include "rocksdb/table.h"
#include "tests/test_util.h"

namespace drift {
namespace {

using Model = std::map<std::string, std::string>;
constexpr uint32_t kDim = 8;

// Merge = concatenation with ','.
class AppendOperator : public rocksdb::AssociativeMergeOperator {
 public:
  bool Merge(const rocksdb::Slice& /*key*/,
             const rocksdb::Slice* existing_value, const rocksdb::Slice& value,
             std::string* new_value,
             rocksdb::Logger* /*logger*/) const override {
    new_value->assign(existing_value ? existing_value->ToString() + "," : "");
    new_value->append(value.data(), value.size());
    return true;
  }
  const char* Name() const override { return "AppendOperator"; }
};

enum class TableKind { kBlockBased, kDrift };

class TableModelTest : public testing::TestWithParam<uint32_t> {
 protected:
  // Runs the random workload on one table kind; returns the log of everything
  // observed, so that two kinds can be compared line by line.
  std::string Run(TableKind kind, uint32_t seed, int ops);

  rocksdb::Env* env_ = rocksdb::Env::Default();  // the FileSystem under test
  BucketCodes codes_ = BucketCodes::kSQ8;        // of the Drift segments
  uint32_t key_index_partition_size_ =
      DriftTableOptions().key_index_partition_size;

 private:
  void Open(TableKind kind);
  void Close();
  void Check(const Model& model, const rocksdb::Snapshot* snap,
             std::string* log);
  std::string RandomValue();
  std::string Key(int i) const {
    char buf[16];
    snprintf(buf, sizeof(buf), "k%04d", i);
    return buf;
  }

  std::mt19937 rng_;
  std::string dir_;
  std::unique_ptr<rocksdb::DB> db_;
};

void TableModelTest::Open(TableKind kind) {
  rocksdb::Options options;
  options.create_if_missing = true;
  options.env = env_;
  options.merge_operator = std::make_shared<AppendOperator>();
  options.write_buffer_size = 64 << 10;  // small: flushes happen on their own
  options.level0_file_num_compaction_trigger = 3;
  options.target_file_size_base = 32 << 10;
  options.max_bytes_for_level_base = 128 << 10;
  if (kind == TableKind::kDrift) {
    DriftTableOptions topts;
    topts.dimension = kDim;
    topts.target_bucket_size = 16;  // many buckets even in small files
    topts.codes = codes_;
    topts.key_index_partition_size = key_index_partition_size_;
    options.table_factory = NewDriftTableFactory(topts);
    DriftMemTableOptions mopts;
    mopts.dimension = kDim;
    options.memtable_factory = NewDriftMemTableFactory(mopts);
  }
  rocksdb::DB* db = nullptr;
  ASSERT_OK(rocksdb::DB::Open(options, dir_, &db));
  db_.reset(db);
}

void TableModelTest::Close() { db_.reset(); }

std::string TableModelTest::RandomValue() {
  const int kind = rng_() % 10;
  if (kind < 6) {  // a vector
    float v[kDim];
    for (float& x : v) x = std::normal_distribution<float>(0, 1)(rng_);
    if (rng_() % 50 == 0) v[rng_() % kDim] = std::nanf("");  // stored verbatim
    return std::string(reinterpret_cast<const char*>(v), sizeof(v));
  }
  if (kind < 8) return "small" + std::to_string(rng_() % 1000);
  return std::string(40 + rng_() % 200, static_cast<char>('a' + rng_() % 26));
}

void TableModelTest::Check(const Model& model, const rocksdb::Snapshot* snap,
                           std::string* log) {
  rocksdb::ReadOptions ro;
  ro.snapshot = snap;
  // Point reads over the whole key space (present and absent keys).
  for (int i = 0; i < 320; i += 1 + rng_() % 7) {
    std::string got;
    rocksdb::Status s = db_->Get(ro, Key(i), &got);
    auto it = model.find(Key(i));
    if (it == model.end()) {
      ASSERT_TRUE(s.IsNotFound()) << Key(i) << " " << s.ToString();
    } else {
      ASSERT_OK(s) << Key(i);
      ASSERT_EQ(got, it->second) << Key(i);
    }
    log->append(s.ok() ? got : s.ToString());
  }
  // Full forward and reverse scans.
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro));
  Model seen;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    seen[it->key().ToString()] = it->value().ToString();
  }
  ASSERT_OK(it->status());
  ASSERT_EQ(seen, model);
  Model reverse;
  for (it->SeekToLast(); it->Valid(); it->Prev()) {
    ASSERT_TRUE(reverse.empty() ||
                it->key().ToString() < reverse.begin()->first);
    reverse[it->key().ToString()] = it->value().ToString();
  }
  ASSERT_OK(it->status());
  ASSERT_EQ(reverse, model);
  // Seek and SeekForPrev land where the model says.
  for (int j = 0; j < 8; ++j) {
    const std::string target = Key(rng_() % 320);
    it->Seek(target);
    auto lb = model.lower_bound(target);
    ASSERT_EQ(it->Valid(), lb != model.end()) << target;
    if (it->Valid()) {
      ASSERT_EQ(it->key().ToString(), lb->first);
    }
    it->SeekForPrev(target);
    auto ub = model.upper_bound(target);
    ASSERT_EQ(it->Valid(), ub != model.begin()) << target;
    if (it->Valid()) {
      ASSERT_EQ(it->key().ToString(), std::prev(ub)->first);
    }
  }
  log->append(std::to_string(model.size()));
}

std::string TableModelTest::Run(TableKind kind, uint32_t seed, int ops) {
  rng_.seed(seed);
  dir_ = test::TempDir(kind == TableKind::kDrift ? "model_drift" : "model_bbt");
  Open(kind);
  Model model;
  std::set<std::string> single_delete_keys;  // written once, ever
  struct Snap {
    const rocksdb::Snapshot* snap;
    Model model;
  };
  std::vector<Snap> snaps;
  std::string log;
  rocksdb::WriteOptions wo;
  for (int op = 0; op < ops && !HasFatalFailure(); ++op) {
    const int r = rng_() % 100;
    const std::string key = Key(rng_() % 300);
    if (r < 45) {
      const std::string v = RandomValue();
      EXPECT_OK(db_->Put(wo, key, v));
      model[key] = v;
    } else if (r < 52) {
      const std::string v = "m" + std::to_string(rng_() % 100);
      EXPECT_OK(db_->Merge(wo, key, v));
      auto it = model.find(key);
      model[key] = it == model.end() ? v : it->second + "," + v;
    } else if (r < 62) {
      EXPECT_OK(db_->Delete(wo, key));
      model.erase(key);
    } else if (r < 66) {
      // SingleDelete only on keys with exactly one Put in their history.
      const std::string sk = "s" + std::to_string(op);
      const std::string v = RandomValue();
      EXPECT_OK(db_->Put(wo, sk, v));
      model[sk] = v;
      single_delete_keys.insert(sk);
    } else if (r < 70 && !single_delete_keys.empty()) {
      auto it = single_delete_keys.begin();
      std::advance(it, rng_() % single_delete_keys.size());
      EXPECT_OK(db_->SingleDelete(wo, *it));
      model.erase(*it);
      single_delete_keys.erase(it);
    } else if (r < 74) {
      int a = rng_() % 300, b = a + 1 + rng_() % 20;
      EXPECT_OK(
          db_->DeleteRange(wo, db_->DefaultColumnFamily(), Key(a), Key(b)));
      model.erase(model.lower_bound(Key(a)), model.lower_bound(Key(b)));
    } else if (r < 80) {
      EXPECT_OK(db_->Flush(rocksdb::FlushOptions()));
    } else if (r < 83) {
      rocksdb::CompactRangeOptions cro;
      cro.bottommost_level_compaction =
          rocksdb::BottommostLevelCompaction::kForce;
      EXPECT_OK(db_->CompactRange(cro, nullptr, nullptr));
    } else if (r < 85 && snaps.empty()) {
      Close();
      Open(kind);
    } else if (r < 89 && snaps.size() < 3) {
      snaps.push_back({db_->GetSnapshot(), model});
    } else if (r < 92 && !snaps.empty()) {
      Check(snaps.back().model, snaps.back().snap, &log);
      db_->ReleaseSnapshot(snaps.back().snap);
      snaps.pop_back();
    } else {
      Check(model, nullptr, &log);
    }
  }
  for (auto& s : snaps) {
    Check(s.model, s.snap, &log);
    db_->ReleaseSnapshot(s.snap);
  }
  Check(model, nullptr, &log);
  EXPECT_OK(db_->VerifyChecksum());
  Close();
  test::RemoveDir(dir_);
  return log;
}

TEST_P(TableModelTest, DriftMatchesBlockBasedAndModel) {
  RegisterDrift();
  const uint32_t seed = GetParam();
  const std::string control = Run(TableKind::kBlockBased, seed, 3000);
  ASSERT_FALSE(HasFatalFailure());
  const std::string drift = Run(TableKind::kDrift, seed, 3000);
  ASSERT_FALSE(HasFatalFailure());
  EXPECT_EQ(control, drift);
}

// The same with RaBitQ codes in the bucket blobs.
TEST_F(TableModelTest, DriftWithRabitqCodesMatchesBlockBased) {
  RegisterDrift();
  codes_ = BucketCodes::kRabitQ;
  const std::string control = Run(TableKind::kBlockBased, 6, 3000);
  ASSERT_FALSE(HasFatalFailure());
  const std::string drift = Run(TableKind::kDrift, 6, 3000);
  ASSERT_FALSE(HasFatalFailure());
  EXPECT_EQ(control, drift);
}

// The same with key index partitions of a few entries (reads cross many
// partitions), and with the single-block key index of earlier builds.
TEST_F(TableModelTest, DriftWithTinyKeyIndexPartitionsMatchesBlockBased) {
  RegisterDrift();
  for (uint32_t partition_size : {48u, 0u}) {
    key_index_partition_size_ = partition_size;
    const std::string control = Run(TableKind::kBlockBased, 7, 3000);
    ASSERT_FALSE(HasFatalFailure());
    const std::string drift = Run(TableKind::kDrift, 7, 3000);
    ASSERT_FALSE(HasFatalFailure());
    EXPECT_EQ(control, drift) << partition_size;
  }
}

// The same on RocksDB's in-memory FileSystem (NewMemEnv): Drift only talks to
// files through RocksDB's FileSystem abstractions.
TEST_F(TableModelTest, DriftOnInMemoryFileSystemMatchesBlockBased) {
  RegisterDrift();
  const std::string control = Run(TableKind::kBlockBased, 5, 2000);
  ASSERT_FALSE(HasFatalFailure());
  std::unique_ptr<rocksdb::Env> mem(
      rocksdb::NewMemEnv(rocksdb::Env::Default()));
  env_ = mem.get();
  const std::string drift = Run(TableKind::kDrift, 5, 2000);
  env_ = rocksdb::Env::Default();
  ASSERT_FALSE(HasFatalFailure());
  EXPECT_EQ(control, drift);
}

INSTANTIATE_TEST_SUITE_P(Seeds, TableModelTest,
                         testing::Values(1u, 2u, 3u, 4u));

}  // namespace
}  // namespace drift
