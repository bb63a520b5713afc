// DriftCompactionFilterFactory: option strings and OPTIONS files, bad
// options, vector TTL, prefix drops exact under MVCC and the space they free,
// the scavenger of column families configured by option string, and searches
// and bucket statistics after the filter dropped entries.
#include "drift/compaction_filter.h"

#include <chrono>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "db/drift_compaction_filter.h"
#include "drift/plugin.h"
#include "drift/vector_index.h"
#include "gtest/gtest.h"
#include "index/codebook.h"
#include "rocksdb/convenience.h"
#include "rocksdb/utilities/options_util.h"
#include "tests/test_util.h"
#include "tests/vector_model.h"

namespace drift {
namespace {

using rocksdb::ColumnFamilyOptions;
using test::Model;

constexpr uint32_t kDim = 8;

uint64_t Now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// "<tenant>/" + 8-byte write time + id: the time at offset tenant + 1.
std::string TimedKey(const std::string& tenant, uint64_t time, int id) {
  std::string k = tenant + "/";
  AppendKeyTime(time, &k);
  return k + std::to_string(id);
}

ColumnFamilyOptions FromString(const std::string& opts, rocksdb::Status* s) {
  rocksdb::ConfigOptions config;
  config.ignore_unsupported_options = false;
  ColumnFamilyOptions out;
  *s = rocksdb::GetColumnFamilyOptionsFromString(config, ColumnFamilyOptions(),
                                                 opts, &out);
  return out;
}

class CompactionFilterTest : public testing::Test {
 protected:
  void SetUp() override {
    RegisterDrift();
    dir_ = test::TempDir("compaction_filter");
  }
  void TearDown() override {
    Close();
    test::RemoveDir(dir_);
  }

  void OpenDB(const ColumnFamilyOptions& vec) {
    ASSERT_OK(test::OpenWithVectorCf(dir_, rocksdb::DBOptions(), vec, &db_,
                                     &handles_));
  }
  // A vector column family whose filter has the given TTL (key time after a
  // 3-byte tenant "tN/"), with an index (no background training) and a
  // PrefixDropper.
  void OpenWithIndex(int64_t ttl_seconds) {
    ColumnFamilyOptions base;
    base.disable_auto_compactions = true;  // only the test compacts
    DriftCompactionFilterOptions fopts;
    fopts.ttl_seconds = ttl_seconds;
    fopts.key_time_offset = 3;
    base.compaction_filter_factory = NewDriftCompactionFilterFactory(fopts);
    ColumnFamilyOptions vec = VectorColumnFamilyOptions(kDim, base);
    DriftTableOptions topts;  // small blobs: file sizes follow the data
    topts.dimension = kDim;
    topts.blob_alignment = 512;
    vec.table_factory = NewDriftTableFactory(topts);
    OpenDB(vec);
    VectorIndexOptions vopts;
    vopts.dimension = kDim;
    vopts.auto_train = false;
    vopts.target_bucket_size = 32;
    ASSERT_OK(VectorIndex::Attach(db_.get(), handles_[1], vopts, &index_));
    ASSERT_OK(PrefixDropper::Open(db_.get(), handles_[1], nullptr, &dropper_));
  }
  void Close() {
    dropper_.reset();
    index_.reset();
    for (auto* h : handles_) EXPECT_OK(db_->DestroyColumnFamilyHandle(h));
    handles_.clear();
    db_.reset();
  }

  std::vector<float> RandomVector() {
    std::vector<float> v(kDim);
    for (float& x : v) x = static_cast<float>(static_cast<int>(rng_() % 50));
    return v;
  }
  void Put(const std::string& key, Model* model) {
    (*model)[key] = RandomVector();
    ASSERT_OK(index_->Put(rocksdb::WriteOptions(), key, (*model)[key]));
  }
  void Flush() { ASSERT_OK(db_->Flush(rocksdb::FlushOptions(), handles_[1])); }
  void CompactAll() {
    rocksdb::CompactRangeOptions o;
    o.bottommost_level_compaction =
        rocksdb::BottommostLevelCompaction::kForceOptimized;
    ASSERT_OK(db_->CompactRange(o, handles_[1], nullptr, nullptr));
  }
  // Rewrites only the last level's files (no L0 file joins the compaction).
  void CompactLastLevel() {
    rocksdb::ColumnFamilyMetaData meta;
    db_->GetColumnFamilyMetaData(handles_[1], &meta);
    std::vector<std::string> files;
    int level = 0;
    for (const auto& l : meta.levels) {
      if (l.level == 0 || l.files.empty()) continue;
      level = l.level;
      files.clear();
      for (const auto& f : l.files) files.push_back(f.name);
    }
    ASSERT_FALSE(files.empty());
    ASSERT_OK(db_->CompactFiles(rocksdb::CompactionOptions(), handles_[1],
                                files, level));
  }
  // Entries stored in the vector column family's table files.
  uint64_t StoredEntries() {
    rocksdb::TablePropertiesCollection props;
    EXPECT_OK(db_->GetPropertiesOfAllTables(handles_[1], &props));
    uint64_t n = 0;
    for (const auto& p : props) n += p.second->num_entries;
    return n;
  }
  uint64_t StoredBytes() {
    rocksdb::ColumnFamilyMetaData meta;
    db_->GetColumnFamilyMetaData(handles_[1], &meta);
    return meta.size;
  }
  // What an iterator sees at `snap`, decoded as vectors.
  Model Scan(const rocksdb::Snapshot* snap = nullptr) {
    rocksdb::ReadOptions ro;
    ro.snapshot = snap;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, handles_[1]));
    Model out;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      const float* f = reinterpret_cast<const float*>(it->value().data());
      out[it->key().ToString()].assign(f, f + it->value().size() / 4);
    }
    EXPECT_OK(it->status());
    return out;
  }
  // Exhaustive searches equal brute force over what a scan sees, and the
  // bucket statistics count exactly the scanned vectors per slot.
  void ExpectSearchAndStatsExact() {
    const Model live = Scan();
    SearchOptions so;
    so.exhaustive = true;
    for (int i = 0; i < 5; ++i) {
      const std::vector<float> q = RandomVector();
      std::vector<SearchHit> hits;
      ASSERT_OK(index_->Search(so, q, 10, &hits));
      EXPECT_EQ(hits, test::BruteForce(live, q, 10));
    }
    std::string encoded;
    ASSERT_OK(db_->Get(rocksdb::ReadOptions(), handles_[0],
                       "drift.codebook/vectors", &encoded));
    Codebook cb;
    ASSERT_OK(Codebook::DecodeFrom(encoded, &cb));
    std::vector<uint64_t> per_slot(cb.size(), 0);
    for (const auto& kv : live) {
      uint32_t slot = 0;
      cb.Assign(kv.second.data(), 1, &slot);
      ++per_slot[slot];
    }
    std::vector<BucketInfo> buckets;
    ASSERT_OK(index_->GetBucketStats(&buckets));
    ASSERT_EQ(buckets.size(), cb.size());
    for (uint32_t s = 0; s < cb.size(); ++s) {
      EXPECT_EQ(buckets[s].live, per_slot[s]) << s;
      EXPECT_EQ(buckets[s].tombstones, 0u) << s;
      EXPECT_EQ(buckets[s].rows, per_slot[s]) << s;
    }
  }

  std::string dir_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  std::unique_ptr<VectorIndex> index_;
  std::unique_ptr<PrefixDropper> dropper_;
  std::mt19937 rng_{26};
};

TEST_F(CompactionFilterTest, OptionStringRoundTripsThroughOptionsFile) {
  rocksdb::Status s;
  ColumnFamilyOptions vec = FromString(
      "table_factory={id=DriftTable;dimension=8};"
      "memtable_factory={id=DriftMemTable;dimension=8};"
      "compaction_filter_factory={id=DriftCompactionFilterFactory;"
      "ttl_seconds=3600;key_time_offset=-8}",
      &s);
  ASSERT_OK(s);
  ASSERT_NE(vec.compaction_filter_factory, nullptr);
  ASSERT_STREQ(vec.compaction_filter_factory->Name(),
               kDriftCompactionFilterFactoryName);
  OpenDB(vec);
  Close();
  rocksdb::ConfigOptions config;
  config.ignore_unknown_options = false;
  rocksdb::DBOptions db_opts;
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
  ASSERT_OK(rocksdb::LoadLatestOptions(config, dir_, &db_opts, &cfs));
  ASSERT_EQ(cfs.size(), 2u);
  ASSERT_NE(cfs[1].options.compaction_filter_factory, nullptr);
  const auto* fopts = cfs[1]
                          .options.compaction_filter_factory
                          ->GetOptions<DriftCompactionFilterOptions>();
  ASSERT_NE(fopts, nullptr);
  EXPECT_EQ(fopts->ttl_seconds, 3600);
  EXPECT_EQ(fopts->key_time_offset, -8);
  // VectorColumnFamilyOptions installs the factory (TTL off) by default.
  ColumnFamilyOptions dflt = VectorColumnFamilyOptions(kDim);
  ASSERT_NE(dflt.compaction_filter_factory, nullptr);
  EXPECT_EQ(
      dflt.compaction_filter_factory->GetOptions<DriftCompactionFilterOptions>()
          ->ttl_seconds,
      0);
}

TEST_F(CompactionFilterTest, BadOptionsGiveAClearStatus) {
  auto parse = [](const std::string& fields) {
    rocksdb::Status s;
    FromString("compaction_filter_factory={id=DriftCompactionFilterFactory;" +
                   fields + "}",
               &s);
    return s;
  };
  rocksdb::Status s = parse("ttl_seconds=-5");
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_NE(
      s.ToString().find("DriftCompactionFilter: ttl_seconds must be >= 0"),
      std::string::npos)
      << s.ToString();
  s = parse("key_time_offset=-3");
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_NE(s.ToString().find("key_time_offset must be >= 0 or <= -8"),
            std::string::npos)
      << s.ToString();
  EXPECT_FALSE(parse("ttl_seconds=soon").ok());
  EXPECT_FALSE(parse("ttl=5").ok());  // unknown field
  EXPECT_OK(parse("ttl_seconds=0;key_time_offset=-8"));
  // Built in C++: DB::Open refuses it.
  DriftCompactionFilterOptions bad;
  bad.ttl_seconds = -1;
  ColumnFamilyOptions vec = VectorColumnFamilyOptions(kDim);
  vec.compaction_filter_factory = NewDriftCompactionFilterFactory(bad);
  s = test::OpenWithVectorCf(dir_, rocksdb::DBOptions(), vec, &db_, &handles_);
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_NE(s.ToString().find("ttl_seconds must be >= 0"), std::string::npos);
  // A PrefixDropper needs the Drift filter.
  vec.compaction_filter_factory.reset();
  OpenDB(vec);
  std::unique_ptr<PrefixDropper> dropper;
  EXPECT_TRUE(PrefixDropper::Open(db_.get(), handles_[1], nullptr, &dropper)
                  .IsInvalidArgument());
}

// A column family configured only by option string gets the scavenger from
// its table factory: a segment >= 20% deletions is compacted away.
TEST_F(CompactionFilterTest, OptionStringColumnFamilyIsScavenged) {
  for (const double ratio : {0.2, 0.0}) {
    SCOPED_TRACE(ratio);
    rocksdb::Status s;
    ColumnFamilyOptions vec = FromString(
        "table_factory={id=DriftTable;dimension=8;scavenge_deletion_ratio=" +
            std::to_string(ratio) + "};memtable_factory={id=DriftMemTable}",
        &s);
    ASSERT_OK(s);
    EXPECT_TRUE(vec.table_properties_collector_factories.empty());
    OpenDB(vec);
    const std::string value(kDim * sizeof(float), '\x01');
    for (int i = 0; i < 1000; ++i) {
      ASSERT_OK(db_->Put(rocksdb::WriteOptions(), handles_[1],
                         "k" + std::to_string(1000 + i), value));
    }
    Flush();
    CompactAll();
    for (int i = 0; i < 300; ++i) {  // 300 deletions, 100 puts: 75%
      ASSERT_OK(db_->Delete(rocksdb::WriteOptions(), handles_[1],
                            "k" + std::to_string(1000 + 3 * i)));
    }
    for (int i = 0; i < 100; ++i) {
      ASSERT_OK(db_->Put(rocksdb::WriteOptions(), handles_[1],
                         "n" + std::to_string(i), value));
    }
    Flush();
    const uint64_t live = 1000 - 300 + 100;
    uint64_t entries = 0;
    for (int i = 0; i < (ratio > 0 ? 200 : 20); ++i) {  // in the background
      entries = StoredEntries();
      if (entries == live) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    // Unmarked, the segment keeps its deletions and what they hide.
    EXPECT_EQ(entries, ratio > 0 ? live : 1000 + 300 + 100);
    Close();
    test::RemoveDir(dir_);
  }
}

TEST_F(CompactionFilterTest, TtlDropsExpiredVectorsAtCompaction) {
  OpenWithIndex(/*ttl_seconds=*/3600);
  const uint64_t now = Now();
  Model fresh, expired;
  for (int i = 0; i < 600; ++i) {
    Put(TimedKey("t1", now - 60 - i, i), &fresh);
    Put(TimedKey("t1", now - 3600 - 10 - i, i), &expired);
    if (i % 10 == 0) Put(TimedKey("t1", now + 86400, i), &fresh);  // future
  }
  Put("t1", &fresh);  // too short to carry a time: never expires
  Flush();
  // Expired but not compacted yet: still visible, as with DBWithTTL.
  EXPECT_EQ(Scan().size(), fresh.size() + expired.size());
  ASSERT_OK(index_->Train(TrainOptions()));  // re-buckets: a full compaction
  EXPECT_EQ(Scan(), fresh);
  EXPECT_EQ(StoredEntries(), fresh.size());
  ExpectSearchAndStatsExact();
  // Expired vectors written after training go at the next compaction, too.
  for (int i = 0; i < 100; ++i) Put(TimedKey("t2", now - 7200, i), &expired);
  Flush();
  ExpectSearchAndStatsExact();
  CompactAll();
  EXPECT_EQ(Scan(), fresh);
  ExpectSearchAndStatsExact();
}

// One range deletion hides the prefix at once; a snapshot from before the
// drop keeps seeing it until released; the filter frees the space even in a
// compaction the range deletion is not part of.
TEST_F(CompactionFilterTest, DropPrefixIsExactUnderMvccAndFreesSpace) {
  OpenWithIndex(/*ttl_seconds=*/0);
  const uint64_t now = Now();
  Model t1, t2;
  for (int i = 0; i < 500; ++i) {
    Put(TimedKey("t1", now, i), &t1);
    Put(TimedKey("t2", now, i), &t2);
  }
  Flush();
  ASSERT_OK(index_->Train(TrainOptions()));  // everything in the last level
  Model all = t1;
  all.insert(t2.begin(), t2.end());
  ASSERT_EQ(Scan(), all);

  const rocksdb::Snapshot* before = db_->GetSnapshot();
  ASSERT_OK(dropper_->DropPrefix(rocksdb::WriteOptions(), "t1/"));
  EXPECT_TRUE(
      dropper_->DropPrefix(rocksdb::WriteOptions(), "").IsInvalidArgument());
  EXPECT_EQ(Scan(), t2);
  std::vector<float> v;
  EXPECT_TRUE(
      index_->Get(rocksdb::ReadOptions(), t1.begin()->first, &v).IsNotFound());
  EXPECT_EQ(Scan(before), all);
  // Written after the drop: an ordinary live key.
  Model after;
  Put(TimedKey("t1", now, 9999), &after);
  t2.insert(after.begin(), after.end());
  Flush();  // the range deletion goes to L0

  // Rewrite only the last level's files: the range deletion (L0) is not in
  // the compaction; with the snapshot live, the filter keeps t1.
  const uint64_t stored = StoredEntries();
  const uint64_t bytes = StoredBytes();
  CompactLastLevel();
  EXPECT_EQ(dropper_->entries_removed(), 0u);
  EXPECT_EQ(Scan(before), all);
  EXPECT_EQ(StoredEntries(), stored);

  db_->ReleaseSnapshot(before);
  CompactLastLevel();
  EXPECT_EQ(dropper_->entries_removed(), t1.size());
  EXPECT_EQ(Scan(), t2);
  // The last level lost t1 (at the bottom the deletions the filter made
  // drop too): what remains besides t2 is the range deletion, in L0.
  EXPECT_EQ(StoredEntries(), t2.size() + 1);
  EXPECT_LT(StoredBytes(), bytes * 0.7) << bytes;
  ExpectSearchAndStatsExact();
  CompactAll();
  EXPECT_EQ(StoredEntries(), t2.size());
  EXPECT_EQ(Scan(), t2);
  ExpectSearchAndStatsExact();

  // The drop is recorded: a reopened dropper knows it until Forget.
  Close();
  OpenWithIndex(0);
  EXPECT_EQ(dropper_->DroppedPrefixes(), std::vector<std::string>{"t1/"});
  EXPECT_EQ(Scan(), t2);
  ASSERT_OK(dropper_->Forget(rocksdb::WriteOptions(), "t1/"));
  EXPECT_TRUE(dropper_->DroppedPrefixes().empty());
  std::unique_ptr<PrefixDropper> second;
  EXPECT_TRUE(PrefixDropper::Open(db_.get(), handles_[1], nullptr, &second)
                  .IsInvalidArgument());  // bound already
}

// A key written under a dropped prefix after the drop and deleted again
// reads as absent, as the dropped keys do; a snapshot taken in between still
// sees it, so the filter must keep it while the snapshot lives.
TEST_F(CompactionFilterTest, ReusedPrefixKeepsWhatASnapshotSees) {
  OpenWithIndex(/*ttl_seconds=*/0);
  Model t1, reused;
  for (int i = 0; i < 100; ++i) Put(TimedKey("t1", 1, i), &t1);
  ASSERT_OK(dropper_->DropPrefix(rocksdb::WriteOptions(), "t1/"));
  Put(TimedKey("t1", 2, 0), &reused);
  Flush();
  CompactAll();  // t1's old keys go; the reused key is live and stays
  EXPECT_EQ(Scan(), reused);
  const rocksdb::Snapshot* snap = db_->GetSnapshot();
  ASSERT_OK(index_->Delete(rocksdb::WriteOptions(), reused.begin()->first));
  Flush();  // the deletion goes to L0
  CompactLastLevel();
  EXPECT_EQ(Scan(snap), reused);
  EXPECT_TRUE(Scan().empty());
  db_->ReleaseSnapshot(snap);
  const uint64_t removed = dropper_->entries_removed();
  CompactLastLevel();  // now nothing can read it
  EXPECT_EQ(dropper_->entries_removed(), removed + 1);
  EXPECT_TRUE(Scan().empty());
}

TEST(PrefixSetTest, CoversExactlyTheKeysUnderAPrefix) {
  PrefixSet set({"b", "ab", "a", "abc", "d\xff"});
  EXPECT_TRUE(set.Covers("a"));
  EXPECT_TRUE(set.Covers("abz"));
  EXPECT_TRUE(set.Covers("b"));
  EXPECT_TRUE(set.Covers("d\xff\x01"));
  EXPECT_FALSE(set.Covers(""));
  EXPECT_FALSE(set.Covers("c"));
  EXPECT_FALSE(set.Covers("d"));
  EXPECT_FALSE(set.Covers("\x01"));
}

}  // namespace
}  // namespace drift
