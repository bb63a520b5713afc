#include "util/vector_value.h"

#include <cmath>

namespace drift {

rocksdb::Status CheckFinite(const float* v, uint32_t dim) {
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
