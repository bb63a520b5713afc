#include "index/metric_distance.h"

#include <cmath>
#include <cstring>
#include <limits>

#include "index/distance.h"

namespace drift {

const char* MetricName(Metric metric) {
  switch (metric) {
    case Metric::kL2:
      return "l2";
    case Metric::kInnerProduct:
      return "ip";
    case Metric::kCosine:
      return "cosine";
  }
  return "unknown";
}

rocksdb::Status ParseMetric(const std::string& name, Metric* metric) {
  for (Metric m : {Metric::kL2, Metric::kInnerProduct, Metric::kCosine}) {
    if (name == MetricName(m)) {
      *metric = m;
      return rocksdb::Status::OK();
    }
  }
  return rocksdb::Status::InvalidArgument("drift: unknown metric '" + name +
                                          "' (one of l2, ip, cosine)");
}

bool ToIndexSpace(Metric metric, const float* x, size_t d, float* out) {
  if (metric != Metric::kCosine) {
    if (out != x) std::memmove(out, x, d * sizeof(float));
    return true;
  }
  const float norm_sq = InnerProduct(x, x, d);
  if (!(norm_sq > 0)) {
    std::memset(out, 0, d * sizeof(float));
    return false;
  }
  const float inv = static_cast<float>(1.0 / std::sqrt(double{norm_sq}));
  for (size_t j = 0; j < d; ++j) out[j] = x[j] * inv;
  return true;
}

ExactDistance::ExactDistance(Metric metric, const float* query, size_t d)
    : metric_(metric), query_(query), d_(d) {
  if (metric_ == Metric::kCosine)
    query_norm_sq_ = InnerProduct(query, query, d);
}

float ExactDistance::operator()(const float* x) const {
  switch (metric_) {
    case Metric::kL2:
      return L2Sqr(query_, x, d_);
    case Metric::kInnerProduct:
      return -InnerProduct(query_, x, d_);
    case Metric::kCosine: {
      const float x_norm_sq = InnerProduct(x, x, d_);
      if (!(x_norm_sq > 0) || !(query_norm_sq_ > 0)) {
        return std::numeric_limits<float>::infinity();
      }
      const double cos = InnerProduct(query_, x, d_) /
                         std::sqrt(double{query_norm_sq_} * x_norm_sq);
      return static_cast<float>(1.0 - cos);
    }
  }
  return std::numeric_limits<float>::infinity();
}

void RoutingDistances(Metric metric, const float* q, const float* base,
                      size_t n, size_t d, float* out) {
  if (metric != Metric::kInnerProduct) {
    L2SqrMany(q, base, n, d, out);
    return;
  }
  for (size_t i = 0; i < n; ++i) out[i] = -InnerProduct(q, base + i * d, d);
}

float RoutingDistance(Metric metric, const float* q, const float* c, size_t d) {
  return metric == Metric::kInnerProduct ? -InnerProduct(q, c, d)
                                         : L2Sqr(q, c, d);
}

}  // namespace drift
