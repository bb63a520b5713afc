// CandidateSet: the best `capacity` candidates (user key, approximate distance)
// seen so far, deduplicated by user key. A search fills it from every source
// and then re-ranks what it kept with exact, MVCC-visible values.
//
// Candidates with a lower bound on their distance (RaBitQ-ranked rows, and
// exact memtable distances unless a segment was ranked by SQ8) are kept
// apart, all of them: RerankAtSnapshot verifies them in order of their lower
// bounds until none can beat the k-th exact distance (db/rerank.h).
//
// Keys are not copied: a key's bytes must stay valid while the set lives.
// They point into bucket blobs (kept with KeepAlive) and memtable arenas (kept
// by the search's pinned view); a search adds a few hundred keys per query,
// and a copy each (plus its twin in the heap) cost more than the SQ8 scan.
#pragma once

#include <cstddef>
#include <limits>
#include <memory>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "rocksdb/slice.h"

namespace drift {

class CandidateSet {
 public:
  // capacity 0 = unbounded (exhaustive search keeps every key).
  explicit CandidateSet(size_t capacity);

  // Distance a candidate must beat to be kept (infinity until full).
  float threshold() const {
    return capacity_ == 0 || best_.size() < capacity_
               ? std::numeric_limits<float>::infinity()
               : heap_.front().first;
  }
  // Keeps `user_key` (its bytes unchanged while the set lives) at `distance`
  // if it is among the best; true if it was kept.
  bool Add(const rocksdb::Slice& user_key, float distance);
  // Holds `owner` (what kept keys point into) as long as the set.
  void KeepAlive(std::shared_ptr<const void> owner) {
    owners_.push_back(std::move(owner));
  }
  // The kept candidates, nearest (by approximate distance) first; the keys
  // point where Add's did.
  std::vector<std::pair<float, rocksdb::Slice>> Sorted() const;
  size_t size() const { return best_.size(); }

  // A candidate whose distance is at least `lower`: the internal key at
  // `*internal_key` (the Slice itself must stay valid: a bucket's key, read
  // only if verified) or the user key `user_key`. Any number per key.
  struct Bounded {
    float lower;
    const rocksdb::Slice* internal_key;
    rocksdb::Slice user_key;
    rocksdb::Slice UserKey() const;
  };
  void AddBounded(float lower, const rocksdb::Slice* internal_key) {
    bounded_.push_back({lower, internal_key, rocksdb::Slice()});
  }
  void AddBounded(float lower, const rocksdb::Slice& user_key) {
    bounded_.push_back({lower, nullptr, user_key});
  }
  const std::vector<Bounded>& bounded() const { return bounded_; }

 private:
  using Map = std::unordered_map<std::string_view, float>;
  // Pops the heap down to the worst kept entry (best_ not empty) and returns
  // it, still in best_.
  Map::const_iterator PopWorst();

  const size_t capacity_;
  // Max-heap on distance of (distance, key); best_ maps key -> its distance.
  std::vector<std::pair<float, std::string_view>> heap_;
  Map best_;
  std::vector<Bounded> bounded_;
  std::vector<std::shared_ptr<const void>> owners_;
};

}  // namespace drift
