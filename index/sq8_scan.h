// Approximate-L2 scans of SQ8 codes (codec/sq8.h) through the per-ISA kernel
// tables of index/kernel_table.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "codec/sq8.h"
#include "util/cpu_features.h"

namespace drift {

namespace internal {
struct Kernels;
}  // namespace internal

// The three scan forms; all compute sum_j (q_j - decode_j(c_j))^2.
enum class SQ8ScanForm {
  // Per-dimension table of the 256 possible squared differences (ADC);
  // building it costs 256 * dim per query and the scan gathers from it.
  kLut,
  // Codes widened to float in registers, (q - vmin) - c * step, FMA-squared
  // (faiss's SQ8 approach). Float-exact up to summation order.
  kDecodeFma,
  // Query rounded to the code grid (like Encode), then exact integer
  // sum_j w_j (qc_j - c_j)^2 with int16 madd into int32, times one float
  // scale. Per-dimension steps differ, so w_j = round(128 * step_j^2 /
  // max_step^2) (a 7-bit weight, scale = max_step^2 / 128): exact when all
  // dimensions share one range (e.g. pixels), otherwise each weight is off by
  // at most 0.5/128 of the largest one. The query rounding adds an error of
  // about step_j * |q_j - x_j| per dimension (symmetric instead of
  // asymmetric distance); query components outside the trained range are
  // clipped to it.
  kInteger,
};

// Default form of ScanL2: the integer form, the fastest in kernels_bench
// (AVX2, ~1000 codes per call; prepared query): d=128 93 M codes/s vs 78 M
// for decode+FMA and 10-13 M for the LUT; d=784 19.5 M vs 13.9 M vs 1.1 M.
// Its approximation (max relative error ~1-2% on data with differing ranges,
// exact on a shared range) only affects candidate selection: candidates are
// re-ranked with exact floats.
constexpr SQ8ScanForm kDefaultSQ8ScanForm = SQ8ScanForm::kInteger;

const char* SQ8ScanFormName(SQ8ScanForm form);

// Per-query state for scanning codes of one quantizer: build once per query,
// reuse for every bucket. The quantizer must outlive the scanner. Each ISA
// computes the same values up to float summation order (kInteger: bit-equal).
class SQ8Scanner {
 public:
  // `isa` is clamped to what the CPU supports (tests and benchmarks pick it;
  // the default follows ActiveIsa()).
  SQ8Scanner(const SQ8Quantizer& quantizer, const float* query,
             SQ8ScanForm form = kDefaultSQ8ScanForm,
             IsaLevel isa = ActiveIsa());

  // out[i] = approximate squared L2 between the query and code i, i < n.
  void ScanL2(const uint8_t* codes, size_t n, float* out) const;

  SQ8ScanForm form() const { return form_; }
  IsaLevel isa() const;

 private:
  const SQ8Quantizer& quantizer_;
  const internal::Kernels* kernels_;
  SQ8ScanForm form_;
  std::vector<float> table_;    // kLut: d x 256; kDecodeFma: q - vmin
  std::vector<int16_t> qcode_;  // kInteger: the query's codes
};

// Per-query state for inner-product scans (maximum inner product search) of
// one quantizer's codes: -q.decode(code) = -q.vmin - sum_j q_j step_j c_j,
// with codes widened to float and FMA-accumulated (float-exact up to
// summation order on every ISA). The quantizer must outlive the scanner.
class SQ8DotScanner {
 public:
  SQ8DotScanner(const SQ8Quantizer& quantizer, const float* query,
                IsaLevel isa = ActiveIsa());
  // out[i] = approximate -q.x of the vector coded at codes + i * dim().
  void ScanNegDot(const uint8_t* codes, size_t n, float* out) const;
  IsaLevel isa() const;

 private:
  const SQ8Quantizer& quantizer_;
  const internal::Kernels* kernels_;
  std::vector<float> weight_;  // -q * step, zero-padded
  float bias_ = 0;             // -q.vmin
};

// out[i] = approximate squared L2 between `q` and the vector coded at
// codes + i * dim(), for i < n, with kDefaultSQ8ScanForm. Prepares the query
// on every call: to scan many code blocks for one query, build an SQ8Scanner
// once instead.
void SQ8ScanL2(const SQ8Quantizer& quantizer, const float* q,
               const uint8_t* codes, size_t n, float* out);

}  // namespace drift
