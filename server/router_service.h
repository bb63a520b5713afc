// The drift.v1.Drift service of drift_server --role=router: the same API
// over several primaries ("shards"), each holding a hash partition of every
// collection's keys.
//
// - Partition: a key lives on shard ShardOf(key, n) (FNV-1a 64 of the key's
//   bytes, modulo n, shards numbered in --shards order). The mapping depends
//   only on the key and the shard list: never reorder or resize the list of
//   a populated deployment (there is no rebalancing).
// - Upsert/Delete/Get split their keys per shard and call the shards in
//   parallel; a write is atomic per shard only (each shard commits its part
//   in one WriteBatch; if one shard fails the others' parts stay committed).
// - CreateCollection, DropCollection, DeleteRange, Train, Flush, Compact and
//   ListCollections go to every shard; Search/SearchBatch too, and their
//   results merge exactly: each shard returns its k best, the router keeps
//   the k best of the union by (distance, key).
// - A shard that fails makes the request fail with the shard's code (a shard
//   that is down: UNAVAILABLE) and a message naming it. A search with
//   SearchParams.allow_partial instead returns the merged hits of the shards
//   that answered and names the others in missing_shards, when the failure
//   is the shard's (UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED,
//   INTERNAL, DATA_LOSS, UNKNOWN), not the request's (INVALID_ARGUMENT...).
// - CreateSnapshot takes a token of every shard at once (between the
//   router's own writes) and returns a router token holding them
//   (server/router_snapshots.h); Get/Search/SearchBatch with it send each
//   shard its own token; ReleaseSnapshot releases them on the shards.
// - The router forwards the client's authorization metadata and deadline to
//   the shards (which check the token themselves) and checks the token too
//   if it has a tokens file. It talks to the shards over TLS when given
//   their CAs (RouterOptions::shard_root_certs), else in plain text, and
//   presents a client certificate when given one (shard_cert_chain).
// - It admits at most max_inflight requests at once (RESOURCE_EXHAUSTED
//   beyond), independently of the shards' own limits.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "drift.grpc.pb.h"
#include "rocksdb/status.h"
#include "server/admission.h"
#include "server/auth.h"
#include "server/router_snapshots.h"

namespace drift {
namespace server {

// FNV-1a 64 of `bytes`.
uint64_t ShardHash(const std::string& bytes);
// The shard of `key` among `num_shards` (> 0): ShardHash modulo num_shards.
size_t ShardOf(const std::string& key, size_t num_shards);

// The k best hits of `parts` by (distance, key) into out->hits; stats are
// summed. Each part must hold its shard's k best (as Search returns them).
void MergeHits(const std::vector<const v1::SearchResponse*>& parts, uint32_t k,
               v1::SearchResponse* out);

// Parses "host:port,host:port,..." (at least one, no duplicates).
rocksdb::Status ParseShardList(const std::string& list,
                               std::vector<std::string>* shards);

struct RouterOptions {
  std::vector<std::string> shards;  // host:port of each shard's primary
  int max_message_bytes = 64 << 20;
  // Requests served at once; more get RESOURCE_EXHAUSTED at once.
  uint32_t max_inflight = 64;
  // PEM of the CAs that signed the shards' certificates: talk to the shards
  // over TLS (empty: plain text).
  std::string shard_root_certs;
  // PEM client certificate chain and private key presented to the shards
  // over TLS (both empty: none), for shards that require one.
  std::string shard_cert_chain;
  std::string shard_private_key;
};

class RouterService final : public v1::Drift::Service {
 public:
  RouterService(const RouterOptions& options, TokenAuthorizer authorizer);
  ~RouterService() override;

  // From now on every RPC but Health is UNAVAILABLE.
  void BeginShutdown() { admission_.BeginShutdown(); }
  // Waits until no admitted request runs, or until `deadline`; true if idle.
  bool WaitIdle(std::chrono::steady_clock::time_point deadline) const {
    return admission_.WaitIdle(deadline);
  }

  grpc::Status CreateCollection(grpc::ServerContext* ctx,
                                const v1::CreateCollectionRequest* req,
                                v1::CollectionInfo* resp) override;
  grpc::Status ListCollections(grpc::ServerContext* ctx,
                               const v1::ListCollectionsRequest* req,
                               v1::ListCollectionsResponse* resp) override;
  grpc::Status DropCollection(grpc::ServerContext* ctx,
                              const v1::DropCollectionRequest* req,
                              v1::DropCollectionResponse* resp) override;
  grpc::Status Upsert(grpc::ServerContext* ctx, const v1::UpsertRequest* req,
                      v1::UpsertResponse* resp) override;
  grpc::Status UpsertStream(grpc::ServerContext* ctx,
                            grpc::ServerReader<v1::UpsertRequest>* reader,
                            v1::UpsertResponse* resp) override;
  grpc::Status Delete(grpc::ServerContext* ctx, const v1::DeleteRequest* req,
                      v1::DeleteResponse* resp) override;
  grpc::Status DeleteRange(grpc::ServerContext* ctx,
                           const v1::DeleteRangeRequest* req,
                           v1::DeleteResponse* resp) override;
  grpc::Status Get(grpc::ServerContext* ctx, const v1::GetRequest* req,
                   v1::GetResponse* resp) override;
  grpc::Status Search(grpc::ServerContext* ctx, const v1::SearchRequest* req,
                      v1::SearchResponse* resp) override;
  grpc::Status SearchBatch(grpc::ServerContext* ctx,
                           const v1::SearchBatchRequest* req,
                           v1::SearchBatchResponse* resp) override;
  grpc::Status CreateSnapshot(grpc::ServerContext* ctx,
                              const v1::CreateSnapshotRequest* req,
                              v1::CreateSnapshotResponse* resp) override;
  grpc::Status ReleaseSnapshot(grpc::ServerContext* ctx,
                               const v1::ReleaseSnapshotRequest* req,
                               v1::ReleaseSnapshotResponse* resp) override;
  grpc::Status Train(grpc::ServerContext* ctx, const v1::TrainRequest* req,
                     v1::TrainResponse* resp) override;
  grpc::Status Stats(grpc::ServerContext* ctx, const v1::StatsRequest* req,
                     v1::StatsResponse* resp) override;
  grpc::Status Flush(grpc::ServerContext* ctx, const v1::FlushRequest* req,
                     v1::FlushResponse* resp) override;
  grpc::Status Compact(grpc::ServerContext* ctx, const v1::CompactRequest* req,
                       v1::CompactResponse* resp) override;
  grpc::Status Health(grpc::ServerContext* ctx, const v1::HealthRequest* req,
                      v1::HealthResponse* resp) override;

 private:
  struct Shard {
    std::string address;
    std::unique_ptr<v1::Drift::Stub> stub;
  };
  // One shard's call: its index in shards_, request and response.
  template <typename Req, typename Resp>
  struct Call {
    size_t shard;
    Req request;
    Resp response;
    grpc::Status status;
  };

  // Admission (token, shutdown, max_inflight, deadline already passed),
  // then `body`.
  template <typename Body>
  grpc::Status Run(grpc::ServerContext* ctx, Access access, Body&& body);
  // Runs every call in parallel (gRPC's callback API) with the client's
  // token and deadline; each call's status names its shard on failure.
  template <typename Req, typename Resp, typename Start>
  void Fanout(const grpc::ServerContext& ctx,
              std::vector<Call<Req, Resp>>* calls, Start start) const;
  // One call per shard, in shard order, each with `req`.
  template <typename Req, typename Resp>
  void EveryShard(const Req& req, std::vector<Call<Req, Resp>>* calls) const;
  // `req` to every shard; OK, or the failure (FirstFailure) of any shard.
  template <typename Req, typename Resp, typename Start>
  grpc::Status Broadcast(const grpc::ServerContext& ctx, const Req& req,
                         std::vector<Call<Req, Resp>>* calls,
                         Start start) const;
  // The shard tokens of a request's snapshot_token (none if it is 0).
  grpc::Status ShardTokens(uint64_t token, std::vector<uint64_t>* shard_tokens);
  // Releases shard_tokens[i] on shard i (skipping 0s).
  grpc::Status ReleaseOnShards(const grpc::ServerContext& ctx,
                               const std::vector<uint64_t>& shard_tokens) const;
  // Run, then Broadcast: an RPC whose answer is the shards' status alone.
  template <typename Resp, typename Req, typename Start>
  grpc::Status RunBroadcast(grpc::ServerContext* ctx, Access access,
                            const Req& req, Start start);
  // The search of `req` on every shard (at its token of `shard_tokens`,
  // if any); the shards that failed with a shard fault go to *missing if
  // allow_partial, else fail the request.
  template <typename Req, typename Resp, typename Start>
  grpc::Status SearchShards(const grpc::ServerContext& ctx, const Req& req,
                            const std::vector<uint64_t>& shard_tokens,
                            std::vector<Call<Req, Resp>>* calls, Start start,
                            std::vector<std::string>* missing) const;
  // Run (read), SearchShards, then merge(calls) into *resp and the missing
  // shards into resp->missing_shards: what Search and SearchBatch share.
  template <typename Req, typename Resp, typename Start, typename Merge>
  grpc::Status RouteSearch(grpc::ServerContext* ctx, const Req& req, Resp* resp,
                           Start start, Merge merge);
  // One call per shard that owns any of `items` (keys, or records by key),
  // its request `base` plus those items in order (add(&request, item)).
  // Returns each item's (call, position among the call's items).
  template <typename Req, typename Resp, typename Items, typename Add>
  std::vector<std::pair<int, int>> SplitByShard(
      const Req& base, const Items& items, Add add,
      std::vector<Call<Req, Resp>>* calls) const;
  // Splits an Upsert's records per shard and runs them.
  grpc::Status RouteUpsert(const grpc::ServerContext& ctx,
                           const v1::UpsertRequest& req, uint64_t* upserted);

  const RouterOptions options_;
  const TokenAuthorizer authorizer_;
  std::vector<Shard> shards_;
  Admission admission_;
  RouterSnapshots snapshots_;
  // Writes (Upsert, Delete, DeleteRange) vs CreateSnapshot.
  WriteCut write_cut_;
};

}  // namespace server
}  // namespace drift
