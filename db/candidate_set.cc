#include "db/candidate_set.h"

#include <algorithm>

#include "table/internal_key.h"

namespace drift {

CandidateSet::CandidateSet(size_t capacity) : capacity_(capacity) {
  if (capacity_ != 0) {
    heap_.reserve(2 * capacity_);
    best_.reserve(capacity_ + 1);
  }
}

bool CandidateSet::Add(const rocksdb::Slice& user_key, float distance) {
  if (!(distance < threshold())) return false;
  const std::string_view key(user_key.data(), user_key.size());
  auto it = best_.find(key);
  if (it != best_.end()) {
    // Keep one entry per key: its best distance (the heap keeps a stale twin,
    // skipped when popped).
    if (distance >= it->second) return false;
    it->second = distance;
  } else if (capacity_ != 0 && best_.size() == capacity_) {
    // Full: the worst entry's node takes the new key (no allocation). The
    // new distance beats the threshold, so the worst is another key.
    auto node = best_.extract(PopWorst());
    node.key() = key;
    node.mapped() = distance;
    best_.insert(std::move(node));
  } else {
    best_.emplace(key, distance);
  }
  heap_.emplace_back(distance, key);
  std::push_heap(heap_.begin(), heap_.end());
  return true;
}

rocksdb::Slice CandidateSet::Bounded::UserKey() const {
  return internal_key != nullptr ? UserKeyOf(*internal_key) : user_key;
}

CandidateSet::Map::const_iterator CandidateSet::PopWorst() {
  for (;;) {  // best_ is not empty: some heap entry is live
    std::pop_heap(heap_.begin(), heap_.end());
    const auto [dist, key] = heap_.back();
    heap_.pop_back();
    auto it = best_.find(key);
    if (it != best_.end() && it->second == dist) return it;
  }
}

std::vector<std::pair<float, rocksdb::Slice>> CandidateSet::Sorted() const {
  std::vector<std::pair<float, rocksdb::Slice>> out;
  out.reserve(best_.size());
  for (const auto& [k, d] : best_) {
    out.emplace_back(d, rocksdb::Slice(k.data(), k.size()));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first < b.first
                              : a.second.compare(b.second) < 0;
  });
  return out;
}

}  // namespace drift
