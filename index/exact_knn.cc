#include "index/exact_knn.h"

#include <algorithm>
#include <queue>
#include <thread>
#include <vector>

#include "index/metric_distance.h"

namespace drift {

namespace {

// Tiles: a base tile stays in cache while a block of queries scans it, so the
// base streams from memory once per query block, not once per query.
constexpr size_t kQueryBlock = 32;
constexpr size_t kBaseTileBytes = 512 << 10;

using Entry = std::pair<float, uint32_t>;  // max-heap: worst of the best on top

void ScanTile(Metric metric, const float* q, const float* tile, size_t rows,
              uint32_t first_id, size_t d, size_t k, float* dist,
              std::vector<Entry>* heap) {
  RoutingDistances(metric, q, tile, rows, d, dist);
  for (size_t i = 0; i < rows; ++i) {
    const Entry e(dist[i], first_id + static_cast<uint32_t>(i));
    if (heap->size() < k) {
      heap->push_back(e);
      std::push_heap(heap->begin(), heap->end());
    } else if (e < heap->front()) {  // pair order breaks ties by lower id
      std::pop_heap(heap->begin(), heap->end());
      heap->back() = e;
      std::push_heap(heap->begin(), heap->end());
    }
  }
}

}  // namespace

void ExactKnn(const float* base, size_t n, const float* queries, size_t nq,
              size_t d, size_t k, uint32_t* ids, Metric metric) {
  k = std::min(k, n);
  const size_t tile_rows =
      std::max<size_t>(1, kBaseTileBytes / (d * sizeof(float)));
  const size_t blocks = (nq + kQueryBlock - 1) / kQueryBlock;
  const size_t threads = std::max(1u, std::thread::hardware_concurrency());
  auto work = [&](size_t t) {
    std::vector<std::vector<Entry>> heaps(kQueryBlock);
    std::vector<float> dist(tile_rows);
    for (size_t b = t; b < blocks; b += threads) {
      const size_t q0 = b * kQueryBlock, q1 = std::min(nq, q0 + kQueryBlock);
      for (auto& h : heaps) h.clear();
      for (size_t r = 0; r < n; r += tile_rows) {
        const size_t rows = std::min(tile_rows, n - r);
        for (size_t q = q0; q < q1; ++q) {
          ScanTile(metric, queries + q * d, base + r * d, rows,
                   static_cast<uint32_t>(r), d, k, dist.data(), &heaps[q - q0]);
        }
      }
      for (size_t q = q0; q < q1; ++q) {
        std::vector<Entry>& h = heaps[q - q0];
        std::sort_heap(h.begin(), h.end());
        for (size_t i = 0; i < k; ++i) ids[q * k + i] = h[i].second;
      }
    }
  };
  std::vector<std::thread> pool;
  for (size_t t = 0; t < threads; ++t) pool.emplace_back(work, t);
  for (auto& th : pool) th.join();
}

}  // namespace drift
