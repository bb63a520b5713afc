#include "db/search_pool.h"

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace drift {
namespace {

using rocksdb::Status;

TEST(SearchPoolTest, RunsEveryTaskOnceOnSeveralThreads) {
  auto pool = NewSearchPool(3);
  for (size_t n : {0, 1, 2, 7, 500}) {
    std::vector<std::atomic<int>> runs(n);
    std::mutex mu;
    std::set<std::thread::id> threads;
    size_t failed = 0;
    Status s = RunOnPool(
        pool.get(), 3, n,
        [&](size_t i) {
          runs[i].fetch_add(1);
          std::lock_guard<std::mutex> lock(mu);
          threads.insert(std::this_thread::get_id());
          return Status::OK();
        },
        &failed);
    ASSERT_TRUE(s.ok()) << s.ToString();
    EXPECT_EQ(failed, SIZE_MAX);
    for (size_t i = 0; i < n; ++i) EXPECT_EQ(runs[i].load(), 1) << i;
    EXPECT_LE(threads.size(), 4u);
  }
}

TEST(SearchPoolTest, CallerOnlyWithoutPool) {
  std::vector<size_t> order;
  size_t failed = 0;
  Status s = RunOnPool(
      nullptr, 4, 5,
      [&](size_t i) {
        order.push_back(i);
        return Status::OK();
      },
      &failed);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(order, (std::vector<size_t>{0, 1, 2, 3, 4}));
}

TEST(SearchPoolTest, ReportsTheLowestFailingTask) {
  auto pool = NewSearchPool(2);
  for (int rep = 0; rep < 20; ++rep) {
    size_t failed = 0;
    std::atomic<size_t> ran{0};
    Status s = RunOnPool(
        pool.get(), 2, 100,
        [&](size_t i) {
          ran.fetch_add(1);
          if (i == 40 || i == 41 || i == 90) {
            return Status::Corruption("task " + std::to_string(i));
          }
          return Status::OK();
        },
        &failed);
    EXPECT_TRUE(s.IsCorruption());
    EXPECT_EQ(failed, 40u);
    EXPECT_EQ(s.ToString(), "Corruption: task 40");
    // Tasks claimed after the failure are skipped.
    EXPECT_LT(ran.load(), 100u);
  }
}

// A batch whose caller is itself a pool thread, on a pool with one thread:
// the helper job never starts before the call ends, the caller does it all.
TEST(SearchPoolTest, NoDeadlockWhenCalledFromThePool) {
  auto pool = NewSearchPool(1);
  std::atomic<bool> done{false};
  std::atomic<size_t> sum{0};
  pool->SubmitJob([&] {
    size_t failed = 0;
    Status s = RunOnPool(
        pool.get(), 1, 50,
        [&](size_t i) {
          sum.fetch_add(i);
          return Status::OK();
        },
        &failed);
    EXPECT_TRUE(s.ok());
    done = true;
  });
  for (int i = 0; i < 1000 && !done; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_TRUE(done.load());
  EXPECT_EQ(sum.load(), 49u * 50 / 2);
}

}  // namespace
}  // namespace drift
