#include "index/half_float.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>

namespace drift {
namespace {

bool IsNanHalf(uint16_t h) { return (h & 0x7c00) == 0x7c00 && (h & 0x3ff); }

TEST(HalfFloatTest, EveryHalfRoundTrips) {
  for (uint32_t h = 0; h <= 0xffff; ++h) {
    const float f = HalfToFloat(static_cast<uint16_t>(h));
    if (IsNanHalf(static_cast<uint16_t>(h))) {
      EXPECT_TRUE(std::isnan(f)) << h;
      EXPECT_TRUE(IsNanHalf(FloatToHalf(f))) << h;
      continue;
    }
    ASSERT_EQ(FloatToHalf(f), h) << h << " " << f;
  }
}

TEST(HalfFloatTest, KnownValues) {
  EXPECT_EQ(HalfToFloat(0x3c00), 1.0f);
  EXPECT_EQ(HalfToFloat(0xc000), -2.0f);
  EXPECT_EQ(HalfToFloat(0x7bff), kMaxHalf);
  EXPECT_EQ(HalfToFloat(0x0001), std::ldexp(1.0f, -24));  // smallest subnormal
  EXPECT_EQ(HalfToFloat(0x0400), std::ldexp(1.0f, -14));  // smallest normal
  EXPECT_EQ(HalfToFloat(0x7c00), std::numeric_limits<float>::infinity());
  EXPECT_EQ(FloatToHalf(-0.0f), 0x8000);
  EXPECT_EQ(FloatToHalf(std::numeric_limits<float>::infinity()), 0x7c00);
  EXPECT_EQ(FloatToHalf(-std::numeric_limits<float>::infinity()), 0xfc00);
}

TEST(HalfFloatTest, RoundsToNearestTiesToEven) {
  const float step = std::ldexp(1.0f, -10);             // of halves in [1, 2)
  EXPECT_EQ(FloatToHalf(1.0f + step / 2), 0x3c00);      // tie: to even 1
  EXPECT_EQ(FloatToHalf(1.0f + 3 * step / 2), 0x3c02);  // tie: up to even
  EXPECT_EQ(FloatToHalf(std::nextafter(1.0f + step / 2, 2.0f)), 0x3c01);
  EXPECT_EQ(FloatToHalf(2.0f - step / 4), 0x4000);  // carries into exponent
  // Overflow: 65520 is the midpoint between 65504 and 2^16, ties away from
  // the odd 0x7bff to infinity.
  EXPECT_EQ(FloatToHalf(65519.0f), 0x7bff);
  EXPECT_EQ(FloatToHalf(65520.0f), 0x7c00);
  EXPECT_EQ(FloatToHalf(-1e9f), 0xfc00);
  // Subnormals, in steps of 2^-24.
  EXPECT_EQ(FloatToHalf(std::ldexp(1.0f, -25)), 0x0000);  // tie: to even 0
  EXPECT_EQ(FloatToHalf(std::ldexp(3.0f, -25)), 0x0002);  // tie: up to 2
  EXPECT_EQ(FloatToHalf(std::ldexp(1.0f, -30)), 0x0000);
  EXPECT_EQ(FloatToHalf(-std::ldexp(5.0f, -24)), 0x8005);
  EXPECT_EQ(FloatToHalf(std::ldexp(1023.5f, -24)), 0x0400);  // to normal
}

// Random floats of every magnitude a half covers: the half chosen is the
// nearest, no neighbour is nearer.
TEST(HalfFloatTest, ChoosesTheNearestHalf) {
  std::mt19937 rng(7);
  // Up to 2^15.99 < 65504: beyond 65520 the nearest is infinity (above).
  std::uniform_real_distribution<float> exponent(-26.0f, 15.99f);
  for (int i = 0; i < 200000; ++i) {
    const float x = std::exp2(exponent(rng)) * (rng() % 2 ? 1.0f : -1.0f);
    const uint16_t h = FloatToHalf(x);
    const double err = std::fabs(double{HalfToFloat(h)} - x);
    for (int delta : {-1, 1}) {
      const uint16_t n = static_cast<uint16_t>(h + delta);
      if ((n & 0x7fff) > 0x7c00 || ((n ^ h) & 0x8000)) continue;  // NaN/sign
      ASSERT_LE(err, std::fabs(double{HalfToFloat(n)} - x)) << x << " " << h;
    }
  }
}

}  // namespace
}  // namespace drift
