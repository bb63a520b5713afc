// Janitor: the paced rewrites of a vector column family's background
// maintenance, within the VectorIndexOptions janitor budget (operations and
// bytes per second, each through a rocksdb::RateLimiter): re-bucketing
// segments file by file into a new codebook epoch, vacuum compactions of
// mostly dead segments, and flushes of memtables whose vectors grew older
// than max_memtable_age_seconds. It counts what it did (IndexCounters).
// Maintenance decides what to rewrite and calls it from its thread or a
// Train / Maintain caller's; foreground writes and searches never wait for
// it. Thread-safe: counters and rate limiters are; Stop() from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>

#include "db/index_counters.h"
#include "drift/vector_index.h"
#include "rocksdb/db.h"
#include "rocksdb/rate_limiter.h"

namespace drift {

class VectorSectionReader;

class Janitor {
 public:
  // Counts what it does in `counters` (not owned; outlives the janitor).
  Janitor(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf,
          const VectorIndexOptions& options, IndexCounters* counters);

  // Rewrites the segments not bucketed with codebook `epoch` file by file,
  // each CompactFiles'd into its own level (in the calling thread) once one
  // operation and its bytes were granted, so the rewrite is spread out
  // instead of taking the disk and a core at once. A file that a concurrent
  // compaction already replaced is skipped; one busy in another compaction
  // is retried for a few seconds (Incomplete if it stays busy).
  rocksdb::Status RebucketFiles(uint64_t epoch);

  // Vacuum: estimates each segment's dead fraction (EstimateDeadEntries on
  // kVacuumSample of its entries) and compacts the key range of every
  // segment at or above `dead_fraction`, each once its bytes were granted by
  // the budget. Entries that later writes made dead then go.
  // `known_dead` (may be empty) tells how many rows of a segment are known
  // to be hidden (the bucket statistics' tombstones): a segment at or above
  // `dead_fraction` by that count is compacted as well.
  rocksdb::Status Vacuum(
      double dead_fraction,
      const std::function<uint64_t(const VectorSectionReader&)>& known_dead =
          {});
  static constexpr size_t kVacuumSample = 64;

  // Flushes the column family if one of its memtables holds vectors written
  // max_memtable_age_seconds ago or earlier (no-op when that option is 0).
  rocksdb::Status FlushIfOld();

  // How often the background thread should call FlushIfOld (zero: never).
  std::chrono::milliseconds poll_interval() const;

  // True if any janitor_* rate is set.
  bool budgeted() const {
    return ops_limiter_ != nullptr || bytes_limiter_ != nullptr;
  }

  // Makes a running or later Rebucket return Incomplete at its next file or
  // budget chunk (at most ~1 s later): Close must not wait for a paced
  // rewrite. Irreversible.
  void Stop() { stopped_.store(true, std::memory_order_relaxed); }

 private:
  // Blocks until one operation and `bytes` are granted; counts the wait.
  // False if Stop() came first.
  bool Throttle(uint64_t bytes);
  bool stopped() const { return stopped_.load(std::memory_order_relaxed); }

  rocksdb::DB* const db_;
  rocksdb::ColumnFamilyHandle* const cf_;
  const VectorIndexOptions options_;
  std::unique_ptr<rocksdb::RateLimiter> ops_limiter_;    // 1 "byte" = 1 op
  std::unique_ptr<rocksdb::RateLimiter> bytes_limiter_;  // bytes rewritten
  IndexCounters* const counters_;
  std::atomic<bool> stopped_{false};
};

}  // namespace drift
