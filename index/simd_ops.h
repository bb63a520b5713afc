// Internal: per-ISA vector operations that kernels_impl.h is written against.
//
// Include only from a kernels_<isa>.cc file. Everything here has internal
// linkage: a per-ISA translation unit must not emit any symbol with vague
// linkage (inline functions, templates from std), or the linker could pick
// the AVX-512 copy for a caller on a CPU without AVX-512.
#pragma once

#include <cstddef>
#include <cstdint>

#include "index/half_float.h"
#include "index/kernel_table.h"  // kRabitqQueryBits

#if defined(__AVX2__)
// GCC 12 warns inside its own AVX-512 headers (the _mm*_undefined_* idiom,
// GCC PR 105593); the warnings point into the header, so scope them to it.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop
#endif

namespace drift {
namespace internal {
namespace {

// One float per "vector"; the fallback for any x86-64.
struct ScalarOps {
  static constexpr size_t kWidth = 1;
  static constexpr int kTileRows = 2;
  static constexpr int kTileCols = 4;
  using F = float;
  static F Zero() { return 0.0f; }
  static F Load(const float* p) { return *p; }
  static F LoadPartial(const float* p, size_t) { return *p; }  // never used
  // Halves (index/half_float.h), converted exactly.
  static F Load(const uint16_t* p) { return HalfToFloat(*p); }
  static F LoadPartial(const uint16_t* p, size_t) { return HalfToFloat(*p); }
  static F Add(F a, F b) { return a + b; }
  static F Sub(F a, F b) { return a - b; }
  static F Fmadd(F a, F b, F c) { return a * b + c; }
  static F Fnmadd(F a, F b, F c) { return c - a * b; }
  static float Sum(F v) { return v; }
  static F LoadU8(const uint8_t* p) { return static_cast<float>(*p); }
  static F GatherLut(const float* lut, const uint8_t* codes, size_t j) {
    return lut[j * 256 + codes[j]];
  }
  // The 1-bit code scan works on whole words (ScanPlanesKernel's tail).
  static constexpr size_t kPlaneBytes = ~size_t{0};
  static uint64_t PlaneBlocksDot(const uint8_t*, const uint64_t*, size_t,
                                 size_t) {
    return 0;  // never called: no block is kPlaneBytes long
  }

  static constexpr size_t kIntWidth = 1;
  using I = int64_t;
  static I IZero() { return 0; }
  static I LoadQ(const int16_t* p) { return *p; }
  static I LoadCodes(const uint8_t* p) { return *p; }
  static I SqDiffAcc(I acc, I q, I c, I w) {
    return acc + w * (q - c) * (q - c);
  }
  static int64_t ISum(I acc) { return acc; }
};

#if defined(__AVX2__) && defined(__FMA__)
inline float HorizontalSum128(__m128 v) {
  v = _mm_add_ps(v, _mm_movehl_ps(v, v));
  v = _mm_add_ss(v, _mm_movehdup_ps(v));
  return _mm_cvtss_f32(v);
}

struct Avx2Ops {
  static constexpr size_t kWidth = 8;
  // 3 x 4 accumulators + 3 rows + 1 centroid = 16 ymm registers.
  static constexpr int kTileRows = 3;
  static constexpr int kTileCols = 4;
  using F = __m256;
  static F Zero() { return _mm256_setzero_ps(); }
  static F Load(const float* p) { return _mm256_loadu_ps(p); }
  // Loads p[0, m), zeros the rest; never touches p[m, 8). Requires m < 8.
  static F LoadPartial(const float* p, size_t m) {
    static const int32_t kMask[16] = {-1, -1, -1, -1, -1, -1, -1, -1,
                                      0,  0,  0,  0,  0,  0,  0,  0};
    __m256i mask =
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(kMask + 8 - m));
    return _mm256_maskload_ps(p, mask);
  }
  // Eight halves converted exactly (F16C).
  static F Load(const uint16_t* p) {
    return _mm256_cvtph_ps(
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  }
  static F LoadPartial(const uint16_t* p, size_t m) {
    uint16_t tail[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    __builtin_memcpy(tail, p, m * sizeof(uint16_t));
    return Load(tail);
  }
  static F Add(F a, F b) { return _mm256_add_ps(a, b); }
  static F Sub(F a, F b) { return _mm256_sub_ps(a, b); }
  static F Fmadd(F a, F b, F c) { return _mm256_fmadd_ps(a, b, c); }
  static F Fnmadd(F a, F b, F c) { return _mm256_fnmadd_ps(a, b, c); }
  static float Sum(F v) {
    return HorizontalSum128(
        _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1)));
  }
  static __m256i U8x8ToI32(const uint8_t* p) {
    return _mm256_cvtepu8_epi32(
        _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)));
  }
  static F LoadU8(const uint8_t* p) { return _mm256_cvtepi32_ps(U8x8ToI32(p)); }
  static F GatherLut(const float* lut, const uint8_t* codes, size_t j) {
    const __m256i lane_rows =
        _mm256_setr_epi32(0, 256, 512, 768, 1024, 1280, 1536, 1792);
    __m256i idx = _mm256_add_epi32(U8x8ToI32(codes + j), lane_rows);
    return _mm256_i32gather_ps(lut + j * 256, idx, 4);
  }
  // Per-byte popcount (nibble table lookups).
  static __m256i Popcount8(__m256i x) {
    const __m256i table =
        _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4, 0, 1,
                         1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
    const __m256i low = _mm256_set1_epi8(0x0f);
    return _mm256_add_epi8(
        _mm256_shuffle_epi8(table, _mm256_and_si256(x, low)),
        _mm256_shuffle_epi8(table,
                            _mm256_and_si256(_mm256_srli_epi16(x, 4), low)));
  }
  // sum_j 2^j popcount(code & plane_j) over `blocks` blocks of 32 code bytes
  // (words 4b..4b+4 of each plane for block b): per byte and block at most
  // 8 * 15 = 120 (with kRabitqQueryBits = 4), so the weighted counts add up
  // in bytes; each block's sum of absolute differences adds into 64-bit
  // lanes, reduced once.
  static constexpr size_t kPlaneBytes = 32;
  static uint64_t PlaneBlocksDot(const uint8_t* code, const uint64_t* planes,
                                 size_t words, size_t blocks) {
    __m256i sums = _mm256_setzero_si256();
    for (size_t b = 0; b < blocks; ++b) {
      const __m256i c =
          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(code + 32 * b));
      __m256i acc = _mm256_setzero_si256();
      for (int j = kRabitqQueryBits - 1; j >= 0; --j) {  // acc = 2 acc + n_j
        const __m256i p = _mm256_loadu_si256(
            reinterpret_cast<const __m256i*>(planes + j * words + 4 * b));
        acc = _mm256_add_epi8(_mm256_add_epi8(acc, acc),
                              Popcount8(_mm256_and_si256(c, p)));
      }
      sums =
          _mm256_add_epi64(sums, _mm256_sad_epu8(acc, _mm256_setzero_si256()));
    }
    const __m128i half = _mm_add_epi64(_mm256_castsi256_si128(sums),
                                       _mm256_extracti128_si256(sums, 1));
    return static_cast<uint64_t>(_mm_cvtsi128_si64(half) +
                                 _mm_extract_epi64(half, 1));
  }

  static constexpr size_t kIntWidth = 16;
  using I = __m256i;
  static I IZero() { return _mm256_setzero_si256(); }
  static I LoadQ(const int16_t* p) {
    return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
  }
  static I LoadCodes(const uint8_t* p) {
    return _mm256_cvtepu8_epi16(
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  }
  // |q - c| <= 255 and w <= 128, so w * (q - c) fits int16 and each madd
  // pair is < 2^24.
  static I SqDiffAcc(I acc, I q, I c, I w) {
    I diff = _mm256_sub_epi16(q, c);
    return _mm256_add_epi32(
        acc, _mm256_madd_epi16(diff, _mm256_mullo_epi16(diff, w)));
  }
  // Lanes are non-negative int32; sums them exactly in int64.
  static int64_t ISum(I acc) {
    __m256i wide = _mm256_add_epi64(
        _mm256_cvtepi32_epi64(_mm256_castsi256_si128(acc)),
        _mm256_cvtepi32_epi64(_mm256_extracti128_si256(acc, 1)));
    __m128i half = _mm_add_epi64(_mm256_castsi256_si128(wide),
                                 _mm256_extracti128_si256(wide, 1));
    return _mm_cvtsi128_si64(half) + _mm_extract_epi64(half, 1);
  }
};
#endif  // __AVX2__ && __FMA__

#if defined(__AVX512F__) && defined(__AVX512BW__)
struct Avx512Ops {
  static constexpr size_t kWidth = 16;
  // 4 x 6 accumulators + 4 rows + 1 centroid = 29 of 32 zmm registers.
  static constexpr int kTileRows = 4;
  static constexpr int kTileCols = 6;
  using F = __m512;
  static F Zero() { return _mm512_setzero_ps(); }
  static F Load(const float* p) { return _mm512_loadu_ps(p); }
  static F LoadPartial(const float* p, size_t m) {
    return _mm512_maskz_loadu_ps(static_cast<__mmask16>((1u << m) - 1), p);
  }
  static F Load(const uint16_t* p) {
    return _mm512_cvtph_ps(
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
  }
  static F LoadPartial(const uint16_t* p, size_t m) {
    return _mm512_cvtph_ps(
        _mm256_maskz_loadu_epi16(static_cast<__mmask16>((1u << m) - 1), p));
  }
  static F Add(F a, F b) { return _mm512_add_ps(a, b); }
  static F Sub(F a, F b) { return _mm512_sub_ps(a, b); }
  static F Fmadd(F a, F b, F c) { return _mm512_fmadd_ps(a, b, c); }
  static F Fnmadd(F a, F b, F c) { return _mm512_fnmadd_ps(a, b, c); }
  static float Sum(F v) { return _mm512_reduce_add_ps(v); }
  static __m512i U8x16ToI32(const uint8_t* p) {
    return _mm512_cvtepu8_epi32(
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  }
  static F LoadU8(const uint8_t* p) {
    return _mm512_cvtepi32_ps(U8x16ToI32(p));
  }
  static F GatherLut(const float* lut, const uint8_t* codes, size_t j) {
    const __m512i lane_rows = _mm512_mullo_epi32(
        _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
        _mm512_set1_epi32(256));
    __m512i idx = _mm512_add_epi32(U8x16ToI32(codes + j), lane_rows);
    return _mm512_i32gather_ps(idx, lut + j * 256, 4);
  }
  // Per-byte popcount (nibble table lookups; AVX-512 BW).
  static __m512i Popcount8(__m512i x) {
    const __m512i table = _mm512_broadcast_i32x4(
        _mm_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4));
    const __m512i low = _mm512_set1_epi8(0x0f);
    return _mm512_add_epi8(
        _mm512_shuffle_epi8(table, _mm512_and_si512(x, low)),
        _mm512_shuffle_epi8(table,
                            _mm512_and_si512(_mm512_srli_epi16(x, 4), low)));
  }
  // As Avx2Ops::PlaneBlocksDot over blocks of 64 code bytes.
  static constexpr size_t kPlaneBytes = 64;
  static uint64_t PlaneBlocksDot(const uint8_t* code, const uint64_t* planes,
                                 size_t words, size_t blocks) {
    __m512i sums = _mm512_setzero_si512();
    for (size_t b = 0; b < blocks; ++b) {
      const __m512i c = _mm512_loadu_si512(code + 64 * b);
      __m512i acc = _mm512_setzero_si512();
      for (int j = kRabitqQueryBits - 1; j >= 0; --j) {
        const __m512i p = _mm512_loadu_si512(planes + j * words + 8 * b);
        acc = _mm512_add_epi8(_mm512_add_epi8(acc, acc),
                              Popcount8(_mm512_and_si512(c, p)));
      }
      sums =
          _mm512_add_epi64(sums, _mm512_sad_epu8(acc, _mm512_setzero_si512()));
    }
    return static_cast<uint64_t>(_mm512_reduce_add_epi64(sums));
  }

  static constexpr size_t kIntWidth = 32;
  using I = __m512i;
  static I IZero() { return _mm512_setzero_si512(); }
  static I LoadQ(const int16_t* p) { return _mm512_loadu_si512(p); }
  static I LoadCodes(const uint8_t* p) {
    return _mm512_cvtepu8_epi16(
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
  }
  static I SqDiffAcc(I acc, I q, I c, I w) {
    I diff = _mm512_sub_epi16(q, c);
    return _mm512_add_epi32(
        acc, _mm512_madd_epi16(diff, _mm512_mullo_epi16(diff, w)));
  }
  static int64_t ISum(I acc) {
    __m512i wide = _mm512_add_epi64(
        _mm512_cvtepi32_epi64(_mm512_castsi512_si256(acc)),
        _mm512_cvtepi32_epi64(_mm512_extracti64x4_epi64(acc, 1)));
    return _mm512_reduce_add_epi64(wide);
  }
};
#endif  // __AVX512F__ && __AVX512BW__

#if defined(__AVX512F__) && defined(__AVX512BW__) && \
    defined(__AVX512VPOPCNTDQ__) && defined(__AVX512VNNI__)
// Avx512Ops with two extensions. The 1-bit code scan on VPOPCNTQ: per plane
// one 64-bit population count per word, accumulated per plane over the
// blocks and weighted once per code. The SQ8 integer scan's multiply-add and
// accumulate fused in VPDPWSSD. Both give the same exact integers as every
// other ISA.
struct Avx512VnniPopcntOps : Avx512Ops {
  static I SqDiffAcc(I acc, I q, I c, I w) {
    const I diff = _mm512_sub_epi16(q, c);
    return _mm512_dpwssd_epi32(acc, diff, _mm512_mullo_epi16(diff, w));
  }
  static uint64_t PlaneBlocksDot(const uint8_t* code, const uint64_t* planes,
                                 size_t words, size_t blocks) {
    __m512i acc[kRabitqQueryBits];
    for (__m512i& a : acc) a = _mm512_setzero_si512();
    for (size_t b = 0; b < blocks; ++b) {
      const __m512i c = _mm512_loadu_si512(code + 64 * b);
      for (int j = 0; j < kRabitqQueryBits; ++j) {
        const __m512i p = _mm512_loadu_si512(planes + j * words + 8 * b);
        acc[j] = _mm512_add_epi64(acc[j],
                                  _mm512_popcnt_epi64(_mm512_and_si512(c, p)));
      }
    }
    __m512i total = acc[kRabitqQueryBits - 1];
    for (int j = kRabitqQueryBits - 2; j >= 0; --j) {
      total = _mm512_add_epi64(_mm512_add_epi64(total, total), acc[j]);
    }
    return static_cast<uint64_t>(_mm512_reduce_add_epi64(total));
  }
};
#endif  // __AVX512VPOPCNTDQ__ && __AVX512VNNI__

}  // namespace
}  // namespace internal
}  // namespace drift
