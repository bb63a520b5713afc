// VectorSample: a uniform sample of the vectors a column family holds, read
// from where they already sit grouped: the segments' buckets (a few rows per
// bucket, each decoded from its float chunk) and the memtables' fresh-vector
// arenas. Its cost is proportional to the sample, not to the column family
// (unlike a scan with an iterator), which is what lets drift maintenance
// check the buckets often.
//
// It samples entries, not keys: a version that a newer one or a deletion
// hides but compaction has not dropped yet can be drawn. Good enough to
// estimate bucket sizes and shapes; Train uses an exact scan
// (SampleColumnFamily).
#pragma once

#include <cstdint>
#include <vector>

#include "db/pinned_view.h"
#include "drift/metric.h"
#include "rocksdb/db.h"
#include "rocksdb/status.h"

namespace drift {

// Draws every stored vector of `view` with probability about max_sample /
// total (all of them if total <= max_sample; deterministic for a seed).
// *sample receives the rows in the index space of `metric` (dim floats each,
// non-finite rows and, under cosine, zero vectors skipped),
// *total the number of stored vectors (bucket rows + arena rows). Errors of
// reading a segment propagate.
rocksdb::Status SampleStoredVectors(const PinnedView& view, uint32_t dim,
                                    Metric metric, size_t max_sample,
                                    uint64_t seed, std::vector<float>* sample,
                                    uint64_t* total);

// A reservoir sample of at most `max_sample` finite vectors of the column
// family's visible keys (one iterator scan, not filling the block cache;
// deterministic for a seed). *total counts every finite vector seen.
rocksdb::Status SampleColumnFamily(rocksdb::DB* db,
                                   rocksdb::ColumnFamilyHandle* cf,
                                   uint32_t dim, Metric metric,
                                   size_t max_sample, uint64_t seed,
                                   std::vector<float>* sample, uint64_t* total);

}  // namespace drift
