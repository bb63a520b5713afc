// DriftMemTableRep: the memtable representation of a vector column family. It
// wraps RocksDB's skiplist (which keeps every RocksDB semantic: ordering,
// snapshots, concurrent inserts) and observes each inserted entry.
#pragma once

#include <memory>

#include "drift/memtable_options.h"
#include "rocksdb/memtablerep.h"

namespace drift {

class DriftMemTableRepFactory : public rocksdb::MemTableRepFactory {
 public:
  explicit DriftMemTableRepFactory(
      const DriftMemTableOptions& options = DriftMemTableOptions());

  static const char* kClassName() { return "DriftMemTable"; }
  const char* Name() const override { return kClassName(); }

  using rocksdb::MemTableRepFactory::CreateMemTableRep;
  rocksdb::MemTableRep* CreateMemTableRep(
      const rocksdb::MemTableRep::KeyComparator& compare,
      rocksdb::Allocator* allocator, const rocksdb::SliceTransform* transform,
      rocksdb::Logger* logger) override;

  // Write groups insert concurrently; the wrapped skiplist supports it and the
  // wrapper's own state is thread-safe.
  bool IsInsertConcurrentlySupported() const override { return true; }
  bool CanHandleDuplicatedKey() const override { return true; }

  const DriftMemTableOptions& options() const { return options_; }

 private:
  DriftMemTableOptions options_;
  rocksdb::SkipListFactory skiplist_;
};

}  // namespace drift
