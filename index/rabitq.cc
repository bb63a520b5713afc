#include "index/rabitq.h"

#include <emmintrin.h>  // SSE2: the x86-64 baseline

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <utility>

#include "index/kernel_table.h"

namespace drift {

namespace {

constexpr int kRounds = 3;

uint64_t SplitMix64(uint64_t* state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// planes[b * (n / 64) + t / 64] bit t % 64 = bit b of u[t], for the
// kRabitqQueryBits planes of n (a multiple of 64) values: 16 values at a
// time, each bit moved to the top of its byte and gathered by movemask.
void SetBitPlanes(const uint8_t* u, size_t n, uint64_t* planes) {
  const size_t words = n / 64;
  for (size_t w = 0; w < words; ++w) {
    uint64_t bits[internal::kRabitqQueryBits] = {};
    for (size_t part = 0; part < 4; ++part) {
      const __m128i v = _mm_loadu_si128(
          reinterpret_cast<const __m128i*>(u + 64 * w + 16 * part));
      for (int b = 0; b < internal::kRabitqQueryBits; ++b) {
        // A 16-bit shift: what crosses into a byte's low bits never reaches
        // its top bit (b <= 7).
        const __m128i top = _mm_slli_epi16(v, 7 - b);
        bits[b] |=
            static_cast<uint64_t>(static_cast<uint16_t>(_mm_movemask_epi8(top)))
            << (16 * part);
      }
    }
    for (int b = 0; b < internal::kRabitqQueryBits; ++b) {
      planes[b * words + w] = bits[b];
    }
  }
}

// Byte t of kExpand[b] is bit t of b: unpacks 8 code bits to 8 bytes.
const std::array<uint64_t, 256> kExpand = [] {
  std::array<uint64_t, 256> table{};
  for (uint32_t b = 0; b < 256; ++b) {
    for (int t = 0; t < 8; ++t) {
      if ((b >> t) & 1) table[b] |= uint64_t{1} << (8 * t);
    }
  }
  return table;
}();

// The extended code's search over scale factors t (after Gao et al. 2024):
// the magnitudes k_j = min(2^ex - 1, floor(t |r_j|)) for kScaleSteps values
// of t evenly from kTightStart[ex] * t_end to t_end = (2^ex - 1 + kEnumExtra)
// / max |r_j| (below, the magnitudes barely use the top levels; above, most
// are clamped), keeping the t of the largest <k + 1/2, |r|> / |k + 1/2|.
// The paper visits every critical t exactly (a heap of per-dimension
// events): measured 14 us per 128-d row at ex_bits 3, 4x a flush; the grid is
// a vectorized pass per step and loses little of a_B. Start fractions as in
// the authors' reference implementation (RaBitQ-Library).
constexpr double kTightStart[kRabitqMaxExBits + 1] = {0,    0.15, 0.20, 0.52,
                                                      0.59, 0.71, 0.75, 0.77};
constexpr double kEnumExtra = 10;
constexpr int kScaleSteps = 40;

// Scratch of EncodeExRow, reused across the rows of one RabitqEncode.
struct ExScratch {
  std::vector<float> x;     // |r_j|
  std::vector<uint32_t> k;  // magnitudes, ybar_j = sign(r_j) (k_j + 1/2)
};

// <k + 1/2, x> and |k + 1/2|^2 for k_j = min(top, floor(t x_j)) (x_j >= 0:
// truncation is floor); eight partial sums per pd / 8 so that it vectorizes
// (pd is a multiple of 64).
std::pair<float, float> ScaledCode(const float* x, size_t pd, float t,
                                   float top) {
  float num[8] = {}, den[8] = {};
  for (size_t j = 0; j < pd; j += 8) {
    for (size_t l = 0; l < 8; ++l) {
      const float y =
          std::min(top,
                   static_cast<float>(static_cast<int32_t>(t * x[j + l]))) +
          0.5f;
      num[l] += y * x[j + l];
      den[l] += y * y;
    }
  }
  float n = 0, d = 0;
  for (size_t l = 0; l < 8; ++l) {
    n += num[l];
    d += den[l];
  }
  return {n, d};
}

// The extended code of the residual r (pd floats, |r| = norm > 0, whose sign
// bits are `code`): its ex bit planes and ex factors. a1 is the 1-bit a, the
// floor of a_B (all k_j equal is the 1-bit code).
void EncodeExRow(const float* r, size_t pd, uint32_t ex_bits, double norm,
                 double a1, const uint8_t* code, ExScratch* scratch,
                 uint8_t* ex_code, float* ex_rescale, float* ex_err) {
  const uint32_t top = (1u << ex_bits) - 1;
  std::vector<float>& x = scratch->x;
  std::vector<uint32_t>& k = scratch->k;
  x.resize(pd);
  k.resize(pd);
  float max_x = 0;
  for (size_t j = 0; j < pd; ++j) {
    x[j] = std::fabs(r[j]);
    max_x = std::max(max_x, x[j]);
  }
  const double t_end = (top + kEnumExtra) / max_x;
  const double t_start = t_end * kTightStart[ex_bits];
  double best = -1, best_t = t_start;
  for (int step = 0; step <= kScaleSteps; ++step) {
    const float t =
        static_cast<float>(t_start + (t_end - t_start) * step / kScaleSteps);
    const auto [num, den] =
        ScaledCode(x.data(), pd, t, static_cast<float>(top));
    const double f = num / std::sqrt(static_cast<double>(den));
    if (f > best) {
      best = f;
      best_t = t;
    }
  }
  double num = 0, den = 0;
  // The code at best_t, its a_B recomputed from the code itself: the stored
  // factors match the stored code whatever the search did.
  const float t = static_cast<float>(best_t);
  for (size_t j = 0; j < pd; ++j) {
    k[j] = std::min(top, static_cast<uint32_t>(t * x[j]));
    num += (k[j] + 0.5) * x[j];
    den += (k[j] + 0.5) * (k[j] + 0.5);
  }
  double a = std::min(1.0, num / (std::sqrt(den) * norm));
  if (!(a >= a1)) {  // keep the 1-bit code's a (k all 0)
    std::fill(k.begin(), k.end(), 0);
    num = 0;
    for (size_t j = 0; j < pd; ++j) num += 0.5 * x[j];
    a = a1;
  }
  // e_j = k_j above 0 (b_j = 1, ybar_j = e_j + 1/2), 2^ex - 1 - k_j below.
  const size_t bytes = pd / 8;
  std::memset(ex_code, 0,
              RabitqExCodeBytes(static_cast<uint32_t>(pd), ex_bits));
  for (size_t j = 0; j < pd; ++j) {
    const bool positive = (code[j / 8] >> (j % 8)) & 1;
    const uint32_t e = positive ? k[j] : top - k[j];
    for (uint32_t b = 0; b < ex_bits; ++b) {
      ex_code[b * bytes + j / 8] |=
          static_cast<uint8_t>(((e >> b) & 1) << (j % 8));
    }
  }
  // <ybar, r> = sum_j (k_j + 1/2) |r_j| = num.
  *ex_rescale = static_cast<float>(-2 * norm * norm / num);
  *ex_err = static_cast<float>(2 * norm * std::sqrt(1 - a * a) /
                               (a * std::sqrt(static_cast<double>(pd - 1))));
}

}  // namespace

uint32_t RabitqRotation::PaddedDim(uint32_t dim) {
  uint32_t pd = 64;
  while (pd < dim) pd *= 2;
  return pd;
}

RabitqRotation::RabitqRotation(uint32_t dim, uint64_t seed)
    : dim_(dim), padded_dim_(PaddedDim(dim)), seed_(seed) {
  signs_.resize(size_t{kRounds} * padded_dim_);
  uint64_t state = seed;
  for (size_t i = 0; i < signs_.size(); i += 64) {
    const uint64_t bits = SplitMix64(&state);
    for (size_t b = 0; b < 64 && i + b < signs_.size(); ++b) {
      signs_[i + b] = (bits >> b) & 1 ? 1.0f : -1.0f;
    }
  }
}

void RabitqRotation::Apply(const float* x, float* out) const {
  const size_t pd = padded_dim_;
  std::copy(x, x + dim_, out);
  std::fill(out + dim_, out + pd, 0.0f);
  // Each round: P_k = H D_k / sqrt(pd), orthogonal; the normalization of
  // all rounds is applied once at the end.
  for (int r = 0; r < kRounds; ++r) {
    const float* s = signs_.data() + r * pd;
    for (size_t j = 0; j < pd; ++j) out[j] *= s[j];
    internal::ActiveKernels().fwht(out, pd);
  }
  const float norm = static_cast<float>(
      1.0 / std::pow(static_cast<double>(pd), kRounds / 2.0));
  for (size_t j = 0; j < pd; ++j) out[j] *= norm;
}

void RabitqEncode(const RabitqRotation& rotation, const float* rotated_centroid,
                  const float* rows, size_t n, uint8_t* codes, float* factors,
                  uint32_t ex_bits, uint8_t* ex_codes, float* ex_factors) {
  const size_t d = rotation.dim();
  const size_t pd = rotation.padded_dim();
  const size_t bytes = RabitqCodeBytes(rotation.padded_dim());
  const double sqrt_d = std::sqrt(static_cast<double>(pd));
  const double sqrt_d1 = std::sqrt(static_cast<double>(pd - 1));
  float* add = factors;
  float* rescale = factors + n;
  float* err = factors + 2 * n;
  float* pop = factors + 3 * n;
  float* cdot = factors + 4 * n;
  std::vector<float> o(pd);
  ExScratch scratch;
  for (size_t i = 0; i < n; ++i) {
    rotation.Apply(rows + i * d, o.data());
    uint8_t* code = codes + i * bytes;
    // Four lanes at a time (SSE): r = o' - c, its sign bits, and partial
    // sums of r^2, |r| and sign(r) c, summed in double at the end.
    const __m128 sign = _mm_set1_ps(-0.0f);
    __m128 n4 = _mm_setzero_ps(), l4 = n4, c4 = n4;
    for (size_t j = 0; j < pd; j += 4) {
      const __m128 cj = _mm_loadu_ps(rotated_centroid + j);
      const __m128 r = _mm_sub_ps(_mm_loadu_ps(o.data() + j), cj);
      _mm_storeu_ps(o.data() + j, r);  // o becomes r for the extended code
      const __m128 positive = _mm_cmpgt_ps(r, _mm_setzero_ps());
      n4 = _mm_add_ps(n4, _mm_mul_ps(r, r));
      l4 = _mm_add_ps(l4, _mm_andnot_ps(sign, r));
      c4 = _mm_add_ps(c4, _mm_xor_ps(cj, _mm_andnot_ps(positive, sign)));
      const int bits = _mm_movemask_ps(positive);
      if (j % 8 == 0) {
        code[j / 8] = static_cast<uint8_t>(bits);
      } else {
        code[j / 8] |= static_cast<uint8_t>(bits << 4);
      }
    }
    float lanes[3][4];
    _mm_storeu_ps(lanes[0], n4);
    _mm_storeu_ps(lanes[1], l4);
    _mm_storeu_ps(lanes[2], c4);
    double norm2 = 0, l1 = 0, c = 0;
    for (int k = 0; k < 4; ++k) {
      norm2 += lanes[0][k];
      l1 += lanes[1][k];
      c += lanes[2][k];
    }
    cdot[i] = static_cast<float>(c);
    const double norm = std::sqrt(norm2);
    add[i] = static_cast<float>(norm2);
    uint32_t ones = 0;
    for (size_t b = 0; b < bytes; ++b) ones += __builtin_popcount(code[b]);
    pop[i] = static_cast<float>(ones);
    uint8_t* ex_code =
        ex_bits > 0 ? ex_codes + i * RabitqExCodeBytes(pd, ex_bits) : nullptr;
    if (norm == 0) {  // the row is the centroid: the estimate is exact
      rescale[i] = 0;
      err[i] = 0;
      if (ex_bits > 0) {
        std::memset(ex_code, 0, RabitqExCodeBytes(pd, ex_bits));
        ex_factors[i] = ex_factors[n + i] = 0;
      }
      continue;
    }
    // a = <x, o'/|o'|> = |o'|_1 / (sqrt(D) |o'|) in [1/sqrt(D), 1].
    const double a = std::min(1.0, l1 / (sqrt_d * norm));
    rescale[i] = static_cast<float>(-2 * norm / (a * sqrt_d));
    err[i] =
        static_cast<float>(2 * norm * std::sqrt(1 - a * a) / (a * sqrt_d1));
    if (ex_bits > 0) {
      EncodeExRow(o.data(), pd, ex_bits, norm, a, code, &scratch, ex_code,
                  &ex_factors[i], &ex_factors[n + i]);
    }
  }
}

RabitqScanner::RabitqScanner(const RabitqRotation& rotation, const float* query,
                             float epsilon, IsaLevel isa)
    : rotation_(rotation),
      kernels_(&internal::KernelsFor(isa)),
      epsilon_(epsilon),
      rotated_query_(rotation.padded_dim()),
      planes_(internal::kRabitqQueryBits * (rotation.padded_dim() / 64)) {
  const size_t pd = rotation.padded_dim();
  const float* rq = rotated_query_.data();
  rotation.Apply(query, rotated_query_.data());
  // kLanes independent accumulators (pd is a multiple of 64): the loops
  // vectorize instead of waiting on one dependency chain per element.
  constexpr size_t kLanes = 8;
  float lo[kLanes], hi[kLanes];
  for (size_t l = 0; l < kLanes; ++l) lo[l] = hi[l] = rq[l];
  for (size_t j = 0; j < pd; j += kLanes) {
    for (size_t l = 0; l < kLanes; ++l) {
      lo[l] = std::min(lo[l], rq[j + l]);
      hi[l] = std::max(hi[l], rq[j + l]);
    }
  }
  lo_ = *std::min_element(lo, lo + kLanes);
  const float max = *std::max_element(hi, hi + kLanes);
  // Pq~_j = lo + delta u_j, u_j in [0, 2^bits - 1], nearest on the grid.
  constexpr int kLevels = (1 << internal::kRabitqQueryBits) - 1;
  delta_ = (max - lo_) / kLevels;
  const float inv = delta_ > 0 ? 1 / delta_ : 0;
  std::vector<uint8_t> u(pd);
  double resid2[kLanes] = {}, qsum[kLanes] = {};
  for (size_t j = 0; j < pd; j += kLanes) {
    for (size_t l = 0; l < kLanes; ++l) {
      const float x = rq[j + l];
      const uint8_t level = static_cast<uint8_t>(std::min<uint32_t>(
          kLevels, static_cast<uint32_t>((x - lo_) * inv + 0.5f)));
      u[j + l] = level;
      const double q = lo_ + delta_ * static_cast<float>(level);
      resid2[l] += (x - q) * (x - q);
      qsum[l] += q;
    }
  }
  SetBitPlanes(u.data(), pd, planes_.data());
  qsum_ = static_cast<float>(std::accumulate(qsum, qsum + kLanes, 0.0));
  resid_ = static_cast<float>(
      std::sqrt(std::accumulate(resid2, resid2 + kLanes, 0.0)));
}

IsaLevel RabitqScanner::isa() const { return kernels_->level; }

void RabitqScanner::PrepareRefine(const float* rotated_centroid) const {
  const size_t pd = rotation_.padded_dim();
  v_.resize(pd);
  u_float_.resize(pd);
  u_bytes_.resize(pd);
  float sum = 0;
  for (size_t j = 0; j < pd; ++j) {
    v_[j] = rotated_query_[j] - rotated_centroid[j];
    sum += v_[j];
  }
  v_sum_ = sum;
  // As ScanBucket computes it, so refined and 1-bit estimates agree on it.
  v_norm2_ = kernels_->l2sqr(rotated_query_.data(), rotated_centroid, pd);
}

void RabitqScanner::RefineRow(const uint8_t* codes, const float* factors,
                              const RabitqExCodes& ex, size_t n, size_t i,
                              float* est, float* bound) const {
  const uint32_t pd = rotation_.padded_dim();
  const size_t bytes = RabitqCodeBytes(pd);
  const uint8_t* sign = codes + i * bytes;
  const uint8_t* planes = ex.codes + i * RabitqExCodeBytes(pd, ex.ex_bits);
  // u_j = b_j 2^ex + e_j, eight dimensions per 64-bit word (u_j < 256),
  // then as floats (local pointers: the conversion vectorizes).
  uint8_t* const u8 = u_bytes_.data();
  float* const uf = u_float_.data();
  const uint32_t ex_bits = ex.ex_bits;
  for (size_t w = 0; w < bytes; ++w) {
    uint64_t word = kExpand[sign[w]] << ex_bits;
    for (uint32_t b = 0; b < ex_bits; ++b) {
      word |= kExpand[planes[b * bytes + w]] << b;
    }
    std::memcpy(u8 + 8 * w, &word, 8);
  }
  for (size_t j = 0; j < pd; ++j) uf[j] = u8[j];
  // <ybar, v> = <u, v> - (2^B - 1) / 2 sum_j v_j.
  const float half = static_cast<float>((2u << ex.ex_bits) - 1) * 0.5f;
  const float ybar_v =
      kernels_->inner_product(uf, v_.data(), pd) - half * v_sum_;
  est[i] = factors[i] + v_norm2_ + ex.factors[i] * ybar_v;
  bound[i] = epsilon_ * ex.factors[n + i] * std::sqrt(v_norm2_);
}

void RabitqScanner::ScanBucket(const float* rotated_centroid,
                               const uint8_t* codes, const float* factors,
                               size_t n, float* est, float* bound) const {
  const size_t pd = rotation_.padded_dim();
  const float norm2 =
      kernels_->l2sqr(rotated_query_.data(), rotated_centroid, pd);
  const float qn = std::sqrt(norm2);
  dot_.resize(n);
  kernels_->scan_planes(planes_.data(), codes, n, pd, dot_.data());
  const float* add = factors;
  const float* rescale = factors + n;
  const float* err = factors + 2 * n;
  const float* pop = factors + 3 * n;
  const float* cdot = factors + 4 * n;
  // Vectorizes (rabitq.cc is compiled without errno for sqrt).
  for (size_t i = 0; i < n; ++i) {
    // sqrt(D) <x, Pq~> = 2 sum_{b_j=1} Pq~_j - sum_j Pq~_j.
    const float xq =
        2 * (lo_ * pop[i] + delta_ * static_cast<float>(dot_[i])) - qsum_;
    est[i] = add[i] + norm2 + rescale[i] * (xq - cdot[i]);
    const float code_err = err[i] * qn, query_err = rescale[i] * resid_;
    bound[i] =
        epsilon_ * std::sqrt(code_err * code_err + query_err * query_err);
  }
}

}  // namespace drift
