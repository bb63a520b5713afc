// VectorIndexImpl: the VectorIndex of one column family (see
// include/drift/vector_index.h). Search = candidates from the memtables' fresh
// vectors (exact distances) and from the segments' IVF buckets (SQ8 distances),
// deduplicated by key, then re-ranked with the values RocksDB returns at the
// read snapshot: whatever the candidates' versions were, each hit's distance
// is computed from the key's newest visible value.
#pragma once

#include <atomic>
#include <memory>

#include "drift/vector_index.h"

namespace drift {

class CandidateSet;
class PinnedView;

class VectorIndexImpl : public VectorIndex {
 public:
  VectorIndexImpl(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf,
                  const VectorIndexOptions& options);

  uint32_t dimension() const override { return options_.dimension; }
  rocksdb::Status Put(const rocksdb::WriteOptions& options,
                      const rocksdb::Slice& key,
                      const std::vector<float>& vector) override;
  rocksdb::Status Put(rocksdb::WriteBatch* batch, const rocksdb::Slice& key,
                      const std::vector<float>& vector) override;
  rocksdb::Status Delete(const rocksdb::WriteOptions& options,
                         const rocksdb::Slice& key) override;
  rocksdb::Status Delete(rocksdb::WriteBatch* batch,
                         const rocksdb::Slice& key) override;
  rocksdb::Status Get(const rocksdb::ReadOptions& options,
                      const rocksdb::Slice& key,
                      std::vector<float>* vector) override;
  rocksdb::Status Search(const SearchOptions& options,
                         const std::vector<float>& query, size_t k,
                         std::vector<SearchHit>* hits,
                         SearchStats* stats) override;
  rocksdb::Status SearchBatch(
      const SearchOptions& options, const std::vector<float>& queries, size_t k,
      std::vector<std::vector<SearchHit>>* hits) override;
  rocksdb::Status Close() override;

 private:
  rocksdb::Status CheckOpen() const;
  rocksdb::Status CheckVector(const std::vector<float>& v,
                              const char* what) const;
  rocksdb::Status SearchPinned(const PinnedView& view,
                               const rocksdb::Snapshot* snapshot,
                               const SearchOptions& options, const float* query,
                               size_t k, std::vector<SearchHit>* hits,
                               SearchStats* stats);
  void CollectMemtables(const PinnedView& view, const float* query,
                        CandidateSet* candidates, SearchStats* stats) const;
  rocksdb::Status CollectSegments(const PinnedView& view,
                                  const SearchOptions& options,
                                  const float* query, CandidateSet* candidates,
                                  SearchStats* stats) const;
  rocksdb::Status Rerank(const rocksdb::Snapshot* snapshot, const float* query,
                         const CandidateSet& candidates, size_t k,
                         std::vector<SearchHit>* hits, SearchStats* stats);

  rocksdb::DB* const db_;
  rocksdb::ColumnFamilyHandle* const cf_;
  const VectorIndexOptions options_;
  std::atomic<bool> closed_{false};
};

}  // namespace drift
