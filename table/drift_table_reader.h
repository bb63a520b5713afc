// DriftTableReader serves one .drift segment to RocksDB: point lookups,
// iterators, range tombstones and properties. The key index (its top level
// when partitioned), bloom filter and segment header stay in memory; values
// and key index partitions are read on demand. The vector
// section (buckets, rows, blob cache) is its VectorSectionReader, the
// engine's view of the segment.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "codec/sq8.h"
#include "drift/table_options.h"
#include "rocksdb/cache.h"
#include "table/block_io.h"
#include "table/pin_budget.h"
#include "table/segment_file.h"
#include "table/vector_section_reader.h"

namespace drift {

class DriftTableReader : public rocksdb::TableReader {
 public:
  // `blob_cache` and `pin_budget`: see VectorSectionReader.
  static rocksdb::Status Open(
      const rocksdb::TableReaderOptions& topts,
      const DriftTableOptions& options,
      std::shared_ptr<rocksdb::Cache> blob_cache,
      std::shared_ptr<PinBudget> pin_budget,
      std::shared_ptr<BlobCacheCounters> cache_counters,
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
    return section_.properties();
  }
  // The RAM this reader holds (blob and block caches excluded), by part.
  void MemoryBreakdown(
      std::vector<std::pair<std::string, size_t>>* parts) const;
  size_t ApproximateMemoryUsage() const override;
  rocksdb::Status Get(const rocksdb::ReadOptions& read_options,
                      const rocksdb::Slice& key,
                      rocksdb::GetContext* get_context,
                      const rocksdb::SliceTransform* prefix_extractor,
                      bool skip_filters = false) override;
  rocksdb::Status VerifyChecksum(const rocksdb::ReadOptions& read_options,
                                 rocksdb::TableReaderCaller caller) override;

  // The segment as the engine sees it.
  const VectorSectionReader& section() const { return section_; }
  // The key index for DriftTableIterator: see KeyIndexIterator.
  const KeyIndex& key_index() const { return file_.key_index; }
  const rocksdb::Comparator* user_comparator() const {
    return file_.icmp.user_comparator();
  }

 private:
  DriftTableReader(const rocksdb::TableReaderOptions& topts,
                   std::shared_ptr<rocksdb::Cache> blob_cache,
                   std::shared_ptr<PinBudget> pin_budget,
                   std::shared_ptr<BlobCacheCounters> cache_counters,
                   std::unique_ptr<rocksdb::RandomAccessFileReader>&& file,
                   uint64_t file_size);
  rocksdb::Status Load(const DriftTableOptions& options);
  rocksdb::Status ReadMetaBlock(const rocksdb::Block& meta_index,
                                const std::string& name, bool required,
                                BlockBuffer* out, bool* found,
                                BlockExtent* extent = nullptr);
  rocksdb::Status LoadRangeTombstones();
  // The open-time pass over the key index: Corruption unless its internal
  // keys strictly ascend; samples offsets for ApproximateOffsetOf.
  rocksdb::Status BuildOffsetSamples();

  const rocksdb::ImmutableOptions& ioptions_;
  SegmentFile file_;
  VectorSectionReader section_;  // reads file_
  BlockBuffer range_del_buf_;
  std::unique_ptr<rocksdb::Block> range_del_block_;
  std::shared_ptr<rocksdb::FragmentedRangeTombstoneList> range_dels_;
  // Every kOffsetSampleInterval-th key with the file offset of the data before
  // it: the basis of ApproximateOffsetOf.
  std::vector<std::pair<std::string, uint64_t>> offset_samples_;
};

}  // namespace drift
