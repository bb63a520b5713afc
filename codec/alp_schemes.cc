#include "codec/alp_schemes.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "codec/alp_bitpack.h"
#include "codec/alp_kernels.h"

namespace drift {
namespace alp {

using rocksdb::Status;

namespace {

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

}  // namespace

// ---- ALP: decimal -> integer ----

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
  ActiveAlpKernels().ints_to_floats(delta, n, base ^ 0x80000000u, d, out);
  for (size_t k = 0; k < exceptions; ++k) {
    uint16_t p;
    std::memcpy(&p, pos + 2 * k, 2);
    if (p >= n) return Corrupt("ALP exception position out of range");
    std::memcpy(out + p, bits + 4 * k, 4);
  }
  return Status::OK();
}

// ---- ALP_RD: left parts through a dictionary, right parts bit-packed ----

namespace {

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

}  // namespace

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
  ActiveAlpKernels().rd_split(bits, n, dict, r, index, right);
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

}  // namespace alp
}  // namespace drift
