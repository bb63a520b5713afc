// The FWHT kernels (index/fwht_kernels.h) of every ISA against the scalar
// reference (bit for bit) and the reference against the definition.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "index/kernel_table.h"
#include "util/cpu_features.h"
#include "util/dataset.h"

namespace drift {
namespace {

using internal::KernelsFor;
using internal::kScalarKernels;

// Components of widely differing magnitudes, so rounding shows.
std::vector<float> Input(size_t n, uint64_t seed) {
  std::vector<float> x = GaussianVectors(1, n, seed);
  for (size_t j = 0; j < n; ++j) x[j] *= std::ldexp(1.0f, int(j % 23) - 11);
  return x;
}

TEST(FwhtTest, EveryIsaMatchesTheScalarReferenceBitForBit) {
  for (IsaLevel level :
       {IsaLevel::kScalar, IsaLevel::kAvx2, IsaLevel::kAvx512}) {
    if (ClampToSupported(level) != level) continue;
    const auto& kernels = KernelsFor(level);
    ASSERT_EQ(kernels.level, level);
    for (size_t n = 1; n <= 4096; n *= 2) {
      for (uint64_t seed = 0; seed < 3; ++seed) {
        std::vector<float> want = Input(n, seed), got = want;
        kScalarKernels.fwht(want.data(), n);
        kernels.fwht(got.data(), n);
        ASSERT_EQ(std::memcmp(want.data(), got.data(), n * sizeof(float)), 0)
            << IsaName(level) << " n " << n << " seed " << seed;
      }
    }
  }
}

// The active table (DRIFT_ISA) too, as RabitqRotation calls it.
TEST(FwhtTest, ActiveTableMatchesTheReference) {
  std::vector<float> want = Input(1024, 9), got = want;
  kScalarKernels.fwht(want.data(), 1024);
  internal::ActiveKernels().fwht(got.data(), 1024);
  EXPECT_EQ(std::memcmp(want.data(), got.data(), 1024 * sizeof(float)), 0);
}

// (H x)_i = sum_j (-1)^popcount(i & j) x_j.
TEST(FwhtTest, ReferenceIsTheHadamardTransform) {
  for (size_t n = 1; n <= 256; n *= 2) {
    const std::vector<float> x = GaussianVectors(1, n, n);
    std::vector<float> y = x;
    kScalarKernels.fwht(y.data(), n);
    for (size_t i = 0; i < n; ++i) {
      double want = 0, scale = 0;
      for (size_t j = 0; j < n; ++j) {
        want += (__builtin_popcountll(i & j) % 2 ? -1.0 : 1.0) * x[j];
        scale += std::fabs(x[j]);
      }
      ASSERT_NEAR(y[i], want, 1e-5 * scale + 1e-6) << n << " " << i;
    }
  }
}

}  // namespace
}  // namespace drift
