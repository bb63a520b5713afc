// Incremental maintenance (split_merge): bucket edits planned on a sample
// of the stored vectors, and the edited codebook published with its lineage.
#include <cinttypes>

#include "db/maintenance.h"
#include "db/maintenance_internal.h"
#include "db/pinned_view.h"
#include "db/vector_sample.h"
#include "rocksdb/env.h"

namespace drift {

using rocksdb::Status;

using maintenance_internal::MillisSince;
using maintenance_internal::SampleSize;

BucketEditOptions Maintenance::EditOptions(const VectorIndexOptions& options) {
  BucketEditOptions eo;
  eo.target_bucket_size = options.target_bucket_size;
  eo.split_over_target = options.split_bucket_over_target;
  eo.merge_under_target = options.merge_bucket_under_target;
  return eo;
}

Status Maintenance::EditBuckets(const Codebook& current, bool* published) {
  *published = false;
  const auto start = std::chrono::steady_clock::now();
  const uint32_t dim = options_.dimension;
  std::vector<float> sample;
  uint64_t total = 0;
  Status s;
  {
    PinnedView view;  // released before the re-bucketing compaction
    s = view.Pin(db_, cf_);
    if (s.ok()) {
      s = SampleStoredVectors(view, dim, options_.metric, SampleSize(dim),
                              0x5eed ^ current.epoch ^ EntriesWritten(),
                              &sample, &total);
    }
  }
  if (!s.ok() || sample.empty()) return s;
  const double sample_ms = MillisSince(start);
  // Sizes and centre shifts from the bucket statistics when they cover every
  // stored vector; else the sample estimates them.
  std::vector<BucketMoments> live;
  const uint64_t stored = total;
  if (stats_.complete() && stats_.epoch() == current.epoch) {
    total = 0;
    for (const SlotStats& slot : stats_.slots()) {
      live.push_back(slot.live);
      total += slot.live.count;
    }
  }
  BucketEditOptions eo = EditOptions(options_);
  eo.nprobe =
      std::max<uint32_t>(1, current.NprobeForRecall(kDefaultRecallTarget));
  if (unsplittable_epoch_ != current.epoch) unsplittable_.clear();
  BucketEditResult r;
  const size_t n = sample.size() / dim;
  s = PlanBucketEdits(current, unsplittable_, sample.data(), n, total, eo, &r,
                      live.empty() ? nullptr : &live);
  if (!s.ok()) return s;
  counters_.Add(&IndexStats::edit_checks);
  counters_.Add(&IndexStats::bucket_edits_rejected, r.rejected);
  counters_.Add(&IndexStats::bucket_edits_deferred, r.deferred);
  unsplittable_ = std::move(r.unsplittable);
  unsplittable_epoch_ = current.epoch;
  if (!r.changed()) return Status::OK();
  auto codebook = std::make_shared<Codebook>();
  codebook->epoch = store_.next_epoch();
  codebook->dim = dim;
  codebook->metric = options_.metric;
  codebook->centroids = std::move(r.centroids);
  for (size_t slot = 0; slot < r.kept_from.size(); ++slot) {
    const uint32_t kept = r.kept_from[slot];
    if (kept == Codebook::kNoParent) {
      codebook->lineage.push_back({codebook->epoch, r.parent[slot]});
    } else if (kept < current.lineage.size()) {
      codebook->lineage.push_back(current.lineage[kept]);
    } else {  // a codebook persisted without lineage: known since its epoch
      codebook->lineage.push_back({current.epoch, Codebook::kNoParent});
    }
  }
  s = codebook->Finish(sample.data(), n);
  if (s.ok()) s = store_.PersistAndPublish(codebook);
  if (!s.ok()) {
    rocksdb::Log(
        rocksdb::InfoLogLevel::WARN_LEVEL, InfoLog(),
        "drift: edited codebook epoch %" PRIu64 " of %s not published: %s",
        store_.next_epoch(), cf_->GetName().c_str(), s.ToString().c_str());
    return s;
  }
  unsplittable_epoch_ = codebook->epoch;
  vectors_at_train_ = stored;  // the growth so far is absorbed by the edits
  counters_.Add(&IndexStats::bucket_splits, r.splits);
  counters_.Add(&IndexStats::bucket_merges, r.merges);
  counters_.Add(&IndexStats::edit_publishes);
  *published = true;
  rocksdb::Log(rocksdb::InfoLogLevel::INFO_LEVEL, InfoLog(),
               "drift: edited codebook of %s: epoch %" PRIu64
               ", %u splits, %u merges (%u rejected, %u deferred), %zu -> "
               "%zu buckets, estimated query cost %.0f -> %.0f, sample of "
               "%zu of %" PRIu64
               " stored vectors (%.1f ms; sizes from %s), persisted "
               "(synced) in %.1f ms",
               cf_->GetName().c_str(), codebook->epoch, r.splits, r.merges,
               r.rejected, r.deferred, current.size(), codebook->size(),
               r.cost_before, r.cost_after, n, total, sample_ms,
               live.empty() ? "the sample" : "bucket statistics",
               MillisSince(start));
  return Rebucket(codebook->epoch, RebucketMode::kFilesInThisThread);
}

}  // namespace drift
