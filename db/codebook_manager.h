// CodebookManager: the engine side of a vector column family's codebook. It
// loads the persisted codebook at attach, trains new ones (a sample of the
// column family's vectors, k-means), persists each one (synced) before it
// publishes it to the table factory's CodebookHolder, and runs the background
// trainer that builders wake up when they write segments without a codebook.
//
// Epochs only grow: the next epoch is above both the persisted codebook's and
// every live segment's (a crash between writing segments and persisting their
// codebook can leave segments of an epoch that was never persisted; they keep
// routing with their own centroids).
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "db/bucket_stats_tracker.h"
#include "db/janitor.h"
#include "drift/vector_index.h"
#include "index/bucket_edit.h"
#include "index/codebook.h"

namespace drift {

class DriftMemTableRepFactory;

class CodebookManager {
 public:
  CodebookManager(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf,
                  std::shared_ptr<CodebookHolder> holder,
                  const VectorIndexOptions& options);
  ~CodebookManager();

  // Loads the persisted codebook, attaches to the holder and starts the
  // background trainer (if auto_train). InvalidArgument if another
  // VectorIndex is attached to the same table factory.
  rocksdb::Status Open();
  // Stops the background trainer and detaches; idempotent.
  void Close();

  rocksdb::Status Train(const TrainOptions& options);
  // One drift-maintenance check (VectorIndexOptions::retrain_*): retrains and
  // re-buckets if it triggers; otherwise rewrites segments left in older
  // epochs, if any (Janitor::RebucketFiles).
  rocksdb::Status Maintain(bool* retrained);
  // Bucket balance of the current codebook over the live segments, and the
  // maintenance counters.
  rocksdb::Status GetStats(IndexStats* stats) const;
  // The bucket statistics, updated first (VectorIndex::GetBucketStats).
  rocksdb::Status GetBucketStats(std::vector<BucketInfo>* buckets);
  std::shared_ptr<const Codebook> current() const { return holder_->current(); }

  // The bucket edit options that `options` (split_merge) stand for.
  static BucketEditOptions EditOptions(const VectorIndexOptions& options);

  // Key of the persisted codebook in the metadata column family.
  static std::string MetadataKey(const std::string& column_family_name);

 private:
  rocksdb::Status LoadPersisted();
  rocksdb::Status MaxSegmentEpoch(uint64_t* epoch) const;
  rocksdb::Logger* InfoLog() const;  // the DB's info LOG (may be null)
  // Reservoir sample of at most `max_sample` finite vectors; *total counts all.
  rocksdb::Status SampleVectors(size_t max_sample, std::vector<float>* sample,
                                uint64_t* total) const;
  rocksdb::Status Persist(const Codebook& codebook);
  // How segments of older epochs are rewritten into the current one.
  enum class RebucketBy {
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
  rocksdb::Status TrainLocked(const TrainOptions& options, RebucketBy by);
  // Re-buckets into the current epoch (train_mu_ held).
  rocksdb::Status Rebucket(RebucketBy by);
  // Entries written to the column family's memtables since it was opened.
  uint64_t EntriesWritten() const;
  // The incremental maintenance check (split_merge, train_mu_ held): plans
  // bucket edits of `current` on a sample and, if any are kept, publishes the
  // edited codebook and re-buckets. *published says whether it did.
  rocksdb::Status EditBuckets(const Codebook& current, bool* published);
  // Persists `codebook` (synced), then publishes it (train_mu_ held).
  rocksdb::Status PersistAndPublish(std::shared_ptr<Codebook> codebook);
  // Brings stats_ up to date with the column family (train_mu_ held).
  rocksdb::Status UpdateBucketStats(const Codebook& current);
  // The memtable factory, if it is Drift's.
  DriftMemTableRepFactory* DriftMemtables() const;
  void OnSegmentWritten(const SegmentWrittenEvent& event);
  void BackgroundLoop();
  // Idle-time maintenance (mu_ held through `lock`): waits until the
  // memtables took no entry for maintenance_quiet_ms, at most
  // maintenance_max_defer_ms. False if the manager is stopping.
  bool WaitForQuietWrites(std::unique_lock<std::mutex>* lock);

  rocksdb::DB* const db_;
  rocksdb::ColumnFamilyHandle* const cf_;
  rocksdb::ColumnFamilyHandle* const meta_cf_;
  const std::shared_ptr<CodebookHolder> holder_;
  const VectorIndexOptions options_;
  Janitor janitor_;

  std::mutex train_mu_;  // one Train at a time; guards the two below
  uint64_t last_epoch_ = 0;
  // Vectors the column family held when the current codebook was trained or
  // edited (when it was loaded, for a persisted one).
  uint64_t vectors_at_train_ = 0;
  std::atomic<uint64_t> trainings_{0}, retrains_imbalance_{0},
      retrains_growth_{0};
  // The write count at the last split/merge and vacuum check, and per slot
  // of codebook unsplittable_epoch_ the size at which a split was found not
  // to work (BucketEditResult::unsplittable).
  std::shared_ptr<rocksdb::MemTableRepFactory> memtable_factory_;
  uint64_t entries_at_check_ = 0;
  uint64_t unsplittable_epoch_ = 0;
  std::vector<double> unsplittable_;
  std::atomic<uint64_t> edit_checks_{0}, edit_publishes_{0}, bucket_splits_{0},
      bucket_merges_{0}, bucket_edits_rejected_{0}, bucket_edits_deferred_{0};
  BucketStatsTracker stats_;  // guarded by train_mu_
  std::atomic<uint64_t> bucket_tombstones_{0}, stats_keys_resolved_{0},
      stats_memtables_missed_{0}, stats_update_micros_{0};
  std::atomic<uint64_t> deferrals_{0}, deferrals_capped_{0}, defer_micros_{0};

  std::mutex mu_;  // guards the fields below
  std::condition_variable cv_;
  bool attached_ = false;
  bool stop_ = false;
  bool train_requested_ = false;
  std::thread worker_;
};

}  // namespace drift
