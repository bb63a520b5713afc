// DriftTableBuilder writes one .drift segment (docs/format.md). Keys arrive in
// internal-key order (range tombstones out of order); values that are vectors
// of the segment's dimension are bucketed, everything else is stored verbatim.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "drift/table_options.h"
#include "table/block_io.h"
#include "table/internal_key.h"
#include "table/segment_feedback.h"
#include "table/vector_section_writer.h"

namespace drift {

class DriftTableBuilder : public rocksdb::TableBuilder {
 public:
  // `codebooks` (may be null) supplies the codebook current when the builder
  // starts and is told when the segment is written. `feedback` (may be null)
  // is shared by the builders of one factory: with options.dimension 0 the
  // first builder to see a vector-shaped value learns the dimension there, and
  // every builder records its compressed size per value there.
  DriftTableBuilder(const rocksdb::TableBuilderOptions& tbo,
                    const DriftTableOptions& options,
                    rocksdb::WritableFileWriter* file,
                    std::shared_ptr<CodebookHolder> codebooks,
                    std::shared_ptr<SegmentFeedback> feedback = nullptr);
  ~DriftTableBuilder() override;

  void Add(const rocksdb::Slice& key, const rocksdb::Slice& value) override;
  rocksdb::Status status() const override { return status_; }
  rocksdb::IOStatus io_status() const override { return io_status_; }
  rocksdb::Status Finish() override;
  void Abandon() override;
  uint64_t NumEntries() const override { return props_.num_entries; }
  // Exact after Finish(); before, the bytes written plus those still buffered.
  uint64_t FileSize() const override;
  rocksdb::TableProperties GetTableProperties() const override;
  // True if the file's point deletions reach options.scavenge_deletion_ratio
  // of its entries (the scavenger of deleted vectors), or a property collector
  // asks for the file to be compacted.
  bool NeedCompact() const override;
  std::string GetFileChecksum() const override;
  const char* GetFileChecksumFuncName() const override;
  void SetSeqnoTimeTableProperties(const std::string& encoded_mapping,
                                   uint64_t oldest_ancestor_time) override;

 private:
  void AddPointEntry(const rocksdb::Slice& key, const rocksdb::Slice& value,
                     EntryType type);
  void StartVectorSection(uint32_t dim);
  // Reserves the vector buffer for what the file will hold (BytesPerValue).
  void ReserveVectors();
  // File bytes per vector component of a compressed section: what earlier
  // segments taught, else this builder's own sample (0: neither).
  float BytesPerValue() const;
  // Until the factory's feedback exists, a compaction's builder measures its
  // compressed bytes per value on the rows buffered so far, each time their
  // values double, up to kMaxSampleValues: the first compaction output is
  // then cut near target_file_size after compression, not at the raw size.
  void MaybeSampleBytesPerValue();
  // With no dimension yet: learns it from `value` if that is a vector-shaped
  // value (a whole number, 1..kMaxDimension, of finite floats).
  void MaybeLearnDimension(const rocksdb::Slice& value);
  rocksdb::Status WriteVectorSection(rocksdb::MetaIndexBuilder* meta_index);
  // Adds the pending entries to the key index; with partitions
  // (key_index_partition_size > 0) writes each partition once full.
  rocksdb::Status BuildKeyIndex();
  // Writes the partition in key_index_ and adds it to key_index_top_.
  bool WriteKeyIndexPartition(const rocksdb::Slice& last_key);
  void AddToBloom(const rocksdb::Slice& internal_key);
  void SetIOError(const rocksdb::IOStatus& s);
  rocksdb::Status WriteMetaBlocks(rocksdb::MetaIndexBuilder* meta_index);
  rocksdb::Status WritePropertiesAndFooter(
      rocksdb::MetaIndexBuilder* meta_index);
  bool ok() const { return status_.ok(); }

  const DriftTableOptions options_;
  const std::shared_ptr<CodebookHolder> codebooks_;
  const std::shared_ptr<SegmentFeedback> feedback_;
  const uint64_t expected_bytes_;  // What the file will about hold.
  const bool for_flush_;           // expected_bytes_ counts raw values
  const rocksdb::ImmutableOptions& ioptions_;
  const rocksdb::MutableCFOptions& moptions_;
  const size_t ts_size_;  // user-defined timestamp size
  rocksdb::WritableFileWriter* const file_;

  uint64_t offset_ = 0;
  bool closed_ = false;
  rocksdb::Status status_;
  rocksdb::IOStatus io_status_;

  SegmentHeader header_;
  rocksdb::BlockBuilder key_index_;      // the index, or its open partition
  rocksdb::BlockBuilder key_index_top_;  // partitioned: last key -> handle
  rocksdb::BlockBuilder range_del_;
  std::unique_ptr<const rocksdb::FilterPolicy> bloom_policy_;
  std::unique_ptr<rocksdb::FilterBitsBuilder> bloom_;
  std::string last_user_key_;
  uint64_t num_point_entries_ = 0;
  uint64_t repeated_user_keys_ = 0;  // point entries whose user key repeats
  std::string ref_scratch_;

  // Point entries wait for Finish(): a vector's reference (bucket, row) is only
  // known once the section is bucketed. Per entry: the length-prefixed internal
  // key in pending_keys_, then either a vector ordinal or a ValueRef.
  struct PendingEntry {
    uint32_t key_offset;
    int64_t vector_ordinal;  // -1: `ref_offset` locates an encoded ValueRef
    uint32_t ref_offset;
  };
  std::string pending_keys_;
  std::string pending_refs_;
  std::vector<PendingEntry> pending_;
  std::unique_ptr<VectorSectionWriter> vectors_;
  float sampled_bytes_per_value_ = 0;  // 0: not measured
  uint64_t next_sample_values_;        // values buffered at the next sample
  BucketDirectory directory_;

  rocksdb::TableProperties props_;
  std::vector<std::unique_ptr<rocksdb::IntTblPropCollector>> collectors_;
};

}  // namespace drift
