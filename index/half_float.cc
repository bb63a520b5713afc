#include "index/half_float.h"

#include <cmath>
#include <cstring>

namespace drift {

float HalfToFloat(uint16_t h) {
  const uint32_t sign = uint32_t{h & 0x8000u} << 16;
  const uint32_t exponent = (h >> 10) & 0x1f;
  const uint32_t mantissa = h & 0x3ff;
  if (exponent == 0) {  // zero or subnormal: mantissa * 2^-24, exact
    const float magnitude = std::ldexp(static_cast<float>(mantissa), -24);
    return sign != 0 ? -magnitude : magnitude;
  }
  uint32_t bits;
  if (exponent == 0x1f) {  // infinity or NaN (payload kept)
    bits = sign | 0x7f800000u | (mantissa << 13);
  } else {
    bits = sign | ((exponent + 127 - 15) << 23) | (mantissa << 13);
  }
  float f;
  std::memcpy(&f, &bits, sizeof(f));
  return f;
}

uint16_t FloatToHalf(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof(bits));
  const uint16_t sign = static_cast<uint16_t>((bits >> 16) & 0x8000u);
  const uint32_t abs = bits & 0x7fffffffu;
  if (abs >= 0x7f800000u) {  // infinity, or a quiet NaN
    return sign | (abs > 0x7f800000u ? 0x7e00 : 0x7c00);
  }
  // From 65520 = 65504 + half its last step on, the nearest is infinity.
  if (abs >= 0x477ff000u) return sign | 0x7c00;
  if (abs < 0x38800000u) {  // below 2^-14: a subnormal half, in steps 2^-24
    float magnitude;
    std::memcpy(&magnitude, &abs, sizeof(magnitude));
    // Exact scaling; nearbyint rounds ties to even (default rounding mode).
    return sign |
           static_cast<uint16_t>(std::nearbyint(std::ldexp(magnitude, 24)));
  }
  // Normal: rebias the exponent, keep 10 of 23 mantissa bits, round the 13
  // dropped ones to nearest even (a carry into the exponent is right).
  uint32_t h = ((abs >> 23) - 127 + 15) << 10 | ((abs >> 13) & 0x3ff);
  const uint32_t dropped = abs & 0x1fff;
  if (dropped > 0x1000 || (dropped == 0x1000 && (h & 1) != 0)) ++h;
  return sign | static_cast<uint16_t>(h);
}

}  // namespace drift
