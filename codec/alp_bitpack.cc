#include "codec/alp_bitpack.h"

#include <algorithm>

#include "codec/alp_kernels.h"

namespace drift {
namespace alp {

using rocksdb::Status;

namespace {

inline size_t LaneWords(size_t lane_bits) { return (lane_bits + 31) / 32; }
inline size_t TailBytes(size_t k, unsigned w) { return (k * w + 7) / 8; }

// Unpacks k <= 8 tail values of width w (reads up to 7 bytes past them).
inline void UnpackTail(const uint8_t* src, unsigned w, size_t k,
                       uint32_t* dst) {
  const uint64_t mask = (uint64_t{1} << w) - 1;
  for (size_t j = 0; j < k; ++j) {
    const size_t bit = j * w;
    uint64_t word;
    std::memcpy(&word, src + bit / 8, 8);
    dst[j] = static_cast<uint32_t>((word >> (bit % 8)) & mask);
  }
}

}  // namespace

void PackUints(const uint32_t* v, size_t n, std::string* out) {
  uint8_t buf[kMaxPackedBytes];
  const size_t size = ActiveAlpKernels().pack_uints(v, n, buf);
  out->append(reinterpret_cast<const char*>(buf), size);
}

Status UnpackUints(Reader* in, size_t n, uint32_t* delta, uint32_t* base) {
  uint8_t mode;
  if (!in->Get(base) || !in->Get(&mode)) {
    return Corrupt("truncated bit-pack header");
  }
  const unsigned max_width = mode & 0x3F;
  if (max_width > 32 || (mode & 0x40)) return Corrupt("bad bit width");
  const size_t rows = n / kLanes, tail = n % kLanes;
  const size_t groups = rows + (tail ? 1 : 0);
  uint8_t widths[kMaxRows + 1];
  size_t lane_bits = 0;
  if (mode & kNibbleFlag) {
    const uint8_t* nib = in->Take((groups + 1) / 2);
    if (nib == nullptr) return Corrupt("truncated bit widths");
    const unsigned lo = max_width > 15 ? max_width - 15 : 0;
    // Branch-free (vectorizable); one range check after.
    unsigned widest = 0;
    for (size_t g = 0; g < groups; ++g) {
      const unsigned w = lo + ((nib[g / 2] >> (4 * (g % 2))) & 0xF);
      widths[g] = static_cast<uint8_t>(w);
      widest = std::max(widest, w);
    }
    if (widest > max_width) return Corrupt("row width above maximum");
    for (size_t g = 0; g < rows; ++g) lane_bits += widths[g];
  } else {
    std::fill(widths, widths + groups, static_cast<uint8_t>(max_width));
    lane_bits = rows * max_width;
  }
  const size_t words = LaneWords(lane_bits) * kLanes;
  const size_t tail_bytes = tail ? TailBytes(tail, widths[rows]) : 0;
  const uint8_t* src = in->Take(words * 4 + tail_bytes);
  if (src == nullptr) return Corrupt("truncated bit-packed data");
  if (words == 0) {
    std::fill(delta, delta + rows * kLanes, 0u);
  } else {
    ActiveAlpKernels().unpack_rows(src, words / kLanes, rows, widths, delta);
  }
  if (tail) {
    UnpackTail(src + words * 4, widths[rows], tail, delta + rows * kLanes);
  }
  return Status::OK();
}

}  // namespace alp
}  // namespace drift
