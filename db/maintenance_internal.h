// What the db/maintenance*.cc files share: the training sample's size and
// the elapsed-time figure of their log lines and counters.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>

namespace drift {
namespace maintenance_internal {

// Bytes of vectors a training sample may hold (k-means runs on at most 64
// points per centroid anyway, see KMeansOptions).
constexpr size_t kSampleBudgetBytes = 64u << 20;

// Vectors in a training (or bucket-edit) sample of dimension `dim`.
inline size_t SampleSize(uint32_t dim) {
  const size_t by_budget = kSampleBudgetBytes / (size_t{dim} * sizeof(float));
  return std::max<size_t>(4096, std::min<size_t>(65536, by_budget));
}

inline double MillisSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(
             std::chrono::steady_clock::now() - start)
      .count();
}

}  // namespace maintenance_internal
}  // namespace drift
