// libFuzzer target: the ALP decoder on arbitrary bytes (must return a Status,
// never crash or read out of bounds), and the encoder on arbitrary float bit
// patterns (must round-trip bit-exactly).
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "codec/alp.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const rocksdb::Slice input(reinterpret_cast<const char*>(data), size);
  // 1. As an encoded matrix, whole and by rows.
  std::vector<float> decoded;
  (void)drift::DecodeFloatMatrix(input, &decoded);
  drift::AlpMatrixInfo info;
  if (drift::GetFloatMatrixInfo(input, &info).ok() && info.rows > 0 &&
      info.dim <= 4096) {
    std::vector<float> row(info.dim);
    (void)drift::DecodeFloatRows(input, info.rows - 1, 1, row.data());
  }
  // 2. As one block of n values, n from the first two bytes.
  if (size >= 2) {
    const size_t n = 1 + ((data[0] | (data[1] << 8)) % drift::kAlpBlockValues);
    std::vector<float> out(n);
    (void)drift::AlpDecodeFloatBlock(input, n, out.data());
  }
  // 3. The bytes as float32 bit patterns: encode, decode, compare bits.
  const size_t values = size / 4;
  if (values == 0) return 0;
  std::vector<float> floats(values);
  std::memcpy(floats.data(), data, values * 4);
  const size_t dim = 1 + data[0] % 37;
  const size_t rows = values / dim;
  if (rows == 0) return 0;
  std::string encoded;
  if (!drift::EncodeFloatMatrix(floats.data(), rows, dim, &encoded).ok()) {
    std::abort();
  }
  std::vector<float> back;
  if (!drift::DecodeFloatMatrix(encoded, &back).ok() ||
      back.size() != rows * dim ||
      std::memcmp(back.data(), floats.data(), rows * dim * 4) != 0) {
    std::abort();
  }
  return 0;
}
