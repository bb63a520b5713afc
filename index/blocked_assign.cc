#include "index/blocked_assign.h"

#include <algorithm>
#include <limits>

#include "index/distance.h"
#include "index/kernel_table.h"

namespace drift {

namespace {
// Vectors per block: their rows of each opened group form one dot-product
// block of a few dozen rows or more.
constexpr size_t kBlock = 1024;
// Coarse groups searched per vector, as Codebook::Assign.
constexpr size_t kOpenGroups = 3;
}  // namespace

BlockedAssigner::BlockedAssigner(const Codebook& cb) : cb_(cb) {
  const size_t d = cb.dim;
  const auto& kernels = internal::ActiveKernels();
  const size_t num_groups = cb.members.size();
  for (size_t g = 0; g < num_groups; ++g) {
    const float* c = cb.coarse_centroids.data() + g * d;
    coarse_norms_.push_back(kernels.inner_product(c, c, d));
  }
  groups_.resize(num_groups);
  for (size_t g = 0; g < num_groups; ++g) {
    Group& group = groups_[g];
    group.slots = cb.members[g];
    for (uint32_t slot : group.slots) {
      const float* c = cb.centroid(slot);
      group.centroids.insert(group.centroids.end(), c, c + d);
      group.norms.push_back(kernels.inner_product(c, c, d));
    }
  }
}

void BlockedAssigner::Assign(const float* x, size_t n, uint32_t* slots) const {
  const size_t d = cb_.dim;
  if (groups_.empty()) {  // every centroid, blocked already
    AssignNearest(x, n, cb_.centroids.data(), cb_.size(), d, slots, nullptr);
    return;
  }
  const auto& kernels = internal::ActiveKernels();
  const size_t num_groups = groups_.size();
  const size_t open_groups = std::min(kOpenGroups, num_groups);
  std::vector<float> gdots(kBlock * num_groups);
  std::vector<std::vector<uint32_t>> rows_of(num_groups);
  std::vector<float> rows_buf, dots;
  float best[kBlock];
  uint32_t best_slot[kBlock];
  for (size_t i0 = 0; i0 < n; i0 += kBlock) {
    const size_t rows = std::min(kBlock, n - i0);
    const float* xb = x + i0 * d;
    kernels.dot_block(xb, rows, cb_.coarse_centroids.data(), num_groups, d,
                      gdots.data());
    for (auto& r : rows_of) r.clear();
    for (size_t r = 0; r < rows; ++r) {
      // The open_groups nearest groups by insertion; a later group only
      // displaces on a strictly smaller distance.
      const float* dot = gdots.data() + r * num_groups;
      uint32_t open[kOpenGroups];
      float open_dist[kOpenGroups];
      size_t opened = 0;
      for (uint32_t g = 0; g < num_groups; ++g) {
        const float v = coarse_norms_[g] - 2.0f * dot[g];
        size_t at = opened < open_groups ? opened++ : open_groups;
        while (at > 0 && v < open_dist[at - 1]) {
          if (at < open_groups) {
            open[at] = open[at - 1];
            open_dist[at] = open_dist[at - 1];
          }
          --at;
        }
        if (at < open_groups) {
          open[at] = g;
          open_dist[at] = v;
        }
      }
      for (size_t t = 0; t < opened; ++t) {
        rows_of[open[t]].push_back(static_cast<uint32_t>(r));
      }
      best[r] = std::numeric_limits<float>::infinity();
      best_slot[r] = 0;
    }
    for (size_t g = 0; g < num_groups; ++g) {
      const std::vector<uint32_t>& members = rows_of[g];
      const Group& group = groups_[g];
      const size_t m = members.size(), nc = group.slots.size();
      if (m == 0 || nc == 0) continue;
      rows_buf.resize(m * d);
      for (size_t a = 0; a < m; ++a) {
        std::copy(xb + size_t{members[a]} * d, xb + size_t{members[a]} * d + d,
                  rows_buf.begin() + a * d);
      }
      dots.resize(m * nc);
      kernels.dot_block(rows_buf.data(), m, group.centroids.data(), nc, d,
                        dots.data());
      for (size_t a = 0; a < m; ++a) {
        const uint32_t r = members[a];
        const float* dot = dots.data() + a * nc;
        for (size_t c = 0; c < nc; ++c) {
          const float v = group.norms[c] - 2.0f * dot[c];
          const uint32_t slot = group.slots[c];
          if (v < best[r] || (v == best[r] && slot < best_slot[r])) {
            best[r] = v;
            best_slot[r] = slot;
          }
        }
      }
    }
    std::copy(best_slot, best_slot + rows, slots + i0);
  }
}

}  // namespace drift
