// LatencyHistogram: counts of values (e.g. microseconds) in geometric buckets,
// summarized as RocksDB's HistogramData. RocksDB's HistogramImpl is internal
// (monitoring/histogram.h); this keeps its bucket scheme (bounds growing by
// about 1.5x) and its percentile interpolation within a bucket.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "rocksdb/statistics.h"

namespace drift {

class LatencyHistogram {
 public:
  LatencyHistogram();
  void Add(uint64_t value);
  void Clear();
  // All fields of `data` (zeros when empty).
  void Data(rocksdb::HistogramData* data) const;
  // RocksDB's one-line form: "P50 : .. P95 : .. P99 : .. P100 : .. COUNT : ..
  // SUM : ..".
  std::string Summary() const;

 private:
  double PercentileLocked(double p) const;

  // bounds_[i] is the largest value of bucket i (the last one is unbounded).
  const std::vector<uint64_t> bounds_;
  mutable std::mutex mu_;
  std::vector<uint64_t> counts_;
  uint64_t count_ = 0;
  uint64_t sum_ = 0;
  double sum_squares_ = 0;
  uint64_t min_ = 0;
  uint64_t max_ = 0;
};

}  // namespace drift
