// End-to-end proof of the toolchain: a column family whose table and memtable
// factories are drift's, chosen through an option string, round-trips writes,
// flushes, reads, iteration and a reopen through LoadLatestOptions.
#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "drift/plugin.h"
#include "gtest/gtest.h"
#include "rocksdb/convenience.h"
#include "rocksdb/db.h"
#include "rocksdb/utilities/options_util.h"
#include "tests/test_util.h"

namespace drift {
namespace {

using rocksdb::ColumnFamilyDescriptor;
using rocksdb::ColumnFamilyHandle;
using rocksdb::DB;
using rocksdb::Status;

constexpr char kVectorCfOptions[] =
    "table_factory={id=DriftTable;dimension=4;target_bucket_size=64;"
    "build_threads=3};"
    "memtable_factory={id=DriftMemTable;dimension=4}";

class PluginRoundTripTest : public testing::Test {
 protected:
  void SetUp() override {
    RegisterDrift();  // what an application does once before parsing options
    dir_ = test::TempDir("plugin_roundtrip");
  }
  void TearDown() override {
    CloseDB();
    test::RemoveDir(dir_);
  }

  void OpenFresh() {
    rocksdb::ConfigOptions config;
    config.ignore_unsupported_options = false;
    rocksdb::ColumnFamilyOptions vec_opts;
    ASSERT_OK(rocksdb::GetColumnFamilyOptionsFromString(
        config, rocksdb::ColumnFamilyOptions(), kVectorCfOptions, &vec_opts));
    ASSERT_STREQ(vec_opts.table_factory->Name(), kDriftTableName);
    ASSERT_STREQ(vec_opts.memtable_factory->Name(), kDriftMemTableName);
    rocksdb::DBOptions db_opts;
    db_opts.create_if_missing = true;
    db_opts.create_missing_column_families = true;
    Open(db_opts,
         {{rocksdb::kDefaultColumnFamilyName, {}}, {"vectors", vec_opts}});
  }

  // Reopens with only what the OPTIONS file says.
  void ReopenFromOptionsFile() {
    CloseDB();
    rocksdb::ConfigOptions config;
    config.ignore_unknown_options = false;
    rocksdb::DBOptions db_opts;
    std::vector<ColumnFamilyDescriptor> cfs;
    ASSERT_OK(rocksdb::LoadLatestOptions(config, dir_, &db_opts, &cfs));
    ASSERT_EQ(cfs.size(), 2u);
    ASSERT_EQ(cfs[1].name, "vectors");
    ASSERT_NE(cfs[1].options.table_factory, nullptr);
    ASSERT_STREQ(cfs[1].options.table_factory->Name(), kDriftTableName);
    ASSERT_STREQ(cfs[1].options.memtable_factory->Name(), kDriftMemTableName);
    const auto* topts =
        cfs[1].options.table_factory->GetOptions<DriftTableOptions>();
    ASSERT_NE(topts, nullptr);
    EXPECT_EQ(topts->dimension, 4u);
    EXPECT_EQ(topts->target_bucket_size, 64u);
    EXPECT_EQ(topts->build_threads, 3u);
    Open(db_opts, cfs);
  }

  void Open(const rocksdb::DBOptions& db_opts,
            const std::vector<ColumnFamilyDescriptor>& cfs) {
    std::vector<ColumnFamilyHandle*> handles;
    DB* db = nullptr;
    ASSERT_OK(DB::Open(db_opts, dir_, cfs, &handles, &db));
    db_.reset(db);
    handles_ = handles;
  }

  void CloseDB() {
    for (auto* h : handles_) ASSERT_OK(db_->DestroyColumnFamilyHandle(h));
    handles_.clear();
    db_.reset();
  }

  std::map<std::string, std::string> Scan(bool reverse) {
    std::map<std::string, std::string> out;
    std::unique_ptr<rocksdb::Iterator> it(
        db_->NewIterator(rocksdb::ReadOptions(), handles_[1]));
    std::string prev;
    for (reverse ? it->SeekToLast() : it->SeekToFirst(); it->Valid();
         reverse ? it->Prev() : it->Next()) {
      if (!prev.empty()) {
        EXPECT_EQ(
            reverse ? it->key().ToString() < prev : it->key().ToString() > prev,
            true);
      }
      prev = it->key().ToString();
      out[prev] = it->value().ToString();
    }
    EXPECT_OK(it->status());
    return out;
  }

  std::string dir_;
  std::unique_ptr<DB> db_;
  std::vector<ColumnFamilyHandle*> handles_;
};

TEST_F(PluginRoundTripTest, PutFlushGetIterateReopen) {
  OpenFresh();
  std::map<std::string, std::string> model;
  for (int i = 0; i < 500; ++i) {
    const std::string key = "key" + std::to_string(i * 7919 % 1000);
    const float v[4] = {float(i), float(i) * 0.5f, -float(i), 1.0f / (i + 1)};
    std::string value(reinterpret_cast<const char*>(v), sizeof(v));
    if (i % 5 == 0) value = "not a vector " + std::to_string(i);  // verbatim
    if (i % 11 == 0) value = std::string(1000 + i, 'x');  // out-of-line raw
    ASSERT_OK(db_->Put(rocksdb::WriteOptions(), handles_[1], key, value));
    model[key] = value;
    if (i == 250) {
      ASSERT_OK(db_->Flush(rocksdb::FlushOptions(), handles_[1]));
    }
  }
  ASSERT_OK(db_->Delete(rocksdb::WriteOptions(), handles_[1], "key7"));
  model.erase("key7");
  ASSERT_OK(db_->Flush(rocksdb::FlushOptions(), handles_[1]));

  std::string files;
  ASSERT_TRUE(
      db_->GetProperty(handles_[1], "rocksdb.num-files-at-level0", &files));
  EXPECT_EQ(files, "2");

  for (int pass = 0; pass < 3; ++pass) {
    for (const auto& [k, v] : model) {
      std::string got;
      ASSERT_OK(db_->Get(rocksdb::ReadOptions(), handles_[1], k, &got)) << k;
      EXPECT_EQ(got, v);
    }
    std::string got;
    EXPECT_TRUE(db_->Get(rocksdb::ReadOptions(), handles_[1], "key7", &got)
                    .IsNotFound());
    EXPECT_TRUE(db_->Get(rocksdb::ReadOptions(), handles_[1], "absent", &got)
                    .IsNotFound());
    EXPECT_EQ(Scan(false), model);
    EXPECT_EQ(Scan(true), model);
    if (pass == 0) ReopenFromOptionsFile();
    if (pass == 1) {
      ASSERT_OK(db_->CompactRange(rocksdb::CompactRangeOptions(), handles_[1],
                                  nullptr, nullptr));
      ReopenFromOptionsFile();
    }
  }
  rocksdb::TablePropertiesCollection props;
  ASSERT_OK(db_->GetPropertiesOfAllTables(handles_[1], &props));
  ASSERT_EQ(props.size(), 1u);
  EXPECT_EQ(props.begin()->second->num_entries, model.size());
  EXPECT_EQ(props.begin()->second->column_family_name, "vectors");
  ASSERT_OK(db_->VerifyChecksum());
}

// dimension=0: the first vector-shaped value teaches the dimension; values of
// other lengths stay raw; later segments keep the learned dimension.
TEST_F(PluginRoundTripTest, DimensionZeroIsLearnedFromTheFirstVector) {
  rocksdb::ConfigOptions config;
  rocksdb::ColumnFamilyOptions vec_opts;
  ASSERT_OK(rocksdb::GetColumnFamilyOptionsFromString(
      config, rocksdb::ColumnFamilyOptions(),
      "table_factory={id=DriftTable;dimension=0;target_bucket_size=32}",
      &vec_opts));
  rocksdb::DBOptions db_opts;
  db_opts.create_if_missing = true;
  db_opts.create_missing_column_families = true;
  Open(db_opts,
       {{rocksdb::kDefaultColumnFamilyName, {}}, {"vectors", vec_opts}});
  auto vector_value = [](int i, int dim) {
    std::vector<float> v(dim);
    for (int j = 0; j < dim; ++j) v[j] = static_cast<float>(i * 31 + j) / 7;
    return std::string(reinterpret_cast<const char*>(v.data()), 4 * dim);
  };
  std::map<std::string, std::string> model;
  auto put = [&](const std::string& k, const std::string& v) {
    ASSERT_OK(db_->Put(rocksdb::WriteOptions(), handles_[1], k, v));
    model[k] = v;
  };
  put("a-raw", "odd length");  // 10 bytes: not vector-shaped, stays raw
  const float nan_row[6] = {1, 2, std::nanf(""), 4, 5, 6};
  put("b-nan", std::string(reinterpret_cast<const char*>(nan_row), 24));
  for (int i = 0; i < 200; ++i)
    put("c" + std::to_string(1000 + i), vector_value(i, 6));
  put("d-short", vector_value(1, 4));  // whole floats, other dimension: raw
  ASSERT_OK(db_->Flush(rocksdb::FlushOptions(), handles_[1]));
  // A second segment starting with another vector shape keeps dimension 6.
  put("0-first", vector_value(7, 3));
  for (int i = 0; i < 100; ++i)
    put("e" + std::to_string(1000 + i), vector_value(i, 6));
  ASSERT_OK(db_->Flush(rocksdb::FlushOptions(), handles_[1]));

  rocksdb::TablePropertiesCollection props;
  ASSERT_OK(db_->GetPropertiesOfAllTables(handles_[1], &props));
  ASSERT_EQ(props.size(), 2u);
  std::vector<std::string> vectors;
  for (const auto& [file, p] : props) {
    EXPECT_EQ(p->user_collected_properties.at("drift.dimension"), "6") << file;
    vectors.push_back(p->user_collected_properties.at("drift.num_vectors"));
  }
  std::sort(vectors.begin(), vectors.end());
  EXPECT_EQ(vectors, (std::vector<std::string>{"100", "200"}));
  for (int pass = 0; pass < 2; ++pass) {
    for (const auto& [k, v] : model) {
      std::string got;
      ASSERT_OK(db_->Get(rocksdb::ReadOptions(), handles_[1], k, &got)) << k;
      EXPECT_EQ(got, v) << k;
    }
    EXPECT_EQ(Scan(false), model);
    ASSERT_OK(db_->CompactRange(rocksdb::CompactRangeOptions(), handles_[1],
                                nullptr, nullptr));
  }
}

}  // namespace
}  // namespace drift
