// What every search benchmark shares: the query set, exact ground truth
// (computed once and cached next to the databases), and recall/latency
// accounting.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "db_bench_drift/report.h"
#include "drift/metric.h"
#include "rocksdb/status.h"
#include "util/dataset.h"

namespace drift {
namespace bench {

class SearchEval {
 public:
  // Ground truth for the first `num_queries` queries: from `gt_path` (ivecs) if
  // given, else from the cache file in `cache_dir`, else computed exactly.
  rocksdb::Status Prepare(const Dataset& data, size_t num_queries, size_t k,
                          const std::string& gt_path,
                          const std::string& cache_dir,
                          drift::Metric metric = drift::Metric::kL2);

  // Ground truth over the base vectors `ids` only (a filtered search's
  // answer), computed exactly under `metric`, ids as in `data`.
  rocksdb::Status PrepareSubset(const Dataset& data, size_t num_queries,
                                size_t k, const std::vector<uint32_t>& ids,
                                drift::Metric metric = drift::Metric::kL2);

  size_t num_queries() const { return num_queries_; }
  size_t k() const { return k_; }
  const float* query(size_t q) const {
    return data_->queries.data() + q * data_->dim;
  }

  // Number of the returned ids that are among the true k nearest of query q.
  size_t Hits(size_t q, const std::vector<uint32_t>& ids) const;

 private:
  const Dataset* data_ = nullptr;
  size_t num_queries_ = 0;
  size_t k_ = 0;
  std::vector<uint32_t> gt_;  // num_queries x k
};

// Runs `search(q, &ids, &scanned)` for every query once, reports recall@k,
// QPS and latency percentiles as one result line. With threads > 1 (like
// db_bench's --threads) that many threads issue the queries concurrently,
// each taking the next query not yet run; `search` must then be thread-safe.
// QPS is then the total over all threads and wall time. `annotate` (if set)
// adds to the result after the last query, before it is reported.
template <typename SearchFn>
rocksdb::Status RunQueries(
    const SearchEval& eval, Result result, Reporter* reporter, SearchFn search,
    int threads = 1, const std::function<void(Result*)>& annotate = nullptr);

}  // namespace bench
}  // namespace drift

#include "db_bench_drift/search_eval_inl.h"
