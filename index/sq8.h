// SQ8: scalar quantization of each component to one byte, with per-dimension
// ranges learned from sample vectors.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "rocksdb/slice.h"
#include "rocksdb/status.h"

namespace drift {

class SQ8Quantizer {
 public:
  // Learns per-dimension [min, max] from n vectors, widened by `margin` of the
  // range on each side so slightly wider later data clips less.
  rocksdb::Status Train(const float* x, size_t n, size_t d,
                        float margin = 0.0f);

  size_t dim() const { return vmin_.size(); }
  void Encode(const float* x, uint8_t* code) const;
  void Decode(const uint8_t* code, float* x) const;

  // out[i] = approximate squared L2 between `q` and the vector coded at
  // codes + i * dim(), for i < n (decode + L2).
  void ScanL2(const float* q, const uint8_t* codes, size_t n, float* out) const;

  void Serialize(std::string* dst) const;
  rocksdb::Status Deserialize(const rocksdb::Slice& src);
  size_t MemoryUsage() const { return 2 * vmin_.capacity() * sizeof(float); }

 private:
  std::vector<float> vmin_;
  std::vector<float> vdiff_;  // max - min, > 0
};

}  // namespace drift
