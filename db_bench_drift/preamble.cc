#include "db_bench_drift/preamble.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>

#include "rocksdb/version.h"
#include "util/cpu_features.h"

#ifndef DRIFT_VERSION
#define DRIFT_VERSION "unknown"
#endif

namespace drift {
namespace bench {

const std::vector<std::string>& KnownBenchmarks() {
  static const std::vector<std::string> kNames = {
      "fillvec",   "flush",      "train",      "compact",   "getvec",
      "search",    "overwrite",  "deletevec",  "waitgraph", "drift_sim",
      "workerlag", "serverload", "workerreads"};
  return kNames;
}

const std::vector<std::string>& KnownSystems() {
  static const std::vector<std::string> kNames = {
      "drift", "rocksdb", "hnswlib", "faiss", "bruteforce", "drift_server"};
  return kNames;
}

rocksdb::Status CheckNames(const char* flag,
                           const std::vector<std::string>& names,
                           const std::vector<std::string>& known) {
  std::string unknown;
  for (const std::string& name : names) {
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      unknown += (unknown.empty() ? "" : ", ") + name;
    }
  }
  if (unknown.empty() && !names.empty()) return rocksdb::Status::OK();
  std::string all;
  for (const std::string& name : known) all += (all.empty() ? "" : ",") + name;
  return rocksdb::Status::InvalidArgument(
      std::string("--") + flag + ": " +
      (unknown.empty() ? "empty list" : "unknown " + unknown) +
      " (known: " + all + ")");
}

std::string CpuDescription() {
  std::ifstream in("/proc/cpuinfo");
  std::string line, model;
  int count = 0;
  while (std::getline(in, line)) {
    if (line.compare(0, 10, "model name") != 0) continue;
    ++count;
    const size_t colon = line.find(':');
    if (colon != std::string::npos && model.empty()) {
      model = line.substr(line.find_first_not_of(" \t", colon + 1));
    }
  }
  if (count == 0) return "unknown";
  return std::to_string(count) + " * " + model;
}

void PrintHeader(const Dataset& data, size_t queries,
                 const std::string& benchmarks, const std::string& systems,
                 drift::Metric metric) {
  const std::time_t now = std::time(nullptr);
  char date[64];
  std::strftime(date, sizeof(date), "%a %b %e %H:%M:%S %Y",
                std::localtime(&now));
  const char* forced = std::getenv("DRIFT_ISA");
  std::printf("Drift:      version %s (RocksDB %d.%d.%d)\n", DRIFT_VERSION,
              ROCKSDB_MAJOR, ROCKSDB_MINOR, ROCKSDB_PATCH);
  std::printf("Date:       %s\n", date);
  std::printf("CPU:        %s\n", CpuDescription().c_str());
  std::printf("ISA:        %s (detected %s%s%s)\n", IsaName(ActiveIsa()),
              IsaName(DetectedIsa()), forced != nullptr ? ", DRIFT_ISA=" : "",
              forced != nullptr ? forced : "");
  std::printf("Dataset:    %s, %zu base vectors, dim %u, metric %s\n",
              data.name.c_str(), data.num_base(), data.dim, MetricName(metric));
  if (queries > 0) {
    std::printf("Queries:    %zu (of %zu in the data set)\n", queries,
                data.num_queries());
  }
  std::printf("Benchmarks: %s on %s\n", benchmarks.c_str(), systems.c_str());
  std::printf("------------------------------------------------\n");
  std::fflush(stdout);  // before any warning on stderr
}

}  // namespace bench
}  // namespace drift
