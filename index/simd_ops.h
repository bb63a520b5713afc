// Internal: per-ISA vector operations that kernels_impl.h is written against.
//
// Include only from a kernels_<isa>.cc file. Everything here has internal
// linkage: a per-ISA translation unit must not emit any symbol with vague
// linkage (inline functions, templates from std), or the linker could pick
// the AVX-512 copy for a caller on a CPU without AVX-512.
#pragma once

#include <cstddef>
#include <cstdint>

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
  static F Add(F a, F b) { return a + b; }
  static F Sub(F a, F b) { return a - b; }
  static F Fmadd(F a, F b, F c) { return a * b + c; }
  static F Fnmadd(F a, F b, F c) { return c - a * b; }
  static float Sum(F v) { return v; }
  static F LoadU8(const uint8_t* p) { return static_cast<float>(*p); }
  static F GatherLut(const float* lut, const uint8_t* codes, size_t j) {
    return lut[j * 256 + codes[j]];
  }
  // acc + v[0] if bit j of `bits` is set (lane l <-> bit j + l, LSB first).
  static F AddIfBit(F acc, const float* v, const uint8_t* bits, size_t j) {
    return (bits[j / 8] >> (j % 8)) & 1 ? acc + *v : acc;
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
  // acc + the lanes of v[0, 8) whose bit j + l of `bits` is set (j % 8 == 0):
  // each lane shifts its bit to the sign, which blendv selects on.
  static F AddIfBit(F acc, const float* v, const uint8_t* bits, size_t j) {
    const __m256i shifts = _mm256_setr_epi32(31, 30, 29, 28, 27, 26, 25, 24);
    const __m256i byte = _mm256_set1_epi32(bits[j / 8]);
    const __m256 mask = _mm256_castsi256_ps(_mm256_sllv_epi32(byte, shifts));
    return _mm256_add_ps(
        acc, _mm256_blendv_ps(_mm256_setzero_ps(), _mm256_loadu_ps(v), mask));
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
  // acc + the lanes of v[0, 16) whose bit j + l of `bits` is set
  // (j % 16 == 0): the two code bytes are the lane mask.
  static F AddIfBit(F acc, const float* v, const uint8_t* bits, size_t j) {
    __mmask16 mask;
    __builtin_memcpy(&mask, bits + j / 8, sizeof(mask));
    return _mm512_mask_add_ps(acc, mask, acc, _mm512_loadu_ps(v));
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

}  // namespace
}  // namespace internal
}  // namespace drift
