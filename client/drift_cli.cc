// drift: the command-line client of drift_server (proto/drift.proto).
//
//   drift --server=127.0.0.1:50051 create docs --dim=128
//   drift load docs base.fvecs
//   drift search docs --vector=0.1,0.2,... -k 10
//
// Output is a table for humans, or with --json each response message in
// protobuf's JSON mapping (field names as in the .proto, bytes as base64).
// Exit codes: 0 ok, 1 the server returned an error (its gRPC code name and
// message go to stderr), 2 a usage or input error (bad arguments, an
// unreadable or malformed file).
#include <google/protobuf/util/json_util.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "client/connection.h"
#include "client/progress.h"
#include "client/table.h"
#include "client/vector_file.h"
#include "tools/vector_text.h"

namespace drift {
namespace client {
namespace {

constexpr int kExitRpcError = 1;
constexpr int kExitUsage = 2;

int RpcError(const grpc::Status& st) {
  fprintf(stderr, "drift: %s: %s\n", StatusCodeName(st.error_code()),
          st.error_message().c_str());
  return kExitRpcError;
}

int UsageError(const std::string& message) {
  fprintf(stderr, "drift: %s\n", message.c_str());
  return kExitUsage;
}

void PrintJson(const google::protobuf::Message& m) {
  google::protobuf::util::JsonPrintOptions o;
  o.preserve_proto_field_names = true;
  o.always_print_primitive_fields = true;
  std::string out;
  google::protobuf::util::MessageToJsonString(m, &out, o);
  printf("%s\n", out.c_str());
}

std::string Floats(const v1::Vector& v) {
  return tools::FormatFloats(v.values().data(), v.values_size());
}

std::string Float(float f) { return tools::FormatFloats(&f, 1); }

const char* MetricName(v1::Metric m) {
  switch (m) {
    case v1::METRIC_INNER_PRODUCT:
      return "ip";
    case v1::METRIC_COSINE:
      return "cosine";
    default:
      return "l2";
  }
}

v1::Metric MetricFromName(const std::string& name) {
  if (name == "ip") return v1::METRIC_INNER_PRODUCT;
  if (name == "cosine") return v1::METRIC_COSINE;
  return v1::METRIC_L2;
}

// What every command runs with: the connection and the output mode.
struct Session {
  Connection* conn;
  bool json;
  // The deadline of calls that take as long as the data needs (load, train,
  // compact): none (0) unless --timeout was given.
  double long_call_timeout;
};

// Rows per message of a file's rows: at most `max_rows`, and few enough that
// a message stays near 4 MiB (the server's limit is larger).
size_t RowsPerMessage(uint32_t dim, size_t max_rows) {
  const size_t cap = std::max<size_t>(1, (4 << 20) / (dim * 4 + 64));
  return std::min(max_rows, cap);
}

// One subcommand: its arguments (bound to members by Add) and its body.
class Command {
 public:
  virtual ~Command() = default;
  virtual CLI::App* Add(CLI::App* app) = 0;
  // The exit code.
  virtual int Run(const Session& s) = 0;
};

class CreateCommand : public Command {
 public:
  CLI::App* Add(CLI::App* app) override {
    auto* c = app->add_subcommand("create", "Create a collection");
    c->add_option("name", name_, "Collection name ([A-Za-z0-9_.-]{1,64})")
        ->required();
    c->add_option("--dim", dim_, "Vector dimension (1 to 65536)")->required();
    c->add_option("--metric", metric_, "Distance: l2, ip or cosine")
        ->check(CLI::IsMember({"l2", "ip", "cosine"}))
        ->capture_default_str();
    c->add_option("--min_train_vectors", min_train_,
                  "Vectors before the codebook is trained (0: default)");
    c->add_option("--target_bucket_size", bucket_size_,
                  "Vectors per bucket the codebook aims at (0: default)");
    c->add_flag("--disable_auto_train", no_auto_train_,
                "Train only on `drift train`");
    c->add_option("--cf_options", cf_options_,
                  "RocksDB column family option string");
    c->add_flag("--if_not_exists", if_not_exists_,
                "OK if it exists with the same dimension and metric");
    return c;
  }
  int Run(const Session& s) override {
    v1::CreateCollectionRequest req;
    req.set_name(name_);
    req.set_dimension(dim_);
    req.set_metric(MetricFromName(metric_));
    req.set_min_train_vectors(min_train_);
    req.set_target_bucket_size(bucket_size_);
    req.set_disable_auto_train(no_auto_train_);
    req.set_column_family_options(cf_options_);
    req.set_if_not_exists(if_not_exists_);
    v1::CollectionInfo info;
    grpc::Status st =
        s.conn->stub()->CreateCollection(s.conn->Context().get(), req, &info);
    if (!st.ok()) return RpcError(st);
    if (s.json) {
      PrintJson(info);
    } else {
      printf("created %s (dimension %u, %s)\n", info.name().c_str(),
             info.dimension(), MetricName(info.metric()));
    }
    return 0;
  }

 private:
  std::string name_;
  uint32_t dim_ = 0;
  std::string metric_ = "l2";
  uint64_t min_train_ = 0;
  uint32_t bucket_size_ = 0;
  bool no_auto_train_ = false;
  std::string cf_options_;
  bool if_not_exists_ = false;
};

class ListCommand : public Command {
 public:
  CLI::App* Add(CLI::App* app) override {
    return app->add_subcommand("list", "List the collections");
  }
  int Run(const Session& s) override {
    v1::ListCollectionsResponse resp;
    grpc::Status st = s.conn->stub()->ListCollections(
        s.conn->Context().get(), v1::ListCollectionsRequest(), &resp);
    if (!st.ok()) return RpcError(st);
    if (s.json) {
      PrintJson(resp);
      return 0;
    }
    Table t({"name", "dimension", "metric"});
    for (const auto& c : resp.collections()) {
      t.AddRow(
          {c.name(), std::to_string(c.dimension()), MetricName(c.metric())});
    }
    t.Print(stdout);
    return 0;
  }
};

class DropCommand : public Command {
 public:
  CLI::App* Add(CLI::App* app) override {
    auto* c = app->add_subcommand("drop", "Drop a collection and its data");
    c->add_option("name", name_, "Collection")->required();
    c->add_flag("--if_exists", if_exists_, "OK if it does not exist");
    return c;
  }
  int Run(const Session& s) override {
    v1::DropCollectionRequest req;
    req.set_name(name_);
    req.set_if_exists(if_exists_);
    v1::DropCollectionResponse resp;
    grpc::Status st =
        s.conn->stub()->DropCollection(s.conn->Context().get(), req, &resp);
    if (!st.ok()) return RpcError(st);
    s.json ? PrintJson(resp) : void(printf("dropped %s\n", name_.c_str()));
    return 0;
  }

 private:
  std::string name_;
  bool if_exists_ = false;
};

class PutCommand : public Command {
 public:
  CLI::App* Add(CLI::App* app) override {
    auto* c = app->add_subcommand("put", "Upsert one vector (and payload)");
    c->add_option("collection", collection_, "Collection")->required();
    c->add_option("key", key_, "Key")->required();
    c->add_option("--vector", vector_, "Components, e.g. 0.5,1,-2")->required();
    payload_opt_ = c->add_option("--payload", payload_, "Payload bytes");
    c->add_flag("--sync", sync_, "fsync the WAL before the reply");
    return c;
  }
  int Run(const Session& s) override {
    v1::UpsertRequest req;
    req.set_collection(collection_);
    req.mutable_write_options()->set_sync(sync_);
    v1::Record* r = req.add_records();
    r->set_key(key_);
    std::vector<float> v;
    rocksdb::Status parsed = tools::ParseFloats(vector_, &v);
    if (!parsed.ok()) return UsageError("--vector: " + parsed.ToString());
    r->mutable_vector()->mutable_values()->Add(v.begin(), v.end());
    if (payload_opt_->count() > 0) r->set_payload(payload_);
    v1::UpsertResponse resp;
    grpc::Status st =
        s.conn->stub()->Upsert(s.conn->Context().get(), req, &resp);
    if (!st.ok()) return RpcError(st);
    s.json ? PrintJson(resp)
           : void(printf("upserted %llu\n",
                         static_cast<unsigned long long>(resp.upserted())));
    return 0;
  }

 private:
  std::string collection_, key_, vector_, payload_;
  CLI::Option* payload_opt_ = nullptr;
  bool sync_ = false;
};

// The collection's info (dimension) from ListCollections; NOT_FOUND if none.
grpc::Status FindCollection(const Session& s, const std::string& name,
                            v1::CollectionInfo* info) {
  v1::ListCollectionsResponse resp;
  grpc::Status st = s.conn->stub()->ListCollections(
      s.conn->Context().get(), v1::ListCollectionsRequest(), &resp);
  if (!st.ok()) return st;
  for (const auto& c : resp.collections()) {
    if (c.name() == name) {
      *info = c;
      return grpc::Status::OK;
    }
  }
  return grpc::Status(grpc::StatusCode::NOT_FOUND,
                      "no collection '" + name + "'");
}

class LoadCommand : public Command {
 public:
  CLI::App* Add(CLI::App* app) override {
    auto* c = app->add_subcommand(
        "load",
        "Bulk-load vectors from a file (fvecs, .npy float32 2-d, or CSV "
        "'key,v1,...' / 'v1,...') through a streaming upsert");
    c->add_option("collection", collection_, "Collection")->required();
    c->add_option("file", path_, "The file")->required();
    c->add_option("--format", format_, "auto (by extension), fvecs, npy, csv")
        ->capture_default_str();
    c->add_option("--key_prefix", key_prefix_,
                  "Generated keys (files without keys): <prefix><row number>")
        ->capture_default_str();
    c->add_option("--first_id", first_id_, "Row number of the first row")
        ->capture_default_str();
    c->add_option("--batch", batch_, "Rows per stream message (and WriteBatch)")
        ->check(CLI::Range(1, 1000000))
        ->capture_default_str();
    c->add_flag("--sync", sync_, "fsync the WAL before each batch commits");
    return c;
  }
  int Run(const Session& s) override {
    v1::CollectionInfo info;
    grpc::Status st = FindCollection(s, collection_, &info);
    if (!st.ok()) return RpcError(st);
    VectorFormat format;
    std::unique_ptr<VectorFileReader> reader;
    rocksdb::Status fs = ParseVectorFormat(format_, path_, &format);
    if (fs.ok()) {
      fs = VectorFileReader::Open(path_, format, info.dimension(), &reader);
    }
    if (!fs.ok()) return UsageError(fs.getState());
    return Stream(s, reader.get(), info.dimension());
  }

 private:
  int Stream(const Session& s, VectorFileReader* reader, uint32_t dim) {
    const auto start = std::chrono::steady_clock::now();
    auto ctx = s.conn->Context(s.long_call_timeout);
    v1::UpsertResponse resp;
    auto stream = s.conn->stub()->UpsertStream(ctx.get(), &resp);
    ProgressBar bar(stderr, reader->file_size());
    VectorBatch batch;
    rocksdb::Status read;
    uint64_t sent = 0;
    const size_t rows = RowsPerMessage(dim, batch_);
    while ((read = reader->Next(rows, &batch)).ok() && batch.rows > 0) {
      v1::UpsertRequest req;
      req.set_collection(collection_);
      req.mutable_write_options()->set_sync(sync_);
      for (size_t i = 0; i < batch.rows; ++i) {
        v1::Record* r = req.add_records();
        r->set_key(batch.keys.empty()
                       ? key_prefix_ + std::to_string(first_id_ + sent + i)
                       : batch.keys[i]);
        r->mutable_vector()->mutable_values()->Add(
            batch.values.begin() + i * dim,
            batch.values.begin() + (i + 1) * dim);
      }
      if (!stream->Write(req)) break;  // the server ended the stream
      sent += batch.rows;
      bar.Update(reader->bytes_read(), sent);
    }
    stream->WritesDone();
    grpc::Status st = stream->Finish();
    bar.Finish();
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
    if (!st.ok()) return RpcError(st);
    fprintf(stderr, "loaded %llu vectors into %s from %s in %.2f s (%.0f/s)\n",
            static_cast<unsigned long long>(resp.upserted()),
            collection_.c_str(), path_.c_str(), secs,
            secs > 0 ? resp.upserted() / secs : 0.0);
    if (!read.ok()) {
      return UsageError(std::string(read.getState()) + " (the " +
                        std::to_string(resp.upserted()) +
                        " rows before it are loaded)");
    }
    if (s.json) PrintJson(resp);
    return 0;
  }

 private:
  std::string collection_, path_, format_ = "auto", key_prefix_;
  uint64_t first_id_ = 0;
  size_t batch_ = 1000;
  bool sync_ = false;
};

// The options of a search shared by `search` (SearchParams).
struct SearchFlags {
  uint32_t k = 10;
  float recall_target = 0;
  uint32_t nprobe = 0;
  bool exhaustive = false, adaptive = false, vectors = false, payloads = false,
       stats = false, allow_partial = false;
  uint32_t rerank = 0;
  std::string prefix;
  uint64_t snapshot = 0;

  void Add(CLI::App* c) {
    c->add_option("-k,--k", k, "Neighbours to return")->capture_default_str();
    c->add_option("--recall_target", recall_target,
                  "Effort as a recall target in (0, 1]");
    c->add_option("--nprobe", nprobe, "Effort as buckets probed");
    c->add_flag("--exhaustive", exhaustive, "Scan everything (exact)");
    c->add_flag("--adaptive_probes", adaptive, "Stop probing early");
    c->add_option("--rerank", rerank, "Candidates re-ranked (0: auto)");
    c->add_option("--prefix", prefix, "Only keys with this prefix");
    c->add_option("--snapshot", snapshot,
                  "Read at this token of `drift snapshot create` (0: latest)");
    c->add_flag("--vectors", vectors, "Show the hits' vectors");
    c->add_flag("--payloads", payloads, "Show the hits' payloads");
    c->add_flag("--stats", stats, "Show the search's work counters");
    c->add_flag("--allow_partial", allow_partial,
                "Router: the live shards' hits when a shard is down (the "
                "missing shards are named on stderr)");
  }
  v1::SearchParams Params() const {
    v1::SearchParams p;
    p.set_k(k);
    p.set_recall_target(recall_target);
    p.set_nprobe(nprobe);
    p.set_exhaustive(exhaustive);
    p.set_adaptive_probes(adaptive);
    p.set_rerank(rerank);
    p.mutable_filter()->set_key_prefix(prefix);
    p.set_snapshot_token(snapshot);
    p.set_include_vectors(vectors);
    p.set_include_payloads(payloads);
    p.set_include_stats(stats);
    p.set_allow_partial(allow_partial);
    return p;
  }
  // A router's partial result (allow_partial): names the missing shards on
  // stderr, once per response.
  static void WarnMissing(
      const google::protobuf::RepeatedPtrField<std::string>& missing) {
    if (missing.empty()) return;
    std::string names;
    for (const auto& m : missing) names += (names.empty() ? "" : ", ") + m;
    fprintf(stderr, "drift: partial result, shards missing: %s\n",
            names.c_str());
  }
  // The table's columns; `batch`: with the query's label first.
  std::vector<std::string> Header(bool batch) const {
    std::vector<std::string> header = {"rank", "key", "distance"};
    if (batch) header.insert(header.begin(), "query");
    if (payloads) header.push_back("payload");
    if (vectors) header.push_back("vector");
    return header;
  }
  // A row per hit (with `query` first unless it is null).
  void AddRows(const v1::SearchResponse& resp, const std::string* query,
               Table* t) const {
    int rank = 0;
    for (const auto& h : resp.hits()) {
      std::vector<std::string> row = {
          std::to_string(++rank), tools::Escape(h.key()), Float(h.distance())};
      if (query != nullptr) row.insert(row.begin(), *query);
      if (payloads) row.push_back(tools::Escape(h.payload()));
      if (vectors) row.push_back(Floats(h.vector()));
      t->AddRow(row);
    }
  }
  // With --stats, the work counters of one search as a line ("" without).
  std::string StatsLine(const v1::SearchResponse& resp,
                        const std::string& label) const {
    if (!stats) return "";
    const auto& st = resp.stats();
    return label + "buckets_probed=" + std::to_string(st.buckets_probed()) +
           " segment_vectors_scanned=" +
           std::to_string(st.segment_vectors_scanned()) +
           " memtable_vectors_scanned=" +
           std::to_string(st.memtable_vectors_scanned()) +
           " candidates_verified=" + std::to_string(st.candidates_verified()) +
           "\n";
  }
};

class SearchCommand : public Command {
 public:
  CLI::App* Add(CLI::App* app) override {
    auto* c = app->add_subcommand(
        "search",
        "The k nearest neighbours of --vector, or of every row of --queries "
        "(a file as `load` reads; SearchBatch, 1000 queries a call)");
    c->add_option("collection", collection_, "Collection")->required();
    auto* vector =
        c->add_option("--vector", vector_, "The query, e.g. 0.5,1,-2");
    auto* queries = c->add_option(
        "--queries", queries_path_,
        "File of queries (fvecs, npy, csv); a CSV key labels its query, "
        "else the row number does");
    c->add_option("--format", format_, "Of --queries: auto, fvecs, npy, csv")
        ->capture_default_str();
    vector->excludes(queries);
    queries->excludes(vector);
    c->callback([vector, queries] {
      if (vector->count() + queries->count() == 0) {
        throw CLI::ValidationError("give --vector or --queries");
      }
    });
    flags_.Add(c);
    return c;
  }
  int Run(const Session& s) override {
    return queries_path_.empty() ? RunOne(s) : RunFile(s);
  }

 private:
  static constexpr size_t kBatch = 1000;  // queries per SearchBatch at most

  int RunOne(const Session& s) {
    v1::SearchRequest req;
    req.set_collection(collection_);
    std::vector<float> q;
    rocksdb::Status parsed = tools::ParseFloats(vector_, &q);
    if (!parsed.ok()) return UsageError("--vector: " + parsed.ToString());
    req.mutable_query()->Add(q.begin(), q.end());
    *req.mutable_params() = flags_.Params();
    v1::SearchResponse resp;
    grpc::Status st =
        s.conn->stub()->Search(s.conn->Context().get(), req, &resp);
    if (!st.ok()) return RpcError(st);
    SearchFlags::WarnMissing(resp.missing_shards());
    if (s.json) {
      PrintJson(resp);
      return 0;
    }
    Table t(flags_.Header(false));
    flags_.AddRows(resp, nullptr, &t);
    t.Print(stdout);
    printf("%s", flags_.StatsLine(resp, "").c_str());
    return 0;
  }

  // The rows of the file in SearchBatch calls of kBatch queries (each at one
  // snapshot); with --json one SearchBatchResponse line per call.
  int RunFile(const Session& s) {
    v1::CollectionInfo info;
    grpc::Status st = FindCollection(s, collection_, &info);
    if (!st.ok()) return RpcError(st);
    VectorFormat format;
    std::unique_ptr<VectorFileReader> reader;
    rocksdb::Status fs = ParseVectorFormat(format_, queries_path_, &format);
    if (fs.ok()) {
      fs = VectorFileReader::Open(queries_path_, format, info.dimension(),
                                  &reader);
    }
    Table t(flags_.Header(true));
    std::string stats;
    VectorBatch batch;
    uint64_t row = 0;
    while (fs.ok() &&
           (fs = reader->Next(RowsPerMessage(info.dimension(), kBatch), &batch))
               .ok() &&
           batch.rows > 0) {
      v1::SearchBatchRequest req;
      req.set_collection(collection_);
      req.mutable_queries()->Add(batch.values.begin(), batch.values.end());
      *req.mutable_params() = flags_.Params();
      v1::SearchBatchResponse resp;
      st = s.conn->stub()->SearchBatch(s.conn->Context().get(), req, &resp);
      if (!st.ok()) return RpcError(st);
      SearchFlags::WarnMissing(resp.missing_shards());
      if (s.json) PrintJson(resp);
      for (int i = 0; i < resp.results_size(); ++i, ++row) {
        const std::string label = batch.keys.empty()
                                      ? std::to_string(row)
                                      : tools::Escape(batch.keys[i]);
        flags_.AddRows(resp.results(i), &label, &t);
        stats += flags_.StatsLine(resp.results(i), "query " + label + ": ");
      }
    }
    if (!fs.ok()) return UsageError(fs.getState());
    if (!s.json) {
      t.Print(stdout);
      printf("%s", stats.c_str());
    }
    return 0;
  }

  std::string collection_, vector_, queries_path_, format_ = "auto";
  SearchFlags flags_;
};

class GetCommand : public Command {
 public:
  CLI::App* Add(CLI::App* app) override {
    auto* c = app->add_subcommand("get", "Vectors and payloads by key");
    c->add_option("collection", collection_, "Collection")->required();
    c->add_option("keys", keys_, "Keys")->required();
    c->add_flag("--omit_vectors", omit_vectors_, "Do not fetch the vectors");
    c->add_option("--snapshot", snapshot_,
                  "Read at this token of `drift snapshot create` (0: latest)");
    return c;
  }
  int Run(const Session& s) override {
    v1::GetRequest req;
    req.set_collection(collection_);
    for (const auto& k : keys_) req.add_keys(k);
    req.set_omit_vectors(omit_vectors_);
    req.set_snapshot_token(snapshot_);
    v1::GetResponse resp;
    grpc::Status st = s.conn->stub()->Get(s.conn->Context().get(), req, &resp);
    if (!st.ok()) return RpcError(st);
    if (s.json) {
      PrintJson(resp);
      return 0;
    }
    Table t({"key", "found", "payload", "vector"});
    for (const auto& r : resp.results()) {
      t.AddRow({tools::Escape(r.key()), r.found() ? "yes" : "no",
                r.has_payload() ? tools::Escape(r.payload()) : "-",
                r.found() && !omit_vectors_ ? Floats(r.vector()) : "-"});
    }
    t.Print(stdout);
    return 0;
  }

 private:
  std::string collection_;
  std::vector<std::string> keys_;
  bool omit_vectors_ = false;
  uint64_t snapshot_ = 0;
};

class DeleteCommand : public Command {
 public:
  CLI::App* Add(CLI::App* app) override {
    auto* c = app->add_subcommand(
        "delete", "Delete keys, or a key range with --start/--limit");
    c->add_option("collection", collection_, "Collection")->required();
    auto* keys = c->add_option("keys", keys_, "Keys");
    auto* start = c->add_option("--start", start_, "Range start (inclusive)");
    auto* limit = c->add_option("--limit", limit_, "Range limit (exclusive)");
    start->needs(limit)->excludes(keys);
    limit->needs(start)->excludes(keys);
    c->add_flag("--sync", sync_, "fsync the WAL before the reply");
    c->callback([c, keys, start] {
      if (keys->count() == 0 && start->count() == 0) {
        throw CLI::ValidationError("give keys, or --start and --limit");
      }
    });
    return c;
  }
  int Run(const Session& s) override {
    v1::DeleteResponse resp;
    grpc::Status st;
    if (!start_.empty() || !limit_.empty()) {
      v1::DeleteRangeRequest req;
      req.set_collection(collection_);
      req.set_start(start_);
      req.set_limit(limit_);
      req.mutable_write_options()->set_sync(sync_);
      st = s.conn->stub()->DeleteRange(s.conn->Context().get(), req, &resp);
    } else {
      v1::DeleteRequest req;
      req.set_collection(collection_);
      for (const auto& k : keys_) req.add_keys(k);
      req.mutable_write_options()->set_sync(sync_);
      st = s.conn->stub()->Delete(s.conn->Context().get(), req, &resp);
    }
    if (!st.ok()) return RpcError(st);
    s.json ? PrintJson(resp) : void(printf("deleted\n"));
    return 0;
  }

 private:
  std::string collection_, start_, limit_;
  std::vector<std::string> keys_;
  bool sync_ = false;
};

class TrainCommand : public Command {
 public:
  CLI::App* Add(CLI::App* app) override {
    auto* c = app->add_subcommand("train", "Train the codebook now");
    c->add_option("collection", collection_, "Collection")->required();
    c->add_option("--num_buckets", buckets_,
                  "Buckets (0: vectors / target_bucket_size)");
    c->add_flag("--skip_rebucket", skip_rebucket_, "Do not compact afterwards");
    return c;
  }
  int Run(const Session& s) override {
    v1::TrainRequest req;
    req.set_collection(collection_);
    req.set_num_buckets(buckets_);
    req.set_skip_rebucket(skip_rebucket_);
    v1::TrainResponse resp;
    // Training reads every vector: no deadline unless --timeout was given.
    grpc::Status st = s.conn->stub()->Train(
        s.conn->Context(s.long_call_timeout).get(), req, &resp);
    if (!st.ok()) return RpcError(st);
    s.json
        ? PrintJson(resp)
        : void(printf("codebook epoch %llu\n",
                      static_cast<unsigned long long>(resp.codebook_epoch())));
    return 0;
  }

 private:
  std::string collection_;
  uint32_t buckets_ = 0;
  bool skip_rebucket_ = false;
};

class StatsCommand : public Command {
 public:
  CLI::App* Add(CLI::App* app) override {
    auto* c = app->add_subcommand("stats", "Collection and server statistics");
    c->add_option("collection", collection_, "Collection (default: all)");
    return c;
  }
  int Run(const Session& s) override {
    v1::StatsRequest req;
    req.set_collection(collection_);
    v1::StatsResponse resp;
    grpc::Status st =
        s.conn->stub()->Stats(s.conn->Context().get(), req, &resp);
    if (!st.ok()) return RpcError(st);
    if (s.json) {
      PrintJson(resp);
      return 0;
    }
    Table t({"collection", "statistic", "value"});
    for (const auto& c : resp.collections()) {
      const std::string& n = c.info().name();
      t.AddRow({n, "dimension", std::to_string(c.info().dimension())});
      t.AddRow({n, "metric", MetricName(c.info().metric())});
      t.AddRow(
          {n, "estimated_num_keys", std::to_string(c.estimated_num_keys())});
      t.AddRow({n, "live_sst_bytes", std::to_string(c.live_sst_bytes())});
      // The map's order is unspecified: sort for a stable listing.
      std::map<std::string, std::string> sorted(c.index_stats().begin(),
                                                c.index_stats().end());
      for (const auto& [k, v] : sorted) t.AddRow({n, k, v});
    }
    t.Print(stdout);
    printf("server: uptime %llu s, %llu requests in flight, %llu rejected\n",
           static_cast<unsigned long long>(resp.uptime_seconds()),
           static_cast<unsigned long long>(resp.inflight_requests()),
           static_cast<unsigned long long>(resp.requests_rejected_overload()));
    return 0;
  }

 private:
  std::string collection_;
};

class FlushCommand : public Command {
 public:
  CLI::App* Add(CLI::App* app) override {
    auto* c = app->add_subcommand("flush", "Flush memtables and wait");
    c->add_option("collection", collection_, "Collection (default: all)");
    return c;
  }
  int Run(const Session& s) override {
    v1::FlushRequest req;
    req.set_collection(collection_);
    v1::FlushResponse resp;
    grpc::Status st =
        s.conn->stub()->Flush(s.conn->Context().get(), req, &resp);
    if (!st.ok()) return RpcError(st);
    s.json ? PrintJson(resp) : void(printf("flushed\n"));
    return 0;
  }

 private:
  std::string collection_;
};

class CompactCommand : public Command {
 public:
  CLI::App* Add(CLI::App* app) override {
    auto* c = app->add_subcommand("compact", "Compact a collection and wait");
    c->add_option("collection", collection_, "Collection")->required();
    start_opt_ = c->add_option("--start", start_, "From this key (inclusive)");
    limit_opt_ = c->add_option("--limit", limit_, "To this key (exclusive)");
    return c;
  }
  int Run(const Session& s) override {
    v1::CompactRequest req;
    req.set_collection(collection_);
    if (start_opt_->count() > 0) req.set_start(start_);
    if (limit_opt_->count() > 0) req.set_limit(limit_);
    v1::CompactResponse resp;
    grpc::Status st = s.conn->stub()->Compact(
        s.conn->Context(s.long_call_timeout).get(), req, &resp);
    if (!st.ok()) return RpcError(st);
    s.json ? PrintJson(resp) : void(printf("compacted\n"));
    return 0;
  }

 private:
  std::string collection_, start_, limit_;
  CLI::Option* start_opt_ = nullptr;
  CLI::Option* limit_opt_ = nullptr;
};

// `snapshot create` / `snapshot release`: a token for consistent reads
// across calls (`search`/`get --snapshot=TOKEN`), held by the server until
// released or until its lease ends.
class SnapshotCommand : public Command {
 public:
  CLI::App* Add(CLI::App* app) override {
    auto* c = app->add_subcommand(
        "snapshot",
        "Create or release a snapshot token: reads with --snapshot=TOKEN see "
        "the database as it was when the token was created");
    c->require_subcommand(1);
    create_ = c->add_subcommand(
        "create",
        "Take a snapshot; prints its token and lease (through a router: one "
        "token naming a snapshot of every shard, consistent per shard)");
    create_->add_option("--ttl", ttl_,
                        "Lease in seconds (0: the server's "
                        "--snapshot_ttl_seconds, which also caps it)");
    create_->add_flag("--token_only", token_only_,
                      "Print just the token, e.g. snap=$(drift snapshot "
                      "create --token_only)");
    auto* release = c->add_subcommand(
        "release", "Release a snapshot token before its lease ends");
    release->add_option("--snapshot", token_, "The token")->required();
    return c;
  }
  int Run(const Session& s) override {
    return create_->parsed() ? Create(s) : Release(s);
  }

 private:
  int Create(const Session& s) {
    v1::CreateSnapshotRequest req;
    req.set_ttl_seconds(ttl_);
    v1::CreateSnapshotResponse resp;
    grpc::Status st =
        s.conn->stub()->CreateSnapshot(s.conn->Context().get(), req, &resp);
    if (!st.ok()) return RpcError(st);
    const std::string token = std::to_string(resp.snapshot_token());
    if (token_only_) {
      printf("%s\n", token.c_str());
    } else if (s.json) {
      PrintJson(resp);
    } else {
      Table t({"snapshot_token", "ttl_seconds", "sequence_number"});
      t.AddRow({token, std::to_string(resp.ttl_seconds()),
                std::to_string(resp.sequence_number())});
      t.Print(stdout);
    }
    return 0;
  }
  int Release(const Session& s) {
    v1::ReleaseSnapshotRequest req;
    req.set_snapshot_token(token_);
    v1::ReleaseSnapshotResponse resp;
    grpc::Status st =
        s.conn->stub()->ReleaseSnapshot(s.conn->Context().get(), req, &resp);
    if (!st.ok()) return RpcError(st);
    s.json ? PrintJson(resp) : void(printf("released\n"));
    return 0;
  }

  CLI::App* create_ = nullptr;
  uint32_t ttl_ = 0;
  bool token_only_ = false;
  uint64_t token_ = 0;
};

class HealthCommand : public Command {
 public:
  CLI::App* Add(CLI::App* app) override {
    return app->add_subcommand("health", "Is the server serving (no token)");
  }
  int Run(const Session& s) override {
    v1::HealthResponse resp;
    grpc::Status st = s.conn->stub()->Health(s.conn->Context().get(),
                                             v1::HealthRequest(), &resp);
    if (!st.ok()) return RpcError(st);
    if (s.json) {
      PrintJson(resp);
    } else {
      printf("%s role=%s version=%s\n",
             v1::HealthResponse::ServingStatus_Name(resp.status()).c_str(),
             resp.role().c_str(), resp.version().c_str());
    }
    return 0;
  }
};

int Main(int argc, char** argv) {
  CLI::App app{
      "drift: the command-line client of drift_server. Exit codes: 0 ok, 1 "
      "the server returned an error, 2 bad usage or input.",
      "drift"};
  app.require_subcommand(1);
  app.fallthrough();  // global options may follow the subcommand
  ConnectionOptions conn;
  bool json = false;
  app.add_option("--server", conn.server,
                 "host:port of drift_server (default: $DRIFT_SERVER, else "
                 "127.0.0.1:50051)")
      ->envname("DRIFT_SERVER")
      ->capture_default_str();
  auto* token = app.add_option("--token", conn.token, "Bearer token");
  app.add_option("--token_file", conn.token_file, "File holding the token")
      ->excludes(token);
  app.add_flag("--tls", conn.tls, "TLS with the system's CA certificates");
  app.add_option("--tls_ca", conn.tls_ca, "TLS, trusting these PEM CAs");
  app.add_option("--tls_cert", conn.tls_cert, "Client certificate (PEM)");
  app.add_option("--tls_key", conn.tls_key, "Client private key (PEM)");
  auto* timeout = app.add_option(
      "--timeout", conn.timeout_seconds,
      "Seconds per call (0: none; load, train and compact: none by default)");
  timeout->capture_default_str();
  app.add_flag("--json", json, "Print responses as JSON");

  LoadCommand load;
  TrainCommand train;
  CompactCommand compact;
  CreateCommand create;
  ListCommand list;
  DropCommand drop;
  PutCommand put;
  SearchCommand search;
  GetCommand get;
  DeleteCommand del;
  StatsCommand stats;
  FlushCommand flush;
  HealthCommand health;
  SnapshotCommand snapshot;
  std::vector<std::pair<Command*, CLI::App*>> commands;
  for (Command* c : std::vector<Command*>{
           &create, &list, &drop, &put, &load, &search, &get, &del, &snapshot,
           &train, &stats, &flush, &compact, &health}) {
    commands.emplace_back(c, c->Add(&app));
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);  // prints the help or the error
    return code == 0 ? 0 : kExitUsage;
  }
  std::unique_ptr<Connection> connection;
  rocksdb::Status s = Connection::Open(conn, &connection);
  if (!s.ok()) return UsageError(s.getState());
  for (auto& [command, sub] : commands) {
    if (sub->parsed()) {
      return command->Run(
          Session{connection.get(), json,
                  timeout->count() > 0 ? conn.timeout_seconds : 0});
    }
  }
  return UsageError("no command");
}

}  // namespace
}  // namespace client
}  // namespace drift

int main(int argc, char** argv) { return drift::client::Main(argc, argv); }
