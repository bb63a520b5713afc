// k-means clustering for IVF bucket centroids, and the balanced 2-means used
// to split one bucket in two.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "rocksdb/status.h"

namespace drift {

struct KMeansOptions {
  // Lloyd iterations run on a sample of at most this many points ...
  size_t max_sample = 65536;
  // ... and at most this many per centroid (0: no per-centroid cap). 64 keeps
  // flush-time training cheap; faiss uses 256.
  size_t max_points_per_centroid = 64;
  // k-means++ seeding runs on at most this many points per centroid of the
  // sample (its cost is k * points * d).
  size_t seeding_points_per_centroid = 16;
  int iterations = 8;
  uint64_t seed = 1234;
  // Threads (the caller's included) that share each Lloyd assignment step;
  // the result does not depend on it.
  unsigned threads = 1;
};

// k-means++ seeding and Lloyd iterations on a sample of x (n x d, finite
// values); `centroids` receives min(k, n) x d floats. Deterministic for a
// seed. A cluster that becomes empty is re-seeded by splitting the largest
// cluster that has distinct points (its point farthest from its centroid
// moves over); with fewer distinct points than k, some centroids stay
// duplicates (AssignNearest then sends their points to the lowest index).
// InvalidArgument if n, d or k is 0.
rocksdb::Status KMeans(const float* x, size_t n, size_t d, size_t k,
                       const KMeansOptions& opt, std::vector<float>* centroids);

struct TwoMeansSplit {
  std::vector<float> centroids;  // 2 x d: the means of the two sides
  std::vector<uint8_t> side;     // n entries, 0 or 1
  size_t count[2] = {0, 0};      // points per side
  // False when the points are (near-)identical (every squared distance to
  // their mean <= 1e-10 * (1 + |mean|^2)) or n < 2: they cannot be
  // separated, everything is on side 0 and both centroids are the mean.
  bool separated = false;
};

// Splits x (n x d) into two halves with 2-means, then rebalances so each side
// holds at least ceil(min_fraction * n) points: if 2-means is lopsided, the
// points closest to the boundary (smallest |x-c0|^2 - |x-c1|^2 margin) move
// to the small side, and the centroids are recomputed as the sides' means.
// InvalidArgument if n or d is 0 or min_fraction is not in [0, 0.5].
rocksdb::Status BalancedTwoMeans(const float* x, size_t n, size_t d,
                                 const KMeansOptions& opt, double min_fraction,
                                 TwoMeansSplit* out);

// Splits one IVF cluster's points x (n x d) in two: BalancedTwoMeans with
// each side >= 30%, then every point on the side of its nearer new centroid
// (where AssignNearest will send it; out->count follows); with `recentre`,
// each centroid then moves to the mean of its side (a Lloyd step: better
// routing, but the sides a final assignment gives may be less balanced).
// out->separated is false, and the cluster should be marked unsplittable,
// when the points are near-identical or the nearest-centroid sides leave one
// under 5% (the rebalancing only cut through points that do not separate,
// e.g. duplicates and one outlier).
rocksdb::Status SplitCluster(const float* x, size_t n, size_t d,
                             const KMeansOptions& opt, bool recentre,
                             TwoMeansSplit* out);

// rows = the rows ids of x (row length d), in that order.
void GatherRows(const float* x, size_t d, const std::vector<uint32_t>& ids,
                std::vector<float>* rows);

// Balances a clustering for IVF: while the largest cluster of x (n x d)
// under `centroids` holds more than `max_over_mean` times the mean cluster
// size and there are fewer than `max_centroids` centroids, that cluster is
// split with BalancedTwoMeans (each side >= 30% of it): its centroid is
// replaced by one side's mean and the other side's is appended. k-means
// minimises squared error, not size, so a tight region of data gets few
// centroids however many points it holds; this is the remedy. A cluster that
// cannot be separated (near-identical points) is never split again. Returns
// the number of splits in *splits (optional). InvalidArgument if the shapes
// are empty or max_over_mean <= 1.
rocksdb::Status SplitLargeClusters(const float* x, size_t n, size_t d,
                                   double max_over_mean, size_t max_centroids,
                                   const KMeansOptions& opt,
                                   std::vector<float>* centroids,
                                   size_t* splits = nullptr);

}  // namespace drift
