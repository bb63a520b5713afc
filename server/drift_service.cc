#include "server/drift_service.h"

#include <thread>
#include <utility>
#include <vector>

#include "rocksdb/write_batch.h"
#include "server/status_mapping.h"
#include "server/upsert_stream.h"

#ifndef DRIFT_VERSION
#define DRIFT_VERSION "unknown"
#endif

namespace drift {
namespace server {
namespace {

grpc::Status Invalid(const std::string& message) {
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, message);
}

std::vector<float> ToVector(const google::protobuf::RepeatedField<float>& v) {
  return std::vector<float>(v.begin(), v.end());
}

// Hex of a key for messages (keys are bytes).
std::string Printable(const std::string& key) {
  return rocksdb::Slice(key).ToString(/*hex=*/true);
}

grpc::Status CheckKey(const std::string& key, size_t i) {
  return key.empty() ? Invalid("key " + std::to_string(i) + " is empty")
                     : grpc::Status::OK;
}

grpc::Status ToSearchOptions(const Collection& c, const v1::SearchParams& p,
                             SearchOptions* so) {
  if (p.metric() != v1::METRIC_UNSPECIFIED && p.metric() != c.info.metric()) {
    return Invalid(std::string("collection '") + c.info.name() + "' ranks by " +
                   v1::Metric_Name(c.info.metric()) + ", not " +
                   v1::Metric_Name(p.metric()));
  }
  if (p.k() == 0 || p.k() > kMaxSearchK) {
    return Invalid("k must be in [1, " + std::to_string(kMaxSearchK) +
                   "], got " + std::to_string(p.k()));
  }
  so->recall_target = p.recall_target();
  so->nprobe = p.nprobe();
  so->exhaustive = p.exhaustive();
  so->adaptive_probes = p.adaptive_probes();
  so->rerank = p.rerank();
  so->return_vectors = p.include_vectors();
  if (p.has_filter()) {
    const v1::KeyFilter& f = p.filter();
    if (f.has_key_start()) so->key_start = f.key_start();
    if (f.has_key_limit()) so->key_limit = f.key_limit();
    so->key_prefix = f.key_prefix();
  }
  return grpc::Status::OK;
}

void ToProtoStats(const SearchStats& s, v1::SearchStats* out) {
  out->set_memtable_vectors_scanned(s.memtable_vectors_scanned);
  out->set_segment_vectors_scanned(s.segment_vectors_scanned);
  out->set_buckets_probed(s.buckets_probed);
  out->set_candidates_verified(s.candidates_verified);
  out->set_point_reads(s.point_reads);
  out->set_filter_rejected(s.filter_rejected);
  out->set_range_vectors_scanned(s.range_vectors_scanned);
}

}  // namespace

DriftService::DriftService(CollectionStore* store,
                           const ServiceOptions& options,
                           TokenAuthorizer authorizer)
    : store_(store),
      options_(options),
      authorizer_(std::move(authorizer)),
      admission_("drift_server", options.max_inflight) {}

template <typename Body>
grpc::Status DriftService::Run(grpc::ServerContext* ctx, Access access,
                               Body&& body) {
  grpc::Status st = authorizer_.Check(*ctx, access);
  if (!st.ok()) return st;
  if (access == Access::kWrite && store_->secondary()) {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                        "this drift_server is a read-only worker; write to "
                        "the primary");
  }
  Admission::Ticket ticket(&admission_, *ctx);
  if (!ticket.status().ok()) return ticket.status();
  st = body();
  // A committed write stays committed whatever the deadline says.
  if (st.ok() && access == Access::kRead && DeadlinePassed(*ctx)) {
    return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                        "deadline passed while the request ran");
  }
  return st;
}

void DriftService::RecordCatchUp(uint64_t unserved_collections, bool reopened) {
  unserved_collections_.store(unserved_collections);
  if (reopened) reopens_.fetch_add(1);
  last_catch_up_ns_.store(
      std::chrono::steady_clock::now().time_since_epoch().count());
  catch_ups_.fetch_add(1);
}

grpc::Status DriftService::FindCollection(const std::string& name,
                                          CollectionRef* collection,
                                          const Generation* generation) const {
  if (name.empty()) return Invalid("no collection named in the request");
  std::shared_ptr<Collection> c;
  grpc::Status st = ToGrpcStatus(store_->Find(name, &c, generation));
  if (!st.ok()) return st;
  *collection = CollectionRef(std::move(c));
  if ((*collection)->index == nullptr) {
    return grpc::Status(
        grpc::StatusCode::UNAVAILABLE,
        "the index of collection '" + name +
            "' failed to reload; retrying at the next catch-up");
  }
  return grpc::Status::OK;
}

grpc::Status DriftService::FindCollections(
    const std::string& name, std::vector<CollectionRef>* collections) const {
  if (!name.empty()) {
    collections->resize(1);
    return FindCollection(name, &collections->back());
  }
  for (auto& c : store_->All()) {
    collections->emplace_back(std::move(c));
    if (collections->back()->index == nullptr) {
      return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                          "the index of collection '" +
                              collections->back()->info.name() +
                              "' failed to reload");
    }
  }
  return grpc::Status::OK;
}

grpc::Status DriftService::FindForRead(const std::string& name, uint64_t token,
                                       bool consistent,
                                       CollectionRef* collection,
                                       SnapshotLeases::Snapshot* snapshot) {
  if (token != 0) {
    std::shared_ptr<Generation> generation;
    grpc::Status st =
        ToGrpcStatus(snapshots_.Find(token, snapshot, &generation));
    if (!st.ok()) return st;
    return FindCollection(name, collection, generation.get());
  }
  grpc::Status st = FindCollection(name, collection);
  if (st.ok() && consistent)
    *snapshot = SnapshotLeases::Take((*collection)->db);
  return st;
}

rocksdb::WriteOptions DriftService::WriteOptionsOf(
    const v1::WriteOptions& w) const {
  rocksdb::WriteOptions wo;
  wo.sync = w.sync() || options_.sync_writes;
  wo.disableWAL = false;  // acknowledged writes must survive a crash
  return wo;
}

grpc::Status DriftService::CreateCollection(
    grpc::ServerContext* ctx, const v1::CreateCollectionRequest* req,
    v1::CollectionInfo* resp) {
  return Run(ctx, Access::kWrite, [&] {
    v1::CollectionInfo info;
    info.set_name(req->name());
    info.set_dimension(req->dimension());
    info.set_metric(req->metric());
    info.set_column_family_options(req->column_family_options());
    info.set_min_train_vectors(req->min_train_vectors());
    info.set_target_bucket_size(req->target_bucket_size());
    info.set_disable_auto_train(req->disable_auto_train());
    bool exists = false;
    rocksdb::Status s =
        store_->Create(info, req->if_not_exists(), resp, &exists);
    if (exists && !s.ok()) {
      return grpc::Status(grpc::StatusCode::ALREADY_EXISTS, s.ToString());
    }
    return ToGrpcStatus(s, "CreateCollection '" + req->name() + "'");
  });
}

grpc::Status DriftService::ListCollections(grpc::ServerContext* ctx,
                                           const v1::ListCollectionsRequest*,
                                           v1::ListCollectionsResponse* resp) {
  return Run(ctx, Access::kRead, [&] {
    for (const auto& c : store_->All()) *resp->add_collections() = c->info;
    return grpc::Status::OK;
  });
}

grpc::Status DriftService::DropCollection(grpc::ServerContext* ctx,
                                          const v1::DropCollectionRequest* req,
                                          v1::DropCollectionResponse*) {
  return Run(ctx, Access::kWrite, [&] {
    return ToGrpcStatus(store_->Drop(req->name(), req->if_exists()));
  });
}

grpc::Status DriftService::AddRecords(const Collection& c,
                                      const v1::UpsertRequest& req,
                                      rocksdb::WriteBatch* batch) const {
  for (int i = 0; i < req.records_size(); ++i) {
    const v1::Record& r = req.records(i);
    grpc::Status st = CheckKey(r.key(), i);
    if (!st.ok()) return st;
    const std::string where =
        "record " + std::to_string(i) + " (key 0x" + Printable(r.key()) + ")";
    if (static_cast<uint32_t>(r.vector().values_size()) != c.info.dimension()) {
      return Invalid(where + ": the vector has " +
                     std::to_string(r.vector().values_size()) +
                     " components, collection '" + c.info.name() + "' has " +
                     std::to_string(c.info.dimension()));
    }
    // VectorIndex::Put rejects NaN/infinite components (and zero vectors
    // under cosine) with InvalidArgument.
    rocksdb::Status s =
        c.index->Put(batch, r.key(), ToVector(r.vector().values()));
    if (s.ok()) {
      s = r.has_payload() ? batch->Put(c.payloads, r.key(), r.payload())
                          : batch->Delete(c.payloads, r.key());
    }
    if (!s.ok()) return ToGrpcStatus(s, where);
  }
  return grpc::Status::OK;
}

grpc::Status DriftService::Upsert(grpc::ServerContext* ctx,
                                  const v1::UpsertRequest* req,
                                  v1::UpsertResponse* resp) {
  return Run(ctx, Access::kWrite, [&] {
    CollectionRef c;
    grpc::Status st = FindCollection(req->collection(), &c);
    if (!st.ok()) return st;
    rocksdb::WriteBatch batch;
    st = AddRecords(*c, *req, &batch);
    if (!st.ok()) return st;
    st = ToGrpcStatus(
        c->db->Write(WriteOptionsOf(req->write_options()), &batch), "Upsert");
    if (st.ok()) resp->set_upserted(req->records_size());
    return st;
  });
}

grpc::Status DriftService::UpsertStream(
    grpc::ServerContext* ctx, grpc::ServerReader<v1::UpsertRequest>* reader,
    v1::UpsertResponse* resp) {
  return Run(ctx, Access::kWrite, [&] {
    uint64_t committed = 0;
    grpc::Status status = ReadUpsertStream(
        *ctx, admission_, reader,
        [&](const v1::UpsertRequest& msg, uint64_t* done) {
          // Held per message, not for the stream: a DropCollection waits
          // for one batch, not for the client to close the stream.
          CollectionRef c;
          grpc::Status st = FindCollection(msg.collection(), &c);
          rocksdb::WriteBatch batch;
          if (st.ok()) st = AddRecords(*c, msg, &batch);
          if (st.ok()) {
            st = ToGrpcStatus(
                c->db->Write(WriteOptionsOf(msg.write_options()), &batch),
                "UpsertStream");
          }
          if (st.ok()) *done += msg.records_size();
          return st;
        },
        &committed);
    if (status.ok()) resp->set_upserted(committed);
    return status;
  });
}

grpc::Status DriftService::Delete(grpc::ServerContext* ctx,
                                  const v1::DeleteRequest* req,
                                  v1::DeleteResponse*) {
  return Run(ctx, Access::kWrite, [&] {
    CollectionRef c;
    grpc::Status st = FindCollection(req->collection(), &c);
    if (!st.ok()) return st;
    rocksdb::WriteBatch batch;
    for (int i = 0; i < req->keys_size(); ++i) {
      st = CheckKey(req->keys(i), i);
      if (!st.ok()) return st;
      rocksdb::Status s = c->index->Delete(&batch, req->keys(i));
      if (s.ok()) s = batch.Delete(c->payloads, req->keys(i));
      if (!s.ok()) return ToGrpcStatus(s, "Delete");
    }
    return ToGrpcStatus(
        c->db->Write(WriteOptionsOf(req->write_options()), &batch), "Delete");
  });
}

grpc::Status DriftService::DeleteRange(grpc::ServerContext* ctx,
                                       const v1::DeleteRangeRequest* req,
                                       v1::DeleteResponse*) {
  return Run(ctx, Access::kWrite, [&] {
    CollectionRef c;
    grpc::Status st = FindCollection(req->collection(), &c);
    if (!st.ok()) return st;
    if (!(rocksdb::Slice(req->start()).compare(req->limit()) < 0)) {
      return Invalid("DeleteRange needs start < limit (bytewise)");
    }
    rocksdb::WriteBatch batch;
    rocksdb::Status s =
        batch.DeleteRange(c->vectors, req->start(), req->limit());
    if (s.ok()) s = batch.DeleteRange(c->payloads, req->start(), req->limit());
    if (s.ok()) {
      s = c->db->Write(WriteOptionsOf(req->write_options()), &batch);
    }
    return ToGrpcStatus(s, "DeleteRange");
  });
}

grpc::Status DriftService::Get(grpc::ServerContext* ctx,
                               const v1::GetRequest* req,
                               v1::GetResponse* resp) {
  return Run(ctx, Access::kRead, [&] {
    CollectionRef c;
    SnapshotLeases::Snapshot snapshot;
    grpc::Status st = FindForRead(req->collection(), req->snapshot_token(),
                                  !req->omit_payloads(), &c, &snapshot);
    if (!st.ok()) return st;
    rocksdb::ReadOptions ro;
    ro.snapshot = snapshot.get();
    for (int i = 0; i < req->keys_size(); ++i) {
      const std::string& key = req->keys(i);
      v1::GetResult* r = resp->add_results();
      r->set_key(key);
      std::vector<float> vector;
      rocksdb::Status s = c->index->Get(ro, key, &vector);
      if (s.IsNotFound()) continue;
      if (!s.ok()) return ToGrpcStatus(s, "Get key 0x" + Printable(key));
      r->set_found(true);
      if (!req->omit_vectors()) {
        r->mutable_vector()->mutable_values()->Add(vector.begin(),
                                                   vector.end());
      }
      if (!req->omit_payloads()) {
        std::string payload;
        s = c->db->Get(ro, c->payloads, key, &payload);
        if (s.ok()) {
          r->set_payload(std::move(payload));
        } else if (!s.IsNotFound()) {
          return ToGrpcStatus(s, "Get payload of key 0x" + Printable(key));
        }
      }
    }
    return grpc::Status::OK;
  });
}

grpc::Status DriftService::FillSearchResponse(
    const Collection& c, const v1::SearchParams& params,
    const rocksdb::Snapshot* snapshot, const std::vector<SearchHit>& hits,
    const SearchStats& stats, v1::SearchResponse* resp) const {
  std::vector<rocksdb::Slice> keys;
  for (const SearchHit& h : hits) {
    v1::Hit* hit = resp->add_hits();
    hit->set_key(h.key);
    hit->set_distance(h.distance);
    if (params.include_vectors()) {
      hit->mutable_vector()->mutable_values()->Add(h.vector.begin(),
                                                   h.vector.end());
    }
    keys.emplace_back(h.key);
  }
  if (params.include_stats()) ToProtoStats(stats, resp->mutable_stats());
  if (!params.include_payloads() || keys.empty()) return grpc::Status::OK;
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot;
  std::vector<rocksdb::PinnableSlice> values(keys.size());
  std::vector<rocksdb::Status> statuses(keys.size());
  c.db->MultiGet(ro, c.payloads, keys.size(), keys.data(), values.data(),
                 statuses.data());
  for (size_t i = 0; i < keys.size(); ++i) {
    if (statuses[i].ok()) {
      resp->mutable_hits(static_cast<int>(i))
          ->set_payload(values[i].ToString());
    } else if (!statuses[i].IsNotFound()) {
      return ToGrpcStatus(statuses[i], "payload of a hit");
    }
  }
  return grpc::Status::OK;
}

template <typename Req, typename Body>
grpc::Status DriftService::RunSearch(grpc::ServerContext* ctx, const Req& req,
                                     Body&& body) {
  return Run(ctx, Access::kRead, [&] {
    PreparedSearch search;
    grpc::Status st = FindForRead(
        req.collection(), req.params().snapshot_token(),
        req.params().include_payloads(), &search.collection, &search.snapshot);
    if (st.ok()) {
      st = ToSearchOptions(*search.collection, req.params(), &search.options);
    }
    if (!st.ok()) return st;
    search.options.snapshot = search.snapshot.get();
    return body(search);
  });
}

grpc::Status DriftService::Search(grpc::ServerContext* ctx,
                                  const v1::SearchRequest* req,
                                  v1::SearchResponse* resp) {
  return RunSearch(ctx, *req, [&](const PreparedSearch& s) {
    std::vector<SearchHit> hits;
    SearchStats stats;
    grpc::Status st = ToGrpcStatus(
        s.collection->index->Search(s.options, ToVector(req->query()),
                                    req->params().k(), &hits, &stats),
        "Search");
    if (!st.ok()) return st;
    return FillSearchResponse(*s.collection, req->params(), s.snapshot.get(),
                              hits, stats, resp);
  });
}

grpc::Status DriftService::SearchBatch(grpc::ServerContext* ctx,
                                       const v1::SearchBatchRequest* req,
                                       v1::SearchBatchResponse* resp) {
  return RunSearch(ctx, *req, [&](const PreparedSearch& s) {
    const size_t dim = s.collection->info.dimension();
    if (req->queries_size() == 0 ||
        static_cast<size_t>(req->queries_size()) % dim != 0) {
      return Invalid("queries hold " + std::to_string(req->queries_size()) +
                     " floats: need a positive multiple of the dimension " +
                     std::to_string(dim));
    }
    std::vector<std::vector<SearchHit>> hits;
    std::vector<SearchStats> stats;
    grpc::Status st = ToGrpcStatus(
        s.collection->index->SearchBatch(s.options, ToVector(req->queries()),
                                         req->params().k(), &hits, &stats),
        "SearchBatch");
    for (size_t i = 0; st.ok() && i < hits.size(); ++i) {
      st = FillSearchResponse(*s.collection, req->params(), s.snapshot.get(),
                              hits[i], stats[i], resp->add_results());
    }
    return st;
  });
}

grpc::Status DriftService::CreateSnapshot(grpc::ServerContext* ctx,
                                          const v1::CreateSnapshotRequest* req,
                                          v1::CreateSnapshotResponse* resp) {
  return Run(ctx, Access::kRead, [&] {
    uint32_t ttl = req->ttl_seconds();
    if (ttl == 0 || ttl > options_.snapshot_ttl_seconds) {
      ttl = options_.snapshot_ttl_seconds;
    }
    SnapshotLeases::Snapshot snapshot;
    resp->set_snapshot_token(snapshots_.Create(
        store_->current(), std::chrono::seconds(ttl), &snapshot));
    resp->set_sequence_number(snapshot->GetSequenceNumber());
    resp->set_ttl_seconds(ttl);
    return grpc::Status::OK;
  });
}

grpc::Status DriftService::ReleaseSnapshot(
    grpc::ServerContext* ctx, const v1::ReleaseSnapshotRequest* req,
    v1::ReleaseSnapshotResponse*) {
  return Run(ctx, Access::kRead, [&] {
    return ToGrpcStatus(snapshots_.Release(req->snapshot_token()));
  });
}

grpc::Status DriftService::Train(grpc::ServerContext* ctx,
                                 const v1::TrainRequest* req,
                                 v1::TrainResponse* resp) {
  return Run(ctx, Access::kWrite, [&] {
    CollectionRef c;
    grpc::Status st = FindCollection(req->collection(), &c);
    if (!st.ok()) return st;
    TrainOptions to;
    to.num_buckets = req->num_buckets();
    to.rebucket = !req->skip_rebucket();
    st = ToGrpcStatus(c->index->Train(to), "Train");
    if (st.ok()) resp->set_codebook_epoch(c->index->codebook_epoch());
    return st;
  });
}

grpc::Status DriftService::Stats(grpc::ServerContext* ctx,
                                 const v1::StatsRequest* req,
                                 v1::StatsResponse* resp) {
  return Run(ctx, Access::kRead, [&] {
    std::vector<CollectionRef> collections;
    grpc::Status st = FindCollections(req->collection(), &collections);
    if (!st.ok()) return st;
    for (const auto& c : collections) {
      v1::CollectionStats* cs = resp->add_collections();
      *cs->mutable_info() = c->info;
      uint64_t value = 0;
      if (c->db->GetIntProperty(c->vectors, "rocksdb.estimate-num-keys",
                                &value)) {
        cs->set_estimated_num_keys(value);
      }
      if (c->db->GetIntProperty(c->vectors, "rocksdb.live-sst-files-size",
                                &value)) {
        cs->set_live_sst_bytes(value);
      }
      std::map<std::string, std::string> stats;
      rocksdb::Status s = c->index->GetMapProperty("drift.stats", &stats);
      if (!s.ok()) return ToGrpcStatus(s, "Stats of '" + c->info.name() + "'");
      cs->mutable_index_stats()->insert(stats.begin(), stats.end());
    }
    admission_.FillStats(resp);
    if (catch_ups_.load() > 0) {
      resp->set_catch_ups(catch_ups_.load());
      const auto last = std::chrono::steady_clock::time_point(
          std::chrono::steady_clock::duration(last_catch_up_ns_.load()));
      resp->set_last_catch_up_age_ms(
          std::chrono::duration_cast<std::chrono::milliseconds>(
              std::chrono::steady_clock::now() - last)
              .count());
      resp->set_unserved_collections(unserved_collections_.load());
      resp->set_reopens(reopens_.load());
    }
    return grpc::Status::OK;
  });
}

grpc::Status DriftService::Flush(grpc::ServerContext* ctx,
                                 const v1::FlushRequest* req,
                                 v1::FlushResponse*) {
  return Run(ctx, Access::kWrite, [&] {
    std::vector<CollectionRef> collections;
    grpc::Status st = FindCollections(req->collection(), &collections);
    if (!st.ok()) return st;
    std::vector<rocksdb::ColumnFamilyHandle*> cfs;
    for (const auto& c : collections) {
      cfs.push_back(c->vectors);
      cfs.push_back(c->payloads);
    }
    if (cfs.empty()) return grpc::Status::OK;
    rocksdb::FlushOptions fo;
    fo.wait = true;
    return ToGrpcStatus(collections.front()->db->Flush(fo, cfs), "Flush");
  });
}

grpc::Status DriftService::Compact(grpc::ServerContext* ctx,
                                   const v1::CompactRequest* req,
                                   v1::CompactResponse*) {
  return Run(ctx, Access::kWrite, [&] {
    CollectionRef c;
    grpc::Status st = FindCollection(req->collection(), &c);
    if (!st.ok()) return st;
    const rocksdb::Slice start(req->start()), limit(req->limit());
    const rocksdb::Slice* begin = req->has_start() ? &start : nullptr;
    const rocksdb::Slice* end = req->has_limit() ? &limit : nullptr;
    rocksdb::Status s = rocksdb::Status::OK();
    for (auto* cf : {c->vectors, c->payloads}) {
      if (s.ok()) {
        s = c->db->CompactRange(rocksdb::CompactRangeOptions(), cf, begin, end);
      }
    }
    return ToGrpcStatus(s, "Compact");
  });
}

grpc::Status DriftService::Health(grpc::ServerContext*,
                                  const v1::HealthRequest*,
                                  v1::HealthResponse* resp) {
  resp->set_status(admission_.shutting_down()
                       ? v1::HealthResponse::SHUTTING_DOWN
                       : v1::HealthResponse::SERVING);
  resp->set_role(options_.role);
  resp->set_version(DRIFT_VERSION);
  return grpc::Status::OK;
}

}  // namespace server
}  // namespace drift
