// BucketStatsTracker: the bucket headers of a vector column family kept in
// RAM by the engine: per slot of the current codebook, the moments (count,
// mean, scatter) of the live vectors bucketed to it and its tombstones (rows
// that a later deletion or overwrite hides and compaction has not dropped).
//
// Where the numbers come from:
//  - segments: each .drift segment carries per bucket the moments of its rows
//    (kBucketMomentsBlockName), written by its builder, read at open;
//  - memtables: the rows each memtable's FreshVectorArena received since the
//    last update are assigned to the codebook (incrementally, in the
//    background: a Put pays nothing);
//  - tombstones: the key of every new memtable entry (vector Put or deletion,
//    which the memtable records) is looked up in the segments
//    (VectorSectionReader::FindHiddenVectors: bloom filter, then the key
//    index); each row it hides is read once and its vector taken out of its
//    bucket's live moments. Memtables that a flush retired before an update are
//    kept for it (DriftMemTableRepFactory::TrackRetiredArenas).
// What it does not see: range deletions; versions hidden by a memtable that
// was flushed before an update saw it, in segments written since the update
// before (or dropped by the factory over its retired bound: arenas_missed);
// versions that snapshots kept through a compaction. The vacuum sampler finds
// those. Rows of a memtable that a later write to the same memtable hides
// count as live until the flush drops them.
//
// Not thread-safe: the engine updates and reads it under its maintenance lock.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "db/fresh_vector_arena.h"
#include "db/pinned_view.h"
#include "drift/metric.h"
#include "drift/vector_index.h"
#include "index/bucket_moments.h"
#include "index/codebook.h"
#include "rocksdb/status.h"

namespace drift {

struct SlotStats {
  BucketMoments live;  // the slot's vectors, less its tombstones
  uint64_t rows = 0;   // stored rows: segments of this epoch + memtables
  uint64_t tombstones = 0;
};

class BucketStatsTracker {
 public:
  // Moments are kept in the index space of `metric` (as segments keep them).
  BucketStatsTracker(uint32_t dim, Metric metric)
      : dim_(dim), metric_(metric) {}

  // Brings the statistics up to date with `view` (pinned now) under
  // `codebook`; `retired` are the arenas of memtables retired since the last
  // update (some may be flushed already), `missed` the retired ones the
  // memtable factory dropped. Errors reading a segment propagate.
  rocksdb::Status Update(
      const PinnedView& view, const Codebook& codebook,
      const std::vector<std::shared_ptr<const FreshVectorArena>>& retired,
      uint64_t missed);

  // Per slot of the codebook of the last Update.
  const std::vector<SlotStats>& slots() const { return slots_; }
  uint64_t epoch() const { return epoch_; }
  // Complete: every stored vector is in slots() with its moments (no segment
  // of another epoch, none without a moments block).
  bool complete() const { return complete_; }
  // Tombstones found so far in the segment stored in `file`.
  uint64_t SegmentTombstones(const std::string& file) const;
  // Keys looked up in segments, and memtables whose keys were never looked
  // up (dropped over the retired bound), since the tracker was made.
  uint64_t keys_resolved() const { return keys_resolved_; }
  uint64_t arenas_missed() const { return arenas_missed_; }
  // The statistics as VectorIndex::GetBucketStats returns them, one per slot;
  // `codebook` is the one of the last Update (lineage, centroids).
  std::vector<BucketInfo> Buckets(const Codebook& codebook) const;

 private:
  struct ArenaState {
    std::weak_ptr<const FreshVectorArena> arena;
    const FreshVectorArena* key = nullptr;
    uint64_t epoch = 0;
    size_t rows_assigned = 0;  // under `epoch`
    size_t rows_resolved = 0;
    size_t deletions_resolved = 0;
    std::vector<BucketMoments> slots;  // its assigned rows, per slot
  };
  // The hidden rows of one segment, and per bucket their moments.
  struct SegmentTombs {
    std::unordered_set<uint64_t> rows;  // bucket << 32 | row
    std::unordered_map<uint32_t, BucketMoments> buckets;
  };

  ArenaState* StateOf(const std::shared_ptr<const FreshVectorArena>& arena);
  // Finds the rows that the entries of `arena` not resolved yet hide, in
  // every segment of `view` or only in those named in `older`.
  rocksdb::Status Resolve(const PinnedView& view, const FreshVectorArena& arena,
                          ArenaState* state,
                          const std::unordered_set<std::string>* older);
  rocksdb::Status ResolveKey(const PinnedView& view,
                             const rocksdb::Slice& internal_key,
                             const std::unordered_set<std::string>* older);
  void Assign(const FreshVectorArena& arena, const Codebook& codebook,
              ArenaState* state);
  // Reads each segment's bucket means (through the blob cache).
  rocksdb::Status Aggregate(const PinnedView& view, const Codebook& codebook);

  const uint32_t dim_;
  const Metric metric_;
  uint64_t epoch_ = 0;
  bool complete_ = false;
  std::vector<ArenaState> arenas_;
  std::unordered_map<std::string, SegmentTombs> tombs_;  // by file name
  std::unordered_set<std::string> previous_files_;       // the last view's
  std::vector<SlotStats> slots_;
  std::vector<float> row_;  // scratch of ResolveKey
  uint64_t keys_resolved_ = 0;
  uint64_t arenas_missed_ = 0;
};

}  // namespace drift
