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

void MomentsAccumulator::AddRows(const float* x, size_t n) {
  if (n == 0) return;
  if (count_ == 0) {
    shift_.assign(x, x + dim_);
    sum_.assign(dim_, 0.0);
    sum_sq_.assign(dim_, 0.0);
  }
  double* sum = sum_.data();
  double* sum_sq = sum_sq_.data();
  const float* shift = shift_.data();
  for (size_t i = 0; i < n; ++i) {
    const float* row = x + i * dim_;
    for (uint32_t j = 0; j < dim_; ++j) {
      const double d = static_cast<double>(row[j]) - shift[j];
      sum[j] += d;
      sum_sq[j] += d * d;
    }
  }
  count_ += n;
}

BucketMoments MomentsAccumulator::Finish() const {
  BucketMoments m;
  if (count_ == 0) return m;
  m.count = count_;
  m.mean.resize(dim_);
  const double n = static_cast<double>(count_);
  double m2 = 0;
  for (uint32_t j = 0; j < dim_; ++j) {
    const double offset = sum_[j] / n;
    m.mean[j] = shift_[j] + offset;
    m2 += sum_sq_[j] - sum_[j] * offset;
  }
  m.m2 = std::max(0.0, m2);
  return m;
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
