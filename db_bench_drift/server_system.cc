#include "db_bench_drift/server_system.h"

#ifdef DRIFT_HAVE_SERVER
#include <grpcpp/grpcpp.h>

#include <filesystem>
#include <random>
#include <thread>

#include "db_bench_drift/server_load.h"
#include "drift.grpc.pb.h"
#include "server/server.h"
#endif

namespace drift {
namespace bench {

#ifndef DRIFT_HAVE_SERVER
bool HaveServer() { return false; }
rocksdb::Status NewServerSystem(const BenchContext&, const ServerSystemOptions&,
                                std::unique_ptr<System>*) {
  return rocksdb::Status::NotSupported("built without drift_server");
}
#else
namespace {

constexpr char kCollection[] = "bench";

rocksdb::Status FromGrpc(const grpc::Status& st, const char* what) {
  if (st.ok()) return rocksdb::Status::OK();
  return rocksdb::Status::IOError(std::string(what) + ": gRPC code " +
                                  std::to_string(st.error_code()) + ": " +
                                  st.error_message());
}

class ServerSystem : public System {
 public:
  ServerSystem(const BenchContext& ctx, const ServerSystemOptions& options)
      : ctx_(ctx), options_(options), data_(*ctx.data) {}
  ~ServerSystem() override {
    stub_.reset();
    if (server_) server_->Shutdown().PermitUncheckedError();
  }

  rocksdb::Status Start() {
    server::ServerOptions so;
    so.db_path = options_.db_dir + "/" + name_;
    so.listen = "127.0.0.1:0";
    so.max_inflight = 1024;
    so.search_threads = 0;
    std::error_code ec;
    std::filesystem::remove_all(so.db_path, ec);
    std::filesystem::create_directories(options_.db_dir, ec);  // --db's
    rocksdb::Status s = server::DriftServer::Start(so, &server_);
    if (!s.ok()) return s;
    grpc::ChannelArguments args;
    args.SetMaxSendMessageSize(-1);
    args.SetMaxReceiveMessageSize(-1);
    stub_ = v1::Drift::NewStub(grpc::CreateCustomChannel(
        server_->address(), grpc::InsecureChannelCredentials(), args));
    v1::CreateCollectionRequest req;
    req.set_name(kCollection);
    req.set_dimension(data_.dim);
    req.set_disable_auto_train(!options_.auto_train);
    req.set_target_bucket_size(options_.codebook_bucket_size);
    req.set_column_family_options(options_.column_family_options);
    v1::CollectionInfo info;
    grpc::ClientContext ctx;
    return FromGrpc(stub_->CreateCollection(&ctx, req, &info),
                    "CreateCollection");
  }

  const std::string& name() const override { return name_; }

  rocksdb::Status Run(const std::string& benchmark) override {
    if (benchmark == "fillvec") return Fill();
    if (benchmark == "flush") return Flush();
    if (benchmark == "train") return Train();
    if (benchmark == "compact") return Compact();
    if (benchmark == "getvec") return GetVec();
    if (benchmark == "search") return Search(stub_.get(), name_);
    if (benchmark == "workerlag") return WorkerLag();
    if (benchmark == "serverload") return ServerLoad();
    if (benchmark == "workerreads") return WorkerReads();
    return rocksdb::Status::NotSupported();
  }

 private:
  Result NewResult(const std::string& benchmark) const {
    return bench::NewResult(benchmark, name_, data_);
  }

  rocksdb::Status Fill() {
    const size_t n = data_.num_base();
    const size_t batch = std::max(1, options_.batch_size);
    Latencies lat;
    Progress progress("fillvec " + name_, n);
    const auto start = Clock::now();
    for (size_t i = 0; i < n;) {
      v1::UpsertRequest req;
      req.set_collection(kCollection);
      for (const size_t end = std::min(n, i + batch); i < end; ++i) {
        v1::Record* r = req.add_records();
        r->set_key(KeyOf(i));
        const float* v = data_.base.data() + i * data_.dim;
        r->mutable_vector()->mutable_values()->Add(v, v + data_.dim);
      }
      v1::UpsertResponse resp;
      grpc::ClientContext ctx;
      const auto t = Clock::now();
      rocksdb::Status s = FromGrpc(stub_->Upsert(&ctx, req, &resp), "Upsert");
      if (!s.ok()) return s;
      lat.Add(SecondsSince(t) * 1e6);
      progress.Update(i);
    }
    const double secs = SecondsSince(start);
    progress.Finish();
    Result r = NewResult("fillvec");
    r.params["batch_size"] = std::to_string(batch);
    r.metrics["ops"] = n;
    r.metrics["ops_per_sec"] = n / secs;
    r.metrics["MB_per_sec"] = n * data_.dim * sizeof(float) / secs / 1e6;
    AddLatencies(&lat, &r);
    ctx_.reporter->Report(r);
    return rocksdb::Status::OK();
  }

  // One timed RPC without a result line of its own beyond seconds.
  template <typename Call>
  rocksdb::Status Timed(const char* benchmark, Call call) {
    const auto start = Clock::now();
    rocksdb::Status s = call();
    if (!s.ok()) return s;
    const double secs = SecondsSince(start);
    Result r = NewResult(benchmark);
    r.metrics["ops"] = data_.num_base();
    r.metrics["ops_per_sec"] = data_.num_base() / secs;
    r.metrics["seconds"] = secs;
    ctx_.reporter->Report(r);
    return s;
  }

  rocksdb::Status Flush() {
    return Timed("flush", [&] {
      v1::FlushRequest req;
      v1::FlushResponse resp;
      grpc::ClientContext ctx;
      return FromGrpc(stub_->Flush(&ctx, req, &resp), "Flush");
    });
  }
  rocksdb::Status Train() {
    return Timed("train", [&] {
      v1::TrainRequest req;
      req.set_collection(kCollection);
      req.set_skip_rebucket(true);  // as drift's: compact re-buckets
      v1::TrainResponse resp;
      grpc::ClientContext ctx;
      return FromGrpc(stub_->Train(&ctx, req, &resp), "Train");
    });
  }
  rocksdb::Status Compact() {
    return Timed("compact", [&] {
      v1::CompactRequest req;
      req.set_collection(kCollection);
      v1::CompactResponse resp;
      grpc::ClientContext ctx;
      return FromGrpc(stub_->Compact(&ctx, req, &resp), "Compact");
    });
  }

  rocksdb::Status GetVec() {
    std::mt19937_64 rng(options_.seed + 1);
    Latencies lat;
    size_t found = 0;
    const auto start = Clock::now();
    for (int64_t i = 0; i < options_.reads; ++i) {
      v1::GetRequest req;
      req.set_collection(kCollection);
      req.add_keys(KeyOf(rng() % data_.num_base()));
      req.set_omit_payloads(true);
      v1::GetResponse resp;
      grpc::ClientContext ctx;
      const auto t = Clock::now();
      rocksdb::Status s = FromGrpc(stub_->Get(&ctx, req, &resp), "Get");
      if (!s.ok()) return s;
      lat.Add(SecondsSince(t) * 1e6);
      found += resp.results(0).found();
    }
    const double secs = SecondsSince(start);
    Result r = NewResult("getvec");
    r.metrics["ops"] = options_.reads;
    r.metrics["ops_per_sec"] = options_.reads / secs;
    r.metrics["found"] = found;
    AddLatencies(&lat, &r);
    ctx_.reporter->Report(r);
    return rocksdb::Status::OK();
  }

  // The search sweep against `stub` (the server's or a worker's), reported
  // as `system`.
  rocksdb::Status Search(v1::Drift::Stub* stub, const std::string& system) {
    rocksdb::Status s;
    for (size_t nprobe : ParseSizeList(options_.nprobe_list)) {
      v1::SearchParams p;
      p.set_nprobe(static_cast<uint32_t>(nprobe));
      Result r = NewResult("search");
      r.system = system;
      r.params["nprobe"] = nprobe == 0 ? "default" : std::to_string(nprobe);
      if (s.ok()) s = Measure(stub, p, r);
    }
    for (bool adaptive : {false, true}) {
      for (double target : ParseDoubleList(options_.recall_targets)) {
        v1::SearchParams p;
        p.set_recall_target(static_cast<float>(target));
        p.set_adaptive_probes(adaptive);
        Result r = NewResult("search");
        r.system = system;
        r.params["recall_target"] = std::to_string(target).substr(0, 5);
        r.params["routing"] = adaptive ? "density" : "nprobe";
        if (s.ok()) s = Measure(stub, p, r);
      }
    }
    return s;
  }

  rocksdb::Status Measure(v1::Drift::Stub* stub, v1::SearchParams p, Result r) {
    const SearchEval& eval = *ctx_.eval;
    p.set_k(static_cast<uint32_t>(eval.k()));
    p.set_rerank(static_cast<uint32_t>(options_.rerank));
    r.params["rerank"] =
        options_.rerank == 0 ? "default" : std::to_string(options_.rerank);
    return RunQueries(
        eval, r, ctx_.reporter,
        [&](size_t q, std::vector<uint32_t>* ids, uint64_t* scanned) {
          v1::SearchRequest req;
          req.set_collection(kCollection);
          const float* qv = eval.query(q);
          req.mutable_query()->Add(qv, qv + data_.dim);
          *req.mutable_params() = p;
          req.mutable_params()->set_include_stats(true);
          v1::SearchResponse resp;
          grpc::ClientContext ctx;
          rocksdb::Status s =
              FromGrpc(stub->Search(&ctx, req, &resp), "Search");
          for (const auto& h : resp.hits()) {
            ids->push_back(
                static_cast<uint32_t>(std::stoull(h.key().substr(3))));
          }
          *scanned = resp.stats().segment_vectors_scanned() +
                     resp.stats().memtable_vectors_scanned() +
                     resp.stats().range_vectors_scanned();
          return s;
        },
        options_.threads);
  }

  // Starts a worker on the server's database; then, per round, after a
  // random pause, upserts one record to the primary and polls the worker
  // (every 100 us) until it reads it: the time from the acknowledgement to
  // the first read that sees the record. Then the worker's search sweep.
  rocksdb::Status WorkerLag() {
    std::unique_ptr<server::DriftServer> worker;
    rocksdb::Status s = StartWorker("_worker", &worker);
    if (!s.ok()) return s;
    auto stub = v1::Drift::NewStub(grpc::CreateChannel(
        worker->address(), grpc::InsecureChannelCredentials()));
    constexpr int kRounds = 100;
    Latencies lag;
    std::mt19937_64 rng(options_.seed + 3);
    for (int i = 0; i < kRounds && s.ok(); ++i) {
      // A random phase against the catch-up cycle (a round that starts right
      // after the catch-up that ended the previous one would always wait a
      // whole interval).
      std::this_thread::sleep_for(std::chrono::microseconds(
          rng() % (1000 * uint64_t{options_.catch_up_interval_ms} + 1)));
      const std::string key = "lag" + std::to_string(i);
      v1::UpsertRequest req;
      req.set_collection(kCollection);
      v1::Record* rec = req.add_records();
      rec->set_key(key);
      const float* v = data_.base.data() + (i % data_.num_base()) * data_.dim;
      rec->mutable_vector()->mutable_values()->Add(v, v + data_.dim);
      v1::UpsertResponse resp;
      grpc::ClientContext ctx;
      s = FromGrpc(stub_->Upsert(&ctx, req, &resp), "Upsert");
      const auto acked = Clock::now();
      for (bool found = false; s.ok() && !found;) {
        v1::GetRequest get;
        get.set_collection(kCollection);
        get.add_keys(key);
        get.set_omit_vectors(true);
        get.set_omit_payloads(true);
        v1::GetResponse got;
        grpc::ClientContext gctx;
        s = FromGrpc(stub->Get(&gctx, get, &got), "worker Get");
        found = s.ok() && got.results(0).found();
        if (!found && SecondsSince(acked) > 60) {
          s = rocksdb::Status::TimedOut("the worker never saw " + key);
        }
        if (!found) std::this_thread::sleep_for(std::chrono::microseconds(100));
      }
      lag.Add(SecondsSince(acked) * 1e6);
    }
    if (s.ok()) {
      Result r = NewResult("workerlag");
      r.params["catch_up_interval_ms"] =
          std::to_string(options_.catch_up_interval_ms);
      r.metrics["ops"] = kRounds;
      AddLatencies(&lag, &r);
      r.metrics["max_us"] = lag.Percentile(100);
      ctx_.reporter->Report(r);
      s = Search(stub.get(), name_ + "_worker");
    }
    stub.reset();
    rocksdb::Status closed = worker->Shutdown();
    return s.ok() ? closed : s;
  }

  // A worker (--role=worker) on the server's database, its secondary
  // instance in <db>_<suffix>.
  rocksdb::Status StartWorker(const std::string& suffix,
                              std::unique_ptr<server::DriftServer>* worker) {
    server::ServerOptions wo;
    wo.db_path = options_.db_dir + "/" + name_;
    wo.role = "worker";
    wo.secondary_path = options_.db_dir + "/" + name_ + suffix;
    wo.catch_up_interval_ms = options_.catch_up_interval_ms;
    wo.listen = "127.0.0.1:0";
    wo.max_inflight = 1024;
    wo.search_threads = 0;
    std::error_code ec;
    std::filesystem::remove_all(wo.secondary_path, ec);
    return server::DriftServer::Start(wo, worker);
  }

  LoadOptions LoadOptionsFor(int write_percent) const {
    LoadOptions lo;
    lo.collection = kCollection;
    lo.seconds = options_.load_seconds;
    lo.streams = ParseSizeList(options_.load_streams);
    lo.write_percent = write_percent;
    lo.params.set_k(options_.k);
    lo.params.set_nprobe(options_.load_nprobe);
    lo.seed = options_.seed + 5;
    return lo;
  }

  // Mixed single-record upserts and searches against the server.
  rocksdb::Status ServerLoad() {
    return RunServerLoad(ctx_, "serverload", name_, {server_->address()},
                         server_->address(),
                         LoadOptionsFor(options_.load_write_percent));
  }

  // Searches only: the primary, one worker, then two workers (the streams
  // alternate between them), all in this process on the same cores.
  rocksdb::Status WorkerReads() {
    std::unique_ptr<server::DriftServer> w1, w2;
    rocksdb::Status s = StartWorker("_reader1", &w1);
    if (s.ok()) s = StartWorker("_reader2", &w2);
    const LoadOptions lo = LoadOptionsFor(0);
    const std::string primary = server_->address();
    if (s.ok()) {
      s = RunServerLoad(ctx_, "workerreads", name_, {primary}, primary, lo);
    }
    if (s.ok()) {
      s = RunServerLoad(ctx_, "workerreads", name_ + "_1worker",
                        {w1->address()}, primary, lo);
    }
    if (s.ok()) {
      s = RunServerLoad(ctx_, "workerreads", name_ + "_2workers",
                        {w1->address(), w2->address()}, primary, lo);
    }
    for (auto* w : {&w1, &w2}) {
      if (*w) {
        rocksdb::Status closed = (*w)->Shutdown();
        if (s.ok()) s = closed;
      }
    }
    return s;
  }

  const BenchContext ctx_;
  const ServerSystemOptions options_;
  const Dataset& data_;
  const std::string name_ = "drift_server";
  std::unique_ptr<server::DriftServer> server_;
  std::unique_ptr<v1::Drift::Stub> stub_;
};

}  // namespace

bool HaveServer() { return true; }

rocksdb::Status NewServerSystem(const BenchContext& ctx,
                                const ServerSystemOptions& options,
                                std::unique_ptr<System>* system) {
  auto s = std::make_unique<ServerSystem>(ctx, options);
  rocksdb::Status st = s->Start();
  if (st.ok()) *system = std::move(s);
  return st;
}
#endif  // DRIFT_HAVE_SERVER

}  // namespace bench
}  // namespace drift
