// Bucket assignment of a whole segment with blocked dot products.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "index/codebook.h"

namespace drift {

// Codebook::Assign's search (with a coarse layer: the centroids of the 3
// nearest coarse groups; without: every centroid), computed as |c|^2 - 2 x.c
// over blocks of vectors with the dot-product tile kernel instead of one L2
// distance call per vector and centroid: about 3x faster for a few hundred
// centroids. Each dot product is accumulated in the same order whatever the
// block, so a vector's slot depends on that vector alone. Codebook::Assign
// builds one per call; a caller that assigns many batches (the segment
// writer) keeps one. Ties go to the lower slot.
class BlockedAssigner {
 public:
  // `cb` must outlive the assigner.
  explicit BlockedAssigner(const Codebook& cb);

  // slots[i] = the slot of vector i of x (n x dim). Thread-safe.
  void Assign(const float* x, size_t n, uint32_t* slots) const;

 private:
  struct Group {
    std::vector<uint32_t> slots;
    std::vector<float> centroids;  // slots.size() x dim, contiguous
    std::vector<float> norms;      // |centroid|^2
  };
  const Codebook& cb_;
  std::vector<float> coarse_norms_;
  std::vector<Group> groups_;  // one per coarse group; one group of all
                               // centroids without a coarse layer
};

}  // namespace drift
