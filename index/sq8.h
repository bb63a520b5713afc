// SQ8: scalar quantization of each component to one byte, with per-dimension
// ranges learned from sample vectors, and approximate-L2 scan kernels over
// codes stored contiguously (n x dim bytes).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "util/cpu_features.h"
#include "rocksdb/slice.h"
#include "rocksdb/status.h"

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

class SQ8Quantizer {
 public:
  // Default widening of the trained range on each side, as a fraction of the
  // range: later data up to 1% outside the sample still codes without
  // clipping, for 2% coarser steps.
  static constexpr float kDefaultMargin = 0.01f;

  // Learns per-dimension [min, max] from n vectors (n x d, row-major),
  // widened by `margin` of the range on each side so slightly wider later
  // data clips less. InvalidArgument if n or d is 0, a component is not
  // finite, or margin is negative.
  rocksdb::Status Train(const float* x, size_t n, size_t d,
                        float margin = kDefaultMargin);
  // As Train, from the per-dimension [lo, hi] of the vectors (ExtendRange),
  // so a caller that already reads every vector needs no pass of its own.
  // InvalidArgument if d is 0, a bound is not finite or lo > hi.
  rocksdb::Status TrainOnRange(const float* lo, const float* hi, size_t d,
                               float margin = kDefaultMargin);
  // Widens [lo, hi] (d each) to cover x (d finite components).
  static void ExtendRange(const float* x, size_t d, float* lo, float* hi);

  size_t dim() const { return vmin_.size(); }

  // code_j = round(clamp((x_j - vmin_j) / vdiff_j, 0, 1) * 255).
  void Encode(const float* x, uint8_t* code) const;
  void EncodeMany(const float* x, size_t n, uint8_t* codes) const;
  // x_j = vmin_j + code_j * vdiff_j / 255.
  void Decode(const uint8_t* code, float* x) const;

  // out[i] = approximate squared L2 between `q` and the vector coded at
  // codes + i * dim(), for i < n, with kDefaultSQ8ScanForm. Prepares the
  // query on every call: to scan many code blocks for one query, build an
  // SQ8Scanner once instead.
  void ScanL2(const float* q, const uint8_t* codes, size_t n, float* out) const;

  // Format (version 1): byte version = 1, fixed32 dim, dim x float32 vmin,
  // dim x float32 vdiff (all little-endian). Appends to *dst.
  void Serialize(std::string* dst) const;
  // Corruption on any malformed input (bad version, size not matching dim,
  // non-finite vmin, vdiff not finite and > 0); *this is unchanged then.
  rocksdb::Status Deserialize(const rocksdb::Slice& src);

  size_t MemoryUsage() const;

  const std::vector<float>& vmin() const { return vmin_; }
  const std::vector<float>& vdiff() const { return vdiff_; }

 private:
  friend class SQ8Scanner;

  // Fills the scan-side arrays from vmin_ / vdiff_.
  void Derive();

  std::vector<float> vmin_;
  std::vector<float> vdiff_;  // max - min (widened), > 0
  // Derived; zero-padded to internal::PaddedDim(dim()).
  std::vector<float> step_;      // vdiff / 255
  std::vector<float> inv_step_;  // 255 / vdiff (not padded)
  std::vector<int16_t> int_w_;   // kInteger weights, 0..128
  float int_scale_ = 0.0f;       // kInteger: max_step^2 / 128
};

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

}  // namespace drift
