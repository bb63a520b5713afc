// VectorIndexImpl::SearchBatch: the queries of a batch share one pinned view
// and one snapshot and run as tasks of RunOnPool (db/search_pool.h), so each
// query's hits are what Search gives for it at that state, whatever thread
// ran it.
#include <string>

#include "db/pinned_view.h"
#include "db/search_pool.h"
#include "db/search_recorder.h"
#include "db/vector_index_impl.h"
#include "util/vector_value.h"

namespace drift {

using rocksdb::Status;

namespace {

Status QueryError(size_t i, const Status& s) {
  const std::string what =
      "drift: SearchBatch query " + std::to_string(i) + ": " +
      (s.getState() != nullptr ? s.getState() : s.ToString());
  return Status(s.code(), s.subcode(), s.severity(), what);
}

}  // namespace

Status VectorIndexImpl::SearchBatch(const SearchOptions& options,
                                    const std::vector<float>& queries, size_t k,
                                    std::vector<std::vector<SearchHit>>* hits,
                                    std::vector<SearchStats>* stats) {
  Status s = CheckSearch(options, k, "SearchBatch");
  if (!s.ok()) return s;
  const uint32_t dim = options_.dimension;
  if (queries.size() % dim != 0) {
    return Status::InvalidArgument(
        "drift: SearchBatch queries hold " + std::to_string(queries.size()) +
        " floats, not a multiple of the dimension " + std::to_string(dim));
  }
  const size_t n = queries.size() / dim;
  for (size_t i = 0; i < n; ++i) {
    s = CheckFinite(queries.data() + i * dim, dim);
    if (s.ok()) s = CheckHasDirection(queries.data() + i * dim);
    if (!s.ok()) return QueryError(i, s);
  }
  hits->assign(n, {});
  std::vector<SearchStats> local;
  std::vector<SearchStats>* out = stats != nullptr ? stats : &local;
  out->assign(n, SearchStats());
  return AtSnapshot(
      options, [&](const PinnedView& view, const rocksdb::Snapshot* snapshot) {
        // A shared pool without search_threads lends all its threads.
        const unsigned helpers =
            options_.search_threads > 0 || search_pool_ == nullptr
                ? options_.search_threads
                : static_cast<unsigned>(search_pool_->GetBackgroundThreads());
        size_t failed = 0;
        Status r = RunOnPool(
            search_pool_.get(), helpers, n,
            [&](size_t i) {
              // Each query is one search in DriftStatistics, as with Search.
              const SearchRecorder recorder(statistics_.get(), (*out)[i]);
              Status q = SearchPinned(view, snapshot, options,
                                      queries.data() + i * dim, k, &(*hits)[i],
                                      &(*out)[i]);
              recorder.Finish(q, (*out)[i]);
              return q;
            },
            &failed);
        return r.ok() ? r : QueryError(failed, r);
      });
}

}  // namespace drift
