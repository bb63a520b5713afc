#include "table/drift_format.h"

#include <cstring>

#include "table/rocksdb_internals.h"
#include "util/cpu_features.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <nmmintrin.h>
#define DRIFT_HAVE_SSE42_CRC 1
#endif

namespace drift {

using rocksdb::Slice;
using rocksdb::Status;

const char* const kKeyIndexBlockName = "drift.key_index";
const char* const kKeyIndexTopBlockName = "drift.key_index_top";
const char* const kSegmentHeaderBlockName = "drift.header";
const char* const kBloomBlockName = "drift.bloom";
const char* const kBucketDirectoryBlockName = "drift.buckets";
const char* const kSQ8BlockName = "drift.sq8";
const char* const kBucketSlotsBlockName = "drift.bucket_slots";
const char* const kBucketMomentsBlockName = "drift.bucket_moments";
const char* const kRabitqBlockName = "drift.rabitq";
const char* const kCodebookEpochProperty = "drift.codebook_epoch";
const char* const kNumVectorsProperty = "drift.num_vectors";
const char* const kMetricProperty = "drift.metric";
const char* const kDimensionProperty = "drift.dimension";
const char* const kNumBucketsProperty = "drift.num_buckets";
const char* const kRepeatedUserKeysProperty = "drift.repeated_user_keys";

void EncodeInlineRef(const Slice& value, std::string* dst) {
  dst->push_back(static_cast<char>(ValueKind::kInline));
  dst->append(value.data(), value.size());
}

void EncodeRawRef(uint64_t offset, uint32_t size, std::string* dst) {
  dst->push_back(static_cast<char>(ValueKind::kRaw));
  rocksdb::PutVarint64(dst, offset);
  rocksdb::PutVarint32(dst, size);
}

void EncodeVectorRef(uint32_t bucket, uint32_t row, std::string* dst) {
  dst->push_back(static_cast<char>(ValueKind::kVector));
  rocksdb::PutVarint32(dst, bucket);
  rocksdb::PutVarint32(dst, row);
}

Status DecodeValueRef(Slice input, ValueRef* ref) {
  if (input.empty()) return Status::Corruption("drift: empty value reference");
  const auto kind = static_cast<ValueKind>(input[0]);
  input.remove_prefix(1);
  ref->kind = kind;
  switch (kind) {
    case ValueKind::kInline:
      ref->inline_value = input;
      return Status::OK();
    case ValueKind::kRaw:
      if (!rocksdb::GetVarint64(&input, &ref->offset) ||
          !rocksdb::GetVarint32(&input, &ref->size) || !input.empty()) {
        return Status::Corruption("drift: malformed raw value reference");
      }
      return Status::OK();
    case ValueKind::kVector:
      if (!rocksdb::GetVarint32(&input, &ref->bucket) ||
          !rocksdb::GetVarint32(&input, &ref->row) || !input.empty()) {
        return Status::Corruption("drift: malformed vector reference");
      }
      return Status::OK();
  }
  return Status::Corruption("drift: unknown value kind " +
                            std::to_string(static_cast<int>(kind)));
}

void SegmentHeader::EncodeTo(std::string* dst) const {
  rocksdb::PutVarint32(dst, dimension);
  rocksdb::PutVarint64(dst, num_vectors);
  rocksdb::PutVarint64(dst, num_raw);
}

Status SegmentHeader::DecodeFrom(Slice input) {
  if (!rocksdb::GetVarint32(&input, &dimension) ||
      !rocksdb::GetVarint64(&input, &num_vectors) ||
      !rocksdb::GetVarint64(&input, &num_raw)) {
    return Status::Corruption("drift: malformed segment header");
  }
  return Status::OK();
}

namespace {

#if defined(DRIFT_HAVE_SSE42_CRC)
// CRC-32C with SSE4.2's crc32 instruction, 8 bytes per step. Debian's
// librocksdb is built portable and its crc32c::Value is the table-driven
// fallback (crc32c::IsFastCrc32Supported() says "Not supported on x86"),
// several times slower; the values are the same (CRC-32C, init and final
// xor 0xFFFFFFFF, as crc32c::Value).
__attribute__((target("sse4.2"))) uint32_t Crc32cSse42(const char* p,
                                                       size_t n) {
  uint64_t crc = 0xFFFFFFFFu;
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t word;
    std::memcpy(&word, p, 8);
    crc = _mm_crc32_u64(crc, word);
  }
  uint32_t c = static_cast<uint32_t>(crc);
  for (; n > 0; ++p, --n) c = _mm_crc32_u8(c, static_cast<uint8_t>(*p));
  return c ^ 0xFFFFFFFFu;
}

#endif

}  // namespace

bool Crc32cUsesSse42() {
#if defined(DRIFT_HAVE_SSE42_CRC)
  // DRIFT_ISA governs this dispatch too: the scalar level is plain x86-64.
  static const bool use =
      ActiveIsa() != IsaLevel::kScalar && __builtin_cpu_supports("sse4.2");
  return use;
#else
  return false;
#endif
}

uint32_t Crc32c(const char* data, size_t n) {
#if defined(DRIFT_HAVE_SSE42_CRC)
  if (Crc32cUsesSse42()) return Crc32cSse42(data, n);
#endif
  return rocksdb::crc32c::Value(data, n);
}

uint32_t BlockChecksum(const Slice& contents) {
  return rocksdb::crc32c::Mask(Crc32c(contents.data(), contents.size()));
}

}  // namespace drift
