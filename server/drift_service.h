// The drift.v1.Drift gRPC service (proto/drift.proto) over a
// CollectionStore: request admission (shutdown, tokens, the in-flight limit,
// deadlines), then each RPC as calls on the store's DB and VectorIndexes.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "drift.grpc.pb.h"
#include "server/admission.h"
#include "server/auth.h"
#include "server/collections.h"
#include "server/snapshot_leases.h"

namespace drift {
namespace server {

struct ServiceOptions {
  uint32_t max_inflight = 64;
  bool sync_writes = false;
  uint32_t snapshot_ttl_seconds = 300;
  std::string role = "primary";
};

class DriftService final : public v1::Drift::Service {
 public:
  DriftService(CollectionStore* store, const ServiceOptions& options,
               TokenAuthorizer authorizer);

  // From now on every RPC but Health is UNAVAILABLE; requests already
  // admitted run to their end.
  void BeginShutdown() { admission_.BeginShutdown(); }
  // Waits until no admitted request runs, or until `deadline`; true if idle.
  bool WaitIdle(std::chrono::steady_clock::time_point deadline) const {
    return admission_.WaitIdle(deadline);
  }
  // Releases the snapshot leases (after the gRPC server stopped).
  void ReleaseSnapshots() { snapshots_.Clear(); }
  // A worker's catch-up completed, and whether it reopened the database
  // (Stats reports them).
  void RecordCatchUp(uint64_t unserved_collections, bool reopened);

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
  // Admits the request (UNAVAILABLE while shutting down, the token check,
  // RESOURCE_EXHAUSTED beyond max_inflight, DEADLINE_EXCEEDED if the
  // deadline already passed), runs `body`, and turns a read that finished
  // after its deadline into DEADLINE_EXCEEDED.
  template <typename Body>
  grpc::Status Run(grpc::ServerContext* ctx, Access access, Body&& body);
  // The collection (of `generation` if given, else of the current one), or
  // NOT_FOUND (UNAVAILABLE while its index is missing).
  grpc::Status FindCollection(const std::string& name,
                              CollectionRef* collection,
                              const Generation* generation = nullptr) const;
  // That collection, or every one if `name` is empty.
  grpc::Status FindCollections(const std::string& name,
                               std::vector<CollectionRef>* collections) const;
  // The collection a read names and the view it reads: with a snapshot
  // token, the token's snapshot and the collection as the token's
  // generation holds it; else the current collection and, if the read
  // takes vectors and payloads (`consistent`), a fresh snapshot of its DB
  // so they agree; else no snapshot (the latest state).
  grpc::Status FindForRead(const std::string& name, uint64_t token,
                           bool consistent, CollectionRef* collection,
                           SnapshotLeases::Snapshot* snapshot);
  rocksdb::WriteOptions WriteOptionsOf(const v1::WriteOptions& w) const;
  // What Search and SearchBatch share: the collection, the engine's options
  // for the request's params, and the read view they search at
  // (options.snapshot).
  struct PreparedSearch {
    CollectionRef collection;
    SearchOptions options;
    SnapshotLeases::Snapshot snapshot;
  };
  // Run (read) with the request's search prepared, then body(search).
  template <typename Req, typename Body>
  grpc::Status RunSearch(grpc::ServerContext* ctx, const Req& req, Body&& body);
  // Adds the records to `batch` (vector and payload of each); validated.
  grpc::Status AddRecords(const Collection& c, const v1::UpsertRequest& req,
                          rocksdb::WriteBatch* batch) const;
  // One RPC's search: hits, payloads and stats into *resp.
  grpc::Status FillSearchResponse(const Collection& c,
                                  const v1::SearchParams& params,
                                  const rocksdb::Snapshot* snapshot,
                                  const std::vector<SearchHit>& hits,
                                  const SearchStats& stats,
                                  v1::SearchResponse* resp) const;

  CollectionStore* const store_;
  const ServiceOptions options_;
  const TokenAuthorizer authorizer_;
  SnapshotLeases snapshots_;
  Admission admission_;
  std::atomic<uint64_t> catch_ups_{0};
  std::atomic<int64_t> last_catch_up_ns_{0};  // steady_clock
  std::atomic<uint64_t> unserved_collections_{0};
  std::atomic<uint64_t> reopens_{0};
};

}  // namespace server
}  // namespace drift
