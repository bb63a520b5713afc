// The re-rank stage of a search: the approximate (SQ8) candidates get exact
// distances, MVCC-exact at the read snapshot. Two paths (docs/architecture.md,
// "Search"):
// - UniqueKeysRerank, when every bucket entry is its key's only version
//   (PinnedView::unique_keys()): an entry is visible iff its sequence number
//   is at or below the snapshot's, and its exact floats are its segment row.
//   No point read.
// - RerankAtSnapshot otherwise: the candidates' newest visible values are read
//   with MultiGet at the snapshot.
// Both return hits sorted by (distance, key), at most k, with the exact
// distance of the column family's metric (ExactDistance); a vector whose
// distance is not a number or infinite under cosine (a zero vector) is no hit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "db/kth_smallest.h"
#include "drift/vector_index.h"
#include "index/metric_distance.h"
#include "rocksdb/db.h"
#include "table/vector_section_reader.h"

namespace drift {

class CandidateSet;
class SearchFilter;
struct BucketDataView;

// Candidates a search keeps per re-rank slot (the CandidateSet's capacity is
// the depth times this), so RerankAtSnapshot can replace stale ones.
constexpr size_t kCandidatePoolFactor = 4;

// Keeps the best `depth` (0: all) bucket entries visible at sequence number
// `visible` while buckets are scanned, then reads their rows.
//
// With `bound_k` > 0 (the search's k) the buckets come with error bounds
// (RaBitQ codes: the true distance lies in [approx - bound, approx + bound])
// and the depth is ignored: an entry is kept iff its lower bound is at most
// the k-th smallest upper bound of the visible, passing entries seen so far,
// and Finish verifies the kept entries in order of their lower bounds until
// the next lower bound exceeds the k-th exact distance found. Where the
// bounds hold, the result is the exact k nearest of the scanned entries.
class UniqueKeysRerank {
 public:
  // `segment_largest[i]` (optional) bounds the sequence numbers of segment
  // i's entries: a segment wholly at or below `visible` needs no per-entry
  // visibility check (reading each entry's key is a cache miss).
  UniqueKeysRerank(rocksdb::SequenceNumber visible, size_t depth,
                   size_t bound_k = 0,
                   std::vector<rocksdb::SequenceNumber> segment_largest = {})
      : visible_(visible),
        depth_(depth),
        bound_k_(bound_k),
        segment_largest_(std::move(segment_largest)),
        uppers_(bound_k) {}

  // One scanned bucket: bucket `b` of segment `segment` with its approximate
  // distances `approx` (and, in the bounded mode, their error `bound`).
  // Keeps `blob` alive while one of its keys is kept. Only keys that pass
  // `filter` (nullptr: all) are kept.
  void AddBucket(size_t segment, uint32_t b, const BucketDataView& bucket,
                 const float* approx,
                 const std::shared_ptr<VectorSectionReader::BlobRef>& blob,
                 SearchFilter* filter = nullptr, const float* bound = nullptr);

  // The best k kept entries by exact distance from their rows in `segments`
  // (the segments the buckets were scanned from, same order); with
  // `with_vectors` each hit carries its row.
  rocksdb::Status Finish(
      const std::vector<const VectorSectionReader*>& segments,
      const ExactDistance& distance, uint32_t dim, size_t k, bool with_vectors,
      std::vector<SearchHit>* hits, SearchStats* stats) const;

 private:
  struct Candidate {
    float approx;
    uint32_t segment, bucket, row;
    rocksdb::Slice internal_key;  // points into a blob kept in `blobs_`
    bool operator<(const Candidate& o) const { return approx < o.approx; }
  };
  // Whether row r of `bucket` is visible (always, with `all_visible`) and
  // passes `filter`.
  bool Keeps(const BucketDataView& bucket, uint32_t r, bool all_visible,
             SearchFilter* filter) const;
  // Whether every entry of segment `segment` is visible.
  bool AllVisible(size_t segment) const {
    return segment < segment_largest_.size() &&
           segment_largest_[segment] <= visible_;
  }
  // The candidates Finish verifies, in order.
  std::vector<const Candidate*> VerifyOrder() const;

  const rocksdb::SequenceNumber visible_;
  const size_t depth_;
  const size_t bound_k_;
  const std::vector<rocksdb::SequenceNumber> segment_largest_;
  // Max-heap on approx, at most depth_; in the bounded mode every kept entry
  // (approx = its lower bound), unordered.
  std::vector<Candidate> heap_;
  KthSmallest uppers_;  // bounded mode: the k smallest upper bounds
  std::vector<std::shared_ptr<VectorSectionReader::BlobRef>> blobs_;
};

// Verifies `candidates` nearest-first at `snapshot`: `rerank` of them (0:
// all), plus one more for each that proved stale (deleted, or its visible
// vector far from where an older version put it). Then their bounded
// candidates (CandidateSet::bounded, those passing `filter`), whatever
// `rerank`: in order of their lower bounds until the next exceeds the k-th
// exact distance of the visible vectors read so far. Where the bounds hold
// (and every version of a key that was scanned is among the candidates), no
// visible vector of a scanned row nearer than the k-th hit is missed. With
// `with_vectors` each hit carries the vector it was measured with.
rocksdb::Status RerankAtSnapshot(
    rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf,
    const rocksdb::Snapshot* snapshot, const ExactDistance& distance,
    uint32_t dim, const CandidateSet& candidates, size_t k, size_t rerank,
    bool with_vectors, std::vector<SearchHit>* hits, SearchStats* stats,
    SearchFilter* filter = nullptr);

}  // namespace drift
