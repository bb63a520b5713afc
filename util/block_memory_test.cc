#include "util/block_memory.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <set>
#include <thread>
#include <vector>

namespace drift {
namespace {

TEST(BlockMemoryTest, HugePageBlocksAreDistinctWritableAndReused) {
  std::vector<BlockMemory> blocks;
  std::set<char*> seen;
  for (size_t bytes : {1u, 63u, 64u, 3136u, 40000u, 262144u}) {
    for (int i = 0; i < 50; ++i) {
      blocks.push_back(AllocateBlockMemory(bytes, /*huge_pages=*/true));
      EXPECT_EQ(blocks.back().get_deleter().size_class != 0,
                HugePageRegionsEnabled());
      std::memset(blocks.back().get(), i, bytes);
      EXPECT_TRUE(seen.insert(blocks.back().get()).second);
    }
  }
  // Every block kept its bytes: none overlaps another.
  size_t b = 0;
  for (size_t bytes : {1u, 63u, 64u, 3136u, 40000u, 262144u}) {
    for (int i = 0; i < 50; ++i, ++b) {
      const char* p = blocks[b].get();
      for (size_t j = 0; j < bytes; j += 61) {
        ASSERT_EQ(p[j], static_cast<char>(i)) << bytes << " " << i;
      }
    }
  }
  if (!HugePageRegionsEnabled()) return;
  EXPECT_GE(HugePageRegionBytes(), size_t{32} << 20);
  // A freed block is the next one of its size class.
  char* freed = blocks[150].get();  // a 3136-byte block
  blocks[150].reset();
  EXPECT_EQ(AllocateBlockMemory(3136, true).get(), freed);
}

TEST(BlockMemoryTest, LargeAndPlainBlocksComeFromNew) {
  EXPECT_EQ(
      AllocateBlockMemory(kMaxHugePageBlock + 1, true).get_deleter().size_class,
      0u);
  EXPECT_EQ(AllocateBlockMemory(100, false).get_deleter().size_class, 0u);
  BlockMemory empty = AllocateBlockMemory(0, true);
  EXPECT_EQ(empty.get_deleter().size_class, 0u);
}

TEST(BlockMemoryTest, ThreadsAllocateAndFreeConcurrently) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t] {
      std::vector<BlockMemory> mine;
      for (int i = 0; i < 2000; ++i) {
        mine.push_back(AllocateBlockMemory(64 + (i % 7) * 1000, true));
        mine.back()[0] = static_cast<char>(t);
        if (i % 3 == 0) mine.erase(mine.begin());
      }
      for (const BlockMemory& m : mine) ASSERT_EQ(m[0], static_cast<char>(t));
    });
  }
  for (std::thread& t : threads) t.join();
}

}  // namespace
}  // namespace drift
