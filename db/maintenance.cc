// Maintenance's life cycle (attach, detach) and its scheduling: the
// background thread that wakes on every flush or compaction (and on the
// janitor's poll), waits for writes to pause, then trains the first codebook
// or runs the drift policy (db/maintenance_policy.cc).
#include "db/maintenance.h"

#include <cinttypes>

#include "db/drift_memtable_rep.h"
#include "db/maintenance_internal.h"
#include "rocksdb/env.h"
#include "util/thread_priority.h"

namespace drift {

using rocksdb::Status;

using maintenance_internal::MillisSince;

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

DriftMemTableRepFactory* Maintenance::DriftMemtables() const {
  return memtable_factory_ != nullptr
             ? memtable_factory_->CheckedCast<DriftMemTableRepFactory>()
             : nullptr;
}

uint64_t Maintenance::EntriesWritten() const {
  const auto* factory = DriftMemtables();
  return factory != nullptr ? factory->entries_written() : 0;
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
