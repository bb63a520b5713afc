// drift_server --role=router over three in-process shard primaries (loopback,
// port 0): keys land on their hash's shard, exhaustive searches through the
// router equal brute force over all the data, and a killed shard is
// UNAVAILABLE naming it, or with allow_partial exactly the live shards' hits.
#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "server/router_service.h"
#include "server/server.h"
#include "server/test_client.h"
#include "tests/test_util.h"

namespace drift {
namespace server {
namespace {

using drift::test::BruteForce;
using test::Client;
using test::Exhaustive;
using test::Hits;
using test::MakeRecord;
using test::RandomVector;
using test::RecordModel;

constexpr uint32_t kDim = 8;
constexpr size_t kShards = 3;

std::string Key(int i) { return "key" + std::to_string(i); }

class RouterTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = drift::test::TempDir("router_test");
    std::string list;
    for (size_t i = 0; i < kShards; ++i) {
      ServerOptions o;
      o.db_path = dir_ + "/shard" + std::to_string(i);
      o.listen = "127.0.0.1:0";
      o.shutdown_grace_ms = 1000;
      shards_.emplace_back();
      ASSERT_OK(DriftServer::Start(o, &shards_.back()));
      shard_clients_.push_back(
          std::make_unique<Client>(shards_.back()->address()));
      list += (i ? "," : "") + shards_.back()->address();
    }
    ServerOptions o;
    o.role = "router";
    o.shards = list;
    o.listen = "127.0.0.1:0";
    ASSERT_OK(DriftServer::Start(o, &router_));
    client_ = std::make_unique<Client>(router_->address());
  }
  void TearDown() override {
    client_.reset();
    shard_clients_.clear();
    if (router_) {
      EXPECT_OK(router_->Shutdown());
    }
    for (auto& s : shards_) {
      if (s) {
        EXPECT_OK(s->Shutdown());
      }
    }
    router_.reset();
    shards_.clear();
    drift::test::RemoveDir(dir_);
  }
  // Upserts keys [first, first + n) through the router, in one request.
  void Upsert(int first, int n, std::mt19937* rng) {
    std::vector<v1::Record> records;
    for (int i = first; i < first + n; ++i) {
      std::optional<std::string> payload;
      if (i % 2 == 0) payload = "p" + std::to_string(i);
      records.push_back(MakeRecord(Key(i), RandomVector(rng, kDim), payload));
    }
    grpc::Status st = client_->Upsert("docs", records);
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
  // Exhaustive Search and SearchBatch through the router equal brute force
  // over `expected`; with allow_partial, missing_shards must be `missing`.
  void CheckSearches(const drift::test::Model& expected, std::mt19937* rng,
                     bool allow_partial = false,
                     const std::vector<std::string>& missing = {}) {
    v1::SearchParams p = Exhaustive(10);
    p.set_include_payloads(true);
    p.set_allow_partial(allow_partial);
    v1::SearchBatchRequest batch;
    batch.set_collection("docs");
    *batch.mutable_params() = p;
    std::vector<std::vector<float>> queries;
    for (int q = 0; q < 10; ++q) {
      queries.push_back(RandomVector(rng, kDim));
      batch.mutable_queries()->Add(queries.back().begin(),
                                   queries.back().end());
      v1::SearchResponse resp;
      grpc::Status st = client_->Search("docs", queries.back(), p, &resp);
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
        client_->stub()->SearchBatch(client_->Context().get(), batch, &resp);
    ASSERT_TRUE(st.ok()) << st.error_message();
    ASSERT_EQ(resp.results_size(), 10);
    for (int q = 0; q < 10; ++q) {
      EXPECT_EQ(Hits(resp.results(q)), BruteForce(expected, queries[q], 10));
    }
    EXPECT_EQ(std::vector<std::string>(resp.missing_shards().begin(),
                                       resp.missing_shards().end()),
              missing);
  }

  std::string dir_;
  std::vector<std::unique_ptr<DriftServer>> shards_;
  std::vector<std::unique_ptr<Client>> shard_clients_;
  std::unique_ptr<DriftServer> router_;
  std::unique_ptr<Client> client_;
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
}

TEST_F(RouterTest, SearchesEqualBruteForceOverAllShards) {
  ASSERT_TRUE(client_->Create("docs", kDim).ok());
  std::mt19937 rng(7);
  for (int b = 0; b < 4; ++b) Upsert(100 * b, 100, &rng);
  // Every shard holds exactly its keys, and the collection exists on each.
  std::vector<std::string> keys;
  for (int i = 0; i < 400; i += 7) keys.push_back(Key(i));
  for (size_t s = 0; s < kShards; ++s) {
    v1::GetResponse got;
    ASSERT_TRUE(shard_clients_[s]->Get("docs", keys, &got).ok());
    for (int i = 0; i < got.results_size(); ++i) {
      EXPECT_EQ(got.results(i).found(), ShardOf(keys[i], kShards) == s)
          << keys[i];
    }
  }
  CheckSearches(model_.vectors, &rng);

  // Get through the router: request order, found flags, payloads.
  keys.push_back("absent");
  v1::GetResponse got;
  ASSERT_TRUE(client_->Get("docs", keys, &got).ok());
  ASSERT_EQ(got.results_size(), static_cast<int>(keys.size()));
  for (size_t i = 0; i < keys.size(); ++i) {
    const auto& r = got.results(static_cast<int>(i));
    EXPECT_EQ(r.key(), keys[i]);
    ASSERT_EQ(r.found(), model_.vectors.count(keys[i]) == 1);
    if (r.found()) {
      EXPECT_EQ(std::vector<float>(r.vector().values().begin(),
                                   r.vector().values().end()),
                model_.vectors.at(keys[i]));
    }
  }

  // Delete and DeleteRange through the router; upserts overwrite.
  v1::DeleteRequest del;
  del.set_collection("docs");
  for (int i = 0; i < 400; i += 3) {
    del.add_keys(Key(i));
    model_.Erase(Key(i));
  }
  v1::DeleteResponse unused;
  ASSERT_TRUE(
      client_->stub()->Delete(client_->Context().get(), del, &unused).ok());
  v1::DeleteRangeRequest range;
  range.set_collection("docs");
  range.set_start("key2");
  range.set_limit("key3");
  ASSERT_TRUE(client_->stub()
                  ->DeleteRange(client_->Context().get(), range, &unused)
                  .ok());
  for (auto it = model_.vectors.begin(); it != model_.vectors.end();) {
    it = it->first >= "key2" && it->first < "key3" ? model_.vectors.erase(it)
                                                   : std::next(it);
  }
  Upsert(50, 100, &rng);
  CheckSearches(model_.vectors, &rng);

  // Stats sum the shards' keys; snapshots are refused with a reason.
  v1::FlushRequest flush;
  v1::FlushResponse flushed;
  ASSERT_TRUE(
      client_->stub()->Flush(client_->Context().get(), flush, &flushed).ok());
  v1::StatsRequest stats_req;
  v1::StatsResponse stats;
  ASSERT_TRUE(
      client_->stub()->Stats(client_->Context().get(), stats_req, &stats).ok());
  ASSERT_EQ(stats.collections_size(), 1);
  EXPECT_GT(stats.collections(0).estimated_num_keys(), 0u);
  v1::CreateSnapshotRequest snap;
  v1::CreateSnapshotResponse snap_resp;
  EXPECT_EQ(client_->stub()
                ->CreateSnapshot(client_->Context().get(), snap, &snap_resp)
                .error_code(),
            grpc::StatusCode::UNIMPLEMENTED);
  v1::SearchParams p = Exhaustive(5);
  p.set_snapshot_token(1);
  v1::SearchResponse resp;
  EXPECT_EQ(
      client_->Search("docs", RandomVector(&rng, kDim), p, &resp).error_code(),
      grpc::StatusCode::UNIMPLEMENTED);
  // A request error is the shards' code, not UNAVAILABLE.
  EXPECT_EQ(client_->Search("docs", {1, 2}, Exhaustive(5), &resp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  // Drop removes the collection from every shard.
  v1::DropCollectionRequest drop;
  drop.set_name("docs");
  v1::DropCollectionResponse dropped;
  ASSERT_TRUE(client_->stub()
                  ->DropCollection(client_->Context().get(), drop, &dropped)
                  .ok());
  for (auto& shard : shard_clients_) {
    v1::ListCollectionsRequest list;
    v1::ListCollectionsResponse listed;
    ASSERT_TRUE(shard->stub()
                    ->ListCollections(shard->Context().get(), list, &listed)
                    .ok());
    EXPECT_EQ(listed.collections_size(), 0);
  }
}

TEST_F(RouterTest, DeadShardIsUnavailableOrMissingWithAllowPartial) {
  ASSERT_TRUE(client_->Create("docs", kDim).ok());
  std::mt19937 rng(11);
  for (int b = 0; b < 3; ++b) Upsert(100 * b, 100, &rng);
  const std::string dead = shards_[1]->address();
  ASSERT_OK(shards_[1]->Shutdown());

  v1::SearchResponse resp;
  grpc::Status st =
      client_->Search("docs", RandomVector(&rng, kDim), Exhaustive(10), &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_NE(st.error_message().find("shard " + dead), std::string::npos)
      << st.error_message();
  // A write touching the dead shard fails naming it too.
  std::vector<v1::Record> records;
  for (int i = 1000; i < 1010; ++i) {
    records.push_back(MakeRecord(Key(i), RandomVector(&rng, kDim), {}));
  }
  st = client_->Upsert("docs", records);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_NE(st.error_message().find(dead), std::string::npos);
  // The live shards committed their parts (atomic per shard only).
  for (const auto& r : records) {
    if (ShardOf(r.key(), kShards) != 1) model_.Upsert(r);
  }

  CheckSearches(LiveModel({1}), &rng, /*allow_partial=*/true, {dead});

  // The shard restarts on its address: the router serves all of it again
  // (the records of the failed upsert that went to it are not there).
  ServerOptions o;
  o.db_path = dir_ + "/shard1";
  o.listen = dead;
  shards_[1].reset();
  ASSERT_OK(DriftServer::Start(o, &shards_[1]));
  const auto give_up =
      std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (;;) {
    st = client_->Search("docs", RandomVector(&rng, kDim), Exhaustive(10),
                         &resp);
    if (st.ok() || std::chrono::steady_clock::now() > give_up) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(st.ok()) << st.error_message();
  CheckSearches(model_.vectors, &rng);
}

}  // namespace
}  // namespace server
}  // namespace drift
