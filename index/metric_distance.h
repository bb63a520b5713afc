// Distances per metric (drift/metric.h) and the index space.
//
// The index space is what the fast tier holds and routes in: the SQ8 codes,
// the codebook's centroids, bucket moments and samples. Under kL2 and
// kInnerProduct it is the vectors themselves; under kCosine the vectors
// scaled to unit length, where |q - x|^2 = 2 (1 - cos), so every L2 structure
// (k-means, SQ8 L2 scans, calibration) ranks by cosine. The full-precision
// floats are always the originals, bit for bit; exact distances (re-rank,
// memtable scans, brute force) are computed from them by ExactDistance.
//
// Routing (query to centroid) ranks by |q - c|^2 under kL2 and kCosine and
// by -q.c under kInnerProduct (maximum inner product: buckets whose centroid
// has the largest inner product with the query are probed first).
#pragma once

#include <cstddef>
#include <limits>

#include "drift/metric.h"

namespace drift {

// out = x in the index space (d floats; out may equal x). False if x is a
// zero vector under kCosine (out is then all zeros): it has no direction.
bool ToIndexSpace(Metric metric, const float* x, size_t d, float* out);

// The exact SearchHit::distance of a query to any vector, with the query's
// own terms computed once.
class ExactDistance {
 public:
  ExactDistance(Metric metric, const float* query, size_t d);
  // +infinity under kCosine for a zero vector (it never matches).
  float operator()(const float* x) const;
  // Whether a distance it returned is no match: not a number (an inner
  // product that overflowed with mixed signs), or infinite under kCosine (a
  // zero vector). Searches and brute force leave such vectors out.
  bool NeverMatches(float distance) const {
    return distance != distance ||
           (metric_ == Metric::kCosine &&
            distance == std::numeric_limits<float>::infinity());
  }
  Metric metric() const { return metric_; }
  const float* query() const { return query_; }

 private:
  Metric metric_;
  const float* query_;
  size_t d_;
  float query_norm_sq_ = 0;
};

// out[i] = routing distance of q to the n rows of base (n x d): |q - c|^2,
// or -q.c under kInnerProduct.
void RoutingDistances(Metric metric, const float* q, const float* base,
                      size_t n, size_t d, float* out);
float RoutingDistance(Metric metric, const float* q, const float* c, size_t d);

// The approximate metric distance of an SQ8 scan result: the scans compute
// |q - x|^2 in the index space (kL2, kCosine: half of it is 1 - cos) or
// -q.x (kInnerProduct, SQ8Scanner::ScanNegDot).
inline float FromIndexSpaceL2(Metric metric, float l2) {
  return metric == Metric::kCosine ? 0.5f * l2 : l2;
}

}  // namespace drift
