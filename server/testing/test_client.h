// Helpers of the drift_server tests: a client stub on a loopback channel,
// request builders, and the reference model the results are checked against.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "drift.grpc.pb.h"
#include "tests/vector_model.h"

namespace drift {
namespace server {
namespace test {

// The reference search of the model, for the tests in this namespace.
using drift::test::BruteForce;

// Key -> vector and optional payload, as the server should hold them.
struct RecordModel {
  drift::test::Model vectors;
  std::map<std::string, std::string> payloads;
  void Upsert(const v1::Record& r) {
    vectors[r.key()] = std::vector<float>(r.vector().values().begin(),
                                          r.vector().values().end());
    if (r.has_payload()) {
      payloads[r.key()] = r.payload();
    } else {
      payloads.erase(r.key());
    }
  }
  void Erase(const std::string& key) {
    vectors.erase(key);
    payloads.erase(key);
  }
};

// Integer-valued components: distances are exact, ties broken by key.
inline std::vector<float> RandomVector(std::mt19937* rng, uint32_t dim) {
  std::vector<float> v(dim);
  for (float& x : v) x = static_cast<float>((*rng)() % 32);
  return v;
}

inline v1::Record MakeRecord(const std::string& key,
                             const std::vector<float>& v,
                             std::optional<std::string> payload) {
  v1::Record r;
  r.set_key(key);
  r.mutable_vector()->mutable_values()->Add(v.begin(), v.end());
  if (payload) r.set_payload(*payload);
  return r;
}

class Client {
 public:
  explicit Client(const std::string& address, std::string token = "",
                  std::shared_ptr<grpc::ChannelCredentials> credentials =
                      grpc::InsecureChannelCredentials())
      : token_(std::move(token)) {
    grpc::ChannelArguments args;
    args.SetMaxSendMessageSize(256 << 20);
    args.SetMaxReceiveMessageSize(256 << 20);
    stub_ = v1::Drift::NewStub(
        grpc::CreateCustomChannel(address, credentials, args));
  }
  // A context with the token and a 30 s deadline (tests stay bounded).
  std::unique_ptr<grpc::ClientContext> Context() const {
    auto ctx = std::make_unique<grpc::ClientContext>();
    if (!token_.empty()) ctx->AddMetadata("authorization", "Bearer " + token_);
    ctx->set_deadline(std::chrono::system_clock::now() +
                      std::chrono::seconds(30));
    return ctx;
  }
  v1::Drift::Stub* stub() { return stub_.get(); }

  grpc::Status Create(const std::string& name, uint32_t dim,
                      v1::Metric metric = v1::METRIC_L2) {
    v1::CreateCollectionRequest req;
    req.set_name(name);
    req.set_dimension(dim);
    req.set_metric(metric);
    v1::CollectionInfo info;
    return stub_->CreateCollection(Context().get(), req, &info);
  }
  grpc::Status Upsert(const std::string& collection,
                      const std::vector<v1::Record>& records) {
    v1::UpsertRequest req;
    req.set_collection(collection);
    for (const auto& r : records) *req.add_records() = r;
    v1::UpsertResponse resp;
    return stub_->Upsert(Context().get(), req, &resp);
  }
  grpc::Status Search(const std::string& collection,
                      const std::vector<float>& q, const v1::SearchParams& p,
                      v1::SearchResponse* resp) {
    v1::SearchRequest req;
    req.set_collection(collection);
    req.mutable_query()->Add(q.begin(), q.end());
    *req.mutable_params() = p;
    return stub_->Search(Context().get(), req, resp);
  }
  grpc::Status Stats(v1::StatsResponse* resp) {
    return stub_->Stats(Context().get(), v1::StatsRequest(), resp);
  }
  // Get of `key` until it fails with `code` (or 10 s passed): that status,
  // else the last one.
  grpc::Status GetUntil(grpc::StatusCode code, const std::string& collection,
                        const std::string& key) {
    const auto give_up =
        std::chrono::steady_clock::now() + std::chrono::seconds(10);
    grpc::Status st;
    do {
      v1::GetResponse got;
      st = Get(collection, {key}, &got);
    } while (st.error_code() != code &&
             std::chrono::steady_clock::now() < give_up);
    return st;
  }
  grpc::Status Get(const std::string& collection,
                   const std::vector<std::string>& keys, v1::GetResponse* resp,
                   uint64_t snapshot_token = 0) {
    v1::GetRequest req;
    req.set_collection(collection);
    for (const auto& k : keys) req.add_keys(k);
    req.set_snapshot_token(snapshot_token);
    return stub_->Get(Context().get(), req, resp);
  }
  grpc::Status CreateSnapshot(uint32_t ttl_seconds,
                              v1::CreateSnapshotResponse* resp) {
    v1::CreateSnapshotRequest req;
    req.set_ttl_seconds(ttl_seconds);
    return stub_->CreateSnapshot(Context().get(), req, resp);
  }
  grpc::Status ReleaseSnapshot(uint64_t snapshot_token) {
    v1::ReleaseSnapshotRequest req;
    req.set_snapshot_token(snapshot_token);
    v1::ReleaseSnapshotResponse resp;
    return stub_->ReleaseSnapshot(Context().get(), req, &resp);
  }

 private:
  std::string token_;
  std::unique_ptr<v1::Drift::Stub> stub_;
};

inline v1::SearchParams Exhaustive(uint32_t k) {
  v1::SearchParams p;
  p.set_k(k);
  p.set_exhaustive(true);
  return p;
}

// Exhaustive(k), or probing `nprobe` buckets if nonzero.
inline v1::SearchParams Effort(uint32_t k, uint32_t nprobe) {
  v1::SearchParams p = Exhaustive(k);
  if (nprobe > 0) {
    p.set_exhaustive(false);
    p.set_nprobe(nprobe);
  }
  return p;
}

// The hits as (key, distance), comparable with BruteForce's.
inline std::vector<SearchHit> Hits(const v1::SearchResponse& resp) {
  std::vector<SearchHit> hits;
  for (const auto& h : resp.hits()) hits.emplace_back(h.key(), h.distance());
  return hits;
}

}  // namespace test
}  // namespace server
}  // namespace drift
