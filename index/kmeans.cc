#include "index/kmeans.h"

#include <algorithm>
#include <numeric>
#include <random>

#include "index/distance.h"

namespace drift {

namespace {

// k-means++: each next centre drawn with probability proportional to the
// squared distance to the nearest centre so far.
void SeedPlusPlus(const float* x, size_t n, size_t d, size_t k,
                  std::mt19937_64* rng, std::vector<float>* centroids) {
  const size_t first = (*rng)() % n;
  centroids->assign(x + first * d, x + first * d + d);
  std::vector<float> nearest(n);
  L2SqrMany(centroids->data(), x, n, d, nearest.data());
  std::vector<float> tmp(n);
  for (size_t c = 1; c < k; ++c) {
    const double total = std::accumulate(nearest.begin(), nearest.end(), 0.0);
    size_t pick = (*rng)() % n;
    if (total > 0) {
      double r = std::uniform_real_distribution<double>(0, total)(*rng);
      for (size_t i = 0; i < n; ++i) {
        r -= nearest[i];
        if (r <= 0) {
          pick = i;
          break;
        }
      }
    }
    centroids->insert(centroids->end(), x + pick * d, x + pick * d + d);
    L2SqrMany(x + pick * d, x, n, d, tmp.data());
    for (size_t i = 0; i < n; ++i) nearest[i] = std::min(nearest[i], tmp[i]);
  }
}

}  // namespace

rocksdb::Status KMeans(const float* x, size_t n, size_t d, size_t k,
                       const KMeansOptions& opt,
                       std::vector<float>* centroids) {
  if (n == 0 || d == 0 || k == 0) {
    return rocksdb::Status::InvalidArgument("KMeans: needs n, d, k > 0");
  }
  k = std::min(k, n);
  std::mt19937_64 rng(opt.seed);
  // Sample without replacement when n is large.
  std::vector<float> sample_store;
  const float* s = x;
  size_t m = n;
  if (n > opt.max_sample) {
    std::vector<size_t> idx(n);
    std::iota(idx.begin(), idx.end(), 0);
    std::shuffle(idx.begin(), idx.end(), rng);
    m = opt.max_sample;
    sample_store.resize(m * d);
    for (size_t i = 0; i < m; ++i) {
      std::copy(x + idx[i] * d, x + idx[i] * d + d,
                sample_store.begin() + i * d);
    }
    s = sample_store.data();
  }
  SeedPlusPlus(s, m, d, k, &rng, centroids);
  std::vector<uint32_t> assign(m);
  std::vector<double> sums(k * d);
  std::vector<size_t> counts(k);
  for (int it = 0; it < opt.iterations; ++it) {
    AssignNearest(s, m, centroids->data(), k, d, assign.data(), nullptr);
    std::fill(sums.begin(), sums.end(), 0.0);
    std::fill(counts.begin(), counts.end(), 0);
    for (size_t i = 0; i < m; ++i) {
      ++counts[assign[i]];
      double* sum = &sums[assign[i] * d];
      for (size_t j = 0; j < d; ++j) sum[j] += s[i * d + j];
    }
    for (size_t c = 0; c < k; ++c) {
      if (counts[c] == 0) {
        // Re-seed an empty cluster near the largest one, nudged apart.
        const size_t big =
            std::max_element(counts.begin(), counts.end()) - counts.begin();
        for (size_t j = 0; j < d; ++j) {
          (*centroids)[c * d + j] =
              (*centroids)[big * d + j] * (1 + 1e-4f) + 1e-6f;
        }
        continue;
      }
      for (size_t j = 0; j < d; ++j) {
        (*centroids)[c * d + j] =
            static_cast<float>(sums[c * d + j] / counts[c]);
      }
    }
  }
  return rocksdb::Status::OK();
}

}  // namespace drift
