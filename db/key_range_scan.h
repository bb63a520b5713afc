// A filtered search over a small key range: the range is read in key order
// through a rocksdb iterator at the search's snapshot and every visible
// vector in it is compared exactly, so the answer is the brute-force one
// over the passing vectors. Probing buckets would, for a range of a few
// thousand keys, scan many more vectors to find the same few.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "drift/vector_index.h"
#include "rocksdb/db.h"

namespace drift {

class ExactDistance;
class SearchFilter;

// Reads the entries of `filter`'s key range (filter->has_range()) at
// `snapshot`. If the range ends within `budget` entries, *hits = the k
// nearest passing vectors (sorted by distance, ties by key) and *complete =
// true; else *complete = false and *hits is unspecified. Distances are
// `distance`'s (the column family's metric). Values that are not finite
// vectors of dimension `dim`, and vectors that never match (a zero vector
// under cosine), are skipped, as a search skips them.
// With `with_vectors` each hit carries the vector it was measured with.
rocksdb::Status ScanKeyRange(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf,
                             const rocksdb::Snapshot* snapshot,
                             SearchFilter* filter,
                             const ExactDistance& distance, uint32_t dim,
                             size_t k, uint64_t budget, bool with_vectors,
                             std::vector<SearchHit>* hits, SearchStats* stats,
                             bool* complete);

}  // namespace drift
