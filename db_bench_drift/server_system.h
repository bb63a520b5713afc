// drift_server as a system of db_bench_drift ("drift_server"): the same
// benchmarks as "drift", but every operation is an RPC to an in-process
// DriftServer on loopback, so the ratios drift / drift_server measure what
// the network API costs (serialization, gRPC, loopback TCP, a thread hop).
// Its benchmark workerlag starts a worker (--role=worker) on the server's
// database and measures how long an acknowledged upsert takes to show in the
// worker's reads, then the worker's search QPS ("drift_server_worker").
// serverload and workerreads drive it with client streams (server_load.h).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "db_bench_drift/system.h"

namespace drift {
namespace bench {

struct ServerSystemOptions {
  std::string db_dir;  // the server's database is <db_dir>/drift_server
  int batch_size = 1;  // records per Upsert in fillvec
  int threads = 1;     // client threads of the search benchmark
  int64_t reads = 10000;
  uint64_t seed = 42;
  std::string nprobe_list;
  std::string recall_targets;
  int rerank = 0;
  // The collection's options (CreateCollection).
  bool auto_train = false;
  uint32_t codebook_bucket_size = 256;
  std::string column_family_options;  // e.g. "write_buffer_size=..."
  // workerlag: the worker's catch-up interval.
  uint32_t catch_up_interval_ms = 100;
  // serverload (mixed upserts and searches against the server) and
  // workerreads (searches against one, then two workers): seconds per
  // stream count, the stream counts, the upserts' share (serverload), and
  // each search's k and nprobe (0: the engine's default recall target).
  double load_seconds = 10;
  std::string load_streams = "1,2,8";
  int load_write_percent = 10;
  uint32_t k = 10;
  uint32_t load_nprobe = 0;
};

// True if db_bench_drift was built with drift_server (DRIFT_BUILD_SERVER).
bool HaveServer();
// Starts the server (a fresh database) and creates the collection.
rocksdb::Status NewServerSystem(const BenchContext& ctx,
                                const ServerSystemOptions& options,
                                std::unique_ptr<System>* system);

}  // namespace bench
}  // namespace drift
