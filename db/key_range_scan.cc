#include "db/key_range_scan.h"

#include <algorithm>
#include <memory>

#include "db/search_filter.h"
#include "index/metric_distance.h"
#include "util/vector_value.h"

namespace drift {
namespace {

// Search's order: ascending distance, ties by key.
bool ByDistance(const SearchHit& a, const SearchHit& b) {
  return a.distance != b.distance ? a.distance < b.distance : a.key < b.key;
}

}  // namespace

rocksdb::Status ScanKeyRange(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf,
                             const rocksdb::Snapshot* snapshot,
                             SearchFilter* filter,
                             const ExactDistance& distance, uint32_t dim,
                             size_t k, uint64_t budget, bool with_vectors,
                             std::vector<SearchHit>* hits, SearchStats* stats,
                             bool* complete) {
  *complete = false;
  hits->clear();
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot;
  ro.iterate_lower_bound = filter->range_lower();
  ro.iterate_upper_bound = filter->range_upper();
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro, cf));
  std::vector<float> v(dim);
  uint64_t read = 0;
  if (ro.iterate_lower_bound != nullptr) {
    it->Seek(*ro.iterate_lower_bound);
  } else {
    it->SeekToFirst();
  }
  for (; it->Valid(); it->Next()) {
    if (++read > budget) break;
    const rocksdb::Slice value = it->value();
    if (!IsVectorValue(value, dim)) continue;
    DecodeVector(value, dim, v.data());
    if (!CheckFinite(v.data(), dim).ok()) continue;
    const float d = distance(v.data());
    if (distance.NeverMatches(d)) continue;
    // hits is a max-heap of at most k: only a key that would enter it costs
    // a predicate call.
    if (hits->size() >= k) {
      const SearchHit& worst = hits->front();
      if (d > worst.distance ||
          (d == worst.distance && it->key().compare(worst.key) >= 0)) {
        continue;
      }
    }
    if (!filter->Passes(it->key())) continue;
    hits->push_back({it->key().ToString(), d});
    if (with_vectors) hits->back().vector = v;
    std::push_heap(hits->begin(), hits->end(), ByDistance);
    if (hits->size() > k) {
      std::pop_heap(hits->begin(), hits->end(), ByDistance);
      hits->pop_back();
    }
  }
  stats->range_vectors_scanned += std::min(read, budget);
  if (!it->status().ok()) return it->status();
  if (!filter->status().ok()) return filter->status();
  if (read > budget) return rocksdb::Status::OK();
  std::sort_heap(hits->begin(), hits->end(), ByDistance);
  *complete = true;
  return rocksdb::Status::OK();
}

}  // namespace drift
