// The partitioned key index (table/key_index.h) against a std::map model:
// segments written with tiny partitions, read through RocksDB's iterators
// (Seek, SeekForPrev, Next, Prev across partition boundaries) and Get, before
// and after a reopen; corrupt partitions and top levels are Corruption.
#include "table/key_index.h"

#include <map>
#include <random>
#include <string>

#include "drift/plugin.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "rocksdb/env.h"
#include "rocksdb/sst_file_reader.h"
#include "rocksdb/sst_file_writer.h"
#include "tests/test_util.h"

namespace drift {
namespace {

constexpr uint32_t kDim = 4;

// Vectors, inline values (<= 32 bytes) and raw records, in key order.
std::map<std::string, std::string> Entries(int n) {
  std::map<std::string, std::string> m;
  for (int i = 0; i < n; ++i) {
    char key[16];
    snprintf(key, sizeof(key), "k%05d", i * 3);
    std::string value;
    if (i % 7 == 1) {
      value = "inline" + std::to_string(i);
    } else if (i % 7 == 4) {
      value = std::string(50 + i % 40, static_cast<char>('a' + i % 26));
    } else {
      const float v[kDim] = {i * 0.5f, -1.f * i, 2.f, i % 11 * 1.f};
      value.assign(reinterpret_cast<const char*>(v), sizeof(v));
    }
    m[key] = value;
  }
  return m;
}

rocksdb::Options TableOptions(uint32_t partition_size) {
  rocksdb::Options options;
  DriftTableOptions topts;
  topts.dimension = kDim;
  topts.target_bucket_size = 64;
  topts.key_index_restart_interval = 4;
  topts.key_index_partition_size = partition_size;
  options.table_factory = NewDriftTableFactory(topts);
  return options;
}

class KeyIndexTest : public testing::TestWithParam<uint32_t> {
 protected:
  void SetUp() override {
    RegisterDrift();
    dir_ = test::TempDir("key_index_test");
    path_ = dir_ + "/segment.drift";
  }
  void TearDown() override { test::RemoveDir(dir_); }

  void Write(const std::map<std::string, std::string>& entries) {
    rocksdb::SstFileWriter writer(rocksdb::EnvOptions(),
                                  TableOptions(GetParam()));
    ASSERT_OK(writer.Open(path_));
    for (const auto& [k, v] : entries) ASSERT_OK(writer.Put(k, v));
    ASSERT_OK(writer.Finish());
  }

  std::string dir_;
  std::string path_;
};

// Random moves of one iterator, each checked against the model's.
void CheckRandomWalk(const std::map<std::string, std::string>& model,
                     rocksdb::Iterator* it, uint32_t seed) {
  std::mt19937 rng(seed);
  auto pos = model.end();
  auto random_key = [&] {
    char key[16];
    snprintf(key, sizeof(key), "k%05d",
             static_cast<int>(rng() % (model.size() * 3 + 6)) - 3);
    return std::string(key);
  };
  for (int op = 0; op < 4000; ++op) {
    const uint32_t what = rng() % 8;
    std::string target;
    if (what == 0) {
      it->SeekToFirst();
      pos = model.begin();
    } else if (what == 1) {
      it->SeekToLast();
      pos = model.empty() ? model.end() : std::prev(model.end());
    } else if (what == 2) {
      target = random_key();
      it->Seek(target);
      pos = model.lower_bound(target);
    } else if (what == 3) {
      target = random_key();
      it->SeekForPrev(target);
      pos = model.upper_bound(target);
      pos = pos == model.begin() ? model.end() : std::prev(pos);
    } else if (pos != model.end() && what < 6) {
      it->Next();
      ++pos;
    } else if (pos != model.end()) {
      it->Prev();
      pos = pos == model.begin() ? model.end() : std::prev(pos);
    }
    ASSERT_OK(it->status());
    ASSERT_EQ(it->Valid(), pos != model.end()) << op << " " << target;
    if (pos == model.end()) continue;
    ASSERT_EQ(it->key().ToString(), pos->first) << op << " " << target;
    ASSERT_EQ(it->value().ToString(), pos->second) << op;
  }
}

TEST_P(KeyIndexTest, IteratorsMatchTheModelAcrossPartitions) {
  const auto model = Entries(1500);
  Write(model);
  for (int reopen = 0; reopen < 2; ++reopen) {
    rocksdb::SstFileReader reader(TableOptions(GetParam()));
    ASSERT_OK(reader.Open(path_));
    ASSERT_OK(reader.VerifyChecksum());
    std::unique_ptr<rocksdb::Iterator> it(
        reader.NewIterator(rocksdb::ReadOptions()));
    CheckRandomWalk(model, it.get(), 17 + reopen);
    // Forward and backward scans see every entry.
    std::map<std::string, std::string> seen;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      seen[it->key().ToString()] = it->value().ToString();
    }
    ASSERT_OK(it->status());
    EXPECT_EQ(seen, model);
    size_t n = 0;
    for (it->SeekToLast(); it->Valid(); it->Prev()) ++n;
    EXPECT_EQ(n, model.size());
    // With pin_data, keys and values stay valid while the iterator lives,
    // across partitions (left ones go to the pinned-iterators manager).
    rocksdb::ReadOptions pinned;
    pinned.pin_data = true;
    it.reset(reader.NewIterator(pinned));
    std::vector<std::pair<rocksdb::Slice, rocksdb::Slice>> slices;
    for (it->SeekToLast(); it->Valid(); it->Prev()) {
      std::string is_pinned;
      ASSERT_OK(it->GetProperty("rocksdb.iterator.is-key-pinned", &is_pinned));
      if (is_pinned == "1") slices.emplace_back(it->key(), it->value());
    }
    ASSERT_OK(it->status());
    ASSERT_GT(slices.size(), 0u);
    for (const auto& [k, v] : slices) {
      ASSERT_EQ(model.count(k.ToString()), 1u);
      EXPECT_EQ(model.at(k.ToString()), v.ToString());
    }
  }
}

// A segment without point entries (range deletions only) opens and is empty.
TEST_P(KeyIndexTest, EmptySegment) {
  rocksdb::SstFileWriter writer(rocksdb::EnvOptions(),
                                TableOptions(GetParam()));
  ASSERT_OK(writer.Open(path_));
  ASSERT_OK(writer.DeleteRange("a", "b"));
  ASSERT_OK(writer.Finish());
  rocksdb::SstFileReader reader(TableOptions(GetParam()));
  ASSERT_OK(reader.Open(path_));
  std::unique_ptr<rocksdb::Iterator> it(
      reader.NewIterator(rocksdb::ReadOptions()));
  it->SeekToFirst();
  EXPECT_FALSE(it->Valid());
  ASSERT_OK(it->status());
}

// Get and MultiGet of keys with many versions in one segment (snapshots keep
// them through the flush): a key's versions straddle partitions.
TEST_P(KeyIndexTest, GetWalksVersionsAcrossPartitions) {
  rocksdb::Options options = TableOptions(GetParam());
  options.create_if_missing = true;
  std::unique_ptr<rocksdb::DB> db;
  {
    rocksdb::DB* raw = nullptr;
    ASSERT_OK(rocksdb::DB::Open(options, dir_ + "/db", &raw));
    db.reset(raw);
  }
  constexpr int kKeys = 40, kVersions = 12;
  std::vector<const rocksdb::Snapshot*> snaps;
  for (int v = 0; v < kVersions; ++v) {
    for (int k = 0; k < kKeys; ++k) {
      ASSERT_OK(db->Put(rocksdb::WriteOptions(), "key" + std::to_string(k),
                        "v" + std::to_string(v) + "-" + std::to_string(k)));
    }
    snaps.push_back(db->GetSnapshot());
  }
  ASSERT_OK(db->Flush(rocksdb::FlushOptions()));
  for (int v = 0; v < kVersions; ++v) {
    rocksdb::ReadOptions ro;
    ro.snapshot = snaps[v];
    std::vector<std::string> keys;
    for (int k = 0; k < kKeys; ++k) {
      keys.push_back("key" + std::to_string(k));
      std::string value;
      ASSERT_OK(db->Get(ro, keys.back(), &value));
      EXPECT_EQ(value, "v" + std::to_string(v) + "-" + std::to_string(k));
    }
    std::vector<rocksdb::Slice> slices(keys.begin(), keys.end());
    std::vector<std::string> values;
    for (const auto& s : db->MultiGet(ro, slices, &values)) ASSERT_OK(s);
    for (int k = 0; k < kKeys; ++k) {
      EXPECT_EQ(values[k], "v" + std::to_string(v) + "-" + std::to_string(k));
    }
  }
  std::string value;
  EXPECT_TRUE(db->Get(rocksdb::ReadOptions(), "key-none", &value).IsNotFound());
  for (auto* s : snaps) db->ReleaseSnapshot(s);
  ASSERT_OK(db->Close());
}

INSTANTIATE_TEST_SUITE_P(PartitionSizes, KeyIndexTest,
                         testing::Values(0u, 1u, 64u, 300u, 4096u));

// The metaindex handle of block `name` in the segment `bytes`.
bool FindBlock(const std::string& bytes, const std::string& name,
               rocksdb::BlockHandle* handle) {
  // The footer: checksum type, then the metaindex handle (docs/format.md).
  rocksdb::Slice footer(bytes.data() + bytes.size() - 52, 52);
  rocksdb::BlockHandle meta;
  if (!meta.DecodeFrom(&footer).ok()) return false;
  rocksdb::Block meta_index(rocksdb::BlockContents(
      rocksdb::Slice(bytes.data() + meta.offset(), meta.size())));
  std::unique_ptr<rocksdb::MetaBlockIter> it(meta_index.NewMetaIterator());
  return rocksdb::FindMetaBlock(it.get(), name, handle).ok();
}

class KeyIndexCorruptionTest : public testing::Test {
 protected:
  void SetUp() override {
    RegisterDrift();
    dir_ = test::TempDir("key_index_corruption");
    path_ = dir_ + "/segment.drift";
    rocksdb::SstFileWriter writer(rocksdb::EnvOptions(), TableOptions(256));
    ASSERT_OK(writer.Open(path_));
    for (const auto& [k, v] : Entries(600)) ASSERT_OK(writer.Put(k, v));
    ASSERT_OK(writer.Finish());
    ASSERT_OK(
        rocksdb::ReadFileToString(rocksdb::Env::Default(), path_, &bytes_));
    // A partitioned index has its top level and no single-block index, so
    // a build before partitions refuses the file ("lacks its
    // drift.key_index block", Corruption) instead of misreading it.
    rocksdb::BlockHandle single;
    EXPECT_FALSE(FindBlock(bytes_, kKeyIndexBlockName, &single));
    ASSERT_TRUE(FindBlock(bytes_, kKeyIndexTopBlockName, &top_));
    rocksdb::Block top(rocksdb::BlockContents(
        rocksdb::Slice(bytes_.data() + top_.offset(), top_.size())));
    std::unique_ptr<rocksdb::DataBlockIter> it(top.NewDataIterator(
        rocksdb::BytewiseComparator(), rocksdb::kDisableGlobalSequenceNumber));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      rocksdb::Slice v = it->value();
      rocksdb::BlockHandle h;
      ASSERT_OK(h.DecodeFrom(&v));
      partitions_.push_back(h);
    }
    ASSERT_GT(partitions_.size(), 5u);
  }
  void TearDown() override { test::RemoveDir(dir_); }

  // Writes `bytes` as the segment and opens it: the open-time pass reads
  // every partition.
  rocksdb::Status Open(const std::string& bytes) {
    EXPECT_OK(
        rocksdb::WriteStringToFile(rocksdb::Env::Default(), bytes, path_));
    rocksdb::SstFileReader reader(TableOptions(256));
    return reader.Open(path_);
  }
  // Recomputes the trailer of the block at `h` (a content-level mutation).
  void Reseal(std::string* bytes, const rocksdb::BlockHandle& h) {
    rocksdb::EncodeFixed32(
        &(*bytes)[h.offset() + h.size()],
        BlockChecksum(rocksdb::Slice(bytes->data() + h.offset(), h.size())));
  }

  std::string dir_, path_, bytes_;
  rocksdb::BlockHandle top_;
  std::vector<rocksdb::BlockHandle> partitions_;
};

TEST_F(KeyIndexCorruptionTest, IntactOpens) { EXPECT_OK(Open(bytes_)); }

TEST_F(KeyIndexCorruptionTest, PartitionChecksum) {
  std::string bytes = bytes_;
  const auto& p = partitions_[partitions_.size() / 2];
  bytes[p.offset() + p.size() / 2] ^= 0x40;
  const rocksdb::Status s = Open(bytes);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.ToString().find("checksum"), std::string::npos) << s.ToString();
}

TEST_F(KeyIndexCorruptionTest, PartitionRestartArray) {
  std::string bytes = bytes_;
  const auto& p = partitions_[partitions_.size() / 2];
  rocksdb::EncodeFixed32(&bytes[p.offset() + p.size() - 4], 0x7fffffff);
  Reseal(&bytes, p);
  const rocksdb::Status s = Open(bytes);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
}

TEST_F(KeyIndexCorruptionTest, PartitionsSwapped) {
  // Two partitions of equal size exchanged, each with a valid trailer: every
  // block verifies, but their keys lie under the other's top-level key.
  std::string bytes = bytes_;
  size_t i = 1, j = partitions_.size();
  for (; j == partitions_.size() && i < partitions_.size(); ++i) {
    for (j = partitions_.size() - 1; j > i; --j) {
      if (partitions_[j].size() == partitions_[i - 1].size()) break;
    }
    if (j == i) j = partitions_.size();
  }
  ASSERT_LT(j, partitions_.size());
  const auto& a = partitions_[i - 1];
  const auto& b = partitions_[j];
  const size_t n = a.size() + 4;
  const std::string sa = bytes.substr(a.offset(), n);
  bytes.replace(a.offset(), n, bytes.substr(b.offset(), n));
  bytes.replace(b.offset(), n, sa);
  const rocksdb::Status s = Open(bytes);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
}

TEST_F(KeyIndexCorruptionTest, TopLevelChecksum) {
  std::string bytes = bytes_;
  bytes[top_.offset() + top_.size() / 2] ^= 0x01;
  const rocksdb::Status s = Open(bytes);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
}

TEST_F(KeyIndexCorruptionTest, TopLevelMutations) {
  // Every byte of the top level mutated in turn, trailer recomputed: never a
  // crash, and Corruption whenever the open does not succeed.
  for (size_t i = 0; i < top_.size(); ++i) {
    std::string bytes = bytes_;
    bytes[top_.offset() + i] ^= 0xa5;
    Reseal(&bytes, top_);
    const rocksdb::Status s = Open(bytes);
    EXPECT_TRUE(s.ok() || s.IsCorruption()) << i << " " << s.ToString();
  }
}

}  // namespace
}  // namespace drift
