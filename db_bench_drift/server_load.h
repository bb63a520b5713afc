// Load generator of db_bench_drift's drift_server system: N client streams
// (a thread and a gRPC channel each) issuing a random mix of single-record
// Upserts and Searches for a fixed time, reported per operation type as QPS
// and p50/p99/p99.9 latency. Used by the benchmarks serverload (mixed, the
// primary) and workerreads (search only, one and two workers).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "db_bench_drift/system.h"
#include "drift.pb.h"

namespace drift {
namespace bench {

struct LoadOptions {
  std::string collection;
  double seconds = 10;          // per stream count
  std::vector<size_t> streams;  // e.g. {1, 2, 8}: one run each
  int write_percent = 10;       // share of Upserts among the operations
  v1::SearchParams params;      // k and effort of each Search
  uint64_t seed = 42;
};

// For each stream count: runs the streams for options.seconds, stream i
// searching at search_targets[i % size] (host:port) and upserting at
// write_target (an existing base vector i under KeyOf(i), so the data stays
// the same), with a progress line on stderr; reports "<benchmark>" results
// of `system` with params streams and op (search, upsert). The first failed
// RPC stops the run and is returned.
rocksdb::Status RunServerLoad(const BenchContext& ctx,
                              const std::string& benchmark,
                              const std::string& system,
                              const std::vector<std::string>& search_targets,
                              const std::string& write_target,
                              const LoadOptions& options);

}  // namespace bench
}  // namespace drift
