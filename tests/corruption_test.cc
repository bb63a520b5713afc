// Corruption of .drift files: flipped bits, zeroed ranges and truncation are
// detected (a non-OK Status) or harmless (every answer still exact); never a
// crash, a hang or a wrong answer. Files are read through RocksDB's public
// SstFileReader, as a dump tool would.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>

#include "drift/plugin.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "rocksdb/sst_file_reader.h"
#include "tests/test_util.h"

namespace drift {
namespace {

constexpr uint32_t kDim = 16;

class CorruptionTest : public testing::Test {
 protected:
  void SetUp() override {
    RegisterDrift();
    dir_ = test::TempDir("corruption");
    DriftTableOptions topts;
    topts.dimension = kDim;
    topts.target_bucket_size = 64;
    options_.table_factory = NewDriftTableFactory(topts);
    options_.create_if_missing = true;
    rocksdb::DB* db = nullptr;
    ASSERT_OK(rocksdb::DB::Open(options_, dir_ + "/db", &db));
    std::mt19937 rng(3);
    std::normal_distribution<float> normal;
    for (int i = 0; i < 1500; ++i) {
      std::string key = "key" + std::to_string(i);
      std::string value;
      if (i % 7 == 0) {
        value = std::string(100 + i % 50, 'r');  // raw record
      } else {
        float v[kDim];
        for (float& x : v) x = normal(rng);
        value.assign(reinterpret_cast<const char*>(v), sizeof(v));
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

TEST_F(CorruptionTest, IntactFileReadsBack) {
  EXPECT_FALSE(ReadAll(original_));
}

TEST_F(CorruptionTest, FlippedBitsAreDetectedOrHarmless) {
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

TEST_F(CorruptionTest, TruncationIsDetected) {
  int tries = 0;
  for (size_t len = 0; len < original_.size();
       len += 1 + original_.size() / 97, ++tries) {
    EXPECT_TRUE(ReadAll(original_.substr(0, len))) << len;
  }
  std::printf("truncations: %d tried, all detected\n", tries);
}

TEST_F(CorruptionTest, ZeroedRangesAreDetectedOrHarmless) {
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

}  // namespace
}  // namespace drift
