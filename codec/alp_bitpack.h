// Internal to codec/alp_*.cc: bit packing of up to kAlpBlockValues uint32
// values, frame of reference + 8 interleaved lanes.
//
// Header: u32 base, u8 mode (bits 0-5: max width W <= 32; bit 7: per-row
// widths follow as nibbles, width = lo + nibble, lo = max(0, W - 15); else
// every row has width W). Value r * kLanes + l (r < n / kLanes) is field r of
// lane l. All lanes share the field offsets (sums of the previous rows'
// widths), so a row decodes with the same shift in every lane (SSE2: 4 lanes
// per instruction); a width per row of 8 consecutive values also suits runs of
// zeros (image borders). Lane l is a stream of 32-bit words, field r at bits
// [off_r, off_r + w_r), least significant first, possibly continuing in the
// next word; word k of lane l is stored as word k * kLanes + l. The n % kLanes
// remaining values follow, value j at bits [j*w, j*w + w) of (k*w + 7) / 8
// bytes, w being the tail's width.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "codec/alp_format.h"

namespace drift {
namespace alp {

// Appends `v[0..n)` (n <= kAlpBlockValues) frame-of-reference coded and packed.
void PackUints(const uint32_t* v, size_t n, std::string* out);

// Parses a packed vector of `n` values; fills `delta[0..n)` and `*base`.
// Reads up to 7 bytes past the tail (see kSlack).
rocksdb::Status UnpackUints(Reader* in, size_t n, uint32_t* delta,
                            uint32_t* base);

}  // namespace alp
}  // namespace drift
