#include "db/search_recorder.h"

namespace drift {

SearchRecorder::SearchRecorder(DriftStatistics* statistics,
                               const SearchStats& before)
    : statistics_(statistics),
      before_(before),
      // As RocksDB's timers: off at kExceptTimers and below.
      timed_(statistics != nullptr && statistics->get_stats_level() >
                                          rocksdb::StatsLevel::kExceptTimers),
      start_(timed_ ? std::chrono::steady_clock::now()
                    : std::chrono::steady_clock::time_point()) {}

void SearchRecorder::Finish(const rocksdb::Status& s,
                            const SearchStats& after) const {
  if (statistics_ == nullptr) return;
  if (!s.ok()) {
    statistics_->recordTick(kDriftSearchesFailed, 1);
    return;
  }
  statistics_->recordTick(kDriftSearches, 1);
  const auto tick = [this](uint32_t ticker, uint64_t now, uint64_t then) {
    if (now > then) statistics_->recordTick(ticker, now - then);
  };
  tick(kDriftMemtableVectorsScanned, after.memtable_vectors_scanned,
       before_.memtable_vectors_scanned);
  tick(kDriftMemtableGraphResults, after.memtable_graph_results,
       before_.memtable_graph_results);
  tick(kDriftSegmentVectorsScanned, after.segment_vectors_scanned,
       before_.segment_vectors_scanned);
  tick(kDriftBucketsProbed, after.buckets_probed, before_.buckets_probed);
  tick(kDriftReranks, after.candidates_verified, before_.candidates_verified);
  tick(kDriftPointReads, after.point_reads, before_.point_reads);
  if (timed_) {
    const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - start_);
    statistics_->reportTimeToHistogram(kDriftSearchMicros,
                                       static_cast<uint64_t>(micros.count()));
  }
}

}  // namespace drift
