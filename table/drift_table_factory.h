// DriftTableFactory: the TableFactory of vector column families (.drift
// segments).
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>

#include "drift/table_options.h"
#include "index/codebook.h"
#include "rocksdb/table.h"
#include "table/blob_cache_counters.h"
#include "table/pin_budget.h"
#include "table/segment_feedback.h"

namespace drift {

class DriftTableFactory : public rocksdb::TableFactory {
 public:
  explicit DriftTableFactory(
      const DriftTableOptions& options = DriftTableOptions());

  static const char* kClassName() { return "DriftTable"; }
  const char* Name() const override { return kClassName(); }

  // The registered options, one "  name: value" line each (RocksDB's info
  // LOG prints a table factory's at DB::Open).
  std::string GetPrintableOptions() const override;

  using rocksdb::TableFactory::NewTableReader;
  rocksdb::Status NewTableReader(
      const rocksdb::ReadOptions& ro,
      const rocksdb::TableReaderOptions& table_reader_options,
      std::unique_ptr<rocksdb::RandomAccessFileReader>&& file,
      uint64_t file_size, std::unique_ptr<rocksdb::TableReader>* table_reader,
      bool prefetch_index_and_filter_in_cache) const override;

  rocksdb::TableBuilder* NewTableBuilder(
      const rocksdb::TableBuilderOptions& table_builder_options,
      rocksdb::WritableFileWriter* file) const override;

  // Range tombstones are stored in the segment (see the design brief: without
  // this, one DeleteRange makes the DB impossible to reopen).
  bool IsDeleteRangeSupported() const override { return true; }

  rocksdb::Status ValidateOptions(
      const rocksdb::DBOptions& db_opts,
      const rocksdb::ColumnFamilyOptions& cf_opts) const override;

  const DriftTableOptions& table_options() const { return options_; }
  // The column family's codebook: the engine publishes, builders read.
  const std::shared_ptr<CodebookHolder>& codebooks() const {
    return codebooks_;
  }
  // The blob cache shared by this factory's readers and the budget of bucket
  // blobs they may pin in it (either may be null; created on first use).
  void BlobCache(std::shared_ptr<rocksdb::Cache>* cache,
                 std::shared_ptr<PinBudget>* pins) const;
  // How this factory's readers were served from the blob cache.
  const BlobCacheCounters& blob_cache_counters() const {
    return *blob_cache_counters_;
  }

 private:
  DriftTableOptions options_;
  const std::shared_ptr<CodebookHolder> codebooks_ =
      std::make_shared<CodebookHolder>();
  const std::shared_ptr<SegmentFeedback> feedback_ =
      std::make_shared<SegmentFeedback>();
  mutable std::mutex blob_cache_mu_;
  mutable std::shared_ptr<rocksdb::Cache> blob_cache_;
  mutable std::shared_ptr<PinBudget> pin_budget_;
  const std::shared_ptr<BlobCacheCounters> blob_cache_counters_ =
      std::make_shared<BlobCacheCounters>();
};

// InvalidArgument naming the first out-of-range option, OK otherwise.
rocksdb::Status CheckDriftTableOptions(const DriftTableOptions& options);

}  // namespace drift
