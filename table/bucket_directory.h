// The bucket directory of a segment and the BucketData blob layout
// (docs/format.md). The directory is small (centroids, counts, handles) and is
// kept in RAM by the reader as the segment's bucket headers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "index/codebook.h"
#include "index/rabitq.h"
#include "table/drift_format.h"

namespace drift {

// One ALP-encoded chunk of full-precision rows (followed by a crc trailer).
struct ChunkHandle {
  uint64_t offset = 0;
  uint32_t size = 0;
};

struct BucketHeader {
  // Index of this bucket's centroid in the codebook of codebook_epoch (kept in
  // its own block, kBucketSlotsBlockName).
  uint32_t slot = 0;
  uint32_t num_rows = 0;
  BlockExtent data;  // the BucketData blob
  // The sum of the squared distances of the bucket's rows to their mean
  // (kBucketMomentsBlockName; the mean is BucketDirectory::means).
  double m2 = 0;

  // The bucket's float chunks (ceil(num_rows / rows_per_chunk) of them) lie
  // back to back right after the blob's trailer, each followed by its own
  // trailer: a chunk is located by its end, 4 bytes a chunk in RAM.
  uint64_t chunks_offset() const {
    return data.offset() + data.size() + kBlockTrailerSize;
  }
  size_t num_chunks() const {
    return ends32_.empty() ? ends64_.size() : ends32_.size();
  }
  ChunkHandle chunk(size_t c) const;
  // Appends the next chunk, of `size` bytes before its trailer.
  void AddChunk(uint32_t size);
  void ReserveChunks(size_t n) { ends32_.reserve(n); }
  size_t MemoryUsage() const {
    return sizeof(*this) + ends32_.capacity() * sizeof(uint32_t) +
           ends64_.capacity() * sizeof(uint64_t);
  }

 private:
  uint64_t ChunkEnd(size_t c) const {
    return ends32_.empty() ? ends64_[c] : ends32_[c];
  }
  // The end of each chunk (its trailer included), relative to
  // chunks_offset(): 32-bit while the bucket's chunks stay under 4 GiB.
  std::vector<uint32_t> ends32_;
  std::vector<uint64_t> ends64_;
};

struct BucketDirectory {
  uint32_t dim = 0;
  // Rows per float chunk: a point read decodes one chunk of about
  // kTargetChunkValues floats (one row when dim is larger).
  uint32_t rows_per_chunk = 1;
  uint64_t codebook_epoch = 0;
  std::vector<BucketHeader> buckets;
  // The buckets' centroids and the means of their rows (moments block),
  // num_buckets x dim floats each, in bucket order. A reader keeps neither
  // (VectorSectionReader::GetCentroids / GetMeans read them through the blob
  // cache): they are as large as 2 x dim floats a bucket in every file.
  std::vector<float> centroids;
  std::vector<float> means;
  const float* centroid(uint32_t b) const {
    return centroids.data() + size_t{b} * dim;
  }
  const float* mean(uint32_t b) const { return means.data() + size_t{b} * dim; }

  static uint32_t RowsPerChunk(uint32_t dim);
  void EncodeTo(std::string* dst) const;
  // `keep_centroids` false: checked but not kept (centroids stays empty).
  rocksdb::Status DecodeFrom(rocksdb::Slice input, uint64_t file_size,
                             bool keep_centroids = true);
  size_t MemoryUsage() const;

  // The slots block: varint32 count, then each bucket's varint32 slot.
  void EncodeSlotsTo(std::string* dst) const;
  // Corruption if the count differs from the buckets' or the input is
  // malformed; without the block (older segments) slots stay 0, 1, 2, ...
  rocksdb::Status DecodeSlotsFrom(rocksdb::Slice input);

  // The moments block: varint32 count, varint32 dim, then per bucket dim
  // float32 (the mean) and a float64 (m2), little-endian.
  void EncodeMomentsTo(std::string* dst) const;
  // Corruption if the count or dimension differ from the directory's, the
  // input is malformed, or a value is not finite (or m2 negative). Without
  // the block (older segments) has_moments() stays false. `keep_means`
  // false: the means are checked but not kept (the m2s are).
  rocksdb::Status DecodeMomentsFrom(rocksdb::Slice input,
                                    bool keep_means = true);
  bool has_moments() const { return has_moments_; }
  void set_has_moments(bool has) { has_moments_ = has; }

 private:
  bool has_moments_ = false;
};

constexpr uint32_t kTargetChunkValues = 1024;

// BucketData blob: fixed32 num_rows, fixed32 dim, num_rows * dim SQ8 codes,
// then per row a varint32-length-prefixed internal key (the row's entry).
void EncodeBucketData(uint32_t dim, const std::string& codes,
                      const std::vector<rocksdb::Slice>& keys,
                      std::string* dst);
// The same from the rows' keys already length-prefixed and concatenated.
void EncodeBucketData(uint32_t dim, uint32_t num_rows,
                      const rocksdb::Slice& codes,
                      const rocksdb::Slice& prefixed_keys, std::string* dst);

// The optional RaBitQ section of a BucketData blob (after the keys, in
// segments with a kRabitqBlockName block), after zero bytes up to a multiple
// of 4 from the blob's start: padded_dim float32 (the bucket's
// centroid under the rotation), num_rows codes of padded_dim / 8 bytes,
// then kRabitqFactorsPerRow x num_rows float32 factors (index/rabitq.h);
// with ex_bits > 0 (RaBitQ block version 3) then num_rows extended codes of
// RabitqExCodeBytes(padded_dim, ex_bits) bytes and kRabitqExFactorsPerRow x
// num_rows float32 ex factors (aligned: the codes are multiples of 8 bytes).
void AppendRabitqSection(uint32_t padded_dim, uint32_t num_rows,
                         const float* rotated_centroid, const uint8_t* codes,
                         const float* factors, const RabitqExCodes& ex,
                         std::string* dst);

struct BucketDataView {
  uint32_t num_rows = 0;
  uint32_t dim = 0;
  rocksdb::Slice codes;
  std::vector<rocksdb::Slice> keys;  // internal keys, point into the blob
  // The RaBitQ section (null / empty without one), pointing into the blob.
  const float* rabitq_centroid = nullptr;
  const uint8_t* rabitq_codes = nullptr;
  const float* rabitq_factors = nullptr;
  RabitqExCodes rabitq_ex;  // ex_bits 0: none
  bool has_rabitq() const { return rabitq_codes != nullptr; }
  // `rabitq_padded_dim` != 0: the blob must end with a RaBitQ section of that
  // padded dimension (and `rabitq_ex_bits`); 0: it must end after the keys.
  // `sq8_codes` false (only with a RaBitQ section): the blob has no SQ8 codes
  // (`codes` empty).
  rocksdb::Status Parse(rocksdb::Slice blob, uint32_t rabitq_padded_dim = 0,
                        bool sq8_codes = true, uint32_t rabitq_ex_bits = 0);
};

// The "drift.rabitq" block: u8 version · varint32 dim · varint32
// padded_dim · fixed64 rotation seed [· u8 ex_bits, version 3]. Version 1:
// the bucket blobs carry SQ8 codes before their keys, as without the block;
// version 2: they do not, the RaBitQ section is their only code; version 3
// (written since): as 2, with ex_bits (0 to kRabitqMaxExBits) refinement bits
// per dimension in the RaBitQ sections (AppendRabitqSection).
struct RabitqParams {
  static constexpr uint8_t kWithSQ8Codes = 1;
  static constexpr uint8_t kWithoutSQ8Codes = 2;
  static constexpr uint8_t kWithExBits = 3;
  uint8_t version = kWithExBits;
  bool sq8_codes() const { return version == kWithSQ8Codes; }
  uint32_t dim = 0;
  uint32_t padded_dim = 0;
  uint64_t seed = 0;
  uint32_t ex_bits = 0;  // version 3 only
  void EncodeTo(std::string* dst) const;
  // Corruption if malformed, of an unknown version, or padded_dim is not the
  // rotation's for dim.
  rocksdb::Status DecodeFrom(rocksdb::Slice input);
};

}  // namespace drift
