#include "index/rabitq.h"

#include <algorithm>
#include <cmath>
#include <cstring>

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

// In-place unnormalized Walsh-Hadamard transform of n (a power of two)
// floats.
void Fwht(float* x, size_t n) {
  for (size_t h = 1; h < n; h *= 2) {
    for (size_t i = 0; i < n; i += 2 * h) {
      for (size_t j = i; j < i + h; ++j) {
        const float a = x[j], b = x[j + h];
        x[j] = a + b;
        x[j + h] = a - b;
      }
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
    Fwht(out, pd);
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
  std::vector<float> o(pd);
  for (size_t i = 0; i < n; ++i) {
    rotation.Apply(rows + i * d, o.data());
    uint8_t* code = codes + i * bytes;
    std::memset(code, 0, bytes);
    double norm2 = 0, l1 = 0;
    for (size_t j = 0; j < pd; ++j) {
      const double r = double{o[j]} - rotated_centroid[j];
      norm2 += r * r;
      l1 += std::fabs(r);
      if (r > 0) code[j / 8] |= static_cast<uint8_t>(1u << (j % 8));
    }
    const double norm = std::sqrt(norm2);
    add[i] = static_cast<float>(norm2);
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
      v_(rotation.padded_dim()) {
  rotation.Apply(query, rotated_query_.data());
}

IsaLevel RabitqScanner::isa() const { return kernels_->level; }

void RabitqScanner::ScanBucket(const float* rotated_centroid,
                               const uint8_t* codes, const float* factors,
                               size_t n, float* est, float* bound) const {
  const size_t pd = rotation_.padded_dim();
  double norm2 = 0, total = 0;
  for (size_t j = 0; j < pd; ++j) {
    v_[j] = rotated_query_[j] - rotated_centroid[j];
    norm2 += double{v_[j]} * v_[j];
    total += v_[j];
  }
  sum_.resize(n);
  kernels_->scan_bits(v_.data(), codes, n, pd, sum_.data());
  const float q2 = static_cast<float>(norm2);
  const float qn = static_cast<float>(std::sqrt(norm2));
  const float vsum = static_cast<float>(total);
  const float* add = factors;
  const float* rescale = factors + n;
  const float* err = factors + 2 * n;
  for (size_t i = 0; i < n; ++i) {
    // rescale * <x, v> sqrt(D), with <x, v> sqrt(D) = 2 S - sum v.
    est[i] = add[i] + q2 + rescale[i] * (2 * sum_[i] - vsum);
    bound[i] = epsilon_ * err[i] * qn;
  }
}

}  // namespace drift
