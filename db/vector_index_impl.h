// VectorIndexImpl: the VectorIndex of one column family (see
// include/drift/vector_index.h). Search = candidates from the memtables' fresh
// vectors (exact distances) and from the segments' IVF buckets (SQ8 distances),
// deduplicated by key, then re-ranked with the values RocksDB returns at the
// read snapshot: whatever the candidates' versions were, each hit's distance
// is computed from the key's newest visible value. The probes and the re-rank
// depth come from db/probe_planner.h, the re-rank stage from db/rerank.h.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <vector>

#include "drift/vector_index.h"
#include "index/codebook.h"
#include "table/vector_section_reader.h"

namespace drift {

class DriftStatistics;
class DriftTableFactory;

class CandidateSet;
class ExactDistance;
class Maintenance;
class PinnedView;
class SearchFilter;
struct ProbePlan;
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
  rocksdb::Status SearchBatch(const SearchOptions& options,
                              const std::vector<float>& queries, size_t k,
                              std::vector<std::vector<SearchHit>>* hits,
                              std::vector<SearchStats>* stats) override;
  rocksdb::Status SearchRadius(const SearchOptions& options,
                               const std::vector<float>& query, float radius,
                               std::vector<SearchHit>* hits,
                               SearchStats* stats) override;
  rocksdb::Status Train(const TrainOptions& options) override;
  uint64_t codebook_epoch() const override;
  rocksdb::Status Maintain(bool* retrained) override;
  rocksdb::Status GetStats(IndexStats* stats) override;
  rocksdb::Status GetBucketStats(std::vector<BucketInfo>* buckets) override;
  rocksdb::Status GetProperty(const std::string& property,
                              std::string* value) override;
  rocksdb::Status GetMapProperty(
      const std::string& property,
      std::map<std::string, std::string>* value) override;
  rocksdb::Status Close() override;

 private:
  friend class VectorIndex;
  // Called per probed bucket with its approximate distances and, when its
  // RaBitQ codes were scanned, their error bounds (else null); may keep the
  // blob.
  using BucketSink = std::function<void(
      size_t segment, uint32_t bucket, const BucketDataView& data,
      const float* approx, const float* bound,
      const std::shared_ptr<VectorSectionReader::BlobRef>& blob)>;

  // Probes `plan`'s buckets in every segment; `sampler` (optional) samples
  // its pass rate on the scanned keys. With `rabitq` the RaBitQ codes are
  // scanned (every segment must have them: see AllHaveRabitq), else SQ8.
  // RaBitQ rows that could still reach the top `k` (k 0: none) get the
  // estimates and bounds of their extended codes where a segment has them.
  rocksdb::Status ScanSegments(const PinnedView& view, const ProbePlan& plan,
                               const float* query, SearchFilter* sampler,
                               SearchStats* stats, bool rabitq, size_t k,
                               const BucketSink& sink) const;
  rocksdb::Status CheckOpen() const;
  // The checks every search makes of its options and k (`what` names the
  // call in the message).
  rocksdb::Status CheckSearch(const SearchOptions& options, size_t k,
                              const char* what) const;
  // Pins the column family and takes options.snapshot (or a new one, released
  // after) for `search`.
  rocksdb::Status AtSnapshot(
      const SearchOptions& options,
      const std::function<rocksdb::Status(const PinnedView&,
                                          const rocksdb::Snapshot*)>& search);
  static rocksdb::Status CheckBatch(const rocksdb::WriteBatch* batch,
                                    const char* what);
  rocksdb::Status CheckVector(const std::vector<float>& v,
                              const char* what) const;
  // InvalidArgument for a zero vector (dimension floats) under cosine: it has
  // no direction, so no distance.
  rocksdb::Status CheckHasDirection(const float* v) const;
  // Search without recording it in the DB's statistics (Search records).
  rocksdb::Status SearchUnrecorded(const SearchOptions& options,
                                   const std::vector<float>& query, size_t k,
                                   std::vector<SearchHit>* hits,
                                   SearchStats* stats);
  rocksdb::Status SearchPinned(const PinnedView& view,
                               const rocksdb::Snapshot* snapshot,
                               const SearchOptions& options, const float* query,
                               size_t k, std::vector<SearchHit>* hits,
                               SearchStats* stats);
  rocksdb::Status SearchFiltered(const PinnedView& view,
                                 const rocksdb::Snapshot* snapshot,
                                 const SearchOptions& options,
                                 SearchFilter* filter, const float* query,
                                 size_t k, std::vector<SearchHit>* hits,
                                 SearchStats* stats);
  // Entries a key-range scan may read before the search probes instead:
  // about what `plan` scans, at least kMinRangeScanBudget; 0 when the
  // range's estimated entries are clearly more.
  uint64_t RangeScanBudget(const PinnedView& view, const ProbePlan& plan,
                           const SearchFilter& filter) const;
  // Memtable candidates that pass `filter`, with exact distances: from each
  // memtable's graph for its indexed rows (unless exhaustive) and by
  // scanning the others. With `bounded`, every one as a bounded candidate
  // (filtered when verified).
  void CollectMemtables(const PinnedView& view, const ExactDistance& distance,
                        size_t k, bool exhaustive, SearchFilter* filter,
                        bool bounded, CandidateSet* candidates,
                        SearchStats* stats) const;

  rocksdb::DB* const db_;
  rocksdb::ColumnFamilyHandle* const cf_;
  const VectorIndexOptions options_;
  std::atomic<bool> closed_{false};
  const std::shared_ptr<CodebookHolder> codebooks_;
  const std::unique_ptr<Maintenance> maintenance_;
  // The column family's DriftTableFactory (its blob cache's properties).
  std::shared_ptr<const DriftTableFactory> table_factory_;
  // The DB's statistics if they are a DriftStatistics (searches are recorded
  // there), else null.
  std::shared_ptr<DriftStatistics> statistics_;
  // SearchBatch's helpers (VectorIndexOptions::search_threads/search_pool).
  const std::shared_ptr<rocksdb::ThreadPool> search_pool_;
};

}  // namespace drift
