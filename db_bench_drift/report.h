// Results of db_bench_drift: latency histograms, db_bench-style result lines,
// progress lines on long phases and the --json output.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace drift {
namespace bench {

using Clock = std::chrono::steady_clock;

// Seconds from `since` until now.
inline double SecondsSince(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

// Exact latency percentiles from recorded samples (microseconds).
class Latencies {
 public:
  void Add(double micros) {
    samples_.push_back(micros);
    sorted_ = false;
  }
  void Add(const Latencies& other) {
    samples_.insert(samples_.end(), other.samples_.begin(),
                    other.samples_.end());
    sorted_ = false;
  }
  double Percentile(double p);  // p in [0, 100]
  size_t count() const { return samples_.size(); }

 private:
  std::vector<double> samples_;
  bool sorted_ = false;
};

// One measurement: one line of output and one entry of the JSON "results".
struct Result {
  std::string benchmark;
  std::string system;  // drift, rocksdb, hnswlib, bruteforce, ...
  std::map<std::string, std::string> params;  // printed as JSON strings/numbers
  std::map<std::string, double> metrics;      // ops, ops_per_sec, p50_us, ...
};

// r.metrics[name], or -1 if the result has no such metric.
inline double Metric(const Result& r, const char* name) {
  auto it = r.metrics.find(name);
  return it == r.metrics.end() ? -1.0 : it->second;
}

class Reporter {
 public:
  // Prints a db_bench-like line: name : micros/op ops/s; extra metrics.
  void Report(const Result& r);
  // Adds a result to the JSON output without printing it.
  void Record(const Result& r) { results_.push_back(r); }
  const std::vector<Result>& results() const { return results_; }
  // What describes the run (preamble.h's RunHeader), written to the JSON
  // as its "header" object.
  void SetHeader(std::vector<std::pair<std::string, std::string>> header) {
    header_ = std::move(header);
  }
  // Writes {"header": {...}, "results": [...]} to `path`; false on I/O error.
  bool WriteJson(const std::string& path) const;

 private:
  std::vector<std::pair<std::string, std::string>> header_;
  std::vector<Result> results_;
};

// Prints "\r<phase>: done/total (rate/s)" at most every half second to stderr.
class Progress {
 public:
  Progress(std::string phase, uint64_t total);
  void Update(uint64_t done);
  void Finish();

 private:
  std::string phase_;
  uint64_t total_;
  std::chrono::steady_clock::time_point start_, last_;
};

}  // namespace bench
}  // namespace drift
