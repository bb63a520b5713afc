#pragma once

#include <time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

namespace drift {
namespace bench {

// CPU seconds of `clock`: CLOCK_THREAD_CPUTIME_ID (the calling thread:
// unlike wall time, not inflated while other processes hold the cores) or
// CLOCK_PROCESS_CPUTIME_ID (every thread, background work included).
inline double CpuSeconds(clockid_t clock) {
  timespec ts;
  clock_gettime(clock, &ts);
  return static_cast<double>(ts.tv_sec) + ts.tv_nsec * 1e-9;
}

template <typename SearchFn>
rocksdb::Status RunQueries(const SearchEval& eval, Result result,
                           Reporter* reporter, SearchFn search, int threads,
                           const std::function<void(Result*)>& annotate) {
  const size_t num = eval.num_queries();
  threads = std::max(1, threads);
  std::atomic<size_t> next{0};
  std::mutex mu;  // guards what the threads merge at their end
  Latencies lat;
  size_t hits = 0;
  double scanned = 0;
  double cpu_secs = 0;
  rocksdb::Status status;
  Progress progress(result.benchmark + " " + result.system, num);
  auto run = [&](int thread) {
    Latencies my_lat;
    size_t my_hits = 0;
    double my_scanned = 0;
    rocksdb::Status s;
    std::vector<uint32_t> ids;
    const double cpu_start = CpuSeconds(CLOCK_THREAD_CPUTIME_ID);
    for (size_t q; s.ok() && (q = next.fetch_add(1)) < num;) {
      ids.clear();
      uint64_t scanned_q = 0;
      const auto t = Clock::now();
      s = search(q, &ids, &scanned_q);
      my_lat.Add(SecondsSince(t) * 1e6);
      my_hits += eval.Hits(q, ids);
      my_scanned += scanned_q;
      if (thread == 0) progress.Update(std::min(num, q + 1));
    }
    const double my_cpu = CpuSeconds(CLOCK_THREAD_CPUTIME_ID) - cpu_start;
    std::lock_guard<std::mutex> lock(mu);
    cpu_secs += my_cpu;
    lat.Add(my_lat);
    hits += my_hits;
    scanned += my_scanned;
    if (status.ok()) status = s;
  };
  const auto start = Clock::now();
  const double process_cpu_start = CpuSeconds(CLOCK_PROCESS_CPUTIME_ID);
  std::vector<std::thread> helpers;
  for (int t = 1; t < threads; ++t) helpers.emplace_back(run, t);
  run(0);
  for (std::thread& t : helpers) t.join();
  const double secs = SecondsSince(start);
  const double process_cpu_secs =
      CpuSeconds(CLOCK_PROCESS_CPUTIME_ID) - process_cpu_start;
  progress.Finish();
  if (!status.ok()) return status;
  const double n = static_cast<double>(num);
  if (threads > 1) result.params["threads"] = std::to_string(threads);
  result.metrics["ops"] = n;
  result.metrics["ops_per_sec"] = n / secs;
  result.metrics["k"] = eval.k();
  result.metrics["recall_at_k"] = hits / (n * eval.k());
  result.metrics["p50_us"] = lat.Percentile(50);
  result.metrics["p99_us"] = lat.Percentile(99);
  result.metrics["p99.9_us"] = lat.Percentile(99.9);
  result.metrics["scanned_per_query"] = scanned / n;
  // Search threads' CPU per query, and the rest of the process's (background
  // work that competed with them) over the same wall time.
  result.metrics["cpu_us_per_query"] = cpu_secs * 1e6 / n;
  result.metrics["other_cpu_us_per_query"] =
      std::max(0.0, process_cpu_secs - cpu_secs) * 1e6 / n;
  if (annotate) annotate(&result);
  reporter->Report(result);
  return rocksdb::Status::OK();
}

}  // namespace bench
}  // namespace drift
