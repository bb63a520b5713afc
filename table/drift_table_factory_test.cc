// Factory-level behaviour of .drift segments inside a DB: bucket blobs pinned
// in the blob cache within their budget (searches unchanged, the budget given
// back when segments close), and compaction outputs cut near
// target_file_size after compression.
#include "table/drift_table_factory.h"

#include <algorithm>
#include <iostream>
#include <random>

#include "drift/plugin.h"
#include "drift/vector_index.h"
#include "gtest/gtest.h"
#include "rocksdb/cache.h"
#include "rocksdb/convenience.h"
#include "tests/test_util.h"

namespace drift {
namespace {

constexpr uint32_t kDim = 32;

class DriftTableFactoryTest : public testing::Test {
 protected:
  void SetUp() override {
    RegisterDrift();
    dir_ = test::TempDir("drift_table_factory");
  }
  void TearDown() override {
    Close();
    test::RemoveDir(dir_);
  }

  void Open(const DriftTableOptions& topts, uint64_t target_file_size) {
    rocksdb::ColumnFamilyOptions base;
    base.target_file_size_base = target_file_size;
    base.disable_auto_compactions = true;
    rocksdb::ColumnFamilyOptions vec = VectorColumnFamilyOptions(kDim, base);
    DriftTableOptions with_dim = topts;
    with_dim.dimension = kDim;
    factory_ = std::make_shared<DriftTableFactory>(with_dim);
    vec.table_factory = factory_;
    ASSERT_OK(test::OpenWithVectorCf(dir_, rocksdb::DBOptions(), vec, &db_,
                                     &handles_));
    VectorIndexOptions vopts;
    vopts.dimension = kDim;
    vopts.auto_train = false;
    ASSERT_OK(VectorIndex::Attach(db_.get(), handles_[1], vopts, &index_));
  }
  void Close() {
    if (index_ != nullptr) {
      ASSERT_OK(index_->Close());
    }
    index_.reset();
    for (auto* h : handles_) ASSERT_OK(db_->DestroyColumnFamilyHandle(h));
    handles_.clear();
    db_.reset();
  }

  // Small integers: ALP stores them in a few bits each.
  void Load(size_t n) {
    std::mt19937 rng(7);
    for (size_t i = 0; i < n; ++i) {
      std::vector<float> v(kDim);
      for (float& x : v) x = static_cast<float>(rng() % 16);
      ASSERT_OK(
          index_->Put(rocksdb::WriteOptions(), "k" + std::to_string(i), v));
    }
    ASSERT_OK(db_->Flush(rocksdb::FlushOptions(), handles_[1]));
  }

  std::vector<std::vector<SearchHit>> SearchAll(uint32_t nprobe) {
    std::mt19937 rng(11);
    std::vector<std::vector<SearchHit>> all;
    SearchOptions so;
    so.nprobe = nprobe;
    for (int q = 0; q < 20; ++q) {
      std::vector<float> v(kDim);
      for (float& x : v) x = static_cast<float>(rng() % 16);
      std::vector<SearchHit> hits;
      EXPECT_OK(index_->Search(so, v, 10, &hits));
      all.push_back(std::move(hits));
    }
    return all;
  }

  std::string dir_;
  std::shared_ptr<DriftTableFactory> factory_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  std::unique_ptr<VectorIndex> index_;
};

// `codes` parses from and prints to option strings; auto is the default and
// an unknown name is an error naming it.
TEST_F(DriftTableFactoryTest, CodesOptionRoundTripsThroughOptionStrings) {
  EXPECT_EQ(DriftTableOptions().codes, BucketCodes::kAuto);
  rocksdb::ConfigOptions config;
  config.ignore_unsupported_options = false;
  rocksdb::ColumnFamilyOptions cf;
  ASSERT_OK(rocksdb::GetColumnFamilyOptionsFromString(
      config, rocksdb::ColumnFamilyOptions(),
      "table_factory={id=DriftTable;dimension=8;codes=rabitq}", &cf));
  EXPECT_EQ(cf.table_factory->GetOptions<DriftTableOptions>()->codes,
            BucketCodes::kRabitQ);
  std::string printed;
  ASSERT_OK(cf.table_factory->GetOptionString(config, &printed));
  EXPECT_NE(printed.find("codes=rabitq"), std::string::npos) << printed;
  const rocksdb::Status s = rocksdb::GetColumnFamilyOptionsFromString(
      config, rocksdb::ColumnFamilyOptions(),
      "table_factory={id=DriftTable;dimension=8;codes=pq4}", &cf);
  ASSERT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_NE(s.ToString().find("pq4"), std::string::npos) << s.ToString();

  // auto, the default, round-trips too (printed and parsed back).
  ASSERT_OK(rocksdb::GetColumnFamilyOptionsFromString(
      config, rocksdb::ColumnFamilyOptions(),
      "table_factory={id=DriftTable;dimension=8}", &cf));
  ASSERT_OK(cf.table_factory->GetOptionString(config, &printed));
  EXPECT_NE(printed.find("codes=auto"), std::string::npos) << printed;
  ASSERT_OK(rocksdb::GetColumnFamilyOptionsFromString(
      config, rocksdb::ColumnFamilyOptions(),
      "table_factory={id=DriftTable;dimension=8;codes=rabitq}", &cf));
  ASSERT_OK(rocksdb::GetColumnFamilyOptionsFromString(
      config, rocksdb::ColumnFamilyOptions(),
      "table_factory={id=DriftTable;dimension=8;codes=auto}", &cf));
  EXPECT_EQ(cf.table_factory->GetOptions<DriftTableOptions>()->codes,
            BucketCodes::kAuto);
}

// rabitq_ex_bits: -1 (auto) by default, parses and prints, and a value out
// of [-1, 7] is refused (InvalidArgument) when a DB opens with it.
TEST_F(DriftTableFactoryTest, RabitqExBitsOptionRoundTripsAndIsChecked) {
  EXPECT_EQ(DriftTableOptions().rabitq_ex_bits, -1);
  rocksdb::ConfigOptions config;
  config.ignore_unsupported_options = false;
  rocksdb::ColumnFamilyOptions cf;
  ASSERT_OK(rocksdb::GetColumnFamilyOptionsFromString(
      config, rocksdb::ColumnFamilyOptions(),
      "table_factory={id=DriftTable;dimension=8;codes=rabitq;"
      "rabitq_ex_bits=5}",
      &cf));
  EXPECT_EQ(cf.table_factory->GetOptions<DriftTableOptions>()->rabitq_ex_bits,
            5);
  std::string printed;
  ASSERT_OK(cf.table_factory->GetOptionString(config, &printed));
  EXPECT_NE(printed.find("rabitq_ex_bits=5"), std::string::npos) << printed;
  rocksdb::ColumnFamilyOptions back;
  ASSERT_OK(rocksdb::GetColumnFamilyOptionsFromString(
      config, rocksdb::ColumnFamilyOptions(),
      "table_factory={id=DriftTable;" + printed + "}", &back));
  EXPECT_EQ(back.table_factory->GetOptions<DriftTableOptions>()->rabitq_ex_bits,
            5);
  for (const char* bad : {"8", "-2", "100"}) {
    DriftTableOptions topts;
    topts.rabitq_ex_bits = std::atoi(bad);
    const rocksdb::Status s = CheckDriftTableOptions(topts);
    EXPECT_TRUE(s.IsInvalidArgument()) << bad << " " << s.ToString();
    // Parsed as any int32, refused when a DB opens with it.
    ASSERT_OK(rocksdb::GetColumnFamilyOptionsFromString(
        config, rocksdb::ColumnFamilyOptions(),
        std::string("table_factory={id=DriftTable;dimension=8;"
                    "rabitq_ex_bits=") +
            bad + "}",
        &cf));
    EXPECT_TRUE(cf.table_factory->ValidateOptions(rocksdb::DBOptions(), cf)
                    .IsInvalidArgument())
        << bad;
  }
}

TEST_F(DriftTableFactoryTest, PinnedBucketsStayWithinTheirBudget) {
  DriftTableOptions topts;
  topts.target_bucket_size = 64;
  topts.blob_cache_size = 64 << 10;  // far less than the codes: budget binds
  topts.pinned_bucket_percent = 50;
  Open(topts, 64 << 20);
  Load(20000);
  std::shared_ptr<rocksdb::Cache> cache;
  std::shared_ptr<PinBudget> pins;
  factory_->BlobCache(&cache, &pins);
  ASSERT_NE(pins, nullptr);
  EXPECT_EQ(pins->limit(), 32u << 10);
  const auto first = SearchAll(/*nprobe=*/1000);  // every bucket
  EXPECT_GT(pins->used(), 0u);
  EXPECT_LE(pins->used(), pins->limit());
  EXPECT_GE(cache->GetPinnedUsage(), pins->used());
  EXPECT_EQ(SearchAll(1000), first);  // from pinned and unpinned buckets alike

  // The same answers with pinning off; the budget is given back on close.
  Close();
  EXPECT_EQ(pins->used(), 0u);
  topts.pinned_bucket_percent = 0;
  Open(topts, 64 << 20);
  factory_->BlobCache(&cache, &pins);
  EXPECT_EQ(pins, nullptr);
  EXPECT_EQ(SearchAll(1000), first);
}

// rocksdb.estimate-table-readers-mem counts what searches add to the readers
// (a slot per float chunk of each bucket they pinned a chunk of) and the
// readers hold neither centroids nor means: a segment of another epoch
// (here: every segment, no codebook) routes through the blob cache.
TEST_F(DriftTableFactoryTest, ReaderMemoryCountsPinSlots) {
  DriftTableOptions topts;
  topts.target_bucket_size = 64;
  Open(topts, 64 << 20);
  Load(20000);
  auto readers_mem = [this] {
    uint64_t bytes = 0;
    EXPECT_TRUE(db_->GetIntProperty(
        handles_[1], "rocksdb.estimate-table-readers-mem", &bytes));
    return bytes;
  };
  const uint64_t opened = readers_mem();
  // The bloom filter, the key index's top level (its partitions are paged
  // through the blob cache) and bucket headers take more than 2 bytes a
  // vector; a resident key index would add ~17, 2 x 32 floats a bucket of
  // centroids and means ~40.
  EXPECT_GT(opened, 20000u * 2);
  EXPECT_LT(opened, 20000u * 8);
  const auto first = SearchAll(/*nprobe=*/1000);
  const uint64_t searched = readers_mem();
  EXPECT_GT(searched, opened);
  // At most one 16-byte slot (block and rows pointers) per chunk (32 rows of
  // 32 floats) of a bucket.
  EXPECT_LE(searched - opened, 16u * (20000 / 32 + 20000 / 64 + 1));
  Close();
  topts.pinned_bucket_percent = 0;
  Open(topts, 64 << 20);
  EXPECT_EQ(SearchAll(1000), first);
  EXPECT_LT(readers_mem(), opened);  // not even the per-bucket pin slots
}

TEST_F(DriftTableFactoryTest, CompactionCutsOutputsAtTheCompressedSize) {
  constexpr uint64_t kTarget = 256 << 10;
  DriftTableOptions topts;
  topts.target_bucket_size = 256;
  Open(topts, kTarget);
  Load(30000);  // 3.8 MB of raw floats, ~2.9 MB on disk
  rocksdb::CompactRangeOptions cro;
  cro.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  ASSERT_OK(db_->CompactRange(cro, handles_[1], nullptr, nullptr));
  std::vector<rocksdb::LiveFileMetaData> files;
  db_->GetLiveFilesMetaData(&files);
  ASSERT_GT(files.size(), 1u);
  std::cout << files.size() << " files\n";
  uint64_t total = 0, largest = 0;
  for (const auto& f : files) {
    total += f.size;
    largest = std::max<uint64_t>(largest, f.size);
  }
  // Cut at the raw size, every output would hold ~1/4 of the target.
  EXPECT_GT(largest, kTarget * 3 / 4) << files.size() << " files";
  EXPECT_LT(largest, kTarget * 2);
  EXPECT_LE(files.size(), total / (kTarget / 2) + 1);
}

// A factory's first compaction output has no compressed section to learn
// from (the flush stored raw floats): its builder measures the compression
// of a sample of its rows, so the output is cut near the target, not at ~1/3
// of it as the raw estimate of 5 bytes a component would.
TEST_F(DriftTableFactoryTest, FirstCompactionOutputIsCutAtTheCompressedSize) {
  constexpr uint64_t kTarget = 512 << 10;
  for (BucketCodes codes : {BucketCodes::kSQ8, BucketCodes::kRabitQ}) {
    SCOPED_TRACE(codes == BucketCodes::kSQ8 ? "sq8" : "rabitq");
    DriftTableOptions topts;
    topts.target_bucket_size = 256;
    topts.codes = codes;
    Open(topts, kTarget);
    Load(20000);
    rocksdb::CompactRangeOptions cro;
    cro.bottommost_level_compaction =
        rocksdb::BottommostLevelCompaction::kForce;
    ASSERT_OK(db_->CompactRange(cro, handles_[1], nullptr, nullptr));
    std::vector<rocksdb::LiveFileMetaData> files;
    db_->GetLiveFilesMetaData(&files);
    ASSERT_GT(files.size(), 1u);
    // Outputs are numbered in key order: the lowest is the first.
    const auto first = std::min_element(files.begin(), files.end(),
                                        [](const auto& a, const auto& b) {
                                          return a.file_number < b.file_number;
                                        });
    std::cout << files.size() << " files, first " << first->size << " bytes\n";
    EXPECT_GT(first->size, kTarget * 4 / 5);
    EXPECT_LT(first->size, kTarget * 5 / 4);
    Close();
    test::RemoveDir(dir_);
  }
}

}  // namespace
}  // namespace drift
