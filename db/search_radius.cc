// VectorIndexImpl::SearchRadius: a range search built on the k-NN search at
// one pinned view and snapshot. With `exhaustive` one search for the nearest
// radius_max_results + 1 is exact: every vector within the radius is among
// them unless there are more than the cap. Otherwise k doubles from
// kFirstRadiusK, at the same effort (the probed buckets do not depend on k),
// until the farthest hit is beyond the radius.
#include <algorithm>
#include <cmath>
#include <string>

#include "db/pinned_view.h"
#include "db/search_recorder.h"
#include "db/vector_index_impl.h"

namespace drift {

using rocksdb::Status;

namespace {
constexpr size_t kFirstRadiusK = 16;
}  // namespace

Status VectorIndexImpl::SearchRadius(const SearchOptions& options,
                                     const std::vector<float>& query,
                                     float radius, std::vector<SearchHit>* hits,
                                     SearchStats* stats) {
  Status s = CheckVector(query, "SearchRadius query");
  if (s.ok()) s = CheckSearch(options, 1, "SearchRadius");
  if (!s.ok()) return s;
  // Under ip a distance (-q.x) may be negative, so may a radius.
  const bool signed_distance = options_.metric == Metric::kInnerProduct;
  if (std::isnan(radius) || std::isinf(radius) ||
      (radius < 0 && !signed_distance)) {
    return Status::InvalidArgument(
        "drift: SearchRadius radius must be finite and >= 0 (any finite "
        "value under metric ip), got " +
        std::to_string(radius));
  }
  const size_t cap = options.radius_max_results;
  if (cap == 0 || cap > kMaxSearchK) {
    return Status::InvalidArgument(
        "drift: SearchRadius radius_max_results must be in [1, " +
        std::to_string(kMaxSearchK) + "], got " + std::to_string(cap));
  }
  SearchStats local;
  SearchStats* out = stats != nullptr ? stats : &local;
  // One search in DriftStatistics, whatever its rounds.
  const SearchRecorder recorder(statistics_.get(), *out);
  s = AtSnapshot(options, [&](const PinnedView& view,
                              const rocksdb::Snapshot* snapshot) {
    size_t k = options.exhaustive ? cap + 1 : std::min(cap + 1, kFirstRadiusK);
    for (;;) {
      Status r =
          SearchPinned(view, snapshot, options, query.data(), k, hits, out);
      if (!r.ok()) return r;
      // Fewer than k hits: nothing more is reachable at this effort.
      if (hits->size() < k || hits->back().distance > radius || k > cap) break;
      k = std::min(2 * k, cap + 1);
    }
    // Hits are sorted by (distance, key): drop the tail beyond the radius.
    hits->erase(std::find_if(hits->begin(), hits->end(),
                             [radius](const SearchHit& h) {
                               return h.distance > radius;
                             }),
                hits->end());
    if (hits->size() <= cap) return Status::OK();
    hits->resize(cap);
    return Status::Incomplete(
        "drift: SearchRadius: more than radius_max_results = " +
        std::to_string(cap) + " vectors within radius " +
        std::to_string(radius) + "; the nearest " + std::to_string(cap) +
        " are returned");
  });
  recorder.Finish(s.IsIncomplete() ? Status::OK() : s, *out);  // a full answer
  return s;
}

}  // namespace drift
