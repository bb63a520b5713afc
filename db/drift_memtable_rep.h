// DriftMemTableRep: the memtable representation of a vector column family. It
// wraps RocksDB's skiplist (which keeps every RocksDB semantic: ordering,
// snapshots, concurrent inserts) and observes each inserted entry.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "db/fresh_vector_arena.h"
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

  // Entries (vectors, deletes, any value) inserted into this factory's
  // memtables since it was created: the engine's cheap measure of how much
  // the column family changed (drift maintenance runs when it moved enough).
  uint64_t entries_written() const {
    return entries_written_->load(std::memory_order_relaxed);
  }

 private:
  DriftMemTableOptions options_;
  // Shared with every rep (a rep may outlive the factory).
  std::shared_ptr<std::atomic<uint64_t>> entries_written_ =
      std::make_shared<std::atomic<uint64_t>>(0);
  rocksdb::SkipListFactory skiplist_;
};

// While a collector is installed on this thread, every drift memtable rep whose
// GetIterator() the thread calls appends its arena to it. This is how a
// searcher that holds MemTables (from a SuperVersion) finds their vectors:
// RocksDB has no accessor from a MemTable to its rep.
class ArenaCollector {
 public:
  ArenaCollector();
  ~ArenaCollector();
  std::vector<std::shared_ptr<const FreshVectorArena>>& arenas() {
    return arenas_;
  }

 private:
  std::vector<std::shared_ptr<const FreshVectorArena>> arenas_;
  ArenaCollector* previous_;
};

}  // namespace drift
