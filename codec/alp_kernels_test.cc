// The per-ISA ALP loops: DRIFT_ISA chooses them (ctest runs this binary once
// per level) and every table computes the same bytes and bits as the scalar
// one, so encoded data and decoded values never depend on the machine.
#include "codec/alp_kernels.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

namespace drift {
namespace alp {
namespace {

std::vector<IsaLevel> RunnableIsas() {
  std::vector<IsaLevel> out;
  for (IsaLevel l : {IsaLevel::kScalar, IsaLevel::kAvx2, IsaLevel::kAvx512}) {
    if (ClampToSupported(l) == l) out.push_back(l);
  }
  return out;
}

TEST(AlpKernels, ActiveTableFollowsDriftIsa) {
  const IsaLevel want =
      ActiveIsa() >= IsaLevel::kAvx2 ? IsaLevel::kAvx2 : IsaLevel::kScalar;
  EXPECT_EQ(ActiveAlpKernels().level, want) << IsaName(ActiveIsa());
}

TEST(AlpKernels, EveryIsaComputesTheScalarResult) {
  const AlpKernels& ref = kAlpScalarKernels;
  std::mt19937_64 rng(1);
  for (int trial = 0; trial < 300; ++trial) {
    const size_t n = 1 + rng() % kAlpBlockValues;
    const unsigned width = static_cast<unsigned>(rng() % 33);
    std::vector<uint32_t> v(n);
    const uint32_t base = static_cast<uint32_t>(rng());
    for (auto& x : v) {
      const uint64_t r = width == 32 ? rng() : rng() % (uint64_t{1} << width);
      x = base + static_cast<uint32_t>(r);
    }
    uint8_t want[kMaxPackedBytes];
    const size_t want_size = ref.pack_uints(v.data(), n, want);
    const int d = static_cast<int>(rng() % 21) - 10;
    std::vector<float> want_f(n), got_f(n);
    ref.ints_to_floats(v.data(), n, base, d, want_f.data());
    uint32_t dict[kRdMaxDict];
    for (auto& e : dict) e = static_cast<uint32_t>(rng() % 4);
    const unsigned r = 30 + static_cast<unsigned>(rng() % 2);
    std::vector<uint32_t> want_i(n), want_r(n), got_i(n), got_r(n);
    ref.rd_split(v.data(), n, dict, r, want_i.data(), want_r.data());
    for (IsaLevel isa : RunnableIsas()) {
      const AlpKernels& k = AlpKernelsFor(isa);
      SCOPED_TRACE(IsaName(isa));
      uint8_t got[kMaxPackedBytes];
      ASSERT_EQ(k.pack_uints(v.data(), n, got), want_size);
      ASSERT_EQ(std::memcmp(got, want, want_size), 0);
      k.ints_to_floats(v.data(), n, base, d, got_f.data());
      ASSERT_EQ(std::memcmp(got_f.data(), want_f.data(), 4 * n), 0);
      k.rd_split(v.data(), n, dict, r, got_i.data(), got_r.data());
      ASSERT_EQ(got_i, want_i);
      ASSERT_EQ(got_r, want_r);
      // Lane words of full rows (5-byte header, uniform widths: no nibbles).
      const size_t rows = n / kLanes;
      if (rows > 0 && width > 0 && !(got[4] & kNibbleFlag)) {
        const unsigned w = got[4] & 0x3F;
        std::vector<uint8_t> widths(rows, static_cast<uint8_t>(w));
        const size_t words = (rows * w + 31) / 32;
        if (words == 0) continue;
        std::vector<uint32_t> a(rows * kLanes), b(rows * kLanes);
        ref.unpack_rows(got + 5, words, rows, widths.data(), a.data());
        k.unpack_rows(got + 5, words, rows, widths.data(), b.data());
        ASSERT_EQ(a, b);
        uint32_t min = v[0];
        for (uint32_t x : v) min = x < min ? x : min;
        for (size_t i = 0; i < rows * kLanes; ++i) ASSERT_EQ(a[i], v[i] - min);
      }
    }
  }
}

}  // namespace
}  // namespace alp
}  // namespace drift
