#include "index/sq8_scan.h"

#include <algorithm>

#include "index/kernel_table.h"

namespace drift {

const char* SQ8ScanFormName(SQ8ScanForm form) {
  switch (form) {
    case SQ8ScanForm::kLut:
      return "lut";
    case SQ8ScanForm::kDecodeFma:
      return "decode_fma";
    case SQ8ScanForm::kInteger:
      return "integer";
  }
  return "unknown";
}

SQ8Scanner::SQ8Scanner(const SQ8Quantizer& quantizer, const float* query,
                       SQ8ScanForm form, IsaLevel isa)
    : quantizer_(quantizer), kernels_(&internal::KernelsFor(isa)), form_(form) {
  const size_t d = quantizer.dim();
  const float* vmin = quantizer.vmin().data();
  const float* step = quantizer.step();
  switch (form) {
    case SQ8ScanForm::kLut:
      table_.resize(d * 256);
      for (size_t j = 0; j < d; ++j) {
        const float qm = query[j] - vmin[j];
        float* row = table_.data() + j * 256;
        for (int c = 0; c < 256; ++c) {
          const float t = qm - c * step[j];
          row[c] = t * t;
        }
      }
      break;
    case SQ8ScanForm::kDecodeFma:
      table_.assign(internal::PaddedDim(d), 0.0f);
      for (size_t j = 0; j < d; ++j) table_[j] = query[j] - vmin[j];
      break;
    case SQ8ScanForm::kInteger: {
      std::vector<uint8_t> code(d);
      quantizer.Encode(query, code.data());
      qcode_.assign(internal::PaddedDim(d), 0);
      std::copy(code.begin(), code.end(), qcode_.begin());
      break;
    }
  }
}

IsaLevel SQ8Scanner::isa() const { return kernels_->level; }

void SQ8Scanner::ScanL2(const uint8_t* codes, size_t n, float* out) const {
  const size_t d = quantizer_.dim();
  switch (form_) {
    case SQ8ScanForm::kLut:
      kernels_->scan_lut(table_.data(), codes, n, d, out);
      break;
    case SQ8ScanForm::kDecodeFma:
      kernels_->scan_fma(table_.data(), quantizer_.step(), codes, n, d, out);
      break;
    case SQ8ScanForm::kInteger:
      kernels_->scan_int(qcode_.data(), quantizer_.int_weights(),
                         quantizer_.int_scale(), codes, n, d, out);
      break;
  }
}

void SQ8ScanL2(const SQ8Quantizer& quantizer, const float* q,
               const uint8_t* codes, size_t n, float* out) {
  SQ8Scanner(quantizer, q).ScanL2(codes, n, out);
}

SQ8DotScanner::SQ8DotScanner(const SQ8Quantizer& quantizer, const float* query,
                             IsaLevel isa)
    : quantizer_(quantizer), kernels_(&internal::KernelsFor(isa)) {
  const size_t d = quantizer.dim();
  weight_.assign(internal::PaddedDim(d), 0.0f);
  double bias = 0;
  for (size_t j = 0; j < d; ++j) {
    weight_[j] = -query[j] * quantizer.step()[j];
    bias -= double{query[j]} * quantizer.vmin()[j];
  }
  bias_ = static_cast<float>(bias);
}

IsaLevel SQ8DotScanner::isa() const { return kernels_->level; }

void SQ8DotScanner::ScanNegDot(const uint8_t* codes, size_t n,
                               float* out) const {
  kernels_->scan_dot(weight_.data(), codes, n, quantizer_.dim(), out);
  for (size_t i = 0; i < n; ++i) out[i] += bias_;
}

}  // namespace drift
