#include "db/janitor.h"

#include <algorithm>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "db/fresh_vector_arena.h"
#include "db/pinned_view.h"
#include "db/vacuum.h"
#include "rocksdb/table_properties.h"
#include "table/drift_format.h"
#include "table/vector_section_reader.h"

namespace drift {

using rocksdb::Status;

namespace {

// Arena ages are measured on this clock.
int64_t NowMicros() { return FreshVectorArena::NowMicros(); }

// The codebook epoch a segment recorded (kNoEpoch: not a .drift segment with
// vectors, nothing to re-bucket).
constexpr uint64_t kNoEpoch = ~uint64_t{0};
uint64_t SegmentEpoch(const rocksdb::TableProperties& props) {
  const auto& user = props.user_collected_properties;
  auto vectors = user.find(kNumVectorsProperty);
  auto epoch = user.find(kCodebookEpochProperty);
  if (vectors == user.end() || epoch == user.end() ||
      std::strtoull(vectors->second.c_str(), nullptr, 10) == 0) {
    return kNoEpoch;
  }
  return std::strtoull(epoch->second.c_str(), nullptr, 10);
}

Status Stopped() {
  return Status::Incomplete("drift: the janitor was stopped (Close)");
}

}  // namespace

Janitor::Janitor(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf,
                 const VectorIndexOptions& options, IndexCounters* counters)
    : db_(db), cf_(cf), options_(options), counters_(counters) {
  if (options.janitor_ops_per_sec > 0) {
    // A one-second refill period: the burst is the per-second rate.
    ops_limiter_.reset(rocksdb::NewGenericRateLimiter(
        options.janitor_ops_per_sec, /*refill_period_us=*/1000 * 1000));
  }
  if (options.janitor_bytes_per_sec > 0) {
    // Also a one-second period, so that small rates still refill >= 1 byte.
    bytes_limiter_.reset(rocksdb::NewGenericRateLimiter(
        static_cast<int64_t>(options.janitor_bytes_per_sec),
        /*refill_period_us=*/1000 * 1000));
  }
}

bool Janitor::Throttle(uint64_t bytes) {
  if (!budgeted()) return !stopped();
  const int64_t start = NowMicros();
  if (ops_limiter_ != nullptr) {
    ops_limiter_->Request(1, rocksdb::Env::IO_LOW, nullptr,
                          rocksdb::RateLimiter::OpType::kWrite);
  }
  if (bytes_limiter_ != nullptr) {
    // Chunks of at most a tenth of a second's budget, so Stop() is seen soon.
    const int64_t chunk_max = std::max<int64_t>(
        1, std::min<int64_t>(bytes_limiter_->GetSingleBurstBytes(),
                             options_.janitor_bytes_per_sec / 10));
    for (uint64_t left = bytes; left > 0 && !stopped();) {
      const uint64_t chunk = std::min<uint64_t>(left, chunk_max);
      bytes_limiter_->Request(static_cast<int64_t>(chunk), rocksdb::Env::IO_LOW,
                              nullptr, rocksdb::RateLimiter::OpType::kWrite);
      left -= chunk;
    }
  }
  counters_->Add(&IndexStats::janitor_budget_wait_micros, NowMicros() - start);
  return !stopped();
}

Status Janitor::Vacuum(
    double dead_fraction,
    const std::function<uint64_t(const VectorSectionReader&)>& known_dead) {
  // A segment needs this many sampled entries before it is judged.
  constexpr uint64_t kMinSampled = 16;
  struct Range {
    std::string smallest, largest;
    uint64_t bytes;
  };
  std::vector<Range> dead;
  {
    PinnedView view;  // released before compacting
    Status s = view.Pin(db_, cf_);
    if (!s.ok()) return s;
    for (const VectorSectionReader* segment : view.segments()) {
      DeadEstimate e;
      s = EstimateDeadEntries(db_, cf_, *segment, kVacuumSample, &e);
      if (!s.ok()) return s;
      const uint64_t known = known_dead ? known_dead(*segment) : 0;
      const bool known_over =
          e.entries > 0 &&
          known >= dead_fraction * static_cast<double>(e.entries);
      if ((e.sampled >= kMinSampled && e.fraction() >= dead_fraction) ||
          known_over) {
        const auto props = segment->properties();
        dead.push_back({e.smallest_user_key, e.largest_user_key,
                        props != nullptr ? props->data_size : 0});
      }
    }
  }
  counters_->Add(&IndexStats::vacuum_checks);
  for (const Range& r : dead) {
    if (!Throttle(r.bytes)) return Stopped();
    rocksdb::CompactRangeOptions cro;
    cro.bottommost_level_compaction =
        rocksdb::BottommostLevelCompaction::kForceOptimized;
    const rocksdb::Slice begin(r.smallest), end(r.largest);
    Status s = db_->CompactRange(cro, cf_, &begin, &end);
    if (!s.ok()) return s;
    counters_->Add(&IndexStats::segments_vacuumed);
  }
  return Status::OK();
}

Status Janitor::RebucketFiles(uint64_t epoch) {
  // A file some other compaction holds is retried on a later pass (that
  // compaction may have started before the epoch was published).
  constexpr int kPasses = 50;
  size_t busy = 0;
  for (int pass = 0; pass < kPasses; ++pass) {
    if (pass > 0) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (stopped()) return Stopped();
    rocksdb::TablePropertiesCollection props;
    Status s = db_->GetPropertiesOfAllTables(cf_, &props);
    if (!s.ok()) return s;
    rocksdb::ColumnFamilyMetaData meta;
    db_->GetColumnFamilyMetaData(cf_, &meta);
    busy = 0;
    for (const auto& level : meta.levels) {
      for (const auto& file : level.files) {
        const std::string path = file.db_path + file.name;
        auto it = props.find(path);
        if (it == props.end()) continue;
        const uint64_t segment_epoch = SegmentEpoch(*it->second);
        if (segment_epoch == kNoEpoch || segment_epoch == epoch) continue;
        if (file.being_compacted) {  // retried on the next pass, uncharged
          ++busy;
          continue;
        }
        if (!Throttle(file.size)) return Stopped();
        // Into its own level: CompactFiles adds no other file then (into a
        // lower level it would pull in every overlapping file there), so
        // the job rewrites exactly the bytes just charged.
        rocksdb::CompactionOptions co;
        co.output_file_size_limit = std::max<uint64_t>(file.size, 1) * 2;
        s = db_->CompactFiles(co, cf_, {path}, level.level);
        if (s.IsAborted()) {  // being compacted
          ++busy;
          continue;
        }
        if (s.IsInvalidArgument() &&
            s.ToString().find("does not exist") != std::string::npos) {
          continue;  // a concurrent compaction replaced it already
        }
        if (!s.ok()) return s;
        counters_->Add(&IndexStats::segments_rebucketed);
        counters_->Add(&IndexStats::bytes_rebucketed, file.size);
      }
    }
    if (busy == 0) return Status::OK();
  }
  return Status::Incomplete("drift: " + std::to_string(busy) +
                            " segments of older epochs stayed busy in other "
                            "compactions; the next maintenance retries");
}

std::chrono::milliseconds Janitor::poll_interval() const {
  if (options_.max_memtable_age_seconds == 0) {
    return std::chrono::milliseconds(0);
  }
  // Often enough to flush within ~10% of the age limit, at most once a second.
  return std::chrono::milliseconds(
      std::clamp<uint64_t>(options_.max_memtable_age_seconds * 100, 10, 1000));
}

Status Janitor::FlushIfOld() {
  if (options_.max_memtable_age_seconds == 0) return Status::OK();
  // Cheap checks first: no memtable entry, or a flush already pending (a
  // second one would only switch out a young memtable).
  uint64_t active = 0, immutable = 0;
  if (db_->GetIntProperty(cf_, "rocksdb.num-entries-active-mem-table",
                          &active) &&
      active == 0) {
    return Status::OK();
  }
  if (db_->GetIntProperty(cf_, "rocksdb.num-immutable-mem-table", &immutable) &&
      immutable > 0) {
    return Status::OK();
  }
  PinnedView view;
  Status s = view.Pin(db_, cf_);
  if (!s.ok()) return s;
  int64_t oldest = 0;  // 0: no memtable holds a vector
  for (const auto& arena : view.arenas()) {
    const int64_t first = arena->first_append_micros();
    if (first != 0 && (oldest == 0 || first < oldest)) oldest = first;
  }
  const int64_t max_age =
      static_cast<int64_t>(options_.max_memtable_age_seconds) * 1000 * 1000;
  if (oldest == 0 || NowMicros() - oldest < max_age) return Status::OK();
  rocksdb::FlushOptions fo;
  fo.wait = false;  // the janitor never stalls on a flush
  fo.allow_write_stall = true;
  s = db_->Flush(fo, cf_);
  if (s.ok()) counters_->Add(&IndexStats::age_flushes);
  return s;
}

}  // namespace drift
