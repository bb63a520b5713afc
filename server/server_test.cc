// drift_server's RPCs against an in-process DriftServer on loopback port 0:
// results checked against a reference model (exact brute force), error codes
// checked one by one, and the server still serving after each bad request.
#include "server/server.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <thread>

#include "server/testing/certificates.h"
#include "server/testing/server_fixture.h"
#include "tests/test_util.h"

namespace drift {
namespace server {
namespace test {
namespace {

constexpr uint32_t kDim = 8;

std::string Key(int i) {
  char buf[16];
  snprintf(buf, sizeof(buf), "k%05d", i);
  return buf;
}

class ServerTest : public ServerFixture {
 protected:
  void SetUp() override {
    ServerFixture::SetUp();
    options_ = LoopbackOptions("db");
  }
  void Start(const std::string& token = "") {
    ASSERT_TRUE(server_->Start(options_, token));
    ASSERT_GT(server_->server()->port(), 0);
  }
  Client* client() const { return server_->client(); }
  // Upserts n random records (every third without payload) in one batch.
  void UpsertRandom(const std::string& collection, int first, int n,
                    std::mt19937* rng) {
    std::vector<v1::Record> records;
    for (int i = first; i < first + n; ++i) {
      std::optional<std::string> payload;
      if (i % 3 != 0) payload = "payload-" + std::to_string(i);
      records.push_back(MakeRecord(Key(i), RandomVector(rng, kDim), payload));
    }
    ASSERT_TRUE(client()->Upsert(collection, records).ok());
    for (const auto& r : records) model_.Upsert(r);
  }
  // Exhaustive searches (and, with `nprobe`, searches probing every bucket)
  // equal brute force over the model; payloads are the model's.
  void CheckSearches(const std::string& collection, std::mt19937* rng,
                     uint32_t nprobe = 0) {
    for (int q = 0; q < 10; ++q) {
      const std::vector<float> query = RandomVector(rng, kDim);
      v1::SearchParams p = Effort(10, nprobe);
      p.set_include_payloads(true);
      p.set_include_vectors(true);
      v1::SearchResponse resp;
      grpc::Status st = client()->Search(collection, query, p, &resp);
      ASSERT_TRUE(st.ok()) << st.error_message();
      ASSERT_EQ(Hits(resp), BruteForce(model_.vectors, query, 10))
          << "query " << q;
      for (const auto& h : resp.hits()) {
        auto payload = model_.payloads.find(h.key());
        ASSERT_EQ(h.has_payload(), payload != model_.payloads.end()) << h.key();
        if (h.has_payload()) {
          EXPECT_EQ(h.payload(), payload->second);
        }
        const auto& v = model_.vectors.at(h.key());
        EXPECT_EQ(std::vector<float>(h.vector().values().begin(),
                                     h.vector().values().end()),
                  v);
      }
    }
  }

  InProcessServer* const server_ = NewServer();
  ServerOptions options_;
  RecordModel model_;
};

TEST_F(ServerTest, UpsertGetSearchDeleteEqualTheModel) {
  Start();
  ASSERT_TRUE(client()->Create("docs", kDim).ok());
  std::mt19937 rng(1);
  UpsertRandom("docs", 0, 300, &rng);
  // The stream: three messages, each its own WriteBatch.
  {
    v1::UpsertResponse resp;
    auto ctx = client()->Context();
    auto writer = client()->stub()->UpsertStream(ctx.get(), &resp);
    for (int m = 0; m < 3; ++m) {
      v1::UpsertRequest msg;
      if (m == 0) msg.set_collection("docs");
      for (int i = 300 + 100 * m; i < 400 + 100 * m; ++i) {
        *msg.add_records() = MakeRecord(Key(i), RandomVector(&rng, kDim),
                                        "streamed-" + std::to_string(i));
        model_.Upsert(msg.records(msg.records_size() - 1));
      }
      ASSERT_TRUE(writer->Write(msg));
    }
    ASSERT_TRUE(writer->WritesDone());
    grpc::Status st = writer->Finish();
    ASSERT_TRUE(st.ok()) << st.error_message();
    EXPECT_EQ(resp.upserted(), 300u);
  }
  // Overwrite some records, dropping their payload.
  UpsertRandom("docs", 0, 30, &rng);
  CheckSearches("docs", &rng);

  // Get: present keys with vector and payload, an absent key not found.
  v1::GetResponse got;
  ASSERT_TRUE(
      client()->Get("docs", {Key(1), Key(3), Key(450), "nope"}, &got).ok());
  ASSERT_EQ(got.results_size(), 4);
  for (int i = 0; i < 3; ++i) {
    const auto& r = got.results(i);
    ASSERT_TRUE(r.found()) << r.key();
    EXPECT_EQ(std::vector<float>(r.vector().values().begin(),
                                 r.vector().values().end()),
              model_.vectors.at(r.key()));
    auto payload = model_.payloads.find(r.key());
    ASSERT_EQ(r.has_payload(), payload != model_.payloads.end());
    if (r.has_payload()) {
      EXPECT_EQ(r.payload(), payload->second);
    }
  }
  EXPECT_FALSE(got.results(3).found());

  // Segments and a trained codebook: exhaustive and all-bucket searches
  // stay exact.
  {
    v1::FlushRequest req;
    req.set_collection("docs");
    v1::FlushResponse resp;
    ASSERT_TRUE(
        client()->stub()->Flush(client()->Context().get(), req, &resp).ok());
    v1::TrainRequest train;
    train.set_collection("docs");
    train.set_num_buckets(8);
    v1::TrainResponse trained;
    grpc::Status st =
        client()->stub()->Train(client()->Context().get(), train, &trained);
    ASSERT_TRUE(st.ok()) << st.error_message();
    EXPECT_GE(trained.codebook_epoch(), 1u);
  }
  CheckSearches("docs", &rng);
  CheckSearches("docs", &rng, /*nprobe=*/1000);

  // Delete and DeleteRange (vectors and payloads).
  {
    v1::DeleteRequest del;
    del.set_collection("docs");
    for (int i = 0; i < 50; i += 2) {
      del.add_keys(Key(i));
      model_.Erase(Key(i));
    }
    v1::DeleteResponse resp;
    ASSERT_TRUE(
        client()->stub()->Delete(client()->Context().get(), del, &resp).ok());
    v1::DeleteRangeRequest range;
    range.set_collection("docs");
    range.set_start(Key(100));
    range.set_limit(Key(200));
    for (int i = 100; i < 200; ++i) model_.Erase(Key(i));
    grpc::Status st =
        client()->stub()->DeleteRange(client()->Context().get(), range, &resp);
    ASSERT_TRUE(st.ok()) << st.error_message();
  }
  CheckSearches("docs", &rng);
  v1::GetResponse after_delete;
  ASSERT_TRUE(
      client()->Get("docs", {Key(2), Key(150), Key(1)}, &after_delete).ok());
  ASSERT_EQ(after_delete.results_size(), 3);
  EXPECT_FALSE(after_delete.results(0).found());
  EXPECT_FALSE(after_delete.results(1).found());
  EXPECT_TRUE(after_delete.results(2).found());

  // A key-prefix filter: the exact k nearest of the keys that pass.
  {
    drift::test::Model filtered;
    for (const auto& [k, v] : model_.vectors) {
      if (k.rfind("k004", 0) == 0) filtered[k] = v;
    }
    const std::vector<float> query = RandomVector(&rng, kDim);
    v1::SearchParams p = Exhaustive(7);
    p.mutable_filter()->set_key_prefix("k004");
    v1::SearchResponse resp;
    ASSERT_TRUE(client()->Search("docs", query, p, &resp).ok());
    EXPECT_EQ(Hits(resp), BruteForce(filtered, query, 7));
  }

  // SearchBatch: each query's hits are Search's.
  {
    v1::SearchBatchRequest req;
    req.set_collection("docs");
    std::vector<std::vector<float>> queries;
    for (int q = 0; q < 5; ++q) {
      queries.push_back(RandomVector(&rng, kDim));
      req.mutable_queries()->Add(queries.back().begin(), queries.back().end());
    }
    *req.mutable_params() = Exhaustive(5);
    v1::SearchBatchResponse resp;
    ASSERT_TRUE(client()
                    ->stub()
                    ->SearchBatch(client()->Context().get(), req, &resp)
                    .ok());
    ASSERT_EQ(resp.results_size(), 5);
    for (int q = 0; q < 5; ++q) {
      EXPECT_EQ(Hits(resp.results(q)),
                BruteForce(model_.vectors, queries[q], 5));
    }
  }
  // Stats see the collection.
  v1::StatsRequest sreq;
  v1::StatsResponse stats;
  ASSERT_TRUE(
      client()->stub()->Stats(client()->Context().get(), sreq, &stats).ok());
  ASSERT_EQ(stats.collections_size(), 1);
  EXPECT_EQ(stats.collections(0).info().name(), "docs");
  EXPECT_GE(
      std::stoull(stats.collections(0).index_stats().at("codebook_epoch")), 1u);
}

TEST_F(ServerTest, SnapshotTokenReadsTheOldState) {
  Start();
  ASSERT_TRUE(client()->Create("s", kDim).ok());
  std::mt19937 rng(2);
  UpsertRandom("s", 0, 50, &rng);
  const RecordModel before = model_;
  v1::CreateSnapshotRequest creq;
  v1::CreateSnapshotResponse snap;
  ASSERT_TRUE(client()
                  ->stub()
                  ->CreateSnapshot(client()->Context().get(), creq, &snap)
                  .ok());
  ASSERT_NE(snap.snapshot_token(), 0u);
  UpsertRandom("s", 0, 50, &rng);  // overwrites every vector
  const std::vector<float> query = RandomVector(&rng, kDim);
  v1::SearchParams p = Exhaustive(5);
  p.set_snapshot_token(snap.snapshot_token());
  v1::SearchResponse old_hits, new_hits;
  ASSERT_TRUE(client()->Search("s", query, p, &old_hits).ok());
  EXPECT_EQ(Hits(old_hits), BruteForce(before.vectors, query, 5));
  ASSERT_TRUE(client()->Search("s", query, Exhaustive(5), &new_hits).ok());
  EXPECT_EQ(Hits(new_hits), BruteForce(model_.vectors, query, 5));
  v1::GetResponse got;
  ASSERT_TRUE(client()->Get("s", {Key(7)}, &got, snap.snapshot_token()).ok());
  EXPECT_EQ(std::vector<float>(got.results(0).vector().values().begin(),
                               got.results(0).vector().values().end()),
            before.vectors.at(Key(7)));

  v1::ReleaseSnapshotRequest rreq;
  rreq.set_snapshot_token(snap.snapshot_token());
  v1::ReleaseSnapshotResponse rresp;
  ASSERT_TRUE(client()
                  ->stub()
                  ->ReleaseSnapshot(client()->Context().get(), rreq, &rresp)
                  .ok());
  EXPECT_EQ(client()->Search("s", query, p, &old_hits).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(ServerTest, BadRequestsGetPreciseCodesAndTheServerKeepsServing) {
  Start();
  ASSERT_TRUE(client()->Create("c", kDim).ok());
  std::mt19937 rng(3);
  UpsertRandom("c", 0, 20, &rng);
  auto code = [](const grpc::Status& st) { return st.error_code(); };
  // Wrong dimension, NaN, empty key: INVALID_ARGUMENT, and the batch is
  // atomic (its good record is not written either).
  const std::vector<float> good = RandomVector(&rng, kDim);
  std::vector<float> nan = good;
  nan[3] = std::nanf("");
  EXPECT_EQ(code(client()->Upsert(
                "c", {MakeRecord("new", good, "x"),
                      MakeRecord("bad", std::vector<float>(kDim + 1), "")})),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(code(client()->Upsert("c", {MakeRecord("new", good, "x"),
                                        MakeRecord("nan", nan, "")})),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(code(client()->Upsert("c", {MakeRecord("", good, "")})),
            grpc::StatusCode::INVALID_ARGUMENT);
  v1::GetResponse got;
  ASSERT_TRUE(client()->Get("c", {"new"}, &got).ok());
  EXPECT_FALSE(got.results(0).found());

  v1::SearchResponse resp;
  EXPECT_EQ(code(client()->Search("c", std::vector<float>(kDim - 1),
                                  Exhaustive(3), &resp)),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(code(client()->Search("c", nan, Exhaustive(3), &resp)),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(code(client()->Search("c", good, Exhaustive(0), &resp)),
            grpc::StatusCode::INVALID_ARGUMENT);
  v1::SearchParams ip = Exhaustive(3);
  ip.set_metric(v1::METRIC_INNER_PRODUCT);
  EXPECT_EQ(code(client()->Search("c", good, ip, &resp)),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(code(client()->Search("missing", good, Exhaustive(3), &resp)),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(code(client()->Upsert("missing", {MakeRecord("a", good, "")})),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(code(client()->Create("c", kDim)),
            grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(code(client()->Create("c", kDim + 1)),
            grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(code(client()->Create("bad/name", kDim)),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(code(client()->Create("zero", 0)),
            grpc::StatusCode::INVALID_ARGUMENT);
  {
    v1::DeleteRangeRequest range;
    range.set_collection("c");
    range.set_start("b");
    range.set_limit("a");
    v1::DeleteResponse dresp;
    EXPECT_EQ(code(client()->stub()->DeleteRange(client()->Context().get(),
                                                 range, &dresp)),
              grpc::StatusCode::INVALID_ARGUMENT);
  }
  {
    v1::SearchBatchRequest req;
    req.set_collection("c");
    req.mutable_queries()->Add(good.begin(), good.end());
    req.mutable_queries()->Add(1.0f);  // not a multiple of the dimension
    *req.mutable_params() = Exhaustive(3);
    v1::SearchBatchResponse bresp;
    EXPECT_EQ(code(client()->stub()->SearchBatch(client()->Context().get(), req,
                                                 &bresp)),
              grpc::StatusCode::INVALID_ARGUMENT);
  }
  // Still serving, and the data is intact.
  v1::HealthRequest hreq;
  v1::HealthResponse health;
  ASSERT_TRUE(
      client()->stub()->Health(client()->Context().get(), hreq, &health).ok());
  EXPECT_EQ(health.status(), v1::HealthResponse::SERVING);
  CheckSearches("c", &rng);
}

TEST_F(ServerTest, OversizedMessageIsRejectedAndTheServerKeepsServing) {
  options_.max_message_bytes = 64 << 10;
  Start();
  ASSERT_TRUE(client()->Create("c", kDim).ok());
  std::mt19937 rng(4);
  std::vector<v1::Record> big;
  for (int i = 0; i < 2000; ++i) {  // > 64 KiB of floats
    big.push_back(MakeRecord(Key(i), RandomVector(&rng, kDim), std::nullopt));
  }
  grpc::Status st = client()->Upsert("c", big);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
      << st.error_message();
  v1::GetResponse got;
  ASSERT_TRUE(client()->Get("c", {Key(0)}, &got).ok());
  EXPECT_FALSE(got.results(0).found());
  UpsertRandom("c", 0, 100, &rng);
  CheckSearches("c", &rng);
}

TEST_F(ServerTest, TokensSeparateReadersFromWriters) {
  const std::string rw = "rw-token-0123456789abcdef";
  const std::string ro = "ro-token-0123456789abcdef";
  options_.tokens_file = dir_ + "/tokens";
  std::ofstream(options_.tokens_file)
      << "# test tokens\nrw " << rw << "\nro " << ro << "\n";
  Start(rw);
  ASSERT_TRUE(client()->Create("c", kDim).ok());
  std::mt19937 rng(5);
  UpsertRandom("c", 0, 20, &rng);
  const std::vector<v1::Record> write = {
      MakeRecord("intruder", RandomVector(&rng, kDim), "x")};
  Client anonymous(server_->address());
  Client wrong(server_->address(), "not-a-token-0123456789");
  Client reader(server_->address(), ro);
  EXPECT_EQ(anonymous.Upsert("c", write).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(wrong.Upsert("c", write).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(reader.Upsert("c", write).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(reader.Create("d", kDim).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  v1::SearchResponse resp;
  EXPECT_EQ(
      anonymous.Search("c", RandomVector(&rng, kDim), Exhaustive(3), &resp)
          .error_code(),
      grpc::StatusCode::UNAUTHENTICATED);
  // The read-only token reads; nothing was written.
  const std::vector<float> query = RandomVector(&rng, kDim);
  ASSERT_TRUE(reader.Search("c", query, Exhaustive(5), &resp).ok());
  EXPECT_EQ(Hits(resp), BruteForce(model_.vectors, query, 5));
  v1::GetResponse got;
  ASSERT_TRUE(reader.Get("c", {"intruder"}, &got).ok());
  EXPECT_FALSE(got.results(0).found());
  // Health needs no token.
  v1::HealthRequest hreq;
  v1::HealthResponse health;
  EXPECT_TRUE(
      anonymous.stub()->Health(anonymous.Context().get(), hreq, &health).ok());
}

// Mutual TLS: a client that trusts the server's CA and presents a
// certificate of the client CA is served; one without a certificate, or
// without TLS, is not.
TEST_F(ServerTest, MutualTlsServesOnlyCertifiedClients) {
  const std::string d = dir_ + "/";
  ASSERT_TRUE(MakeCertificates(dir_));
  auto read = [&](const std::string& name) {
    return ReadFileOrEmpty(d + name);
  };
  options_.tls_cert = d + "server.pem";
  options_.tls_key = d + "server.key";
  options_.tls_client_ca = d + "ca.pem";
  Start();
  grpc::SslCredentialsOptions with_cert;
  with_cert.pem_root_certs = read("ca.pem");
  with_cert.pem_private_key = read("client.key");
  with_cert.pem_cert_chain = read("client.pem");
  grpc::SslCredentialsOptions without_cert;
  without_cert.pem_root_certs = read("ca.pem");
  Client certified(server_->address(), "", grpc::SslCredentials(with_cert));
  Client uncertified(server_->address(), "",
                     grpc::SslCredentials(without_cert));
  Client plain(server_->address());
  grpc::Status st = certified.Create("c", kDim);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_FALSE(uncertified.Create("d", kDim).ok());
  EXPECT_FALSE(plain.Create("d", kDim).ok());
  v1::ListCollectionsRequest lreq;
  v1::ListCollectionsResponse list;
  ASSERT_TRUE(certified.stub()
                  ->ListCollections(certified.Context().get(), lreq, &list)
                  .ok());
  ASSERT_EQ(list.collections_size(), 1);
}

TEST_F(ServerTest, BeyondMaxInflightIsResourceExhausted) {
  options_.max_inflight = 1;
  Start();
  ASSERT_TRUE(client()->Create("c", kDim).ok());
  // An open upsert stream holds the only slot until it finishes.
  v1::UpsertResponse resp;
  auto ctx = client()->Context();
  auto writer = client()->stub()->UpsertStream(ctx.get(), &resp);
  v1::UpsertRequest msg;
  msg.set_collection("c");
  std::mt19937 rng(6);
  *msg.add_records() = MakeRecord("a", RandomVector(&rng, kDim), std::nullopt);
  ASSERT_TRUE(writer->Write(msg));
  EXPECT_EQ(client()
                ->GetUntil(grpc::StatusCode::RESOURCE_EXHAUSTED, "c", "a")
                .error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
  ASSERT_TRUE(writer->WritesDone());
  ASSERT_TRUE(writer->Finish().ok());
  v1::GetResponse got;
  ASSERT_TRUE(client()->Get("c", {"a"}, &got).ok());
  EXPECT_TRUE(got.results(0).found());
}

// Shutdown: new requests get UNAVAILABLE while an admitted stream still
// runs; the stream ends UNAVAILABLE saying what it committed, and after a
// restart exactly that is there.
TEST_F(ServerTest, ShutdownRejectsNewRequestsAndKeepsWhatWasCommitted) {
  Start();
  ASSERT_TRUE(client()->Create("c", kDim).ok());
  std::mt19937 rng(8);
  v1::UpsertResponse resp;
  auto ctx = client()->Context();
  auto writer = client()->stub()->UpsertStream(ctx.get(), &resp);
  auto message = [&](int first) {
    v1::UpsertRequest msg;
    msg.set_collection("c");
    for (int i = first; i < first + 100; ++i) {
      *msg.add_records() =
          MakeRecord(Key(i), RandomVector(&rng, kDim), std::nullopt);
    }
    return msg;
  };
  const v1::UpsertRequest first = message(0);
  for (const auto& r : first.records()) model_.Upsert(r);
  ASSERT_TRUE(writer->Write(first));
  // Wait until the first message is committed (visible to another client).
  Client other(server_->address());
  const auto give_up =
      std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (;;) {
    v1::GetResponse got;
    ASSERT_TRUE(other.Get("c", {Key(99)}, &got).ok());
    if (got.results(0).found()) break;
    ASSERT_LT(std::chrono::steady_clock::now(), give_up);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  rocksdb::Status shutdown;
  std::thread stopper([&] { shutdown = server_->server()->Shutdown(); });
  for (;;) {  // Health answers while the server drains
    v1::HealthRequest hreq;
    v1::HealthResponse health;
    ASSERT_TRUE(
        other.stub()->Health(other.Context().get(), hreq, &health).ok());
    if (health.status() == v1::HealthResponse::SHUTTING_DOWN) break;
    ASSERT_LT(std::chrono::steady_clock::now(), give_up);
  }
  v1::GetResponse got;
  EXPECT_EQ(other.Get("c", {Key(1)}, &got).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  writer->Write(message(100));
  writer->WritesDone();
  const grpc::Status st = writer->Finish();
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_NE(
      st.error_message().find("100 records of this stream were committed"),
      std::string::npos)
      << st.error_message();
  stopper.join();
  ASSERT_OK(shutdown);
  ASSERT_OK(server_->Stop());
  Start();
  v1::GetResponse after;
  ASSERT_TRUE(client()->Get("c", {Key(0), Key(99), Key(100)}, &after).ok());
  EXPECT_TRUE(after.results(0).found());
  EXPECT_TRUE(after.results(1).found());
  EXPECT_FALSE(after.results(2).found());
  CheckSearches("c", &rng);
}

// A stream holds its collection for one message at a time: dropping the
// collection while the stream is open does not wait for the stream, whose
// next message then fails NOT_FOUND.
TEST_F(ServerTest, DropDoesNotWaitForAnOpenStream) {
  Start();
  ASSERT_TRUE(client()->Create("c", kDim).ok());
  std::mt19937 rng(10);
  v1::UpsertResponse resp;
  auto ctx = client()->Context();
  auto writer = client()->stub()->UpsertStream(ctx.get(), &resp);
  v1::UpsertRequest msg;
  msg.set_collection("c");
  *msg.add_records() = MakeRecord("a", RandomVector(&rng, kDim), std::nullopt);
  ASSERT_TRUE(writer->Write(msg));
  const auto give_up =
      std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (;;) {  // the server has taken the first message
    v1::GetResponse got;
    ASSERT_TRUE(client()->Get("c", {"a"}, &got).ok());
    if (got.results(0).found()) break;
    ASSERT_LT(std::chrono::steady_clock::now(), give_up);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  v1::DropCollectionRequest drop;
  drop.set_name("c");
  v1::DropCollectionResponse dropped;
  grpc::Status st = client()->stub()->DropCollection(client()->Context().get(),
                                                     drop, &dropped);
  ASSERT_TRUE(st.ok()) << st.error_message();
  writer->Write(msg);
  writer->WritesDone();
  st = writer->Finish();
  EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND) << st.error_message();
}

TEST_F(ServerTest, CollectionsSurviveARestartAndDropIsClean) {
  Start();
  ASSERT_TRUE(client()->Create("a", kDim).ok());
  ASSERT_TRUE(client()->Create("b", 4).ok());
  const grpc::Status ip = client()->Create("c", 4, v1::METRIC_INNER_PRODUCT);
  ASSERT_TRUE(ip.ok()) << ip.error_message();
  ASSERT_TRUE(client()
                  ->Upsert("c", {MakeRecord("far", {-1, 0, 0, 0}, ""),
                                 MakeRecord("best", {2, 0, 0, 0}, ""),
                                 MakeRecord("zero", {0, 1, 0, 0}, "")})
                  .ok());
  std::mt19937 rng(7);
  UpsertRandom("a", 0, 100, &rng);
  ASSERT_OK(server_->Stop());
  Start();
  v1::ListCollectionsRequest lreq;
  v1::ListCollectionsResponse list;
  ASSERT_TRUE(client()
                  ->stub()
                  ->ListCollections(client()->Context().get(), lreq, &list)
                  .ok());
  ASSERT_EQ(list.collections_size(), 3);
  EXPECT_EQ(list.collections(0).name(), "a");
  EXPECT_EQ(list.collections(0).dimension(), kDim);
  EXPECT_EQ(list.collections(1).name(), "b");
  EXPECT_EQ(list.collections(1).metric(), v1::METRIC_L2);
  EXPECT_EQ(list.collections(1).dimension(), 4u);
  EXPECT_EQ(list.collections(2).name(), "c");
  EXPECT_EQ(list.collections(2).metric(), v1::METRIC_INNER_PRODUCT);
  {
    // Under ip the distance is -q.x, ascending: the largest product first.
    v1::SearchResponse by_ip;
    ASSERT_TRUE(
        client()->Search("c", {1, 0, 0, 0}, Exhaustive(3), &by_ip).ok());
    ASSERT_EQ(by_ip.hits_size(), 3);
    const char* keys[] = {"best", "zero", "far"};
    const float distances[] = {-2, 0, 1};
    for (int i = 0; i < 3; ++i) {
      EXPECT_EQ(by_ip.hits(i).key(), keys[i]);
      EXPECT_FLOAT_EQ(by_ip.hits(i).distance(), distances[i]);
    }
  }
  CheckSearches("a", &rng);
  // Drop, then a new collection of the same name and another dimension
  // starts empty.
  v1::DropCollectionRequest dreq;
  dreq.set_name("a");
  v1::DropCollectionResponse dresp;
  ASSERT_TRUE(client()
                  ->stub()
                  ->DropCollection(client()->Context().get(), dreq, &dresp)
                  .ok());
  EXPECT_EQ(client()
                ->stub()
                ->DropCollection(client()->Context().get(), dreq, &dresp)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);
  ASSERT_TRUE(client()->Create("a", 3).ok());
  v1::SearchResponse resp;
  ASSERT_TRUE(client()->Search("a", {1, 2, 3}, Exhaustive(5), &resp).ok());
  EXPECT_EQ(resp.hits_size(), 0);
}

}  // namespace
}  // namespace test
}  // namespace server
}  // namespace drift
