#include "db/candidate_set.h"

#include <algorithm>

namespace drift {

void CandidateSet::Add(const rocksdb::Slice& user_key, float distance) {
  if (!(distance < threshold())) return;
  std::string key = user_key.ToString();
  auto it = best_.find(key);
  if (it != best_.end()) {
    // Keep one entry per key: its best distance (the heap keeps a stale twin,
    // skipped when popped).
    if (distance >= it->second) return;
    it->second = distance;
  } else {
    best_.emplace(key, distance);
  }
  heap_.emplace_back(distance, std::move(key));
  std::push_heap(heap_.begin(), heap_.end());
  while (capacity_ != 0 && best_.size() > capacity_) PopWorst();
}

void CandidateSet::PopWorst() {
  while (!heap_.empty()) {
    std::pop_heap(heap_.begin(), heap_.end());
    auto [dist, key] = std::move(heap_.back());
    heap_.pop_back();
    auto it = best_.find(key);
    if (it != best_.end() && it->second == dist) {
      best_.erase(it);
      return;
    }
  }
}

std::vector<std::pair<float, std::string>> CandidateSet::Sorted() const {
  std::vector<std::pair<float, std::string>> out;
  out.reserve(best_.size());
  for (const auto& [k, d] : best_) out.emplace_back(d, k);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace drift
