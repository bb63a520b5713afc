// Vectors as RocksDB values: `dim` little-endian IEEE-754 float32, nothing
// else.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "rocksdb/slice.h"
#include "rocksdb/status.h"

namespace drift {

static_assert(sizeof(float) == 4, "float must be IEEE-754 binary32");
#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error \
    "Drift stores float32 little-endian and is only built for little-endian hosts"
#endif

// Largest supported vector dimension.
constexpr uint32_t kMaxDimension = 1u << 16;

// True if `value` has the byte length of a `dim`-dimensional vector (dim > 0).
inline bool IsVectorValue(const rocksdb::Slice& value, uint32_t dim) {
  return dim > 0 && value.size() == static_cast<size_t>(dim) * sizeof(float);
}

// Copies a vector value into `out` (which holds `dim` floats); the value may be
// unaligned.
inline void DecodeVector(const rocksdb::Slice& value, uint32_t dim,
                         float* out) {
  std::memcpy(out, value.data(), static_cast<size_t>(dim) * sizeof(float));
}

inline rocksdb::Slice VectorAsSlice(const float* v, uint32_t dim) {
  return rocksdb::Slice(reinterpret_cast<const char*>(v),
                        static_cast<size_t>(dim) * sizeof(float));
}

// InvalidArgument naming the first NaN or infinite component, OK otherwise.
rocksdb::Status CheckFinite(const float* v, uint32_t dim);

// InvalidArgument unless `got` == `expected` (both are dimensions).
rocksdb::Status CheckDimension(uint32_t expected, size_t got);

}  // namespace drift
