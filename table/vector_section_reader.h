// VectorSectionReader reads what a VectorSectionWriter wrote into one .drift
// segment (the segment header, bucket directory, SQ8 parameters, BucketData
// blobs and float chunks) and is the engine's only view of a segment: bucket
// and row access through the blob cache, with pinning, the key index as a
// plain iterator, and the hidden-row lookup of the bucket statistics. Its
// header uses public types only; DriftTableReader (the rocksdb::TableReader)
// owns one per segment and db/pinned_view.cc hands them out.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "codec/sq8.h"
#include "index/rabitq.h"
#include "rocksdb/cache.h"
#include "rocksdb/iterator.h"
#include "rocksdb/table_properties.h"
#include "table/blob_cache_counters.h"
#include "table/bucket_directory.h"
#include "table/drift_format.h"
#include "table/pin_budget.h"

namespace drift {

struct SegmentFile;  // table/segment_file.h (RocksDB internals)

class VectorSectionReader {
 public:
  // `file` must outlive the reader (DriftTableReader owns both). `blob_cache`
  // (may be null) caches verified BucketData blobs and decoded float chunks;
  // `pin_budget` (may be null: no pinning) bounds the bytes of blobs this
  // reader keeps pinned in it (see GetBucket); `counters` (may be null)
  // counts how reads were served.
  VectorSectionReader(const SegmentFile* file,
                      std::shared_ptr<rocksdb::Cache> blob_cache,
                      std::shared_ptr<PinBudget> pin_budget,
                      std::shared_ptr<BlobCacheCounters> counters = nullptr);
  ~VectorSectionReader();
  VectorSectionReader(const VectorSectionReader&) = delete;
  VectorSectionReader& operator=(const VectorSectionReader&) = delete;

  // Reads meta block `name` into *out; *found false (and OK) if it is absent
  // and not `required`.
  // *extent (if not null) receives where the block lies.
  using MetaBlockReader = std::function<rocksdb::Status(
      const std::string& name, bool required, BlockBuffer* out, bool* found,
      BlockExtent* extent)>;
  // Reads the segment header and, if the segment holds vectors, the bucket
  // directory, SQ8, slot and moment blocks, and checks that they agree.
  rocksdb::Status Open(std::shared_ptr<const rocksdb::TableProperties> props,
                       const MetaBlockReader& read_meta);

  const SegmentHeader& header() const { return header_; }
  // The bucket directory without its centroids and means (GetCentroids,
  // GetMeans).
  const BucketDirectory& directory() const { return directory_; }
  // The SQ8 quantizer the segment's codes were made with (valid if it has
  // buckets).
  const SQ8Quantizer& sq8() const { return sq8_; }
  // The rotation of the segment's RaBitQ codes, or null if its blobs carry
  // none (BucketDataView::has_rabitq() then false for every bucket).
  const RabitqRotation* rabitq() const { return rabitq_.get(); }
  // Whether the bucket blobs carry SQ8 codes (BucketDataView::codes): all
  // but the RaBitQ segments written since RaBitQ block version 2, whose only
  // codes are RaBitQ's.
  bool has_sq8_codes() const { return sq8_codes_; }
  const std::shared_ptr<const rocksdb::TableProperties>& properties() const {
    return props_;
  }
  // The segment's file (unique among the live files of a DB).
  const std::string& file_name() const;
  // True if every user key has exactly one entry here and it is a value (no
  // deletions, range deletions, merge operands or older versions): a bucket
  // entry is then the only version of its key in this segment.
  bool single_version() const { return single_version_; }

  // The bucket holding codebook slot `slot`, or kNoBucket (no vector of this
  // segment went to that centroid).
  static constexpr uint32_t kNoBucket = ~0u;
  uint32_t BucketOfSlot(uint32_t slot) const {
    return slot < bucket_of_slot_.size() ? bucket_of_slot_[slot] : kNoBucket;
  }

  // What the blob cache holds: a verified block and, for a bucket blob, its
  // view, parsed once when the blob is loaded.
  struct CachedBlock {
    BlockBuffer block;
    BucketDataView bucket;
    // Set by the reader that pins the block: the handle its pin holds.
    std::atomic<rocksdb::Cache::Handle*> pin_handle{nullptr};
  };
  // A block from the blob cache or the file; valid while the ref lives (and,
  // for a pinned block, while the reader lives).
  class BlobRef {
   public:
    BlobRef() = default;
    ~BlobRef() { Reset(); }
    BlobRef(const BlobRef&) = delete;
    BlobRef& operator=(const BlobRef&) = delete;
    rocksdb::Slice data() const { return block_->block.data; }
    // The data as floats (GetCentroids, GetMeans).
    const float* floats() const {
      return reinterpret_cast<const float*>(block_->block.data.data());
    }
    // The parsed bucket (GetBucket only).
    const BucketDataView& bucket() const { return block_->bucket; }
    void Reset();

   private:
    friend class VectorSectionReader;
    rocksdb::Cache* cache_ = nullptr;
    rocksdb::Cache::Handle* handle_ = nullptr;
    CachedBlock owned_;
    const CachedBlock* block_ = &owned_;
  };
  // Bucket `b`'s verified and parsed BucketData blob (codes and keys). The
  // first probe of a bucket pins it in the blob cache while the pin budget
  // allows; later probes then cost neither a cache lookup nor a parse.
  rocksdb::Status GetBucket(uint32_t b, BlobRef* ref) const;
  // The buckets' centroids, num_buckets x dim floats in bucket order
  // (ref->floats()), decoded from the directory block through the blob
  // cache: only routing by the segment's own centroids (a segment of another
  // codebook epoch) needs them.
  rocksdb::Status GetCentroids(BlobRef* ref) const;
  // The means of the buckets' rows (the moments block) in the same layout,
  // through the blob cache; NotFound if the segment has no moments block
  // (directory().has_moments() false).
  rocksdb::Status GetMeans(BlobRef* ref) const;

  // Decodes row `row` of bucket `bucket` (dim floats) into `out`; the encoded
  // float chunk goes through the blob cache like bucket blobs.
  rocksdb::Status ReadRow(uint32_t bucket, uint32_t row, float* out) const;
  // The same without the copy: *row points into the cached decoded chunk
  // that `ref` pins.
  rocksdb::Status ReadRowRef(uint32_t bucket, uint32_t row, BlobRef* ref,
                             const float** row_data) const;
  // Row `row` (< the bucket's num_rows) of bucket `bucket` if its chunk is
  // pinned, else null: valid while this reader lives. Two dependent loads,
  // no cache lookup and no counter, so a re-rank can resolve rows ahead of
  // use; it counts them with AddPinnedReads.
  const float* PinnedRow(uint32_t bucket, uint32_t row) const {
    const ChunkPinSlot* slot = ChunkPin(bucket, row);
    if (slot == nullptr) return nullptr;
    const char* rows = slot->rows.load(std::memory_order_acquire);
    if (rows == nullptr) return nullptr;
    return reinterpret_cast<const float*>(rows) +
           size_t{row % directory_.rows_per_chunk} * directory_.dim;
  }
  // Prefetches what PinnedRow(bucket, row) loads after the bucket's pins.
  void PrefetchRowPin(uint32_t bucket, uint32_t row) const {
    if (const ChunkPinSlot* slot = ChunkPin(bucket, row)) {
      __builtin_prefetch(slot, 0, 2);
    }
  }
  void AddPinnedReads(uint64_t n) const;
  // Row `row` of bucket `bucket` as a value for RocksDB to pin instead of
  // copying: *value points into the cached decoded chunk and *pinner holds a
  // reference on it (released by its cleanups), valid even after this reader
  // is gone. *pinned false when the chunk cannot be referenced (no blob cache,
  // or a pin being published by another thread): *value then points into
  // `buf`, a copy.
  rocksdb::Status ReadRowPinned(uint32_t bucket, uint32_t row, BlockBuffer* buf,
                                rocksdb::Slice* value,
                                rocksdb::Cleanable* pinner, bool* pinned) const;

  // Resolves a key-index value reference into the stored value. `buf`
  // receives the bytes when they are not in memory already.
  rocksdb::Status ReadValue(const ValueRef& ref, BlockBuffer* buf,
                            rocksdb::Slice* value) const;
  // The key index in key order: keys are internal keys (table/internal_key.h),
  // values encoded ValueRefs (DecodeValueRef, then ReadValue). `fill_cache`
  // false for a pass over the whole index: partitions that are not cached
  // are read without evicting blobs for them.
  std::unique_ptr<rocksdb::Iterator> NewKeyIndexIterator(
      bool fill_cache = true) const;
  // A verified partition of a partitioned key index (KeyIndexIterator),
  // through the blob cache; with `fill_cache` false a partition that is not
  // cached is read without inserting it (a pass over the whole index).
  rocksdb::Status GetKeyIndexPartition(const BlockExtent& extent,
                                       bool fill_cache, BlobRef* ref) const;

  // A bucket row an entry of the key index refers to.
  struct RowRef {
    uint32_t bucket = 0;
    uint32_t row = 0;
  };
  // Appends the rows of this segment's vector entries that `internal_key`
  // hides: those of its user key with a lower sequence number. The bloom
  // filter answers most keys without touching the key index.
  rocksdb::Status FindHiddenVectors(const rocksdb::Slice& internal_key,
                                    std::vector<RowRef>* rows) const;

  // Reads and verifies every bucket blob and float chunk (not the cache's).
  rocksdb::Status VerifyBlobs() const;
  // Bytes this reader keeps in RAM (the cache's blobs excluded), by part.
  void MemoryBreakdown(
      std::vector<std::pair<std::string, size_t>>* parts) const;
  size_t ApproximateMemoryUsage() const;

 private:
  rocksdb::Status ReadBucketData(uint32_t b, BlockBuffer* buf) const;
  rocksdb::Status ReadVector(uint32_t bucket, uint32_t row, BlockBuffer* buf,
                             rocksdb::Slice* value) const;
  void BuildSlotIndex();
  uint32_t RabitqPaddedDim() const {
    return rabitq_ != nullptr ? rabitq_->padded_dim() : 0;
  }
  // A verified block through the blob cache under (cache id, tag, offset).
  static constexpr uint32_t kBucketBlobTag = 0;
  static constexpr uint32_t kFloatChunkTag = 1;
  static constexpr uint32_t kCentroidsTag = 2;
  static constexpr uint32_t kMeansTag = 3;
  static constexpr uint32_t kKeyIndexPartitionTag = 4;
  using BlockLoader = std::function<rocksdb::Status(CachedBlock*)>;
  // `fill_cache` false: a miss is loaded into *ref only, not inserted.
  rocksdb::Status GetCached(uint32_t tag, uint64_t offset,
                            const BlockLoader& load, BlobRef* ref,
                            bool fill_cache = true) const;
  // A block this reader pinned (its handle, pin_handle, referenced until
  // the reader is destroyed), or null. Set once, by compare-and-swap. The
  // block itself rather than its handle: a search reads it without touching
  // the cache's handle.
  using PinSlot = std::atomic<const CachedBlock*>;
  // A float chunk's pin, with the pinned block's decoded rows (set after
  // `block`, never changed): PinnedRow reads `rows` without touching the block.
  struct ChunkPinSlot {
    PinSlot block{nullptr};
    std::atomic<const char*> rows{nullptr};
  };
  // A bucket's pins: its blob and, allocated on the first pin of one of
  // them, one slot per float chunk (a search re-ranks rows of the buckets it
  // probed, and a pinned chunk costs no cache lookup).
  struct BucketPins {
    PinSlot blob{nullptr};
    std::atomic<ChunkPinSlot*> chunks{nullptr};
  };
  // Pins the blob of `h` in *slot for the reader's life if the pin budget
  // allows and no other search pinned it first. Returns the block pinned in
  // *slot (this one or the first search's), null if the budget is spent.
  const CachedBlock* Pin(PinSlot* slot, rocksdb::Cache::Handle* h) const;
  // Pins chunk `c` of bucket `b` likewise.
  void PinChunk(uint32_t b, size_t c, rocksdb::Cache::Handle* h) const;
  // The pinned block of `slot` (if any) into *ref.
  bool UsePinned(const PinSlot& slot, BlobRef* ref) const;
  // The chunk slot of row `row` of bucket `b`, or null (none allocated).
  const ChunkPinSlot* ChunkPin(uint32_t b, uint32_t row) const {
    if (pins_ == nullptr) return nullptr;
    const ChunkPinSlot* slots = pins_[b].chunks.load(std::memory_order_acquire);
    return slots != nullptr ? &slots[row / directory_.rows_per_chunk] : nullptr;
  }
  // Reads meta block `extent` through the blob cache under `tag` and
  // decodes it with `decode` into the floats of the cached block.
  using FloatsDecoder =
      std::function<rocksdb::Status(rocksdb::Slice, std::vector<float>*)>;
  rocksdb::Status GetFloats(uint32_t tag, const BlockExtent& extent,
                            const FloatsDecoder& decode, BlobRef* ref) const;

  const SegmentFile* const file_;
  const std::shared_ptr<rocksdb::Cache> blob_cache_;
  const uint64_t cache_id_;  // key prefix of this segment's blobs in the cache
  const std::shared_ptr<PinBudget> pin_budget_;
  const std::shared_ptr<BlobCacheCounters> counters_;
  std::unique_ptr<BucketPins[]> pins_;  // one per bucket, with a pin budget
  mutable std::atomic<uint64_t> pinned_bytes_{0};
  mutable std::atomic<size_t> chunk_pin_bytes_{0};  // of the chunk slots

  std::shared_ptr<const rocksdb::TableProperties> props_;
  SegmentHeader header_;
  BucketDirectory directory_;
  SQ8Quantizer sq8_;
  std::unique_ptr<const RabitqRotation> rabitq_;
  bool sq8_codes_ = true;
  uint32_t rabitq_ex_bits_ = 0;   // of the RaBitQ block (version 3)
  BlockExtent directory_extent_;  // where GetCentroids reads
  BlockExtent moments_extent_;    // where GetMeans reads
  std::vector<uint32_t> bucket_of_slot_;
  bool single_version_ = false;
};

}  // namespace drift
