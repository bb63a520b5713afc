// BlobCacheCounters: how the readers of one table factory's blob cache were
// served (VectorIndex properties drift.blob-cache-*). RocksDB's Cache keeps
// no hit counts of its own (BlockBasedTable counts them in its Statistics),
// so the readers count here.
#pragma once

#include <atomic>
#include <cstdint>

namespace drift {

struct BlobCacheCounters {
  // Cache lookups of bucket blobs and float chunks that found the entry, and
  // those that read (and verified) it from the file and inserted it.
  std::atomic<uint64_t> hits{0};
  std::atomic<uint64_t> misses{0};
  // Reads served by a block the segment keeps pinned (no cache lookup).
  std::atomic<uint64_t> pinned_reads{0};
};

}  // namespace drift
