// SegmentFile: the open file of one .drift segment with the parts of it that
// both its TableReader and its VectorSectionReader read: the key index (its
// resident part; KeyIndexIterator walks it) and the bloom filter.
// Table-internal (RocksDB internal types).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "table/block_io.h"
#include "table/key_index.h"

namespace drift {

struct SegmentFile {
  SegmentFile(const rocksdb::InternalKeyComparator& comparator,
              std::unique_ptr<rocksdb::RandomAccessFileReader>&& reader,
              uint64_t file_size)
      : icmp(comparator),
        ts_size(icmp.user_comparator()->timestamp_size()),
        file(std::move(reader)),
        size(file_size) {}

  const std::string& name() const { return file->file_name(); }
  // False only if no entry of the key's user key is in the segment.
  bool BloomMayMatch(const rocksdb::Slice& internal_key) const {
    return bloom == nullptr ||
           bloom->MayMatch(
               rocksdb::ExtractUserKeyAndStripTimestamp(internal_key, ts_size));
  }

  const rocksdb::InternalKeyComparator icmp;
  const size_t ts_size;
  const std::unique_ptr<rocksdb::RandomAccessFileReader> file;
  const uint64_t size;
  KeyIndex key_index;
  BlockBuffer bloom_buf;
  std::unique_ptr<const rocksdb::FilterPolicy> bloom_policy;
  std::unique_ptr<rocksdb::FilterBitsReader> bloom;
};

}  // namespace drift
