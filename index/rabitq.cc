#include "index/rabitq.h"

#include <emmintrin.h>  // SSE2: the x86-64 baseline

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

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
                  const float* rows, size_t n, uint8_t* codes, float* factors) {
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
    if (norm == 0) {  // the row is the centroid: the estimate is exact
      rescale[i] = 0;
      err[i] = 0;
      continue;
    }
    // a = <x, o'/|o'|> = |o'|_1 / (sqrt(D) |o'|) in [1/sqrt(D), 1].
    const double a = std::min(1.0, l1 / (sqrt_d * norm));
    rescale[i] = static_cast<float>(-2 * norm / (a * sqrt_d));
    err[i] =
        static_cast<float>(2 * norm * std::sqrt(1 - a * a) / (a * sqrt_d1));
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
  const size_t words = pd / 64;
  const float* rq = rotated_query_.data();
  rotation.Apply(query, rotated_query_.data());
  const auto [lo, hi] = std::minmax_element(rq, rq + pd);
  // Pq~_j = lo + delta u_j, u_j in [0, 2^bits - 1], nearest on the grid.
  constexpr int kLevels = (1 << internal::kRabitqQueryBits) - 1;
  lo_ = *lo;
  delta_ = (*hi - *lo) / kLevels;
  const float inv = delta_ > 0 ? 1 / delta_ : 0;
  std::vector<uint8_t> u(pd);
  double resid2 = 0, qsum = 0;
  for (size_t j = 0; j < pd; ++j) {
    u[j] = static_cast<uint8_t>(std::min<uint32_t>(
        kLevels, static_cast<uint32_t>((rq[j] - lo_) * inv + 0.5f)));
    const double q = lo_ + delta_ * static_cast<float>(u[j]);
    resid2 += (rq[j] - q) * (rq[j] - q);
    qsum += q;
  }
  SetBitPlanes(u.data(), pd, planes_.data());
  qsum_ = static_cast<float>(qsum);
  resid_ = static_cast<float>(std::sqrt(resid2));
}

IsaLevel RabitqScanner::isa() const { return kernels_->level; }

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
