#include "index/routing_centroids.h"

#include <algorithm>
#include <cmath>

#include "index/distance.h"
#include "index/half_float.h"

namespace drift {

void RoutingCentroids::Build(
    const float* centroids, size_t dim, const float* coarse,
    const std::vector<std::vector<uint32_t>>& members) {
  *this = RoutingCentroids();
  if (members.empty()) return;
  dim_ = dim;
  coarse_.assign(coarse, coarse + members.size() * dim);
  float largest = 0;
  for (size_t g = 0; g < members.size(); ++g) {
    for (uint32_t slot : members[g]) {
      for (size_t j = 0; j < dim; ++j) {
        largest = std::max(largest, std::abs(centroids[size_t{slot} * dim + j] -
                                             coarse[g * dim + j]));
      }
    }
  }
  // The largest residual lands in [2^13, 2^14): far from overflowing a half
  // (65504), with the full 11 bits of precision for all but tiny ones. The
  // exponent is clamped so scale_^2 stays a normal float.
  int exponent = 0;
  if (largest > 0 && std::isfinite(largest)) std::frexp(largest, &exponent);
  exponent = std::clamp(14 - exponent, -60, 60);
  scale_ = std::ldexp(1.0f, exponent);
  inverse_square_ = std::ldexp(1.0f, -2 * exponent);
  begin_.push_back(0);
  for (size_t g = 0; g < members.size(); ++g) {
    for (uint32_t slot : members[g]) {
      for (size_t j = 0; j < dim; ++j) {
        const float r = centroids[size_t{slot} * dim + j] - coarse[g * dim + j];
        residuals_.push_back(FloatToHalf(r * scale_));
      }
    }
    begin_.push_back(begin_.back() + static_cast<uint32_t>(members[g].size()));
  }
}

void RoutingCentroids::GroupDistances(const float* query, uint32_t group,
                                      const std::vector<uint32_t>& members,
                                      const float* centroids, float* scratch,
                                      float* dist) const {
  const float* c = coarse_.data() + size_t{group} * dim_;
  for (size_t j = 0; j < dim_; ++j) scratch[j] = (query[j] - c[j]) * scale_;
  const uint32_t first = begin_[group];
  const size_t rows = begin_[group + 1] - first;
  L2SqrHalfMany(scratch, residuals_.data() + size_t{first} * dim_, rows, dim_,
                dist);
  for (size_t i = 0; i < rows; ++i) {
    dist[i] *= inverse_square_;
    if (!std::isfinite(dist[i])) {
      dist[i] = L2Sqr(query, centroids + size_t{members[i]} * dim_, dim_);
    }
  }
}

}  // namespace drift
