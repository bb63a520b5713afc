// VectorIndex: nearest-neighbour search over one vector column family of a
// rocksdb::DB. Writes are ordinary RocksDB writes (WAL, memtable, WriteBatch);
// searches are exact with respect to MVCC: they return the newest visible
// version of each key at the read snapshot, never a deleted or stale one.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "drift/metric.h"
#include "rocksdb/db.h"
#include "rocksdb/status.h"
#include "rocksdb/threadpool.h"
#include "rocksdb/write_batch.h"

namespace drift {

struct VectorIndexOptions {
  // Dimension of the column family's vectors; must match the dimension its
  // DriftTable / DriftMemTable factories were configured with.
  uint32_t dimension = 0;

  // The distance searches rank by (drift/metric.h: l2, ip, cosine); must
  // match the metric of the column family's DriftTable and DriftMemTable
  // factories, of its persisted codebook and of its segments (Attach returns
  // InvalidArgument naming both otherwise: the metric of a column family is
  // fixed once it holds segments).
  Metric metric = Metric::kL2;

  // Where the codebook (the IVF centroids shared by all segments) is
  // persisted, under the key "drift.codebook/<vector column family name>";
  // nullptr = the DB's default column family.
  rocksdb::ColumnFamilyHandle* metadata_column_family = nullptr;

  // Train the codebook in a background thread once a flush has written
  // segments without one and the column family holds at least
  // min_train_vectors vectors; then compact so segments are re-bucketed.
  bool auto_train = true;
  uint64_t min_train_vectors = 4096;

  // Average vectors per bucket of a trained codebook: buckets = vectors /
  // target_bucket_size. Smaller buckets scan less per probe but cost more
  // centroid distances per query and per written vector.
  uint32_t target_bucket_size = 256;

  // Drift maintenance (with auto_train, in the background after flushes and
  // compactions; or on demand with VectorIndex::Maintain): the codebook is
  // retrained on the current data and every segment re-bucketed when
  //  - the largest bucket of the current codebook holds more than
  //    retrain_imbalance times the mean bucket (0 disables), or
  //  - the column family grew by retrain_growth times the vectors it held
  //    when the codebook was trained (0 disables).
  // Hysteresis: neither triggers before max(min_train_vectors, 10% of the
  // column family) vectors were written since the last training, so data
  // that no codebook can balance (e.g. duplicates) cannot loop retraining.
  double retrain_imbalance = 3.0;
  double retrain_growth = 0.25;

  // Incremental drift maintenance, checked before the retrain triggers once
  // max(target_bucket_size, 5% of the column family) entries were written
  // since the last check: buckets above split_bucket_over_target x
  // target_bucket_size, or whose vectors' mean moved away from their
  // centroid, are split in two (balanced 2-means on a sample of the column
  // family; sizes and means come from the bucket statistics, GetBucketStats,
  // when they cover every vector, else from the sample);
  // buckets below merge_bucket_under_target x target_bucket_size are merged
  // into their nearest neighbour if the result stays 20% below the split
  // threshold (hysteresis). Each action is verified on the sample and kept
  // only if it lowers the estimated cost of a query; the edited codebook is
  // published as a new epoch and the segments re-bucketed like after a
  // retrain. split_bucket_over_target must be >= 1.25 and >= 4 x
  // merge_bucket_under_target (>= 0).
  bool split_merge = true;
  double split_bucket_over_target = 1.5;
  double merge_bucket_under_target = 0.25;

  // Vacuum, in the same checks (when no new codebook was published, which
  // rewrites everything anyway): each segment's entries are sampled (64, one
  // Get each), and the key range of a segment whose sampled entries are at
  // least this fraction dead (deleted, or overwritten by later writes), or
  // whose rows the bucket statistics know to be hidden reach this fraction,
  // is compacted, so the dead entries go. In [0, 1]; 0 disables.
  double vacuum_dead_fraction = 0.2;

  // The janitor's budget for re-bucketing (0: unlimited). Background
  // maintenance always re-buckets one file at a time (CompactFiles, in the
  // maintenance thread); with either set, each file waits until one
  // operation and the file's bytes were granted by a rocksdb::RateLimiter,
  // and an explicit Train re-buckets that way too instead of in one
  // CompactRange. A retrain's re-bucketing then takes at least its bytes /
  // janitor_bytes_per_sec.
  uint32_t janitor_ops_per_sec = 0;
  uint64_t janitor_bytes_per_sec = 0;
  // With auto_train: flush the column family once a memtable holds vectors
  // written this many seconds ago (0: never), so fresh vectors reach indexed
  // segments even when writes are slow. The janitor checks about every
  // max_memtable_age_seconds / 10 (at least every second).
  uint64_t max_memtable_age_seconds = 0;

  // CPU priority of the background maintenance thread (named "drift-maint":
  // codebook training, bucket statistics, split/merge and vacuum checks).
  // kLow (nice 19) and kIdle (SCHED_IDLE) let it run on spare CPU and yield
  // to foreground writes and searches and to RocksDB's flush threads, so a
  // check never takes a core that ingest needs; kNormal leaves the thread at
  // the priority of the thread that called Attach; kHigh needs CAP_SYS_NICE.
  // Its re-bucketing rewrites (CompactFiles) run in this thread too; the
  // vacuum compactions it requests run in RocksDB's
  // background pool at that pool's priority
  // (Env::LowerThreadPoolCPUPriority), and Train/Maintain calls at their
  // caller's.
  rocksdb::CpuPriority maintenance_cpu_priority = rocksdb::CpuPriority::kLow;

  // Idle-time maintenance: a background check (first training, split/merge,
  // retrain, re-bucketing, vacuum) that a flush or compaction requested
  // starts only once no entry was written to the column family's memtables
  // for maintenance_quiet_ms, so that bursts of writes do not share the
  // machine with it; under writes that never pause it starts after
  // maintenance_max_defer_ms anyway, so maintenance lags sustained ingest by
  // at most that much. 0 = start at once. Train and Maintain calls are never
  // deferred.
  uint32_t maintenance_quiet_ms = 50;
  uint32_t maintenance_max_defer_ms = 10000;

  // SearchBatch runs its queries on the calling thread plus up to
  // search_threads threads of a rocksdb::ThreadPool (0: the calling thread
  // only, one query after the other). The pool is `search_pool` when set
  // (e.g. one pool shared by several indexes; with search_threads 0 a batch
  // may use all its threads),
  // else one that Attach creates with rocksdb::NewThreadPool(search_threads)
  // joined when the index is destroyed. Single Search calls always run on their
  // caller's thread.
  uint32_t search_threads = 0;
  std::shared_ptr<rocksdb::ThreadPool> search_pool;
};

// What the index looks like now and what maintenance did (GetStats).
struct IndexStats {
  uint64_t codebook_epoch = 0;
  // Buckets of the current codebook that hold vectors, and their sizes,
  // summed over the segments bucketed with it.
  uint64_t buckets = 0;
  uint64_t bucketed_vectors = 0;
  uint64_t max_bucket_vectors = 0;
  // Vectors in segments of other codebooks (re-bucketed by compaction).
  uint64_t other_epoch_vectors = 0;
  // Maintenance since the VectorIndex was attached.
  uint64_t trainings = 0;           // codebooks trained (any reason)
  uint64_t retrains_imbalance = 0;  // of which maintenance for imbalance
  uint64_t retrains_growth = 0;     // of which maintenance for growth
  // Incremental maintenance (split_merge): checks run, codebooks published
  // by them, buckets split and merged, actions rejected by their
  // verification, and accepted actions deferred as not worth a re-bucketing.
  uint64_t edit_checks = 0;
  uint64_t edit_publishes = 0;
  uint64_t bucket_splits = 0;
  uint64_t bucket_merges = 0;
  uint64_t bucket_edits_rejected = 0;
  uint64_t bucket_edits_deferred = 0;
  // The janitor: segments (and their bytes) rewritten file by file into the
  // current epoch, time spent waiting for its budget, flushes of memtables
  // older than max_memtable_age_seconds.
  uint64_t segments_rebucketed = 0;
  uint64_t bytes_rebucketed = 0;
  uint64_t janitor_budget_wait_micros = 0;
  uint64_t age_flushes = 0;
  // Background checks that waited for writes to pause
  // (maintenance_quiet_ms), of which those that started at
  // maintenance_max_defer_ms while writes went on, and the time they waited.
  uint64_t maintenance_deferrals = 0;
  uint64_t maintenance_deferrals_capped = 0;
  uint64_t maintenance_defer_micros = 0;
  // Vacuum checks run, and segments whose key range they compacted for
  // being at least vacuum_dead_fraction dead.
  uint64_t vacuum_checks = 0;
  uint64_t segments_vacuumed = 0;
  // The bucket statistics (GetBucketStats) at the last maintenance check:
  // rows of the current epoch's buckets that a later deletion or overwrite
  // hides (tombstones), entry keys looked up to find them, and memtables
  // retired too fast for their keys to be looked up; and the time spent
  // bringing the statistics up to date since Attach.
  uint64_t bucket_tombstones = 0;
  uint64_t stats_keys_resolved = 0;
  uint64_t stats_memtables_missed = 0;
  uint64_t stats_update_micros = 0;
  // What the default effort (recall target kDefaultRecallTarget) probes with
  // the current codebook: buckets per query, on average over queries (a
  // share of them probes one bucket fewer, see SearchOptions::recall_target),
  // and the recall@10 the calibration measured for that mix (0: no
  // calibrated codebook).
  float default_nprobe = 0;
  float default_nprobe_recall = 0;
  double max_over_mean() const {
    return buckets == 0 || bucketed_vectors == 0
               ? 0.0
               : static_cast<double>(max_bucket_vectors) * buckets /
                     bucketed_vectors;
  }

  // The one list of the statistics: calls visit(key, label, value) once for
  // every member above and for max_over_mean(), in the order
  // GetProperty("drift.stats") prints them. `key` is the member's name (the
  // key drift_sim's JSON uses; max_over_mean() is "max_over_mean_bucket"),
  // `label` its name in "drift.stats" and drift_ldb drift_stats; `value` is
  // the member itself (a const uint64_t& or const float&), or a double for
  // max_over_mean(). A new statistic is a member plus its line here.
  template <typename Visit>
  void ForEachStat(Visit&& visit) const {
    visit("codebook_epoch", "codebook epoch", codebook_epoch);
    visit("buckets", "buckets", buckets);
    visit("bucketed_vectors", "bucketed vectors", bucketed_vectors);
    visit("max_bucket_vectors", "largest bucket", max_bucket_vectors);
    visit("max_over_mean_bucket", "max/mean bucket", max_over_mean());
    visit("other_epoch_vectors", "other-epoch vectors", other_epoch_vectors);
    visit("trainings", "trainings", trainings);
    visit("retrains_imbalance", "retrains for imbalance", retrains_imbalance);
    visit("retrains_growth", "retrains for growth", retrains_growth);
    visit("edit_checks", "split/merge checks", edit_checks);
    visit("edit_publishes", "split/merge codebooks published", edit_publishes);
    visit("bucket_splits", "buckets split", bucket_splits);
    visit("bucket_merges", "buckets merged", bucket_merges);
    visit("bucket_edits_rejected", "bucket edits rejected",
          bucket_edits_rejected);
    visit("bucket_edits_deferred", "bucket edits deferred",
          bucket_edits_deferred);
    visit("segments_rebucketed", "segments re-bucketed by the janitor",
          segments_rebucketed);
    visit("bytes_rebucketed", "bytes re-bucketed by the janitor",
          bytes_rebucketed);
    visit("janitor_budget_wait_micros", "janitor budget wait (us)",
          janitor_budget_wait_micros);
    visit("age_flushes", "age flushes", age_flushes);
    visit("maintenance_deferrals", "maintenance checks deferred for writes",
          maintenance_deferrals);
    visit("maintenance_deferrals_capped",
          "maintenance checks started at the deferral cap",
          maintenance_deferrals_capped);
    visit("maintenance_defer_micros", "maintenance deferral time (us)",
          maintenance_defer_micros);
    visit("vacuum_checks", "vacuum checks", vacuum_checks);
    visit("segments_vacuumed", "segments vacuumed", segments_vacuumed);
    visit("bucket_tombstones", "bucket tombstones", bucket_tombstones);
    visit("stats_keys_resolved", "bucket stats keys looked up",
          stats_keys_resolved);
    visit("stats_memtables_missed", "bucket stats memtables missed",
          stats_memtables_missed);
    visit("stats_update_micros", "bucket stats update time (us)",
          stats_update_micros);
    // 0.97: kDefaultRecallTarget (a test checks that they agree).
    visit("default_nprobe", "default nprobe (recall target 0.97)",
          default_nprobe);
    visit("default_nprobe_recall", "default nprobe calibrated recall",
          default_nprobe_recall);
  }
};

// One bucket of the current codebook, as the engine's bucket statistics see
// it (VectorIndex::GetBucketStats).
struct BucketInfo {
  static constexpr uint32_t kNoParent = ~0u;
  uint32_t slot = 0;
  // Lineage: the epoch whose codebook created the bucket, and the slot of the
  // codebook before it that the bucket was split or merged from (kNoParent:
  // trained from scratch, or kept since born_epoch).
  uint64_t born_epoch = 0;
  uint32_t parent_slot = kNoParent;
  // Stored rows bucketed to it (segments bucketed with the current codebook,
  // memtables), and those of them that a later deletion or overwrite hides.
  uint64_t rows = 0;
  uint64_t tombstones = 0;
  uint64_t live = 0;
  // Distance from the centroid to the mean of the live vectors (how far they
  // moved since the centroid was set), and the RMS distance of the live
  // vectors to their mean.
  double centre_shift = 0;
  double spread = 0;
};

struct TrainOptions {
  // Buckets of the new codebook (0: vectors / target_bucket_size).
  uint32_t num_buckets = 0;
  // Compact the column family afterwards, so every segment is re-bucketed
  // with the new codebook (searches stay exact meanwhile).
  bool rebucket = true;
};

struct SearchOptions {
  // Read snapshot; nullptr = the latest state (read-your-writes).
  const rocksdb::Snapshot* snapshot = nullptr;
  // Effort as a recall target in (0, 1]: the number of buckets probed comes
  // from the codebook's calibration (measured when it was trained), which
  // steps by one bucket: queries probe the least count that reaches the
  // target or one fewer, in the mix whose calibrated recall is the target
  // (which of the two depends only on the query's values). 0: use nprobe,
  // or the default target kDefaultRecallTarget.
  float recall_target = 0;
  // Buckets (codebook slots) probed, overriding recall_target. Segments not
  // bucketed with the current codebook probe this many of their own buckets
  // (0: an eighth of them, at least 8).
  uint32_t nprobe = 0;
  // With recall_target (nprobe 0): choose the buckets per query by density
  // routing (probe in order of centroid distance until the estimated share
  // of the query's neighbours in the probed buckets reaches what the
  // codebook's calibration says the target needs; at least 2), instead of
  // the same calibrated nprobe for every query. The candidates widen with
  // the codebook (twice the nprobe the calibration needs for 0.995, at
  // least 32). A target that density routing's calibration does not reach,
  // or a codebook without that calibration, uses the calibrated nprobe
  // instead: the target is never ignored.
  bool adaptive_probes = false;
  // Candidates re-ranked with exact floats (0: max(2k, 10); 4k for a
  // recall_target >= 0.99).
  uint32_t rerank = 0;
  // Scan everything: the result is then the exact k nearest neighbours.
  bool exhaustive = false;

  // Filters: the search returns the k nearest of the vectors whose keys pass
  // every restriction set here (checked before the top k, so with
  // `exhaustive` it returns min(k, passing vectors) hits, exactly the
  // brute-force answer over them). At the default effort the probes widen by
  // the pass rate sampled while scanning, and a key range (or a prefix,
  // under the bytewise comparator) that holds about as many entries as the
  // probes would scan, or fewer, is read in key order at the snapshot
  // instead: exact, no bucket probed.
  //
  // Keys in [key_start, key_limit) by the column family's comparator (unset:
  // unbounded). Both set with key_start >= key_limit is InvalidArgument.
  std::optional<std::string> key_start;
  std::optional<std::string> key_limit;
  // Keys that begin with these bytes (empty: any key).
  std::string key_prefix;
  // A predicate on the key; with filter_column_family, it also receives the
  // value of the same key in that column family read at the search's
  // snapshot (nullptr when the key is absent there; without a filter column
  // family, always nullptr). Called on the searching thread (SearchBatch: on
  // its pool threads too, concurrently), at most a few times per candidate; it
  // must give the same answer for a key within one search.
  std::function<bool(const rocksdb::Slice& key,
                     const rocksdb::Slice* other_value)>
      filter;
  rocksdb::ColumnFamilyHandle* filter_column_family = nullptr;
  // Fill SearchHit::vector with each hit's stored vector: the exact floats
  // the re-rank read at the search's snapshot (no second read).
  bool return_vectors = false;
  // SearchRadius returns at most this many hits, the nearest, in [1,
  // kMaxSearchK]; more within the radius is Status::Incomplete.
  size_t radius_max_results = 10000;
};

struct SearchHit {
  SearchHit() = default;
  SearchHit(std::string k, float d, std::vector<float> v = {})
      : key(std::move(k)), distance(d), vector(std::move(v)) {}
  std::string key;
  // By the column family's metric (drift/metric.h), ascending: l2 the
  // squared L2 distance, ip the negative inner product -q.x, cosine
  // 1 - cos(q, x).
  float distance = 0;
  // The stored vector, with SearchOptions::return_vectors (else empty).
  // Not part of ==.
  std::vector<float> vector;
  bool operator==(const SearchHit& o) const {
    return key == o.key && distance == o.distance;
  }
};

// Search statistics of one query (what it cost).
struct SearchStats {
  uint64_t memtable_vectors_scanned = 0;  // brute force (not yet in a graph)
  uint64_t memtable_graph_results = 0;    // rows the memtable graphs returned
  uint64_t segment_vectors_scanned = 0;   // SQ8 codes compared
  uint64_t buckets_probed = 0;
  uint64_t candidates_verified = 0;  // re-ranked with exact floats
  // Candidates checked with a point read at the snapshot. 0 when every key
  // has one version in the column family (memtables empty, segments
  // compacted into one level, no snapshot holding old versions).
  uint64_t point_reads = 0;
  // Filtered searches: candidates the filter rejected, and vectors read in
  // key order by a key-range scan (instead of probing buckets).
  uint64_t filter_rejected = 0;
  uint64_t range_vectors_scanned = 0;
};

// Recall target of a search that sets neither recall_target nor nprobe.
constexpr float kDefaultRecallTarget = 0.97f;

// The largest k a search accepts.
constexpr size_t kMaxSearchK = 100000;

// Column family options of a vector column family of dimension `dim`: Drift's
// table and memtable factories, and a DriftCompactionFilterFactory (TTL off;
// drift/compaction_filter.h) unless `base` has a compaction filter (factory).
// Start from `base` to keep other settings.
rocksdb::ColumnFamilyOptions VectorColumnFamilyOptions(
    uint32_t dim,
    const rocksdb::ColumnFamilyOptions& base = rocksdb::ColumnFamilyOptions());
// The same with both factories set to `metric`.
rocksdb::ColumnFamilyOptions VectorColumnFamilyOptions(
    uint32_t dim, Metric metric,
    const rocksdb::ColumnFamilyOptions& base = rocksdb::ColumnFamilyOptions());

class VectorIndex {
 public:
  // Attaches to an open DB's column family whose factories are Drift's. The DB
  // and the handle must outlive the VectorIndex.
  static rocksdb::Status Attach(rocksdb::DB* db,
                                rocksdb::ColumnFamilyHandle* column_family,
                                const VectorIndexOptions& options,
                                std::unique_ptr<VectorIndex>* index);
  virtual ~VectorIndex() = default;

  virtual uint32_t dimension() const = 0;

  virtual rocksdb::Status Put(const rocksdb::WriteOptions& options,
                              const rocksdb::Slice& key,
                              const std::vector<float>& vector) = 0;
  // Adds the vector Put to `batch`, which may hold writes to other column
  // families: the batch commits atomically (one WAL record). A null `batch`
  // is InvalidArgument; note that `Put({}, key, v)` means this overload with
  // a null batch, not default WriteOptions: write `Put(rocksdb::
  // WriteOptions(), key, v)`. The same holds for Delete.
  virtual rocksdb::Status Put(rocksdb::WriteBatch* batch,
                              const rocksdb::Slice& key,
                              const std::vector<float>& vector) = 0;
  virtual rocksdb::Status Delete(const rocksdb::WriteOptions& options,
                                 const rocksdb::Slice& key) = 0;
  virtual rocksdb::Status Delete(rocksdb::WriteBatch* batch,
                                 const rocksdb::Slice& key) = 0;
  // NotFound if absent; InvalidArgument (not Corruption) if the stored value is
  // not a vector of this dimension.
  virtual rocksdb::Status Get(const rocksdb::ReadOptions& options,
                              const rocksdb::Slice& key,
                              std::vector<float>* vector) = 0;

  // The k nearest vectors to `query` by the metric's distance
  // (SearchHit::distance), ascending (ties broken by key). Under cosine a
  // zero query is InvalidArgument.
  virtual rocksdb::Status Search(const SearchOptions& options,
                                 const std::vector<float>& query, size_t k,
                                 std::vector<SearchHit>* hits,
                                 SearchStats* stats = nullptr) = 0;
  // Many queries (row-major, num x dimension): (*hits)[i] is what Search
  // gives for query i at the same snapshot (options.snapshot, or one taken
  // once for the whole batch) and the same column family state (pinned once).
  // Queries run in parallel on VectorIndexOptions::search_threads threads
  // (SearchOptions::filter, if any, is then called from several threads at
  // once). `stats` (optional) receives one SearchStats per query. Every
  // query is checked before any runs: a bad one (wrong length, NaN or
  // infinite component) is InvalidArgument naming its index; a query that
  // fails while running (e.g. Corruption or an IO error) stops the batch
  // and its status, prefixed with "query <i>: ", is returned (the lowest
  // such i); the hits of the other queries are then unspecified.
  virtual rocksdb::Status SearchBatch(
      const SearchOptions& options, const std::vector<float>& queries, size_t k,
      std::vector<std::vector<SearchHit>>* hits,
      std::vector<SearchStats>* stats = nullptr) = 0;

  // Every vector whose SearchHit::distance from `query` is <= `radius`
  // (the column family's metric: squared L2 for l2; radius finite, >= 0
  // except under ip), sorted by (distance, key). With options.exhaustive the
  // answer is exact. Otherwise it is what Search at the same options finds
  // within the radius: the same buckets are probed (recall_target / nprobe /
  // adaptive_probes), asking for more neighbours (16, 32, ...) until the
  // farthest found is beyond the radius. More than options.radius_max_results
  // hits within the radius: the nearest radius_max_results are returned with
  // Status::Incomplete.
  virtual rocksdb::Status SearchRadius(const SearchOptions& options,
                                       const std::vector<float>& query,
                                       float radius,
                                       std::vector<SearchHit>* hits,
                                       SearchStats* stats = nullptr) = 0;

  // Trains a codebook on a sample of the column family's vectors, persists it
  // (synced) in the metadata column family, and publishes it under a new
  // epoch: later flushes and compactions bucket with it. InvalidArgument if
  // the column family holds no vector.
  virtual rocksdb::Status Train(const TrainOptions& options) = 0;
  // Epoch of the published codebook (0: none yet).
  virtual uint64_t codebook_epoch() const = 0;
  // Runs one maintenance check now (see VectorIndexOptions::split_merge and
  // retrain_*): edits or retrains the codebook and re-buckets if it
  // triggers; *retrained (optional) says whether a new codebook was
  // published.
  virtual rocksdb::Status Maintain(bool* retrained = nullptr) = 0;
  virtual rocksdb::Status GetStats(IndexStats* stats) = 0;
  // The bucket statistics, brought up to date first, one entry per slot of
  // the current codebook (empty without one). Complete only when every
  // segment is bucketed with the current codebook (IndexStats::
  // other_epoch_vectors is 0); may wait for a running maintenance step.
  virtual rocksdb::Status GetBucketStats(std::vector<BucketInfo>* buckets) = 0;
  // RocksDB-style property of the index: "drift.stats" is GetStats as text,
  // one "label: value" line per IndexStats::ForEachStat entry (integers, or
  // four decimals); "drift.blob-cache" is the blob cache of the column
  // family's DriftTable factory as "key: value" lines (capacity, usage,
  // pinned-usage, pin-budget in bytes; hits, misses, pinned-reads counted
  // since the factory was made; hit-rate = hits / (hits + misses), 0 before
  // any lookup), and "drift.blob-cache-<key>" one of them (e.g.
  // drift.blob-cache-usage, drift.blob-cache-hit-rate). InvalidArgument for
  // another name. (DB::GetProperty cannot answer these: RocksDB 7.8.3
  // resolves property names in a fixed table, see docs/operations.md.)
  virtual rocksdb::Status GetProperty(const std::string& property,
                                      std::string* value) = 0;
  // The map form, as DB::GetMapProperty: "drift.stats" keyed by
  // IndexStats::ForEachStat's keys, "drift.blob-cache" by the keys above.
  // InvalidArgument for another name.
  virtual rocksdb::Status GetMapProperty(
      const std::string& property,
      std::map<std::string, std::string>* value) = 0;

  // After Close every call returns InvalidArgument. Close (or destroy) the
  // VectorIndex before closing the DB: it stops the background trainer.
  virtual rocksdb::Status Close() = 0;
};

}  // namespace drift
