// Internal: the in-place fast Walsh-Hadamard transform (unnormalized) of the
// RaBitQ rotation (index/rabitq.h), per ISA, for the kernel tables
// (kernels_impl.h). Included only by kernels_impl.h; each kernels_<isa>.cc
// compiles the variants its flags allow.
//
// Invariant: every variant computes, stage by stage (h = 1, 2, 4, ...),
// x[j] + x[j + h] and x[j] - x[j + h] from the previous stage's values, so
// all of them return the same bits (addition is commutative in IEEE floats;
// nothing is reassociated).
#pragma once

#include <immintrin.h>

#include <cstddef>

namespace drift {
namespace internal {
namespace {

// The stages from h = `from` on, one butterfly at a time: the reference.
inline void FwhtScalarStages(float* x, size_t n, size_t from) {
  for (size_t h = from; h < n; h *= 2) {
    for (size_t i = 0; i < n; i += 2 * h) {
      for (size_t j = i; j < i + h; ++j) {
        const float a = x[j], b = x[j + h];
        x[j] = a + b;
        x[j + h] = a - b;
      }
    }
  }
}

// n: a power of two.
inline void FwhtScalar(float* x, size_t n) { FwhtScalarStages(x, n, 1); }

// The stages of a vector variant of kWidth lanes: block(p) runs the stages
// h < kWidth on the kWidth floats at p in registers; butterfly(a, b) sets a,
// b (kWidth floats each) to a + b, a - b for the stages from h = kWidth on.
template <size_t kWidth, class Block, class Butterfly>
inline void FwhtVector(float* x, size_t n, Block block, Butterfly butterfly) {
  if (n < kWidth) return FwhtScalar(x, n);
  for (size_t i = 0; i < n; i += kWidth) block(x + i);
  for (size_t h = kWidth; h < n; h *= 2) {
    for (size_t i = 0; i < n; i += 2 * h) {
      for (size_t j = i; j < i + h; j += kWidth) butterfly(x + j, x + j + h);
    }
  }
}

#ifdef __AVX2__
// In one register of 8 lanes, stage h: p is v with lanes i and i ^ h
// swapped; lanes with bit h clear take v + p, the others p - v (the blend).
inline void FwhtAvx2(float* x, size_t n) {
  FwhtVector<8>(
      x, n,
      [](float* at) {
        __m256 v = _mm256_loadu_ps(at);
        __m256 p = _mm256_permute_ps(v, 0xB1);  // h = 1
        v = _mm256_blend_ps(_mm256_add_ps(v, p), _mm256_sub_ps(p, v), 0xAA);
        p = _mm256_permute_ps(v, 0x4E);  // h = 2
        v = _mm256_blend_ps(_mm256_add_ps(v, p), _mm256_sub_ps(p, v), 0xCC);
        p = _mm256_permute2f128_ps(v, v, 0x01);  // h = 4
        v = _mm256_blend_ps(_mm256_add_ps(v, p), _mm256_sub_ps(p, v), 0xF0);
        _mm256_storeu_ps(at, v);
      },
      [](float* a, float* b) {
        const __m256 u = _mm256_loadu_ps(a), v = _mm256_loadu_ps(b);
        _mm256_storeu_ps(a, _mm256_add_ps(u, v));
        _mm256_storeu_ps(b, _mm256_sub_ps(u, v));
      });
}
#endif  // __AVX2__

#ifdef __AVX512F__
// The same with 16 lanes: four stages in registers, the mask selecting the
// lanes with bit h set (p - v).
inline void FwhtAvx512(float* x, size_t n) {
  FwhtVector<16>(
      x, n,
      [](float* at) {
        __m512 v = _mm512_loadu_ps(at);
        __m512 p = _mm512_permute_ps(v, 0xB1);  // h = 1
        v = _mm512_mask_sub_ps(_mm512_add_ps(v, p), 0xAAAA, p, v);
        p = _mm512_permute_ps(v, 0x4E);  // h = 2
        v = _mm512_mask_sub_ps(_mm512_add_ps(v, p), 0xCCCC, p, v);
        p = _mm512_shuffle_f32x4(v, v, 0xB1);  // h = 4
        v = _mm512_mask_sub_ps(_mm512_add_ps(v, p), 0xF0F0, p, v);
        p = _mm512_shuffle_f32x4(v, v, 0x4E);  // h = 8
        v = _mm512_mask_sub_ps(_mm512_add_ps(v, p), 0xFF00, p, v);
        _mm512_storeu_ps(at, v);
      },
      [](float* a, float* b) {
        const __m512 u = _mm512_loadu_ps(a), v = _mm512_loadu_ps(b);
        _mm512_storeu_ps(a, _mm512_add_ps(u, v));
        _mm512_storeu_ps(b, _mm512_sub_ps(u, v));
      });
}
#endif  // __AVX512F__

// The variant of an Ops policy (simd_ops.h) by its width.
template <size_t kWidth>
constexpr void (*FwhtFor())(float*, size_t) {
#ifdef __AVX512F__
  if (kWidth == 16) return &FwhtAvx512;
#endif
#ifdef __AVX2__
  if (kWidth >= 8) return &FwhtAvx2;
#endif
  return &FwhtScalar;
}

}  // namespace
}  // namespace internal
}  // namespace drift
