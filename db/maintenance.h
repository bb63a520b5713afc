// Maintenance: keeps a vector column family's codebook fitting its data. It
// trains codebooks (Train, and the first one with auto_train once
// min_train_vectors are stored), and after every flush or compaction its
// background thread runs the drift policy (Maintain): bucket edits
// (split_merge) -> else retrain (imbalance, growth) -> else re-bucket the
// segments left in older epochs -> vacuum. Every new codebook goes through the
// CodebookStore (persisted, then published), then the segments are
// re-bucketed (Rebucket, the one place that decides how). It also keeps the
// bucket statistics and the maintenance counters (GetStats). Defined by
// concept: maintenance.cc (life cycle, scheduling), maintenance_policy.cc
// (Maintain, GetStats), maintenance_training.cc (Train, Rebucket),
// maintenance_bucket_edits.cc (split/merge); tests beside each.
//
// Threads and locks: one background thread (auto_train) plus callers of
// Train / Maintain / GetStats / GetBucketStats. train_mu_ serializes every
// step that trains, edits, publishes, re-buckets or reads the bucket
// statistics; mu_ guards only the thread's wake-up state. The thread takes
// train_mu_ with mu_ released, never both. The counters (IndexCounters) have
// their own lock.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "db/bucket_stats_tracker.h"
#include "db/codebook_store.h"
#include "db/index_counters.h"
#include "db/janitor.h"
#include "drift/vector_index.h"
#include "index/bucket_edit.h"
#include "index/codebook.h"

namespace drift {

class DriftMemTableRepFactory;

class Maintenance {
 public:
  Maintenance(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf,
              std::shared_ptr<CodebookHolder> holder,
              const VectorIndexOptions& options);
  ~Maintenance();

  // Loads the persisted codebook, attaches to the holder and starts the
  // background thread (if auto_train). InvalidArgument if another
  // VectorIndex is attached to the same table factory.
  rocksdb::Status Open();
  // Stops the background thread and detaches; idempotent.
  void Close();

  rocksdb::Status Train(const TrainOptions& options);
  // One drift-maintenance check (the policy above); *retrained says whether
  // it published a new codebook.
  rocksdb::Status Maintain(bool* retrained);
  // Bucket balance of the current codebook over the live segments, and the
  // maintenance counters.
  rocksdb::Status GetStats(IndexStats* stats) const;
  // The bucket statistics, updated first (VectorIndex::GetBucketStats).
  rocksdb::Status GetBucketStats(std::vector<BucketInfo>* buckets);
  std::shared_ptr<const Codebook> current() const { return store_.current(); }

  // The bucket edit options that `options` (split_merge) stand for.
  static BucketEditOptions EditOptions(const VectorIndexOptions& options);

 private:
  // How Rebucket rewrites the segments of older epochs.
  enum class RebucketMode {
    // One CompactRange over the column family (RocksDB's compaction threads;
    // levels consolidated): what an explicit Train does, unless the janitor
    // has a budget.
    kCompactRange,
    // File by file with CompactFiles, which compacts in the calling thread:
    // background maintenance, so the rewrite runs at
    // maintenance_cpu_priority and within the janitor's budget instead of
    // competing with the writers in RocksDB's compaction pool.
    kFilesInThisThread,
  };

  rocksdb::Logger* InfoLog() const;  // the DB's info LOG (may be null)
  rocksdb::Status TrainLocked(const TrainOptions& options, RebucketMode mode);
  // Rewrites the segments of other epochs into `epoch`, the published one
  // (train_mu_ held): kCompactRange only without a janitor budget, else file
  // by file (Janitor::RebucketFiles).
  rocksdb::Status Rebucket(uint64_t epoch, RebucketMode mode);
  // Entries written to the column family's memtables since it was opened.
  uint64_t EntriesWritten() const;
  // The incremental maintenance check (split_merge, train_mu_ held): plans
  // bucket edits of `current` on a sample and, if any are kept, publishes the
  // edited codebook and re-buckets. *published says whether it did.
  rocksdb::Status EditBuckets(const Codebook& current, bool* published);
  // Brings stats_ up to date with the column family (train_mu_ held).
  rocksdb::Status UpdateBucketStats(const Codebook& current);
  // The memtable factory, if it is Drift's.
  DriftMemTableRepFactory* DriftMemtables() const;
  void OnSegmentWritten(const SegmentWrittenEvent& event);
  void BackgroundLoop();
  // Idle-time maintenance (mu_ held through `lock`): waits until the
  // memtables took no entry for maintenance_quiet_ms, at most
  // maintenance_max_defer_ms. False if stopping.
  bool WaitForQuietWrites(std::unique_lock<std::mutex>* lock);

  rocksdb::DB* const db_;
  rocksdb::ColumnFamilyHandle* const cf_;
  const std::shared_ptr<CodebookHolder> holder_;
  const VectorIndexOptions options_;
  IndexCounters counters_;  // GetStats' counters, bumped here and by janitor_
  Janitor janitor_;
  std::shared_ptr<rocksdb::MemTableRepFactory> memtable_factory_;

  std::mutex train_mu_;  // one step at a time; guards the fields below
  CodebookStore store_;
  // Vectors the column family held when the current codebook was trained or
  // edited (when it was loaded, for a persisted one).
  uint64_t vectors_at_train_ = 0;
  // The write count at the last split/merge and vacuum check, and per slot
  // of codebook unsplittable_epoch_ the size at which a split was found not
  // to work (BucketEditResult::unsplittable).
  uint64_t entries_at_check_ = 0;
  uint64_t unsplittable_epoch_ = 0;
  std::vector<double> unsplittable_;
  BucketStatsTracker stats_;

  std::mutex mu_;  // guards the fields below
  std::condition_variable cv_;
  bool attached_ = false;
  bool stop_ = false;
  bool train_requested_ = false;
  std::thread worker_;
};

}  // namespace drift
