// drift_server --role=worker: a RocksDB secondary instance of a primary's
// database serving reads. Every write the primary acknowledged before a
// worker's catch-up is in the worker's next search (exact under exhaustive
// effort), the worker follows the primary's codebook, refuses writes, and
// survives its own and the primary's restart.
#include <gtest/gtest.h>

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
  void Upsert(int first, int n, std::mt19937* rng) {
    std::vector<v1::Record> records;
    for (int i = first; i < first + n; ++i) {
      records.push_back(MakeRecord("k" + std::to_string(i),
                                   RandomVector(rng, kDim),
                                   "p" + std::to_string(i)));
    }
    ASSERT_TRUE(primary_->client()->Upsert("c", records).ok());
    for (const auto& r : records) model_.Upsert(r);
  }
  // The worker's exhaustive searches equal brute force over the model, with
  // its payloads.
  void CheckWorker(std::mt19937* rng, uint32_t nprobe = 0) {
    for (int q = 0; q < 8; ++q) {
      const std::vector<float> query = RandomVector(rng, kDim);
      v1::SearchParams p = Effort(10, nprobe);
      p.set_include_payloads(true);
      v1::SearchResponse resp;
      grpc::Status st = worker_->client()->Search("c", query, p, &resp);
      ASSERT_TRUE(st.ok()) << st.error_message();
      ASSERT_EQ(Hits(resp), BruteForce(model_.vectors, query, 10));
      for (const auto& h : resp.hits()) {
        EXPECT_EQ(h.payload(), model_.payloads.at(h.key()));
      }
    }
  }
  uint64_t Epoch(const v1::StatsResponse& stats) {
    return std::stoull(stats.collections(0).index_stats().at("codebook_epoch"));
  }

  InProcessServer* const primary_ = NewServer();
  InProcessServer* const worker_ = NewServer();
  RecordModel model_;
};

TEST_F(WorkerTest, FollowsThePrimaryExactlyAndRefusesWrites) {
  ASSERT_TRUE(primary_->client()->Create("c", kDim).ok());
  std::mt19937 rng(1);
  Upsert(0, 400, &rng);
  StartWorker();
  CheckWorker(&rng);

  // Acknowledged writes (memtable only, then flushed and trained) are in the
  // worker's next search after its next catch-up.
  Upsert(400, 300, &rng);
  v1::DeleteRequest del;
  del.set_collection("c");
  for (int i = 0; i < 100; i += 3) {
    del.add_keys("k" + std::to_string(i));
    model_.Erase("k" + std::to_string(i));
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
  // A collection the primary creates later is reported, not served, until
  // the worker restarts.
  ASSERT_TRUE(primary_->client()->Create("later", kDim).ok());
  WaitForCatchUp();
  EXPECT_EQ(WorkerStats().unserved_collections(), 1u);
}

}  // namespace
}  // namespace test
}  // namespace server
}  // namespace drift
