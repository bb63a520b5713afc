// DriftCompactionFilterFactory: what a vector column family drops at
// compaction besides what RocksDB drops by itself: vectors whose key-borne
// write time is older than a TTL, and entries under key prefixes dropped with
// PrefixDropper (e.g. a tenant). Registered as "DriftCompactionFilterFactory":
//   compaction_filter_factory={id=DriftCompactionFilterFactory;ttl_seconds=3600}
// and installed by VectorColumnFamilyOptions. docs/operations.md says what
// it can and cannot promise.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "rocksdb/compaction_filter.h"
#include "rocksdb/db.h"
#include "rocksdb/status.h"

namespace drift {

inline constexpr const char* kDriftCompactionFilterFactoryName =
    "DriftCompactionFilterFactory";

struct DriftCompactionFilterOptions {
  static const char* kName() { return "DriftCompactionFilterOptions"; }

  // Vector TTL, in seconds (0 = off; negative is an error). A Put whose key
  // carries a write time t (below) is removed by the first compaction that
  // sees it at or after t + ttl_seconds (Unix time of the compacting
  // machine). Until then it stays visible, like RocksDB's DBWithTTL; and like
  // every compaction filter in RocksDB 7.x, removal ignores snapshots.
  int64_t ttl_seconds = 0;

  // Where the write time sits in the user key: 8 bytes, big-endian unsigned
  // seconds since the Unix epoch (AppendKeyTime writes them), starting
  // key_time_offset bytes from the start of the key, or, if negative,
  // -key_time_offset bytes from its end (-8: the key's last 8 bytes). Must
  // be >= 0 or <= -8. A key too short to hold the time has none: it never
  // expires. Time-ordered keys (time first) suit offset 0, keys
  // <id><time> suit -8, <tenant prefix><time><id> the prefix length.
  int32_t key_time_offset = 0;
};

// InvalidArgument ("DriftCompactionFilter: ...") naming the first bad field.
rocksdb::Status CheckDriftCompactionFilterOptions(
    const DriftCompactionFilterOptions& options);

// A new factory; VectorColumnFamilyOptions installs one with the defaults
// (TTL off) unless the base options carry a compaction filter (factory).
std::shared_ptr<rocksdb::CompactionFilterFactory>
NewDriftCompactionFilterFactory(
    const DriftCompactionFilterOptions& options = {});

// Appends `unix_seconds` as the 8 big-endian bytes the TTL reads.
void AppendKeyTime(uint64_t unix_seconds, std::string* key);

// Drops every key under a prefix of one column family (e.g. a tenant)
// without a tombstone per key, exact under MVCC:
//  - DropPrefix writes ONE range deletion over [prefix, successor(prefix))
//    and a record of the drop (key "drift.dropped_prefix/<cf name>\0<prefix>"
//    in the metadata column family) in one atomic WriteBatch. RocksDB's range
//    deletion hides the keys from every read after the drop; a snapshot
//    taken before it still sees them until it is released.
//  - The column family's DriftCompactionFilterFactory (bound to the DB while
//    a PrefixDropper is open) then removes the entries under a dropped prefix
//    that compactions see, without waiting for the range deletion to meet
//    them, when removing them cannot change any read: the key reads as
//    absent at the latest state and no snapshot is live (checked after that
//    read). Otherwise they stay for RocksDB to drop by the range deletion.
// Keys written under the prefix after the drop are ordinary live keys.
// The records stay (one point read per entry under a dropped prefix that a
// compaction sees) until Forget.
class PrefixDropper {
 public:
  // Binds to `cf`, whose compaction_filter_factory must be a
  // DriftCompactionFilterFactory not bound already (InvalidArgument
  // otherwise), and loads the drops recorded in `metadata_cf` (nullptr: the
  // default column family). Close (destroy) it before closing the DB.
  static rocksdb::Status Open(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf,
                              rocksdb::ColumnFamilyHandle* metadata_cf,
                              std::unique_ptr<PrefixDropper>* dropper);
  virtual ~PrefixDropper() = default;

  // InvalidArgument for an empty prefix or one of only 0xff bytes (no
  // successor to end the range).
  virtual rocksdb::Status DropPrefix(const rocksdb::WriteOptions& options,
                                     const rocksdb::Slice& prefix) = 0;
  // Deletes the record of a drop (the range deletion stays): later
  // compactions no longer look up keys under it.
  virtual rocksdb::Status Forget(const rocksdb::WriteOptions& options,
                                 const rocksdb::Slice& prefix) = 0;
  // The recorded prefixes, sorted.
  virtual std::vector<std::string> DroppedPrefixes() const = 0;
  // Entries the filter removed under dropped prefixes since Open.
  virtual uint64_t entries_removed() const = 0;
};

}  // namespace drift
