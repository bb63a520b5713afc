// A system under benchmark: Drift, plain RocksDB, or a baseline index.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "db_bench_drift/report.h"
#include "db_bench_drift/search_eval.h"
#include "drift/metric.h"
#include "rocksdb/status.h"
#include "util/dataset.h"

namespace drift {
namespace bench {

struct BenchContext {
  const Dataset* data = nullptr;
  SearchEval* eval = nullptr;  // prepared before the first search benchmark
  Reporter* reporter = nullptr;
  // --metric: drift's column family, the ground truth and the baselines.
  drift::Metric metric = drift::Metric::kL2;
};

class System {
 public:
  virtual ~System() = default;
  virtual const std::string& name() const = 0;
  // Runs one benchmark; NotSupported means it does not apply to this system.
  virtual rocksdb::Status Run(const std::string& benchmark) = 0;
};

// The key of base vector i in every system ("vec" + 16 digits).
inline std::string KeyOf(uint64_t i) {
  char buf[24];
  snprintf(buf, sizeof(buf), "vec%016llu", static_cast<unsigned long long>(i));
  return buf;
}

// A result of `benchmark` on `system`, with the data set as its params.
inline Result NewResult(const std::string& benchmark, const std::string& system,
                        const Dataset& data) {
  Result r;
  r.benchmark = benchmark;
  r.system = system;
  r.params["dataset"] = data.name;
  r.params["dim"] = std::to_string(data.dim);
  r.params["num"] = std::to_string(data.num_base());
  return r;
}

// The p50, p99 and p99.9 of `lat` as metrics p50_us, p99_us, p99.9_us.
inline void AddLatencies(Latencies* lat, Result* r) {
  r->metrics["p50_us"] = lat->Percentile(50);
  r->metrics["p99_us"] = lat->Percentile(99);
  r->metrics["p99.9_us"] = lat->Percentile(99.9);
}

// Parses "1,2,4" into numbers; empty items are skipped.
std::vector<size_t> ParseSizeList(const std::string& s);
std::vector<double> ParseDoubleList(const std::string& s);

}  // namespace bench
}  // namespace drift
