// ALP: lossless compression of float32 vectors, after Afroozeh, Kuffó and
// Boncz, "ALP: Adaptive Lossless floating-Point Compression" (SIGMOD 2024).
// Written from the paper's ideas; the byte format is ours and is specified in
// docs/format-alp.md.
//
// Block codec (up to kAlpBlockValues values; one scheme per block, chosen from
// a sample by estimated size, then checked against the real size):
//  * ALP: value = n * 10^-d (d > 0, in double, then rounded to float),
//    n * 10^|d| (d < 0, float) or n (d = 0), n an int32, d in [-10, 10]. For
//    d <= 7 this equals the correctly rounded n / 10^d, so a float32 written
//    from a decimal of <= 7 significant digits decodes bit-exactly. Values that
//    do not round-trip (NaN, inf, -0.0, too precise) are exceptions stored as
//    position + bits.
//  * ALP_RD: each value's bits are cut at bit r in [16, 31]; the left part goes
//    through a dictionary of <= 8 entries (exceptions keep theirs), the right
//    part is bit-packed.
//  * CONSTANT (one value repeated) and RAW (the bits as-is), so incompressible
//    data costs 3 bytes per block more than raw.
// Bit packing (after frame of reference): rows of 8 values in 8 interleaved
// lanes, each row with one width (stored as a nibble per row when that is
// smaller than one width for all), so a row decodes with the same shift in
// every lane (SSE2) and image rows of zeros cost 0 bits. Decoding is this
// unpack plus a vectorizable int->float loop.
//
// Matrix container (what the table stores for a bucket of `rows` x `dim`
// floats): a header with a format version byte, the shape and a table of block
// offsets, then the blocks, then 8 zero bytes (so the decoder may load 8 bytes
// at a time anywhere inside a block). Blocks hold whole rows when dim <= 1024
// (floor(1024 / dim) rows per block); when dim > 1024 each row is cut into
// ceil(dim / 1024) balanced chunks, one block each. Why: a point read of one
// row then decodes exactly one block of <= 1024 values (or only the blocks of
// that row), found in O(1) through the offset table without touching the rest;
// blocks stay close to the paper's 1024-value vectors so the per-block
// parameter choice and its fixed header cost (<= 1%) keep their trade-off; and
// rows never straddle blocks, so no row pays for decoding a neighbour block.
//
// Files, one concept each: alp_bitpack (bit packing), alp_schemes (ALP and
// ALP_RD), alp_block (the scheme of a block), alp_matrix (the container and
// this API), alp_kernels (the loops compiled per ISA, chosen by DRIFT_ISA).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "rocksdb/slice.h"
#include "rocksdb/status.h"

namespace drift {

// Maximum values per block; blocks of any length 1..kAlpBlockValues are valid.
constexpr size_t kAlpBlockValues = 1024;
// Current container format version (byte 0 of an encoded matrix).
constexpr uint8_t kAlpFormatVersion = 1;

// ---- Block codec ----

// Appends one encoded block of `n` (1..kAlpBlockValues) values to `out`.
rocksdb::Status AlpEncodeFloatBlock(const float* in, size_t n,
                                    std::string* out);

// Decodes a block holding exactly `n` values from the start of `block` into
// `out[0..n)`; `*consumed` (optional) receives the block's encoded size.
// Malformed or truncated input gives Corruption.
rocksdb::Status AlpDecodeFloatBlock(const rocksdb::Slice& block, size_t n,
                                    float* out, size_t* consumed = nullptr);

// ---- Matrix container ----

struct AlpMatrixInfo {
  uint64_t rows = 0;
  uint32_t dim = 0;
  uint32_t num_blocks = 0;
};

// Encodes a row-major `rows` x `dim` matrix (dim >= 1, rows may be 0) into
// `*out` (replacing its contents). InvalidArgument if dim is 0 or the result
// would exceed the format's 4 GiB of block data.
rocksdb::Status EncodeFloatMatrix(const float* data, size_t rows, size_t dim,
                                  std::string* out);

// Encodes matrices of `dim` columns whose values resemble one sample (the
// chunks of one IVF bucket) with encoding parameters chosen once from that
// sample, the paper's row-group level: each block then only estimates its ALP
// exponent on a few values and encodes once. The output is the same container
// EncodeFloatMatrix writes; any matrix round-trips, a poor sample only costs
// ratio.
class AlpMatrixEncoder {
 public:
  // `sample`: row-major `rows` x `dim` values (rows may be 0: generic plan).
  AlpMatrixEncoder(const float* sample, size_t rows, size_t dim);
  // Writes every block raw (4 bytes per value) in the same container, which
  // any reader decodes: ~10x cheaper to encode than ALP, for data that is
  // rewritten soon (flushed segments, which compaction re-encodes).
  static AlpMatrixEncoder Uncompressed(size_t dim);
  ~AlpMatrixEncoder();
  AlpMatrixEncoder(AlpMatrixEncoder&&) noexcept;
  AlpMatrixEncoder(const AlpMatrixEncoder&) = delete;
  AlpMatrixEncoder& operator=(const AlpMatrixEncoder&) = delete;

  // Encodes a row-major `rows` x dim matrix into `*out` (replacing it).
  rocksdb::Status Encode(const float* data, size_t rows,
                         std::string* out) const;

 private:
  struct Plan;
  size_t dim_;
  std::unique_ptr<Plan> plan_;
};

// Reads and validates the container header (O(1); blocks are checked on
// decode).
rocksdb::Status GetFloatMatrixInfo(const rocksdb::Slice& encoded,
                                   AlpMatrixInfo* info);

// Decodes rows [first_row, first_row + num_rows) into `out` (num_rows * dim
// floats), decoding only the blocks that hold those rows. InvalidArgument if
// the range is out of bounds.
rocksdb::Status DecodeFloatRows(const rocksdb::Slice& encoded, size_t first_row,
                                size_t num_rows, float* out);

// Decodes the whole matrix into `*out` (resized to rows * dim).
rocksdb::Status DecodeFloatMatrix(const rocksdb::Slice& encoded,
                                  std::vector<float>* out);

}  // namespace drift
