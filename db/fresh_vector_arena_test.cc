#include "db/fresh_vector_arena.h"

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace drift {
namespace {

DriftMemTableOptions ArenaOptions(uint32_t dim) {
  DriftMemTableOptions options;
  options.dimension = dim;
  options.graph_min_rows = 0;  // no graph: the rows alone
  return options;
}

rocksdb::Slice AsValue(const std::vector<float>& v) {
  return rocksdb::Slice(reinterpret_cast<const char*>(v.data()),
                        v.size() * sizeof(float));
}

TEST(FreshVectorArenaTest, BlocksHoldAPowerOfTwoOfRowsThatFitTheTarget) {
  for (uint32_t dim : {1u, 4u, 64u, 100u, 128u, 784u, 960u, 4096u, 100000u}) {
    const size_t rows = size_t{1} << FreshVectorArena::BlockShift(dim);
    EXPECT_GE(rows, FreshVectorArena::kMinRowsPerBlock) << dim;
    EXPECT_LE(rows, FreshVectorArena::kMaxRowsPerBlock) << dim;
    const size_t row_bytes = size_t{dim} * sizeof(float);
    // The largest such count: twice as many would pass the target or the cap.
    if (rows > FreshVectorArena::kMinRowsPerBlock) {
      EXPECT_LE(rows * row_bytes, FreshVectorArena::kTargetBlockBytes) << dim;
    }
    EXPECT_TRUE(2 * rows > FreshVectorArena::kMaxRowsPerBlock ||
                2 * rows * row_bytes > FreshVectorArena::kTargetBlockBytes)
        << dim;
  }
  EXPECT_EQ(size_t{1} << FreshVectorArena::BlockShift(784), 64u);
  EXPECT_EQ(size_t{1} << FreshVectorArena::BlockShift(64), 1024u);
}

TEST(FreshVectorArenaTest, RowsReadBackAcrossBlocksAndMemoryFollowsThem) {
  const uint32_t dim = 784;
  FreshVectorArena arena(ArenaOptions(dim));
  const size_t per_block = arena.rows_per_block();
  const size_t n = 3 * per_block + 5;
  size_t last_usage = arena.MemoryUsage();
  EXPECT_EQ(last_usage, 0u);
  std::vector<float> v(dim);
  for (size_t i = 0; i < n; ++i) {
    for (uint32_t j = 0; j < dim; ++j) v[j] = static_cast<float>(i * dim + j);
    ASSERT_TRUE(arena.Append("key" + std::to_string(i), AsValue(v)));
    const size_t usage = arena.MemoryUsage();
    EXPECT_GT(usage, last_usage);  // the key, and a new block at its first row
    last_usage = usage;
  }
  // A rejected row takes no slot.
  v[3] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_FALSE(arena.Append("nan", AsValue(v)));
  ASSERT_EQ(arena.size(), n);
  // Four blocks of vectors (the last one partly used) plus the keys.
  const size_t blocks = (n + per_block - 1) / per_block;
  EXPECT_GE(last_usage, blocks * per_block * dim * sizeof(float));
  EXPECT_LT(last_usage, (blocks + 1) * per_block * dim * sizeof(float));

  const FreshVectorArena::View view = arena.Snapshot();
  ASSERT_EQ(view.size, n);
  ASSERT_EQ(view.vector_blocks.size(), blocks);
  for (size_t i = 0; i < n; ++i) {
    EXPECT_EQ(view.key(i), "key" + std::to_string(i));
    const float* row = view.vector(i);
    for (uint32_t j = 0; j < dim; j += 97) {
      ASSERT_EQ(row[j], static_cast<float>(i * dim + j)) << i << " " << j;
    }
  }
}

// Reserve blocks are prepared ahead, taken by appends before any new
// allocation, not charged to MemoryUsage, and freed by Seal.
TEST(FreshVectorArenaTest, AppendsTakeReserveBlocksUntilSealed) {
  const uint32_t dim = 784;
  FreshVectorArena arena(ArenaOptions(dim));
  const size_t per_block = arena.rows_per_block();
  const size_t target = FreshVectorArena::kReserveBytes /
                        (per_block * FreshVectorArena::RowBytes(dim));
  ASSERT_EQ(target, 5u);  // 64 rows of 3,136 + 32 bytes a block
  EXPECT_EQ(arena.reserve_blocks(), 0u);
  EXPECT_EQ(arena.RefillReserve(), target);
  EXPECT_EQ(arena.RefillReserve(), 0u);  // full
  EXPECT_EQ(arena.reserve_blocks(), target);
  EXPECT_EQ(arena.MemoryUsage(), 0u);

  const size_t n = 2 * per_block + 1;  // three blocks
  std::vector<float> v(dim);
  for (size_t i = 0; i < n; ++i) {
    for (uint32_t j = 0; j < dim; ++j) v[j] = static_cast<float>(i + j);
    ASSERT_TRUE(arena.Append("key" + std::to_string(i), AsValue(v)));
  }
  EXPECT_EQ(arena.reserve_blocks(), target - 3);
  EXPECT_GE(arena.MemoryUsage(), 3 * per_block * dim * sizeof(float));
  EXPECT_LT(arena.MemoryUsage(), 4 * per_block * dim * sizeof(float));
  const FreshVectorArena::View view = arena.Snapshot();
  ASSERT_EQ(view.size, n);
  for (size_t i = 0; i < n; ++i) {
    for (uint32_t j = 0; j < dim; j += 61) {
      ASSERT_EQ(view.vector(i)[j], static_cast<float>(i + j)) << i;
    }
  }
  EXPECT_EQ(arena.RefillReserve(), 3u);

  arena.Seal();
  EXPECT_EQ(arena.reserve_blocks(), 0u);
  EXPECT_EQ(arena.RefillReserve(), 0u);
  arena.Seal();  // idempotent

  // Blocks over kReserveBytes have no reserve.
  FreshVectorArena wide(ArenaOptions(100000));
  EXPECT_EQ(wide.RefillReserve(), 0u);
}

}  // namespace
}  // namespace drift
