// DriftTableReader serves one .drift segment to RocksDB: point lookups,
// iterators, range tombstones and properties. The key index, bloom filter and
// segment header stay in memory; values are read on demand.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "drift/table_options.h"
#include "index/sq8.h"
#include "rocksdb/cache.h"
#include "table/bucket_directory.h"
#include "table/drift_format.h"
#include "table/pin_budget.h"

namespace drift {

class DriftTableReader : public rocksdb::TableReader {
 public:
  // `blob_cache` (may be null) caches verified BucketData blobs and decoded
  // float chunks; `pin_budget` (may be null: no pinning) bounds the bytes of
  // bucket blobs this reader keeps pinned in it (see GetBucket).
  static rocksdb::Status Open(
      const rocksdb::TableReaderOptions& topts,
      const DriftTableOptions& options,
      std::shared_ptr<rocksdb::Cache> blob_cache,
      std::shared_ptr<PinBudget> pin_budget,
      std::unique_ptr<rocksdb::RandomAccessFileReader>&& file,
      uint64_t file_size, std::unique_ptr<rocksdb::TableReader>* reader);
  ~DriftTableReader() override;

  rocksdb::InternalIterator* NewIterator(
      const rocksdb::ReadOptions& read_options,
      const rocksdb::SliceTransform* prefix_extractor, rocksdb::Arena* arena,
      bool skip_filters, rocksdb::TableReaderCaller caller,
      size_t compaction_readahead_size = 0,
      bool allow_unprepared_value = false) override;
  rocksdb::FragmentedRangeTombstoneIterator* NewRangeTombstoneIterator(
      const rocksdb::ReadOptions& read_options) override;
  uint64_t ApproximateOffsetOf(const rocksdb::Slice& key,
                               rocksdb::TableReaderCaller caller) override;
  uint64_t ApproximateSize(const rocksdb::Slice& start,
                           const rocksdb::Slice& end,
                           rocksdb::TableReaderCaller caller) override;
  void SetupForCompaction() override {}
  std::shared_ptr<const rocksdb::TableProperties> GetTableProperties()
      const override {
    return props_;
  }
  size_t ApproximateMemoryUsage() const override;
  rocksdb::Status Get(const rocksdb::ReadOptions& read_options,
                      const rocksdb::Slice& key,
                      rocksdb::GetContext* get_context,
                      const rocksdb::SliceTransform* prefix_extractor,
                      bool skip_filters = false) override;
  rocksdb::Status VerifyChecksum(const rocksdb::ReadOptions& read_options,
                                 rocksdb::TableReaderCaller caller) override;

  // Resolves a key-index value reference into the stored value. `buf` receives
  // the bytes when they are not in memory already.
  rocksdb::Status ReadValue(const ValueRef& ref, BlockBuffer* buf,
                            rocksdb::Slice* value) const;

  // An iterator over the key index: keys are internal keys, values encoded
  // ValueRefs. The caller owns it.
  rocksdb::DataBlockIter* NewKeyIndexIterator(
      rocksdb::DataBlockIter* reuse) const;

  const SegmentHeader& header() const { return header_; }
  const BucketDirectory& directory() const { return directory_; }
  // The SQ8 quantizer the segment's codes were made with (valid if it has
  // buckets).
  const SQ8Quantizer& sq8() const { return sq8_; }
  // The bucket holding codebook slot `slot`, or kNoBucket (no vector of this
  // segment went to that centroid).
  static constexpr uint32_t kNoBucket = ~0u;
  // True if every user key has exactly one entry here and it is a value (no
  // deletions, range deletions, merge operands or older versions): a bucket
  // entry is then the only version of its key in this segment.
  bool single_version() const { return single_version_; }
  // Blob cache key tags.
  static constexpr uint32_t kBucketBlobTag = 0;
  static constexpr uint32_t kFloatChunkTag = 1;
  uint32_t BucketOfSlot(uint32_t slot) const {
    return slot < bucket_of_slot_.size() ? bucket_of_slot_[slot] : kNoBucket;
  }
  // What the blob cache holds: a verified block and, for a bucket blob, its
  // view, parsed once when the blob is loaded.
  struct CachedBlock {
    BlockBuffer block;
    BucketDataView bucket;
  };
  // A block from the blob cache or the file; valid while the ref lives (and,
  // for a pinned bucket, while the reader lives).
  class BlobRef {
   public:
    BlobRef() = default;
    ~BlobRef() { Reset(); }
    BlobRef(const BlobRef&) = delete;
    BlobRef& operator=(const BlobRef&) = delete;
    rocksdb::Slice data() const { return block_->block.data; }
    // The parsed bucket (GetBucket only).
    const BucketDataView& bucket() const { return block_->bucket; }
    void Reset();

   private:
    friend class DriftTableReader;
    rocksdb::Cache* cache_ = nullptr;
    rocksdb::Cache::Handle* handle_ = nullptr;
    CachedBlock owned_;
    const CachedBlock* block_ = &owned_;
  };
  // Bucket `b`'s verified and parsed BucketData blob (codes and keys). The
  // first probe of a bucket pins it in the blob cache while the pin budget
  // allows; later probes then cost neither a cache lookup nor a parse.
  rocksdb::Status GetBucket(uint32_t b, BlobRef* ref) const;
  // Decodes row `row` of bucket `bucket` (dim floats) into `out`; the encoded
  // float chunk goes through the blob cache like bucket blobs.
  rocksdb::Status ReadRow(uint32_t bucket, uint32_t row, float* out) const;
  // The same without the copy: *row points into the cached decoded chunk
  // that `ref` pins.
  rocksdb::Status ReadRowRef(uint32_t bucket, uint32_t row, BlobRef* ref,
                             const float** row_data) const;
  const rocksdb::InternalKeyComparator& comparator() const { return icmp_; }
  // The segment's file (unique among the live files of a DB).
  const std::string& file_name() const { return file_->file_name(); }

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

 private:
  DriftTableReader(const rocksdb::TableReaderOptions& topts,
                   std::shared_ptr<rocksdb::Cache> blob_cache,
                   std::shared_ptr<PinBudget> pin_budget,
                   std::unique_ptr<rocksdb::RandomAccessFileReader>&& file,
                   uint64_t file_size);
  rocksdb::Status ReadBucketData(uint32_t b, BlockBuffer* buf) const;
  // A verified block through the blob cache under (cache id, tag, offset).
  using BlockLoader = std::function<rocksdb::Status(CachedBlock*)>;
  rocksdb::Status GetCached(uint32_t tag, uint64_t offset,
                            const BlockLoader& load, BlobRef* ref) const;
  struct PinnedBlock;
  // Keeps the blob of `h` referenced in *slot for the reader's life if the
  // pin budget allows and no other search pinned it first.
  void Pin(PinnedBlock* slot, rocksdb::Cache::Handle* h) const;
  // The pinned blob of *slot (null if none) into *ref.
  static bool UsePinned(const PinnedBlock& slot, BlobRef* ref);
  rocksdb::Status Load(const DriftTableOptions& options);
  rocksdb::Status ReadMetaBlock(const rocksdb::Block& meta_index,
                                const std::string& name, bool required,
                                BlockBuffer* out, bool* found);
  rocksdb::Status LoadRangeTombstones();
  void BuildSlotIndex();
  rocksdb::Status ReadVector(uint32_t bucket, uint32_t row, BlockBuffer* buf,
                             rocksdb::Slice* value) const;
  // The open-time pass over the key index: Corruption unless its internal
  // keys strictly ascend; samples offsets for ApproximateOffsetOf.
  rocksdb::Status BuildOffsetSamples();
  bool BloomMayMatch(const rocksdb::Slice& internal_key) const;

  const rocksdb::ImmutableOptions& ioptions_;
  const rocksdb::InternalKeyComparator icmp_;
  const size_t ts_size_;
  std::unique_ptr<rocksdb::RandomAccessFileReader> file_;
  const uint64_t file_size_;
  const std::shared_ptr<rocksdb::Cache> blob_cache_;
  const uint64_t cache_id_;  // key prefix of this segment's blobs in the cache
  const std::shared_ptr<PinBudget> pin_budget_;
  // A blob this reader pinned and the cache handle it holds on it, or null.
  // `block` is set once (compare-and-swap) by the thread that then sets
  // `handle`; both are released with the reader.
  struct PinnedBlock {
    std::atomic<const CachedBlock*> block{nullptr};
    rocksdb::Cache::Handle* handle = nullptr;
  };
  // One per bucket (its BucketData blob) and one per float chunk (decoded
  // rows; chunk c of bucket b at chunk_base_[b] + c): a search re-ranks rows
  // of the buckets it probed, and a pinned chunk costs no cache lookup.
  std::unique_ptr<PinnedBlock[]> pinned_;
  std::unique_ptr<PinnedBlock[]> pinned_chunks_;
  std::vector<uint32_t> chunk_base_;
  size_t num_chunks_ = 0;
  mutable std::atomic<uint64_t> pinned_bytes_{0};

  std::shared_ptr<const rocksdb::TableProperties> props_;
  SegmentHeader header_;
  BlockBuffer key_index_buf_;
  std::unique_ptr<rocksdb::Block> key_index_;
  BlockBuffer range_del_buf_;
  std::unique_ptr<rocksdb::Block> range_del_block_;
  std::shared_ptr<rocksdb::FragmentedRangeTombstoneList> range_dels_;
  BlockBuffer bloom_buf_;
  BucketDirectory directory_;
  SQ8Quantizer sq8_;
  std::vector<uint32_t> bucket_of_slot_;
  bool single_version_ = false;
  std::unique_ptr<const rocksdb::FilterPolicy> bloom_policy_;
  std::unique_ptr<rocksdb::FilterBitsReader> bloom_;
  // Every kOffsetSampleInterval-th key with the file offset of the data before
  // it: the basis of ApproximateOffsetOf.
  std::vector<std::pair<std::string, uint64_t>> offset_samples_;
};

}  // namespace drift
