#include "db_bench_drift/search_eval.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "index/exact_knn.h"
#include "index/metric_distance.h"

namespace drift {
namespace bench {
namespace {

// ExactKnn under `metric`: cosine ranks as l2 on unit vectors, so copies of
// the base and query rows scaled to unit length are searched.
void MetricKnn(drift::Metric metric, const float* base, size_t n,
               const float* queries, size_t nq, size_t d, size_t k,
               uint32_t* ids) {
  if (metric != drift::Metric::kCosine) {
    ExactKnn(base, n, queries, nq, d, k, ids, metric);
    return;
  }
  std::vector<float> unit_base(base, base + n * d),
      unit_queries(queries, queries + nq * d);
  for (size_t i = 0; i < n; ++i) {
    ToIndexSpace(metric, &unit_base[i * d], d, &unit_base[i * d]);
  }
  for (size_t i = 0; i < nq; ++i) {
    ToIndexSpace(metric, &unit_queries[i * d], d, &unit_queries[i * d]);
  }
  ExactKnn(unit_base.data(), n, unit_queries.data(), nq, d, k, ids, metric);
}

}  // namespace

rocksdb::Status SearchEval::Prepare(const Dataset& data, size_t num_queries,
                                    size_t k, const std::string& gt_path,
                                    const std::string& cache_dir,
                                    drift::Metric metric) {
  data_ = &data;
  num_queries_ = std::min(num_queries, data.num_queries());
  k_ = k;
  if (num_queries_ == 0) {
    return rocksdb::Status::InvalidArgument(
        "the data set has no queries (--dataset=fvecs: pass --query=<query "
        "vectors .fvecs>; --num_queries must be positive)");
  }
  std::string path = gt_path;
  const bool given = !path.empty();
  if (!given) {
    char name[256];
    // l2 keeps the old name (existing caches stay valid).
    snprintf(name, sizeof(name), "/gt_%s_%zu_%zu_%zu%s%s.ivecs",
             std::filesystem::path(data.name).filename().c_str(),
             data.num_base(), num_queries_, k,
             metric == drift::Metric::kL2 ? "" : "_",
             metric == drift::Metric::kL2 ? "" : MetricName(metric));
    path = cache_dir + name;
  }
  std::vector<int32_t> cached;
  uint32_t dim = 0;
  if (std::filesystem::exists(path) && ReadIvecs(path, &cached, &dim).ok() &&
      dim >= k && cached.size() / dim >= num_queries_) {
    gt_.resize(num_queries_ * k);
    for (size_t q = 0; q < num_queries_; ++q) {
      for (size_t i = 0; i < k; ++i) gt_[q * k + i] = cached[q * dim + i];
    }
    return rocksdb::Status::OK();
  }
  if (given)
    return rocksdb::Status::InvalidArgument("unusable --gt file " + path);
  fprintf(stderr,
          "... computing exact ground truth (%zu queries x %zu vectors)\n",
          num_queries_, data.num_base());
  gt_.resize(num_queries_ * k);
  MetricKnn(metric, data.base.data(), data.num_base(), data.queries.data(),
            num_queries_, data.dim, k, gt_.data());
  std::filesystem::create_directories(cache_dir);
  return WriteIvecs(path, std::vector<int32_t>(gt_.begin(), gt_.end()),
                    static_cast<uint32_t>(k));
}

rocksdb::Status SearchEval::PrepareSubset(const Dataset& data,
                                          size_t num_queries, size_t k,
                                          const std::vector<uint32_t>& ids,
                                          drift::Metric metric) {
  data_ = &data;
  num_queries_ = std::min(num_queries, data.num_queries());
  k_ = k;
  if (num_queries_ == 0) {
    return rocksdb::Status::InvalidArgument("the data set has no queries");
  }
  if (ids.size() < k) {
    return rocksdb::Status::InvalidArgument(
        "fewer base vectors pass the filter than k");
  }
  std::vector<float> base;
  base.reserve(ids.size() * data.dim);
  for (uint32_t id : ids) {
    base.insert(base.end(), data.base.begin() + size_t{id} * data.dim,
                data.base.begin() + (size_t{id} + 1) * data.dim);
  }
  gt_.resize(num_queries_ * k);
  MetricKnn(metric, base.data(), ids.size(), data.queries.data(), num_queries_,
            data.dim, k, gt_.data());
  for (uint32_t& g : gt_) g = ids[g];
  return rocksdb::Status::OK();
}

size_t SearchEval::Hits(size_t q, const std::vector<uint32_t>& ids) const {
  const auto begin = gt_.begin() + q * k_, end = begin + k_;
  size_t hits = 0;
  for (uint32_t id : ids) hits += std::count(begin, end, id);
  return hits;
}

}  // namespace bench
}  // namespace drift
