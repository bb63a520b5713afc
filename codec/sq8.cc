#include "codec/sq8.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace drift {

namespace {

constexpr uint8_t kSQ8FormatVersion = 1;
constexpr size_t kHeaderSize = 1 + sizeof(uint32_t);
// A constant component still needs a positive step (Encode divides by it).
constexpr float kMinDiff = 1e-20f;
// Largest kInteger weight: keeps w * |qc - c| <= 128 * 255 inside int16.
constexpr int kMaxIntWeight = 128;

}  // namespace

rocksdb::Status SQ8Quantizer::Train(const float* x, size_t n, size_t d,
                                    float margin) {
  if (n == 0 || d == 0) {
    return rocksdb::Status::InvalidArgument("SQ8: training needs vectors");
  }
  std::vector<float> lo(x, x + d), hi(x, x + d), poison(d, 0.0f);
  {
    // Element-wise (vectorizable): v * 0 is NaN exactly for NaN and +-inf.
    float* __restrict p = poison.data();
    for (size_t i = 0; i < n; ++i) {
      const float* __restrict v = x + i * d;
      ExtendRange(v, d, lo.data(), hi.data());
      for (size_t j = 0; j < d; ++j) p[j] += v[j] * 0.0f;
    }
  }
  for (size_t j = 0; j < d; ++j) {
    if (!(poison[j] == 0.0f)) {
      return rocksdb::Status::InvalidArgument("SQ8: non-finite component");
    }
  }
  return TrainOnRange(lo.data(), hi.data(), d, margin);
}

rocksdb::Status SQ8Quantizer::TrainOnRange(const float* lo, const float* hi,
                                           size_t d, float margin) {
  if (d == 0) return rocksdb::Status::InvalidArgument("SQ8: dimension is 0");
  if (!(margin >= 0.0f) || !std::isfinite(margin)) {
    return rocksdb::Status::InvalidArgument("SQ8: margin must be >= 0");
  }
  std::vector<float> vmin(lo, lo + d), diff(d);
  for (size_t j = 0; j < d; ++j) {
    if (!std::isfinite(lo[j]) || !std::isfinite(hi[j]) || !(lo[j] <= hi[j])) {
      return rocksdb::Status::InvalidArgument("SQ8: bad range of component " +
                                              std::to_string(j));
    }
    const float range = hi[j] - lo[j];
    vmin[j] -= margin * range;
    diff[j] = std::max(range * (1 + 2 * margin), kMinDiff);
  }
  vmin_ = std::move(vmin);
  vdiff_ = std::move(diff);
  Derive();
  return rocksdb::Status::OK();
}

void SQ8Quantizer::ExtendRange(const float* __restrict x, size_t d,
                               float* __restrict lo, float* __restrict hi) {
  for (size_t j = 0; j < d; ++j) {  // vectorizable, as in Train
    lo[j] = std::min(lo[j], x[j]);
    hi[j] = std::max(hi[j], x[j]);
  }
}

void SQ8Quantizer::Derive() {
  const size_t d = dim();
  const size_t padded = internal::PaddedDim(d);
  step_.assign(padded, 0.0f);
  inv_step_.resize(d);
  int_w_.assign(padded, 0);
  float max_step = 0.0f;
  for (size_t j = 0; j < d; ++j) {
    step_[j] = vdiff_[j] / 255.0f;
    inv_step_[j] = 255.0f / vdiff_[j];
    max_step = std::max(max_step, step_[j]);
  }
  const double max_sq = double{max_step} * max_step;
  for (size_t j = 0; j < d; ++j) {
    const double rel = double{step_[j]} * step_[j] / max_sq;
    int_w_[j] = static_cast<int16_t>(std::lround(rel * kMaxIntWeight));
  }
  int_scale_ = static_cast<float>(max_sq / kMaxIntWeight);
}

void SQ8Quantizer::Encode(const float* x, uint8_t* code) const {
  const size_t d = vmin_.size();
  const float* vmin = vmin_.data();
  const float* inv_step = inv_step_.data();
  size_t j = 0;
#if defined(__SSE2__)
  // 16 components per step; max(t, 0) returns 0 for NaN (SSE returns the
  // second operand when either is NaN), then clamp, round, saturating packs.
  const __m128 zero = _mm_setzero_ps(), top = _mm_set1_ps(255.0f),
               half = _mm_set1_ps(0.5f);
  auto quantize4 = [&](size_t k) {
    __m128 t =
        _mm_mul_ps(_mm_sub_ps(_mm_loadu_ps(x + k), _mm_loadu_ps(vmin + k)),
                   _mm_loadu_ps(inv_step + k));
    t = _mm_min_ps(_mm_max_ps(t, zero), top);
    return _mm_cvttps_epi32(_mm_add_ps(t, half));
  };
  for (; j + 16 <= d; j += 16) {
    const __m128i lo = _mm_packs_epi32(quantize4(j), quantize4(j + 4));
    const __m128i hi = _mm_packs_epi32(quantize4(j + 8), quantize4(j + 12));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(code + j),
                     _mm_packus_epi16(lo, hi));
  }
#endif
  for (; j < d; ++j) {
    // Written so NaN lands on 0: !(t > 0) catches it.
    float t = (x[j] - vmin[j]) * inv_step[j];
    t = !(t > 0.0f) ? 0.0f : std::min(t, 255.0f);
    code[j] = static_cast<uint8_t>(t + 0.5f);
  }
}

void SQ8Quantizer::EncodeMany(const float* x, size_t n, uint8_t* codes) const {
  const size_t d = dim();
  for (size_t i = 0; i < n; ++i) Encode(x + i * d, codes + i * d);
}

void SQ8Quantizer::Decode(const uint8_t* code, float* x) const {
  for (size_t j = 0; j < vmin_.size(); ++j) {
    x[j] = vmin_[j] + code[j] * step_[j];
  }
}

void SQ8Quantizer::Serialize(std::string* dst) const {
  const uint32_t d = static_cast<uint32_t>(dim());
  dst->push_back(static_cast<char>(kSQ8FormatVersion));
  dst->append(reinterpret_cast<const char*>(&d), sizeof(d));
  dst->append(reinterpret_cast<const char*>(vmin_.data()), d * sizeof(float));
  dst->append(reinterpret_cast<const char*>(vdiff_.data()), d * sizeof(float));
}

rocksdb::Status SQ8Quantizer::Deserialize(const rocksdb::Slice& src) {
  if (src.size() < kHeaderSize ||
      static_cast<uint8_t>(src[0]) != kSQ8FormatVersion) {
    return rocksdb::Status::Corruption("SQ8: bad header");
  }
  uint32_t d = 0;
  std::memcpy(&d, src.data() + 1, sizeof(d));
  if (d == 0 || src.size() != kHeaderSize + uint64_t{d} * 2 * sizeof(float)) {
    return rocksdb::Status::Corruption("SQ8: size does not match dimension");
  }
  std::vector<float> lo(d), diff(d);
  std::memcpy(lo.data(), src.data() + kHeaderSize, d * sizeof(float));
  std::memcpy(diff.data(), src.data() + kHeaderSize + d * sizeof(float),
              d * sizeof(float));
  for (size_t j = 0; j < d; ++j) {
    if (!std::isfinite(lo[j]) || !std::isfinite(diff[j]) || !(diff[j] > 0)) {
      return rocksdb::Status::Corruption("SQ8: invalid range");
    }
  }
  vmin_ = std::move(lo);
  vdiff_ = std::move(diff);
  Derive();
  return rocksdb::Status::OK();
}

size_t SQ8Quantizer::MemoryUsage() const {
  return (vmin_.capacity() + vdiff_.capacity() + step_.capacity() +
          inv_step_.capacity()) *
             sizeof(float) +
         int_w_.capacity() * sizeof(int16_t);
}

}  // namespace drift
