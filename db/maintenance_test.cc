// Maintenance's life cycle and scheduling (db/maintenance.cc): the first
// codebook trained in the background after a flush, the thread's CPU
// priority, Close stopping a paced re-bucketing, and maintenance waiting for
// writes to pause (up to its cap).
#include <sched.h>
#include <sys/resource.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <memory>
#include <thread>

#include "tests/vector_index_fixture.h"

namespace drift {
namespace {

using test::Model;

// Writes one vector every 5 ms from its own thread until destroyed.
class TrickleWriter {
 public:
  explicit TrickleWriter(VectorIndex* index)
      : thread_([this, index] {
          std::mt19937 rng(77);
          std::uniform_real_distribution<float> u(-1, 1);
          for (int i = 0; !stop_; ++i) {
            std::vector<float> v(8);
            for (float& x : v) x = u(rng);
            const rocksdb::Status s =
                index->Put(rocksdb::WriteOptions(), "t" + std::to_string(i), v);
            EXPECT_TRUE(s.ok()) << s.ToString();
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
          }
        }) {}
  ~TrickleWriter() {
    stop_ = true;
    thread_.join();
  }

 private:
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// Waits up to 30 s for the first codebook.
bool WaitForFirstCodebook(VectorIndex* index) {
  for (int i = 0; i < 600 && index->codebook_epoch() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return index->codebook_epoch() > 0;
}

class MaintenanceTest : public test::VectorIndexFixture {
 protected:
  // With maintenance waiting for writes to pause for quiet_ms (at most
  // max_defer_ms): OpenWithUntrainedVectors(seed), a TrickleWriter, then a
  // flush, which requests the first training. Returns the writer.
  std::unique_ptr<TrickleWriter> FlushUnderTrickleWrites(uint32_t quiet_ms,
                                                         uint32_t max_defer_ms,
                                                         uint32_t seed) {
    maintenance_quiet_ms_ = quiet_ms;
    maintenance_max_defer_ms_ = max_defer_ms;
    OpenWithUntrainedVectors(seed);
    auto writes = std::make_unique<TrickleWriter>(index_.get());
    EXPECT_OK(db_->Flush(rocksdb::FlushOptions(), handles_[1]));
    return writes;
  }
  // Waits for the first codebook (30 s at most), then its statistics.
  void StatsOfFirstCodebook(IndexStats* stats) {
    ASSERT_TRUE(WaitForFirstCodebook(index_.get()));
    ASSERT_OK(index_->GetStats(stats));
  }
};

TEST_F(MaintenanceTest, AutoTrainAfterFirstFlush) {
  Open(8, /*bucket_size=*/64, /*file_size=*/1 << 20);
  std::mt19937 rng(11);
  Model model;
  for (int i = 0; i < 2000; ++i) {
    const std::string k = "k" + std::to_string(i);
    model[k] = RandomVector(&rng, 1000);
    ASSERT_OK(index_->Put(rocksdb::WriteOptions(), k, model[k]));
  }
  ASSERT_OK(db_->Flush(rocksdb::FlushOptions(), handles_[1]));
  // The flush wrote a segment without a codebook: the background trainer
  // trains, persists, publishes and re-buckets.
  ASSERT_TRUE(WaitForFirstCodebook(index_.get()));
  ASSERT_EQ(index_->codebook_epoch(), 1u);
  ExpectExact(model, nullptr, &rng);
  // Close while idle and reopen: the codebook is the persisted one.
  Close();
  Open(8, 64, 1 << 20);
  EXPECT_EQ(index_->codebook_epoch(), 1u);
  ExpectExact(model, nullptr, &rng);
}

TEST_F(MaintenanceTest, MaintenanceThreadRunsAtItsCpuPriority) {
  struct Case {
    rocksdb::CpuPriority priority;
    int nice, policy;  // nice: only for kLow (SCHED_IDLE keeps it)
  };
  for (const Case c : {Case{rocksdb::CpuPriority::kLow, 19, SCHED_OTHER},
                       Case{rocksdb::CpuPriority::kIdle, 0, SCHED_IDLE}}) {
    errno = 0;
    const int own_nice = getpriority(PRIO_PROCESS, 0);
    maintenance_cpu_priority_ = c.priority;
    Open(8);
    int nice = -100, policy = -1;
    // The thread sets its own priority as it starts.
    const int want_nice =
        c.priority == rocksdb::CpuPriority::kIdle ? own_nice : c.nice;
    for (int i = 0;
         i < 500 && !(test::ThreadScheduling("drift-maint", &nice, &policy) &&
                      nice == want_nice && policy == c.policy);
         ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_EQ(nice, want_nice);
    EXPECT_EQ(policy, c.policy);
    Close();
    test::RemoveDir(dir_);
    // Only that thread: the test's own kept its priority.
    EXPECT_EQ(getpriority(PRIO_PROCESS, 0), own_nice);
    EXPECT_EQ(sched_getscheduler(0), SCHED_OTHER);
  }
}

TEST_F(MaintenanceTest, AttachRejectsAnInvalidCpuPriority) {
  rocksdb::ColumnFamilyOptions vec = VectorColumnFamilyOptions(8);
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  ASSERT_OK(
      test::OpenWithVectorCf(dir_, rocksdb::DBOptions(), vec, &db, &handles));
  VectorIndexOptions vopts;
  vopts.dimension = 8;
  vopts.maintenance_cpu_priority = static_cast<rocksdb::CpuPriority>(9);
  std::unique_ptr<VectorIndex> index;
  const rocksdb::Status s =
      VectorIndex::Attach(db.get(), handles[1], vopts, &index);
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_NE(s.ToString().find("maintenance_cpu_priority"), std::string::npos)
      << s.ToString();
  for (auto* h : handles) EXPECT_OK(db->DestroyColumnFamilyHandle(h));
}

TEST_F(MaintenanceTest, CloseStopsAPacedRebucketing) {
  auto_train_ = false;
  disable_auto_compactions_ = true;
  janitor_bytes_per_sec_ = 10 << 10;  // megabytes would take minutes
  Open(16, 64, /*file_size=*/128 << 10);
  std::mt19937 rng(29);
  for (int i = 0; i < 4000; ++i) {
    ASSERT_OK(index_->Put(rocksdb::WriteOptions(), "c" + std::to_string(i),
                          RandomVector(&rng, 1000)));
  }
  ASSERT_OK(db_->Flush(rocksdb::FlushOptions(), handles_[1]));
  rocksdb::Status trained;
  const auto start = std::chrono::steady_clock::now();
  std::thread train([&] {
    TrainOptions t;
    t.rebucket = true;
    trained = index_->Train(t);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_OK(index_->Close());
  train.join();
  EXPECT_TRUE(trained.IsIncomplete()) << trained.ToString();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST_F(MaintenanceTest, MaintenanceWaitsForWritesToPause) {
  {
    const auto writes = FlushUnderTrickleWrites(300, 60000, 31);
    // The first training waits for a pause.
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    EXPECT_EQ(index_->codebook_epoch(), 0u);
  }
  IndexStats stats;
  StatsOfFirstCodebook(&stats);
  EXPECT_GE(stats.maintenance_deferrals, 1u);
  EXPECT_EQ(stats.maintenance_deferrals_capped, 0u);
  EXPECT_GE(stats.maintenance_defer_micros, 1000000u);
  std::string text;
  ASSERT_OK(index_->GetProperty("drift.stats", &text));
  EXPECT_NE(text.find("maintenance checks deferred for writes: "),
            std::string::npos);
}

TEST_F(MaintenanceTest, MaintenanceStartsAtTheDeferralCapUnderSustainedWrites) {
  // Writes never pause for 2 s: the training starts after 300 ms anyway.
  const auto writes = FlushUnderTrickleWrites(2000, 300, 37);
  IndexStats stats;
  StatsOfFirstCodebook(&stats);
  EXPECT_GE(stats.maintenance_deferrals_capped, 1u);
}

}  // namespace
}  // namespace drift
