#pragma once

#include <chrono>

namespace drift {
namespace bench {

template <typename SearchFn>
rocksdb::Status RunQueries(const SearchEval& eval, Result result,
                           Reporter* reporter, SearchFn search) {
  Latencies lat;
  size_t hits = 0;
  double scanned = 0;
  std::vector<uint32_t> ids;
  Progress progress(result.benchmark + " " + result.system, eval.num_queries());
  const auto start = Clock::now();
  for (size_t q = 0; q < eval.num_queries(); ++q) {
    ids.clear();
    uint64_t scanned_q = 0;
    const auto t = Clock::now();
    rocksdb::Status s = search(q, &ids, &scanned_q);
    lat.Add(SecondsSince(t) * 1e6);
    if (!s.ok()) return s;
    hits += eval.Hits(q, ids);
    scanned += scanned_q;
    progress.Update(q + 1);
  }
  const double secs = SecondsSince(start);
  progress.Finish();
  const double n = static_cast<double>(eval.num_queries());
  result.metrics["ops"] = n;
  result.metrics["ops_per_sec"] = n / secs;
  result.metrics["k"] = eval.k();
  result.metrics["recall_at_k"] = hits / (n * eval.k());
  result.metrics["p50_us"] = lat.Percentile(50);
  result.metrics["p99_us"] = lat.Percentile(99);
  result.metrics["p99.9_us"] = lat.Percentile(99.9);
  result.metrics["scanned_per_query"] = scanned / n;
  reporter->Report(result);
  return rocksdb::Status::OK();
}

}  // namespace bench
}  // namespace drift
