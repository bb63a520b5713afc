#include "table/bucket_directory.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "table/rocksdb_internals.h"
#include "util/vector_value.h"

namespace drift {

using rocksdb::Slice;
using rocksdb::Status;

uint32_t BucketDirectory::RowsPerChunk(uint32_t dim) {
  return dim >= kTargetChunkValues ? 1 : kTargetChunkValues / dim;
}

ChunkHandle BucketHeader::chunk(size_t c) const {
  const uint64_t begin = c == 0 ? 0 : ChunkEnd(c - 1);
  return {chunks_offset() + begin,
          static_cast<uint32_t>(ChunkEnd(c) - begin - kBlockTrailerSize)};
}

void BucketHeader::AddChunk(uint32_t size) {
  const uint64_t end = (num_chunks() == 0 ? 0 : ChunkEnd(num_chunks() - 1)) +
                       size + kBlockTrailerSize;
  if (ends64_.empty() && end > UINT32_MAX) {
    ends64_.assign(ends32_.begin(), ends32_.end());
    ends32_ = std::vector<uint32_t>();
  }
  if (ends64_.empty()) {
    ends32_.push_back(static_cast<uint32_t>(end));
  } else {
    ends64_.push_back(end);
  }
}

void BucketDirectory::EncodeTo(std::string* dst) const {
  rocksdb::PutVarint32(dst, dim);
  rocksdb::PutVarint32(dst, rows_per_chunk);
  rocksdb::PutVarint64(dst, codebook_epoch);
  rocksdb::PutVarint32(dst, static_cast<uint32_t>(buckets.size()));
  for (uint32_t i = 0; i < buckets.size(); ++i) {
    const BucketHeader& b = buckets[i];
    dst->append(reinterpret_cast<const char*>(centroid(i)),
                size_t{dim} * sizeof(float));
    rocksdb::PutVarint32(dst, b.num_rows);
    rocksdb::BlockHandle(b.data.offset(), b.data.size()).EncodeTo(dst);
    for (size_t c = 0; c < b.num_chunks(); ++c) {
      const ChunkHandle h = b.chunk(c);
      rocksdb::PutVarint64(dst, h.offset);
      rocksdb::PutVarint32(dst, h.size);
    }
  }
}

Status BucketDirectory::DecodeFrom(Slice in, uint64_t file_size,
                                   bool keep_centroids) {
  uint32_t n = 0;
  if (!rocksdb::GetVarint32(&in, &dim) ||
      !rocksdb::GetVarint32(&in, &rows_per_chunk) ||
      !rocksdb::GetVarint64(&in, &codebook_epoch) ||
      !rocksdb::GetVarint32(&in, &n) || dim == 0 || rows_per_chunk == 0 ||
      rows_per_chunk != RowsPerChunk(dim)) {
    return Status::Corruption("drift: malformed bucket directory header");
  }
  const size_t centroid_bytes = size_t{dim} * sizeof(float);
  // Each bucket takes at least its centroid: bound n before allocating.
  if (n > in.size() / centroid_bytes) {
    return Status::Corruption("drift: bucket count exceeds directory size");
  }
  buckets.assign(n, BucketHeader());
  centroids.clear();
  if (keep_centroids) centroids.resize(size_t{n} * dim);
  for (uint32_t i = 0; i < n; ++i) {
    BucketHeader& b = buckets[i];
    b.slot = i;
    if (keep_centroids) {
      std::memcpy(centroids.data() + size_t{i} * dim, in.data(),
                  centroid_bytes);
    }
    in.remove_prefix(centroid_bytes);
    rocksdb::BlockHandle data;
    if (!rocksdb::GetVarint32(&in, &b.num_rows) || !data.DecodeFrom(&in).ok() ||
        data.offset() + data.size() + kBlockTrailerSize > file_size) {
      return Status::Corruption("drift: malformed bucket header");
    }
    b.data = BlockExtent(data.offset(), data.size());
    const uint64_t chunks =
        (uint64_t{b.num_rows} + rows_per_chunk - 1) / rows_per_chunk;
    if (chunks > in.size() / 2) {
      return Status::Corruption("drift: chunk count exceeds directory size");
    }
    b.ReserveChunks(chunks);
    for (uint64_t c = 0; c < chunks; ++c) {
      ChunkHandle h;
      if (!rocksdb::GetVarint64(&in, &h.offset) ||
          !rocksdb::GetVarint32(&in, &h.size) ||
          h.offset + h.size + kBlockTrailerSize > file_size) {
        return Status::Corruption("drift: malformed chunk handle");
      }
      // Every writer put a bucket's chunks back to back after its blob.
      const uint64_t expected =
          c == 0
              ? b.chunks_offset()
              : b.chunk(c - 1).offset + b.chunk(c - 1).size + kBlockTrailerSize;
      if (h.offset != expected) {
        return Status::Corruption(
            "drift: float chunks of a bucket are not consecutive");
      }
      b.AddChunk(h.size);
    }
    if (in.size() < centroid_bytes && i + 1 != n) {
      return Status::Corruption("drift: truncated bucket directory");
    }
  }
  if (!in.empty()) {
    return Status::Corruption("drift: trailing bytes in bucket directory");
  }
  return Status::OK();
}

void BucketDirectory::EncodeSlotsTo(std::string* dst) const {
  rocksdb::PutVarint32(dst, static_cast<uint32_t>(buckets.size()));
  for (const BucketHeader& b : buckets) rocksdb::PutVarint32(dst, b.slot);
}

Status BucketDirectory::DecodeSlotsFrom(Slice in) {
  uint32_t n = 0;
  if (!rocksdb::GetVarint32(&in, &n) || n != buckets.size()) {
    return Status::Corruption("drift: bucket slot count mismatch");
  }
  for (BucketHeader& b : buckets) {
    if (!rocksdb::GetVarint32(&in, &b.slot) || b.slot >= kMaxCodebookSize) {
      return Status::Corruption("drift: truncated or out-of-range bucket slot");
    }
  }
  if (!in.empty()) {
    return Status::Corruption("drift: trailing bytes in bucket slots");
  }
  return Status::OK();
}

void BucketDirectory::EncodeMomentsTo(std::string* dst) const {
  rocksdb::PutVarint32(dst, static_cast<uint32_t>(buckets.size()));
  rocksdb::PutVarint32(dst, dim);
  // Floats appended as stored: little-endian, as every float in the file.
  dst->reserve(dst->size() +
               buckets.size() * (size_t{dim} * sizeof(float) + sizeof(double)));
  for (uint32_t i = 0; i < buckets.size(); ++i) {
    dst->append(reinterpret_cast<const char*>(mean(i)),
                size_t{dim} * sizeof(float));
    uint64_t bits;
    std::memcpy(&bits, &buckets[i].m2, sizeof(bits));
    rocksdb::PutFixed64(dst, bits);
  }
}

Status BucketDirectory::DecodeMomentsFrom(Slice in, bool keep_means) {
  uint32_t n = 0, d = 0;
  if (!rocksdb::GetVarint32(&in, &n) || !rocksdb::GetVarint32(&in, &d) ||
      n != buckets.size() || d != dim) {
    return Status::Corruption("drift: bucket moments count/dimension mismatch");
  }
  const size_t mean_bytes = size_t{dim} * sizeof(float);
  if (in.size() != (mean_bytes + sizeof(double)) * n) {
    return Status::Corruption("drift: bucket moments block size mismatch");
  }
  means.clear();
  if (keep_means) means.resize(size_t{n} * dim);
  std::vector<float> mean(dim);
  for (uint32_t i = 0; i < n; ++i) {
    std::memcpy(mean.data(), in.data(), mean_bytes);
    if (!CheckFinite(mean.data(), dim).ok()) {
      return Status::Corruption("drift: non-finite bucket mean");
    }
    if (keep_means)
      std::copy(mean.begin(), mean.end(), means.begin() + size_t{i} * dim);
    in.remove_prefix(mean_bytes);
    const uint64_t bits = rocksdb::DecodeFixed64(in.data());
    double& m2 = buckets[i].m2;
    std::memcpy(&m2, &bits, sizeof(bits));
    in.remove_prefix(sizeof(double));
    if (!std::isfinite(m2) || m2 < 0) {
      return Status::Corruption("drift: bad bucket scatter");
    }
  }
  has_moments_ = true;
  return Status::OK();
}

size_t BucketDirectory::MemoryUsage() const {
  size_t usage =
      sizeof(*this) + (centroids.capacity() + means.capacity()) * sizeof(float);
  for (const BucketHeader& b : buckets) usage += b.MemoryUsage();
  return usage;
}

void EncodeBucketData(uint32_t dim, const std::string& codes,
                      const std::vector<Slice>& keys, std::string* dst) {
  rocksdb::PutFixed32(dst, static_cast<uint32_t>(keys.size()));
  rocksdb::PutFixed32(dst, dim);
  dst->append(codes);
  for (const Slice& k : keys) rocksdb::PutLengthPrefixedSlice(dst, k);
}

void EncodeBucketData(uint32_t dim, uint32_t num_rows, const Slice& codes,
                      const Slice& prefixed_keys, std::string* dst) {
  dst->reserve(dst->size() + 8 + codes.size() + prefixed_keys.size());
  rocksdb::PutFixed32(dst, num_rows);
  rocksdb::PutFixed32(dst, dim);
  dst->append(codes.data(), codes.size());
  dst->append(prefixed_keys.data(), prefixed_keys.size());
}

void AppendRabitqSection(uint32_t padded_dim, uint32_t num_rows,
                         const float* rotated_centroid, const uint8_t* codes,
                         const float* factors, const RabitqExCodes& ex,
                         std::string* dst) {
  // Zero bytes up to a multiple of 4 from the blob's start, so the floats
  // are aligned wherever the blob is (blobs are read into their own
  // buffers).
  dst->append((4 - dst->size() % 4) % 4, '\0');
  // Little-endian host (x86-64): the floats' bytes are their encoding.
  dst->append(reinterpret_cast<const char*>(rotated_centroid),
              size_t{padded_dim} * sizeof(float));
  dst->append(reinterpret_cast<const char*>(codes),
              size_t{num_rows} * RabitqCodeBytes(padded_dim));
  dst->append(reinterpret_cast<const char*>(factors),
              size_t{num_rows} * kRabitqFactorsPerRow * sizeof(float));
  if (ex.ex_bits == 0) return;
  dst->append(reinterpret_cast<const char*>(ex.codes),
              size_t{num_rows} * RabitqExCodeBytes(padded_dim, ex.ex_bits));
  dst->append(reinterpret_cast<const char*>(ex.factors),
              size_t{num_rows} * kRabitqExFactorsPerRow * sizeof(float));
}

void RabitqParams::EncodeTo(std::string* dst) const {
  dst->push_back(static_cast<char>(version));
  rocksdb::PutVarint32(dst, dim);
  rocksdb::PutVarint32(dst, padded_dim);
  rocksdb::PutFixed64(dst, seed);
  if (version == kWithExBits) dst->push_back(static_cast<char>(ex_bits));
}

Status RabitqParams::DecodeFrom(Slice input) {
  if (input.empty() ||
      (input[0] != kWithSQ8Codes && input[0] != kWithoutSQ8Codes &&
       input[0] != kWithExBits)) {
    return Status::Corruption("drift: unknown RaBitQ block version");
  }
  version = static_cast<uint8_t>(input[0]);
  input.remove_prefix(1);
  if (!rocksdb::GetVarint32(&input, &dim) ||
      !rocksdb::GetVarint32(&input, &padded_dim) ||
      !rocksdb::GetFixed64(&input, &seed)) {
    return Status::Corruption("drift: malformed RaBitQ block");
  }
  ex_bits = 0;
  if (version == kWithExBits) {
    if (input.empty())
      return Status::Corruption("drift: malformed RaBitQ block");
    ex_bits = static_cast<uint8_t>(input[0]);
    input.remove_prefix(1);
    if (ex_bits > kRabitqMaxExBits) {
      return Status::Corruption("drift: RaBitQ block ex_bits " +
                                std::to_string(ex_bits) + " out of range");
    }
  }
  if (!input.empty())
    return Status::Corruption("drift: malformed RaBitQ block");
  if (dim == 0 || dim > (1u << 16) ||
      padded_dim != RabitqRotation::PaddedDim(dim)) {
    return Status::Corruption("drift: RaBitQ block dimension mismatch");
  }
  return Status::OK();
}

Status BucketDataView::Parse(Slice blob, uint32_t rabitq_padded_dim,
                             bool sq8_codes, uint32_t rabitq_ex_bits) {
  if (!sq8_codes && rabitq_padded_dim == 0) {
    return Status::InvalidArgument("drift: a bucket blob needs some codes");
  }
  const char* const start = blob.data();
  if (blob.size() < 8) return Status::Corruption("drift: short bucket blob");
  num_rows = rocksdb::DecodeFixed32(blob.data());
  dim = rocksdb::DecodeFixed32(blob.data() + 4);
  blob.remove_prefix(8);
  const uint64_t code_bytes = sq8_codes ? uint64_t{num_rows} * dim : 0;
  if (dim == 0 || code_bytes > blob.size()) {
    return Status::Corruption("drift: bucket blob codes out of range");
  }
  codes = Slice(blob.data(), code_bytes);
  blob.remove_prefix(code_bytes);
  // Each key takes at least 9 bytes: bound num_rows before allocating.
  if (num_rows > blob.size() / 9) {
    return Status::Corruption("drift: bucket blob row count out of range");
  }
  keys.resize(num_rows);
  for (Slice& k : keys) {
    if (!rocksdb::GetLengthPrefixedSlice(&blob, &k) || k.size() < 8) {
      return Status::Corruption("drift: malformed key in bucket blob");
    }
  }
  rabitq_centroid = nullptr;
  rabitq_codes = nullptr;
  rabitq_factors = nullptr;
  rabitq_ex = RabitqExCodes();
  if (rabitq_padded_dim != 0) {
    const size_t pad = (4 - static_cast<size_t>(blob.data() - start) % 4) % 4;
    if (blob.size() < pad) {
      return Status::Corruption("drift: bucket blob RaBitQ section size");
    }
    blob.remove_prefix(pad);
    const uint64_t centroid_bytes = uint64_t{rabitq_padded_dim} * sizeof(float);
    const uint64_t code_bytes =
        uint64_t{num_rows} * RabitqCodeBytes(rabitq_padded_dim);
    const uint64_t factor_bytes =
        uint64_t{num_rows} * kRabitqFactorsPerRow * sizeof(float);
    const uint64_t ex_code_bytes =
        uint64_t{num_rows} *
        RabitqExCodeBytes(rabitq_padded_dim, rabitq_ex_bits);
    const uint64_t ex_factor_bytes =
        rabitq_ex_bits == 0
            ? 0
            : uint64_t{num_rows} * kRabitqExFactorsPerRow * sizeof(float);
    if (blob.size() != centroid_bytes + code_bytes + factor_bytes +
                           ex_code_bytes + ex_factor_bytes) {
      return Status::Corruption("drift: bucket blob RaBitQ section size");
    }
    const char* at = blob.data();
    rabitq_centroid = reinterpret_cast<const float*>(at);
    rabitq_codes = reinterpret_cast<const uint8_t*>(at += centroid_bytes);
    rabitq_factors = reinterpret_cast<const float*>(at += code_bytes);
    if (rabitq_ex_bits > 0) {
      rabitq_ex.ex_bits = rabitq_ex_bits;
      rabitq_ex.codes = reinterpret_cast<const uint8_t*>(at += factor_bytes);
      rabitq_ex.factors = reinterpret_cast<const float*>(at + ex_code_bytes);
    }
    return Status::OK();
  }
  if (!blob.empty()) return Status::Corruption("drift: trailing bucket bytes");
  return Status::OK();
}

}  // namespace drift
