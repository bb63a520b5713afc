// Metrics (drift/metric.h): option strings, the Attach checks against the
// factories, the persisted codebook and the segments.
#include <string>
#include <vector>

#include "drift/plugin.h"
#include "drift/vector_index.h"
#include "gtest/gtest.h"
#include "rocksdb/convenience.h"
#include "tests/test_util.h"

namespace drift {
namespace {

class MetricTest : public testing::Test {
 protected:
  void SetUp() override {
    RegisterDrift();
    dir_ = test::TempDir("metric");
  }
  void TearDown() override {
    Close();
    test::RemoveDir(dir_);
  }

  // Opens the DB with factories of `factory_metric` (memtable: mem_metric)
  // and attaches with `index_metric`; returns Attach's status.
  rocksdb::Status Open(Metric factory_metric, Metric mem_metric,
                       Metric index_metric, uint32_t dim = 8) {
    Close();
    rocksdb::ColumnFamilyOptions vec =
        VectorColumnFamilyOptions(dim, factory_metric);
    DriftMemTableOptions mopts;
    mopts.dimension = dim;
    mopts.metric = mem_metric;
    mopts.graph_min_rows = 16;
    vec.memtable_factory = NewDriftMemTableFactory(mopts);
    rocksdb::Status s = test::OpenWithVectorCf(dir_, rocksdb::DBOptions(), vec,
                                               &db_, &handles_);
    if (!s.ok()) return s;
    VectorIndexOptions vopts;
    vopts.dimension = dim;
    vopts.metric = index_metric;
    vopts.auto_train = false;
    return VectorIndex::Attach(db_.get(), handles_[1], vopts, &index_);
  }

  void Close() {
    index_.reset();
    for (auto* h : handles_)
      db_->DestroyColumnFamilyHandle(h).PermitUncheckedError();
    handles_.clear();
    db_.reset();
  }

  std::string dir_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  std::unique_ptr<VectorIndex> index_;
};

TEST_F(MetricTest, OptionStringsSetAndPrintTheMetric) {
  rocksdb::ConfigOptions config;
  config.ignore_unsupported_options = false;
  rocksdb::ColumnFamilyOptions cf;
  ASSERT_OK(rocksdb::GetColumnFamilyOptionsFromString(
      config, rocksdb::ColumnFamilyOptions(),
      "table_factory={id=DriftTable;dimension=8;metric=cosine};"
      "memtable_factory={id=DriftMemTable;dimension=8;metric=ip}",
      &cf));
  EXPECT_EQ(cf.table_factory->GetOptions<DriftTableOptions>()->metric,
            Metric::kCosine);
  EXPECT_EQ(cf.memtable_factory->GetOptions<DriftMemTableOptions>()->metric,
            Metric::kInnerProduct);
  std::string printed;
  ASSERT_OK(cf.table_factory->GetOptionString(config, &printed));
  EXPECT_NE(printed.find("metric=cosine"), std::string::npos) << printed;
  // The default is l2.
  EXPECT_EQ(DriftTableOptions().metric, Metric::kL2);
  EXPECT_EQ(VectorIndexOptions().metric, Metric::kL2);
  // An unknown name is a clear error naming it and the accepted ones.
  for (const char* bad :
       {"table_factory={id=DriftTable;dimension=8;metric=euclid}",
        "memtable_factory={id=DriftMemTable;dimension=8;metric=euclid}"}) {
    const rocksdb::Status s = rocksdb::GetColumnFamilyOptionsFromString(
        config, rocksdb::ColumnFamilyOptions(), bad, &cf);
    ASSERT_TRUE(s.IsInvalidArgument()) << s.ToString();
    EXPECT_NE(s.ToString().find("euclid"), std::string::npos) << s.ToString();
    EXPECT_NE(s.ToString().find("l2, ip, cosine"), std::string::npos)
        << s.ToString();
  }
}

TEST_F(MetricTest, AttachRejectsAMetricOtherThanTheFactories) {
  rocksdb::Status s = Open(Metric::kL2, Metric::kL2, Metric::kCosine);
  ASSERT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_NE(s.ToString().find("DriftTable metric l2"), std::string::npos)
      << s.ToString();
  EXPECT_NE(s.ToString().find("cosine"), std::string::npos) << s.ToString();
  s = Open(Metric::kInnerProduct, Metric::kL2, Metric::kInnerProduct);
  ASSERT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_NE(s.ToString().find("DriftMemTable metric l2"), std::string::npos)
      << s.ToString();
  VectorIndexOptions bad;
  bad.dimension = 8;
  bad.metric = static_cast<Metric>(7);
  Close();
  ASSERT_OK(test::OpenWithVectorCf(dir_, rocksdb::DBOptions(),
                                   VectorColumnFamilyOptions(8), &db_,
                                   &handles_));
  s = VectorIndex::Attach(db_.get(), handles_[1], bad, &index_);
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  ASSERT_OK(Open(Metric::kL2, Metric::kL2, Metric::kL2));
}

}  // namespace
}  // namespace drift
