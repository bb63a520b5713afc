// The distance a vector column family ranks by (DriftTableOptions::metric,
// DriftMemTableOptions::metric, VectorIndexOptions::metric; option strings
// spell it l2, ip or cosine).
//
// SearchHit::distance per metric, ascending = nearest first:
//   kL2:           squared Euclidean distance sum_j (q_j - x_j)^2.
//   kInnerProduct: the negative inner product -sum_j q_j x_j (maximum inner
//                  product search: the largest q.x comes first).
//   kCosine:       1 - cos(q, x) = 1 - q.x / (|q| |x|), in [0, 2].
// Under kCosine a zero vector has no direction: VectorIndex::Put and Search
// reject it (InvalidArgument), and one written by a plain DB::Put is stored
// but never returned by a search.
#pragma once

#include <string>

#include "rocksdb/status.h"

namespace drift {

enum class Metric : uint8_t {
  kL2 = 0,
  kInnerProduct = 1,
  kCosine = 2,
};

// "l2", "ip", "cosine".
const char* MetricName(Metric metric);

// Parses a name MetricName prints (case-sensitive); InvalidArgument naming
// the accepted spellings otherwise (*metric is unchanged then).
rocksdb::Status ParseMetric(const std::string& name, Metric* metric);

}  // namespace drift
