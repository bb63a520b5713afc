// RaBitQ-style 1-bit codes with an error bound (Gao & Long, SIGMOD 2024):
// per vector one bit per (rotated) dimension plus five floats, an unbiased
// estimate of its squared L2 distance to a query and a bound on that
// estimate's error, scanned through the per-ISA kernel tables.
//
// A row o of a bucket with centroid c is coded relative to c: with the
// rotation P (RabitqRotation) and o' = P(o - c), the code is b_j = [o'_j > 0]
// and x = (2b - 1) / sqrt(D) is the unit vector of the code (D = the padded
// dimension). a = <x, o'/|o'|> (> 0) is how well x matches the row. For a
// query q, v = P(q - c) and
//   |q - o|^2 = |o'|^2 + |v|^2 - 2 |o'| |v| <o'/|o'|, v/|v|>,
// where <x, v> / a estimates |v| <o'/|o'|, v/|v|> without bias; its error is
// at most eps * |v| sqrt(1 - a^2) / (a sqrt(D - 1)) with a probability that
// grows with eps like a Gaussian tail (the residual of o' off x is uniform
// on a sphere under the random rotation). The distance bound is that error
// times 2 |o'|. <x, v> = <x, Pq> - <x, Pc>: the second term is stored per
// row, the first is computed from the rotated query quantized once per query
// to 4-bit values on a uniform grid (Pq~ = lo + delta u), as exact integer
// popcounts of the code against the bit planes of u. Its rounding error
// <x, Pq - Pq~> has standard deviation |Pq - Pq~| / sqrt(D) (code signs
// independent of the query), added in quadrature to the code's error. So a
// bucket costs no per-query preparation beyond |v|^2.
//
// Extended codes (Gao et al. 2024, extended RaBitQ), optional: ex_bits in
// [1, 7] more bits per rotated dimension make a B = 1 + ex_bits bit code
// u_j = b_j 2^ex + e_j in [0, 2^B - 1] whose reconstruction
// ybar_j = u_j - (2^B - 1) / 2 keeps the sign of b_j; the encoder picks the
// e_j maximizing a_B = <ybar/|ybar|, o'/|o'|> (never below the 1-bit a, the
// e_j all equal). The same argument gives the same kind of bound:
// <ybar, v> / (|ybar| a_B) estimates |v| <o'/|o'|, v/|v|> without bias, with
// error at most eps |v| sqrt(1 - a_B^2) / (a_B sqrt(D - 1)) with the same
// Gaussian-tail probability in eps (ybar depends on o' only; the residual of
// o'/|o'| off ybar/|ybar| is uniform on its sphere under the rotation). It
// is computed from the float rotated query (no query quantization, so no
// second error term), for the few rows a search refines
// (RabitqScanner::RefineRow); the 1-bit scan stays the first stage.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "util/cpu_features.h"

namespace drift {

namespace internal {
struct Kernels;
}  // namespace internal

// The random orthogonal map P: three rounds of random sign flips followed by
// the normalized Walsh-Hadamard transform, on the vector zero-padded to
// padded_dim() (the least power of two >= max(dim, 64)). O(D log D) per
// vector; the same (dim, seed) always gives the same map.
class RabitqRotation {
 public:
  static constexpr uint64_t kDefaultSeed = 0x5241426974510001ull;
  explicit RabitqRotation(uint32_t dim, uint64_t seed = kDefaultSeed);

  uint32_t dim() const { return dim_; }
  uint32_t padded_dim() const { return padded_dim_; }
  uint64_t seed() const { return seed_; }
  static uint32_t PaddedDim(uint32_t dim);

  // out[0, padded_dim()) = P x for x of dim() floats.
  void Apply(const float* x, float* out) const;
  size_t MemoryUsage() const {
    return sizeof(*this) + signs_.capacity() * sizeof(float);
  }

 private:
  uint32_t dim_;
  uint32_t padded_dim_;
  uint64_t seed_;
  std::vector<float> signs_;  // 3 x padded_dim of +-1
};

// Per-row factors of a code, stored next to the codes of a bucket as three
// arrays of n floats (so a scan reads each with unit stride):
//   add[n]     |o'|^2
//   rescale[n] -2 |o'| / (a sqrt(D)); 0 when o == c
//   err[n]     2 |o'| sqrt(1 - a^2) / (a sqrt(D - 1))
//   pop[n]     the number of set bits of the code
//   cdot[n]    sqrt(D) <x, Pc> = sum_j (2 b_j - 1) (Pc)_j
// The estimate is add + |v|^2 + rescale * (sqrt(D) <x, Pq~> - cdot), the
// bound eps * sqrt((err |v|)^2 + (rescale |Pq - Pq~|)^2).
constexpr size_t kRabitqFactorsPerRow = 5;

// Bytes of one code: padded_dim / 8.
inline size_t RabitqCodeBytes(uint32_t padded_dim) { return padded_dim / 8; }

// The extended codes' refinement bits per dimension: 0 (1-bit codes only)
// to kRabitqMaxExBits.
constexpr uint32_t kRabitqMaxExBits = 7;
// The padded dimension from which the 1-bit bound is tight enough to prune
// most rows alone: the auto choices of ex_bits (below) and of a segment's
// codes (table/vector_section_writer.h SegmentCodes) switch here.
constexpr uint32_t kRabitqTightPaddedDim = 512;
// ex_bits when the option says auto: 0 from kRabitqTightPaddedDim on (the
// bytes would cost more than they save), else 3.
inline uint32_t RabitqAutoExBits(uint32_t padded_dim) {
  return padded_dim >= kRabitqTightPaddedDim ? 0 : 3;
}
// Bytes of one row's extended code: ex_bits planes of padded_dim / 8 bytes,
// bit j % 8 of byte j / 8 of plane k being bit k of e_j.
inline size_t RabitqExCodeBytes(uint32_t padded_dim, uint32_t ex_bits) {
  return size_t{ex_bits} * (padded_dim / 8);
}
// Per-row factors of an extended code, two arrays of n floats:
//   ex_rescale[n]  -2 |o'|^2 / <ybar, o'>; 0 when o == c
//   ex_err[n]      2 |o'| sqrt(1 - a_B^2) / (a_B sqrt(D - 1))
// The estimate is add + |v|^2 + ex_rescale * <ybar, v>, the bound
// eps * ex_err * |v|.
constexpr size_t kRabitqExFactorsPerRow = 2;

// Codes `n` rows (row-major, rotation.dim() floats) relative to the bucket
// centroid whose rotation is `rotated_centroid` (padded_dim floats):
// codes[i * RabitqCodeBytes(pd)...] and the 5 x n `factors` above; with
// ex_bits > 0 also ex_codes[i * RabitqExCodeBytes(pd, ex_bits)...] and the
// 2 x n `ex_factors`.
void RabitqEncode(const RabitqRotation& rotation, const float* rotated_centroid,
                  const float* rows, size_t n, uint8_t* codes, float* factors,
                  uint32_t ex_bits = 0, uint8_t* ex_codes = nullptr,
                  float* ex_factors = nullptr);

// A bucket's extended codes and factors as RabitqEncode wrote them.
struct RabitqExCodes {
  uint32_t ex_bits = 0;
  const uint8_t* codes = nullptr;
  const float* factors = nullptr;
};

// The bound's confidence (the eps above): in standard deviations of the
// estimate's error, so about 1 - erfc(eps / sqrt(2)) of pairs lie within it;
// 3 is ~99.7%.
constexpr float kRabitqDefaultEpsilon = 3.0f;

// Per-query state for scanning 1-bit codes: the query is rotated once (one
// RabitqRotation per scanner), then each bucket is prepared from its rotated
// centroid. The rotation must outlive the scanner.
class RabitqScanner {
 public:
  RabitqScanner(const RabitqRotation& rotation, const float* query,
                float epsilon = kRabitqDefaultEpsilon,
                IsaLevel isa = ActiveIsa());

  // For the n codes of a bucket: est[i] the distance estimate and
  // bound[i] >= 0 its error bound (true distance in [est - bound,
  // est + bound] with the confidence of epsilon); `factors` as RabitqEncode
  // wrote them.
  void ScanBucket(const float* rotated_centroid, const uint8_t* codes,
                  const float* factors, size_t n, float* est,
                  float* bound) const;

  // Refinement with extended codes: PrepareRefine once per bucket (its
  // rotated centroid), then RefineRow(i) replaces est[i] and bound[i] with
  // the B-bit estimate and its (tighter) bound, same confidence. `factors`
  // as for ScanBucket (add = |o'|^2 is shared), n the bucket's rows.
  void PrepareRefine(const float* rotated_centroid) const;
  void RefineRow(const uint8_t* codes, const float* factors,
                 const RabitqExCodes& ex, size_t n, size_t i, float* est,
                 float* bound) const;

  IsaLevel isa() const;
  // Whether `rotation` is the same map as this scanner's (same dimension and
  // seed), so the rotated query serves its codes too.
  bool SameRotation(const RabitqRotation& rotation) const {
    return rotation.dim() == rotation_.dim() &&
           rotation.seed() == rotation_.seed();
  }

 private:
  const RabitqRotation& rotation_;
  const internal::Kernels* kernels_;
  float epsilon_;
  std::vector<float> rotated_query_;
  // Pq quantized: bit planes of u, and lo, delta, sum_j Pq~_j, |Pq - Pq~|.
  std::vector<uint64_t> planes_;
  float lo_ = 0, delta_ = 0, qsum_ = 0, resid_ = 0;
  mutable std::vector<uint32_t> dot_;  // per code, <b, u>
  // PrepareRefine's bucket: v = Pq - Pc, sum_j v_j, |v|^2; a row's unpacked
  // B-bit code u as bytes and floats.
  mutable std::vector<float> v_, u_float_;
  mutable std::vector<uint8_t> u_bytes_;
  mutable float v_sum_ = 0, v_norm2_ = 0;
};

}  // namespace drift
