#include "index/bucket_moments.h"

#include <algorithm>

namespace drift {

void BucketMoments::Add(const float* x, uint32_t dim) {
  if (count == 0) mean.assign(dim, 0.0);
  ++count;
  const double inv = 1.0 / static_cast<double>(count);
  double d2 = 0;
  for (uint32_t j = 0; j < dim; ++j) {
    const double delta = x[j] - mean[j];
    mean[j] += delta * inv;
    d2 += delta * (x[j] - mean[j]);
  }
  m2 += d2;
}

void BucketMoments::AddRows(const float* x, size_t n, uint32_t dim) {
  for (size_t i = 0; i < n; ++i) Add(x + i * dim, dim);
}

void BucketMoments::Merge(const BucketMoments& other) {
  if (other.count == 0) return;
  if (count == 0) {
    *this = other;
    return;
  }
  const double na = static_cast<double>(count);
  const double nb = static_cast<double>(other.count);
  const double n = na + nb;
  double d2 = 0;
  for (size_t j = 0; j < mean.size(); ++j) {
    const double delta = other.mean[j] - mean[j];
    d2 += delta * delta;
    mean[j] += delta * nb / n;
  }
  m2 += other.m2 + d2 * na * nb / n;
  count += other.count;
}

void BucketMoments::Remove(const BucketMoments& part) {
  if (part.count == 0) return;
  if (part.count >= count) {
    *this = BucketMoments();
    return;
  }
  const double n = static_cast<double>(count);
  const double nb = static_cast<double>(part.count);
  const double na = n - nb;  // what stays
  double d2 = 0;
  for (size_t j = 0; j < mean.size(); ++j) {
    mean[j] = (n * mean[j] - nb * part.mean[j]) / na;
    const double delta = part.mean[j] - mean[j];
    d2 += delta * delta;
  }
  m2 = std::max(0.0, m2 - part.m2 - d2 * na * nb / n);
  count -= part.count;
}

double BucketMoments::ShiftSqr(const float* point) const {
  double d2 = 0;
  for (size_t j = 0; j < mean.size(); ++j) {
    const double delta = mean[j] - point[j];
    d2 += delta * delta;
  }
  return d2;
}

}  // namespace drift
