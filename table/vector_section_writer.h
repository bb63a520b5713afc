// VectorSectionWriter buffers the vectors of one segment and, at Finish, groups
// them into IVF buckets: it trains a codebook when none is given (k-means++ and
// Lloyd on a sample), assigns every vector to its nearest centroid, learns the
// segment's SQ8 parameters, and writes per bucket one BucketData blob (codes +
// keys) and the ALP-compressed float chunks. Up to options.build_threads
// threads share that work; the bytes written never depend on how many.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "drift/table_options.h"
#include "index/bucket_moments.h"
#include "index/codebook.h"
#include "index/rabitq.h"
#include "table/block_io.h"
#include "table/bucket_directory.h"

namespace drift {

struct VectorLocation {
  uint32_t bucket = 0;
  uint32_t row = 0;
};

// The codes a segment of `dim` components written under `options` carries:
// kSQ8 or kRabitQ, never kAuto. RaBitQ is written under the l2 metric only.
// Auto picks RaBitQ from a padded dimension of kRabitqTightPaddedDim on, where
// its 1-bit bound prunes well (measured, docs/benchmark.md: at 784-d rabitq is
// 1.3-1.6x sq8's QPS at equal recall with 60% of the file size; at 128-d sq8
// is ~3x faster than rabitq even with extended bits).
inline BucketCodes SegmentCodes(const DriftTableOptions& options,
                                uint32_t dim) {
  if (options.metric != Metric::kL2) return BucketCodes::kSQ8;
  if (options.codes != BucketCodes::kAuto) return options.codes;
  return RabitqRotation::PaddedDim(dim) >= kRabitqTightPaddedDim
             ? BucketCodes::kRabitQ
             : BucketCodes::kSQ8;
}

class VectorSectionWriter {
 public:
  // Buckets with `codebook` when it has this dimension, otherwise with a
  // segment-local codebook trained at Write (epoch 0). Floats are
  // ALP-compressed if `compress_floats`, else stored raw.
  VectorSectionWriter(const DriftTableOptions& options, uint32_t dim,
                      std::shared_ptr<const Codebook> codebook,
                      bool compress_floats = true);

  // Buffers a vector (`value` holds dim little-endian floats) under its
  // internal key; returns its ordinal (0, 1, ... in key order), or -1 if a
  // component is NaN or infinite (such a value cannot be indexed and is not
  // buffered).
  int64_t Add(const rocksdb::Slice& internal_key, const rocksdb::Slice& value);

  // Hint: about `bytes` of values will be added (capped at 1 GiB).
  void Reserve(uint64_t bytes);

  uint32_t dim() const { return dim_; }
  bool compress_floats() const { return compress_floats_; }
  size_t num_vectors() const { return key_offsets_.size(); }
  // Bytes the section will take in the file, estimated before Write() from
  // the bytes per component earlier compressed sections took (0: unknown,
  // or floats not compressed: raw floats and codes).
  uint64_t EstimatedSize(float bytes_per_value) const;
  // File bytes per component of the section, alignment padding excluded (as
  // the builder's feedback counts them), measured by encoding up to
  // `max_rows` buffered rows, spread evenly, as one bucket the way Write()
  // encodes each (codes, keys, ALP float chunks and their trailers). 0 with
  // no rows buffered or floats stored raw.
  rocksdb::Status MeasureBytesPerValue(size_t max_rows,
                                       float* bytes_per_value) const;

  // Writes every bucket's blobs at *offset (advanced), fills `dir`, the SQ8
  // parameter block and, if the blobs carry RaBitQ codes (SegmentCodes),
  // the RaBitQ block (else it stays empty);
  // afterwards location(i) tells where vector i went. Only the calling thread
  // touches `file`.
  rocksdb::Status Write(rocksdb::WritableFileWriter* file, uint64_t* offset,
                        BucketDirectory* dir, std::string* sq8_block,
                        std::string* rabitq_block);
  const VectorLocation& location(uint32_t ordinal) const {
    return locations_[ordinal];
  }
  // Bytes of alignment padding Write() put before the bucket blobs.
  uint64_t padding_bytes() const { return padding_bytes_; }

 private:
  // The shared codebook if it applies, else a freshly trained local one
  // (k-means on `threads` threads).
  rocksdb::Status ChooseCodebook(unsigned threads,
                                 std::shared_ptr<const Codebook>* out) const;
  // A bucket's file bytes, made by any thread: the BucketData blob, and the
  // float chunks each followed by its trailer.
  struct EncodedBucket {
    std::string blob;
    std::string chunks;
    std::vector<uint32_t> chunk_sizes;  // without the trailers
    BucketMoments moments;              // of the bucket's rows
  };
  // Encodes the bucket of `rows` (ordinals, ascending) whose keys, each
  // length-prefixed, are `prefixed_keys`, with RaBitQ codes relative to
  // `centroid` if `rabitq` is not null; reads only immutable state, so
  // buckets may be encoded concurrently.
  rocksdb::Status EncodeBucket(const std::vector<uint32_t>& rows,
                               const rocksdb::Slice& prefixed_keys,
                               const class SQ8Quantizer& sq8,
                               const RabitqRotation* rabitq,
                               const float* centroid, EncodedBucket* out) const;
  // The extended RaBitQ bits of this writer's codes (the option, or its
  // auto choice for `padded_dim`).
  uint32_t RabitqExBits(uint32_t padded_dim) const {
    return options_.rabitq_ex_bits < 0
               ? RabitqAutoExBits(padded_dim)
               : static_cast<uint32_t>(options_.rabitq_ex_bits);
  }
  // Appends `e` at *offset (blob aligned) and records its handles in `b`.
  rocksdb::IOStatus WriteBucket(rocksdb::WritableFileWriter* file,
                                uint64_t* offset, const EncodedBucket& e,
                                BucketHeader* b);

  const DriftTableOptions options_;
  const uint32_t dim_;
  const std::shared_ptr<const Codebook> codebook_;
  const bool compress_floats_;
  std::vector<float> vectors_;  // num_vectors x dim, row-major
  // Under cosine, vectors_ scaled to unit length (index/metric_distance.h):
  // what buckets, SQ8 codes and moments are made of; the float chunks keep
  // vectors_ bit for bit. Empty under l2 and ip (IndexRows() is vectors_).
  std::vector<float> unit_vectors_;
  const float* IndexRows() const {
    return unit_vectors_.empty() ? vectors_.data() : unit_vectors_.data();
  }
  // Per-dimension [min, max] of IndexRows(), kept by Add: the SQ8 range.
  std::vector<float> range_lo_, range_hi_;
  std::string keys_;  // length-prefixed internal keys, in ordinal order
  std::vector<uint32_t> key_offsets_;
  std::vector<VectorLocation> locations_;
  uint64_t padding_bytes_ = 0;
};

}  // namespace drift
