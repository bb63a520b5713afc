// Internal to codec/alp_*.cc: the ALP loops that run wider on AVX2, compiled
// once per ISA (alp_kernels_scalar.cc, alp_kernels_avx2.cc with -mavx2; the
// bodies are in alp_kernels_impl.h) and chosen through ActiveIsa(), the one
// DRIFT_ISA switch of util/cpu_features.h. Every table computes the same bytes
// and bits: the same IEEE operations, eight lanes wide instead of four.
#pragma once

#include <cstddef>
#include <cstdint>

#include "codec/alp_format.h"
#include "util/cpu_features.h"

namespace drift {
namespace alp {

// Room PackUints needs at `dst`: header, nibbles, lane words, tail + slack.
constexpr size_t kMaxPackedBytes =
    5 + (kMaxRows + 2) / 2 + 4 * kAlpBlockValues + 4 * kLanes + kSlack;

struct AlpKernels {
  IsaLevel level;
  // Frame-of-reference codes and bit-packs v[0..n) (n <= kAlpBlockValues) into
  // dst (kMaxPackedBytes of room); returns the bytes written (alp_bitpack.h).
  size_t (*pack_uints)(const uint32_t* v, size_t n, uint8_t* dst);
  // Unpacks `rows` rows of widths w[] from `words` (> 0) lane words at src.
  void (*unpack_rows)(const uint8_t* src, size_t words, size_t rows,
                      const uint8_t* w, uint32_t* dst);
  // out[i] = float(int32(base + delta[i])) scaled by 10^-d (the ALP decoder).
  void (*ints_to_floats)(const uint32_t* delta, size_t n, uint32_t base, int d,
                         float* out);
  // ALP_RD split: index[i] = first t with dict[t] == bits[i] >> r, else
  // kRdMaxDict; right[i] = the low r bits (dict: kRdMaxDict entries).
  void (*rd_split)(const uint32_t* bits, size_t n, const uint32_t* dict,
                   unsigned r, uint32_t* index, uint32_t* right);
};

extern const AlpKernels kAlpScalarKernels;
extern const AlpKernels kAlpAvx2Kernels;

// The table for ClampToSupported(level); AVX-512 runs the AVX2 loops.
const AlpKernels& AlpKernelsFor(IsaLevel level);
// The table for ActiveIsa(), resolved once.
const AlpKernels& ActiveAlpKernels();

}  // namespace alp
}  // namespace drift
