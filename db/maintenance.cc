#include "db/maintenance.h"

#include <algorithm>
#include <chrono>
#include <cinttypes>

#include "db/drift_memtable_rep.h"
#include "db/pinned_view.h"
#include "db/vector_sample.h"
#include "rocksdb/env.h"
#include "table/vector_section_reader.h"
#include "util/thread_priority.h"

namespace drift {

using rocksdb::Status;

namespace {

// Bytes of vectors a training sample may hold (k-means runs on at most 64
// points per centroid anyway, see KMeansOptions).
constexpr size_t kSampleBudgetBytes = 64u << 20;

size_t SampleSize(uint32_t dim) {
  const size_t by_budget = kSampleBudgetBytes / (size_t{dim} * sizeof(float));
  return std::max<size_t>(4096, std::min<size_t>(65536, by_budget));
}

double MillisSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(
             std::chrono::steady_clock::now() - start)
      .count();
}

}  // namespace

Maintenance::Maintenance(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf,
                         std::shared_ptr<CodebookHolder> holder,
                         const VectorIndexOptions& options)
    : db_(db),
      cf_(cf),
      holder_(holder),
      options_(options),
      janitor_(db, cf, options, &counters_),
      store_(db, cf, std::move(holder), options),
      stats_(options.dimension, options.metric) {}

Maintenance::~Maintenance() { Close(); }

Status Maintenance::Open() {
  if (!holder_->SetListener(
          [this](const SegmentWrittenEvent& e) { OnSegmentWritten(e); })) {
    return Status::InvalidArgument(
        "drift: another VectorIndex is attached to the DriftTable factory of "
        "column family " +
        cf_->GetName());
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    attached_ = true;
  }
  rocksdb::ColumnFamilyDescriptor desc;
  Status s = cf_->GetDescriptor(&desc);
  if (s.ok()) {
    memtable_factory_ = desc.options.memtable_factory;
    if (DriftMemtables() != nullptr) DriftMemtables()->TrackRetiredArenas(true);
    std::lock_guard<std::mutex> lock(train_mu_);
    s = store_.Load();
    // Growth counts from now for a codebook trained before this attach.
    if (s.ok()) {
      db_->GetIntProperty(cf_, "rocksdb.estimate-num-keys", &vectors_at_train_);
    }
  }
  if (!s.ok()) {
    rocksdb::Log(rocksdb::InfoLogLevel::WARN_LEVEL, InfoLog(),
                 "drift: Attach to %s failed: %s", cf_->GetName().c_str(),
                 s.ToString().c_str());
    Close();
    return s;
  }
  const auto codebook = store_.current();
  rocksdb::Log(rocksdb::InfoLogLevel::INFO_LEVEL, InfoLog(),
               "drift: attached to %s (dimension %u, auto_train %d): "
               "codebook epoch %" PRIu64 " with %zu buckets, ~%" PRIu64 " keys",
               cf_->GetName().c_str(), options_.dimension,
               options_.auto_train ? 1 : 0,
               codebook != nullptr ? codebook->epoch : 0,
               codebook != nullptr ? codebook->size() : 0, vectors_at_train_);
  if (options_.auto_train) {
    worker_ = std::thread([this] { BackgroundLoop(); });
  }
  return Status::OK();
}

void Maintenance::Close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!attached_) return;
    attached_ = false;
    stop_ = true;
  }
  // After this no builder calls OnSegmentWritten any more.
  holder_->ClearListener();
  if (DriftMemtables() != nullptr) DriftMemtables()->TrackRetiredArenas(false);
  janitor_.Stop();  // a paced re-bucketing returns within ~1 s
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

rocksdb::Logger* Maintenance::InfoLog() const {
  return db_->GetDBOptions().info_log.get();
}

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

BucketEditOptions Maintenance::EditOptions(const VectorIndexOptions& options) {
  BucketEditOptions eo;
  eo.target_bucket_size = options.target_bucket_size;
  eo.split_over_target = options.split_bucket_over_target;
  eo.merge_under_target = options.merge_bucket_under_target;
  return eo;
}

DriftMemTableRepFactory* Maintenance::DriftMemtables() const {
  return memtable_factory_ != nullptr
             ? memtable_factory_->CheckedCast<DriftMemTableRepFactory>()
             : nullptr;
}

uint64_t Maintenance::EntriesWritten() const {
  const auto* factory = DriftMemtables();
  return factory != nullptr ? factory->entries_written() : 0;
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

void Maintenance::OnSegmentWritten(const SegmentWrittenEvent& event) {
  (void)event;  // Every flush and compaction is a moment to check for drift.
  std::lock_guard<std::mutex> lock(mu_);
  train_requested_ = true;
  cv_.notify_all();
}

bool Maintenance::WaitForQuietWrites(std::unique_lock<std::mutex>* lock) {
  using std::chrono::milliseconds;
  const milliseconds quiet(options_.maintenance_quiet_ms);
  if (quiet.count() == 0 || DriftMemtables() == nullptr) return !stop_;
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + milliseconds(options_.maintenance_max_defer_ms);
  const auto stopping = [this] { return stop_; };
  uint64_t seen = EntriesWritten();
  bool deferred = false;  // a write came in while waiting
  while (true) {
    const auto until =
        std::min(std::chrono::steady_clock::now() + quiet, deadline);
    if (cv_.wait_until(*lock, until, stopping)) return false;
    const uint64_t now_seen = EntriesWritten();
    const bool was_quiet = now_seen == seen;
    deferred = deferred || !was_quiet;
    if (was_quiet || std::chrono::steady_clock::now() >= deadline) {
      if (deferred) {
        counters_.Add(&IndexStats::maintenance_deferrals);
        if (!was_quiet) {
          counters_.Add(&IndexStats::maintenance_deferrals_capped);
        }
        counters_.Add(&IndexStats::maintenance_defer_micros,
                      static_cast<uint64_t>(MillisSince(start) * 1000));
      }
      return true;
    }
    seen = now_seen;
  }
}

void Maintenance::BackgroundLoop() {
  SetCurrentThreadName("drift-maint");
  if (options_.maintenance_cpu_priority != rocksdb::CpuPriority::kNormal) {
    const Status s =
        SetCurrentThreadCpuPriority(options_.maintenance_cpu_priority);
    rocksdb::Log(rocksdb::InfoLogLevel::INFO_LEVEL, InfoLog(),
                 "drift: maintenance thread of %s at CPU priority %s: %s",
                 cf_->GetName().c_str(),
                 CpuPriorityName(options_.maintenance_cpu_priority),
                 s.ToString().c_str());
  }
  std::unique_lock<std::mutex> lock(mu_);
  const auto poll = janitor_.poll_interval();
  const auto wake = [this] { return stop_ || train_requested_; };
  while (true) {
    if (poll.count() > 0) {
      cv_.wait_for(lock, poll, wake);
    } else {
      cv_.wait(lock, wake);
    }
    if (stop_) return;
    const bool requested = train_requested_;
    train_requested_ = false;
    lock.unlock();
    Status s = janitor_.FlushIfOld();
    if (!s.ok()) {
      rocksdb::Log(rocksdb::InfoLogLevel::WARN_LEVEL, InfoLog(),
                   "drift: janitor flush of %s failed: %s",
                   cf_->GetName().c_str(), s.ToString().c_str());
    }
    if (!requested) {
      lock.lock();
      continue;
    }
    lock.lock();
    if (!WaitForQuietWrites(&lock)) return;
    train_requested_ = false;  // the check about to run covers those
    lock.unlock();
    // The first codebook once there is enough data; later ones when drift
    // maintenance says so.
    s = Status::OK();
    if (store_.current() == nullptr) {
      uint64_t estimate = 0;
      db_->GetIntProperty(cf_, "rocksdb.estimate-num-keys", &estimate);
      if (estimate >= options_.min_train_vectors) {
        rocksdb::Log(rocksdb::InfoLogLevel::INFO_LEVEL, InfoLog(),
                     "drift: %s holds ~%" PRIu64
                     " keys (min_train_vectors %" PRIu64
                     "): training its first codebook",
                     cf_->GetName().c_str(), estimate,
                     uint64_t{options_.min_train_vectors});
        std::lock_guard<std::mutex> train_lock(train_mu_);
        s = TrainLocked(TrainOptions(), RebucketMode::kFilesInThisThread);
      }
    } else {
      s = Maintain(nullptr);
    }
    if (!s.ok()) {
      rocksdb::Log(rocksdb::InfoLogLevel::WARN_LEVEL, InfoLog(),
                   "drift: background codebook training failed: %s",
                   s.ToString().c_str());
    }
    lock.lock();
  }
}

}  // namespace drift
