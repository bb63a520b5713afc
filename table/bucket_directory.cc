#include "table/bucket_directory.h"

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

void BucketDirectory::EncodeTo(std::string* dst) const {
  rocksdb::PutVarint32(dst, dim);
  rocksdb::PutVarint32(dst, rows_per_chunk);
  rocksdb::PutVarint64(dst, codebook_epoch);
  rocksdb::PutVarint32(dst, static_cast<uint32_t>(buckets.size()));
  for (const BucketHeader& b : buckets) {
    dst->append(reinterpret_cast<const char*>(b.centroid.data()),
                b.centroid.size() * sizeof(float));
    rocksdb::PutVarint32(dst, b.num_rows);
    rocksdb::BlockHandle(b.data.offset(), b.data.size()).EncodeTo(dst);
    for (const ChunkHandle& c : b.chunks) {
      rocksdb::PutVarint64(dst, c.offset);
      rocksdb::PutVarint32(dst, c.size);
    }
  }
}

Status BucketDirectory::DecodeFrom(Slice in, uint64_t file_size) {
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
  for (BucketHeader& b : buckets) {
    b.slot = static_cast<uint32_t>(&b - buckets.data());
    b.centroid.resize(dim);
    std::memcpy(b.centroid.data(), in.data(), centroid_bytes);
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
    b.chunks.resize(chunks);
    for (ChunkHandle& c : b.chunks) {
      if (!rocksdb::GetVarint64(&in, &c.offset) ||
          !rocksdb::GetVarint32(&in, &c.size) ||
          c.offset + c.size + kBlockTrailerSize > file_size) {
        return Status::Corruption("drift: malformed chunk handle");
      }
    }
    if (in.size() < centroid_bytes && &b != &buckets.back()) {
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
  for (const BucketHeader& b : buckets) {
    dst->append(reinterpret_cast<const char*>(b.mean.data()),
                size_t{dim} * sizeof(float));
    uint64_t bits;
    std::memcpy(&bits, &b.m2, sizeof(bits));
    rocksdb::PutFixed64(dst, bits);
  }
}

Status BucketDirectory::DecodeMomentsFrom(Slice in) {
  uint32_t n = 0, d = 0;
  if (!rocksdb::GetVarint32(&in, &n) || !rocksdb::GetVarint32(&in, &d) ||
      n != buckets.size() || d != dim) {
    return Status::Corruption("drift: bucket moments count/dimension mismatch");
  }
  const size_t per_bucket = size_t{dim} * sizeof(float) + sizeof(double);
  if (in.size() != per_bucket * n) {
    return Status::Corruption("drift: bucket moments block size mismatch");
  }
  for (BucketHeader& b : buckets) {
    b.mean.resize(dim);
    std::memcpy(b.mean.data(), in.data(), size_t{dim} * sizeof(float));
    if (!CheckFinite(b.mean.data(), dim).ok()) {
      return Status::Corruption("drift: non-finite bucket mean");
    }
    in.remove_prefix(size_t{dim} * sizeof(float));
    const uint64_t bits = rocksdb::DecodeFixed64(in.data());
    std::memcpy(&b.m2, &bits, sizeof(bits));
    in.remove_prefix(sizeof(double));
    if (!std::isfinite(b.m2) || b.m2 < 0) {
      return Status::Corruption("drift: bad bucket scatter");
    }
  }
  return Status::OK();
}

size_t BucketDirectory::MemoryUsage() const {
  size_t usage = sizeof(*this);
  for (const BucketHeader& b : buckets) {
    usage += sizeof(b) +
             (b.centroid.capacity() + b.mean.capacity()) * sizeof(float) +
             b.chunks.capacity() * sizeof(ChunkHandle);
  }
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
                         const float* factors, std::string* dst) {
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
}

void RabitqParams::EncodeTo(std::string* dst) const {
  dst->push_back(1);
  rocksdb::PutVarint32(dst, dim);
  rocksdb::PutVarint32(dst, padded_dim);
  rocksdb::PutFixed64(dst, seed);
}

Status RabitqParams::DecodeFrom(Slice input) {
  if (input.empty() || input[0] != 1) {
    return Status::Corruption("drift: unknown RaBitQ block version");
  }
  input.remove_prefix(1);
  if (!rocksdb::GetVarint32(&input, &dim) ||
      !rocksdb::GetVarint32(&input, &padded_dim) ||
      !rocksdb::GetFixed64(&input, &seed) || !input.empty()) {
    return Status::Corruption("drift: malformed RaBitQ block");
  }
  if (dim == 0 || dim > (1u << 16) ||
      padded_dim != RabitqRotation::PaddedDim(dim)) {
    return Status::Corruption("drift: RaBitQ block dimension mismatch");
  }
  return Status::OK();
}

Status BucketDataView::Parse(Slice blob, uint32_t rabitq_padded_dim) {
  const char* const start = blob.data();
  if (blob.size() < 8) return Status::Corruption("drift: short bucket blob");
  num_rows = rocksdb::DecodeFixed32(blob.data());
  dim = rocksdb::DecodeFixed32(blob.data() + 4);
  blob.remove_prefix(8);
  const uint64_t code_bytes = uint64_t{num_rows} * dim;
  if (dim == 0 || code_bytes > blob.size()) {
    return Status::Corruption("drift: bucket blob codes out of range");
  }
  codes = Slice(blob.data(), code_bytes);
  blob.remove_prefix(code_bytes);
  keys.resize(num_rows);
  for (Slice& k : keys) {
    if (!rocksdb::GetLengthPrefixedSlice(&blob, &k) || k.size() < 8) {
      return Status::Corruption("drift: malformed key in bucket blob");
    }
  }
  rabitq_centroid = nullptr;
  rabitq_codes = nullptr;
  rabitq_factors = nullptr;
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
    if (blob.size() != centroid_bytes + code_bytes + factor_bytes) {
      return Status::Corruption("drift: bucket blob RaBitQ section size");
    }
    rabitq_centroid = reinterpret_cast<const float*>(blob.data());
    rabitq_codes =
        reinterpret_cast<const uint8_t*>(blob.data() + centroid_bytes);
    rabitq_factors = reinterpret_cast<const float*>(
        blob.data() + centroid_bytes + code_bytes);
    return Status::OK();
  }
  if (!blob.empty()) return Status::Corruption("drift: trailing bucket bytes");
  return Status::OK();
}

}  // namespace drift
