// Incremental drift maintenance of a codebook: split the buckets that grew too
// large or whose vectors moved away from their centroid, merge the ones that
// shrank to (almost) nothing, each action estimated, verified on a sample and
// rejected when it does not lower the cost of a query (Quake's
// estimate/verify/reject; SPFresh's LIRE for the neighbourhood check).
//
// Everything is judged on a sample of the column family's vectors assigned
// to the current codebook; the result is a new set of centroids that the
// caller publishes as a new epoch (compaction then re-buckets every vector to
// its nearest centroid, so the vectors near a split also move to neighbouring
// buckets where those are nearer).
//
// Hysteresis: a bucket splits above split_over_target x target_bucket_size
// (>= 1.25) into balanced sides (2-means rebalanced to >= 30% each), well
// above the merge threshold (<= split_over_target / 4); a merge must leave the
// result below (1 - merge_margin) x the split threshold. So no bucket splits
// and merges back on the same data, and a pass over unchanged data after a
// pass does nothing (tested with an oscillating workload).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "index/bucket_moments.h"
#include "index/codebook.h"
#include "rocksdb/status.h"

namespace drift {

struct BucketEditOptions {
  uint32_t target_bucket_size = 256;
  // Split a bucket estimated above split_over_target x target_bucket_size.
  double split_over_target = 1.5;
  // Split a bucket of at least target_bucket_size vectors whose mean moved
  // from its centroid by more than max_centre_shift x the RMS distance of its
  // vectors to that mean (drift inside the bucket).
  double max_centre_shift = 0.5;
  // Merge candidates: buckets estimated below merge_under_target x target.
  double merge_under_target = 0.25;
  double merge_margin = 0.2;
  // Splits of buckets over the split threshold are always kept; the other
  // actions (drift splits, merges) only if together they lower the
  // estimated cost of a query by at least min_gain (each accepted pass costs
  // a rewrite of every segment, and removing a bucket that data may return
  // to is not worth that).
  double min_gain = 0.05;
  // Buckets a query probes (the cost model's nprobe).
  uint32_t nprobe = 8;
  // Actions accepted per pass at most.
  size_t max_actions = 1024;
};

struct BucketEditResult {
  std::vector<float> centroids;  // the edited codebook's, slots renumbered
  // Per slot of `centroids`: 0, or the estimated size at which a split of it
  // was found impossible (its vectors do not separate) or not worth it; passed
  // to the next pass, which tries that bucket again only once it grew by half.
  std::vector<double> unsplittable;
  // Lineage, per slot of `centroids`: the slot of `current` it is (kept,
  // its centroid perhaps moved by a neighbour's verification), or kNoParent
  // for a slot a split or merge made; and the slot of `current` it descends
  // from (itself when kept; for a merge, the larger of the two).
  std::vector<uint32_t> kept_from;
  std::vector<uint32_t> parent;
  uint32_t splits = 0;
  uint32_t merges = 0;    // includes removed empty buckets
  uint32_t rejected = 0;  // actions whose verification did not lower the cost
  uint32_t deferred = 0;  // accepted actions dropped under min_gain
  // The cost model's estimate per query (centroid distances + codes
  // scanned) before and after the accepted actions.
  double cost_before = 0;
  double cost_after = 0;
  bool changed() const { return splits + merges > 0; }
};

// InvalidArgument naming the broken rule, else OK.
rocksdb::Status ValidateBucketEditOptions(const BucketEditOptions& options);

// Plans the edits of `current` on `sample` (n x dim, finite) drawn uniformly
// from `total_vectors` vectors. `unsplittable` is empty or has one flag per
// slot of `current` (from the previous pass's result). `live` (may be null)
// has per slot of `current` the moments of its live vectors, kept by the
// engine (BucketStatsTracker): a bucket's size and centre shift then come
// from them instead of from its sample points, until an action changes it.
// Deterministic. InvalidArgument on an empty codebook or sample, a bad
// option, or `live` of another size or dimension.
rocksdb::Status PlanBucketEdits(
    const Codebook& current, const std::vector<double>& unsplittable,
    const float* sample, size_t n, uint64_t total_vectors,
    const BucketEditOptions& options, BucketEditResult* result,
    const std::vector<BucketMoments>* live = nullptr);

}  // namespace drift
