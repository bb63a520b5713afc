// VectorIndexImpl: the VectorIndex of one column family (see
// include/drift/vector_index.h). Search = candidates from the memtables' fresh
// vectors (exact distances) and from the segments' IVF buckets (SQ8 distances),
// deduplicated by key, then re-ranked with the values RocksDB returns at the
// read snapshot: whatever the candidates' versions were, each hit's distance
// is computed from the key's newest visible value.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <vector>

#include "drift/vector_index.h"
#include "index/codebook.h"
#include "table/drift_table_reader.h"

namespace drift {

class CandidateSet;
class Maintenance;
class PinnedView;
struct BucketDataView;

class VectorIndexImpl : public VectorIndex {
 public:
  VectorIndexImpl(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf,
                  const VectorIndexOptions& options,
                  std::shared_ptr<CodebookHolder> codebooks);
  ~VectorIndexImpl() override;

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
  rocksdb::Status Train(const TrainOptions& options) override;
  uint64_t codebook_epoch() const override;
  rocksdb::Status Maintain(bool* retrained) override;
  rocksdb::Status GetStats(IndexStats* stats) override;
  rocksdb::Status GetBucketStats(std::vector<BucketInfo>* buckets) override;
  rocksdb::Status GetProperty(const std::string& property,
                              std::string* value) override;
  rocksdb::Status Close() override;

 private:
  friend class VectorIndex;
  // Which buckets a query probes: with a codebook, the same slots in every
  // segment of its epoch; other segments route with their own centroids.
  struct ProbePlan {
    std::shared_ptr<const Codebook> codebook;
    std::vector<uint32_t> slots;  // nearest first
    uint32_t nprobe = 0;          // SearchOptions::nprobe
    bool exhaustive = false;
  };
  // Called per probed bucket with its SQ8 distances; may keep the blob.
  using BucketSink = std::function<void(
      size_t segment, uint32_t bucket, const BucketDataView& data,
      const float* approx,
      const std::shared_ptr<DriftTableReader::BlobRef>& blob)>;

  ProbePlan PlanProbes(const SearchOptions& options, const float* query) const;
  std::vector<uint32_t> BucketsToProbe(const DriftTableReader& segment,
                                       const ProbePlan& plan,
                                       const float* query) const;
  rocksdb::Status ScanSegments(const PinnedView& view, const ProbePlan& plan,
                               const float* query, SearchStats* stats,
                               const BucketSink& sink) const;
  rocksdb::Status SearchUniqueKeys(const PinnedView& view,
                                   const ProbePlan& plan,
                                   const rocksdb::Snapshot* snapshot,
                                   const float* query, size_t k, size_t rerank,
                                   std::vector<SearchHit>* hits,
                                   SearchStats* stats) const;
  rocksdb::Status CheckOpen() const;
  rocksdb::Status CheckVector(const std::vector<float>& v,
                              const char* what) const;
  rocksdb::Status SearchPinned(const PinnedView& view,
                               const rocksdb::Snapshot* snapshot,
                               const SearchOptions& options, const float* query,
                               size_t k, std::vector<SearchHit>* hits,
                               SearchStats* stats);
  // Memtable candidates with exact distances: from each memtable's graph for
  // its indexed rows (unless exhaustive) and by scanning the others.
  void CollectMemtables(const PinnedView& view, const float* query, size_t k,
                        bool exhaustive, CandidateSet* candidates,
                        SearchStats* stats) const;
  // Verifies candidates nearest-first at the snapshot: `rerank` of them (0:
  // all), plus one more for each that proved stale (deleted, or its visible
  // vector far from where an older version put it).
  rocksdb::Status Rerank(const rocksdb::Snapshot* snapshot, const float* query,
                         const CandidateSet& candidates, size_t k,
                         size_t rerank, std::vector<SearchHit>* hits,
                         SearchStats* stats);

  rocksdb::DB* const db_;
  rocksdb::ColumnFamilyHandle* const cf_;
  const VectorIndexOptions options_;
  std::atomic<bool> closed_{false};
  const std::shared_ptr<CodebookHolder> codebooks_;
  const std::unique_ptr<Maintenance> maintenance_;
};

}  // namespace drift
