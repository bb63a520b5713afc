#include "util/vector_value.h"

#include <cmath>
#include <cstring>

namespace drift {

rocksdb::Status CheckFinite(const float* v, uint32_t dim) {
  // Branch-free scan first (it vectorizes): a float is NaN or infinite iff
  // its exponent bits are all ones. Every flushed vector passes here.
  uint32_t all_ones = 0;
  for (uint32_t i = 0; i < dim; ++i) {
    uint32_t bits;
    std::memcpy(&bits, v + i, sizeof(bits));
    all_ones |= (bits & 0x7F800000u) == 0x7F800000u;
  }
  if (all_ones == 0) return rocksdb::Status::OK();
  for (uint32_t i = 0; i < dim; ++i) {
    if (!std::isfinite(v[i])) {
      return rocksdb::Status::InvalidArgument(
          "vector component " + std::to_string(i) + " is " +
          (std::isnan(v[i]) ? "NaN" : "infinite") +
          "; only finite floats can be indexed");
    }
  }
  return rocksdb::Status::OK();
}

rocksdb::Status CheckDimension(uint32_t expected, size_t got) {
  if (got == expected) return rocksdb::Status::OK();
  return rocksdb::Status::InvalidArgument(
      "vector has dimension " + std::to_string(got) +
      " but the column family's dimension is " + std::to_string(expected));
}

}  // namespace drift
