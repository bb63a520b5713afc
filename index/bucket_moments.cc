#include "index/bucket_moments.h"

#include <algorithm>

#include "util/cpu_features.h"

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

namespace {

// sum[j] += x[j] - shift[j] and sum_sq[j] += (x[j] - shift[j])^2 for each of
// the n rows of x. Each component is its own chain of IEEE double operations
// (no reduction across j, no fused multiply-add), so every instantiation
// gives the same bits; only the vector width differs.
inline __attribute__((always_inline)) void AddMomentRowsBody(
    const float* __restrict x, size_t n, uint32_t dim,
    const float* __restrict shift, double* __restrict sum,
    double* __restrict sum_sq) {
  for (size_t i = 0; i < n; ++i) {
    const float* __restrict row = x + i * dim;
    for (uint32_t j = 0; j < dim; ++j) {
      const double d = static_cast<double>(row[j]) - shift[j];
      sum[j] += d;
      sum_sq[j] += d * d;
    }
  }
}

void AddMomentRows(const float* x, size_t n, uint32_t dim, const float* shift,
                   double* sum, double* sum_sq) {
  AddMomentRowsBody(x, n, dim, shift, sum, sum_sq);
}

#if defined(__x86_64__) && defined(__GNUC__)
// Four doubles per operation instead of SSE2's two: a flush accumulates the
// moments of every vector it writes.
__attribute__((target("avx2"))) void AddMomentRowsAvx2(const float* x, size_t n,
                                                       uint32_t dim,
                                                       const float* shift,
                                                       double* sum,
                                                       double* sum_sq) {
  AddMomentRowsBody(x, n, dim, shift, sum, sum_sq);
}
#endif

using AddMomentRowsFn = void (*)(const float*, size_t, uint32_t, const float*,
                                 double*, double*);

AddMomentRowsFn ChooseAddMomentRows() {
#if defined(__x86_64__) && defined(__GNUC__)
  if (ActiveIsa() >= IsaLevel::kAvx2) return AddMomentRowsAvx2;
#endif
  return AddMomentRows;
}

}  // namespace

void MomentsAccumulator::AddRows(const float* x, size_t n) {
  if (n == 0) return;
  if (count_ == 0) {
    shift_.assign(x, x + dim_);
    sum_.assign(dim_, 0.0);
    sum_sq_.assign(dim_, 0.0);
  }
  static const AddMomentRowsFn add_rows = ChooseAddMomentRows();
  add_rows(x, n, dim_, shift_.data(), sum_.data(), sum_sq_.data());
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
