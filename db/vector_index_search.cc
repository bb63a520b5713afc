// VectorIndexImpl's search: planning, segment scans (SQ8 or RaBitQ codes),
// memtable candidates, filtered rounds and the re-rank at the read snapshot.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <optional>

#include "db/candidate_set.h"
#include "db/index_properties.h"
#include "db/key_range_scan.h"
#include "db/maintenance.h"
#include "db/pinned_view.h"
#include "db/probe_planner.h"
#include "db/rabitq_refinement.h"
#include "db/rerank.h"
#include "db/search_filter.h"
#include "db/search_pool.h"
#include "db/search_recorder.h"
#include "db/vector_index_impl.h"
#include "drift/plugin.h"
#include "index/distance.h"
#include "index/metric_distance.h"
#include "index/rabitq.h"
#include "index/sq8_scan.h"
#include "table/drift_table_factory.h"
#include "table/internal_key.h"
#include "table/vector_section_reader.h"
#include "util/thread_priority.h"
#include "util/vector_value.h"

namespace drift {

using rocksdb::Slice;
using rocksdb::Status;

namespace {

// Whether every segment of `view` that holds vectors has RaBitQ codes (so a
// search can rank all of them by their error bounds).
bool AllHaveRabitq(const PinnedView& view) {
  for (const VectorSectionReader* segment : view.segments()) {
    if (!segment->directory().buckets.empty() && segment->rabitq() == nullptr) {
      return false;
    }
  }
  return true;
}

// Prefetches what scanning `bucket` reads first: its RaBitQ centroid, codes
// and factors, or the first kSq8PrefetchBytes of its SQ8 codes (the hardware
// prefetcher follows the rest of that stream). Into L2, not L1 (locality 2:
// prefetcht1 on x86): tens of KiB of prefetches into L1 wait for its few
// line-fill buffers and stall the scan of the current bucket.
constexpr size_t kSq8PrefetchBytes = 4096;
void PrefetchScannedData(const BucketDataView& bucket, bool rabitq) {
  auto prefetch = [](const void* data, size_t bytes) {
    const char* p = static_cast<const char*>(data);
    for (size_t at = 0; at < bytes; at += 64) __builtin_prefetch(p + at, 0, 2);
  };
  if (!rabitq) {
    prefetch(bucket.codes.data(),
             std::min(bucket.codes.size(), kSq8PrefetchBytes));
    return;
  }
  const size_t pd = RabitqRotation::PaddedDim(bucket.dim);
  prefetch(bucket.rabitq_centroid, pd * sizeof(float));
  prefetch(bucket.rabitq_codes, bucket.num_rows * RabitqCodeBytes(pd));
  prefetch(bucket.rabitq_factors,
           bucket.num_rows * kRabitqFactorsPerRow * sizeof(float));
}

// Filtered searches: every kSampleStride-th scanned row of the first round
// (and up to about kMemtableSamples rows per memtable when no segment was
// probed) samples the filter's pass rate; the probes widen at most
// kMaxWidening times; a key range is scanned in key order when it ends within
// what the probes would scan, and always when that is under
// kMinRangeScanBudget entries.
constexpr uint32_t kSampleStride = 8;
constexpr size_t kMemtableSamples = 64;
constexpr double kMaxWidening = 1000;
constexpr uint64_t kMinRangeScanBudget = 1024;
}  // namespace

Status VectorIndexImpl::CheckSearch(const SearchOptions& options, size_t k,
                                    const char* what) const {
  Status s = CheckOpen();
  if (!s.ok()) return s;
  if (!(options.recall_target >= 0 && options.recall_target <= 1)) {
    return Status::InvalidArgument(std::string("drift: ") + what +
                                   " recall_target must be in [0, 1], got " +
                                   std::to_string(options.recall_target));
  }
  if (k == 0 || k > kMaxSearchK) {
    return Status::InvalidArgument(
        std::string("drift: ") + what + " k must be in [1, " +
        std::to_string(kMaxSearchK) + "], got " + std::to_string(k));
  }
  return Status::OK();
}

Status VectorIndexImpl::Search(const SearchOptions& options,
                               const std::vector<float>& query, size_t k,
                               std::vector<SearchHit>* hits,
                               SearchStats* stats) {
  SearchStats local;
  SearchStats* const st = stats != nullptr ? stats : &local;
  const SearchRecorder recorder(statistics_.get(), *st);
  const Status s = SearchUnrecorded(options, query, k, hits, st);
  recorder.Finish(s, *st);
  return s;
}

Status VectorIndexImpl::SearchUnrecorded(const SearchOptions& options,
                                         const std::vector<float>& query,
                                         size_t k, std::vector<SearchHit>* hits,
                                         SearchStats* stats) {
  Status s = CheckVector(query, "Search query");
  if (s.ok()) s = CheckSearch(options, k, "Search");
  if (!s.ok()) return s;
  return AtSnapshot(options, [&](const PinnedView& view,
                                 const rocksdb::Snapshot* snapshot) {
    return SearchPinned(view, snapshot, options, query.data(), k, hits, stats);
  });
}

Status VectorIndexImpl::AtSnapshot(
    const SearchOptions& options,
    const std::function<Status(const PinnedView&, const rocksdb::Snapshot*)>&
        search) {
  PinnedView view;
  Status s = view.Pin(db_, cf_);
  if (!s.ok()) return s;
  // The view is pinned first: every entry of the snapshot is then in it.
  const rocksdb::Snapshot* snapshot =
      options.snapshot != nullptr ? options.snapshot : db_->GetSnapshot();
  s = search(view, snapshot);
  if (options.snapshot == nullptr) db_->ReleaseSnapshot(snapshot);
  return s;
}

Status VectorIndexImpl::SearchPinned(const PinnedView& view,
                                     const rocksdb::Snapshot* snapshot,
                                     const SearchOptions& options,
                                     const float* query, size_t k,
                                     std::vector<SearchHit>* hits,
                                     SearchStats* stats) {
  SearchFilter filter;
  Status s = SearchFilter::Make(options, db_, cf_, snapshot, &filter);
  if (!s.ok()) return s;
  s = SearchFiltered(view, snapshot, options, &filter, query, k, hits, stats);
  if (s.ok()) s = filter.status();
  stats->filter_rejected += filter.rejected();
  return s;
}

uint64_t VectorIndexImpl::RangeScanBudget(const PinnedView& view,
                                          const ProbePlan& plan,
                                          const SearchFilter& filter) const {
  uint64_t rows = 0, bytes = 0, memtable_rows = 0;
  for (const auto* segment : view.segments()) {
    for (const auto& bucket : segment->directory().buckets) {
      rows += bucket.num_rows;
    }
    bytes += segment->properties()->data_size;
  }
  for (const auto& arena : view.arenas()) {
    memtable_rows += arena->Snapshot().size;
  }
  const size_t slots = plan.codebook != nullptr ? plan.codebook->size() : 0;
  const double share = slots > 0 && !plan.slots.empty()
                           ? static_cast<double>(plan.slots.size()) / slots
                           : 1.0 / 8;
  const uint64_t budget =
      std::max<uint64_t>(kMinRangeScanBudget,
                         static_cast<uint64_t>((rows + memtable_rows) * share));
  // The range's entries estimated from the segments' sampled key offsets and
  // the memtables' statistics: a range clearly over the budget is not read
  // at all ("" is the least key under the bytewise comparator).
  const Slice lower =
      filter.range_lower() != nullptr ? *filter.range_lower() : Slice();
  uint64_t in_files = 0, in_memtables = memtable_rows;
  rocksdb::SizeApproximationOptions files_only;
  files_only.include_memtables = false;
  files_only.include_files = true;
  if (filter.range_upper() != nullptr) {
    const rocksdb::Range range(lower, *filter.range_upper());
    if (!db_->GetApproximateSizes(files_only, cf_, &range, 1, &in_files).ok()) {
      return budget;  // no estimate: the scan's own budget decides
    }
    uint64_t size = 0;
    db_->GetApproximateMemTableStats(cf_, range, &in_memtables, &size);
  } else {
    const rocksdb::Range below(Slice(), lower);
    uint64_t below_bytes = 0;
    if (!db_->GetApproximateSizes(files_only, cf_, &below, 1, &below_bytes)
             .ok()) {
      return budget;
    }
    in_files = bytes - std::min(bytes, below_bytes);
  }
  const double estimate =
      (bytes == 0
           ? 0.0
           : static_cast<double>(rows) *
                 std::min<double>(1.0, static_cast<double>(in_files) / bytes)) +
      in_memtables;
  return estimate > 2.0 * budget ? 0 : budget;
}

Status VectorIndexImpl::SearchFiltered(const PinnedView& view,
                                       const rocksdb::Snapshot* snapshot,
                                       const SearchOptions& options,
                                       SearchFilter* filter, const float* query,
                                       size_t k, std::vector<SearchHit>* hits,
                                       SearchStats* stats) {
  const size_t rerank = RerankDepth(options, k);
  // Routing and SQ8 scans run in the index space (index/metric_distance.h),
  // exact distances on the original floats.
  const Metric metric = options_.metric;
  std::vector<float> index_query(query, query + options_.dimension);
  ToIndexSpace(metric, query, options_.dimension, index_query.data());
  const ExactDistance distance(metric, query, options_.dimension);
  const ProbePlan plan =
      PlanProbes(options, codebooks_->current(), options_.dimension,
                 index_query.data(), metric);
  if (filter->empty()) {
    hits->clear();
    return Status::OK();
  }
  if (filter->has_range() && !plan.exhaustive) {
    // A range that ends within about what the probes would scan is read in
    // key order instead (exact). An exhaustive search scans every bucket.
    bool complete = false;
    Status s =
        ScanKeyRange(db_, cf_, snapshot, filter, distance, options_.dimension,
                     k, RangeScanBudget(view, plan, *filter),
                     options.return_vectors, hits, stats, &complete);
    if (!s.ok() || complete) return s;
  }
  // A filtered search probes a second round, widened by the pass rate
  // sampled in the first, so about as many passing vectors are scanned as
  // an unfiltered search scans.
  const bool widen = filter->active() && !plan.exhaustive;
  auto rounds = [&](bool rabitq, const BucketSink& sink) {
    Status s = ScanSegments(view, plan, index_query.data(),
                            widen ? filter : nullptr, stats, rabitq, k, sink);
    const double factor = widen ? filter->Widening(kMaxWidening) : 1;
    if (!s.ok() || factor <= 1) return s;
    return ScanSegments(view, WidenPlan(plan, factor, index_query.data()),
                        index_query.data(), nullptr, stats, rabitq, k, sink);
  };
  // With RaBitQ codes in every segment, their error bounds decide which
  // entries are re-ranked (exact over the probed buckets where the bounds
  // hold) instead of a fixed depth.
  const bool bounded =
      !plan.exhaustive && plan.metric == Metric::kL2 && AllHaveRabitq(view);
  if (view.unique_keys()) {
    // Every bucket entry is its key's only version: no point read is needed.
    UniqueKeysRerank unique(snapshot->GetSequenceNumber(), rerank,
                            bounded ? k : 0, view.largest_sequences());
    Status s = rounds(
        bounded,
        [&unique, filter](
            size_t segment, uint32_t b, const BucketDataView& bucket,
            const float* approx, const float* bound,
            const std::shared_ptr<VectorSectionReader::BlobRef>& blob) {
          unique.AddBucket(segment, b, bucket, approx, blob, filter, bound);
        });
    if (!s.ok()) return s;
    return unique.Finish(view.segments(), distance, options_.dimension, k,
                         options.return_vectors, hits, stats);
  }
  // A pool deeper than the re-rank depth: candidates found through versions
  // that are no longer visible are replaced from it (see RerankAtSnapshot).
  // RaBitQ-ranked rows (l2, not exhaustive) are kept by their lower bounds,
  // whatever the depth: which versions are visible is only known once read.
  const bool use_bounds = !plan.exhaustive && plan.metric == Metric::kL2;
  CandidateSet candidates(rerank * kCandidatePoolFactor);
  Status s = rounds(
      bounded,
      [&candidates, filter, use_bounds](
          size_t /*segment*/, uint32_t /*bucket*/, const BucketDataView& bucket,
          const float* approx, const float* bound,
          const std::shared_ptr<VectorSectionReader::BlobRef>& blob) {
        if (use_bounds && bound != nullptr) {
          // The keys' Slices are read only if verified (a cache miss each).
          for (uint32_t r = 0; r < bucket.num_rows; ++r) {
            const float lower = approx[r] - bound[r];
            if (!std::isnan(lower))
              candidates.AddBounded(lower, &bucket.keys[r]);
          }
          candidates.KeepAlive(blob);
          return;
        }
        bool kept = false;
        for (uint32_t r = 0; r < bucket.num_rows; ++r) {
          if (approx[r] < candidates.threshold()) {
            const Slice key = UserKeyOf(bucket.keys[r]);
            if (filter->Passes(key) && candidates.Add(key, approx[r])) {
              kept = true;
            }
          }
        }
        if (kept) candidates.KeepAlive(blob);  // the kept keys point into it
      });
  if (!s.ok()) return s;
  // Memtable candidates (exact distances) join the bounded ones unless a
  // segment was ranked by SQ8 codes: they keep the fixed depth together.
  CollectMemtables(view, distance, k, options.exhaustive, filter,
                   use_bounds && (bounded || !candidates.bounded().empty()),
                   &candidates, stats);
  return RerankAtSnapshot(db_, cf_, snapshot, distance, options_.dimension,
                          candidates, k, rerank, options.return_vectors, hits,
                          stats, filter);
}

void VectorIndexImpl::CollectMemtables(const PinnedView& view,
                                       const ExactDistance& distance, size_t k,
                                       bool exhaustive, SearchFilter* filter,
                                       bool bounded, CandidateSet* candidates,
                                       SearchStats* stats) const {
  const uint32_t dim = options_.dimension;
  // A filtered search asks the graphs for more rows, by the pass rate
  // sampled in the segments (or, without segments, in the memtables), and
  // scans a memtable whose graph it would ask for a quarter of its rows.
  const bool filtered = filter->active() && !exhaustive;
  if (filtered && filter->sampled() == 0) {
    for (const auto& arena : view.arenas()) {
      const FreshVectorArena::View rows = arena->Snapshot();
      const size_t step = std::max<size_t>(1, rows.size / kMemtableSamples);
      for (size_t r = 0; r < rows.size; r += step) {
        filter->Sample(UserKeyOf(rows.key(r)));
      }
    }
  }
  const size_t want =
      filtered
          ? static_cast<size_t>(std::ceil(k * filter->Widening(kMaxWidening)))
          : k;
  // Bounded, an exact distance bounds itself: every scanned version of a key
  // is then verified by the same rule (the filter is checked then).
  auto add = [&](const Slice& internal_key, float d) {
    if (bounded) {
      if (!std::isnan(d)) candidates->AddBounded(d, UserKeyOf(internal_key));
    } else if (d < candidates->threshold()) {
      const Slice key = UserKeyOf(internal_key);
      if (filter->Passes(key)) candidates->Add(key, d);
    }
  };
  std::vector<std::pair<float, uint32_t>> found;
  for (const auto& arena : view.arenas()) {
    if (arena->dim() != dim) continue;
    const FreshVectorArena::View rows = arena->Snapshot();
    // The graph answers for the rows it indexed; the rest are scanned.
    size_t first_scanned = 0;
    if (!exhaustive && (!filtered || 4 * want < rows.size)) {
      found.clear();
      arena->graph()->Search(distance.query(), want, &found, &first_scanned);
      first_scanned = std::min(first_scanned, rows.size);
      for (const auto& [d, row] : found) {
        if (row < rows.size) add(rows.key(row), d);
      }
      stats->memtable_graph_results += found.size();
    }
    for (size_t r = first_scanned; r < rows.size; ++r) {
      add(rows.key(r), distance(rows.vector(r)));
    }
    stats->memtable_vectors_scanned += rows.size - first_scanned;
  }
}

Status VectorIndexImpl::ScanSegments(const PinnedView& view,
                                     const ProbePlan& plan, const float* query,
                                     SearchFilter* sampler, SearchStats* stats,
                                     bool rabitq, size_t k,
                                     const BucketSink& sink) const {
  const uint32_t dim = options_.dimension;
  std::vector<float> approx, bound;
  DeferredRefinement deferred(k);
  // The query rotated once for every segment of the same rotation (kept for
  // the deferred refinement).
  std::vector<std::unique_ptr<RabitqScanner>> rabitq_scanners;
  const RabitqScanner* rabitq_scanner = nullptr;
  for (size_t i = 0; i < view.segments().size(); ++i) {
    const VectorSectionReader* segment = view.segments()[i];
    const BucketDirectory& dir = segment->directory();
    if (dir.buckets.empty()) continue;
    if (dir.dim != dim) {
      return Status::Corruption("drift: segment of dimension " +
                                std::to_string(dir.dim) + " in a " +
                                std::to_string(dim) + "-d column family");
    }
    // A segment of another epoch routes by its centroids, which its reader
    // does not keep in RAM.
    VectorSectionReader::BlobRef centroids;
    if (RoutesOwnCentroids(dir, plan)) {
      Status s = segment->GetCentroids(&centroids);
      if (!s.ok()) return s;
    }
    const std::vector<uint32_t> buckets = BucketsToProbe(
        dir, centroids.floats(),
        [segment](uint32_t slot) { return segment->BucketOfSlot(slot); }, plan,
        query);
    if (buckets.empty()) continue;
    // RaBitQ codes (l2 segments only) or the SQ8 query prepared once per
    // segment: SQ8 L2 in the index space (half of it is 1 - cos under
    // cosine) or -q.x under ip, so candidates of segments and memtables
    // compare in the metric's distance.
    // A segment without SQ8 codes is ranked by its RaBitQ estimates either
    // way (without `rabitq` its bounds go unused).
    const RabitqRotation* rotation =
        rabitq || !segment->has_sq8_codes() ? segment->rabitq() : nullptr;
    if (rotation != nullptr && (rabitq_scanner == nullptr ||
                                !rabitq_scanner->SameRotation(*rotation))) {
      rabitq_scanners.emplace_back(new RabitqScanner(*rotation, query));
      rabitq_scanner = rabitq_scanners.back().get();
    }
    const bool ip = plan.metric == Metric::kInnerProduct;
    const float l2_scale = FromIndexSpaceL2(plan.metric, 1.0f);
    std::optional<SQ8Scanner> l2_scanner;
    std::optional<SQ8DotScanner> dot_scanner;
    if (rotation == nullptr && ip) {
      dot_scanner.emplace(segment->sq8(), query);
    } else if (rotation == nullptr) {
      l2_scanner.emplace(segment->sq8(), query);
    }
    // Each bucket is fetched and its scanned data prefetched while the one
    // before it is scanned (pinned buckets are in RAM, rarely in cache).
    std::shared_ptr<VectorSectionReader::BlobRef> next;
    auto fetch = [&](uint32_t b) {
      next = std::make_shared<VectorSectionReader::BlobRef>();
      Status s = segment->GetBucket(b, next.get());
      if (s.ok()) PrefetchScannedData(next->bucket(), rotation != nullptr);
      return s;
    };
    Status s = fetch(buckets[0]);
    if (!s.ok()) return s;
    for (size_t j = 0; j < buckets.size(); ++j) {
      const uint32_t b = buckets[j];
      const std::shared_ptr<VectorSectionReader::BlobRef> blob =
          std::move(next);
      if (j + 1 < buckets.size()) {
        s = fetch(buckets[j + 1]);
        if (!s.ok()) return s;
      }
      const BucketDataView& bucket = blob->bucket();
      approx.resize(bucket.num_rows);
      const auto* codes = reinterpret_cast<const uint8_t*>(bucket.codes.data());
      if (rotation != nullptr) {
        bound.resize(bucket.num_rows);
        rabitq_scanner->ScanBucket(bucket.rabitq_centroid, bucket.rabitq_codes,
                                   bucket.rabitq_factors, bucket.num_rows,
                                   approx.data(), bound.data());
      } else if (ip) {
        dot_scanner->ScanNegDot(codes, bucket.num_rows, approx.data());
      } else {
        l2_scanner->ScanL2(codes, bucket.num_rows, approx.data());
        if (l2_scale != 1.0f) {
          for (float& a : approx) a *= l2_scale;
        }
      }
      ++stats->buckets_probed;
      stats->segment_vectors_scanned += bucket.num_rows;
      if (sampler != nullptr) {
        for (uint32_t r = 0; r < bucket.num_rows; r += kSampleStride) {
          sampler->Sample(UserKeyOf(bucket.keys[r]));
        }
      }
      if (rotation != nullptr && k > 0 && bucket.rabitq_ex.ex_bits > 0) {
        deferred.Add(i, b, blob, rabitq_scanner, approx.data(), bound.data());
        continue;
      }
      sink(i, b, bucket, approx.data(),
           rotation != nullptr ? bound.data() : nullptr, blob);
    }
  }
  deferred.Finish(sink);
  return Status::OK();
}

}  // namespace drift
