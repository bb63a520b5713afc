// RoutingCentroids: the copy of a codebook's centroids that routing reads.
// Routing a query computes its distance to every centroid of the coarse
// groups it opens (a third of the codebook or more); those reads, not the
// arithmetic, are the cost. So each centroid is kept as its residual from its
// coarse group's centroid, scaled by a power of two and stored as IEEE halves,
// group by group in member order: half the bytes of the floats, read as one
// stream per group.
//
// The distances are approximate: a residual coordinate r is off by at most
// 2^-11 |r| (plus 2^-25 of the largest one, where halves are subnormal), so
// near ties may order differently than with the float centroids. Routing and
// its calibration both use these distances, so the calibrated recall is that
// of the routing searches do.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace drift {

class RoutingCentroids {
 public:
  // Builds the copy of `centroids` (n x dim) for the coarse groups
  // `coarse` (groups x dim) with `members` (the slots of each group). Every
  // slot in a group must be < n. Empty without groups.
  void Build(const float* centroids, size_t dim, const float* coarse,
             const std::vector<std::vector<uint32_t>>& members);
  bool empty() const { return begin_.empty(); }

  // dist[i] = the squared distance of `query` to the i-th member of group
  // `group`, for every member (`members`: that group's slots, as given to
  // Build). `scratch` holds dim floats. A distance that is not finite in the
  // scaled space (a query far beyond the data's range) is recomputed from
  // the float centroid: `centroids` as given to Build.
  void GroupDistances(const float* query, uint32_t group,
                      const std::vector<uint32_t>& members,
                      const float* centroids, float* scratch,
                      float* dist) const;

  size_t MemoryBytes() const {
    return residuals_.capacity() * sizeof(uint16_t) +
           coarse_.capacity() * sizeof(float) +
           begin_.capacity() * sizeof(uint32_t);
  }

 private:
  size_t dim_ = 0;
  float scale_ = 1;              // residual coordinates are stored times scale_
  float inverse_square_ = 1;     // 1 / scale_^2
  std::vector<float> coarse_;    // groups x dim
  std::vector<uint32_t> begin_;  // group g: rows [begin_[g], begin_[g + 1])
  std::vector<uint16_t> residuals_;  // rows x dim halves
};

}  // namespace drift
