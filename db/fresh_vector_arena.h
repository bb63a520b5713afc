// FreshVectorArena: the vectors of one memtable, appended as the memtable sees
// them, in contiguous fixed-size blocks that never move. A block holds a power
// of two of rows, as many as fit in kTargetBlockBytes (16 to 1024): what the
// memtable reports to RocksDB's write_buffer_size is what it allocated, and a
// block allocated ahead of its rows stays a small part of a memtable. Writers
// append under a short lock; readers take a consistent prefix (Snapshot) and
// scan it without a lock, because published rows are immutable. A reserve of
// blocks whose pages are already faulted in (ArenaWorker::Prefaulter) keeps
// the kernel's page faults and zeroing off the write path.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "db/fresh_graph.h"
#include "drift/memtable_options.h"
#include "rocksdb/slice.h"

namespace drift {

class FreshVectorArena {
 public:
  static constexpr size_t kTargetBlockBytes = size_t{256} << 10;
  static constexpr size_t kMinRowsPerBlock = 16, kMaxRowsPerBlock = 1024;
  // log2 of the rows per block for vectors of `dim` floats.
  static uint32_t BlockShift(uint32_t dim);

  // Vectors of options.dimension (> 0); options also configure the graph.
  explicit FreshVectorArena(const DriftMemTableOptions& options);

  uint32_t dim() const { return dim_; }
  size_t rows_per_block() const { return size_t{1} << block_shift_; }

  // Appends a vector (dim little-endian floats in `value`, possibly unaligned)
  // stored under `internal_key`. Thread-safe. Vectors with a NaN or infinite
  // component are not searchable and are skipped (returns false).
  bool Append(const rocksdb::Slice& internal_key, const rocksdb::Slice& value);

  // Records the deletion (point or single delete) stored under
  // `internal_key`. Thread-safe. The engine's bucket statistics find the
  // vector each deletion hides (DeletionsFrom).
  void AppendDeletion(const rocksdb::Slice& internal_key);
  size_t num_deletions() const {
    return num_deletions_.load(std::memory_order_acquire);
  }
  // Copies of the internal keys of deletions [from, num_deletions()).
  std::vector<std::string> DeletionsFrom(size_t from) const;

  // A stable prefix of the arena: rows [0, size) and their blocks.
  struct View {
    size_t size = 0;
    uint32_t dim = 0;
    uint32_t block_shift = 0;
    std::vector<const float*> vector_blocks;
    std::vector<const std::vector<std::string>*> key_blocks;
    const float* vector(size_t row) const {
      return vector_blocks[row >> block_shift] + InBlock(row) * dim;
    }
    // The internal key (user key + seq/type) the row was written under.
    const std::string& key(size_t row) const {
      return (*key_blocks[row >> block_shift])[InBlock(row)];
    }
    size_t InBlock(size_t row) const {
      return row & ((size_t{1} << block_shift) - 1);
    }
  };
  View Snapshot() const;

  size_t size() const { return size_.load(std::memory_order_acquire); }
  // The clock of first_append_micros(): steady_clock microseconds.
  static int64_t NowMicros() {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
  // NowMicros() at the first appended row (0: none yet): how old the
  // memtable's vectors are (the janitor's age flush).
  int64_t first_append_micros() const {
    return first_append_micros_.load(std::memory_order_relaxed);
  }
  // Rows and keys only. It stops growing when the memtable stops taking
  // writes, as RocksDB's accounting of immutable memtables requires; the
  // graph, which keeps growing in the background, is not included (see
  // graph()->MemoryUsage()).
  size_t MemoryUsage() const;

  // Prepares blocks ahead of the writer, their pages faulted in, until the
  // reserve holds kReserveBytes of them (none once sealed). Allocates outside
  // the lock. Returns how many blocks it added. Appends take reserve blocks
  // first and allocate inline when the reserve is empty.
  size_t RefillReserve();
  // The memtable takes no more writes: frees the reserve, and RefillReserve
  // adds none. Idempotent.
  void Seal();
  // Reserve blocks (vectors and the keys' capacity, RowBytes a row) are not
  // in MemoryUsage(): at most kReserveBytes per arena that took a write and
  // is not sealed; none where one block is larger.
  static constexpr size_t kReserveBytes = size_t{1} << 20;
  static size_t RowBytes(uint32_t dim) {
    return std::max<size_t>(1, dim) * sizeof(float) + sizeof(std::string);
  }
  size_t reserve_blocks() const;
  bool wants_reserve() const { return reserve_target_ > 0; }

  // The HNSW graph over this arena's rows (built in the background).
  const FreshGraph* graph() const { return &graph_; }
  FreshGraph* graph() { return &graph_; }

 private:
  struct Block {
    std::unique_ptr<float[]> vectors;
    std::vector<std::string> keys;
  };

  std::unique_ptr<Block> NewBlock() const;

  const uint32_t dim_;
  const uint32_t block_shift_;
  const size_t reserve_target_;  // blocks
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<Block>> blocks_;   // guarded by mu_
  std::vector<std::unique_ptr<Block>> reserve_;  // guarded by mu_
  bool sealed_ = false;                          // guarded by mu_
  std::atomic<size_t> size_{0};
  std::atomic<int64_t> first_append_micros_{0};
  size_t key_bytes_ = 0;                // guarded by mu_
  std::vector<std::string> deletions_;  // guarded by mu_
  std::atomic<size_t> num_deletions_{0};
  FreshGraph graph_;
};

}  // namespace drift
