// SegmentInspector opens one .drift file outside a DB, for tools
// (drift_dump): its footer, meta blocks, vector section and range
// tombstones, in public types only. It reads through the table factory of
// the options it is given (a DriftTableFactory).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "rocksdb/options.h"
#include "rocksdb/status.h"
#include "table/drift_format.h"
#include "table/vector_section_reader.h"

namespace drift {

// What a file is, from its last 8 bytes (every RocksDB table format ends in
// its table magic number): a .drift table, a table of another format
// (*format: "block-based", "plain" or "cuckoo"), or no table at all (a log,
// MANIFEST, OPTIONS file, or a truncated table). Errors are I/O errors.
enum class TableFileKind { kDrift, kOtherTable, kNotATable };
rocksdb::Status ClassifyTableFile(rocksdb::Env* env, const std::string& path,
                                  TableFileKind* kind, std::string* format);

class SegmentInspector {
 public:
  struct Footer {
    uint64_t magic_number = 0;
    uint32_t format_version = 0;
    int checksum_type = 0;
    BlockExtent metaindex;
  };
  struct RangeTombstone {
    std::string start_key, end_key;  // user keys, [start, end)
    uint64_t sequence = 0;
  };

  // NotSupported if `path` is a table of another format (not a .drift one),
  // InvalidArgument if it is no table file at all (ClassifyTableFile).
  static rocksdb::Status Open(const rocksdb::Options& options,
                              const std::string& path,
                              std::unique_ptr<SegmentInspector>* out);
  ~SegmentInspector();

  uint64_t file_size() const;
  const Footer& footer() const;
  const VectorSectionReader& section() const;
  // The entries of the metaindex block: block name and extent.
  rocksdb::Status ListMetaBlocks(
      std::vector<std::pair<std::string, BlockExtent>>* blocks) const;
  // The RAM the file's table reader holds (caches excluded), by part
  // (DriftTableReader::MemoryBreakdown).
  void MemoryBreakdown(
      std::vector<std::pair<std::string, size_t>>* parts) const;
  // The range tombstone fragments, in order.
  rocksdb::Status ListRangeTombstones(std::vector<RangeTombstone>* out) const;

 private:
  struct Rep;
  explicit SegmentInspector(std::unique_ptr<Rep> rep);
  std::unique_ptr<Rep> rep_;
};

}  // namespace drift
