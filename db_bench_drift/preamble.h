// What db_bench_drift does before it runs anything: checks the names in
// --benchmarks and --systems (a typo must not cost the benchmarks before it),
// and prints a db_bench-style header describing the run.
#pragma once

#include <string>
#include <vector>

#include "drift/metric.h"
#include "rocksdb/status.h"
#include "util/dataset.h"

namespace drift {
namespace bench {

// The benchmarks db_bench_drift knows, in --help order.
const std::vector<std::string>& KnownBenchmarks();
// The systems --systems accepts.
const std::vector<std::string>& KnownSystems();

// InvalidArgument naming every unknown entry and the known names; an empty
// list is an error too.
rocksdb::Status CheckNames(const char* flag,
                           const std::vector<std::string>& names,
                           const std::vector<std::string>& known);

// "<count> * <model name>" from /proc/cpuinfo ("unknown" if unreadable).
std::string CpuDescription();

// The header, db_bench style: versions, date, CPU, the kernels' ISA, the data
// set and the queries a search will really run (`queries`: 0 when no search
// benchmark runs).
void PrintHeader(const Dataset& data, size_t queries,
                 const std::string& benchmarks, const std::string& systems,
                 drift::Metric metric);

}  // namespace bench
}  // namespace drift
