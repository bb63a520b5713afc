// IEEE 754 binary16 ("half") conversions, scalar and exact: HalfToFloat is
// exact for every half, FloatToHalf rounds to nearest, ties to even (as
// VCVTPS2PH with the default rounding), overflowing to infinity. The SIMD
// kernels convert with F16C/AVX-512 instructions, which agree bit for bit.
#pragma once

#include <cstdint>

namespace drift {

float HalfToFloat(uint16_t h);
uint16_t FloatToHalf(float f);

// The largest finite half.
constexpr float kMaxHalf = 65504.0f;

}  // namespace drift
