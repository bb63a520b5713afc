// SQ8: scalar quantization of each component to one byte, with per-dimension
// ranges learned from sample vectors. The approximate-L2 scans over codes
// stored contiguously (n x dim bytes) are in index/sq8_scan.h, beside the
// other per-ISA kernels.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "rocksdb/slice.h"
#include "rocksdb/status.h"

namespace drift {

namespace internal {
// Padding (in elements) of per-query arrays handed to the SQ8 scan kernels
// (index/kernel_table.h): kernels may read query-side arrays up to the next
// multiple of this, so the padding must be zero.
constexpr size_t kQueryPad = 64;

inline size_t PaddedDim(size_t d) {
  return (d + kQueryPad - 1) / kQueryPad * kQueryPad;
}
}  // namespace internal

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

  // Format (version 1): byte version = 1, fixed32 dim, dim x float32 vmin,
  // dim x float32 vdiff (all little-endian). Appends to *dst.
  void Serialize(std::string* dst) const;
  // Corruption on any malformed input (bad version, size not matching dim,
  // non-finite vmin, vdiff not finite and > 0); *this is unchanged then.
  rocksdb::Status Deserialize(const rocksdb::Slice& src);

  size_t MemoryUsage() const;

  const std::vector<float>& vmin() const { return vmin_; }
  const std::vector<float>& vdiff() const { return vdiff_; }
  // Derived for the scans, zero-padded to internal::PaddedDim(dim()).
  const float* step() const { return step_.data(); }  // vdiff / 255
  // kInteger weights (0..128) and scale (SQ8ScanForm, index/sq8_scan.h).
  const int16_t* int_weights() const { return int_w_.data(); }
  float int_scale() const { return int_scale_; }

 private:
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

}  // namespace drift
