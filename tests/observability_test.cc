// Observability the RocksDB way: the blob-cache properties of a VectorIndex
// (GetProperty and the map form), and Drift's tickers and histograms in the
// DB's rocksdb::Statistics when it is a DriftStatistics.
#include <map>
#include <random>
#include <string>
#include <vector>

#include "drift/plugin.h"
#include "drift/statistics.h"
#include "drift/vector_index.h"
#include "gtest/gtest.h"
#include "rocksdb/convenience.h"
#include "rocksdb/db.h"
#include "tests/test_util.h"

namespace drift {
namespace {

constexpr int kDim = 8;

class ObservabilityTest : public testing::Test {
 protected:
  void Open(const rocksdb::DBOptions& db_opts,
            const rocksdb::ColumnFamilyOptions& cf_opts) {
    RegisterDrift();
    dir_ = test::TempDir("observability");
    ASSERT_OK(test::OpenWithVectorCf(dir_, db_opts, cf_opts, &db_, &handles_));
    VectorIndexOptions vo;
    vo.dimension = kDim;
    vo.auto_train = false;
    ASSERT_OK(VectorIndex::Attach(db_.get(), handles_[1], vo, &index_));
  }
  // n vectors, half flushed into a segment, half in the memtable.
  void Load(int n) {
    std::mt19937 rng(7);
    std::normal_distribution<float> g;
    for (int i = 0; i < n; ++i) {
      std::vector<float> v(kDim);
      for (float& x : v) x = g(rng);
      ASSERT_OK(
          index_->Put(rocksdb::WriteOptions(), "k" + std::to_string(i), v));
      if (i == n / 2)
        ASSERT_OK(db_->Flush(rocksdb::FlushOptions(), handles_[1]));
    }
  }
  void TearDown() override {
    if (index_ != nullptr) ASSERT_OK(index_->Close());
    for (auto* h : handles_) ASSERT_OK(db_->DestroyColumnFamilyHandle(h));
    if (db_ != nullptr) ASSERT_OK(db_->Close());
    db_.reset();
    test::RemoveDir(dir_);
  }
  // Opens with `stats` as the DB's statistics, loads n vectors and runs one
  // search.
  void OpenLoadAndSearch(std::shared_ptr<rocksdb::Statistics> stats, int n) {
    rocksdb::DBOptions db_opts;
    db_opts.statistics = std::move(stats);
    Open(db_opts, VectorColumnFamilyOptions(kDim));
    Load(n);
    std::vector<SearchHit> hits;
    ASSERT_OK(index_->Search(SearchOptions(), std::vector<float>(kDim, 0.f), 5,
                             &hits));
  }
  std::map<std::string, std::string> BlobCache() {
    std::map<std::string, std::string> m;
    EXPECT_OK(index_->GetMapProperty("drift.blob-cache", &m));
    return m;
  }

  std::string dir_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  std::unique_ptr<VectorIndex> index_;
};

TEST_F(ObservabilityTest, BlobCacheProperties) {
  rocksdb::ColumnFamilyOptions cf = VectorColumnFamilyOptions(kDim);
  // RocksDB rewrites a bottommost file once no snapshot needs its sequence
  // numbers (compaction reason BottommostFiles); a new file between the two
  // searches would be read from disk by the second.
  cf.disable_auto_compactions = true;
  Open(rocksdb::DBOptions(), cf);
  Load(4000);
  std::map<std::string, std::string> m = BlobCache();
  EXPECT_EQ(m["capacity"], std::to_string(DriftTableOptions().blob_cache_size));
  EXPECT_EQ(m["hit-rate"], "0.0000");

  std::vector<SearchHit> hits;
  SearchOptions so;
  so.exhaustive = true;
  const std::vector<float> q(kDim, 0.5f);
  ASSERT_OK(index_->Search(so, q, 10, &hits));
  m = BlobCache();
  // The first search reads every bucket of the segment from the file.
  EXPECT_GT(std::stoull(m["misses"]), 0u);
  EXPECT_GT(std::stoull(m["usage"]), 0u);
  EXPECT_LE(std::stoull(m["pinned-usage"]), std::stoull(m["pin-budget"]));
  const uint64_t misses = std::stoull(m["misses"]);
  // The second is served from memory: pinned blocks or cache hits, no miss.
  ASSERT_OK(index_->Search(so, q, 10, &hits));
  m = BlobCache();
  EXPECT_EQ(std::stoull(m["misses"]), misses);
  EXPECT_GT(std::stoull(m["hits"]) + std::stoull(m["pinned-reads"]), 0u);

  // One value per name agrees with the map; the text form lists them all.
  for (const auto& kv : m) {
    std::string v;
    ASSERT_OK(index_->GetProperty("drift.blob-cache-" + kv.first, &v));
    EXPECT_EQ(v, kv.second) << kv.first;
  }
  std::string text;
  ASSERT_OK(index_->GetProperty("drift.blob-cache", &text));
  EXPECT_NE(text.find("hit-rate: "), std::string::npos) << text;
  EXPECT_NE(text.find("usage: " + m["usage"] + "\n"), std::string::npos);
}

// The map form of drift.stats has one entry per IndexStats::ForEachStat key,
// with the value its text form prints beside the label.
TEST_F(ObservabilityTest, StatsMapMatchesTheText) {
  Open(rocksdb::DBOptions(), VectorColumnFamilyOptions(kDim));
  Load(3000);
  ASSERT_OK(index_->Train(TrainOptions()));
  std::map<std::string, std::string> m;
  ASSERT_OK(index_->GetMapProperty("drift.stats", &m));
  std::string text;
  ASSERT_OK(index_->GetProperty("drift.stats", &text));
  size_t entries = 0;
  IndexStats().ForEachStat(
      [&](const char* key, const char* label, const auto& /*value*/) {
        ++entries;
        ASSERT_EQ(m.count(key), 1u) << key;
        EXPECT_NE(text.find(std::string(label) + ": " + m[key] + "\n"),
                  std::string::npos)
            << key << " = " << m[key] << " not in\n"
            << text;
      });
  EXPECT_EQ(m.size(), entries);
  EXPECT_EQ(m["codebook_epoch"], "1");
  EXPECT_NE(m["buckets"], "0");
}

TEST_F(ObservabilityTest, HitRateCountsLookups) {
  // Without pinning every read after the first is a cache lookup.
  DriftTableOptions topts;
  topts.dimension = kDim;
  topts.pinned_bucket_percent = 0;
  rocksdb::ColumnFamilyOptions cf = VectorColumnFamilyOptions(kDim);
  cf.table_factory = NewDriftTableFactory(topts);
  Open(rocksdb::DBOptions(), cf);
  Load(4000);
  SearchOptions so;
  so.exhaustive = true;
  std::vector<SearchHit> hits;
  ASSERT_OK(index_->Search(so, std::vector<float>(kDim, 0.f), 10, &hits));
  ASSERT_OK(index_->Search(so, std::vector<float>(kDim, 0.f), 10, &hits));
  std::map<std::string, std::string> m = BlobCache();
  const uint64_t hits_n = std::stoull(m["hits"]);
  const uint64_t misses = std::stoull(m["misses"]);
  EXPECT_EQ(m["pinned-reads"], "0");
  EXPECT_EQ(m["pinned-usage"], "0");
  ASSERT_GT(misses, 0u);
  EXPECT_GE(hits_n, misses);  // the second search hit what the first read
  char rate[32];
  snprintf(rate, sizeof(rate), "%.4f",
           static_cast<double>(hits_n) / static_cast<double>(hits_n + misses));
  EXPECT_EQ(m["hit-rate"], rate);
}

TEST_F(ObservabilityTest, UnknownPropertyIsInvalidArgument) {
  Open(rocksdb::DBOptions(), VectorColumnFamilyOptions(kDim));
  std::string v;
  std::map<std::string, std::string> m;
  for (const char* name :
       {"drift.nope", "drift.blob-cache-nope", "drift.blob-cachex", ""}) {
    rocksdb::Status s = index_->GetProperty(name, &v);
    EXPECT_TRUE(s.IsInvalidArgument()) << name << ": " << s.ToString();
    EXPECT_NE(s.ToString().find("known: drift.stats"), std::string::npos);
    EXPECT_TRUE(index_->GetMapProperty(name, &m).IsInvalidArgument()) << name;
  }
  // RocksDB's DB::GetProperty does not know Drift's names (docs/operations.md).
  EXPECT_FALSE(db_->GetProperty(handles_[1], "drift.stats", &v));
  ASSERT_OK(index_->Close());
  EXPECT_TRUE(index_->GetProperty("drift.blob-cache", &v).IsInvalidArgument());
  EXPECT_TRUE(
      index_->GetMapProperty("drift.blob-cache", &m).IsInvalidArgument());
  index_.reset();
}

TEST_F(ObservabilityTest, SearchesAreRecordedInDriftStatistics) {
  std::shared_ptr<DriftStatistics> stats = NewDriftStatistics();
  rocksdb::DBOptions db_opts;
  db_opts.statistics = stats;
  Open(db_opts, VectorColumnFamilyOptions(kDim));
  Load(3000);
  // A key overwritten after the flush: its segment row needs a point read.
  ASSERT_OK(index_->Put(rocksdb::WriteOptions(), "k1",
                        std::vector<float>(kDim, 0.25f)));
  SearchStats sum;
  std::mt19937 rng(3);
  std::normal_distribution<float> g;
  const int kQueries = 20;
  for (int i = 0; i < kQueries; ++i) {
    std::vector<float> q(kDim);
    for (float& x : q) x = g(rng);
    SearchOptions so;
    so.exhaustive = i % 2 == 0;
    std::vector<SearchHit> hits;
    SearchStats st;
    ASSERT_OK(index_->Search(so, q, 10, &hits, &st));
    sum.memtable_vectors_scanned += st.memtable_vectors_scanned;
    sum.memtable_graph_results += st.memtable_graph_results;
    sum.segment_vectors_scanned += st.segment_vectors_scanned;
    sum.buckets_probed += st.buckets_probed;
    sum.candidates_verified += st.candidates_verified;
    sum.point_reads += st.point_reads;
  }
  // A caller's stats that already hold counts: only this search is added.
  SearchStats carried;
  carried.segment_vectors_scanned = 1000000;
  std::vector<SearchHit> hits;
  ASSERT_OK(index_->Search(SearchOptions(), std::vector<float>(kDim, 0.f), 5,
                           &hits, &carried));
  sum.memtable_vectors_scanned += carried.memtable_vectors_scanned;
  sum.memtable_graph_results += carried.memtable_graph_results;
  sum.segment_vectors_scanned += carried.segment_vectors_scanned - 1000000;
  sum.buckets_probed += carried.buckets_probed;
  sum.candidates_verified += carried.candidates_verified;
  sum.point_reads += carried.point_reads;
  // A rejected search counts as failed and adds nothing else.
  ASSERT_TRUE(
      index_->Search(SearchOptions(), std::vector<float>(3, 0.f), 5, &hits)
          .IsInvalidArgument());

  EXPECT_EQ(stats->getTickerCount(kDriftSearches), kQueries + 1u);
  EXPECT_EQ(stats->getTickerCount(kDriftSearchesFailed), 1u);
  EXPECT_EQ(stats->getTickerCount(kDriftMemtableVectorsScanned),
            sum.memtable_vectors_scanned);
  EXPECT_EQ(stats->getTickerCount(kDriftMemtableGraphResults),
            sum.memtable_graph_results);
  EXPECT_EQ(stats->getTickerCount(kDriftSegmentVectorsScanned),
            sum.segment_vectors_scanned);
  EXPECT_EQ(stats->getTickerCount(kDriftBucketsProbed), sum.buckets_probed);
  EXPECT_EQ(stats->getTickerCount(kDriftReranks), sum.candidates_verified);
  EXPECT_EQ(stats->getTickerCount(kDriftPointReads), sum.point_reads);
  EXPECT_GT(sum.segment_vectors_scanned, 0u);
  EXPECT_GT(sum.candidates_verified, 0u);
  EXPECT_GT(sum.point_reads, 0u);

  rocksdb::HistogramData h;
  stats->histogramData(kDriftSearchMicros, &h);
  EXPECT_EQ(h.count, kQueries + 1u);
  EXPECT_GT(h.sum, 0u);
  EXPECT_LE(h.min, h.median);
  EXPECT_LE(h.median, h.percentile99);
  EXPECT_LE(h.percentile99, h.max);

  // RocksDB's own tickers still count (the DB records them through us).
  EXPECT_GT(stats->getTickerCount(rocksdb::NUMBER_KEYS_WRITTEN), 0u);
  // Through the rocksdb::Statistics interface and the DB's property.
  std::map<std::string, uint64_t> tickers;
  ASSERT_TRUE(stats->getTickerMap(&tickers));
  EXPECT_EQ(tickers["drift.reranks"], sum.candidates_verified);
  EXPECT_EQ(tickers["rocksdb.number.keys.written"],
            stats->getTickerCount(rocksdb::NUMBER_KEYS_WRITTEN));
  std::string text;
  ASSERT_TRUE(db_->GetProperty("rocksdb.options-statistics", &text));
  EXPECT_NE(text.find("drift.searches COUNT : " + std::to_string(kQueries + 1) +
                      "\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("drift.search.micros P50 : "), std::string::npos);

  ASSERT_OK(stats->Reset());
  EXPECT_EQ(stats->getTickerCount(kDriftSearches), 0u);
  stats->histogramData(kDriftSearchMicros, &h);
  EXPECT_EQ(h.count, 0u);
}

TEST_F(ObservabilityTest, StatsLevelsAreHonoured) {
  std::shared_ptr<DriftStatistics> stats = NewDriftStatistics();
  stats->set_stats_level(rocksdb::StatsLevel::kExceptTimers);
  OpenLoadAndSearch(stats, 500);
  EXPECT_EQ(stats->getTickerCount(kDriftSearches), 1u);
  rocksdb::HistogramData h;
  stats->histogramData(kDriftSearchMicros, &h);
  EXPECT_EQ(h.count, 0u);  // no timers at kExceptTimers
  // The level reaches RocksDB's own statistics object.
  EXPECT_EQ(stats->base()->get_stats_level(),
            rocksdb::StatsLevel::kExceptTimers);
}

// RegisterDrift makes DriftStatistics a Statistics that option strings
// create: a DB opened from "statistics={id=DriftStatistics}" records Drift's
// tickers.
TEST_F(ObservabilityTest, DriftStatisticsFromAnOptionString) {
  rocksdb::ConfigOptions config;
  config.ignore_unsupported_options = false;
  for (const char* text :
       {"statistics={id=DriftStatistics}", "statistics=DriftStatistics"}) {
    rocksdb::DBOptions db_opts;
    ASSERT_OK(rocksdb::GetDBOptionsFromString(config, rocksdb::DBOptions(),
                                              text, &db_opts));
    auto* stats = dynamic_cast<DriftStatistics*>(db_opts.statistics.get());
    ASSERT_NE(stats, nullptr) << text;
    ASSERT_NE(stats->base(), nullptr);
  }
  rocksdb::DBOptions db_opts;
  ASSERT_OK(rocksdb::GetDBOptionsFromString(config, rocksdb::DBOptions(),
                                            "statistics={id=DriftStatistics}",
                                            &db_opts));
  const std::shared_ptr<rocksdb::Statistics> stats = db_opts.statistics;
  OpenLoadAndSearch(stats, 200);
  EXPECT_EQ(stats->getTickerCount(kDriftSearches), 1u);
  std::map<std::string, uint64_t> tickers;
  ASSERT_TRUE(stats->getTickerMap(&tickers));
  EXPECT_EQ(tickers["drift.searches"], 1u);
  // An unknown id is still an error.
  rocksdb::DBOptions bad;
  EXPECT_FALSE(rocksdb::GetDBOptionsFromString(config, rocksdb::DBOptions(),
                                               "statistics={id=NoSuchStats}",
                                               &bad)
                   .ok());
}

TEST_F(ObservabilityTest, OtherStatisticsRecordNoDriftTicker) {
  std::shared_ptr<rocksdb::Statistics> stats = rocksdb::CreateDBStatistics();
  OpenLoadAndSearch(stats, 200);
  std::map<std::string, uint64_t> tickers;
  ASSERT_TRUE(stats->getTickerMap(&tickers));
  EXPECT_EQ(tickers.count("drift.searches"), 0u);
}

TEST(DriftStatisticsTest, NamesAndForwarding) {
  EXPECT_STREQ(DriftTickerName(kDriftSearches), "drift.searches");
  EXPECT_STREQ(DriftTickerName(kDriftPointReads), "drift.point.reads");
  EXPECT_EQ(DriftTickerName(kDriftTickerEnd), nullptr);
  EXPECT_EQ(DriftTickerName(rocksdb::BLOCK_CACHE_MISS), nullptr);
  EXPECT_STREQ(DriftHistogramName(kDriftSearchMicros), "drift.search.micros");
  std::shared_ptr<DriftStatistics> s = NewDriftStatistics();
  s->recordTick(rocksdb::BLOCK_CACHE_MISS, 3);
  s->recordTick(kDriftReranks, 5);
  EXPECT_EQ(s->base()->getTickerCount(rocksdb::BLOCK_CACHE_MISS), 3u);
  EXPECT_EQ(s->getTickerCount(rocksdb::BLOCK_CACHE_MISS), 3u);
  EXPECT_EQ(s->getAndResetTickerCount(kDriftReranks), 5u);
  EXPECT_EQ(s->getTickerCount(kDriftReranks), 0u);
  s->setTickerCount(kDriftReranks, 9);
  EXPECT_EQ(s->getTickerCount(kDriftReranks), 9u);
  for (uint64_t v : {100, 200, 300, 400, 10000}) {
    s->recordInHistogram(kDriftSearchMicros, v);
  }
  rocksdb::HistogramData h;
  s->histogramData(kDriftSearchMicros, &h);
  EXPECT_EQ(h.count, 5u);
  EXPECT_EQ(h.sum, 11000u);
  EXPECT_EQ(h.min, 100);
  EXPECT_EQ(h.max, 10000);
  EXPECT_DOUBLE_EQ(h.average, 2200);
  EXPECT_GE(h.median, 200);
  EXPECT_LE(h.median, 400);
  EXPECT_TRUE(s->HistEnabledForType(kDriftSearchMicros));
  EXPECT_TRUE(s->HistEnabledForType(rocksdb::DB_GET));
  EXPECT_STREQ(s->Name(), "DriftStatistics");
}

}  // namespace
}  // namespace drift
