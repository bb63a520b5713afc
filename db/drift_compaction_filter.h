// The compaction filter of vector column families (public face:
// drift/compaction_filter.h): vector TTL from a key-borne write time, and the
// removal of entries under prefixes a PrefixDropper dropped.
//
// RocksDB 7.8.3's contract (db/compaction/compaction_iterator.cc, checked):
// FilterV2 sees only Puts (kValue; merge operands as kMergeOperand, which this
// filter keeps), never deletions; only the newest committed version of each
// user key in the compaction's input, before range deletions are applied;
// with no sequence number; and regardless of snapshots (IgnoreSnapshots must
// be true). kRemove turns that version into a point deletion at its own
// sequence number, so older versions of the key stay hidden; the deletion is
// dropped where RocksDB drops deletions. Flushes are not filtered.
#pragma once

#include <atomic>
#include <memory>
#include <shared_mutex>
#include <string>
#include <vector>

#include "drift/compaction_filter.h"

namespace drift {

// Sorted prefixes none of which is a prefix of another (a covered one is
// left out): the first prefix <= a key is the only one that can match it.
class PrefixSet {
 public:
  explicit PrefixSet(std::vector<std::string> prefixes);
  bool Covers(const rocksdb::Slice& key) const;
  bool empty() const { return prefixes_.empty(); }

 private:
  std::vector<std::string> prefixes_;
};

// What an open PrefixDropper shares with the filters of its factory. The DB
// pointer is valid while bound: Unbind waits for filters reading it.
class PrefixDropState {
 public:
  // InvalidArgument if bound already.
  rocksdb::Status Bind(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf);
  void Unbind();
  void SetPrefixes(std::vector<std::string> prefixes);

  // For a filter of a compaction of column family `cf_id`: the dropped
  // prefixes, or null when nothing may be removed (not bound, another column
  // family, no drop, or a snapshot is live now).
  std::shared_ptr<const PrefixSet> ForCompaction(uint32_t cf_id);
  // True if removing the newest version of `key` (under a dropped prefix)
  // changes no read: the key reads as absent at the latest state, and no
  // snapshot is live after that read (a later snapshot reads at or after it,
  // where the version is hidden too).
  bool Removable(const rocksdb::Slice& key);

  std::atomic<uint64_t> removed{0};

 private:
  bool NoSnapshot();  // under mu_ (shared)

  std::shared_mutex mu_;
  rocksdb::DB* db_ = nullptr;
  rocksdb::ColumnFamilyHandle* cf_ = nullptr;
  std::shared_ptr<const PrefixSet> prefixes_;
};

class DriftCompactionFilterFactory : public rocksdb::CompactionFilterFactory {
 public:
  explicit DriftCompactionFilterFactory(
      const DriftCompactionFilterOptions& options = {});

  static const char* kClassName() { return kDriftCompactionFilterFactoryName; }
  const char* Name() const override { return kClassName(); }

  // The registered options, one "  name: value" line each (RocksDB's info
  // LOG prints a table factory's at DB::Open).
  std::string GetPrintableOptions() const override;

  std::unique_ptr<rocksdb::CompactionFilter> CreateCompactionFilter(
      const rocksdb::CompactionFilter::Context& context) override;

  // Option strings and DB::Open check the options here.
  rocksdb::Status PrepareOptions(
      const rocksdb::ConfigOptions& config_options) override;
  rocksdb::Status ValidateOptions(
      const rocksdb::DBOptions& db_opts,
      const rocksdb::ColumnFamilyOptions& cf_opts) const override;

  const DriftCompactionFilterOptions& options() const { return options_; }
  const std::shared_ptr<PrefixDropState>& drops() const { return drops_; }

 private:
  DriftCompactionFilterOptions options_;
  const std::shared_ptr<PrefixDropState> drops_ =
      std::make_shared<PrefixDropState>();
};

}  // namespace drift
