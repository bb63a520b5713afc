// ALP / ALP_RD float32 codec; see alp.h for the design and docs/format-alp.md
// for the byte format. All multi-byte fields are little-endian.
#include "codec/alp.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <utility>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

// The two decode loops get an AVX2 clone that the loader picks on CPUs that
// have it (GCC function multi-versioning, an ifunc): the same IEEE operations
// eight lanes wide instead of four, so results are bit-identical.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && \
    !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
#define DRIFT_ALP_AVX2_CLONE __attribute__((target_clones("avx2", "default")))
#else
#define DRIFT_ALP_AVX2_CLONE
#endif

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
DRIFT_ALP_AVX2_CLONE
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
DRIFT_ALP_AVX2_CLONE
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
    m = std::min(std::min(lanes[0], lanes[1]), std::min(lanes[2], lanes[3]));
  }
#endif
  for (; i < n; ++i) m = std::min(m, v[i]);
  return m;
}

DRIFT_ALP_AVX2_CLONE
void PackUints(const uint32_t* v, size_t n, std::string* out) {
  const uint32_t base = MinUint(v, n);
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
    UnpackRows(src, words / kLanes, rows, widths, delta);
  }
  if (tail) {
    UnpackTail(src + words * 4, widths[rows], tail, delta + rows * kLanes);
  }
  return Status::OK();
}

// ---- ALP: decimal -> integer ----

// The decoder's formula; the encoder checks every value against it.
// The k-th of up to n sampled positions of a block of n values: a stride
// coprime to n, so samples are distinct and do not alias with the vector
// dimension (equidistant samples of a block of 8 rows x 128 would see only 4
// of the 128 columns).
inline size_t SampleIndex(size_t k, size_t n) {
  const size_t stride = n % 997 == 0 ? 991 : 997;
  return (k * stride + 13) % n;
}

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

// Appends the ALP block; returns its exception count.
size_t EncodeAlpBlock(const float* in, size_t n, int d, std::string* out) {
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
  return exceptions;
}

// n values = float(int32(base + delta)) scaled by 10^-d; vectorizable loops.
DRIFT_ALP_AVX2_CLONE
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
  unsigned dict_bits = 0;  // Dictionary of up to 2^dict_bits entries.
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

// Picks the cut point and dictionary size from `s` <= kAlpBlockValues sampled
// bit patterns by estimated size: index + right bits per value, 32 bits per
// exception (position + left part), 16 bits per dictionary entry.
RdChoice ChooseRdCut(const uint32_t* sample, size_t s) {
  RdChoice best;
  // Sorted once: for every cut r, `sorted[k] >> r` is then sorted too, so equal
  // left parts are runs and need no further sort.
  uint32_t sorted[kAlpBlockValues];
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
      if (bits < best.est_bits) best = {r, b, bits};
    }
  }
  return best;
}

// An ALP_RD cut point and dictionary, shared by the blocks of a matrix.
struct RdPlan {
  unsigned right_bits = 0;  // 0: no plan.
  size_t dict_size = 0;
  uint16_t dict[kRdMaxDict] = {};
  double est_bits_per_value = 33.0;
  double exception_fraction = 1.0;  // Of the sample.
};

// Builds an RdPlan from `s` (1..kAlpBlockValues) sampled bit patterns.
RdPlan MakeRdPlan(const uint32_t* sample, size_t s) {
  RdPlan plan;
  const RdChoice c = ChooseRdCut(sample, s);
  uint16_t keys[kAlpBlockValues];
  std::pair<size_t, uint16_t> top[kAlpBlockValues];
  for (size_t i = 0; i < s; ++i) {
    keys[i] = static_cast<uint16_t>(sample[i] >> c.right_bits);
  }
  const size_t distinct = TopFrequencies(keys, s, top);
  plan.right_bits = c.right_bits;
  plan.dict_size = std::min(distinct, size_t{1} << c.dict_bits);
  for (size_t t = 0; t < plan.dict_size; ++t) plan.dict[t] = top[t].second;
  plan.est_bits_per_value = static_cast<double>(c.est_bits) / s;
  size_t covered = 0;
  for (size_t t = 0; t < plan.dict_size; ++t) covered += top[t].first;
  plan.exception_fraction = static_cast<double>(s - covered) / s;
  return plan;
}

// Encodes with the plan's cut and dictionary; returns the exception count.
DRIFT_ALP_AVX2_CLONE
size_t EncodeRdBlock(const uint32_t* bits, size_t n, const RdPlan& plan,
                     std::string* out) {
  const unsigned r = plan.right_bits;
  const size_t dict_size = plan.dict_size;
  uint32_t index[kAlpBlockValues], right[kAlpBlockValues];
  uint16_t exc_pos[kAlpBlockValues], exc_left[kAlpBlockValues];
  // Padded with entry 0 so the branch-free search below has a fixed length;
  // it keeps the first match, and kRdMaxDict means no match.
  uint32_t dict[kRdMaxDict];
  for (size_t t = 0; t < kRdMaxDict; ++t) {
    dict[t] = plan.dict[t < dict_size ? t : 0];
  }
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
  size_t exceptions = 0;
  for (size_t i = 0; i < n; ++i) {
    if (index[i] == kRdMaxDict) {
      exc_pos[exceptions] = static_cast<uint16_t>(i);
      exc_left[exceptions++] = static_cast<uint16_t>(bits[i] >> r);
      index[i] = 0;
    }
  }
  out->push_back(static_cast<char>(kAlpRd));
  PutLE<uint16_t>(out, static_cast<uint16_t>(n));
  out->push_back(static_cast<char>(r));
  out->push_back(static_cast<char>(dict_size));
  out->append(reinterpret_cast<const char*>(plan.dict), dict_size * 2);
  PutLE<uint16_t>(out, static_cast<uint16_t>(exceptions));
  PackUints(index, n, out);
  PackUints(right, n, out);
  out->append(reinterpret_cast<const char*>(exc_pos), exceptions * 2);
  out->append(reinterpret_cast<const char*>(exc_left), exceptions * 2);
  return exceptions;
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

// How a matrix is encoded, from a sample of the whole input (the paper's first
// sampling level): the ALP exponents worth trying and an ALP_RD cut point and
// dictionary, so a block only estimates ALP on a few values and encodes once.
struct EncodePlan {
  Exponents tries = Exponents::All();
  bool retry_all = true;  // Try every exponent when `tries` fit poorly.
  RdPlan rd;
};

// A block-local ALP_RD plan when the shared one leaves 1/16 of the values more
// as exceptions than it did on its sample (the block differs from the sample).
constexpr double kRdReplanMargin = 1.0 / 16;

// A block whose ALP encoding has more than 1/kAlpRecheckFraction exceptions
// re-checks its exponent on kAlpRecheckSamples values: 32 samples of a sparse
// row can be all zeros but two, which makes an exponent look best that turns
// every non-zero pixel into an exception.
constexpr size_t kAlpRecheckFraction = 32;
constexpr size_t kAlpRecheckSamples = 256;

// Re-encodes the ALP block at out[start..) with the exponent that wins on a
// larger sample, if that differs from `d` and is smaller.
void RecheckAlpExponent(const float* in, size_t n, const EncodePlan& plan,
                        int d, size_t start, std::string* out) {
  size_t sample[kAlpRecheckSamples];
  const size_t s = std::min(n, kAlpRecheckSamples);
  for (size_t k = 0; k < s; ++k) sample[k] = SampleIndex(k, n);
  AlpChoice c = ChooseAlpExponent(in, sample, s, plan.tries);
  const AlpChoice all = ChooseAlpExponent(in, sample, s, Exponents::All());
  if (all.est_bits < c.est_bits) c = all;
  if (c.d == d) return;
  std::string other;
  EncodeAlpBlock(in, n, c.d, &other);
  if (other.size() < out->size() - start) {
    out->resize(start);
    out->append(other);
  }
}

// ALP_RD is also tried unless ALP is this factor below its estimate.
constexpr double kCloseEstimates = 1.25;

void EncodeRawBlock(const float* in, size_t n, std::string* out) {
  out->push_back(static_cast<char>(kRaw));
  PutLE<uint16_t>(out, static_cast<uint16_t>(n));
  out->append(reinterpret_cast<const char*>(in), 4 * n);
}

// Appends the ALP_RD encoding of the block to `out` if it is smaller than
// `limit` bytes; true if it did.
bool TryRdBlock(const uint32_t* bits, size_t n, const RdPlan& plan,
                size_t limit, std::string* out) {
  if (plan.right_bits == 0) return false;
  const size_t start = out->size();
  const size_t exceptions = EncodeRdBlock(bits, n, plan, out);
  if (static_cast<double>(exceptions) >
      (plan.exception_fraction + kRdReplanMargin) * static_cast<double>(n)) {
    uint32_t sample[kRdSamples];
    const size_t s = std::min(n, kRdSamples);
    for (size_t k = 0; k < s; ++k) sample[k] = bits[SampleIndex(k, n)];
    std::string local;
    EncodeRdBlock(bits, n, MakeRdPlan(sample, s), &local);
    if (local.size() < out->size() - start) {
      out->resize(start);
      out->append(local);
    }
  }
  if (out->size() - start < limit) return true;
  out->resize(start);
  return false;
}

void EncodeBlock(const float* in, size_t n, const EncodePlan& plan,
                 std::string* out) {
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
  // ALP estimate from <= 32 sampled values (SampleIndex).
  size_t sample[kAlpSamples];
  const size_t s = std::min(n, kAlpSamples);
  for (size_t k = 0; k < s; ++k) sample[k] = SampleIndex(k, n);
  AlpChoice alp = ChooseAlpExponent(in, sample, s, plan.tries);
  if (alp.est_bits > 16 * s && plan.retry_all &&
      plan.tries.count < 2 * kMaxExponent + 1) {
    alp = ChooseAlpExponent(in, sample, s, Exponents::All());
  }
  const bool alp_fits = alp.est_bits < 32 * s;
  const double rd_est = plan.rd.est_bits_per_value * static_cast<double>(s);
  // ALP when its estimate is the smaller one, kept without trying ALP_RD when
  // its real size is clearly below ALP_RD's estimate (32 samples are noisy:
  // e.g. all zeros in a sparse image row); otherwise the smaller of both, and
  // raw when neither is smaller than that.
  if (alp_fits && static_cast<double>(alp.est_bits) <= rd_est) {
    const size_t start = out->size();
    const size_t exceptions = EncodeAlpBlock(in, n, alp.d, out);
    if (exceptions > n / kAlpRecheckFraction) {
      RecheckAlpExponent(in, n, plan, alp.d, start, out);
    }
    const size_t alp_size = out->size() - start;
    const double alp_bits = 8.0 * static_cast<double>(alp_size) * s / n;
    // ALP_RD spends >= kRdMinRight bits per value on right parts alone.
    if (alp_size <= kBlockHeader + n * kRdMinRight / 8) return;
    if (alp_size < raw_size && alp_bits * kCloseEstimates < rd_est) return;
    std::string rd;
    if (TryRdBlock(bits, n, plan.rd, std::min(alp_size, raw_size), &rd)) {
      out->resize(start);
      out->append(rd);
      return;
    }
    if (alp_size < raw_size) return;
    out->resize(start);
  } else {
    if (TryRdBlock(bits, n, plan.rd, raw_size, out)) return;
    if (alp_fits) {
      const size_t start = out->size();
      EncodeAlpBlock(in, n, alp.d, out);
      if (out->size() - start < raw_size) return;
      out->resize(start);
    }
  }
  EncodeRawBlock(in, n, out);
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

// The plan of a matrix from up to 8 sampled blocks: the <= 3 exponents that
// win most often, and an ALP_RD plan from up to 1024 sampled values. Blocks
// retry every exponent only when some sampled block preferred ALP to ALP_RD.
EncodePlan MakeEncodePlan(const float* data, const Layout& layout) {
  const uint64_t picks = std::min<uint64_t>(8, layout.num_blocks);
  size_t wins[2 * kMaxExponent + 1] = {};
  AlpChoice choices[8];
  uint32_t rd_sample[kRdSamples];
  size_t rd_samples = 0;
  for (uint64_t p = 0; p < picks; ++p) {
    uint64_t start;
    size_t n;
    layout.Block(p * layout.num_blocks / picks, &start, &n);
    size_t sample[kAlpSamples];
    const size_t s = std::min(n, kAlpSamples);
    for (size_t k = 0; k < s; ++k) sample[k] = SampleIndex(k, n);
    choices[p] = ChooseAlpExponent(data + start, sample, s, Exponents::All());
    // Normalized to bits per kAlpSamples values for the comparison below.
    choices[p].est_bits = choices[p].est_bits * kAlpSamples / s;
    if (choices[p].est_bits < 32 * kAlpSamples)
      ++wins[choices[p].d + kMaxExponent];
    const size_t rs = std::min<size_t>(n, kRdSamples / picks);
    for (size_t k = 0; k < rs; ++k) {
      std::memcpy(&rd_sample[rd_samples++], data + start + SampleIndex(k, n),
                  4);
    }
  }
  EncodePlan plan;
  plan.tries = Exponents();
  for (size_t round = 0; round < 3; ++round) {
    size_t best = 0;
    for (size_t i = 1; i < std::size(wins); ++i) {
      if (wins[i] > wins[best]) best = i;
    }
    if (wins[best] == 0) break;
    plan.tries.d[plan.tries.count++] =
        static_cast<int8_t>(static_cast<int>(best) - kMaxExponent);
    wins[best] = 0;
  }
  if (plan.tries.count == 0) plan.tries = Exponents::All();
  if (rd_samples > 0) plan.rd = MakeRdPlan(rd_sample, rd_samples);
  plan.retry_all = false;
  for (uint64_t p = 0; p < picks; ++p) {
    plan.retry_all |= static_cast<double>(choices[p].est_bits) <=
                      plan.rd.est_bits_per_value * kAlpSamples;
  }
  return plan;
}

}  // namespace

// ---- Public API ----

Status AlpEncodeFloatBlock(const float* in, size_t n, std::string* out) {
  if (n == 0 || n > kAlpBlockValues) {
    return Status::InvalidArgument("ALP block length must be 1..1024");
  }
  EncodeBlock(in, n, MakeEncodePlan(in, Layout::Make(1, n)), out);
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

namespace {

Status CheckMatrixShape(size_t rows, size_t dim) {
  if (dim == 0 || dim > std::numeric_limits<uint32_t>::max()) {
    return Status::InvalidArgument("ALP matrix dimension must be 1..2^32-1");
  }
  if (uint64_t{rows} > (uint64_t{1} << 50) / dim) {
    return Status::InvalidArgument("ALP matrix too large");
  }
  return Status::OK();
}

}  // namespace

struct AlpMatrixEncoder::Plan {
  EncodePlan plan;
  bool raw = false;
};

AlpMatrixEncoder AlpMatrixEncoder::Uncompressed(size_t dim) {
  AlpMatrixEncoder e(nullptr, 0, dim);
  e.plan_->raw = true;
  return e;
}

AlpMatrixEncoder::AlpMatrixEncoder(const float* sample, size_t rows, size_t dim)
    : dim_(dim), plan_(std::make_unique<Plan>()) {
  if (rows > 0 && CheckMatrixShape(rows, dim).ok()) {
    plan_->plan =
        MakeEncodePlan(sample, Layout::Make(rows, static_cast<uint32_t>(dim)));
  }
}

AlpMatrixEncoder::AlpMatrixEncoder(AlpMatrixEncoder&&) noexcept = default;
AlpMatrixEncoder::~AlpMatrixEncoder() = default;

Status AlpMatrixEncoder::Encode(const float* data, size_t rows,
                                std::string* out) const {
  Status s = CheckMatrixShape(rows, dim_);
  if (!s.ok()) return s;
  const Layout layout = Layout::Make(rows, static_cast<uint32_t>(dim_));
  if (layout.num_blocks >= std::numeric_limits<uint32_t>::max()) {
    return Status::InvalidArgument("ALP matrix has too many blocks");
  }
  const size_t table = (layout.num_blocks + 1) * 4;
  out->clear();
  out->push_back(static_cast<char>(kAlpFormatVersion));
  out->push_back(static_cast<char>(kTypeFloat32));
  PutLE<uint16_t>(out, 0);
  PutLE<uint32_t>(out, static_cast<uint32_t>(dim_));
  PutLE<uint64_t>(out, rows);
  PutLE<uint32_t>(out, static_cast<uint32_t>(layout.num_blocks));
  const size_t table_pos = out->size();
  out->append(table, '\0');
  const size_t data_pos = out->size();
  for (uint64_t b = 0; b < layout.num_blocks; ++b) {
    uint64_t start;
    size_t n;
    layout.Block(b, &start, &n);
    if (plan_->raw) {
      EncodeRawBlock(data + start, n, out);
    } else {
      EncodeBlock(data + start, n, plan_->plan, out);
    }
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

Status EncodeFloatMatrix(const float* data, size_t rows, size_t dim,
                         std::string* out) {
  Status s = CheckMatrixShape(rows, dim);
  if (!s.ok()) return s;
  return AlpMatrixEncoder(data, rows, dim).Encode(data, rows, out);
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
