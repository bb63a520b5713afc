// The on-disk vocabulary of .drift segments (see docs/format.md for the
// layout), in public types only: names, magic, value references, the segment
// header, block checksums. Writing and reading blocks through RocksDB's file
// classes is table/block_io.h.
//
// A segment reuses RocksDB's footer and metaindex/properties conventions, so
// generic RocksDB code (ReadTableProperties, SstFileReader) can read its
// properties; all drift blocks, and the metaindex and properties blocks too,
// are followed by a 4-byte masked crc32c of their contents. A BlockHandle's
// size excludes that trailer, so RocksDB's own readers (trailer size 0 for
// non-block-based magic) see the same bytes as ours.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "rocksdb/slice.h"
#include "rocksdb/status.h"
#include "util/block_memory.h"

namespace drift {

// "drift\0seg" folded into 8 bytes; never reuse for another layout.
constexpr uint64_t kDriftTableMagicNumber = 0x64726966747365ull;
// Layout version, stored in the footer's format_version field. RocksDB's footer
// reader accepts versions <= 5 (kLatestFormatVersion in 7.8.3).
constexpr uint32_t kDriftFormatVersion = 1;

constexpr size_t kBlockTrailerSize = 4;  // masked crc32c

// Meta block names (entries of the metaindex block).
extern const char* const
    kKeyIndexBlockName;  // sorted internal keys -> ValueRef, one block
// The partitioned key index's top level: last internal key of each partition
// -> its BlockHandle. A segment has this block or kKeyIndexBlockName.
extern const char* const kKeyIndexTopBlockName;
extern const char* const kSegmentHeaderBlockName;  // dimension, counts
extern const char* const kBloomBlockName;          // bloom filter on user keys
extern const char* const kBucketDirectoryBlockName;  // centroids, handles
extern const char* const kSQ8BlockName;              // the segment's SQ8 params
// Codebook slot of each bucket; absent (segment-local codebook): slot = index.
extern const char* const kBucketSlotsBlockName;
// Per bucket the mean and scatter of its rows (BucketDirectory moments);
// absent in segments written before it existed.
extern const char* const kBucketMomentsBlockName;
// The rotation of the RaBitQ codes (RabitqParams); present iff every bucket
// blob carries a RaBitQ section.
extern const char* const kRabitqBlockName;
// User-collected table properties of every segment (decimal strings).
extern const char* const kCodebookEpochProperty;  // "drift.codebook_epoch"
extern const char* const kNumVectorsProperty;     // "drift.num_vectors"
// 0 when the segment has no vector section (no dimension configured or learnt).
extern const char* const kDimensionProperty;   // "drift.dimension"
extern const char* const kNumBucketsProperty;  // "drift.num_buckets"
// Point entries that are another version of the previous entry's user key.
extern const char* const kRepeatedUserKeysProperty;
// The metric the SQ8 codes and buckets were made for (drift/metric.h), when
// not l2; absent means l2.
extern const char* const kMetricProperty;  // "drift.metric"
// Range tombstones use RocksDB's own name: rocksdb::kRangeDelBlockName.

// How the key index stores a value.
enum class ValueKind : uint8_t {
  kInline = 0,  // the value bytes follow the tag (deletions, small values)
  kRaw = 1,     // varint64 offset, varint32 size: a record in the raw area
  kVector = 2,  // varint32 bucket, varint32 row: a row of a bucket
};

// Values up to this size are kept inline in the key index.
constexpr size_t kMaxInlineValueSize = 32;

struct ValueRef {
  ValueKind kind = ValueKind::kInline;
  rocksdb::Slice inline_value;  // kInline
  uint64_t offset = 0;          // kRaw: start of the record (value bytes + crc)
  uint32_t size = 0;            // kRaw: value bytes, excluding the crc
  uint32_t bucket = 0;          // kVector
  uint32_t row = 0;             // kVector
};

void EncodeInlineRef(const rocksdb::Slice& value, std::string* dst);
void EncodeRawRef(uint64_t offset, uint32_t size, std::string* dst);
void EncodeVectorRef(uint32_t bucket, uint32_t row, std::string* dst);
rocksdb::Status DecodeValueRef(rocksdb::Slice input, ValueRef* ref);

// Segment-wide facts that the properties block does not hold.
struct SegmentHeader {
  uint32_t dimension = 0;    // 0: the segment holds no vector
  uint64_t num_vectors = 0;  // entries whose value is a vector
  uint64_t num_raw = 0;      // entries stored verbatim in the raw area
  void EncodeTo(std::string* dst) const;
  rocksdb::Status DecodeFrom(rocksdb::Slice input);
};

// A block's place in the file: its offset and its size without the crc
// trailer. Encoded as RocksDB's BlockHandle (varint64 offset, varint64 size;
// see bucket_directory.cc), for headers that must not name RocksDB internals.
class BlockExtent {
 public:
  BlockExtent() = default;
  BlockExtent(uint64_t offset, uint64_t size) : offset_(offset), size_(size) {}
  uint64_t offset() const { return offset_; }
  uint64_t size() const { return size_; }
  void set_offset(uint64_t offset) { offset_ = offset; }
  void set_size(uint64_t size) { size_ = size; }

 private:
  uint64_t offset_ = 0;
  uint64_t size_ = 0;
};

// A block read from a file, checksum verified; `data` points into `buf`.
// Assign `buf` from AllocateBlockMemory (not reset(new char[])): the deleter
// is part of the pointer.
struct BlockBuffer {
  BlockMemory buf;
  rocksdb::Slice data;
};

// crc32c::Value(data, n), computed with SSE4.2 when Crc32cUsesSse42().
uint32_t Crc32c(const char* data, size_t n);
// True when the CPU has SSE4.2 and ActiveIsa() is above scalar (DRIFT_ISA).
bool Crc32cUsesSse42();
// The masked crc32c of a block trailer.
uint32_t BlockChecksum(const rocksdb::Slice& contents);

}  // namespace drift
