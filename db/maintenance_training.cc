// Training a codebook from a sample of the column family (Train) and
// rewriting the segments of older epochs into the published one (Rebucket).
#include <cinttypes>

#include "db/maintenance.h"
#include "db/maintenance_internal.h"
#include "db/vector_sample.h"
#include "rocksdb/env.h"

namespace drift {

using rocksdb::Status;

using maintenance_internal::MillisSince;
using maintenance_internal::SampleSize;

Status Maintenance::Train(const TrainOptions& options) {
  std::lock_guard<std::mutex> lock(train_mu_);
  return TrainLocked(options, RebucketMode::kCompactRange);
}

Status Maintenance::TrainLocked(const TrainOptions& options,
                                RebucketMode mode) {
  const auto start = std::chrono::steady_clock::now();
  const uint32_t dim = options_.dimension;
  std::vector<float> sample;
  uint64_t total = 0;
  Status s = SampleColumnFamily(db_, cf_, dim, options_.metric, SampleSize(dim),
                                0x5eed ^ store_.last_epoch(), &sample, &total);
  if (!s.ok()) return s;
  if (total == 0) {
    return Status::InvalidArgument("drift: Train: column family " +
                                   cf_->GetName() + " holds no vector");
  }
  const size_t buckets =
      options.num_buckets != 0
          ? options.num_buckets
          : std::max<size_t>(1, total / options_.target_bucket_size);
  auto codebook = std::make_shared<Codebook>();
  s = TrainCodebook(sample.data(), sample.size() / dim, dim, buckets,
                    store_.next_epoch(), KMeansOptions(), codebook.get(),
                    options_.metric);
  if (s.ok()) s = store_.PersistAndPublish(codebook);
  if (!s.ok()) {
    rocksdb::Log(rocksdb::InfoLogLevel::WARN_LEVEL, InfoLog(),
                 "drift: training codebook epoch %" PRIu64
                 " of %s failed, nothing published: %s",
                 store_.next_epoch(), cf_->GetName().c_str(),
                 s.ToString().c_str());
    return s;
  }
  rocksdb::Log(rocksdb::InfoLogLevel::INFO_LEVEL, InfoLog(),
               "drift: trained codebook of %s: epoch %" PRIu64
               ", %zu buckets from a sample of %zu of %" PRIu64
               " vectors, persisted (synced) in %.1f ms",
               cf_->GetName().c_str(), codebook->epoch, codebook->size(),
               sample.size() / dim, total, MillisSince(start));
  vectors_at_train_ = total;
  entries_at_check_ = EntriesWritten();  // a fresh codebook fits the data
  counters_.Add(&IndexStats::trainings);
  if (!options.rebucket) return Status::OK();
  return Rebucket(codebook->epoch, mode);
}

Status Maintenance::Rebucket(uint64_t epoch, RebucketMode mode) {
  const auto start = std::chrono::steady_clock::now();
  const bool budgeted = janitor_.budgeted();
  const bool whole = mode == RebucketMode::kCompactRange && !budgeted;
  Status s;
  if (whole) {
    rocksdb::CompactRangeOptions cro;
    cro.bottommost_level_compaction =
        rocksdb::BottommostLevelCompaction::kForceOptimized;
    s = db_->CompactRange(cro, cf_, nullptr, nullptr);
  } else {
    s = janitor_.RebucketFiles(epoch);
  }
  rocksdb::Log(rocksdb::InfoLogLevel::INFO_LEVEL, InfoLog(),
               "drift: re-bucketing %s with epoch %" PRIu64
               " (%s): %s in %.1f ms",
               cf_->GetName().c_str(), epoch,
               whole      ? "CompactRange"
               : budgeted ? "file by file, janitor budget"
                          : "file by file",
               s.ToString().c_str(), MillisSince(start));
  return s;
}

}  // namespace drift
