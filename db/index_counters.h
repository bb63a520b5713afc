// IndexCounters: the IndexStats counters that Maintenance and its Janitor
// bump (trainings, segments re-bucketed, ...), held in one IndexStats, so
// GetStats takes them all in one copy and a new counter is a member of
// IndexStats (listed in IndexStats::ForEachStat) plus the line that bumps it.
// The members GetStats derives from the segments stay 0 here.
//
// Thread-safe: one mutex, taken a few times per maintenance step, never on a
// write or search path.
#pragma once

#include <cstdint>
#include <mutex>

#include "drift/vector_index.h"

namespace drift {

class IndexCounters {
 public:
  using Counter = uint64_t IndexStats::*;

  void Add(Counter counter, uint64_t n = 1) {
    std::lock_guard<std::mutex> lock(mu_);
    counters_.*counter += n;
  }
  void Set(Counter counter, uint64_t value) {
    std::lock_guard<std::mutex> lock(mu_);
    counters_.*counter = value;
  }
  IndexStats Snapshot() const {
    std::lock_guard<std::mutex> lock(mu_);
    return counters_;
  }

 private:
  mutable std::mutex mu_;
  IndexStats counters_;
};

}  // namespace drift
