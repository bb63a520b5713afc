#include "util/parallel.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <vector>

namespace drift {
namespace {

using rocksdb::Status;

TEST(ParallelForTest, RunsEveryIndexOnce) {
  for (unsigned threads : {0u, 1u, 2u, 4u}) {
    for (size_t n : {0, 1, 2, 7, 1000}) {
      std::vector<std::atomic<int>> hits(n);
      ParallelFor(n, threads, [&](size_t i) { hits[i].fetch_add(1); });
      for (size_t i = 0; i < n; ++i) EXPECT_EQ(hits[i].load(), 1) << i;
    }
  }
}

TEST(OrderedPipelineTest, ConsumesInOrderWithinTheWindow) {
  for (unsigned threads : {1u, 2u, 3u}) {
    for (size_t window : {1, 2, 5}) {
      const size_t n = 200;
      std::vector<int> produced(n, 0);
      std::vector<size_t> order;
      std::mutex mu;
      size_t in_flight = 0, max_in_flight = 0;  // produced, not consumed
      Status s = OrderedPipeline(
          n, threads, window,
          [&](size_t i) {
            produced[i] = static_cast<int>(i) * 3;
            std::lock_guard<std::mutex> lock(mu);
            max_in_flight = std::max(max_in_flight, ++in_flight);
            return Status::OK();
          },
          [&](size_t i) {
            EXPECT_EQ(produced[i], static_cast<int>(i) * 3);
            order.push_back(i);
            std::lock_guard<std::mutex> lock(mu);
            --in_flight;
            return Status::OK();
          });
      ASSERT_TRUE(s.ok()) << s.ToString();
      ASSERT_EQ(order.size(), n);
      for (size_t i = 0; i < n; ++i) EXPECT_EQ(order[i], i);
      EXPECT_LE(max_in_flight, window);
    }
  }
}

TEST(OrderedPipelineTest, FirstErrorInTaskOrderWins) {
  for (unsigned threads : {1u, 2u, 4u}) {
    const size_t n = 100;
    std::atomic<size_t> consumed{0};
    Status s = OrderedPipeline(
        n, threads, 4,
        [&](size_t i) {
          if (i == 40) return Status::Corruption("task 40");
          if (i == 41) return Status::IOError("task 41");
          return Status::OK();
        },
        [&](size_t i) {
          EXPECT_LT(i, 40u);
          consumed.fetch_add(1);
          return Status::OK();
        });
    EXPECT_TRUE(s.IsCorruption()) << s.ToString();
    EXPECT_EQ(consumed.load(), 40u);
  }
}

TEST(OrderedPipelineTest, ConsumeErrorStops) {
  for (unsigned threads : {1u, 2u}) {
    std::atomic<size_t> produced{0};
    size_t consumed = 0;
    Status s = OrderedPipeline(
        1000, threads, 3,
        [&](size_t) {
          produced.fetch_add(1);
          return Status::OK();
        },
        [&](size_t i) {
          ++consumed;
          return i == 10 ? Status::IOError("disk full") : Status::OK();
        });
    EXPECT_TRUE(s.IsIOError());
    EXPECT_EQ(consumed, 11u);
    EXPECT_LE(produced.load(), 11u + 3u);  // the window bounds the waste
  }
}

TEST(OrderedPipelineTest, Empty) {
  EXPECT_TRUE(OrderedPipeline(
                  0, 2, 4, [](size_t) { return Status::Corruption("no"); },
                  [](size_t) { return Status::Corruption("no"); })
                  .ok());
}

}  // namespace
}  // namespace drift
