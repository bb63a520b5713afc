// drift_server --role=worker: a RocksDB secondary instance of a primary's
// database serving reads. Every write the primary acknowledged before a
// worker's catch-up is in the worker's next search (exact under exhaustive
// effort), the worker follows the primary's codebook, refuses writes,
// serves the collections the primary creates and forgets those it drops
// (reopening its secondary instance under concurrent searches), and
// survives its own and the primary's restart.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "server/testing/server_fixture.h"
#include "tests/test_util.h"

namespace drift {
namespace server {
namespace test {
namespace {

constexpr uint32_t kDim = 8;

class WorkerTest : public ServerFixture {
 protected:
  void SetUp() override {
    ServerFixture::SetUp();
    StartPrimary();
  }
  void StartPrimary() { ASSERT_TRUE(primary_->Start(LoopbackOptions("db"))); }
  void StartWorker() {
    ServerOptions o = LoopbackOptions("db");
    o.role = "worker";
    o.secondary_path = dir_ + "/secondary";
    o.catch_up_interval_ms = 20;
    ASSERT_TRUE(worker_->Start(o));
  }
  v1::StatsResponse WorkerStats() {
    v1::StatsResponse resp;
    EXPECT_TRUE(worker_->client()->Stats(&resp).ok());
    return resp;
  }
  // Collection "c" of `n` records on the primary, then a worker that
  // serves it exactly.
  void StartOnCollection(int n, std::mt19937* rng) {
    ASSERT_TRUE(primary_->client()->Create("c", kDim).ok());
    Upsert(0, n, rng);
    StartWorker();
    CheckWorker(rng);
  }
  // Waits until a catch-up that started after this call completed.
  void WaitForCatchUp() {
    const uint64_t seen = WorkerStats().catch_ups();
    const auto give_up =
        std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (WorkerStats().catch_ups() < seen + 2) {
      ASSERT_LT(std::chrono::steady_clock::now(), give_up);
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  void Upsert(int first, int n, std::mt19937* rng,
              const std::string& collection = "c") {
    std::vector<v1::Record> records;
    for (int i = first; i < first + n; ++i) {
      records.push_back(MakeRecord("k" + std::to_string(i),
                                   RandomVector(rng, kDim),
                                   "p" + std::to_string(i)));
    }
    ASSERT_TRUE(primary_->client()->Upsert(collection, records).ok());
    for (const auto& r : records) models_[collection].Upsert(r);
  }
  // The worker's exhaustive searches equal brute force over the model, with
  // its payloads (at the snapshot of `token` if nonzero).
  void CheckWorker(std::mt19937* rng, uint32_t nprobe = 0,
                   const std::string& collection = "c",
                   const RecordModel* model = nullptr, uint64_t token = 0) {
    if (model == nullptr) model = &models_[collection];
    for (int q = 0; q < 8; ++q) {
      const std::vector<float> query = RandomVector(rng, kDim);
      v1::SearchParams p = Effort(10, nprobe);
      p.set_include_payloads(true);
      p.set_snapshot_token(token);
      v1::SearchResponse resp;
      grpc::Status st = worker_->client()->Search(collection, query, p, &resp);
      ASSERT_TRUE(st.ok()) << st.error_message();
      ASSERT_EQ(Hits(resp), BruteForce(model->vectors, query, 10));
      for (const auto& h : resp.hits()) {
        EXPECT_EQ(h.payload(), model->payloads.at(h.key()));
      }
    }
  }
  uint64_t Epoch(const v1::StatsResponse& stats) {
    return std::stoull(stats.collections(0).index_stats().at("codebook_epoch"));
  }

  InProcessServer* const primary_ = NewServer();
  InProcessServer* const worker_ = NewServer();
  std::map<std::string, RecordModel> models_;  // by collection
};

TEST_F(WorkerTest, FollowsThePrimaryExactlyAndRefusesWrites) {
  std::mt19937 rng(1);
  StartOnCollection(400, &rng);

  // Acknowledged writes (memtable only, then flushed and trained) are in the
  // worker's next search after its next catch-up.
  Upsert(400, 300, &rng);
  v1::DeleteRequest del;
  del.set_collection("c");
  for (int i = 0; i < 100; i += 3) {
    del.add_keys("k" + std::to_string(i));
    models_["c"].Erase("k" + std::to_string(i));
  }
  v1::DeleteResponse dresp;
  ASSERT_TRUE(primary_->client()
                  ->stub()
                  ->Delete(primary_->client()->Context().get(), del, &dresp)
                  .ok());
  WaitForCatchUp();
  CheckWorker(&rng);

  v1::FlushRequest flush;
  v1::FlushResponse fresp;
  ASSERT_TRUE(primary_->client()
                  ->stub()
                  ->Flush(primary_->client()->Context().get(), flush, &fresp)
                  .ok());
  v1::TrainRequest train;
  train.set_collection("c");
  train.set_num_buckets(8);
  v1::TrainResponse trained;
  ASSERT_TRUE(primary_->client()
                  ->stub()
                  ->Train(primary_->client()->Context().get(), train, &trained)
                  .ok());
  Upsert(700, 100, &rng);
  WaitForCatchUp();
  // The worker re-attached with the primary's new codebook.
  EXPECT_EQ(Epoch(WorkerStats()), trained.codebook_epoch());
  CheckWorker(&rng);
  CheckWorker(&rng, /*nprobe=*/1000);

  // Read-only: writes are FAILED_PRECONDITION, reads of Get work.
  EXPECT_EQ(worker_->client()
                ->Upsert("c", {MakeRecord("x", RandomVector(&rng, kDim), "")})
                .error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(worker_->client()->Create("d", kDim).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  v1::GetResponse got;
  ASSERT_TRUE(worker_->client()->Get("c", {"k1", "k3", "k799"}, &got).ok());
  EXPECT_TRUE(got.results(0).found());
  EXPECT_FALSE(got.results(1).found());
  EXPECT_TRUE(got.results(2).found());
  v1::HealthRequest hreq;
  v1::HealthResponse health;
  ASSERT_TRUE(worker_->client()
                  ->stub()
                  ->Health(worker_->client()->Context().get(), hreq, &health)
                  .ok());
  EXPECT_EQ(health.role(), "worker");
}

TEST_F(WorkerTest, WorkerAndPrimaryRestartsLoseNothing) {
  ASSERT_TRUE(primary_->client()->Create("c", kDim).ok());
  std::mt19937 rng(2);
  Upsert(0, 300, &rng);
  StartWorker();
  // A worker restart.
  ASSERT_OK(worker_->Stop());
  Upsert(300, 100, &rng);
  StartWorker();
  CheckWorker(&rng);
  // A primary restart while the worker runs: the worker keeps serving what
  // it has, and catches up with what the restarted primary acknowledges.
  ASSERT_OK(primary_->Stop());
  CheckWorker(&rng);
  StartPrimary();
  Upsert(400, 100, &rng);
  WaitForCatchUp();
  CheckWorker(&rng);
}

// Searches of the worker in a loop until stopped: every status code seen;
// those of collection "c" also checked against brute force over `model`
// (which the test does not change meanwhile).
class SearchLoop {
 public:
  SearchLoop(Client* client, const std::string& collection,
             const RecordModel* model)
      : thread_([=] {
          std::mt19937 rng(7);
          while (!stop_.load()) {
            const std::vector<float> query = RandomVector(&rng, kDim);
            v1::SearchResponse resp;
            grpc::Status st =
                client->Search(collection, query, Exhaustive(10), &resp);
            std::lock_guard<std::mutex> lock(mu_);
            codes_.insert(st.error_code());
            if (st.ok() && model != nullptr &&
                Hits(resp) != BruteForce(model->vectors, query, 10)) {
              ++wrong_;
            }
            ++searches_;
          }
        }) {}
  ~SearchLoop() { Stop(); }
  void Stop() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
  }
  std::set<grpc::StatusCode> codes() {
    std::lock_guard<std::mutex> lock(mu_);
    return codes_;
  }
  int wrong() {
    std::lock_guard<std::mutex> lock(mu_);
    return wrong_;
  }
  int searches() {
    std::lock_guard<std::mutex> lock(mu_);
    return searches_;
  }

 private:
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::set<grpc::StatusCode> codes_;
  int wrong_ = 0;
  int searches_ = 0;
  std::thread thread_;  // last: starts after the fields it uses
};

TEST_F(WorkerTest, ServesCollectionsThePrimaryCreatesAndForgetsDropped) {
  std::mt19937 rng(3);
  StartOnCollection(300, &rng);
  // A snapshot token of the worker before it reopens its database.
  v1::CreateSnapshotResponse snap;
  ASSERT_TRUE(worker_->client()
                  ->stub()
                  ->CreateSnapshot(worker_->client()->Context().get(),
                                   v1::CreateSnapshotRequest(), &snap)
                  .ok());
  const RecordModel at_snapshot = models_["c"];

  // Searches run throughout: those of "c" always succeed and are exact;
  // those of "later" may only be NOT_FOUND while it does not exist.
  SearchLoop on_c(worker_->client(), "c", &at_snapshot);
  SearchLoop on_later(worker_->client(), "later", nullptr);

  ASSERT_TRUE(primary_->client()->Create("later", kDim).ok());
  Upsert(0, 200, &rng, "later");
  const auto give_up =
      std::chrono::steady_clock::now() + std::chrono::seconds(20);
  v1::SearchResponse resp;
  while (!worker_->client()
              ->Search("later", RandomVector(&rng, kDim), Exhaustive(1), &resp)
              .ok()) {
    ASSERT_LT(std::chrono::steady_clock::now(), give_up)
        << "the worker does not serve a collection the primary created";
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  WaitForCatchUp();
  CheckWorker(&rng, 0, "later");
  v1::StatsResponse stats = WorkerStats();
  EXPECT_GE(stats.reopens(), 1u);
  EXPECT_EQ(stats.unserved_collections(), 0u);
  EXPECT_EQ(stats.collections_size(), 2);

  // The searches of "c" spanned the reopen ("c" changes from here on).
  on_c.Stop();
  EXPECT_GT(on_c.searches(), 0);
  EXPECT_EQ(on_c.codes(), std::set<grpc::StatusCode>{grpc::StatusCode::OK});
  EXPECT_EQ(on_c.wrong(), 0);

  // The token taken before the reopen reads its snapshot, not later writes.
  Upsert(300, 100, &rng);
  WaitForCatchUp();
  CheckWorker(&rng);
  CheckWorker(&rng, 0, "c", &at_snapshot, snap.snapshot_token());

  v1::DropCollectionRequest drop;
  drop.set_name("later");
  v1::DropCollectionResponse dropped;
  ASSERT_TRUE(
      primary_->client()
          ->stub()
          ->DropCollection(primary_->client()->Context().get(), drop, &dropped)
          .ok());
  EXPECT_EQ(worker_->client()
                ->GetUntil(grpc::StatusCode::NOT_FOUND, "later", "k1")
                .error_code(),
            grpc::StatusCode::NOT_FOUND);
  WaitForCatchUp();
  EXPECT_EQ(WorkerStats().collections_size(), 1);

  on_later.Stop();
  for (grpc::StatusCode code : on_later.codes()) {
    EXPECT_TRUE(code == grpc::StatusCode::OK ||
                code == grpc::StatusCode::NOT_FOUND)
        << "a search of the created, then dropped collection failed with "
        << code;
  }
  EXPECT_TRUE(on_later.codes().count(grpc::StatusCode::OK));
}

}  // namespace
}  // namespace test
}  // namespace server
}  // namespace drift
