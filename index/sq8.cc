#include "index/sq8.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace drift {

namespace {
constexpr uint8_t kSQ8FormatVersion = 1;
}  // namespace

rocksdb::Status SQ8Quantizer::Train(const float* x, size_t n, size_t d,
                                    float margin) {
  if (n == 0 || d == 0) {
    return rocksdb::Status::InvalidArgument("SQ8: training needs vectors");
  }
  vmin_.assign(x, x + d);
  std::vector<float> vmax(x, x + d);
  for (size_t i = 1; i < n; ++i) {
    const float* v = x + i * d;
    for (size_t j = 0; j < d; ++j) {
      vmin_[j] = std::min(vmin_[j], v[j]);
      vmax[j] = std::max(vmax[j], v[j]);
    }
  }
  vdiff_.resize(d);
  for (size_t j = 0; j < d; ++j) {
    const float range = vmax[j] - vmin_[j];
    vmin_[j] -= margin * range;
    // A constant component still needs a non-zero step.
    vdiff_[j] = std::max(range * (1 + 2 * margin), 1e-20f);
  }
  return rocksdb::Status::OK();
}

void SQ8Quantizer::Encode(const float* x, uint8_t* code) const {
  for (size_t j = 0; j < vmin_.size(); ++j) {
    const float t = (x[j] - vmin_[j]) / vdiff_[j];
    code[j] = static_cast<uint8_t>(
        std::lround(std::min(1.0f, std::max(0.0f, t)) * 255.0f));
  }
}

void SQ8Quantizer::Decode(const uint8_t* code, float* x) const {
  for (size_t j = 0; j < vmin_.size(); ++j) {
    x[j] = vmin_[j] + code[j] * (vdiff_[j] / 255.0f);
  }
}

void SQ8Quantizer::ScanL2(const float* q, const uint8_t* codes, size_t n,
                          float* out) const {
  const size_t d = vmin_.size();
  // Decoded value = vmin + code * step: precompute step and q - vmin.
  std::vector<float> step(d), qm(d);
  for (size_t j = 0; j < d; ++j) {
    step[j] = vdiff_[j] / 255.0f;
    qm[j] = q[j] - vmin_[j];
  }
  for (size_t i = 0; i < n; ++i) {
    const uint8_t* c = codes + i * d;
    float acc = 0;
    for (size_t j = 0; j < d; ++j) {
      const float t = qm[j] - c[j] * step[j];
      acc += t * t;
    }
    out[i] = acc;
  }
}

void SQ8Quantizer::Serialize(std::string* dst) const {
  dst->push_back(static_cast<char>(kSQ8FormatVersion));
  const uint32_t d = static_cast<uint32_t>(vmin_.size());
  dst->append(reinterpret_cast<const char*>(&d), sizeof(d));
  dst->append(reinterpret_cast<const char*>(vmin_.data()), d * sizeof(float));
  dst->append(reinterpret_cast<const char*>(vdiff_.data()), d * sizeof(float));
}

rocksdb::Status SQ8Quantizer::Deserialize(const rocksdb::Slice& src) {
  if (src.size() < 5 || static_cast<uint8_t>(src[0]) != kSQ8FormatVersion) {
    return rocksdb::Status::Corruption("SQ8: bad header");
  }
  uint32_t d = 0;
  std::memcpy(&d, src.data() + 1, sizeof(d));
  if (d == 0 || src.size() != 5 + uint64_t{d} * 2 * sizeof(float)) {
    return rocksdb::Status::Corruption("SQ8: size does not match dimension");
  }
  vmin_.resize(d);
  vdiff_.resize(d);
  std::memcpy(vmin_.data(), src.data() + 5, d * sizeof(float));
  std::memcpy(vdiff_.data(), src.data() + 5 + d * sizeof(float),
              d * sizeof(float));
  for (size_t j = 0; j < d; ++j) {
    if (!std::isfinite(vmin_[j]) || !(vdiff_[j] > 0) ||
        !std::isfinite(vdiff_[j])) {
      return rocksdb::Status::Corruption("SQ8: invalid range");
    }
  }
  return rocksdb::Status::OK();
}

}  // namespace drift
