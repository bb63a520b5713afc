#include "server/router_service.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <utility>

#include "server/status_mapping.h"
#include "server/upsert_stream.h"

#ifndef DRIFT_VERSION
#define DRIFT_VERSION "unknown"
#endif

namespace drift {
namespace server {
namespace {

// A failure of the shard itself (down, overloaded, broken), which
// allow_partial tolerates; the others are the request's and equal on every
// shard.
bool IsShardFault(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
    case grpc::StatusCode::INTERNAL:
    case grpc::StatusCode::DATA_LOSS:
    case grpc::StatusCode::UNKNOWN:
      return true;
    default:
      return false;
  }
}

// The first failed call's status (shard order), naming every failed shard.
template <typename Calls>
grpc::Status FirstFailure(const Calls& calls) {
  grpc::Status first = grpc::Status::OK;
  int failed = 0;
  std::string message;
  for (const auto& call : calls) {
    if (call.status.ok()) continue;
    if (failed++ == 0) first = call.status;
    message += (message.empty() ? "" : "; ") + call.status.error_message();
  }
  if (failed <= 1) return first;
  return grpc::Status(first.error_code(),
                      std::to_string(failed) + " shards failed: " + message);
}

// Sets a request's snapshot token (a shard's own, for its call).
void SetSnapshot(v1::GetRequest* r, uint64_t token) {
  r->set_snapshot_token(token);
}
void SetSnapshot(v1::SearchRequest* r, uint64_t token) {
  r->mutable_params()->set_snapshot_token(token);
}
void SetSnapshot(v1::SearchBatchRequest* r, uint64_t token) {
  r->mutable_params()->set_snapshot_token(token);
}
void SetSnapshot(v1::ReleaseSnapshotRequest* r, uint64_t token) {
  r->set_snapshot_token(token);
}
// Each call's request reads at its shard's token (none if `shard_tokens`
// is empty).
template <typename Calls>
void SetShardTokens(const std::vector<uint64_t>& shard_tokens, Calls* calls) {
  if (shard_tokens.empty()) return;
  for (auto& call : *calls) {
    SetSnapshot(&call.request, shard_tokens[call.shard]);
  }
}

template <typename Req>
void AddKey(Req* part, const std::string& key) {
  part->add_keys(key);
}

const std::string& KeyOf(const std::string& key) { return key; }
const std::string& KeyOf(const v1::Record& record) { return record.key(); }

}  // namespace

uint64_t ShardHash(const std::string& bytes) {
  uint64_t h = 14695981039346656037ull;  // FNV-1a 64 offset basis
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ull;  // FNV-1a 64 prime
  }
  return h;
}

size_t ShardOf(const std::string& key, size_t num_shards) {
  return static_cast<size_t>(ShardHash(key) % num_shards);
}

void MergeHits(const std::vector<const v1::SearchResponse*>& parts, uint32_t k,
               v1::SearchResponse* out) {
  std::vector<const v1::Hit*> hits;
  for (const v1::SearchResponse* part : parts) {
    for (const v1::Hit& h : part->hits()) hits.push_back(&h);
  }
  const auto better = [](const v1::Hit* a, const v1::Hit* b) {
    return a->distance() != b->distance() ? a->distance() < b->distance()
                                          : a->key() < b->key();
  };
  const size_t n = std::min<size_t>(k, hits.size());
  std::partial_sort(hits.begin(), hits.begin() + n, hits.end(), better);
  for (size_t i = 0; i < n; ++i) *out->add_hits() = *hits[i];
  for (const v1::SearchResponse* part : parts) {
    if (!part->has_stats()) continue;
    const v1::SearchStats& s = part->stats();
    v1::SearchStats* t = out->mutable_stats();
    t->set_memtable_vectors_scanned(t->memtable_vectors_scanned() +
                                    s.memtable_vectors_scanned());
    t->set_segment_vectors_scanned(t->segment_vectors_scanned() +
                                   s.segment_vectors_scanned());
    t->set_buckets_probed(t->buckets_probed() + s.buckets_probed());
    t->set_candidates_verified(t->candidates_verified() +
                               s.candidates_verified());
    t->set_point_reads(t->point_reads() + s.point_reads());
    t->set_filter_rejected(t->filter_rejected() + s.filter_rejected());
    t->set_range_vectors_scanned(t->range_vectors_scanned() +
                                 s.range_vectors_scanned());
  }
}

rocksdb::Status ParseShardList(const std::string& list,
                               std::vector<std::string>* shards) {
  shards->clear();
  std::set<std::string> seen;
  size_t begin = 0;
  while (begin <= list.size()) {
    size_t end = list.find(',', begin);
    if (end == std::string::npos) end = list.size();
    const std::string shard = list.substr(begin, end - begin);
    const size_t colon = shard.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == shard.size()) {
      return rocksdb::Status::InvalidArgument(
          "--shards: expected host:port,host:port,..., got '" + shard + "'");
    }
    if (!seen.insert(shard).second) {
      return rocksdb::Status::InvalidArgument("--shards: '" + shard +
                                              "' is listed twice");
    }
    shards->push_back(shard);
    begin = end + 1;
  }
  return rocksdb::Status::OK();
}

RouterService::RouterService(const RouterOptions& options,
                             TokenAuthorizer authorizer)
    : options_(options),
      authorizer_(std::move(authorizer)),
      admission_("drift_server (router)", options.max_inflight),
      snapshots_(options.shards) {
  grpc::ChannelArguments args;
  args.SetMaxSendMessageSize(options.max_message_bytes);
  args.SetMaxReceiveMessageSize(options.max_message_bytes);
  // A shard that restarts is reachable again within a second (gRPC's
  // default backoff grows to two minutes).
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  std::shared_ptr<grpc::ChannelCredentials> credentials =
      grpc::InsecureChannelCredentials();
  if (!options.shard_root_certs.empty()) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = options.shard_root_certs;
    ssl.pem_private_key = options.shard_private_key;
    ssl.pem_cert_chain = options.shard_cert_chain;
    credentials = grpc::SslCredentials(ssl);
  }
  for (const std::string& address : options.shards) {
    shards_.push_back({address, v1::Drift::NewStub(grpc::CreateCustomChannel(
                                    address, credentials, args))});
  }
}

RouterService::~RouterService() = default;

template <typename Body>
grpc::Status RouterService::Run(grpc::ServerContext* ctx, Access access,
                                Body&& body) {
  grpc::Status st = authorizer_.Check(*ctx, access);
  if (!st.ok()) return st;
  Admission::Ticket ticket(&admission_, *ctx);
  if (!ticket.status().ok()) return ticket.status();
  return body();
}

template <typename Req, typename Resp, typename Start>
void RouterService::Fanout(const grpc::ServerContext& ctx,
                           std::vector<Call<Req, Resp>>* calls,
                           Start start) const {
  std::vector<grpc::ClientContext> contexts(calls->size());
  const auto& metadata = ctx.client_metadata();
  const auto auth = metadata.find("authorization");
  std::mutex mu;
  std::condition_variable done;
  size_t pending = calls->size();
  for (size_t i = 0; i < calls->size(); ++i) {
    grpc::ClientContext& cc = contexts[i];
    if (auth != metadata.end()) {
      cc.AddMetadata("authorization",
                     std::string(auth->second.data(), auth->second.size()));
    }
    cc.set_deadline(ctx.deadline());
    Call<Req, Resp>& call = (*calls)[i];
    start(shards_[call.shard].stub.get(), &cc, &call.request, &call.response,
          [&, i](grpc::Status st) {
            (*calls)[i].status = std::move(st);
            std::lock_guard<std::mutex> lock(mu);
            // Notified under the lock: the waiter cannot return (and
            // destroy `done`) before this call is finished with it.
            if (--pending == 0) done.notify_all();
          });
  }
  std::unique_lock<std::mutex> lock(mu);
  done.wait(lock, [&] { return pending == 0; });
  for (auto& call : *calls) {
    if (call.status.ok()) continue;
    call.status = grpc::Status(call.status.error_code(),
                               "shard " + shards_[call.shard].address + ": " +
                                   call.status.error_message());
  }
}

template <typename Req, typename Resp>
void RouterService::EveryShard(const Req& req,
                               std::vector<Call<Req, Resp>>* calls) const {
  calls->resize(shards_.size());
  for (size_t i = 0; i < shards_.size(); ++i) {
    (*calls)[i].shard = i;
    (*calls)[i].request = req;
  }
}

template <typename Req, typename Resp, typename Start>
grpc::Status RouterService::Broadcast(const grpc::ServerContext& ctx,
                                      const Req& req,
                                      std::vector<Call<Req, Resp>>* calls,
                                      Start start) const {
  EveryShard(req, calls);
  Fanout(ctx, calls, start);
  return FirstFailure(*calls);
}

grpc::Status RouterService::ShardTokens(uint64_t token,
                                        std::vector<uint64_t>* shard_tokens) {
  if (token == 0) return grpc::Status::OK;
  return ToGrpcStatus(snapshots_.Find(token, shard_tokens));
}

template <typename Req, typename Resp, typename Items, typename Add>
std::vector<std::pair<int, int>> RouterService::SplitByShard(
    const Req& base, const Items& items, Add add,
    std::vector<Call<Req, Resp>>* calls) const {
  std::vector<int> call_of(shards_.size(), -1);
  std::vector<int> call_items;  // items per call so far
  std::vector<std::pair<int, int>> where;
  for (const auto& item : items) {
    const size_t shard = ShardOf(KeyOf(item), shards_.size());
    if (call_of[shard] < 0) {
      call_of[shard] = static_cast<int>(calls->size());
      calls->emplace_back();
      calls->back().shard = shard;
      calls->back().request = base;
      call_items.push_back(0);
    }
    const int call = call_of[shard];
    where.emplace_back(call, call_items[call]++);
    add(&(*calls)[call].request, item);
  }
  return where;
}

template <typename Req, typename Resp, typename Start>
grpc::Status RouterService::SearchShards(
    const grpc::ServerContext& ctx, const Req& req,
    const std::vector<uint64_t>& shard_tokens,
    std::vector<Call<Req, Resp>>* calls, Start start,
    std::vector<std::string>* missing) const {
  EveryShard(req, calls);
  SetShardTokens(shard_tokens, calls);
  Fanout(ctx, calls, start);
  grpc::Status st = FirstFailure(*calls);
  if (st.ok() || !req.params().allow_partial()) return st;
  size_t answered = 0;
  for (const auto& call : *calls) {
    if (call.status.ok()) {
      ++answered;
    } else if (!IsShardFault(call.status.error_code())) {
      return call.status;  // the request's fault: every shard says so
    }
  }
  if (answered == 0) return st;
  for (auto it = calls->begin(); it != calls->end();) {
    if (it->status.ok()) {
      ++it;
    } else {
      missing->push_back(shards_[it->shard].address);
      it = calls->erase(it);
    }
  }
  return grpc::Status::OK;
}

template <typename Resp, typename Req, typename Start>
grpc::Status RouterService::RunBroadcast(grpc::ServerContext* ctx,
                                         Access access, const Req& req,
                                         Start start) {
  return Run(ctx, access, [&] {
    std::vector<Call<Req, Resp>> calls;
    return Broadcast(*ctx, req, &calls, start);
  });
}

// The callback-API start of each RPC, for Fanout.
#define DRIFT_ASYNC(Method)                                               \
  [](v1::Drift::Stub* stub, grpc::ClientContext* cc, const auto* request, \
     auto* response, std::function<void(grpc::Status)> done) {            \
    stub->async()->Method(cc, request, response, std::move(done));        \
  }

grpc::Status RouterService::CreateCollection(
    grpc::ServerContext* ctx, const v1::CreateCollectionRequest* req,
    v1::CollectionInfo* resp) {
  return Run(ctx, Access::kWrite, [&] {
    std::vector<Call<v1::CreateCollectionRequest, v1::CollectionInfo>> calls;
    grpc::Status st =
        Broadcast(*ctx, *req, &calls, DRIFT_ASYNC(CreateCollection));
    if (st.ok()) *resp = calls[0].response;
    return st;
  });
}

grpc::Status RouterService::ListCollections(
    grpc::ServerContext* ctx, const v1::ListCollectionsRequest* req,
    v1::ListCollectionsResponse* resp) {
  return Run(ctx, Access::kRead, [&] {
    std::vector<Call<v1::ListCollectionsRequest, v1::ListCollectionsResponse>>
        calls;
    grpc::Status st =
        Broadcast(*ctx, *req, &calls, DRIFT_ASYNC(ListCollections));
    if (st.ok()) *resp = calls[0].response;
    return st;
  });
}

grpc::Status RouterService::DropCollection(grpc::ServerContext* ctx,
                                           const v1::DropCollectionRequest* req,
                                           v1::DropCollectionResponse*) {
  return RunBroadcast<v1::DropCollectionResponse>(ctx, Access::kWrite, *req,
                                                  DRIFT_ASYNC(DropCollection));
}

grpc::Status RouterService::RouteUpsert(const grpc::ServerContext& ctx,
                                        const v1::UpsertRequest& req,
                                        uint64_t* upserted) {
  WriteCut::Write write(&write_cut_);
  v1::UpsertRequest base;
  base.set_collection(req.collection());
  *base.mutable_write_options() = req.write_options();
  std::vector<Call<v1::UpsertRequest, v1::UpsertResponse>> calls;
  SplitByShard(
      base, req.records(),
      [](v1::UpsertRequest* part, const v1::Record& r) {
        *part->add_records() = r;
      },
      &calls);
  Fanout(ctx, &calls, DRIFT_ASYNC(Upsert));
  for (const auto& call : calls) *upserted += call.response.upserted();
  return FirstFailure(calls);
}

grpc::Status RouterService::Upsert(grpc::ServerContext* ctx,
                                   const v1::UpsertRequest* req,
                                   v1::UpsertResponse* resp) {
  return Run(ctx, Access::kWrite, [&] {
    uint64_t upserted = 0;
    grpc::Status st = RouteUpsert(*ctx, *req, &upserted);
    resp->set_upserted(upserted);
    return st;
  });
}

grpc::Status RouterService::UpsertStream(
    grpc::ServerContext* ctx, grpc::ServerReader<v1::UpsertRequest>* reader,
    v1::UpsertResponse* resp) {
  return Run(ctx, Access::kWrite, [&] {
    uint64_t upserted = 0;
    grpc::Status st = ReadUpsertStream(
        *ctx, admission_, reader,
        [&](const v1::UpsertRequest& msg, uint64_t* done) {
          return RouteUpsert(*ctx, msg, done);
        },
        &upserted);
    if (st.ok()) resp->set_upserted(upserted);
    return st;
  });
}

grpc::Status RouterService::Delete(grpc::ServerContext* ctx,
                                   const v1::DeleteRequest* req,
                                   v1::DeleteResponse*) {
  return Run(ctx, Access::kWrite, [&] {
    WriteCut::Write write(&write_cut_);
    v1::DeleteRequest base;
    base.set_collection(req->collection());
    *base.mutable_write_options() = req->write_options();
    std::vector<Call<v1::DeleteRequest, v1::DeleteResponse>> calls;
    SplitByShard(base, req->keys(), AddKey<v1::DeleteRequest>, &calls);
    Fanout(*ctx, &calls, DRIFT_ASYNC(Delete));
    return FirstFailure(calls);
  });
}

grpc::Status RouterService::DeleteRange(grpc::ServerContext* ctx,
                                        const v1::DeleteRangeRequest* req,
                                        v1::DeleteResponse*) {
  return Run(ctx, Access::kWrite, [&] {
    WriteCut::Write write(&write_cut_);
    std::vector<Call<v1::DeleteRangeRequest, v1::DeleteResponse>> calls;
    return Broadcast(*ctx, *req, &calls, DRIFT_ASYNC(DeleteRange));
  });
}

grpc::Status RouterService::Get(grpc::ServerContext* ctx,
                                const v1::GetRequest* req,
                                v1::GetResponse* resp) {
  return Run(ctx, Access::kRead, [&] {
    std::vector<uint64_t> shard_tokens;
    grpc::Status st = ShardTokens(req->snapshot_token(), &shard_tokens);
    if (!st.ok()) return st;
    v1::GetRequest base = *req;
    base.clear_keys();
    std::vector<Call<v1::GetRequest, v1::GetResponse>> calls;
    // Request position i -> (call, position in the call's response).
    const std::vector<std::pair<int, int>> where =
        SplitByShard(base, req->keys(), AddKey<v1::GetRequest>, &calls);
    SetShardTokens(shard_tokens, &calls);
    Fanout(*ctx, &calls, DRIFT_ASYNC(Get));
    st = FirstFailure(calls);
    if (!st.ok()) return st;
    for (const auto& [call, i] : where) {
      if (i >= calls[call].response.results_size()) {
        return grpc::Status(grpc::StatusCode::INTERNAL,
                            "shard " + shards_[calls[call].shard].address +
                                " returned fewer Get results than keys");
      }
      *resp->add_results() = calls[call].response.results(i);
    }
    return grpc::Status::OK;
  });
}

template <typename Req, typename Resp, typename Start, typename Merge>
grpc::Status RouterService::RouteSearch(grpc::ServerContext* ctx,
                                        const Req& req, Resp* resp, Start start,
                                        Merge merge) {
  return Run(ctx, Access::kRead, [&] {
    std::vector<uint64_t> shard_tokens;
    grpc::Status st = ShardTokens(req.params().snapshot_token(), &shard_tokens);
    if (!st.ok()) return st;
    std::vector<Call<Req, Resp>> calls;
    std::vector<std::string> missing;
    st = SearchShards(*ctx, req, shard_tokens, &calls, start, &missing);
    if (st.ok()) st = merge(calls);
    if (!st.ok()) return st;
    for (auto& m : missing) resp->add_missing_shards(std::move(m));
    return grpc::Status::OK;
  });
}

grpc::Status RouterService::Search(grpc::ServerContext* ctx,
                                   const v1::SearchRequest* req,
                                   v1::SearchResponse* resp) {
  return RouteSearch(ctx, *req, resp, DRIFT_ASYNC(Search),
                     [&](const auto& calls) {
                       std::vector<const v1::SearchResponse*> parts;
                       for (const auto& call : calls)
                         parts.push_back(&call.response);
                       MergeHits(parts, req->params().k(), resp);
                       return grpc::Status::OK;
                     });
}

grpc::Status RouterService::SearchBatch(grpc::ServerContext* ctx,
                                        const v1::SearchBatchRequest* req,
                                        v1::SearchBatchResponse* resp) {
  return RouteSearch(
      ctx, *req, resp, DRIFT_ASYNC(SearchBatch), [&](const auto& calls) {
        const int queries = calls[0].response.results_size();
        for (int q = 0; q < queries; ++q) {
          std::vector<const v1::SearchResponse*> parts;
          for (const auto& call : calls) {
            if (call.response.results_size() != queries) {
              return grpc::Status(
                  grpc::StatusCode::INTERNAL,
                  "shards returned different numbers of results");
            }
            parts.push_back(&call.response.results(q));
          }
          MergeHits(parts, req->params().k(), resp->add_results());
        }
        return grpc::Status::OK;
      });
}

grpc::Status RouterService::CreateSnapshot(grpc::ServerContext* ctx,
                                           const v1::CreateSnapshotRequest* req,
                                           v1::CreateSnapshotResponse* resp) {
  return Run(ctx, Access::kRead, [&] {
    std::vector<Call<v1::CreateSnapshotRequest, v1::CreateSnapshotResponse>>
        calls;
    // No write of this router runs while the shards take their snapshots.
    if (!write_cut_.BeginCut(ctx->deadline())) {
      return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                          "writes through the router still ran at the "
                          "deadline of CreateSnapshot");
    }
    grpc::Status st =
        Broadcast(*ctx, *req, &calls, DRIFT_ASYNC(CreateSnapshot));
    write_cut_.EndCut();
    std::vector<uint64_t> shard_tokens;
    uint32_t ttl = UINT32_MAX;
    for (const auto& call : calls) {
      shard_tokens.push_back(call.status.ok() ? call.response.snapshot_token()
                                              : 0);
      ttl = std::min(ttl, call.response.ttl_seconds());
    }
    if (!st.ok()) {
      ReleaseOnShards(*ctx, shard_tokens);  // best effort: they expire too
      return st;
    }
    // Each shard has its own sequence numbers: sequence_number stays 0.
    resp->set_snapshot_token(
        snapshots_.Create(std::move(shard_tokens), std::chrono::seconds(ttl)));
    resp->set_ttl_seconds(ttl);
    return grpc::Status::OK;
  });
}

grpc::Status RouterService::ReleaseSnapshot(
    grpc::ServerContext* ctx, const v1::ReleaseSnapshotRequest* req,
    v1::ReleaseSnapshotResponse*) {
  return Run(ctx, Access::kRead, [&] {
    std::vector<uint64_t> shard_tokens;
    grpc::Status st =
        ToGrpcStatus(snapshots_.Release(req->snapshot_token(), &shard_tokens));
    if (!st.ok()) return st;
    return ReleaseOnShards(*ctx, shard_tokens);
  });
}

grpc::Status RouterService::ReleaseOnShards(
    const grpc::ServerContext& ctx,
    const std::vector<uint64_t>& shard_tokens) const {
  std::vector<Call<v1::ReleaseSnapshotRequest, v1::ReleaseSnapshotResponse>>
      calls;
  for (size_t i = 0; i < shard_tokens.size(); ++i) {
    if (shard_tokens[i] == 0) continue;
    calls.emplace_back();
    calls.back().shard = i;
    SetSnapshot(&calls.back().request, shard_tokens[i]);
  }
  Fanout(ctx, &calls, DRIFT_ASYNC(ReleaseSnapshot));
  return FirstFailure(calls);
}

grpc::Status RouterService::Train(grpc::ServerContext* ctx,
                                  const v1::TrainRequest* req,
                                  v1::TrainResponse* resp) {
  return Run(ctx, Access::kWrite, [&] {
    std::vector<Call<v1::TrainRequest, v1::TrainResponse>> calls;
    grpc::Status st = Broadcast(*ctx, *req, &calls, DRIFT_ASYNC(Train));
    // Each shard has its own codebook; report the oldest epoch.
    uint64_t epoch = UINT64_MAX;
    for (const auto& call : calls) {
      epoch = std::min(epoch, call.response.codebook_epoch());
    }
    if (st.ok()) resp->set_codebook_epoch(epoch);
    return st;
  });
}

grpc::Status RouterService::Stats(grpc::ServerContext* ctx,
                                  const v1::StatsRequest* req,
                                  v1::StatsResponse* resp) {
  return Run(ctx, Access::kRead, [&] {
    std::vector<Call<v1::StatsRequest, v1::StatsResponse>> calls;
    grpc::Status st = Broadcast(*ctx, *req, &calls, DRIFT_ASYNC(Stats));
    if (!st.ok()) return st;
    // Per collection: the first shard's info, key and byte counts summed
    // (index_stats are per shard: ask the shards).
    std::map<std::string, v1::CollectionStats> merged;
    for (const auto& call : calls) {
      for (const v1::CollectionStats& c : call.response.collections()) {
        v1::CollectionStats& m = merged[c.info().name()];
        if (!m.has_info()) *m.mutable_info() = c.info();
        m.set_estimated_num_keys(m.estimated_num_keys() +
                                 c.estimated_num_keys());
        m.set_live_sst_bytes(m.live_sst_bytes() + c.live_sst_bytes());
      }
    }
    for (auto& [name, c] : merged) *resp->add_collections() = std::move(c);
    admission_.FillStats(resp);
    return grpc::Status::OK;
  });
}

grpc::Status RouterService::Flush(grpc::ServerContext* ctx,
                                  const v1::FlushRequest* req,
                                  v1::FlushResponse*) {
  return RunBroadcast<v1::FlushResponse>(ctx, Access::kWrite, *req,
                                         DRIFT_ASYNC(Flush));
}

grpc::Status RouterService::Compact(grpc::ServerContext* ctx,
                                    const v1::CompactRequest* req,
                                    v1::CompactResponse*) {
  return RunBroadcast<v1::CompactResponse>(ctx, Access::kWrite, *req,
                                           DRIFT_ASYNC(Compact));
}

grpc::Status RouterService::Health(grpc::ServerContext*,
                                   const v1::HealthRequest*,
                                   v1::HealthResponse* resp) {
  resp->set_status(admission_.shutting_down()
                       ? v1::HealthResponse::SHUTTING_DOWN
                       : v1::HealthResponse::SERVING);
  resp->set_role("router");
  resp->set_version(DRIFT_VERSION);
  return grpc::Status::OK;
}

#undef DRIFT_ASYNC

}  // namespace server
}  // namespace drift
