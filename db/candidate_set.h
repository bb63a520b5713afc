// CandidateSet: the best `capacity` candidates (user key, approximate distance)
// seen so far, deduplicated by user key. A search fills it from every source
// and then re-ranks what it kept with exact, MVCC-visible values.
#pragma once

#include <cstddef>
#include <limits>
#include <string>
#include <unordered_map>
#include <vector>

#include "rocksdb/slice.h"

namespace drift {

class CandidateSet {
 public:
  // capacity 0 = unbounded (exhaustive search keeps every key).
  explicit CandidateSet(size_t capacity) : capacity_(capacity) {}

  // Distance a candidate must beat to be kept (infinity until full).
  float threshold() const {
    return capacity_ == 0 || best_.size() < capacity_
               ? std::numeric_limits<float>::infinity()
               : heap_.front().first;
  }

  void Add(const rocksdb::Slice& user_key, float distance);

  // The kept candidates, nearest (by approximate distance) first.
  std::vector<std::pair<float, std::string>> Sorted() const;
  size_t size() const { return best_.size(); }

 private:
  void PopWorst();

  const size_t capacity_;
  // Max-heap on distance of (distance, key); best_ maps key -> its distance.
  std::vector<std::pair<float, std::string>> heap_;
  std::unordered_map<std::string, float> best_;
};

}  // namespace drift
