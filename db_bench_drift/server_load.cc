#include "db_bench_drift/server_load.h"

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <memory>
#include <random>
#include <thread>

#include "drift.grpc.pb.h"

namespace drift {
namespace bench {
namespace {

// A stub on a channel of its own: identical channel arguments would share
// one connection between the streams.
std::unique_ptr<v1::Drift::Stub> StreamStub(const std::string& target,
                                            size_t stream) {
  grpc::ChannelArguments args;
  args.SetMaxSendMessageSize(-1);
  args.SetMaxReceiveMessageSize(-1);
  args.SetInt("drift.bench_stream", static_cast<int>(stream));
  return v1::Drift::NewStub(grpc::CreateCustomChannel(
      target, grpc::InsecureChannelCredentials(), args));
}

struct StreamResult {
  Latencies search, upsert;
  grpc::Status status;
};

class Stream {
 public:
  Stream(const BenchContext& ctx, const LoadOptions& options,
         const std::string& search_target, const std::string& write_target,
         size_t index)
      : data_(*ctx.data),
        options_(options),
        search_(StreamStub(search_target, index)),
        write_(StreamStub(write_target, index)),
        rng_(options.seed + 1000 * index) {}

  // Until `stop`; counts each finished operation in *ops.
  void Run(const std::atomic<bool>& stop, std::atomic<uint64_t>* ops,
           StreamResult* out) {
    while (!stop.load(std::memory_order_relaxed) && out->status.ok()) {
      const bool write =
          static_cast<int>(rng_() % 100) < options_.write_percent;
      const auto start = Clock::now();
      out->status = write ? Upsert() : Search();
      (write ? out->upsert : out->search).Add(SecondsSince(start) * 1e6);
      ops->fetch_add(1, std::memory_order_relaxed);
    }
  }

 private:
  grpc::Status Upsert() {
    const size_t i = rng_() % data_.num_base();
    v1::UpsertRequest req;
    req.set_collection(options_.collection);
    v1::Record* r = req.add_records();
    r->set_key(KeyOf(i));
    const float* v = data_.base.data() + i * data_.dim;
    r->mutable_vector()->mutable_values()->Add(v, v + data_.dim);
    v1::UpsertResponse resp;
    grpc::ClientContext ctx;
    return write_->Upsert(&ctx, req, &resp);
  }
  grpc::Status Search() {
    const size_t q = rng_() % data_.num_queries();
    v1::SearchRequest req;
    req.set_collection(options_.collection);
    const float* v = data_.queries.data() + q * data_.dim;
    req.mutable_query()->Add(v, v + data_.dim);
    *req.mutable_params() = options_.params;
    v1::SearchResponse resp;
    grpc::ClientContext ctx;
    return search_->Search(&ctx, req, &resp);
  }

  const Dataset& data_;
  const LoadOptions& options_;
  std::unique_ptr<v1::Drift::Stub> search_, write_;
  std::mt19937_64 rng_;
};

void Report(const BenchContext& ctx, const std::string& benchmark,
            const std::string& system, size_t streams, const char* op,
            const LoadOptions& options, double secs, Latencies* lat) {
  if (lat->count() == 0) return;
  Result r = NewResult(benchmark, system, *ctx.data);
  r.params["streams"] = std::to_string(streams);
  r.params["op"] = op;
  r.params["write_percent"] = std::to_string(options.write_percent);
  r.metrics["ops"] = static_cast<double>(lat->count());
  r.metrics["ops_per_sec"] = lat->count() / secs;
  AddLatencies(lat, &r);
  ctx.reporter->Report(r);
}

}  // namespace

rocksdb::Status RunServerLoad(const BenchContext& ctx,
                              const std::string& benchmark,
                              const std::string& system,
                              const std::vector<std::string>& search_targets,
                              const std::string& write_target,
                              const LoadOptions& options) {
  for (size_t n : options.streams) {
    std::vector<std::unique_ptr<Stream>> streams;
    for (size_t i = 0; i < n; ++i) {
      streams.push_back(std::make_unique<Stream>(
          ctx, options, search_targets[i % search_targets.size()], write_target,
          i));
    }
    std::vector<StreamResult> results(n);
    std::atomic<bool> stop{false};
    std::atomic<uint64_t> ops{0};
    std::vector<std::thread> threads;
    const auto start = Clock::now();
    for (size_t i = 0; i < n; ++i) {
      threads.emplace_back(
          [&, i] { streams[i]->Run(stop, &ops, &results[i]); });
    }
    // Progress: elapsed time and operations so far, every second.
    for (double t = SecondsSince(start); t < options.seconds;
         t = SecondsSince(start)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(
          static_cast<int>(std::min(1.0, options.seconds - t) * 1000) + 1));
      fprintf(stderr, "\r%s %s streams=%zu: %.0f/%.0f s, %llu ops",
              benchmark.c_str(), system.c_str(), n, SecondsSince(start),
              options.seconds, static_cast<unsigned long long>(ops.load()));
    }
    stop.store(true);
    for (auto& t : threads) t.join();
    const double secs = SecondsSince(start);
    fprintf(stderr, "\n");
    Latencies search, upsert;
    for (auto& r : results) {
      if (!r.status.ok()) {
        return rocksdb::Status::IOError(
            benchmark + ": gRPC code " + std::to_string(r.status.error_code()),
            r.status.error_message());
      }
      search.Add(r.search);
      upsert.Add(r.upsert);
    }
    Report(ctx, benchmark, system, n, "search", options, secs, &search);
    Report(ctx, benchmark, system, n, "upsert", options, secs, &upsert);
  }
  return rocksdb::Status::OK();
}

}  // namespace bench
}  // namespace drift
