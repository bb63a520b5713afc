// Vacuum: finds the segments of a vector column family whose entries are
// mostly dead and compacts their key ranges, where compaction drops them.
// An entry is dead if it is a deletion, or its key's current value is gone
// or different (deleted or overwritten later, in a newer segment or a
// memtable). The scavenger (DriftTableOptions::scavenge_deletion_ratio,
// in the table builder) only counts the deletions written into a segment;
// entries made dead by later writes elsewhere are what this finds.
// Dead entries cost disk and, in a probed bucket, scan time and re-rank
// point reads.
#pragma once

#include <cstdint>
#include <string>

#include "rocksdb/db.h"

namespace drift {

class VectorSectionReader;

struct DeadEstimate {
  uint64_t entries = 0;  // in the segment
  uint64_t sampled = 0;
  uint64_t dead = 0;  // of the sampled
  std::string smallest_user_key, largest_user_key;
  double fraction() const {
    return sampled == 0 ? 0.0 : static_cast<double>(dead) / sampled;
  }
};

// Checks up to `max_sample` entries of `segment`, evenly spaced over its key
// index, against the column family's current state (one Get each).
rocksdb::Status EstimateDeadEntries(rocksdb::DB* db,
                                    rocksdb::ColumnFamilyHandle* cf,
                                    const VectorSectionReader& segment,
                                    size_t max_sample, DeadEstimate* out);

}  // namespace drift
