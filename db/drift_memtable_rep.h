// DriftMemTableRep: the memtable representation of a vector column family. It
// wraps RocksDB's skiplist (which keeps every RocksDB semantic: ordering,
// snapshots, concurrent inserts) and observes each inserted entry.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
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

  // The registered options, one "  name: value" line each (RocksDB's info
  // LOG prints a table factory's at DB::Open).
  std::string GetPrintableOptions() const override;

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
    return shared_->entries_written.load(std::memory_order_relaxed);
  }

  // While on, the arena of each memtable that stops taking writes is kept
  // (at most kMaxRetiredArenas, the oldest dropped first) until
  // TakeRetiredArenas: the engine's bucket statistics read the deletions and
  // overwrites of memtables that a flush turned into segments before it saw
  // them. Off by default (nothing is kept).
  static constexpr size_t kMaxRetiredArenas = 4;
  void TrackRetiredArenas(bool on);
  // The kept arenas, oldest first; *dropped (may be null) counts the arenas
  // dropped over the bound since the last call.
  std::vector<std::shared_ptr<const FreshVectorArena>> TakeRetiredArenas(
      uint64_t* dropped);

  // State shared with every rep (a rep may outlive the factory).
  struct Shared {
    std::atomic<uint64_t> entries_written{0};
    std::mutex mu;  // guards the fields below
    bool track_retired = false;
    std::deque<std::shared_ptr<const FreshVectorArena>> retired;
    uint64_t retired_dropped = 0;
    void Retire(std::shared_ptr<const FreshVectorArena> arena);
  };

 private:
  DriftMemTableOptions options_;
  const std::shared_ptr<Shared> shared_ = std::make_shared<Shared>();
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
