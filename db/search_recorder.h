// SearchRecorder: records one Search in the DB's DriftStatistics (tickers
// drift.searches, drift.reranks, ...; histogram drift.search.micros); does
// nothing when the DB's statistics are not a DriftStatistics.
#pragma once

#include <chrono>

#include "drift/statistics.h"
#include "drift/vector_index.h"

namespace drift {

class SearchRecorder {
 public:
  // `before`: the caller's SearchStats as the search starts (a caller may
  // pass stats that already hold counts; only the difference is recorded).
  SearchRecorder(DriftStatistics* statistics, const SearchStats& before);
  void Finish(const rocksdb::Status& s, const SearchStats& after) const;

 private:
  DriftStatistics* const statistics_;
  const SearchStats before_;
  const bool timed_;
  const std::chrono::steady_clock::time_point start_;
};

}  // namespace drift
