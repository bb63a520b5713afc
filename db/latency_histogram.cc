#include "db/latency_histogram.h"

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <limits>

namespace drift {

namespace {
std::vector<uint64_t> MakeBounds() {
  std::vector<uint64_t> bounds = {1, 2};
  while (bounds.back() < std::numeric_limits<uint64_t>::max() / 2) {
    bounds.push_back(std::max(bounds.back() + 1, bounds.back() / 2 * 3));
  }
  bounds.push_back(std::numeric_limits<uint64_t>::max());
  return bounds;
}
}  // namespace

LatencyHistogram::LatencyHistogram()
    : bounds_(MakeBounds()), counts_(bounds_.size(), 0) {}

void LatencyHistogram::Add(uint64_t value) {
  const size_t b =
      std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();
  std::lock_guard<std::mutex> lock(mu_);
  ++counts_[b];
  min_ = count_ == 0 ? value : std::min(min_, value);
  max_ = count_ == 0 ? value : std::max(max_, value);
  ++count_;
  sum_ += value;
  sum_squares_ += static_cast<double>(value) * static_cast<double>(value);
}

void LatencyHistogram::Clear() {
  std::lock_guard<std::mutex> lock(mu_);
  std::fill(counts_.begin(), counts_.end(), 0);
  count_ = sum_ = min_ = max_ = 0;
  sum_squares_ = 0;
}

double LatencyHistogram::PercentileLocked(double p) const {
  if (count_ == 0) return 0;
  const double threshold = static_cast<double>(count_) * p / 100.0;
  uint64_t cumulative = 0;
  for (size_t b = 0; b < counts_.size(); ++b) {
    if (counts_[b] == 0) continue;
    const uint64_t before = cumulative;
    cumulative += counts_[b];
    if (static_cast<double>(cumulative) >= threshold) {
      // Linear within the bucket, clamped to the values seen.
      const double lo = b == 0 ? 0.0 : static_cast<double>(bounds_[b - 1]);
      const double hi = static_cast<double>(bounds_[b]);
      const double pos = (threshold - static_cast<double>(before)) /
                         static_cast<double>(counts_[b]);
      const double v = lo + (hi - lo) * pos;
      return std::min(std::max(v, static_cast<double>(min_)),
                      static_cast<double>(max_));
    }
  }
  return static_cast<double>(max_);
}

void LatencyHistogram::Data(rocksdb::HistogramData* data) const {
  std::lock_guard<std::mutex> lock(mu_);
  data->median = PercentileLocked(50);
  data->percentile95 = PercentileLocked(95);
  data->percentile99 = PercentileLocked(99);
  const double n = static_cast<double>(count_);
  data->average = count_ == 0 ? 0 : static_cast<double>(sum_) / n;
  const double variance =
      count_ == 0 ? 0 : sum_squares_ / n - data->average * data->average;
  data->standard_deviation = std::sqrt(std::max(0.0, variance));
  data->max = static_cast<double>(max_);
  data->min = static_cast<double>(min_);
  data->count = count_;
  data->sum = sum_;
}

std::string LatencyHistogram::Summary() const {
  rocksdb::HistogramData d;
  Data(&d);
  char buf[200];
  snprintf(buf, sizeof(buf),
           "P50 : %f P95 : %f P99 : %f P100 : %f COUNT : %" PRIu64
           " SUM : %" PRIu64,
           d.median, d.percentile95, d.percentile99, d.max, d.count, d.sum);
  return buf;
}

}  // namespace drift
