#include "index/exact_knn.h"

#include <algorithm>
#include <thread>
#include <vector>

#include "index/distance.h"

namespace drift {

void ExactKnn(const float* base, size_t n, const float* queries, size_t nq,
              size_t d, size_t k, uint32_t* ids) {
  k = std::min(k, n);
  const size_t threads = std::max(1u, std::thread::hardware_concurrency());
  auto work = [&](size_t t) {
    std::vector<float> dist(n);
    std::vector<uint32_t> order(n);
    for (size_t q = t; q < nq; q += threads) {
      L2SqrMany(queries + q * d, base, n, d, dist.data());
      for (uint32_t i = 0; i < n; ++i) order[i] = i;
      std::partial_sort(order.begin(), order.begin() + k, order.end(),
                        [&](uint32_t a, uint32_t b) {
                          return dist[a] != dist[b] ? dist[a] < dist[b] : a < b;
                        });
      std::copy(order.begin(), order.begin() + k, ids + q * k);
    }
  };
  std::vector<std::thread> pool;
  for (size_t t = 0; t < threads; ++t) pool.emplace_back(work, t);
  for (auto& th : pool) th.join();
}

}  // namespace drift
