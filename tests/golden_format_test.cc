// Pins the .drift format: tests/golden/segment_v1.drift was written by format
// version 1 and must keep reading back exactly. Regenerate (only when the
// format version is bumped, keeping the old file as well) with
//   DRIFT_REGENERATE_GOLDEN=1 ./golden_format_test
#include <cstdlib>
#include <map>
#include <string>

#include "drift/plugin.h"
#include "gtest/gtest.h"
#include "rocksdb/env.h"
#include "rocksdb/sst_file_reader.h"
#include "rocksdb/sst_file_writer.h"
#include "rocksdb/table_properties.h"
#include "tests/test_util.h"

namespace drift {
namespace {

constexpr uint32_t kDim = 12;

// The golden content: vectors, short and long raw values, in key order.
std::map<std::string, std::string> GoldenEntries() {
  std::map<std::string, std::string> m;
  for (int i = 0; i < 300; ++i) {
    char key[16];
    snprintf(key, sizeof(key), "g%04d", i);
    std::string value;
    if (i % 10 == 3) {
      value = "raw" + std::to_string(i);
    } else if (i % 10 == 7) {
      value = std::string(100 + i, static_cast<char>('a' + i % 26));
    } else {
      float v[kDim];
      for (uint32_t j = 0; j < kDim; ++j)
        v[j] = (i % 17) * 0.25f - j * 1.5f + (i / 50);
      value.assign(reinterpret_cast<const char*>(v), sizeof(v));
    }
    m[key] = value;
  }
  return m;
}

// `key_index_partition_size` 0: the single-block key index of
// segment_v1.drift.
rocksdb::Options GoldenOptions(uint32_t key_index_partition_size = 0,
                               BucketCodes codes = BucketCodes::kSQ8) {
  rocksdb::Options options;
  DriftTableOptions topts;
  topts.dimension = kDim;
  topts.target_bucket_size = 40;
  topts.key_index_partition_size = key_index_partition_size;
  topts.codes = codes;
  options.table_factory = NewDriftTableFactory(topts);
  return options;
}

// Reads `path` back: checksums (every blob parsed), properties, entries.
void ExpectReadsBack(const std::string& path) {
  const auto entries = GoldenEntries();
  rocksdb::SstFileReader reader(GoldenOptions());
  ASSERT_OK(reader.Open(path));
  ASSERT_OK(reader.VerifyChecksum());
  auto props = reader.GetTableProperties();
  EXPECT_EQ(props->format_version, 1u);
  EXPECT_EQ(props->num_entries, entries.size());
  std::unique_ptr<rocksdb::Iterator> it(
      reader.NewIterator(rocksdb::ReadOptions()));
  std::map<std::string, std::string> seen;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    seen[it->key().ToString()] = it->value().ToString();
  }
  ASSERT_OK(it->status());
  EXPECT_EQ(seen, entries);
}

const std::string kGoldenPath =
    std::string(DRIFT_SOURCE_DIR) + "/tests/golden/segment_v1.drift";

void MaybeRegenerate(const std::string& path, const rocksdb::Options& options) {
  if (std::getenv("DRIFT_REGENERATE_GOLDEN") == nullptr) return;
  rocksdb::SstFileWriter writer(rocksdb::EnvOptions(), options);
  ASSERT_OK(writer.Open(path));
  for (const auto& [k, v] : GoldenEntries()) ASSERT_OK(writer.Put(k, v));
  ASSERT_OK(writer.Finish());
}

TEST(GoldenFormatTest, Version1FileReadsBackExactly) {
  RegisterDrift();
  MaybeRegenerate(kGoldenPath, GoldenOptions());
  ExpectReadsBack(kGoldenPath);
}

// tests/golden/segment_v1_partitioned.drift: the golden entries with the key
// index in partitions of 256 bytes ("drift.key_index_top", first written by
// branch s30-keyindex).
TEST(GoldenFormatTest, PartitionedKeyIndexFileReadsBackExactly) {
  RegisterDrift();
  const std::string path = std::string(DRIFT_SOURCE_DIR) +
                           "/tests/golden/segment_v1_partitioned.drift";
  MaybeRegenerate(path, GoldenOptions(/*key_index_partition_size=*/256));
  ExpectReadsBack(path);
}

// tests/golden/segment_v1_rabitq1.drift: the golden entries written with
// codes=rabitq by commit 2bdd4fa (RaBitQ block version 1: bucket blobs carry
// SQ8 codes and the RaBitQ section). Not regenerated: that layout is no
// longer written.
TEST(GoldenFormatTest, RabitqVersion1FileReadsBackExactly) {
  RegisterDrift();
  ExpectReadsBack(std::string(DRIFT_SOURCE_DIR) +
                  "/tests/golden/segment_v1_rabitq1.drift");
}

// tests/golden/segment_v1_rabitq2.drift: the golden entries written with
// codes=rabitq by commit 6bef913 (RaBitQ block version 2: no SQ8 codes, 1-bit
// codes only). Not regenerated: version 3 is written since.
TEST(GoldenFormatTest, RabitqVersion2FileReadsBackExactly) {
  RegisterDrift();
  ExpectReadsBack(std::string(DRIFT_SOURCE_DIR) +
                  "/tests/golden/segment_v1_rabitq2.drift");
}

// tests/golden/segment_v1_rabitq3.drift: the golden entries written with
// codes=rabitq and RaBitQ block version 3 (extended codes, ex_bits 3: the
// auto choice at 12-d). Regenerated with segment_v1.drift.
TEST(GoldenFormatTest, RabitqVersion3FileReadsBackExactly) {
  RegisterDrift();
  const std::string path =
      std::string(DRIFT_SOURCE_DIR) + "/tests/golden/segment_v1_rabitq3.drift";
  MaybeRegenerate(path, GoldenOptions(0, BucketCodes::kRabitQ));
  ExpectReadsBack(path);
}

// A mutation of the golden segment that libFuzzer found (segment_fuzzer,
// 2026-11-29): its blocks still verify, but its key index no longer ascends.
// RocksDB's DBIter asserts ascending keys, so the reader must refuse it at
// open instead of serving it.
TEST(GoldenFormatTest, KeyIndexOutOfOrderIsCorruption) {
  RegisterDrift();
  std::string bytes;
  ASSERT_OK(
      rocksdb::ReadFileToString(rocksdb::Env::Default(), kGoldenPath, &bytes));
  const std::pair<size_t, uint8_t> kMutation[] = {
      {9554, 0},    {9561, 99},  {11762, 10}, {11954, 58},
      {11955, 119}, {14246, 49}, {31263, 54}, {35370, 250},
      {35371, 86},  {35372, 87}, {35373, 62}};
  for (const auto& [offset, value] : kMutation) {
    ASSERT_LT(offset, bytes.size());
    bytes[offset] = static_cast<char>(value);
  }
  const std::string dir = test::TempDir("golden_mutation");
  const std::string path = dir + "/mutated.drift";
  ASSERT_OK(rocksdb::WriteStringToFile(rocksdb::Env::Default(), bytes, path));
  rocksdb::SstFileReader reader(GoldenOptions());
  rocksdb::Status s = reader.Open(path);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.ToString().find("out of order"), std::string::npos)
      << s.ToString();
  test::RemoveDir(dir);
}

}  // namespace
}  // namespace drift
