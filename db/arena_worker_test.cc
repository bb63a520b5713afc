#include "db/arena_worker.h"

#include <sched.h>
#include <sys/resource.h>

#include <cerrno>
#include <chrono>
#include <memory>
#include <thread>

#include "db/fresh_vector_arena.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace drift {
namespace {

template <typename Done>
bool WaitFor(Done done) {
  for (int i = 0; i < 1000 && !done(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return done();
}

// The prefaulter fills a registered arena's reserve, refills it after
// appends used it, and lets a sealed or destroyed arena go.
TEST(ArenaWorkerTest, PrefaulterKeepsTheReserveFull) {
  DriftMemTableOptions options;
  options.dimension = 128;
  options.graph_min_rows = 0;
  auto arena = std::make_shared<FreshVectorArena>(options);
  const size_t target =
      FreshVectorArena::kReserveBytes /
      (arena->rows_per_block() * FreshVectorArena::RowBytes(128));
  ASSERT_EQ(target, 3u);  // 512 rows of 512 + 32 bytes a block
  ArenaWorker::Prefaulter().Register(arena);
  ArenaWorker::Prefaulter().Notify();
  ASSERT_TRUE(WaitFor([&] { return arena->reserve_blocks() == target; }));

  std::vector<float> v(128, 0.5f);
  const rocksdb::Slice value(reinterpret_cast<const char*>(v.data()),
                             v.size() * sizeof(float));
  for (size_t i = 0; i < 2 * arena->rows_per_block(); ++i) {
    ASSERT_TRUE(arena->Append("k" + std::to_string(i), value));
  }
  EXPECT_TRUE(WaitFor([&] { return arena->reserve_blocks() == target; }));

  arena->Seal();
  EXPECT_EQ(arena->reserve_blocks(), 0u);
  std::weak_ptr<FreshVectorArena> weak = arena;
  arena.reset();
  // The worker holds an arena only during a pass.
  EXPECT_TRUE(WaitFor([&] { return weak.expired(); }));
}

// Both threads are named and keep the priority of the thread that started
// them (the graph indexer is not niced: searches wait for its batch's lock).
TEST(ArenaWorkerTest, ThreadsAreNamedAndKeepTheInheritedPriority) {
  DriftMemTableOptions options;
  options.dimension = 8;
  options.graph_min_rows = 16;
  auto arena = std::make_shared<FreshVectorArena>(options);
  ArenaWorker::GraphIndexer().Register(arena);
  ArenaWorker::Prefaulter().Register(arena);
  errno = 0;
  const int own_nice = getpriority(PRIO_PROCESS, 0);
  for (const char* name : {"drift-graph", "drift-prefault"}) {
    SCOPED_TRACE(name);
    int nice = -100, policy = -1;
    EXPECT_TRUE(
        WaitFor([&] { return test::ThreadScheduling(name, &nice, &policy); }));
    EXPECT_EQ(nice, own_nice);
    EXPECT_EQ(policy, SCHED_OTHER);
  }
}

}  // namespace
}  // namespace drift
