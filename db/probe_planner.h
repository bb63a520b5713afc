// The router of a search: which buckets a query probes, and how many
// candidates it re-ranks. Invariants:
// - Deterministic: a repeated query (the same float bits) against the same
//   codebook gets the same plan, so it probes the same buckets every time.
// - Recall target -> probes: with a calibrated codebook, `recall_target` (0:
//   kDefaultRecallTarget) maps to the codebook's ProbeMix, and QueryPosition
//   spreads queries evenly over it, so the calibrated recall of the mix (its
//   mean over queries) equals the target (within the calibrated range: a
//   target below the first point probes it, above the last probes the last).
// - An explicit `nprobe` overrides the target; a plan never holds more slots
//   than the codebook has.
// - `exhaustive` scans every bucket of every segment and re-ranks every
//   candidate (re-rank depth 0).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "drift/vector_index.h"
#include "index/codebook.h"

namespace drift {

struct BucketDirectory;

// Which buckets a query probes: with a codebook, the same slots in every
// segment of its epoch; other segments route with their own centroids.
struct ProbePlan {
  std::shared_ptr<const Codebook> codebook;
  std::vector<uint32_t> slots;  // nearest first
  uint32_t nprobe = 0;          // SearchOptions::nprobe
  bool exhaustive = false;
  // How segments of other epochs rank their own centroids (RouteBuckets).
  Metric metric = Metric::kL2;
  // A widening round (WidenPlan): segments of other epochs probe their
  // routed buckets from skip_routed on, up to `routed_factor` times their
  // first round's count (slots already hold only the new ones).
  double routed_factor = 1;
  bool skip_routed = false;
};

// The second round of a filtered search that `factor` (> 1) times more
// buckets than `first` should reach: the slots of the wider plan that
// `first` did not probe. Empty (nothing more to probe) for an exhaustive
// plan. `query` is in the index space, as for PlanProbes.
ProbePlan WidenPlan(const ProbePlan& first, double factor, const float* query);

// The plan of `query` (dim floats, in the index space of `metric`:
// index/metric_distance.h) under `codebook` (the current one; may be null:
// every segment then routes with its own centroids).
ProbePlan PlanProbes(const SearchOptions& options,
                     std::shared_ptr<const Codebook> codebook, uint32_t dim,
                     const float* query, Metric metric = Metric::kL2);

// Whether `plan` routes the segment of `dir` by its own centroids (a segment
// of another epoch): only then does BucketsToProbe read `centroids`.
bool RoutesOwnCentroids(const BucketDirectory& dir, const ProbePlan& plan);

// The buckets of one segment that `plan` probes. `bucket_of_slot(slot)` is
// the segment's bucket of a codebook slot, or a value >= dir.buckets.size()
// when no vector of the segment went to that slot. `centroids`: the
// segment's bucket centroids (dir.buckets.size() x dir.dim floats;
// VectorSectionReader::GetCentroids), needed if RoutesOwnCentroids.
std::vector<uint32_t> BucketsToProbe(
    const BucketDirectory& dir, const float* centroids,
    const std::function<uint32_t(uint32_t slot)>& bucket_of_slot,
    const ProbePlan& plan, const float* query);

// Candidates re-ranked with exact distances (0: all of them).
size_t RerankDepth(const SearchOptions& options, size_t k);

// The pieces of the plan, exposed for tests.

// A query's position in [0, 1), from its components' bits: the same query
// always gets the same position, and distinct queries spread evenly.
float QueryPosition(const float* query, size_t dim);
// The `nprobe` buckets of `dir` nearest to `query` by the distance of their
// `centroids` (dir.buckets.size() x dir.dim floats; RoutingDistance of
// `metric`).
std::vector<uint32_t> RouteBuckets(const BucketDirectory& dir,
                                   const float* centroids, const float* query,
                                   size_t nprobe, Metric metric = Metric::kL2);
// Buckets a segment of another epoch probes when nprobe is not set.
size_t DefaultNprobe(size_t buckets);
// Codebook slots probed when nprobe is not set and there is no calibration.
size_t DefaultCodebookNprobe(size_t slots);
// Re-rank depth when SearchOptions::rerank is not set.
size_t DefaultRerank(size_t k, float recall_target);

}  // namespace drift
