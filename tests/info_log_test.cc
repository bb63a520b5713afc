// The library's decisions reach RocksDB's info LOG: Attach, every .drift
// segment a flush or compaction finishes (segment-local or codebook buckets),
// codebook training and re-bucketing (docs/operations.md, "What to monitor").
#include <fstream>
#include <iterator>
#include <regex>
#include <string>
#include <vector>

#include "drift/plugin.h"
#include "drift/vector_index.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "tests/test_util.h"

namespace drift {
namespace {

constexpr int kDim = 8;

TEST(InfoLogTest, FlushAndTrainAreLogged) {
  RegisterDrift();
  const std::string dir = test::TempDir("info_log");
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  ASSERT_OK(test::OpenWithVectorCf(dir, rocksdb::DBOptions(),
                                   VectorColumnFamilyOptions(kDim), &db,
                                   &handles));
  VectorIndexOptions vo;
  vo.dimension = kDim;
  vo.auto_train = false;
  std::unique_ptr<VectorIndex> index;
  ASSERT_OK(VectorIndex::Attach(db.get(), handles[1], vo, &index));
  for (int i = 0; i < 2000; ++i) {
    std::vector<float> v(kDim);
    for (int j = 0; j < kDim; ++j) v[j] = static_cast<float>((i * 7 + j) % 97);
    ASSERT_OK(index->Put(rocksdb::WriteOptions(), "k" + std::to_string(i), v));
  }
  ASSERT_OK(db->Flush(rocksdb::FlushOptions(), handles[1]));
  ASSERT_OK(index->Train(TrainOptions()));
  ASSERT_OK(index->Close());
  db->GetDBOptions().info_log->Flush();

  std::ifstream in(dir + "/LOG");
  ASSERT_TRUE(in.good());
  const std::string log((std::istreambuf_iterator<char>(in)),
                        std::istreambuf_iterator<char>());
  const char* const kExpected[] = {
      R"(drift: attached to vectors \(dimension 8, auto_train 0\): codebook epoch 0 with 0 buckets)",
      R"(drift: segment #\d+ of vectors: 2000 entries, 2000 vectors in \d+ buckets \(segment-local k-means, epoch 0\), \d+ bytes, finished in [0-9.]+ ms)",
      R"(drift: trained codebook of vectors: epoch 1, \d+ buckets from a sample of 2000 of 2000 vectors, persisted \(synced\) in [0-9.]+ ms)",
      R"(drift: re-bucketing vectors with epoch 1 \(CompactRange\): OK in [0-9.]+ ms)",
      R"(drift: segment #\d+ of vectors: 2000 entries, 2000 vectors in \d+ buckets \(codebook epoch 1\), \d+ bytes)",
  };
  for (const char* line : kExpected) {
    EXPECT_TRUE(std::regex_search(log, std::regex(line)))
        << "LOG has no line matching " << line;
  }
  for (auto* h : handles) ASSERT_OK(db->DestroyColumnFamilyHandle(h));
  ASSERT_OK(db->Close());
  db.reset();
  test::RemoveDir(dir);
}

// RocksDB's LOG prints the table factory's GetPrintableOptions at DB::Open;
// Attach prints the memtable's and the compaction filter's.
TEST(InfoLogTest, FactoryOptionsArePrinted) {
  RegisterDrift();
  const std::string dir = test::TempDir("info_log_options");
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  ASSERT_OK(test::OpenWithVectorCf(dir, rocksdb::DBOptions(),
                                   VectorColumnFamilyOptions(784), &db,
                                   &handles));
  VectorIndexOptions vo;
  vo.dimension = 784;
  vo.auto_train = false;
  std::unique_ptr<VectorIndex> index;
  ASSERT_OK(VectorIndex::Attach(db.get(), handles[1], vo, &index));
  ASSERT_OK(index->Close());
  db->GetDBOptions().info_log->Flush();
  std::ifstream in(dir + "/LOG");
  const std::string log((std::istreambuf_iterator<char>(in)),
                        std::istreambuf_iterator<char>());
  const char* const kExpected[] = {
      R"(table_factory options:   blob_alignment: 4096\n)",
      R"(\n  dimension: 784\n)",
      R"(\n  target_bucket_size: 1024\n)",
      R"(drift: vectors memtable_factory options \(DriftMemTable\):\n)",
      R"(\n  hnsw_ef_construction: \d+\n)",
      R"(drift: vectors compaction_filter_factory options \(DriftCompactionFilter\w*\):\n)",
  };
  for (const char* line : kExpected) {
    EXPECT_TRUE(std::regex_search(log, std::regex(line)))
        << "LOG has no match for " << line;
  }
  for (auto* h : handles) ASSERT_OK(db->DestroyColumnFamilyHandle(h));
  ASSERT_OK(db->Close());
  db.reset();
  test::RemoveDir(dir);
}

}  // namespace
}  // namespace drift
