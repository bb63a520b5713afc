// Internal to codec/alp_*.cc: the ALP byte vocabulary (block schemes,
// constants that are part of the format, little-endian output and
// bounds-checked input). See docs/format-alp.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>

#include "codec/alp.h"
#include "rocksdb/slice.h"
#include "rocksdb/status.h"

namespace drift {
namespace alp {

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "The ALP format is little-endian and only built for little-endian hosts"
#endif
static_assert(sizeof(float) == 4 && std::numeric_limits<float>::is_iec559,
              "float must be IEEE-754 binary32");

// Block schemes (first byte of a block).
enum Scheme : uint8_t { kRaw = 0, kAlp = 1, kAlpRd = 2, kConstant = 3 };

constexpr int kMaxExponent =
    10;                       // 10^10 < 2^34 = 2^10 * 5^10, 5^10 < 2^24: exact.
constexpr size_t kSlack = 8;  // Readable bytes required past any block end.
constexpr size_t kAlpSamples = 32;
constexpr size_t kRdSamples = 256;    // Per ALP_RD plan (a matrix or a block).
constexpr unsigned kRdMinRight = 16;  // Cut point: right part has 16..31 bits.
constexpr unsigned kRdMaxRight = 31;
constexpr size_t kRdMaxDict = 8;
constexpr size_t kBlockHeader = 3;  // Scheme byte + u16 value count.

constexpr float kPow10f[kMaxExponent + 1] = {1e0f, 1e1f, 1e2f, 1e3f, 1e4f, 1e5f,
                                             1e6f, 1e7f, 1e8f, 1e9f, 1e10f};
constexpr double kPow10d[kMaxExponent + 1] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5,
                                              1e6, 1e7, 1e8, 1e9, 1e10};
// The doubles nearest to 10^-d (part of the format: the decoder multiplies by
// them).
constexpr double kInvPow10d[kMaxExponent + 1] = {
    1e0, 1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10};

// Bit packing (alp_bitpack.h): values are packed in rows of kLanes.
constexpr uint8_t kNibbleFlag = 0x80;
constexpr size_t kLanes = 8;
constexpr size_t kMaxRows = kAlpBlockValues / kLanes;

inline uint32_t FloatBits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

inline unsigned BitWidth(uint32_t x) {
  return x == 0 ? 0 : 32 - static_cast<unsigned>(__builtin_clz(x));
}

// ---- Little-endian output, bounds-checked input ----

template <typename T>
void PutLE(std::string* out, T v) {
  char buf[sizeof(T)];
  std::memcpy(buf, &v, sizeof(T));
  out->append(buf, sizeof(T));
}

inline rocksdb::Status Corrupt(const char* what) {
  return rocksdb::Status::Corruption("ALP", what);
}

// Reads from [p, end); every read checks the remaining length first.
struct Reader {
  const uint8_t* p;
  const uint8_t* end;

  size_t left() const { return static_cast<size_t>(end - p); }
  template <typename T>
  bool Get(T* v) {
    if (left() < sizeof(T)) return false;
    std::memcpy(v, p, sizeof(T));
    p += sizeof(T);
    return true;
  }
  // Returns the start of `n` bytes and skips them, or nullptr if too short.
  const uint8_t* Take(size_t n) {
    if (left() < n) return nullptr;
    const uint8_t* r = p;
    p += n;
    return r;
  }
};

}  // namespace alp
}  // namespace drift
