#include "db_bench_drift/preamble.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <map>

#include "db_bench_drift/faiss_baseline.h"
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

namespace {

// The value of the first /proc/cpuinfo line starting with `field`, and how
// many lines start with it.
std::string CpuInfoField(const std::string& field, int* count = nullptr) {
  std::ifstream in("/proc/cpuinfo");
  std::string line, value;
  int n = 0;
  while (std::getline(in, line)) {
    if (line.compare(0, field.size(), field) != 0) continue;
    const size_t colon = line.find(':');
    if (colon == std::string::npos ||
        line.find_first_not_of(" \t", field.size()) != colon) {
      continue;  // "model" must not match "model name"
    }
    ++n;
    const size_t first = line.find_first_not_of(" \t", colon + 1);
    if (value.empty() && first != std::string::npos) value = line.substr(first);
  }
  if (count != nullptr) *count = n;
  return value;
}

const char* YesNo(bool b) { return b ? "yes" : "no"; }

}  // namespace

std::string CpuDescription() {
  int count = 0;
  const std::string model = CpuInfoField("model name", &count);
  if (count == 0) return "unknown";
  return std::to_string(count) + " * " + model;
}

std::string CpuSignature() {
  const std::string family = CpuInfoField("cpu family");
  if (family.empty()) return "unknown";
  return family + "/" + CpuInfoField("model") + "/" + CpuInfoField("stepping");
}

HeaderFields RunHeader(const Dataset& data, size_t queries,
                       const std::string& benchmarks,
                       const std::string& systems, drift::Metric metric) {
  const std::time_t now = std::time(nullptr);
  char date[64];
  std::strftime(date, sizeof(date), "%a %b %e %H:%M:%S %Y",
                std::localtime(&now));
  char version[64];
  std::snprintf(version, sizeof(version), "%s (RocksDB %d.%d.%d)",
                DRIFT_VERSION, ROCKSDB_MAJOR, ROCKSDB_MINOR, ROCKSDB_PATCH);
  HeaderFields h = {
      {"version", version},          {"date", date},
      {"cpu", CpuDescription()},     {"cpu_signature", CpuSignature()},
      {"isa", IsaName(ActiveIsa())}, {"detected_isa", IsaName(DetectedIsa())}};
  if (const char* forced = std::getenv("DRIFT_ISA")) {
    h.emplace_back("isa_override", forced);
  }
  h.emplace_back("avx512_vnni", YesNo(DetectCpuFeatures().avx512_vnni));
  h.emplace_back("avx512_vpopcntdq",
                 YesNo(DetectCpuFeatures().avx512_vpopcntdq));
  h.emplace_back("dataset", data.name);
  h.emplace_back("base_vectors", std::to_string(data.num_base()));
  h.emplace_back("dim", std::to_string(data.dim));
  h.emplace_back("metric", MetricName(metric));
  if (queries > 0) h.emplace_back("queries", std::to_string(queries));
  h.emplace_back("benchmarks", benchmarks);
  h.emplace_back("systems", systems);
  if (HaveFaiss() &&
      ("," + systems + ",").find(",faiss,") != std::string::npos) {
    h.emplace_back("faiss", FaissBuild());
  }
  return h;
}

void PrintHeader(const HeaderFields& header, const Dataset& data) {
  std::map<std::string, std::string> f(header.begin(), header.end());
  auto has = [&f](const char* name) { return f.count(name) != 0; };
  std::printf("Drift:      version %s\n", f["version"].c_str());
  std::printf("Date:       %s\n", f["date"].c_str());
  std::printf(
      "CPU:        %s (family/model/stepping %s, AVX-512 VNNI %s, VPOPCNTDQ "
      "%s)\n",
      f["cpu"].c_str(), f["cpu_signature"].c_str(), f["avx512_vnni"].c_str(),
      f["avx512_vpopcntdq"].c_str());
  std::printf("ISA:        %s (detected %s%s%s)\n", f["isa"].c_str(),
              f["detected_isa"].c_str(),
              has("isa_override") ? ", DRIFT_ISA=" : "",
              has("isa_override") ? f["isa_override"].c_str() : "");
  std::printf("Dataset:    %s, %s base vectors, dim %s, metric %s\n",
              f["dataset"].c_str(), f["base_vectors"].c_str(), f["dim"].c_str(),
              f["metric"].c_str());
  if (has("queries")) {
    std::printf("Queries:    %s (of %zu in the data set)\n",
                f["queries"].c_str(), data.num_queries());
  }
  std::printf("Benchmarks: %s on %s\n", f["benchmarks"].c_str(),
              f["systems"].c_str());
  if (has("faiss")) std::printf("Faiss:      %s\n", f["faiss"].c_str());
  std::printf("------------------------------------------------\n");
  std::fflush(stdout);  // before any warning on stderr
}

}  // namespace bench
}  // namespace drift
