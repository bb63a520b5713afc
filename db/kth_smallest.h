// KthSmallest: the k smallest of the values pushed (a max-heap), for the
// bound-based re-rank (db/rerank.h): the k-th smallest upper bound, or the
// k-th smallest exact distance that verification stops at.
#pragma once

#include <algorithm>
#include <cstddef>
#include <limits>
#include <vector>

namespace drift {

class KthSmallest {
 public:
  explicit KthSmallest(size_t k) : k_(k) { heap_.reserve(k + 1); }

  void Push(float value) {
    if (k_ == 0) return;
    heap_.push_back(value);
    std::push_heap(heap_.begin(), heap_.end());
    if (heap_.size() > k_) {
      std::pop_heap(heap_.begin(), heap_.end());
      heap_.pop_back();
    }
  }
  // The k-th smallest value pushed; infinity before k (or with k 0).
  float Kth() const {
    return k_ == 0 || heap_.size() < k_ ? std::numeric_limits<float>::infinity()
                                        : heap_.front();
  }
  // Whether a candidate whose distance is at least `lower` can no longer be
  // among the k smallest.
  bool Excludes(float lower) const { return lower > Kth(); }

 private:
  const size_t k_;
  std::vector<float> heap_;  // max-heap of at most k_
};

}  // namespace drift
