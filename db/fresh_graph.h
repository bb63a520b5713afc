// FreshGraph: an HNSW graph (Debian's hnswlib) over a prefix of one memtable's
// FreshVectorArena, built lazily by a background thread
// (ArenaWorker::GraphIndexer), never on the write path. A search asks the graph
// for the indexed rows [0, indexed) and scans the rows written since by brute
// force, so a Put is searchable the moment it returns. The graph stores row
// pointers, not copies (arena rows never move), and measures distances with
// Drift's L2 kernel.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <utility>
#include <vector>

#include "drift/memtable_options.h"

namespace hnswlib {
template <typename dist_t>
class HierarchicalNSW;
}  // namespace hnswlib

namespace drift {

class FreshVectorArena;

class FreshGraph {
 public:
  FreshGraph(const FreshVectorArena* arena,
             const DriftMemTableOptions& options);
  ~FreshGraph();

  // Indexes up to `max_rows` more of the arena's published rows (the indexer
  // only: one caller at a time). Returns how many it added; 0 when caught up,
  // stopped (StopGrowing), below options.graph_min_rows, or failed (hnswlib
  // could not allocate).
  size_t IndexMore(size_t max_rows);

  // Rows [0, indexed()) are in the graph.
  size_t indexed() const { return indexed_.load(std::memory_order_acquire); }
  // The graph stops growing (its memtable became immutable: a flush is
  // coming, and the indexer's core is better spent on it; searches scan the
  // rows it did not index). Idempotent.
  void StopGrowing() { stopped_.store(true, std::memory_order_relaxed); }
  bool wanted() const { return min_rows_ > 0 && !failed_.load(); }

  // The about `ef` (>= k) nearest indexed rows to `query` as (squared L2,
  // row); *covered = the indexed count they were searched among.
  void Search(const float* query, size_t k,
              std::vector<std::pair<float, uint32_t>>* out,
              size_t* covered) const;

  size_t MemoryUsage() const;

 private:
  class RowSpace;

  const FreshVectorArena* const arena_;
  const size_t m_, ef_construction_, ef_search_, min_rows_;
  std::unique_ptr<RowSpace> space_;
  mutable std::shared_mutex mu_;  // exclusive: inserts and resizes
  std::unique_ptr<hnswlib::HierarchicalNSW<float>> hnsw_;
  size_t capacity_ = 0;
  std::atomic<size_t> indexed_{0};
  std::atomic<bool> failed_{false};
  std::atomic<bool> stopped_{false};
};

}  // namespace drift
