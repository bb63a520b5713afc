// k-means clustering for IVF bucket centroids.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "rocksdb/status.h"

namespace drift {

struct KMeansOptions {
  size_t max_sample =
      65536;  // Lloyd iterations run on at most this many points
  int iterations = 8;
  uint64_t seed = 1234;
};

// k-means++ seeding and Lloyd iterations on a sample of x (n x d); `centroids`
// receives min(k, n) x d floats. Deterministic for a seed. Empty clusters are
// re-seeded by splitting the largest.
rocksdb::Status KMeans(const float* x, size_t n, size_t d, size_t k,
                       const KMeansOptions& opt, std::vector<float>* centroids);

}  // namespace drift
