#include "db/fresh_graph.h"

// hnswlib 0.6.2's SSE path prefetches from one element past the end of a full
// link list (an out-of-bounds read that AddressSanitizer reports). Its SIMD
// distances are not used here (RowSpace uses Drift's kernels), so the manual
// vectorization is switched off for this file.
#define NO_MANUAL_VECTORIZATION
#include <hnswlib/hnswlib.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <new>
#include <stdexcept>

#include "db/fresh_vector_arena.h"
#include "index/metric_distance.h"

namespace drift {

// hnswlib "space" whose stored data is a pointer to an arena row; distances
// are the metric's (SearchHit::distance), except that a zero vector under
// cosine is at 1 (cos 0) so the graph stays well formed; searches re-rank
// graph results with ExactDistance, which drops it.
class FreshGraph::RowSpace : public hnswlib::SpaceInterface<float> {
 public:
  RowSpace(size_t dim, Metric metric) : param_{dim, metric} {}
  size_t get_data_size() override { return sizeof(const float*); }
  hnswlib::DISTFUNC<float> get_dist_func() override { return &Distance; }
  void* get_dist_func_param() override { return &param_; }

 private:
  struct Param {
    size_t dim;
    Metric metric;
  };
  // hnswlib keeps each element's data at a 4-byte-aligned offset: the stored
  // pointer is read with memcpy, not dereferenced in place.
  static float Distance(const void* a, const void* b, const void* param) {
    const float* x;
    const float* y;
    std::memcpy(&x, a, sizeof(x));
    std::memcpy(&y, b, sizeof(y));
    const Param& p = *static_cast<const Param*>(param);
    const float d = ExactDistance(p.metric, x, p.dim)(y);
    return p.metric == Metric::kCosine && std::isinf(d) ? 1.0f : d;
  }
  Param param_;
};

FreshGraph::FreshGraph(const FreshVectorArena* arena,
                       const DriftMemTableOptions& options)
    : arena_(arena),
      m_(std::max<uint32_t>(2, options.hnsw_m)),
      ef_construction_(std::max<uint32_t>(1, options.hnsw_ef_construction)),
      ef_search_(std::max<uint32_t>(1, options.hnsw_ef_search)),
      min_rows_(options.graph_min_rows),
      space_(new RowSpace(arena->dim(), options.metric)) {}

FreshGraph::~FreshGraph() = default;

size_t FreshGraph::IndexMore(size_t max_rows) {
  if (!wanted() || stopped_.load(std::memory_order_relaxed)) return 0;
  const FreshVectorArena::View rows = arena_->Snapshot();
  const size_t first = indexed();
  if (rows.size < min_rows_ || first >= rows.size) return 0;
  const size_t end = std::min(rows.size, first + max_rows);
  std::unique_lock<std::shared_mutex> lock(mu_);
  // hnswlib reports allocation failures by exceptions: they stop here and the
  // graph stays at what it indexed (searches scan the rest).
  try {
    if (hnsw_ == nullptr || end > capacity_) {
      const size_t capacity = std::max<size_t>(2 * end, 16384);
      if (hnsw_ == nullptr) {
        hnsw_.reset(new hnswlib::HierarchicalNSW<float>(
            space_.get(), capacity, m_, ef_construction_, /*seed=*/100));
        hnsw_->setEf(ef_search_);
      } else {
        hnsw_->resizeIndex(capacity);
      }
      capacity_ = capacity;
    }
    for (size_t row = first; row < end; ++row) {
      const float* data = rows.vector(row);
      hnsw_->addPoint(&data, row);
    }
  } catch (const std::exception&) {
    failed_ = true;
    return 0;
  }
  indexed_.store(end, std::memory_order_release);
  return end - first;
}

void FreshGraph::Search(const float* query, size_t k,
                        std::vector<std::pair<float, uint32_t>>* out,
                        size_t* covered) const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  *covered = indexed();
  if (hnsw_ == nullptr || *covered == 0) {
    *covered = 0;
    return;
  }
  auto top = hnsw_->searchKnn(&query, std::max(k, ef_search_));
  for (; !top.empty(); top.pop()) {
    out->emplace_back(top.top().first, static_cast<uint32_t>(top.top().second));
  }
}

size_t FreshGraph::MemoryUsage() const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  if (hnsw_ == nullptr) return 0;
  // Level 0 (links + the row pointer + label per element) dominates.
  return capacity_ * hnsw_->size_data_per_element_;
}

}  // namespace drift
