// KeyIndex: a segment's key index (internal keys -> encoded ValueRefs), in
// one of two layouts (docs/format.md "Key index"):
//  - one resident RocksDB data block ("drift.key_index", files of earlier
//    builds and key_index_partition_size=0);
//  - partitions, each a data block read through the blob cache, under a small
//    resident top-level block ("drift.key_index_top": last internal key of
//    each partition -> BlockHandle), like RocksDB's partitioned index.
// KeyIndexIterator walks either as one sorted sequence. Table-internal.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "table/block_io.h"
#include "table/vector_section_reader.h"

namespace drift {

// Corruption unless `block` is a well-formed data block of internal keys:
// every entry within the block, shared prefixes within the previous key,
// keys of at least 8 bytes, restart points on entries with no shared prefix.
// RocksDB's block iterators trust their input (they assert, not check), and
// a block can pass its checksum yet be crafted.
rocksdb::Status CheckKeyIndexBlock(const rocksdb::Slice& block);

class KeyIndex {
 public:
  // Takes the resident block: the whole index or, with `partitioned`, the
  // top level. Corruption if the block is malformed or a partition handle
  // lies outside [0, file_size).
  rocksdb::Status Open(BlockBuffer&& block, bool partitioned,
                       uint64_t file_size, const std::string& file_name);

  bool partitioned() const { return partitioned_; }
  // Partitions (0 for the single-block layout).
  size_t num_partitions() const { return num_partitions_; }
  // Bytes the index keeps in RAM: the whole index, or only its top level.
  size_t resident_bytes() const { return buf_.data.size(); }

 private:
  friend class KeyIndexIterator;
  BlockBuffer buf_;
  std::unique_ptr<rocksdb::Block> block_;
  bool partitioned_ = false;
  size_t num_partitions_ = 0;
};

// Iterates a KeyIndex in internal-key order, crossing partitions. Partitions
// are read (and their checksums verified) through the section's blob cache
// (`fill_cache` false: a block that is not cached is read without inserting
// it). A partition that fails to read or parse makes the iterator invalid
// with a Corruption/IO status.
class KeyIndexIterator {
 public:
  KeyIndexIterator(const KeyIndex* index, const rocksdb::Comparator* ucmp,
                   const VectorSectionReader* section, bool fill_cache = true);
  KeyIndexIterator(const KeyIndexIterator&) = delete;
  KeyIndexIterator& operator=(const KeyIndexIterator&) = delete;
  ~KeyIndexIterator();

  bool Valid() const { return data_.has_value() && data_->Valid(); }
  void SeekToFirst();
  void SeekToLast();
  void Seek(const rocksdb::Slice& target);
  void SeekForPrev(const rocksdb::Slice& target);
  void Next();
  void Prev();
  rocksdb::Slice key() const { return data_->key(); }
  rocksdb::Slice value() const { return data_->value(); }
  rocksdb::Status status() const;
  // The last key of the current partition (the top level's key); the whole
  // index's layout has none (empty).
  rocksdb::Slice partition_bound() const;

  // While a manager with pinning enabled is set, left partitions are handed
  // to it, so keys and inline values stay valid until it releases them.
  void SetPinnedItersMgr(rocksdb::PinnedIteratorsManager* mgr) {
    pinned_iters_mgr_ = mgr;
  }
  // True when value() (and key(), if IsKeyPinned) outlive the next move.
  bool IsPinned() const;
  bool IsKeyPinned() const { return IsPinned() && data_->IsKeyPinned(); }

 private:
  // Positions data_ on the partition top_ points at (no-op if loaded).
  bool LoadPartition();
  void ReleasePartition();
  void SkipEmptyForward();
  void SkipEmptyBackward();

  const KeyIndex* const index_;
  const rocksdb::Comparator* const ucmp_;
  const VectorSectionReader* const section_;
  const bool fill_cache_;
  rocksdb::DataBlockIter top_;  // partitioned layout only
  // The current partition: in own_ (no pinned-iterators manager, e.g. a Get:
  // no allocation) or on the heap (so that a manager can take it over).
  VectorSectionReader::BlobRef* partition_ = nullptr;
  VectorSectionReader::BlobRef own_;
  std::optional<rocksdb::Block> block_;
  std::optional<rocksdb::DataBlockIter> data_;
  uint64_t loaded_offset_ = ~uint64_t{0};
  rocksdb::Status status_;
  rocksdb::PinnedIteratorsManager* pinned_iters_mgr_ = nullptr;
};

}  // namespace drift
