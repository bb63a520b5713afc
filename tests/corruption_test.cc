// Corruption of .drift files: flipped bits, zeroed ranges and truncation are
// detected (a non-OK Status) or harmless (every answer still exact); never a
// crash, a hang or a wrong answer. Files are read through RocksDB's public
// SstFileReader, as a dump tool would.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "drift/plugin.h"
#include "drift/vector_index.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "rocksdb/sst_file_reader.h"
#include "tests/test_util.h"
#include "util/dataset.h"

namespace drift {
namespace {

constexpr uint32_t kDim = 16;

// With each kind of bucket codes (codes=rabitq blobs carry no SQ8 codes).
class CorruptionTest : public testing::TestWithParam<BucketCodes> {
 protected:
  void SetUp() override {
    RegisterDrift();
    dir_ = test::TempDir("corruption");
    DriftTableOptions topts;
    topts.dimension = kDim;
    topts.target_bucket_size = 64;
    topts.codes = GetParam();
    options_.table_factory = NewDriftTableFactory(topts);
    options_.create_if_missing = true;
    rocksdb::DB* db = nullptr;
    ASSERT_OK(rocksdb::DB::Open(options_, dir_ + "/db", &db));
    for (int i = 0; i < 1500; ++i) {
      std::string key = "key" + std::to_string(i);
      std::string value;
      if (i % 7 == 0) {
        value = std::string(100 + i % 50, 'r');  // raw record
      } else {
        const std::vector<float> v = GaussianVectors(1, kDim, i);
        value.assign(reinterpret_cast<const char*>(v.data()),
                     v.size() * sizeof(float));
      }
      ASSERT_OK(db->Put(rocksdb::WriteOptions(), key, value));
      model_[key] = value;
    }
    ASSERT_OK(db->DeleteRange(rocksdb::WriteOptions(),
                              db->DefaultColumnFamily(), "key10", "key11"));
    for (auto it = model_.lower_bound("key10");
         it != model_.end() && it->first < "key11";) {
      it = model_.erase(it);
    }
    ASSERT_OK(db->Flush(rocksdb::FlushOptions()));
    delete db;
    for (const auto& e : std::filesystem::directory_iterator(dir_ + "/db")) {
      if (e.path().extension() == ".sst") sst_ = e.path().string();
    }
    ASSERT_FALSE(sst_.empty());
    std::ifstream in(sst_, std::ios::binary);
    original_.assign(std::istreambuf_iterator<char>(in), {});
  }
  void TearDown() override { test::RemoveDir(dir_); }

  // Reads everything from `bytes` written as a file; returns true if an error
  // was reported. Fails the test on any wrong answer.
  bool ReadAll(const std::string& bytes) {
    const std::string path = dir_ + "/probe.sst";
    {
      std::ofstream out(path, std::ios::binary | std::ios::trunc);
      out.write(bytes.data(), bytes.size());
    }
    rocksdb::SstFileReader reader(options_);
    rocksdb::Status s = reader.Open(path);
    if (!s.ok()) return true;
    if (!reader.VerifyChecksum().ok()) return true;
    std::unique_ptr<rocksdb::Iterator> it(
        reader.NewIterator(rocksdb::ReadOptions()));
    std::map<std::string, std::string> seen;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      seen[it->key().ToString()] = it->value().ToString();
    }
    if (!it->status().ok()) return true;
    // SstFileReader's iterator shows point entries (range deletions are not
    // applied); the keys under the range tombstone are all still present.
    for (const auto& [k, v] : model_) {
      auto f = seen.find(k);
      EXPECT_TRUE(f != seen.end() && f->second == v)
          << "wrong answer for " << k;
    }
    return false;
  }

  rocksdb::Options options_;
  std::string dir_, sst_, original_;
  std::map<std::string, std::string> model_;
};

TEST_P(CorruptionTest, IntactFileReadsBack) {
  EXPECT_FALSE(ReadAll(original_));
}

TEST_P(CorruptionTest, FlippedBitsAreDetectedOrHarmless) {
  std::mt19937 rng(11);
  int detected = 0, tries = 0;
  for (size_t pos = 0; pos < original_.size();
       pos += 1 + rng() % (original_.size() / 300 + 1), ++tries) {
    std::string bad = original_;
    bad[pos] ^= static_cast<char>(1 << (rng() % 8));
    detected += ReadAll(bad);
    if (HasFailure()) {
      ADD_FAILURE() << "flip at offset " << pos << " of " << original_.size();
      return;
    }
  }
  std::printf("flipped bits: %d files tried, %d detected, %d harmless\n", tries,
              detected, tries - detected);
  // Only padding and unused footer bytes may go unnoticed.
  EXPECT_GT(detected, tries / 2) << detected << "/" << tries;
}

TEST_P(CorruptionTest, TruncationIsDetected) {
  int tries = 0;
  for (size_t len = 0; len < original_.size();
       len += 1 + original_.size() / 97, ++tries) {
    EXPECT_TRUE(ReadAll(original_.substr(0, len))) << len;
  }
  std::printf("truncations: %d tried, all detected\n", tries);
}

TEST_P(CorruptionTest, ZeroedRangesAreDetectedOrHarmless) {
  int tries = 0, detected = 0;
  for (size_t pos = 0; pos < original_.size(); pos += 4096, ++tries) {
    std::string bad = original_;
    std::fill(bad.begin() + pos, bad.begin() + std::min(bad.size(), pos + 512),
              '\0');
    detected += ReadAll(bad);
    if (HasFailure()) {
      ADD_FAILURE() << "zeroed 512 bytes at " << pos;
      return;
    }
  }
  std::printf("zeroed ranges: %d tried, %d detected, %d harmless\n", tries,
              detected, tries - detected);
}

INSTANTIATE_TEST_SUITE_P(Codes, CorruptionTest,
                         testing::Values(BucketCodes::kSQ8,
                                         BucketCodes::kRabitQ),
                         [](const testing::TestParamInfo<BucketCodes>& info) {
                           return info.param == BucketCodes::kSQ8
                                      ? std::string("sq8")
                                      : std::string("rabitq");
                         });

// The WAL of a vector column family with bits flipped: with
// kAbsoluteConsistency the reopen reports Corruption; with the default
// kPointInTimeRecovery it recovers exactly a prefix of the writes (each
// vector search-visible with its exact value), never a crash or a wrong value.
TEST(WalCorruptionTest, DetectedOrRecoversAPrefix) {
  RegisterDrift();
  const uint32_t dim = 8;
  int tries = 0, refused = 0, prefixes = 0;
  for (int trial = 0; trial < 12; ++trial) {
    const std::string dir = test::TempDir("wal_corruption");
    std::vector<std::vector<float>> written;
    std::string wal;
    {
      std::unique_ptr<rocksdb::DB> db;
      std::vector<rocksdb::ColumnFamilyHandle*> handles;
      ASSERT_OK(test::OpenWithVectorCf(dir, rocksdb::DBOptions(),
                                       VectorColumnFamilyOptions(dim), &db,
                                       &handles));
      std::mt19937 rng(trial);
      for (int i = 0; i < 300; ++i) {
        std::vector<float> v(dim);
        for (float& x : v) x = static_cast<float>(rng() % 1000) / 8;
        char key[16];
        std::snprintf(key, sizeof(key), "k%05d", i);
        ASSERT_OK(
            db->Put(rocksdb::WriteOptions(), handles[1], key,
                    rocksdb::Slice(reinterpret_cast<const char*>(v.data()),
                                   dim * sizeof(float))));
        written.push_back(v);
      }
      for (auto* h : handles) ASSERT_OK(db->DestroyColumnFamilyHandle(h));
    }
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
      if (e.path().extension() == ".log") wal = e.path().string();
    }
    ASSERT_FALSE(wal.empty());
    {
      std::fstream f(wal, std::ios::in | std::ios::out | std::ios::binary);
      f.seekg(0, std::ios::end);
      const std::streamoff size = f.tellg();
      const std::streamoff pos = size / 4 + (trial * size) / 16;
      f.seekg(pos);
      char c = 0;
      f.read(&c, 1);
      c ^= static_cast<char>(1 << (trial % 8));
      f.seekp(pos);
      f.write(&c, 1);
    }
    ++tries;
    for (auto mode : {rocksdb::WALRecoveryMode::kAbsoluteConsistency,
                      rocksdb::WALRecoveryMode::kPointInTimeRecovery}) {
      rocksdb::DBOptions opts;
      opts.wal_recovery_mode = mode;
      opts.create_if_missing = false;
      opts.avoid_flush_during_recovery = true;  // keep the WAL for mode 2
      std::unique_ptr<rocksdb::DB> db;
      std::vector<rocksdb::ColumnFamilyHandle*> handles;
      rocksdb::Status s = test::OpenWithVectorCf(
          dir, opts, VectorColumnFamilyOptions(dim), &db, &handles);
      if (mode == rocksdb::WALRecoveryMode::kAbsoluteConsistency) {
        if (!s.ok()) {
          EXPECT_TRUE(s.IsCorruption()) << s.ToString();
          ++refused;
          continue;
        }
      } else {
        ASSERT_OK(s);
      }
      // What is there is a prefix of the writes, each with its exact value.
      std::unique_ptr<rocksdb::Iterator> it(
          db->NewIterator(rocksdb::ReadOptions(), handles[1]));
      size_t n = 0;
      for (it->SeekToFirst(); it->Valid(); it->Next(), ++n) {
        char key[16];
        std::snprintf(key, sizeof(key), "k%05zu", n);
        ASSERT_EQ(it->key().ToString(), key);
        ASSERT_EQ(it->value().ToString(),
                  std::string(reinterpret_cast<const char*>(written[n].data()),
                              dim * sizeof(float)));
      }
      ASSERT_OK(it->status());
      it.reset();
      if (n < written.size()) ++prefixes;
      VectorIndexOptions vopts;
      vopts.dimension = dim;
      vopts.auto_train = false;
      std::unique_ptr<VectorIndex> index;
      ASSERT_OK(VectorIndex::Attach(db.get(), handles[1], vopts, &index));
      if (n > 0) {
        SearchOptions so;
        so.exhaustive = true;
        std::vector<SearchHit> hits;
        ASSERT_OK(index->Search(so, written[n - 1], 1, &hits));
        ASSERT_EQ(hits.size(), 1u);
        EXPECT_EQ(hits[0].distance, 0.0f);
      }
      ASSERT_OK(index->Close());
      index.reset();
      for (auto* h : handles) ASSERT_OK(db->DestroyColumnFamilyHandle(h));
    }
    test::RemoveDir(dir);
  }
  std::printf(
      "WAL corruption: %d tried, %d refused (absolute consistency), "
      "%d recovered a strict prefix (point in time)\n",
      tries, refused, prefixes);
  EXPECT_GT(refused + prefixes, 0);
}

}  // namespace
}  // namespace drift
