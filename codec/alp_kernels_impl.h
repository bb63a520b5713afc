// Internal: the bodies of the per-ISA ALP loops (alp_kernels.h). Include only
// from alp_kernels_<isa>.cc. Same linkage rule as index/simd_ops.h: everything
// here has internal linkage and uses no std template or inline function with
// vague linkage, or the linker could pick the AVX2 copy for a caller on a CPU
// without AVX2.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "codec/alp_kernels.h"

namespace drift {
namespace alp {
namespace {

inline size_t MinSize(size_t a, size_t b) { return a < b ? a : b; }
inline uint32_t MinU32(uint32_t a, uint32_t b) { return a < b ? a : b; }
inline unsigned MaxUnsigned(unsigned a, unsigned b) { return a > b ? a : b; }
inline unsigned Width(uint32_t x) {
  return x == 0 ? 0 : 32 - static_cast<unsigned>(__builtin_clz(x));
}
inline size_t LaneWords(size_t lane_bits) { return (lane_bits + 31) / 32; }
inline size_t TailBytes(size_t k, unsigned w) { return (k * w + 7) / 8; }

// `dst` is zeroed and has kSlack bytes of room past the tail.
void PackTail(const uint32_t* v, size_t k, unsigned w, uint8_t* dst) {
  for (size_t j = 0; j < k; ++j) {
    const size_t bit = j * w;
    uint64_t word;
    std::memcpy(&word, dst + bit / 8, 8);
    word |= static_cast<uint64_t>(v[j]) << (bit % 8);
    std::memcpy(dst + bit / 8, &word, 8);
  }
}

// Packs `rows` rows with widths `w[r]` into `words` zeroed lane words.
void PackRows(const uint32_t* v, size_t rows, const uint8_t* w,
              uint32_t* words) {
  size_t off = 0;
  for (size_t r = 0; r < rows; off += w[r], ++r) {
    const size_t k = off / 32;
    const unsigned s = off % 32;
    for (size_t l = 0; l < kLanes; ++l) {
      const uint32_t x = v[r * kLanes + l];
      words[k * kLanes + l] |= x << s;
      if (s + w[r] > 32) words[(k + 1) * kLanes + l] |= x >> (32 - s);
    }
  }
}

// Unpacks `rows` rows from `words` lane words (words > 0) at `src`, reading
// only those. Branch-free: the next word is clamped to the last one, where
// its bits are masked off anyway (the field ends in the current word).
void UnpackRows(const uint8_t* __restrict src, size_t words, size_t rows,
                const uint8_t* __restrict w, uint32_t* __restrict dst) {
  const size_t last = words - 1;
  size_t off = 0;
  for (size_t r = 0; r < rows; off += w[r], ++r) {
    const size_t k = MinSize(off / 32, last);
    const unsigned s = off % 32;
    const uint32_t mask = static_cast<uint32_t>((uint64_t{1} << w[r]) - 1);
    const uint8_t* lo = src + k * 4 * kLanes;
    const uint8_t* hi = src + MinSize(k + 1, last) * 4 * kLanes;
    uint32_t* out = dst + r * kLanes;
    for (size_t l = 0; l < kLanes; ++l) {  // Vectorized (restrict: no alias).
      uint32_t a, b;
      std::memcpy(&a, lo + 4 * l, 4);
      std::memcpy(&b, hi + 4 * l, 4);
      out[l] = ((a >> s) | ((b << (31 - s)) << 1)) & mask;
    }
  }
}

// min(v[0..n)), 0 for n = 0. SSE2 has no unsigned 32-bit min, and the
// compiler's scalar loop is one long cmov dependency chain.
uint32_t MinUint(const uint32_t* v, size_t n) {
  size_t i = 0;
  uint32_t m = n ? v[0] : 0;
#if defined(__SSE2__)
  if (n >= 4) {
    const __m128i bias = _mm_set1_epi32(static_cast<int>(0x80000000u));
    __m128i acc = _mm_xor_si128(
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(v)), bias);
    for (i = 4; i + 4 <= n; i += 4) {
      const __m128i x = _mm_xor_si128(
          _mm_loadu_si128(reinterpret_cast<const __m128i*>(v + i)), bias);
      const __m128i gt = _mm_cmpgt_epi32(acc, x);
      acc = _mm_or_si128(_mm_and_si128(gt, x), _mm_andnot_si128(gt, acc));
    }
    alignas(16) uint32_t lanes[4];
    _mm_store_si128(reinterpret_cast<__m128i*>(lanes),
                    _mm_xor_si128(acc, bias));
    m = MinU32(MinU32(lanes[0], lanes[1]), MinU32(lanes[2], lanes[3]));
  }
#endif
  for (; i < n; ++i) m = MinU32(m, v[i]);
  return m;
}

// The packed form of v[0..n) at dst (see alp_bitpack.h); returns its size.
size_t PackUintsImpl(const uint32_t* v, size_t n, uint8_t* dst) {
  const uint32_t base = MinUint(v, n);
  uint32_t delta[kAlpBlockValues];
  for (size_t i = 0; i < n; ++i) delta[i] = v[i] - base;
  const size_t rows = n / kLanes, tail = n % kLanes;
  const size_t groups = rows + (tail ? 1 : 0);  // Rows plus the tail.
  uint8_t widths[kMaxRows + 1];
  unsigned max_width = 0;
  for (size_t g = 0; g < groups; ++g) {
    uint32_t bits = 0;
    for (size_t i = g * kLanes; i < MinSize(n, (g + 1) * kLanes); ++i) {
      bits |= delta[i];
    }
    widths[g] = static_cast<uint8_t>(Width(bits));
    max_width = MaxUnsigned(max_width, widths[g]);
  }
  const unsigned lo = max_width > 15 ? max_width - 15 : 0;
  size_t lane_bits = 0;
  for (size_t g = 0; g < groups; ++g) {
    widths[g] = static_cast<uint8_t>(MaxUnsigned(widths[g], lo));
    if (g < rows) lane_bits += widths[g];
  }
  const size_t uniform_bytes =
      LaneWords(rows * max_width) * 4 * kLanes + TailBytes(tail, max_width);
  const size_t nibble_bytes = (groups + 1) / 2 +
                              LaneWords(lane_bits) * 4 * kLanes +
                              TailBytes(tail, tail ? widths[rows] : 0);
  const bool nibbles = nibble_bytes < uniform_bytes;
  if (!nibbles) {
    for (size_t g = 0; g < groups; ++g) {
      widths[g] = static_cast<uint8_t>(max_width);
    }
  }
  uint8_t* p = dst;
  std::memcpy(p, &base, 4);
  p += 4;
  *p++ = static_cast<uint8_t>(max_width | (nibbles ? kNibbleFlag : 0));
  if (nibbles) {
    for (size_t g = 0; g < groups; g += 2) {
      const unsigned a = widths[g] - lo;
      const unsigned b = g + 1 < groups ? widths[g + 1] - lo : 0;
      *p++ = static_cast<uint8_t>(a | (b << 4));
    }
  } else {
    lane_bits = rows * max_width;
  }
  uint32_t words[kAlpBlockValues] = {};
  const size_t num_words = LaneWords(lane_bits) * kLanes;
  PackRows(delta, rows, widths, words);
  std::memcpy(p, words, num_words * 4);
  p += num_words * 4;
  if (tail) {
    std::memset(p, 0, 4 * kLanes + kSlack);
    PackTail(delta + rows * kLanes, tail, widths[rows], p);
    p += TailBytes(tail, widths[rows]);
  }
  return static_cast<size_t>(p - dst);
}

void IntsToFloats(const uint32_t* delta, size_t n, uint32_t base, int d,
                  float* out) {
  if (d == 0) {
    for (size_t i = 0; i < n; ++i) {
      out[i] = static_cast<float>(static_cast<int32_t>(base + delta[i]));
    }
  } else if (d > 0) {
    const double p = kInvPow10d[d];
    for (size_t i = 0; i < n; ++i) {
      out[i] = static_cast<float>(
          static_cast<double>(static_cast<int32_t>(base + delta[i])) * p);
    }
  } else {
    const float p = kPow10f[-d];
    for (size_t i = 0; i < n; ++i) {
      out[i] = static_cast<float>(static_cast<int32_t>(base + delta[i])) * p;
    }
  }
}

void RdSplit(const uint32_t* bits, size_t n, const uint32_t* dict, unsigned r,
             uint32_t* index, uint32_t* right) {
  const uint32_t right_mask = (uint32_t{1} << r) - 1;
  for (size_t i = 0; i < n; ++i) {
    const uint32_t left = bits[i] >> r;
    uint32_t t = kRdMaxDict;
    for (size_t j = kRdMaxDict; j-- > 0;) {
      t = dict[j] == left ? static_cast<uint32_t>(j) : t;
    }
    index[i] = t;
    right[i] = bits[i] & right_mask;
  }
}

constexpr AlpKernels MakeAlpKernels(IsaLevel level) {
  return AlpKernels{level, PackUintsImpl, UnpackRows, IntsToFloats, RdSplit};
}

}  // namespace
}  // namespace alp
}  // namespace drift
