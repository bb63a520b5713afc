#include "db/rerank.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <unordered_map>

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
                             SearchFilter* filter) const {
  return SequenceOf(bucket.keys[r]) <= visible_ &&
         (filter == nullptr || filter->Passes(UserKeyOf(bucket.keys[r])));
}

float UniqueKeysRerank::UpperK() const {
  return bound_k_ == 0 || uppers_.size() < bound_k_
             ? std::numeric_limits<float>::infinity()
             : uppers_.front();
}

void UniqueKeysRerank::AddBucket(
    size_t segment, uint32_t b, const BucketDataView& bucket,
    const float* approx,
    const std::shared_ptr<VectorSectionReader::BlobRef>& blob,
    SearchFilter* filter, const float* bound) {
  bool kept = false;
  if (bound_k_ != 0 && bound != nullptr) {
    for (uint32_t r = 0; r < bucket.num_rows; ++r) {
      // An entry whose lower bound exceeds k upper bounds cannot be among
      // the k nearest, nor lower the k-th upper bound.
      const float lower = approx[r] - bound[r];
      if (!(lower <= UpperK()) || !Keeps(bucket, r, filter)) continue;
      uppers_.push_back(approx[r] + bound[r]);
      std::push_heap(uppers_.begin(), uppers_.end());
      if (uppers_.size() > bound_k_) {
        std::pop_heap(uppers_.begin(), uppers_.end());
        uppers_.pop_back();
      }
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
    if (!Keeps(bucket, r, filter)) continue;
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
  const float upper_k = UpperK();
  for (const Candidate& c : heap_) {
    if (bound_k_ == 0 || c.approx <= upper_k) order.push_back(&c);
  }
  if (bound_k_ != 0) {
    std::sort(order.begin(), order.end(),
              [](const Candidate* a, const Candidate* b) { return *a < *b; });
  }
  return order;
}

Status UniqueKeysRerank::Finish(
    const std::vector<const VectorSectionReader*>& segments,
    const ExactDistance& distance, uint32_t dim, size_t k, bool with_vectors,
    std::vector<SearchHit>* hits, SearchStats* stats) const {
  hits->clear();
  VectorSectionReader::BlobRef row_ref;
  // Hit i is candidate i until sorted; rows are copied only for the k kept
  // (an exhaustive search measures every vector).
  std::unordered_map<std::string, const Candidate*> by_key;
  const std::vector<const Candidate*> order = VerifyOrder();
  std::vector<float> best;  // bounded mode: max-heap of the k nearest exact
  for (const Candidate* c : order) {
    // Lower bounds ascend: none of the rest can beat the k-th exact distance.
    if (bound_k_ != 0 && best.size() == bound_k_ && c->approx > best.front()) {
      break;
    }
    const float* row = nullptr;
    Status s =
        segments[c->segment]->ReadRowRef(c->bucket, c->row, &row_ref, &row);
    if (!s.ok()) return s;
    const Slice key = UserKeyOf(c->internal_key);
    hits->push_back({key.ToString(), distance(row)});
    if (bound_k_ != 0) {
      best.push_back(hits->back().distance);
      std::push_heap(best.begin(), best.end());
      if (best.size() > bound_k_) {
        std::pop_heap(best.begin(), best.end());
        best.pop_back();
      }
    }
  }
  stats->candidates_verified += hits->size();
  if (with_vectors) {
    for (size_t i = 0; i < hits->size(); ++i) by_key[(*hits)[i].key] = order[i];
  }
  SortAndTruncate(distance, k, hits);
  if (!with_vectors) return Status::OK();
  for (SearchHit& hit : *hits) {
    const Candidate& c = *by_key[hit.key];
    const float* row = nullptr;
    Status s = segments[c.segment]->ReadRowRef(c.bucket, c.row, &row_ref, &row);
    if (!s.ok()) return s;
    hit.vector.assign(row, row + dim);
  }
  return Status::OK();
}

Status RerankAtSnapshot(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf,
                        const rocksdb::Snapshot* snapshot,
                        const ExactDistance& distance, uint32_t dim,
                        const CandidateSet& candidates, size_t k, size_t rerank,
                        bool with_vectors, std::vector<SearchHit>* hits,
                        SearchStats* stats) {
  const std::vector<std::pair<float, Slice>> pool = candidates.Sorted();
  hits->clear();
  if (pool.empty()) return Status::OK();
  // A candidate is stale when its visible vector is much farther than the
  // approximate distance it was found with (an older version was near):
  // by more than the approximate distance's magnitude plus half the k-th's
  // (distances are negative under ip).
  const float slack = 0.5f * std::abs(pool[std::min(k, pool.size()) - 1].first);
  std::vector<float> v(dim);
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot;
  size_t next = 0;
  size_t want = rerank == 0 ? pool.size() : rerank;
  while (want > 0 && next < pool.size()) {
    const size_t end = std::min(pool.size(), next + want);
    const size_t n = end - next;
    std::vector<Slice> keys;
    keys.reserve(n);
    for (size_t i = next; i < end; ++i) keys.emplace_back(pool[i].second);
    std::vector<rocksdb::PinnableSlice> values(n);
    std::vector<Status> statuses(n);
    db->MultiGet(ro, cf, n, keys.data(), values.data(), statuses.data());
    stats->candidates_verified += n;
    stats->point_reads += n;
    size_t stale = 0;
    for (size_t i = 0; i < n; ++i) {
      const Status& st = statuses[i];
      if (!st.ok() && !st.IsNotFound()) return st;
      if (st.IsNotFound() || !IsVectorValue(values[i], dim)) {
        ++stale;  // Deleted at the snapshot, or not a vector any more.
        continue;
      }
      DecodeVector(values[i], dim, v.data());
      if (!CheckFinite(v.data(), dim).ok()) {
        ++stale;
        continue;
      }
      const float exact = distance(v.data());
      const float approx = pool[next + i].first;
      if (!(exact <= approx + std::abs(approx) + slack)) ++stale;
      hits->push_back({pool[next + i].second.ToString(), exact});
      if (with_vectors) {
        hits->back().vector = v;
        // Bounds the vectors held when every candidate is verified.
        if (hits->size() >= 2 * k + 64) SortAndTruncate(distance, k, hits);
      }
    }
    next = end;
    want = rerank == 0 ? 0 : stale;
  }
  SortAndTruncate(distance, k, hits);
  return Status::OK();
}

}  // namespace drift
