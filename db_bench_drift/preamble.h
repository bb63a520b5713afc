// What db_bench_drift does before it runs anything: checks the names in
// --benchmarks and --systems (a typo must not cost the benchmarks before it),
// and prints a db_bench-style header describing the run.
#pragma once

#include <string>
#include <utility>
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

// The CPU as /proc/cpuinfo names it: family, model and stepping (a VM's
// "model name" may hide the generation; these do not), e.g. "25/17/1".
std::string CpuSignature();

// What describes the run, in header order as (name, value): version, date,
// cpu, cpu_signature, isa (the kernels'), detected_isa, isa_override
// (DRIFT_ISA, if set), avx512_vnni, avx512_vpopcntdq, dataset, base_vectors,
// dim, metric, queries (those a search will really run; absent when `queries`
// is 0), benchmarks, systems, faiss (FaissBuild(), when --systems names faiss
// and it is built in). The --json output carries them as its "header" object.
using HeaderFields = std::vector<std::pair<std::string, std::string>>;
HeaderFields RunHeader(const Dataset& data, size_t queries,
                       const std::string& benchmarks,
                       const std::string& systems, drift::Metric metric);

// Prints `header` db_bench style (Drift:, Date:, CPU:, ISA:, Dataset:, ...).
void PrintHeader(const HeaderFields& header, const Dataset& data);

}  // namespace bench
}  // namespace drift
