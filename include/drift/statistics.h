// Drift's tickers and histograms in a rocksdb::Statistics.
//
// RocksDB 7.8.3's Statistics has fixed ticker and histogram enums, but its
// interface takes them as plain uint32_t ids. DriftStatistics is a
// rocksdb::Statistics that keeps RocksDB's own tickers and histograms (in the
// object CreateDBStatistics() makes, to which it forwards every id RocksDB
// defines) and adds Drift's under ids above RocksDB's range. Set it as the
// DB's statistics and every VectorIndex of the DB records its searches there:
//
//   auto stats = drift::NewDriftStatistics();
//   db_options.statistics = stats;
//   ... open, Attach, Search ...
//   stats->getTickerCount(drift::kDriftSearches);
//   stats->histogramData(drift::kDriftSearchMicros, &data);
//
// An option string creates one too once Drift is registered (RegisterDrift):
// "statistics={id=DriftStatistics}" in a DBOptions string.
//
// ToString() and getTickerMap() list Drift's tickers after RocksDB's, so
// DB::GetProperty("rocksdb.options-statistics") and the statistics dump in
// the info LOG (stats_dump_period_sec) show them. A DB whose statistics are
// another class records no Drift ticker.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "rocksdb/statistics.h"

namespace drift {

// Drift ticker ids: above any RocksDB ticker, stable across RocksDB versions.
enum DriftTicker : uint32_t {
  kDriftTickerBase = 1u << 20,
  kDriftSearches = kDriftTickerBase,  // Search calls that succeeded
  kDriftSearchesFailed,               // Search calls that returned an error
  // The SearchStats of the successful searches, summed.
  kDriftMemtableVectorsScanned,
  kDriftMemtableGraphResults,
  kDriftSegmentVectorsScanned,
  kDriftBucketsProbed,
  kDriftReranks,  // candidates re-ranked with exact floats
  kDriftPointReads,
  kDriftTickerEnd
};

enum DriftHistogram : uint32_t {
  kDriftHistogramBase = 1u << 20,
  // Wall time of each successful Search, in microseconds (recorded unless
  // the stats level is kExceptTimers or lower, as RocksDB's timers).
  kDriftSearchMicros = kDriftHistogramBase,
  kDriftHistogramEnd
};

// "drift.searches", "drift.search.micros", ... (nullptr for another id).
const char* DriftTickerName(uint32_t ticker);
const char* DriftHistogramName(uint32_t histogram);

class DriftStatistics : public rocksdb::Statistics {
 public:
  static const char* kClassName() { return "DriftStatistics"; }
  const char* Name() const override { return kClassName(); }

  // RocksDB's tickers and histograms go to `base` (not null).
  explicit DriftStatistics(std::shared_ptr<rocksdb::Statistics> base);
  ~DriftStatistics() override;

  uint64_t getTickerCount(uint32_t ticker) const override;
  void histogramData(uint32_t type,
                     rocksdb::HistogramData* const data) const override;
  std::string getHistogramString(uint32_t type) const override;
  void recordTick(uint32_t ticker, uint64_t count = 0) override;
  void setTickerCount(uint32_t ticker, uint64_t count) override;
  uint64_t getAndResetTickerCount(uint32_t ticker) override;
  void recordInHistogram(uint32_t type, uint64_t value) override;
  void measureTime(uint32_t type, uint64_t value) override {
    recordInHistogram(type, value);
  }
  rocksdb::Status Reset() override;
  using rocksdb::Statistics::ToString;
  std::string ToString() const override;
  bool getTickerMap(std::map<std::string, uint64_t>* map) const override;
  bool HistEnabledForType(uint32_t type) const override;

  const std::shared_ptr<rocksdb::Statistics>& base() const { return base_; }

 private:
  struct Drift;
  // Gives the base this object's stats level (RocksDB sets it here).
  void SyncLevel() const;
  const std::shared_ptr<rocksdb::Statistics> base_;
  const std::unique_ptr<Drift> drift_;
};

// A DriftStatistics over rocksdb::CreateDBStatistics().
std::shared_ptr<DriftStatistics> NewDriftStatistics();

}  // namespace drift
