// drift_server --role=router over three in-process shard primaries (loopback,
// port 0): keys land on their hash's shard, exhaustive searches through the
// router equal brute force over all the data, and a killed shard is
// UNAVAILABLE naming it, or with allow_partial exactly the live shards' hits;
// TLS and mutual TLS to the shards; snapshot tokens through the router (one
// per shard, taken between the router's writes).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <set>
#include <thread>

#include "server/router_service.h"
#include "server/testing/certificates.h"
#include "server/testing/server_fixture.h"
#include "tests/test_util.h"

namespace drift {
namespace server {
namespace test {
namespace {

constexpr uint32_t kDim = 8;
constexpr size_t kShards = 3;

std::string Key(int i) { return "key" + std::to_string(i); }

class RouterTest : public ServerFixture {
 protected:
  void SetUp() override {
    ServerFixture::SetUp();
    StartShards(ServerOptions());
    ASSERT_TRUE(router_->Start(RouterOptions()));
  }
  // Starts the shards with `tls`'s TLS files, if any.
  void StartShards(const ServerOptions& tls) {
    for (size_t i = 0; i < kShards; ++i) {
      ServerOptions o = LoopbackOptions("shard" + std::to_string(i));
      o.tls_cert = tls.tls_cert;
      o.tls_key = tls.tls_key;
      o.tls_client_ca = tls.tls_client_ca;
      ASSERT_TRUE(shards_[i]->Start(o));
    }
  }
  // Stops the router and the shards, makes certificates in dir_ (and
  // another CA's in dir_/other), and restarts the shards serving TLS with
  // dir_'s server certificate, requiring client certificates signed by
  // dir_'s CA if `require_client_certs`.
  void RestartShardsWithTls(bool require_client_certs) {
    ASSERT_OK(router_->Stop());
    for (InProcessServer* shard : shards_) ASSERT_OK(shard->Stop());
    ASSERT_TRUE(MakeCertificates(dir_));
    ASSERT_EQ(mkdir(OtherCa().c_str(), 0755), 0);
    ASSERT_TRUE(MakeCertificates(OtherCa()));
    ServerOptions tls;
    tls.tls_cert = dir_ + "/server.pem";
    tls.tls_key = dir_ + "/server.key";
    if (require_client_certs) tls.tls_client_ca = dir_ + "/ca.pem";
    StartShards(tls);
  }
  std::string OtherCa() const { return dir_ + "/other"; }
  // Starts the router with `o`, creates "docs" through it, upserts 300
  // records and checks exact searches.
  void StartRouterAndSearch(const ServerOptions& o, std::mt19937* rng) {
    ASSERT_TRUE(router_->Start(o));
    grpc::Status st = client()->Create("docs", kDim);
    ASSERT_TRUE(st.ok()) << st.error_message();
    Upsert(0, 300, rng);
    CheckSearches(model_.vectors, rng);
  }
  // A search through the router fails UNAVAILABLE naming a shard; `why`
  // labels the failure.
  void ExpectShardsUnavailable(const std::string& why, std::mt19937* rng) {
    v1::SearchResponse resp;
    grpc::Status st = client()->Search("docs", RandomVector(rng, kDim),
                                       Exhaustive(10), &resp);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAVAILABLE)
        << why << ": " << st.error_message();
    EXPECT_NE(st.error_message().find("shard "), std::string::npos)
        << st.error_message();
  }
  // A router over the shards.
  ServerOptions RouterOptions() const {
    ServerOptions o = LoopbackOptions("");
    o.role = "router";
    for (size_t i = 0; i < kShards; ++i) {
      o.shards += (i ? "," : "") + shards_[i]->address();
    }
    return o;
  }
  Client* client() const { return router_->client(); }
  // Upserts keys [first, first + n) through the router, in one request.
  void Upsert(int first, int n, std::mt19937* rng) {
    std::vector<v1::Record> records;
    for (int i = first; i < first + n; ++i) {
      std::optional<std::string> payload;
      if (i % 2 == 0) payload = "p" + std::to_string(i);
      records.push_back(MakeRecord(Key(i), RandomVector(rng, kDim), payload));
    }
    grpc::Status st = client()->Upsert("docs", records);
    ASSERT_TRUE(st.ok()) << st.error_message();
    for (const auto& r : records) model_.Upsert(r);
  }
  // The model's records on the shards not in `dead`.
  drift::test::Model LiveModel(const std::set<size_t>& dead) const {
    drift::test::Model live;
    for (const auto& [key, v] : model_.vectors) {
      if (!dead.count(ShardOf(key, kShards))) live[key] = v;
    }
    return live;
  }
  // Get of `keys` through the router (at `snapshot_token`) equals
  // `expected`.
  void CheckGets(const std::vector<std::string>& keys,
                 const drift::test::Model& expected,
                 uint64_t snapshot_token = 0) {
    v1::GetResponse got;
    grpc::Status st = client()->Get("docs", keys, &got, snapshot_token);
    ASSERT_TRUE(st.ok()) << st.error_message();
    ASSERT_EQ(got.results_size(), static_cast<int>(keys.size()));
    for (size_t i = 0; i < keys.size(); ++i) {
      const auto& r = got.results(static_cast<int>(i));
      EXPECT_EQ(r.key(), keys[i]);
      ASSERT_EQ(r.found(), expected.count(keys[i]) == 1) << keys[i];
      if (r.found()) {
        EXPECT_EQ(std::vector<float>(r.vector().values().begin(),
                                     r.vector().values().end()),
                  expected.at(keys[i]))
            << keys[i];
      }
    }
  }
  // A router token of a CreateSnapshot through the router.
  uint64_t TakeSnapshot(uint32_t ttl_seconds = 0) {
    v1::CreateSnapshotResponse snap;
    grpc::Status st = client()->CreateSnapshot(ttl_seconds, &snap);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return snap.snapshot_token();
  }
  // Exhaustive Search and SearchBatch through the router equal brute force
  // over `expected`; with allow_partial, missing_shards must be `missing`.
  // With `snapshot_token`, at that snapshot.
  void CheckSearches(const drift::test::Model& expected, std::mt19937* rng,
                     bool allow_partial = false,
                     const std::vector<std::string>& missing = {},
                     uint64_t snapshot_token = 0) {
    v1::SearchParams p = Exhaustive(10);
    p.set_include_payloads(true);
    p.set_allow_partial(allow_partial);
    p.set_snapshot_token(snapshot_token);
    v1::SearchBatchRequest batch;
    batch.set_collection("docs");
    *batch.mutable_params() = p;
    std::vector<std::vector<float>> queries;
    for (int q = 0; q < 10; ++q) {
      queries.push_back(RandomVector(rng, kDim));
      batch.mutable_queries()->Add(queries.back().begin(),
                                   queries.back().end());
      v1::SearchResponse resp;
      grpc::Status st = client()->Search("docs", queries.back(), p, &resp);
      ASSERT_TRUE(st.ok()) << st.error_message();
      ASSERT_EQ(Hits(resp), BruteForce(expected, queries.back(), 10)) << q;
      EXPECT_EQ(std::vector<std::string>(resp.missing_shards().begin(),
                                         resp.missing_shards().end()),
                missing);
      for (const auto& h : resp.hits()) {
        const auto payload = model_.payloads.find(h.key());
        ASSERT_EQ(h.has_payload(), payload != model_.payloads.end());
        if (h.has_payload()) {
          EXPECT_EQ(h.payload(), payload->second);
        }
      }
    }
    v1::SearchBatchResponse resp;
    grpc::Status st =
        client()->stub()->SearchBatch(client()->Context().get(), batch, &resp);
    ASSERT_TRUE(st.ok()) << st.error_message();
    ASSERT_EQ(resp.results_size(), 10);
    for (int q = 0; q < 10; ++q) {
      EXPECT_EQ(Hits(resp.results(q)), BruteForce(expected, queries[q], 10));
    }
    EXPECT_EQ(std::vector<std::string>(resp.missing_shards().begin(),
                                       resp.missing_shards().end()),
              missing);
  }

  // Started in this order, stopped in the reverse one.
  const std::vector<InProcessServer*> shards_ = {NewServer(), NewServer(),
                                                 NewServer()};
  InProcessServer* const router_ = NewServer();
  RecordModel model_;
};

TEST(ShardOfTest, IsFnv1aModuloTheShardCount) {
  // FNV-1a 64 of "" is the offset basis, of "a" 0xaf63dc4c8601ec8c.
  EXPECT_EQ(ShardOf("", 7), 14695981039346656037ull % 7);
  EXPECT_EQ(ShardOf("a", 1000), 0xaf63dc4c8601ec8cull % 1000);
  std::vector<int> counts(kShards);
  for (int i = 0; i < 3000; ++i) ++counts[ShardOf(Key(i), kShards)];
  for (int c : counts) EXPECT_GT(c, 800);  // roughly even
}

TEST(ShardListTest, ParsesAndRejects) {
  std::vector<std::string> shards;
  ASSERT_OK(ParseShardList("a:1,b:2", &shards));
  EXPECT_EQ(shards, (std::vector<std::string>{"a:1", "b:2"}));
  EXPECT_TRUE(ParseShardList("a:1,a:1", &shards).IsInvalidArgument());
  EXPECT_TRUE(ParseShardList("a:1,", &shards).IsInvalidArgument());
  EXPECT_TRUE(ParseShardList("a", &shards).IsInvalidArgument());
  ServerOptions o;
  o.role = "router";
  std::vector<std::string> warnings;
  EXPECT_TRUE(ValidateServerOptions(o, &warnings).IsInvalidArgument());
  o.shards = "a:1";
  EXPECT_OK(ValidateServerOptions(o, &warnings));
  o.db_path = "/tmp/x";
  EXPECT_TRUE(ValidateServerOptions(o, &warnings).IsInvalidArgument());
  // A CA for the shards is a router's option only.
  o.role = "primary";
  o.shards.clear();
  EXPECT_OK(ValidateServerOptions(o, &warnings));
  o.shard_tls_ca = "/tmp/ca.pem";
  EXPECT_TRUE(ValidateServerOptions(o, &warnings).IsInvalidArgument());
  // So is a client certificate for them, whose pair must be complete and
  // which needs their CA (TLS).
  o.shard_tls_ca.clear();
  o.shard_tls_cert = "/tmp/client.pem";
  o.shard_tls_key = "/tmp/client.key";
  const auto refused = [&](const std::string& why) {
    const rocksdb::Status s = ValidateServerOptions(o, &warnings);
    EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
    EXPECT_NE(s.ToString().find(why), std::string::npos) << s.ToString();
  };
  refused("are for --role=router only");
  o.role = "router";
  o.shards = "a:1";
  o.db_path.clear();
  refused("need --shard_tls_ca");
  o.shard_tls_ca = "/tmp/ca.pem";
  EXPECT_OK(ValidateServerOptions(o, &warnings));
  o.shard_tls_key.clear();
  refused("--shard_tls_cert and --shard_tls_key go together");
  o.shard_tls_key = "/tmp/client.key";
  o.shard_tls_cert.clear();
  refused("--shard_tls_cert and --shard_tls_key go together");
}

TEST(RouterSnapshotsTest, TokensNameTheirShardListAndRouterProcess) {
  RouterSnapshots mine({"a:1", "b:2"});
  RouterSnapshots other_list({"b:2", "a:1"});
  ASSERT_NE(mine.topology(), other_list.topology());  // fixed lists
  const uint64_t token = mine.Create({7, 9}, std::chrono::seconds(60));
  EXPECT_EQ(token >> 48, mine.topology());
  std::vector<uint64_t> shard_tokens;
  ASSERT_OK(mine.Find(token, &shard_tokens));
  EXPECT_EQ(shard_tokens, (std::vector<uint64_t>{7, 9}));
  rocksdb::Status s = other_list.Find(token, &shard_tokens);
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_NE(s.ToString().find("another shard list"), std::string::npos);
  s = mine.Find(7, &shard_tokens);
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_TRUE(mine.Find(token + 1, &shard_tokens).IsNotFound());
  ASSERT_OK(mine.Release(token, &shard_tokens));
  EXPECT_EQ(shard_tokens, (std::vector<uint64_t>{7, 9}));
  EXPECT_TRUE(mine.Find(token, &shard_tokens).IsNotFound());
  EXPECT_TRUE(mine.Release(token, &shard_tokens).IsNotFound());
  // A lease ends at its ttl.
  const uint64_t brief = mine.Create({1, 2}, std::chrono::milliseconds(1));
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_TRUE(mine.Find(brief, &shard_tokens).IsNotFound());
}

TEST_F(RouterTest, SearchesEqualBruteForceOverAllShards) {
  ASSERT_TRUE(client()->Create("docs", kDim).ok());
  std::mt19937 rng(7);
  for (int b = 0; b < 4; ++b) Upsert(100 * b, 100, &rng);
  // Every shard holds exactly its keys, and the collection exists on each.
  std::vector<std::string> keys;
  for (int i = 0; i < 400; i += 7) keys.push_back(Key(i));
  for (size_t s = 0; s < kShards; ++s) {
    v1::GetResponse got;
    ASSERT_TRUE(shards_[s]->client()->Get("docs", keys, &got).ok());
    for (int i = 0; i < got.results_size(); ++i) {
      EXPECT_EQ(got.results(i).found(), ShardOf(keys[i], kShards) == s)
          << keys[i];
    }
  }
  CheckSearches(model_.vectors, &rng);

  // Get through the router: request order, found flags, vectors.
  keys.push_back("absent");
  CheckGets(keys, model_.vectors);

  // Delete and DeleteRange through the router; upserts overwrite.
  v1::DeleteRequest del;
  del.set_collection("docs");
  for (int i = 0; i < 400; i += 3) {
    del.add_keys(Key(i));
    model_.Erase(Key(i));
  }
  v1::DeleteResponse unused;
  ASSERT_TRUE(
      client()->stub()->Delete(client()->Context().get(), del, &unused).ok());
  v1::DeleteRangeRequest range;
  range.set_collection("docs");
  range.set_start("key2");
  range.set_limit("key3");
  ASSERT_TRUE(client()
                  ->stub()
                  ->DeleteRange(client()->Context().get(), range, &unused)
                  .ok());
  for (auto it = model_.vectors.begin(); it != model_.vectors.end();) {
    it = it->first >= "key2" && it->first < "key3" ? model_.vectors.erase(it)
                                                   : std::next(it);
  }
  Upsert(50, 100, &rng);
  CheckSearches(model_.vectors, &rng);

  // Stats sum the shards' keys.
  v1::FlushRequest flush;
  v1::FlushResponse flushed;
  ASSERT_TRUE(
      client()->stub()->Flush(client()->Context().get(), flush, &flushed).ok());
  v1::StatsResponse stats;
  ASSERT_TRUE(client()->Stats(&stats).ok());
  ASSERT_EQ(stats.collections_size(), 1);
  EXPECT_GT(stats.collections(0).estimated_num_keys(), 0u);
  v1::SearchResponse resp;
  // A request error is the shards' code, not UNAVAILABLE.
  EXPECT_EQ(client()->Search("docs", {1, 2}, Exhaustive(5), &resp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  // Drop removes the collection from every shard.
  v1::DropCollectionRequest drop;
  drop.set_name("docs");
  v1::DropCollectionResponse dropped;
  ASSERT_TRUE(client()
                  ->stub()
                  ->DropCollection(client()->Context().get(), drop, &dropped)
                  .ok());
  for (InProcessServer* shard : shards_) {
    v1::ListCollectionsRequest list;
    v1::ListCollectionsResponse listed;
    Client* c = shard->client();
    ASSERT_TRUE(
        c->stub()->ListCollections(c->Context().get(), list, &listed).ok());
    EXPECT_EQ(listed.collections_size(), 0);
  }
}

TEST_F(RouterTest, DeadShardIsUnavailableOrMissingWithAllowPartial) {
  ASSERT_TRUE(client()->Create("docs", kDim).ok());
  std::mt19937 rng(11);
  for (int b = 0; b < 3; ++b) Upsert(100 * b, 100, &rng);
  const std::string dead = shards_[1]->address();
  ASSERT_OK(shards_[1]->Stop());

  v1::SearchResponse resp;
  grpc::Status st =
      client()->Search("docs", RandomVector(&rng, kDim), Exhaustive(10), &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_NE(st.error_message().find("shard " + dead), std::string::npos)
      << st.error_message();
  // A write touching the dead shard fails naming it too.
  std::vector<v1::Record> records;
  for (int i = 1000; i < 1010; ++i) {
    records.push_back(MakeRecord(Key(i), RandomVector(&rng, kDim), {}));
  }
  st = client()->Upsert("docs", records);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_NE(st.error_message().find(dead), std::string::npos);
  // The live shards committed their parts (atomic per shard only).
  for (const auto& r : records) {
    if (ShardOf(r.key(), kShards) != 1) model_.Upsert(r);
  }

  CheckSearches(LiveModel({1}), &rng, /*allow_partial=*/true, {dead});

  // The shard restarts on its address: the router serves all of it again
  // (the records of the failed upsert that went to it are not there).
  ServerOptions o = LoopbackOptions("shard1");
  o.listen = dead;
  ASSERT_TRUE(shards_[1]->Start(o));
  const auto give_up =
      std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (;;) {
    st = client()->Search("docs", RandomVector(&rng, kDim), Exhaustive(10),
                          &resp);
    if (st.ok() || std::chrono::steady_clock::now() > give_up) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(st.ok()) << st.error_message();
  CheckSearches(model_.vectors, &rng);
}

// Snapshot tokens through the router: one CreateSnapshot takes a token of
// every shard; Search, SearchBatch and Get with the router token read every
// shard at its snapshot (exact vs brute force over the records of then),
// without it the latest state; ReleaseSnapshot reaches the shards; a
// shard's token, another shard list's, a released, expired or pre-restart
// token is refused with a reason.
TEST_F(RouterTest, SnapshotTokensReadEveryShardAtItsSnapshot) {
  ASSERT_TRUE(client()->Create("docs", kDim).ok());
  std::mt19937 rng(19);
  Upsert(0, 300, &rng);
  const RecordModel before = model_;
  const uint64_t token = TakeSnapshot();
  ASSERT_NE(token >> 48, 0u) << token;
  // Overwrite keys 100..299 and add 300..399: every shard changes.
  Upsert(100, 300, &rng);
  std::vector<std::string> keys;
  std::set<size_t> changed;
  for (int i = 0; i < 400; i += 3) keys.push_back(Key(i));
  for (int i = 100; i < 400; ++i) changed.insert(ShardOf(Key(i), kShards));
  ASSERT_EQ(changed.size(), kShards);

  CheckSearches(before.vectors, &rng, false, {}, token);
  CheckGets(keys, before.vectors, token);
  CheckSearches(model_.vectors, &rng);
  CheckGets(keys, model_.vectors);

  // Each shard holds its own token of the bundle: fresh shards number
  // their tokens from 1.
  v1::SearchParams at_one = Exhaustive(5);
  at_one.set_snapshot_token(1);
  v1::SearchResponse resp;
  for (InProcessServer* shard : shards_) {
    grpc::Status st = shard->client()->Search("docs", RandomVector(&rng, kDim),
                                              at_one, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
  }
  // A shard's token is not a router's.
  grpc::Status st =
      client()->Search("docs", RandomVector(&rng, kDim), at_one, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(st.error_message().find("is not a router's token"),
            std::string::npos)
      << st.error_message();
  // A token of a router over another shard list (two of the three).
  InProcessServer* other = NewServer();
  ServerOptions two = LoopbackOptions("");
  two.role = "router";
  two.shards = shards_[0]->address() + "," + shards_[1]->address();
  ASSERT_TRUE(other->Start(two));
  v1::CreateSnapshotResponse snap;
  ASSERT_TRUE(other->client()->CreateSnapshot(0, &snap).ok());
  std::vector<std::string> three;
  for (InProcessServer* shard : shards_) three.push_back(shard->address());
  if (RouterSnapshots({shards_[0]->address(), shards_[1]->address()})
          .topology() != RouterSnapshots(three).topology()) {  // 65534 in 65535
    v1::GetResponse got;
    st = client()->Get("docs", keys, &got, snap.snapshot_token());
    EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_NE(st.error_message().find("another shard list"), std::string::npos)
        << st.error_message();
  }
  ASSERT_OK(other->Stop());

  // Release reaches the shards; the token is gone on the router too.
  ASSERT_TRUE(client()->ReleaseSnapshot(token).ok());
  for (InProcessServer* shard : shards_) {
    EXPECT_EQ(shard->client()
                  ->Search("docs", RandomVector(&rng, kDim), at_one, &resp)
                  .error_code(),
              grpc::StatusCode::NOT_FOUND);
  }
  v1::SearchParams p = Exhaustive(5);
  p.set_snapshot_token(token);
  EXPECT_EQ(
      client()->Search("docs", RandomVector(&rng, kDim), p, &resp).error_code(),
      grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(client()->ReleaseSnapshot(token).error_code(),
            grpc::StatusCode::NOT_FOUND);

  // A lease ends with the shards' (ttl_seconds as granted).
  ASSERT_TRUE(client()->CreateSnapshot(2, &snap).ok());
  EXPECT_EQ(snap.ttl_seconds(), 2u);
  p.set_snapshot_token(snap.snapshot_token());
  ASSERT_TRUE(
      client()->Search("docs", RandomVector(&rng, kDim), p, &resp).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  st = client()->Search("docs", RandomVector(&rng, kDim), p, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND) << st.error_message();

  // A router that restarted does not know its old tokens.
  const uint64_t old = TakeSnapshot();
  ASSERT_OK(router_->Stop());
  ASSERT_TRUE(router_->Start(RouterOptions()));
  v1::GetResponse got;
  st = client()->Get("docs", keys, &got, old);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_NE(st.error_message().find("another router process"),
            std::string::npos)
      << st.error_message();
}

// The router takes its shards' tokens between its own writes: a writer
// rewrites 30 keys spread over every shard in one Upsert per version (all
// vectors of version v are v), and every snapshot through the router sees
// one version on all shards, never a write half applied.
TEST_F(RouterTest, SnapshotTokensCutBetweenTheRoutersWrites) {
  ASSERT_TRUE(client()->Create("docs", kDim).ok());
  std::vector<std::string> keys;
  std::set<size_t> shards;
  for (int i = 0; i < 30; ++i) {
    keys.push_back(Key(i));
    shards.insert(ShardOf(Key(i), kShards));
  }
  ASSERT_EQ(shards.size(), kShards);
  std::atomic<bool> stop{false};
  std::atomic<int> written{0};
  std::thread writer([&] {
    Client writer_client(router_->address());
    for (int v = 1; !stop; ++v) {
      std::vector<v1::Record> records;
      for (const auto& k : keys) {
        records.push_back(
            MakeRecord(k, std::vector<float>(kDim, static_cast<float>(v)), {}));
      }
      grpc::Status st = writer_client.Upsert("docs", records);
      ASSERT_TRUE(st.ok()) << st.error_message();
      written = v;
    }
  });
  std::set<float> seen;
  for (int round = 0; round < 100; ++round) {
    const uint64_t token = TakeSnapshot();
    v1::GetResponse got;
    grpc::Status st = client()->Get("docs", keys, &got, token);
    ASSERT_TRUE(st.ok()) << st.error_message();
    std::set<float> versions;
    for (const auto& r : got.results()) {
      versions.insert(r.found() ? r.vector().values(0) : 0.0f);
    }
    EXPECT_EQ(versions.size(), 1u)
        << "round " << round << ": " << *versions.begin() << " to "
        << *versions.rbegin();
    seen.insert(*versions.begin());
    ASSERT_TRUE(client()->ReleaseSnapshot(token).ok());
  }
  stop = true;
  writer.join();
  EXPECT_GT(written.load(), 1);
  EXPECT_GT(seen.size(), 1u);  // the snapshots did fall between writes
}

// UpsertStream through the router reads its messages as a primary does
// (server/upsert_stream.h): a message without a collection takes the
// first's, one naming another ends the stream with INVALID_ARGUMENT and the
// count of the records committed before it, which stay.
TEST_F(RouterTest, UpsertStreamEndsAtAMessageNamingAnotherCollection) {
  ASSERT_TRUE(client()->Create("docs", kDim).ok());
  std::mt19937 rng(23);
  v1::UpsertResponse upserted;
  auto ctx = client()->Context();
  auto writer = client()->stub()->UpsertStream(ctx.get(), &upserted);
  std::vector<std::string> keys;
  for (int m = 0; m < 3; ++m) {
    v1::UpsertRequest msg;
    if (m != 1) msg.set_collection(m == 0 ? "docs" : "other");
    for (int i = 10 * m; i < 10 * m + 10; ++i) {
      *msg.add_records() = MakeRecord(Key(i), RandomVector(&rng, kDim), {});
      if (m < 2) keys.push_back(Key(i));
    }
    writer->Write(msg);  // the last may fail once the router ended the call
  }
  writer->WritesDone();
  const grpc::Status st = writer->Finish();
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(st.error_message().find(
                "message 2 names another collection than the stream's (20 "
                "records of this stream were committed)"),
            std::string::npos)
      << st.error_message();
  v1::GetResponse got;
  ASSERT_TRUE(client()->Get("docs", keys, &got).ok());
  for (const auto& r : got.results()) EXPECT_TRUE(r.found()) << r.key();
}

// The router's own --max_inflight: an UpsertStream open through it holds
// its only slot, so another request is RESOURCE_EXHAUSTED at once although
// the shards have room; Stats counts the refusal.
TEST_F(RouterTest, BeyondMaxInflightIsResourceExhausted) {
  ASSERT_TRUE(client()->Create("docs", kDim).ok());
  ASSERT_OK(router_->Stop());
  ServerOptions o = RouterOptions();
  o.max_inflight = 1;
  ASSERT_TRUE(router_->Start(o));
  v1::UpsertResponse upserted;
  auto ctx = client()->Context();
  auto writer = client()->stub()->UpsertStream(ctx.get(), &upserted);
  v1::UpsertRequest msg;
  msg.set_collection("docs");
  std::mt19937 rng(5);
  *msg.add_records() = MakeRecord(Key(1), RandomVector(&rng, kDim), "p");
  ASSERT_TRUE(writer->Write(msg));
  const grpc::Status seen =
      client()->GetUntil(grpc::StatusCode::RESOURCE_EXHAUSTED, "docs", Key(1));
  EXPECT_EQ(seen.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_NE(seen.error_message().find("router"), std::string::npos)
      << seen.error_message();
  v1::GetResponse got;
  EXPECT_TRUE(shards_[0]->client()->Get("docs", {Key(1)}, &got).ok());
  ASSERT_TRUE(writer->WritesDone());
  ASSERT_TRUE(writer->Finish().ok());
  EXPECT_EQ(upserted.upserted(), 1u);
  ASSERT_TRUE(client()->Get("docs", {Key(1)}, &got).ok());
  EXPECT_TRUE(got.results(0).found());
  v1::StatsResponse stats;
  ASSERT_TRUE(client()->Stats(&stats).ok());
  EXPECT_GE(stats.requests_rejected_overload(), 1u);
}

// TLS to the shards (--shard_tls_ca): shards that serve TLS only are
// reachable through a router that trusts their CA (searches exact), and
// UNAVAILABLE through a router without TLS or trusting another CA.
TEST_F(RouterTest, TlsShardsAreReachableOnlyWithTheirCa) {
  RestartShardsWithTls(/*require_client_certs=*/false);
  ServerOptions o = RouterOptions();
  o.shard_tls_ca = dir_ + "/ca.pem";
  std::mt19937 rng(13);
  StartRouterAndSearch(o, &rng);

  for (const std::string& ca : {std::string(), OtherCa() + "/ca.pem"}) {
    ASSERT_OK(router_->Stop());
    o.shard_tls_ca = ca;
    ASSERT_TRUE(router_->Start(o));
    ExpectShardsUnavailable("CA '" + ca + "'", &rng);
  }
}

// Mutual TLS to the shards (--shard_tls_cert/--shard_tls_key): shards that
// require client certificates signed by their CA serve a router presenting
// one (searches exact), and refuse a router presenting none or one another
// CA signed.
TEST_F(RouterTest, ShardsRequiringClientCertsServeTheRoutersCertificate) {
  RestartShardsWithTls(/*require_client_certs=*/true);
  ServerOptions o = RouterOptions();
  o.shard_tls_ca = dir_ + "/ca.pem";
  o.shard_tls_cert = dir_ + "/client.pem";
  o.shard_tls_key = dir_ + "/client.key";
  std::mt19937 rng(17);
  StartRouterAndSearch(o, &rng);

  for (const std::string& cert_dir : {std::string(), OtherCa()}) {
    ASSERT_OK(router_->Stop());
    o.shard_tls_cert = cert_dir.empty() ? "" : cert_dir + "/client.pem";
    o.shard_tls_key = cert_dir.empty() ? "" : cert_dir + "/client.key";
    ASSERT_TRUE(router_->Start(o));
    ExpectShardsUnavailable("client certificate of '" + cert_dir + "'", &rng);
  }

  // An unreadable certificate or key stops the router's start, naming it.
  for (const char* flag : {"--shard_tls_cert", "--shard_tls_key"}) {
    ASSERT_OK(router_->Stop());
    ServerOptions bad = RouterOptions();
    bad.shard_tls_ca = dir_ + "/ca.pem";
    bad.shard_tls_cert = dir_ + "/client.pem";
    bad.shard_tls_key = dir_ + "/client.key";
    (std::string(flag) == "--shard_tls_cert" ? bad.shard_tls_cert
                                             : bad.shard_tls_key) =
        dir_ + "/absent.pem";
    std::unique_ptr<DriftServer> server;
    const rocksdb::Status s = DriftServer::Start(bad, &server);
    EXPECT_TRUE(s.IsIOError()) << s.ToString();
    EXPECT_NE(s.ToString().find(std::string(flag) + ": cannot read"),
              std::string::npos)
        << s.ToString();
  }
}

}  // namespace
}  // namespace test
}  // namespace server
}  // namespace drift
