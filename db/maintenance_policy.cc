// The drift policy (Maintain): what it measures (bucket statistics and
// balance, GetStats) and what it decides: bucket edits, else a retraining on
// imbalance or growth, else re-bucketing the segments of older epochs, then
// vacuum.
#include <cinttypes>

#include "db/drift_memtable_rep.h"
#include "db/maintenance.h"
#include "db/maintenance_internal.h"
#include "db/pinned_view.h"
#include "rocksdb/env.h"
#include "table/vector_section_reader.h"

namespace drift {

using rocksdb::Status;

using maintenance_internal::MillisSince;

Status Maintenance::Maintain(bool* retrained) {
  if (retrained != nullptr) *retrained = false;
  std::lock_guard<std::mutex> lock(train_mu_);
  if (store_.current() == nullptr) return Status::OK();  // first: auto_train
  Status s = UpdateBucketStats(*store_.current());
  if (!s.ok()) return s;
  IndexStats stats;
  s = GetStats(&stats);
  if (!s.ok()) return s;
  const uint64_t total = stats.bucketed_vectors + stats.other_epoch_vectors;
  // Bucket edits and vacuum look again once enough was written.
  const uint64_t written = EntriesWritten();
  const bool check_due =
      written - entries_at_check_ >=
      std::max<uint64_t>(options_.target_bucket_size, total / 20);
  if (check_due) entries_at_check_ = written;
  if (check_due && options_.split_merge) {
    bool published = false;
    s = EditBuckets(*store_.current(), &published);
    if (!s.ok()) return s;
    if (published) {
      if (retrained != nullptr) *retrained = true;
      return Status::OK();
    }
  }
  const uint64_t grown =
      total > vectors_at_train_ ? total - vectors_at_train_ : 0;
  // Hysteresis: enough new data since the last training.
  const bool enough_new =
      grown >= std::max<uint64_t>(options_.min_train_vectors, total / 10);
  const bool imbalanced = enough_new && options_.retrain_imbalance > 0 &&
                          stats.max_over_mean() > options_.retrain_imbalance;
  const bool grew =
      enough_new && options_.retrain_growth > 0 &&
      grown >= options_.retrain_growth * static_cast<double>(std::max<uint64_t>(
                                             1, vectors_at_train_));
  if (!imbalanced && !grew) {
    if (stats.other_epoch_vectors > 0) {
      s = Rebucket(store_.current()->epoch, RebucketMode::kFilesInThisThread);
    }
    if (s.ok() && check_due && options_.vacuum_dead_fraction > 0) {
      s = janitor_.Vacuum(
          options_.vacuum_dead_fraction,
          [this](const VectorSectionReader& segment) {
            return stats_.SegmentTombstones(segment.file_name());
          });
    }
    return s;
  }
  TrainOptions options;
  options.rebucket = true;
  s = TrainLocked(options, RebucketMode::kFilesInThisThread);
  if (!s.ok()) return s;
  counters_.Add(imbalanced ? &IndexStats::retrains_imbalance
                           : &IndexStats::retrains_growth);
  if (retrained != nullptr) *retrained = true;
  rocksdb::Log(rocksdb::InfoLogLevel::INFO_LEVEL, InfoLog(),
               "drift: retrained codebook of %s (%s): epoch %" PRIu64
               ", %" PRIu64 " vectors, max/mean bucket was %.2f",
               cf_->GetName().c_str(), imbalanced ? "imbalance" : "growth",
               store_.last_epoch(), total, stats.max_over_mean());
  return Status::OK();
}

Status Maintenance::GetStats(IndexStats* stats) const {
  *stats = counters_.Snapshot();
  auto codebook = store_.current();
  stats->codebook_epoch = codebook != nullptr ? codebook->epoch : 0;
  if (codebook != nullptr) {
    const Codebook::ProbeMix mix =
        codebook->ProbesForRecall(kDefaultRecallTarget);
    stats->default_nprobe = mix.mean();
    stats->default_nprobe_recall = mix.recall;
  }
  PinnedView view;
  Status s = view.Pin(db_, cf_);
  if (!s.ok()) return s;
  std::vector<uint64_t> sizes(codebook != nullptr ? codebook->size() : 0);
  for (const VectorSectionReader* segment : view.segments()) {
    const BucketDirectory& dir = segment->directory();
    const bool current =
        codebook != nullptr && dir.codebook_epoch == codebook->epoch;
    for (const BucketHeader& b : dir.buckets) {
      if (current && b.slot < sizes.size()) {
        sizes[b.slot] += b.num_rows;
      } else {
        stats->other_epoch_vectors += b.num_rows;
      }
    }
  }
  for (uint64_t n : sizes) {
    if (n == 0) continue;
    ++stats->buckets;
    stats->bucketed_vectors += n;
    stats->max_bucket_vectors = std::max(stats->max_bucket_vectors, n);
  }
  return Status::OK();
}

Status Maintenance::UpdateBucketStats(const Codebook& current) {
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::shared_ptr<const FreshVectorArena>> retired;
  uint64_t missed = 0;
  if (DriftMemtables() != nullptr) {
    retired = DriftMemtables()->TakeRetiredArenas(&missed);
  }
  PinnedView view;
  Status s = view.Pin(db_, cf_);
  if (s.ok()) s = stats_.Update(view, current, retired, missed);
  if (!s.ok()) return s;
  uint64_t tombstones = 0;
  for (const SlotStats& slot : stats_.slots()) tombstones += slot.tombstones;
  counters_.Set(&IndexStats::bucket_tombstones, tombstones);
  counters_.Set(&IndexStats::stats_keys_resolved, stats_.keys_resolved());
  counters_.Set(&IndexStats::stats_memtables_missed, stats_.arenas_missed());
  counters_.Add(&IndexStats::stats_update_micros,
                static_cast<uint64_t>(MillisSince(start) * 1000));
  return Status::OK();
}

Status Maintenance::GetBucketStats(std::vector<BucketInfo>* buckets) {
  buckets->clear();
  std::lock_guard<std::mutex> lock(train_mu_);
  const auto current = store_.current();
  if (current == nullptr) return Status::OK();
  Status s = UpdateBucketStats(*current);
  if (!s.ok()) return s;
  *buckets = stats_.Buckets(*current);
  return Status::OK();
}

}  // namespace drift
