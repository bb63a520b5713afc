// RocksDB's internal key (user key, then fixed64 sequence << 8 | type) and
// memtable entry, read with public types only, so the engine and the tools
// need no RocksDB internal header to look at a key. The values of EntryType
// are RocksDB's ValueType codes (checked in internal_key.cc).
#pragma once

#include <cstdint>
#include <string>

#include "rocksdb/slice.h"
#include "rocksdb/status.h"

namespace drift {

// The entry types that reach a table or a memtable.
enum class EntryType : uint8_t {
  kDeletion = 0x0,
  kValue = 0x1,
  kMerge = 0x2,
  kSingleDeletion = 0x7,
  kRangeDeletion = 0xF,
  kBlobIndex = 0x11,
  kDeletionWithTimestamp = 0x14,
  kWideColumnEntity = 0x16,
};

struct ParsedKey {
  rocksdb::Slice user_key;  // with its timestamp, if any
  uint64_t sequence = 0;
  EntryType type = EntryType::kValue;
};

// Corruption if `internal_key` is shorter than 8 bytes or its type is not
// one RocksDB knows.
rocksdb::Status ParseKey(const rocksdb::Slice& internal_key, ParsedKey* out);

// The three point deletions (Delete, SingleDelete, Delete with timestamp).
// Range deletions are not: they are separate entries of their own range.
inline bool IsDeletion(EntryType type) {
  return type == EntryType::kDeletion || type == EntryType::kSingleDeletion ||
         type == EntryType::kDeletionWithTimestamp;
}

// `internal_key` must be at least 8 bytes (a key RocksDB made).
rocksdb::Slice UserKeyOf(const rocksdb::Slice& internal_key);
uint64_t SequenceOf(const rocksdb::Slice& internal_key);
EntryType TypeOf(const rocksdb::Slice& internal_key);

// The internal key that sorts before every entry of `user_key`: a seek
// target for the first (newest) of them.
std::string SeekKey(const rocksdb::Slice& user_key);

// A memtable entry: varint32 internal key length, internal key, varint32
// value length, value. False if the lengths are malformed.
bool DecodeMemTableEntry(const char* entry, rocksdb::Slice* internal_key,
                         rocksdb::Slice* value);

}  // namespace drift
