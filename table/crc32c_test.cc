// Block checksums: the SSE4.2 path and the portable one give RocksDB's
// crc32c, and DRIFT_ISA chooses between them (ctest runs this binary once per
// ISA level; DRIFT_ISA=scalar must take the portable path).
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "table/drift_format.h"
#include "table/rocksdb_internals.h"  // crc32c::Value, the reference
#include "util/cpu_features.h"

namespace drift {
namespace {

TEST(Crc32cTest, PathFollowsDriftIsa) {
  const bool sse42 = __builtin_cpu_supports("sse4.2");
  EXPECT_EQ(Crc32cUsesSse42(), sse42 && ActiveIsa() != IsaLevel::kScalar)
      << IsaName(ActiveIsa());
}

TEST(Crc32cTest, MatchesRocksDbAtEveryLengthAndAlignment) {
  EXPECT_EQ(Crc32c("123456789", 9), 0xE3069283u);  // The CRC-32C check value.
  std::mt19937 rng(1);
  std::string buf(600, '\0');
  for (char& c : buf) c = static_cast<char>(rng());
  for (size_t offset = 0; offset < 8; ++offset) {
    for (size_t n = 0; n + offset <= 520; ++n) {
      ASSERT_EQ(Crc32c(buf.data() + offset, n),
                rocksdb::crc32c::Value(buf.data() + offset, n))
          << "offset " << offset << " length " << n;
    }
  }
}

}  // namespace
}  // namespace drift
