// ALP / ALP_RD float32 codec; see alp.h for the design and docs/format-alp.md
// for the byte format. All multi-byte fields are little-endian.
#include "util/alp.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <utility>

namespace drift {

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "The ALP format is little-endian and only built for little-endian hosts"
#endif
static_assert(sizeof(float) == 4 && std::numeric_limits<float>::is_iec559,
              "float must be IEEE-754 binary32");

namespace {

using rocksdb::Slice;
using rocksdb::Status;

// Block schemes (first byte of a block).
enum Scheme : uint8_t { kRaw = 0, kAlp = 1, kAlpRd = 2, kConstant = 3 };

constexpr int kMaxExponent =
    10;                       // 10^10 < 2^34 = 2^10 * 5^10, 5^10 < 2^24: exact.
constexpr size_t kSlack = 8;  // Readable bytes required past any block end.
constexpr size_t kAlpSamples = 32;
constexpr size_t kRdSamples = 128;
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

Status Corrupt(const char* what) { return Status::Corruption("ALP", what); }

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

// ---- Bit packing: frame of reference + 8 interleaved lanes ----
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

constexpr uint8_t kNibbleFlag = 0x80;
constexpr size_t kLanes = 8;
constexpr size_t kMaxRows = kAlpBlockValues / kLanes;

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
    const size_t k = std::min(off / 32, last);
    const unsigned s = off % 32;
    const uint32_t mask = static_cast<uint32_t>((uint64_t{1} << w[r]) - 1);
    const uint8_t* lo = src + k * 4 * kLanes;
    const uint8_t* hi = src + std::min(k + 1, last) * 4 * kLanes;
    uint32_t* out = dst + r * kLanes;
    for (size_t l = 0; l < kLanes; ++l) {  // Vectorized (restrict: no alias).
      uint32_t a, b;
      std::memcpy(&a, lo + 4 * l, 4);
      std::memcpy(&b, hi + 4 * l, 4);
      out[l] = ((a >> s) | ((b << (31 - s)) << 1)) & mask;
    }
  }
}

// Appends `v[0..n)` (n <= kAlpBlockValues) frame-of-reference coded and packed.
void PackUints(const uint32_t* v, size_t n, std::string* out) {
  uint32_t base = n ? v[0] : 0;
  for (size_t i = 0; i < n; ++i) base = std::min(base, v[i]);
  uint32_t delta[kAlpBlockValues];
  for (size_t i = 0; i < n; ++i) delta[i] = v[i] - base;
  const size_t rows = n / kLanes, tail = n % kLanes;
  const size_t groups = rows + (tail ? 1 : 0);  // Rows plus the tail.
  uint8_t widths[kMaxRows + 1];
  unsigned max_width = 0;
  for (size_t g = 0; g < groups; ++g) {
    uint32_t bits = 0;
    for (size_t i = g * kLanes; i < std::min(n, (g + 1) * kLanes); ++i) {
      bits |= delta[i];
    }
    widths[g] = static_cast<uint8_t>(BitWidth(bits));
    max_width = std::max<unsigned>(max_width, widths[g]);
  }
  const unsigned lo = max_width > 15 ? max_width - 15 : 0;
  size_t lane_bits = 0;
  for (size_t g = 0; g < groups; ++g) {
    widths[g] = static_cast<uint8_t>(std::max<unsigned>(widths[g], lo));
    if (g < rows) lane_bits += widths[g];
  }
  const size_t uniform_bytes =
      LaneWords(rows * max_width) * 4 * kLanes + TailBytes(tail, max_width);
  const size_t nibble_bytes = (groups + 1) / 2 +
                              LaneWords(lane_bits) * 4 * kLanes +
                              TailBytes(tail, tail ? widths[rows] : 0);
  const bool nibbles = nibble_bytes < uniform_bytes;
  if (!nibbles) std::fill(widths, widths + groups, max_width);
  PutLE<uint32_t>(out, base);
  out->push_back(static_cast<char>(max_width | (nibbles ? kNibbleFlag : 0)));
  if (nibbles) {
    for (size_t g = 0; g < groups; g += 2) {
      const unsigned a = widths[g] - lo;
      const unsigned b = g + 1 < groups ? widths[g + 1] - lo : 0;
      out->push_back(static_cast<char>(a | (b << 4)));
    }
  } else {
    lane_bits = rows * max_width;
  }
  uint32_t words[kAlpBlockValues] = {};
  const size_t num_words = LaneWords(lane_bits) * kLanes;
  PackRows(delta, rows, widths, words);
  out->append(reinterpret_cast<const char*>(words), num_words * 4);
  if (tail) {
    uint8_t buf[4 * kLanes + kSlack] = {};
    PackTail(delta + rows * kLanes, tail, widths[rows], buf);
    out->append(reinterpret_cast<const char*>(buf),
                TailBytes(tail, widths[rows]));
  }
}

// Parses a packed vector of `n` values; fills `delta[0..n)` and `*base`.
// Reads up to 7 bytes past the tail (see kSlack).
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
    for (size_t g = 0; g < groups; ++g) {
      const unsigned w = lo + ((nib[g / 2] >> (4 * (g % 2))) & 0xF);
      if (w > max_width) return Corrupt("row width above maximum");
      widths[g] = static_cast<uint8_t>(w);
      if (g < rows) lane_bits += w;
    }
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
    UnpackRows(src, words / kLanes, rows, widths, delta);
  }
  if (tail) {
    UnpackTail(src + words * 4, widths[rows], tail, delta + rows * kLanes);
  }
  return Status::OK();
}

// ---- ALP: decimal -> integer ----

// The decoder's formula; the encoder checks every value against it.
// For d > 0, n * 10^-d in double then rounded to float: equals the correctly
// rounded n / 10^d for |n| < 2^24 and d <= 7 (the double error, <= 2^-52
// relative, is below the distance of n / 10^d to any float rounding midpoint),
// and is faster than a float division.
inline float AlpDecodeOne(int32_t n, int d) {
  if (d > 0) return static_cast<float>(static_cast<double>(n) * kInvPow10d[d]);
  const float f = static_cast<float>(n);
  return d < 0 ? f * kPow10f[-d] : f;
}

// Encodes `v` with exponent d; false if it does not round-trip bit-exactly.
inline bool AlpEncodeOne(float v, int d, int32_t* n) {
  double x = static_cast<double>(v);
  x = d >= 0 ? x * kPow10d[d] : x / kPow10d[-d];
  if (!(std::fabs(x) <= 2147483647.0)) return false;  // Also rejects NaN.
  constexpr double kMagic = 6755399441055744.0;  // 1.5 * 2^52: rounds to int.
  const double r = (x + kMagic) - kMagic;
  *n = static_cast<int32_t>(r);
  return FloatBits(AlpDecodeOne(*n, d)) == FloatBits(v);
}

struct AlpChoice {
  int d = 0;
  size_t est_bits = std::numeric_limits<size_t>::max();
};

// A list of exponents to try; All() is 0..10, then -1..-10.
struct Exponents {
  int8_t d[2 * kMaxExponent + 1];
  size_t count = 0;

  static Exponents All() {
    Exponents e;
    for (int i = 0; i <= 2 * kMaxExponent; ++i) {
      e.d[e.count++] =
          static_cast<int8_t>(i <= kMaxExponent ? i : kMaxExponent - i);
    }
    return e;
  }
};

// Picks d from a sample of the block by estimated size (width * values +
// 48 bits per exception); ties go to the exponent tried first.
AlpChoice ChooseAlpExponent(const float* in, const size_t* sample, size_t s,
                            const Exponents& tries) {
  AlpChoice best;
  for (size_t i = 0; i < tries.count; ++i) {
    const int d = tries.d[i];
    int32_t lo = std::numeric_limits<int32_t>::max();
    int32_t hi = std::numeric_limits<int32_t>::min();
    size_t exceptions = 0;
    for (size_t k = 0; k < s; ++k) {
      int32_t n;
      if (AlpEncodeOne(in[sample[k]], d, &n)) {
        lo = std::min(lo, n);
        hi = std::max(hi, n);
      } else {
        ++exceptions;
      }
    }
    const unsigned width =
        exceptions == s
            ? 0
            : BitWidth(static_cast<uint32_t>(static_cast<int64_t>(hi) - lo));
    const size_t bits = (s - exceptions) * width + exceptions * 48;
    if (bits < best.est_bits) best = {d, bits};
  }
  return best;
}

void EncodeAlpBlock(const float* in, size_t n, int d, std::string* out) {
  uint32_t ints[kAlpBlockValues];
  uint16_t exc_pos[kAlpBlockValues];
  uint32_t exc_bits[kAlpBlockValues];
  size_t exceptions = 0;
  bool have_fill = false;
  uint32_t fill = 0;
  for (size_t i = 0; i < n; ++i) {
    int32_t v;
    if (AlpEncodeOne(in[i], d, &v)) {
      // Biased so unsigned order matches signed order (for frame of reference).
      ints[i] = static_cast<uint32_t>(v) ^ 0x80000000u;
      if (!have_fill) fill = ints[i], have_fill = true;
    } else {
      exc_pos[exceptions] = static_cast<uint16_t>(i);
      exc_bits[exceptions++] = FloatBits(in[i]);
      ints[i] = 0xFFFFFFFFu;  // Placeholder, replaced by `fill` below.
    }
  }
  for (size_t k = 0; k < exceptions; ++k) ints[exc_pos[k]] = fill;
  out->push_back(static_cast<char>(kAlp));
  PutLE<uint16_t>(out, static_cast<uint16_t>(n));
  out->push_back(static_cast<char>(static_cast<int8_t>(d)));
  PutLE<uint16_t>(out, static_cast<uint16_t>(exceptions));
  PackUints(ints, n, out);
  out->append(reinterpret_cast<const char*>(exc_pos), exceptions * 2);
  out->append(reinterpret_cast<const char*>(exc_bits), exceptions * 4);
}

// n values = float(int32(base + delta)) scaled by 10^-d; vectorizable loops.
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

Status DecodeAlpBlock(Reader* in, size_t n, float* out) {
  int8_t d;
  uint16_t exceptions;
  if (!in->Get(&d) || !in->Get(&exceptions))
    return Corrupt("truncated ALP header");
  if (d < -kMaxExponent || d > kMaxExponent) return Corrupt("bad ALP exponent");
  if (exceptions > n) return Corrupt("too many ALP exceptions");
  alignas(16) uint32_t delta[kAlpBlockValues];
  uint32_t base;
  Status s = UnpackUints(in, n, delta, &base);
  if (!s.ok()) return s;
  const uint8_t* pos = in->Take(size_t{exceptions} * 2);
  const uint8_t* bits = in->Take(size_t{exceptions} * 4);
  if (bits == nullptr) return Corrupt("truncated ALP exceptions");
  IntsToFloats(delta, n, base ^ 0x80000000u, d, out);
  for (size_t k = 0; k < exceptions; ++k) {
    uint16_t p;
    std::memcpy(&p, pos + 2 * k, 2);
    if (p >= n) return Corrupt("ALP exception position out of range");
    std::memcpy(out + p, bits + 4 * k, 4);
  }
  return Status::OK();
}

// ---- ALP_RD: left parts through a dictionary, right parts bit-packed ----

struct RdChoice {
  unsigned right_bits = 0;
  size_t est_bits = std::numeric_limits<size_t>::max();
};

// The <= kRdMaxDict most frequent `keys` (sorted in place), most frequent
// first, in `top`; returns how many.
size_t TopFrequencies(uint16_t* keys, size_t n,
                      std::pair<size_t, uint16_t>* top) {
  std::sort(keys, keys + n);
  size_t distinct = 0;
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j < n && keys[j] == keys[i]) ++j;
    top[distinct++] = {j - i, keys[i]};
    i = j;
  }
  // Only the first kRdMaxDict entries are ever used.
  const size_t keep = std::min(distinct, kRdMaxDict);
  std::partial_sort(
      top, top + keep, top + distinct, [](const auto& a, const auto& b) {
        return a.first != b.first ? a.first > b.first : a.second < b.second;
      });
  return keep;
}

// Picks the cut point from a sample by estimated size: index + right bits per
// value, 32 bits per exception (position + left part), dictionary of 2^b.
RdChoice ChooseRdCut(const uint32_t* sample, size_t s) {
  RdChoice best;
  // Sorted once: for every cut r, `sorted[k] >> r` is then sorted too, so equal
  // left parts are runs and need no further sort.
  uint32_t sorted[kRdSamples];
  std::copy(sample, sample + s, sorted);
  std::sort(sorted, sorted + s);
  for (unsigned r = kRdMinRight; r <= kRdMaxRight; ++r) {
    size_t top[kRdMaxDict] = {};  // Largest run lengths, descending.
    for (size_t i = 0; i < s;) {
      size_t j = i + 1;
      while (j < s && (sorted[j] >> r) == (sorted[i] >> r)) ++j;
      size_t run = j - i;
      for (size_t t = 0; t < kRdMaxDict && run > 0; ++t) {
        if (run > top[t]) std::swap(run, top[t]);
      }
      i = j;
    }
    size_t covered = 0;
    for (unsigned b = 0; b <= 3; ++b) {
      const size_t dict = size_t{1} << b;
      for (size_t t = dict / 2; t < dict; ++t)
        covered += top[t];  // Adds 2^b entries.
      const size_t bits = s * (b + r) + (s - covered) * 32 + dict * 16;
      if (bits < best.est_bits) best = {r, bits};
    }
  }
  return best;
}

void EncodeRdBlock(const uint32_t* bits, size_t n, unsigned r,
                   std::string* out) {
  uint16_t keys[kAlpBlockValues];
  std::pair<size_t, uint16_t> top[kAlpBlockValues];
  for (size_t i = 0; i < n; ++i) keys[i] = static_cast<uint16_t>(bits[i] >> r);
  const size_t distinct = TopFrequencies(keys, n, top);
  // Dictionary: the prefix (1..8 entries) with the smallest estimated cost.
  size_t dict_size = 1, best_cost = std::numeric_limits<size_t>::max(),
         covered = 0;
  for (size_t t = 0; t < std::min(kRdMaxDict, distinct); ++t) {
    covered += top[t].first;
    const size_t size = t + 1;
    const size_t index_bits = BitWidth(static_cast<uint32_t>(size - 1));
    const size_t cost = n * index_bits + (n - covered) * 32 + size * 16;
    if (cost < best_cost) best_cost = cost, dict_size = size;
  }
  uint16_t dict[kRdMaxDict];
  for (size_t t = 0; t < dict_size; ++t) dict[t] = top[t].second;
  uint32_t index[kAlpBlockValues], right[kAlpBlockValues];
  uint16_t exc_pos[kAlpBlockValues], exc_left[kAlpBlockValues];
  size_t exceptions = 0;
  const uint32_t right_mask = (uint32_t{1} << r) - 1;
  for (size_t i = 0; i < n; ++i) {
    const uint16_t left = static_cast<uint16_t>(bits[i] >> r);
    right[i] = bits[i] & right_mask;
    size_t t = 0;
    while (t < dict_size && dict[t] != left) ++t;
    if (t == dict_size) {
      exc_pos[exceptions] = static_cast<uint16_t>(i);
      exc_left[exceptions++] = left;
      t = 0;
    }
    index[i] = static_cast<uint32_t>(t);
  }
  out->push_back(static_cast<char>(kAlpRd));
  PutLE<uint16_t>(out, static_cast<uint16_t>(n));
  out->push_back(static_cast<char>(r));
  out->push_back(static_cast<char>(dict_size));
  out->append(reinterpret_cast<const char*>(dict), dict_size * 2);
  PutLE<uint16_t>(out, static_cast<uint16_t>(exceptions));
  PackUints(index, n, out);
  PackUints(right, n, out);
  out->append(reinterpret_cast<const char*>(exc_pos), exceptions * 2);
  out->append(reinterpret_cast<const char*>(exc_left), exceptions * 2);
}

Status DecodeRdBlock(Reader* in, size_t n, float* out) {
  uint8_t r, dict_size;
  if (!in->Get(&r) || !in->Get(&dict_size))
    return Corrupt("truncated ALP_RD header");
  if (r < kRdMinRight || r > kRdMaxRight)
    return Corrupt("bad ALP_RD cut point");
  if (dict_size == 0 || dict_size > kRdMaxDict)
    return Corrupt("bad ALP_RD dictionary");
  const uint8_t* dict_bytes = in->Take(size_t{dict_size} * 2);
  uint16_t exceptions;
  if (dict_bytes == nullptr || !in->Get(&exceptions)) {
    return Corrupt("truncated ALP_RD header");
  }
  if (exceptions > n) return Corrupt("too many ALP_RD exceptions");
  uint32_t dict[kRdMaxDict] = {};
  for (size_t t = 0; t < dict_size; ++t) {
    uint16_t left;
    std::memcpy(&left, dict_bytes + 2 * t, 2);
    dict[t] = uint32_t{left} << r;
  }
  alignas(16) uint32_t index[kAlpBlockValues];
  alignas(16) uint32_t right[kAlpBlockValues];
  uint32_t index_base, right_base;
  Status s = UnpackUints(in, n, index, &index_base);
  if (s.ok()) s = UnpackUints(in, n, right, &right_base);
  if (!s.ok()) return s;
  const uint8_t* pos = in->Take(size_t{exceptions} * 2);
  const uint8_t* lefts = in->Take(size_t{exceptions} * 2);
  if (lefts == nullptr) return Corrupt("truncated ALP_RD exceptions");
  uint32_t bad = 0;
  for (size_t i = 0; i < n; ++i) {
    index[i] += index_base;
    bad |= static_cast<uint32_t>(index[i] >= dict_size);
  }
  if (bad) return Corrupt("ALP_RD dictionary index out of range");
  for (size_t i = 0; i < n; ++i)
    right[i] = dict[index[i]] | (right[i] + right_base);
  const uint32_t right_mask = (uint32_t{1} << r) - 1;
  for (size_t k = 0; k < exceptions; ++k) {
    uint16_t p, left;
    std::memcpy(&p, pos + 2 * k, 2);
    std::memcpy(&left, lefts + 2 * k, 2);
    if (p >= n) return Corrupt("ALP_RD exception position out of range");
    right[p] = (uint32_t{left} << r) | (right[p] & right_mask);
  }
  std::memcpy(out, right, n * 4);
  return Status::OK();
}

// ---- Block level ----

// `tries`: the exponents worth trying (from a sample of the whole input, as the
// paper's first sampling level); all of them are tried if none fits well.
void EncodeBlock(const float* in, size_t n, const Exponents& tries,
                 std::string* out) {
  const size_t start = out->size();
  uint32_t bits[kAlpBlockValues];
  std::memcpy(bits, in, n * 4);
  bool constant = true;
  for (size_t i = 1; i < n; ++i) constant &= bits[i] == bits[0];
  if (constant) {
    out->push_back(static_cast<char>(kConstant));
    PutLE<uint16_t>(out, static_cast<uint16_t>(n));
    PutLE<uint32_t>(out, bits[0]);
    return;
  }
  const size_t raw_size = kBlockHeader + 4 * n;
  // ALP, from a sample of <= 32 equidistant values.
  size_t sample[kRdSamples];
  const size_t s = std::min(n, kAlpSamples);
  for (size_t k = 0; k < s; ++k) sample[k] = k * n / s;
  AlpChoice alp = ChooseAlpExponent(in, sample, s, tries);
  if (alp.est_bits > 16 * s && tries.count < 2 * kMaxExponent + 1) {
    alp = ChooseAlpExponent(in, sample, s, Exponents::All());
  }
  std::string best;
  if (alp.est_bits < 32 * s) {
    EncodeAlpBlock(in, n, alp.d, &best);
  }
  // ALP_RD when its estimate may beat ALP's real size.
  // RD spends >= 16 bits per value on right parts: skip it when ALP is below
  // that.
  if (!best.empty() && best.size() <= 2 * n + kBlockHeader) {
    out->append(best);
    return;
  }
  const size_t rs = std::min(n, kRdSamples);
  uint32_t rd_sample[kRdSamples];
  for (size_t k = 0; k < rs; ++k) rd_sample[k] = bits[k * n / rs];
  const RdChoice rd = ChooseRdCut(rd_sample, rs);
  const size_t rd_est_bytes = rd.est_bits * n / rs / 8;
  if (rd_est_bytes < (best.empty() ? raw_size : best.size())) {
    std::string candidate;
    EncodeRdBlock(bits, n, rd.right_bits, &candidate);
    if (best.empty() || candidate.size() < best.size()) best.swap(candidate);
  }
  if (!best.empty() && best.size() < raw_size) {
    out->append(best);
    return;
  }
  out->resize(start);
  out->push_back(static_cast<char>(kRaw));
  PutLE<uint16_t>(out, static_cast<uint16_t>(n));
  out->append(reinterpret_cast<const char*>(in), 4 * n);
}

// Decodes one block of exactly `n` values; `in->end + kSlack` must be readable.
Status DecodeBlock(Reader* in, size_t n, float* out) {
  uint8_t scheme;
  uint16_t count;
  if (!in->Get(&scheme) || !in->Get(&count))
    return Corrupt("truncated block header");
  if (count != n) return Corrupt("block value count mismatch");
  switch (scheme) {
    case kRaw: {
      const uint8_t* src = in->Take(4 * n);
      if (src == nullptr) return Corrupt("truncated raw block");
      std::memcpy(out, src, 4 * n);
      return Status::OK();
    }
    case kConstant: {
      float v;
      if (!in->Get(&v)) return Corrupt("truncated constant block");
      std::fill(out, out + n, v);
      return Status::OK();
    }
    case kAlp:
      return DecodeAlpBlock(in, n, out);
    case kAlpRd:
      return DecodeRdBlock(in, n, out);
    default:
      return Corrupt("unknown block scheme");
  }
}

// ---- Matrix container ----
// Header: u8 version, u8 value type (1 = float32), u16 reserved (0), u32 dim,
// u64 rows, u32 num_blocks, u32 offsets[num_blocks + 1] (into the block data;
// offsets[0] = 0, the last = data size), then block data and 8 zero bytes.

constexpr uint8_t kTypeFloat32 = 1;
constexpr size_t kFixedHeader = 20;

// Which values each block holds; a pure function of (rows, dim).
struct Layout {
  uint64_t rows = 0;
  uint32_t dim = 0;
  uint64_t rows_per_block = 0;  // >= 1 when dim <= kAlpBlockValues, else 0.
  uint32_t chunks = 1;          // Blocks per row when dim > kAlpBlockValues.
  uint64_t num_blocks = 0;

  static Layout Make(uint64_t rows, uint32_t dim) {
    Layout l;
    l.rows = rows;
    l.dim = dim;
    if (dim <= kAlpBlockValues) {
      l.rows_per_block = kAlpBlockValues / dim;
      l.num_blocks = (rows + l.rows_per_block - 1) / l.rows_per_block;
    } else {
      l.chunks =
          static_cast<uint32_t>((dim + kAlpBlockValues - 1) / kAlpBlockValues);
      l.num_blocks = rows * l.chunks;  // Caller bounds rows first.
    }
    return l;
  }
  // Start (in values, from the matrix start) and length of block b.
  void Block(uint64_t b, uint64_t* start, size_t* n) const {
    if (chunks == 1) {
      const uint64_t row = b * rows_per_block;
      *start = row * dim;
      *n = static_cast<size_t>(std::min(rows_per_block, rows - row) * dim);
    } else {
      const uint64_t row = b / chunks;
      const uint32_t c = static_cast<uint32_t>(b % chunks);
      const uint32_t q = dim / chunks, rem = dim % chunks;
      *start = row * dim + uint64_t{c} * q + std::min(c, rem);
      *n = q + (c < rem ? 1 : 0);
    }
  }
};

struct Container {
  Layout layout;
  const uint8_t* offsets;  // num_blocks + 1 little-endian u32.
  const uint8_t* data;     // Block data; data + data_size + kSlack is readable.
  uint32_t data_size;
};

Status ParseContainer(const Slice& encoded, Container* c) {
  const uint8_t* p = reinterpret_cast<const uint8_t*>(encoded.data());
  const size_t size = encoded.size();
  if (size < kFixedHeader) return Corrupt("truncated matrix header");
  if (p[0] != kAlpFormatVersion)
    return Corrupt("unsupported matrix format version");
  if (p[1] != kTypeFloat32 || p[2] != 0 || p[3] != 0) {
    return Corrupt("bad matrix value type");
  }
  uint32_t dim, num_blocks;
  uint64_t rows;
  std::memcpy(&dim, p + 4, 4);
  std::memcpy(&rows, p + 8, 8);
  std::memcpy(&num_blocks, p + 16, 4);
  if (dim == 0) return Corrupt("matrix dimension is 0");
  // Bound rows so rows * dim and the block count cannot overflow.
  if (rows > (uint64_t{1} << 50) / dim) {
    return Corrupt("matrix shape too large");
  }
  c->layout = Layout::Make(rows, dim);
  if (c->layout.num_blocks != num_blocks)
    return Corrupt("matrix block count mismatch");
  const uint64_t table = (uint64_t{num_blocks} + 1) * 4;
  if (size - kFixedHeader < table + kSlack)
    return Corrupt("truncated block table");
  c->offsets = p + kFixedHeader;
  c->data = c->offsets + table;
  const uint64_t data_size = size - kFixedHeader - table - kSlack;
  uint32_t first, last;
  std::memcpy(&first, c->offsets, 4);
  std::memcpy(&last, c->offsets + 4 * uint64_t{num_blocks}, 4);
  if (first != 0 || last != data_size) return Corrupt("matrix size mismatch");
  for (size_t i = 0; i < kSlack; ++i) {
    if (c->data[data_size + i] != 0) return Corrupt("bad matrix trailer");
  }
  c->data_size = static_cast<uint32_t>(data_size);
  return Status::OK();
}

// Decodes block b of the container into `out` (its full length).
Status DecodeContainerBlock(const Container& c, uint64_t b, float* out) {
  uint32_t begin, end;
  std::memcpy(&begin, c.offsets + 4 * b, 4);
  std::memcpy(&end, c.offsets + 4 * (b + 1), 4);
  if (begin > end || end > c.data_size) return Corrupt("bad block offset");
  uint64_t start;
  size_t n;
  c.layout.Block(b, &start, &n);
  Reader in{c.data + begin, c.data + end};
  Status s = DecodeBlock(&in, n, out);
  if (s.ok() && in.p != in.end) return Corrupt("block size mismatch");
  return s;
}

// The <= 3 exponents that win most often on up to 8 sampled blocks.
Exponents MatrixExponents(const float* data, const Layout& layout) {
  const uint64_t picks = std::min<uint64_t>(8, layout.num_blocks);
  size_t wins[2 * kMaxExponent + 1] = {};
  for (uint64_t p = 0; p < picks; ++p) {
    uint64_t start;
    size_t n;
    layout.Block(p * layout.num_blocks / picks, &start, &n);
    size_t sample[kAlpSamples];
    const size_t s = std::min(n, kAlpSamples);
    for (size_t k = 0; k < s; ++k) sample[k] = k * n / s;
    const AlpChoice c =
        ChooseAlpExponent(data + start, sample, s, Exponents::All());
    if (c.est_bits < 32 * s) ++wins[c.d + kMaxExponent];
  }
  Exponents e;
  for (size_t round = 0; round < 3; ++round) {
    size_t best = 0;
    for (size_t i = 1; i < std::size(wins); ++i) {
      if (wins[i] > wins[best]) best = i;
    }
    if (wins[best] == 0) break;
    e.d[e.count++] = static_cast<int8_t>(static_cast<int>(best) - kMaxExponent);
    wins[best] = 0;
  }
  return e.count == 0 ? Exponents::All() : e;
}

}  // namespace

// ---- Public API ----

Status AlpEncodeFloatBlock(const float* in, size_t n, std::string* out) {
  if (n == 0 || n > kAlpBlockValues) {
    return Status::InvalidArgument("ALP block length must be 1..1024");
  }
  EncodeBlock(in, n, Exponents::All(), out);
  return Status::OK();
}

Status AlpDecodeFloatBlock(const Slice& block, size_t n, float* out,
                           size_t* consumed) {
  if (n == 0 || n > kAlpBlockValues) {
    return Status::InvalidArgument("ALP block length must be 1..1024");
  }
  // The decoder may read kSlack bytes past the block: decode from a padded
  // copy.
  std::string padded(block.data(), block.size());
  padded.append(kSlack, '\0');
  const uint8_t* p = reinterpret_cast<const uint8_t*>(padded.data());
  Reader in{p, p + block.size()};
  Status s = DecodeBlock(&in, n, out);
  if (s.ok() && consumed != nullptr) *consumed = static_cast<size_t>(in.p - p);
  return s;
}

Status EncodeFloatMatrix(const float* data, size_t rows, size_t dim,
                         std::string* out) {
  if (dim == 0 || dim > std::numeric_limits<uint32_t>::max()) {
    return Status::InvalidArgument("ALP matrix dimension must be 1..2^32-1");
  }
  if (uint64_t{rows} > (uint64_t{1} << 50) / dim) {
    return Status::InvalidArgument("ALP matrix too large");
  }
  const Layout layout = Layout::Make(rows, static_cast<uint32_t>(dim));
  if (layout.num_blocks >= std::numeric_limits<uint32_t>::max()) {
    return Status::InvalidArgument("ALP matrix has too many blocks");
  }
  const size_t table = (layout.num_blocks + 1) * 4;
  out->clear();
  out->push_back(static_cast<char>(kAlpFormatVersion));
  out->push_back(static_cast<char>(kTypeFloat32));
  PutLE<uint16_t>(out, 0);
  PutLE<uint32_t>(out, static_cast<uint32_t>(dim));
  PutLE<uint64_t>(out, rows);
  PutLE<uint32_t>(out, static_cast<uint32_t>(layout.num_blocks));
  const size_t table_pos = out->size();
  out->append(table, '\0');
  const size_t data_pos = out->size();
  const Exponents tries = MatrixExponents(data, layout);
  for (uint64_t b = 0; b < layout.num_blocks; ++b) {
    uint64_t start;
    size_t n;
    layout.Block(b, &start, &n);
    EncodeBlock(data + start, n, tries, out);
    const uint64_t end = out->size() - data_pos;
    if (end > std::numeric_limits<uint32_t>::max()) {
      out->clear();
      return Status::InvalidArgument("ALP matrix exceeds 4 GiB of block data");
    }
    const uint32_t end32 = static_cast<uint32_t>(end);
    std::memcpy(&(*out)[table_pos + 4 * (b + 1)], &end32, 4);
  }
  out->append(kSlack, '\0');
  return Status::OK();
}

Status GetFloatMatrixInfo(const Slice& encoded, AlpMatrixInfo* info) {
  Container c;
  Status s = ParseContainer(encoded, &c);
  if (!s.ok()) return s;
  info->rows = c.layout.rows;
  info->dim = c.layout.dim;
  info->num_blocks = static_cast<uint32_t>(c.layout.num_blocks);
  return Status::OK();
}

Status DecodeFloatRows(const Slice& encoded, size_t first_row, size_t num_rows,
                       float* out) {
  Container c;
  Status s = ParseContainer(encoded, &c);
  if (!s.ok()) return s;
  const Layout& l = c.layout;
  if (first_row > l.rows || num_rows > l.rows - first_row) {
    return Status::InvalidArgument("ALP row range out of bounds");
  }
  if (num_rows == 0) return Status::OK();
  const uint64_t want_begin = uint64_t{first_row} * l.dim;
  const uint64_t want_end = want_begin + uint64_t{num_rows} * l.dim;
  uint64_t first_block, last_block;
  if (l.chunks == 1) {
    first_block = first_row / l.rows_per_block;
    last_block = (first_row + num_rows - 1) / l.rows_per_block;
  } else {
    first_block = uint64_t{first_row} * l.chunks;
    last_block = uint64_t{first_row + num_rows} * l.chunks - 1;
  }
  float tmp[kAlpBlockValues];
  for (uint64_t b = first_block; b <= last_block; ++b) {
    uint64_t start;
    size_t n;
    l.Block(b, &start, &n);
    if (start >= want_begin && start + n <= want_end) {
      s = DecodeContainerBlock(c, b, out + (start - want_begin));
    } else {
      // Partial block: decode aside and copy the overlap.
      s = DecodeContainerBlock(c, b, tmp);
      if (s.ok()) {
        const uint64_t lo = std::max(start, want_begin);
        const uint64_t hi = std::min(start + n, want_end);
        std::memcpy(out + (lo - want_begin), tmp + (lo - start), (hi - lo) * 4);
      }
    }
    if (!s.ok()) return s;
  }
  return Status::OK();
}

Status DecodeFloatMatrix(const Slice& encoded, std::vector<float>* out) {
  AlpMatrixInfo info;
  Status s = GetFloatMatrixInfo(encoded, &info);
  if (!s.ok()) return s;
  out->resize(static_cast<size_t>(info.rows * info.dim));
  return DecodeFloatRows(encoded, 0, static_cast<size_t>(info.rows),
                         out->data());
}

}  // namespace drift
