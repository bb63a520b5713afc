// BucketMoments: the count, mean and scatter of a set of vectors, mergeable
// (Chan et al.'s parallel update), so the shape of a bucket can be summed over
// the segments and memtables that hold its vectors without reading them again.
// Drift maintenance compares the mean with the bucket's centroid (how far the
// bucket's vectors moved since the centroid was set) relative to the spread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace drift {

struct BucketMoments {
  uint64_t count = 0;
  std::vector<double> mean;  // dim values; empty while count == 0
  double m2 = 0;             // sum of squared distances to the mean

  // Adds one vector (Welford's update).
  void Add(const float* x, uint32_t dim);
  // Adds the `n` rows of x (n x dim, row-major).
  void AddRows(const float* x, size_t n, uint32_t dim);
  // Adds every vector `other` summarises.
  void Merge(const BucketMoments& other);
  // Takes out the vectors `part` summarises, which must be among this one's
  // (the inverse of Merge; m2 is clamped at 0 against rounding). Removing
  // everything leaves it empty.
  void Remove(const BucketMoments& part);
  // Mean squared distance of the vectors to their mean (0 when empty).
  double spread() const { return count == 0 ? 0 : m2 / count; }
  // Squared distance between the mean and `point` (dim floats); 0 when empty.
  double ShiftSqr(const float* point) const;
};

// Accumulates the moments of many rows faster than BucketMoments::Add (the
// builder's path: every row of a segment): sums of the rows' offsets from
// the first row and of their squares, per dimension, which vectorise; the
// shift keeps the squares from cancelling when the rows sit far from the
// origin.
class MomentsAccumulator {
 public:
  explicit MomentsAccumulator(uint32_t dim) : dim_(dim) {}
  void AddRows(const float* x, size_t n);
  BucketMoments Finish() const;

 private:
  const uint32_t dim_;
  uint64_t count_ = 0;
  std::vector<float> shift_;
  std::vector<double> sum_, sum_sq_;
};

}  // namespace drift
