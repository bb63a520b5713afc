#include "db/rerank.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <string_view>
#include <unordered_set>

#include "db/candidate_set.h"
#include "db/search_filter.h"
#include "table/internal_key.h"
#include "util/vector_value.h"

namespace drift {

using rocksdb::Slice;
using rocksdb::Status;

namespace {

// Ascending by distance, ties by key; keeps the first k that match.
void SortAndTruncate(const ExactDistance& distance, size_t k,
                     std::vector<SearchHit>* hits) {
  hits->erase(std::remove_if(hits->begin(), hits->end(),
                             [&distance](const SearchHit& h) {
                               return distance.NeverMatches(h.distance);
                             }),
              hits->end());
  auto by_distance = [](const SearchHit& a, const SearchHit& b) {
    return a.distance != b.distance ? a.distance < b.distance : a.key < b.key;
  };
  if (hits->size() > k) {
    std::partial_sort(hits->begin(), hits->begin() + k, hits->end(),
                      by_distance);
    hits->resize(k);
  } else {
    std::sort(hits->begin(), hits->end(), by_distance);
  }
}

}  // namespace

bool UniqueKeysRerank::Keeps(const BucketDataView& bucket, uint32_t r,
                             bool all_visible, SearchFilter* filter) const {
  return (all_visible || SequenceOf(bucket.keys[r]) <= visible_) &&
         (filter == nullptr || filter->Passes(UserKeyOf(bucket.keys[r])));
}

void UniqueKeysRerank::AddBucket(
    size_t segment, uint32_t b, const BucketDataView& bucket,
    const float* approx,
    const std::shared_ptr<VectorSectionReader::BlobRef>& blob,
    SearchFilter* filter, const float* bound) {
  bool kept = false;
  const bool all_visible = AllVisible(segment);
  if (bound_k_ != 0 && bound != nullptr) {
    for (uint32_t r = 0; r < bucket.num_rows; ++r) {
      // An entry whose lower bound exceeds k upper bounds cannot be among
      // the k nearest, nor lower the k-th upper bound.
      const float lower = approx[r] - bound[r];
      if (!(lower <= uppers_.Kth()) || !Keeps(bucket, r, all_visible, filter))
        continue;
      uppers_.Push(approx[r] + bound[r]);
      heap_.push_back(
          {lower, static_cast<uint32_t>(segment), b, r, bucket.keys[r]});
      kept = true;
    }
    if (kept) blobs_.push_back(blob);
    return;
  }
  for (uint32_t r = 0; r < bucket.num_rows; ++r) {
    if (depth_ != 0 && heap_.size() == depth_ &&
        !(approx[r] < heap_.front().approx)) {
      continue;
    }
    if (!Keeps(bucket, r, all_visible, filter)) continue;
    heap_.push_back(
        {approx[r], static_cast<uint32_t>(segment), b, r, bucket.keys[r]});
    std::push_heap(heap_.begin(), heap_.end());
    if (depth_ != 0 && heap_.size() > depth_) {
      std::pop_heap(heap_.begin(), heap_.end());
      heap_.pop_back();
    }
    kept = true;
  }
  if (kept) blobs_.push_back(blob);
}

std::vector<const UniqueKeysRerank::Candidate*> UniqueKeysRerank::VerifyOrder()
    const {
  std::vector<const Candidate*> order;
  order.reserve(heap_.size());
  const float upper_k = uppers_.Kth();
  for (const Candidate& c : heap_) {
    if (bound_k_ == 0 || c.approx <= upper_k) order.push_back(&c);
  }
  if (bound_k_ != 0) {
    std::sort(order.begin(), order.end(),
              [](const Candidate* a, const Candidate* b) { return *a < *b; });
  }
  return order;
}

namespace {

// Candidates whose rows are resolved and prefetched ahead of the one being
// measured, so the cache misses of the next rows overlap its distance; the
// pins of rows kPinLookahead ahead are prefetched first, so resolving a
// pinned row costs no miss on its own.
constexpr size_t kRowLookahead = 3;
constexpr size_t kPinLookahead = 8;

// The rows of up to kRowLookahead + 1 candidates, by their index in the
// verify order (slot = index % (kRowLookahead + 1)); each slot's BlobRef
// keeps its row alive until the slot is reused (a pinned row lives as long
// as its reader).
class RowLookahead {
 public:
  RowLookahead(const std::vector<const VectorSectionReader*>& segments,
               uint32_t dim)
      : segments_(segments),
        row_bytes_(size_t{dim} * sizeof(float)),
        pinned_reads_(segments.size(), 0) {}
  ~RowLookahead() {
    for (size_t s = 0; s < segments_.size(); ++s) {
      segments_[s]->AddPinnedReads(pinned_reads_[s]);
    }
  }

  void PrefetchPin(uint32_t segment, uint32_t bucket, uint32_t row) const {
    segments_[segment]->PrefetchRowPin(bucket, row);
  }
  void Fetch(size_t index, uint32_t segment, uint32_t bucket, uint32_t row) {
    Slot& slot = slots_[index % kSlots];
    slot.row = segments_[segment]->PinnedRow(bucket, row);
    if (slot.row != nullptr) {
      slot.status = Status::OK();
      ++pinned_reads_[segment];
    } else {
      slot.status =
          segments_[segment]->ReadRowRef(bucket, row, &slot.ref, &slot.row);
      if (!slot.status.ok()) return;
    }
    // Into L2 (as the scan's bucket prefetch): a row is dozens of lines.
    const char* p = reinterpret_cast<const char*>(slot.row);
    for (size_t at = 0; at < row_bytes_; at += 64) {
      __builtin_prefetch(p + at, 0, 2);
    }
  }
  // The row fetched as `index` (or why it could not be read).
  Status Get(size_t index, const float** row) const {
    const Slot& slot = slots_[index % kSlots];
    *row = slot.row;
    return slot.status;
  }

 private:
  static constexpr size_t kSlots = kRowLookahead + 1;
  struct Slot {
    VectorSectionReader::BlobRef ref;
    const float* row = nullptr;
    Status status;
  };
  const std::vector<const VectorSectionReader*>& segments_;
  const size_t row_bytes_;
  std::vector<uint64_t> pinned_reads_;  // per segment, counted once at the end
  Slot slots_[kSlots];
};

}  // namespace

Status UniqueKeysRerank::Finish(
    const std::vector<const VectorSectionReader*>& segments,
    const ExactDistance& distance, uint32_t dim, size_t k, bool with_vectors,
    std::vector<SearchHit>* hits, SearchStats* stats) const {
  hits->clear();
  const std::vector<const Candidate*> order = VerifyOrder();
  // Exact distances of the verified candidates; keys are copied only for the
  // k returned (an exhaustive search measures every vector).
  std::vector<std::pair<float, const Candidate*>> measured;
  measured.reserve(order.size());
  KthSmallest best(bound_k_);  // bounded mode: the k nearest exact
  // Lower bounds ascend: once k exact distances are known, no candidate whose
  // lower bound exceeds the k-th can beat it (nor any after it).
  auto beyond = [&](const Candidate* c) { return best.Excludes(c->approx); };
  RowLookahead rows(segments, dim);
  size_t fetched = 0;
  size_t pin_prefetched = 0;
  for (size_t i = 0; i < order.size() && !beyond(order[i]); ++i) {
    for (; pin_prefetched < order.size() && pin_prefetched <= i + kPinLookahead;
         ++pin_prefetched) {
      const Candidate& c = *order[pin_prefetched];
      rows.PrefetchPin(c.segment, c.bucket, c.row);
    }
    // Only rows that can still be verified are fetched ahead (the k-th
    // exact distance only shrinks).
    for (; fetched < order.size() && fetched <= i + kRowLookahead; ++fetched) {
      const Candidate& c = *order[fetched];
      if (fetched > i && beyond(&c)) break;
      rows.Fetch(fetched, c.segment, c.bucket, c.row);
    }
    const float* row = nullptr;
    Status s = rows.Get(i, &row);
    if (!s.ok()) return s;
    measured.emplace_back(distance(row), order[i]);
    best.Push(measured.back().first);
  }
  stats->candidates_verified += measured.size();
  measured.erase(std::remove_if(measured.begin(), measured.end(),
                                [&distance](const auto& m) {
                                  return distance.NeverMatches(m.first);
                                }),
                 measured.end());
  // Ascending by distance, ties by user key (as SortAndTruncate's hits).
  auto by_distance = [](const auto& a, const auto& b) {
    return a.first != b.first
               ? a.first < b.first
               : UserKeyOf(a.second->internal_key)
                         .compare(UserKeyOf(b.second->internal_key)) < 0;
  };
  const size_t keep = std::min(k, measured.size());
  std::partial_sort(measured.begin(), measured.begin() + keep, measured.end(),
                    by_distance);
  hits->resize(keep);
  VectorSectionReader::BlobRef row_ref;
  for (size_t i = 0; i < keep; ++i) {
    const Candidate& c = *measured[i].second;
    SearchHit& hit = (*hits)[i];
    hit.key = UserKeyOf(c.internal_key).ToString();
    hit.distance = measured[i].first;
    if (!with_vectors) continue;
    const float* row = nullptr;
    Status s = segments[c.segment]->ReadRowRef(c.bucket, c.row, &row_ref, &row);
    if (!s.ok()) return s;
    hit.vector.assign(row, row + dim);
  }
  return Status::OK();
}

namespace {

// Reads `keys` at `ro`'s snapshot; calls visit(i, v) for each, v being its
// visible vector (finite, decoded into a buffer reused per key) or nullptr
// (deleted, not a vector, or not finite).
template <typename Visit>
Status ReadVisible(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf,
                   const rocksdb::ReadOptions& ro, uint32_t dim,
                   const std::vector<Slice>& keys, SearchStats* stats,
                   const Visit& visit) {
  const size_t n = keys.size();
  std::vector<rocksdb::PinnableSlice> values(n);
  std::vector<Status> statuses(n);
  db->MultiGet(ro, cf, n, keys.data(), values.data(), statuses.data());
  stats->candidates_verified += n;
  stats->point_reads += n;
  std::vector<float> v(dim);
  for (size_t i = 0; i < n; ++i) {
    const Status& st = statuses[i];
    if (!st.ok() && !st.IsNotFound()) return st;
    bool found = st.ok() && IsVectorValue(values[i], dim);
    if (found) {
      DecodeVector(values[i], dim, v.data());
      found = CheckFinite(v.data(), dim).ok();
    }
    visit(i, found ? &v : nullptr);
  }
  return Status::OK();
}

// Verifies the bounded candidates in order of their lower bounds, k at a
// time, until the next lower bound exceeds the k-th exact distance of the
// hits (those of the fixed-depth candidates included: each is a visible
// newest version). A key is read once (`verified`), whichever of its
// versions' bounds comes first: the read gives its visible vector.
Status VerifyBounded(
    rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf,
    const rocksdb::ReadOptions& ro, const ExactDistance& distance, uint32_t dim,
    const CandidateSet& candidates, size_t k, SearchFilter* filter,
    std::unordered_set<std::string_view>* verified,
    const std::function<void(Slice, float, std::vector<float>*)>& hit,
    const std::vector<SearchHit>& hits, SearchStats* stats) {
  KthSmallest best(k);
  for (const SearchHit& h : hits) {
    if (!distance.NeverMatches(h.distance)) best.Push(h.distance);
  }
  // A min-heap on the lower bound: only the verified prefix is ordered.
  std::vector<CandidateSet::Bounded> heap = candidates.bounded();
  auto after = [](const CandidateSet::Bounded& a,
                  const CandidateSet::Bounded& b) { return a.lower > b.lower; };
  std::make_heap(heap.begin(), heap.end(), after);
  std::vector<Slice> keys;
  while (!heap.empty()) {
    keys.clear();
    while (!heap.empty() && keys.size() < k &&
           !best.Excludes(heap.front().lower)) {
      const Slice key = heap.front().UserKey();
      std::pop_heap(heap.begin(), heap.end(), after);
      heap.pop_back();
      if (!verified->emplace(key.data(), key.size()).second) continue;
      if (filter == nullptr || filter->Passes(key)) keys.push_back(key);
    }
    if (keys.empty()) break;
    Status s = ReadVisible(db, cf, ro, dim, keys, stats,
                           [&](size_t i, std::vector<float>* v) {
                             if (v == nullptr) return;
                             const float exact = distance(v->data());
                             best.Push(exact);
                             hit(keys[i], exact, v);
                           });
    if (!s.ok()) return s;
  }
  return Status::OK();
}

}  // namespace

Status RerankAtSnapshot(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf,
                        const rocksdb::Snapshot* snapshot,
                        const ExactDistance& distance, uint32_t dim,
                        const CandidateSet& candidates, size_t k, size_t rerank,
                        bool with_vectors, std::vector<SearchHit>* hits,
                        SearchStats* stats, SearchFilter* filter) {
  const std::vector<std::pair<float, Slice>> pool = candidates.Sorted();
  hits->clear();
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot;
  auto hit = [&](Slice key, float exact, std::vector<float>* v) {
    hits->push_back({key.ToString(), exact});
    if (with_vectors) {
      hits->back().vector = *v;
      // Bounds the vectors held when every candidate is verified.
      if (hits->size() >= 2 * k + 64) SortAndTruncate(distance, k, hits);
    }
  };
  // The fixed depth: a candidate is stale when its visible vector is much
  // farther than the approximate distance it was found with (an older
  // version was near): by more than the approximate distance's magnitude
  // plus half the k-th's (distances are negative under ip).
  const float slack =
      pool.empty() ? 0.0f
                   : 0.5f * std::abs(pool[std::min(k, pool.size()) - 1].first);
  size_t next = 0;
  size_t want = rerank == 0 ? pool.size() : rerank;
  std::vector<Slice> keys;
  while (want > 0 && next < pool.size()) {
    const size_t end = std::min(pool.size(), next + want);
    keys.clear();
    for (size_t i = next; i < end; ++i) keys.push_back(pool[i].second);
    size_t stale = 0;
    Status s = ReadVisible(db, cf, ro, dim, keys, stats,
                           [&](size_t i, std::vector<float>* v) {
                             if (v == nullptr) {
                               ++stale;  // deleted, or not a vector any more
                               return;
                             }
                             const float approx = pool[next + i].first;
                             const float exact = distance(v->data());
                             if (!(exact <= approx + std::abs(approx) + slack))
                               ++stale;
                             hit(keys[i], exact, v);
                           });
    if (!s.ok()) return s;
    next = end;
    want = rerank == 0 ? 0 : stale;
  }
  if (!candidates.bounded().empty()) {
    std::unordered_set<std::string_view> verified;
    for (size_t i = 0; i < next; ++i) {
      verified.emplace(pool[i].second.data(), pool[i].second.size());
    }
    Status s = VerifyBounded(db, cf, ro, distance, dim, candidates, k, filter,
                             &verified, hit, *hits, stats);
    if (!s.ok()) return s;
  }
  SortAndTruncate(distance, k, hits);
  return Status::OK();
}

}  // namespace drift
