// Options of the .drift table format (the segments of a vector column family).
#pragma once

#include <cstdint>

#include "drift/metric.h"

namespace drift {

// The compact codes a segment's bucket blobs carry for the scan (option
// strings: sq8, rabitq, auto).
enum class BucketCodes : uint8_t {
  // One byte per component (codec/sq8.h), scanned with an integer kernel.
  kSQ8 = 0,
  // Additionally RaBitQ-style 1-bit codes (index/rabitq.h): one bit per
  // rotated component (the dimension padded to a power of two >= 64) plus 20
  // bytes per row, with an error bound that lets a search skip rows that
  // cannot reach its top k. Written for the l2 metric only (other metrics
  // keep SQ8 alone); a search of an l2 column family scans them instead of
  // the SQ8 codes.
  kRabitQ = 1,
  // Chosen per segment when it is written, from its dimension: rabitq when
  // the RaBitQ padded dimension is >= 512, else sq8 (measured: rabitq is
  // 1.3-1.6x sq8's QPS at equal recall at 784-d, sq8 ~3x rabitq's at 128-d;
  // docs/options.md). Like kRabitQ, only under the l2 metric.
  kAuto = 2,
};

// Configurable from option strings, e.g.
//   table_factory={id=DriftTable;dimension=128;target_bucket_size=1024}
// and round-trips through OPTIONS files.
struct DriftTableOptions {
  static const char* kName() { return "DriftTableOptions"; }

  // Number of float32 components of a vector. 0 = learn it from the first
  // vector-shaped value (non-empty, whole finite float32s) a segment of this
  // table factory sees, in key order, and keep it for every later segment of
  // the factory (after a reopen, the first flush learns it again). Every
  // segment records the dimension it used (property drift.dimension). Values
  // of any other length are stored verbatim and never indexed.
  uint32_t dimension = 0;

  // Average number of vectors per IVF bucket when the builder trains its own
  // codebook (no codebook supplied by the engine).
  uint32_t target_bucket_size = 1024;

  // Entries between restart points of the sorted key index.
  uint32_t key_index_restart_interval = 16;
  // Target bytes of one key index partition (docs/format.md "Key index"):
  // the key index is written as partitions that readers page through the
  // blob cache, keeping only a small top level (one key and handle per
  // partition) in RAM. 0 writes the whole index as one block that readers
  // keep resident (the layout of builds before partitions, which cannot
  // read partitioned files). At most 16 MiB.
  uint32_t key_index_partition_size = 4096;

  // Bloom filter bits per user key (0 disables the filter).
  uint32_t bloom_bits_per_key = 10;

  // Capacity in bytes of the LRU cache of bucket blobs (SQ8 codes + keys) that
  // all segments of this table factory share; 0 disables caching (every probe
  // reads and verifies the blob from the file).
  uint64_t blob_cache_size = 512ull << 20;
  // Percent of blob_cache_size that bucket blobs (the SQ8 fast tier) and
  // decoded float chunks (the rows searches re-rank) may keep pinned, in
  // [0, 100]. A probed bucket or re-ranked chunk stays in the cache while its
  // segment is open, so later reads skip the cache lookup (and a bucket's
  // parse); beyond the budget, they are cached and evicted as usual.
  // 0 disables pinning.
  uint32_t pinned_bucket_percent = 50;

  // Alignment of bucket blobs in the file; a power of two >= 512 so that
  // use_direct_reads works (4096 matches common page and sector sizes).
  uint32_t blob_alignment = 4096;

  // Whether flushes ALP-compress the full-precision floats as compactions do.
  // Off, a flushed segment stores them raw in the same chunk container (4
  // bytes per value instead of ~1-3, until compaction rewrites it): a flush,
  // which writers wait on when memtables back up, then takes ~0.6x the time
  // (docs/options.md).
  bool compress_flushed_floats = false;

  // Threads that build one segment's vector section when the builder
  // finishes (k-means, bucket assignment, SQ8 and ALP encoding), the
  // flushing or compacting thread included: 1 keeps all of it on that
  // thread. The file's bytes do not depend on it.
  uint32_t build_threads = 2;

  // The scavenger: a segment (flush or compaction output) whose point
  // deletions (Delete, SingleDelete) are at least this fraction of its
  // entries is marked for compaction, which drops the deleted vectors and
  // what they hide sooner than ordinary compactions would (RocksDB's
  // CompactOnDeletionCollector rule, built into the table so that column
  // families configured by option string get it too). In [0, 1]; 0 = off.
  double scavenge_deletion_ratio = 0.2;

  // The distance searches rank by (drift/metric.h; option strings: l2, ip,
  // cosine). Under cosine the builder normalizes each vector for its bucket
  // assignment and SQ8 code (the fast tier) and keeps the original floats
  // bit-exact (the re-rank computes exact cosine from them). Must equal
  // VectorIndexOptions::metric and the DriftMemTable's metric.
  Metric metric = Metric::kL2;

  // Which codes segments written from now on carry (see BucketCodes). Every
  // segment records its own, so segments of either kind are searched
  // together; compaction rewrites them in the current kind.
  BucketCodes codes = BucketCodes::kAuto;

  // With codes=rabitq (or auto choosing it): refinement bits per rotated
  // component on top of the 1-bit code (extended RaBitQ, index/rabitq.h), in
  // [0, 7], or -1 = auto: 0 when the padded dimension is >= 512 (the 1-bit
  // bound is already tight there), else 3 (a 4-bit code, padded_dim / 2 + 8
  // more bytes per row). A search refines the rows whose 1-bit bound could
  // still reach its top k with them, so far fewer rows need an exact distance.
  // Out of range: InvalidArgument. Every segment records its own.
  int32_t rabitq_ex_bits = -1;
};

}  // namespace drift
