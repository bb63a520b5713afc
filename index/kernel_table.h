// Internal: the per-ISA kernel tables behind distance.h and sq8_scan.h.
//
// Each table is defined in its own translation unit (kernels_scalar.cc,
// kernels_avx2.cc, kernels_avx512.cc); only the latter two are compiled with
// wider-ISA flags, and their tables are only reached through KernelsFor(),
// which never returns a level the CPU lacks.
#pragma once

#include <cstddef>
#include <cstdint>

#include "codec/sq8.h"  // kQueryPad, PaddedDim: the SQ8 scan padding
#include "util/cpu_features.h"

namespace drift {
namespace internal {

// Bits per component of the query in the 1-bit code scan (scan_planes).
constexpr int kRabitqQueryBits = 4;

struct Kernels {
  IsaLevel level;
  float (*l2sqr)(const float* a, const float* b, size_t d);
  float (*inner_product)(const float* a, const float* b, size_t d);
  // out[i] = |q - base_i|^2 for the n rows of base (row-major, d columns).
  void (*l2sqr_many)(const float* q, const float* base, size_t n, size_t d,
                     float* out);
  // The same over rows of IEEE halves (index/half_float.h).
  void (*l2sqr_half_many)(const float* q, const uint16_t* base, size_t n,
                          size_t d, float* out);
  // out[i * nc + j] = <x_i, c_j>, i < nx, j < nc (both row-major, d columns).
  void (*dot_block)(const float* x, size_t nx, const float* c, size_t nc,
                    size_t d, float* out);
  // SQ8 scans: out[i] = approximate |q - decode(code_i)|^2 for the n codes
  // (row-major, d bytes each). Query-side arrays are padded (PaddedDim) with
  // zeros; codes are not padded.
  //   lut: lut[j * 256 + c] = (q_j - decode_j(c))^2.
  void (*scan_lut)(const float* lut, const uint8_t* codes, size_t n, size_t d,
                   float* out);
  //   fma: sum_j (qm_j - c_j * step_j)^2 with qm = q - vmin.
  void (*scan_fma)(const float* qm, const float* step, const uint8_t* codes,
                   size_t n, size_t d, float* out);
  //   int: scale * sum_j w_j (qc_j - c_j)^2 computed exactly in integers;
  //   0 <= qc_j <= 255, 0 <= w_j <= 128 (the bounds keep int32 lanes exact).
  void (*scan_int)(const int16_t* qc, const int16_t* w, float scale,
                   const uint8_t* codes, size_t n, size_t d, float* out);
  // Inner-product scan: out[i] = sum_j w_j c_j (w padded with zeros).
  void (*scan_dot)(const float* w, const uint8_t* codes, size_t n, size_t d,
                   float* out);
  // 1-bit code scan (index/rabitq.h): out[i] = <b_i, u> = sum_j 2^j
  // popcount(b_i & plane_j) for the n codes b_i of pd bits (pd / 8 bytes
  // each, row-major; bit t = bit t % 8 of byte t / 8) against a query of
  // kRabitqQueryBits-bit values u_t given as that many bit planes of pd / 64
  // words each (plane j holds bit j of every u_t). pd is a multiple of 64.
  // Exact integer arithmetic: every ISA returns the same values.
  void (*scan_planes)(const uint64_t* planes, const uint8_t* codes, size_t n,
                      size_t pd, uint32_t* out);
  // In-place unnormalized fast Walsh-Hadamard transform of n floats (n a
  // power of two; index/fwht_kernels.h): every ISA returns the same bits.
  void (*fwht)(float* x, size_t n);
};

extern const Kernels kScalarKernels;
extern const Kernels kAvx2Kernels;
extern const Kernels kAvx512Kernels;
// kAvx512Kernels with scan_planes on VPOPCNTQ and scan_int on VPDPWSSD (CPUs
// with AVX-512 VPOPCNTDQ and VNNI: Ice Lake and later, Zen 4 and later);
// KernelsFor(kAvx512) returns it where the CPU has both extensions.
extern const Kernels kAvx512VnniPopcntKernels;
// Whether this CPU can run kAvx512VnniPopcntKernels.
bool CpuHasVnniAndPopcnt();

// The table for ClampToSupported(level).
const Kernels& KernelsFor(IsaLevel level);

// The table for ActiveIsa(), resolved once.
const Kernels& ActiveKernels();

// AssignNearest (see distance.h) with an explicit kernel table.
void AssignNearestWith(const Kernels& kernels, const float* x, size_t n,
                       const float* centroids, size_t k, size_t d,
                       uint32_t* assign, float* dist);

}  // namespace internal
}  // namespace drift
