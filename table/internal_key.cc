#include "table/internal_key.h"

#include "table/rocksdb_internals.h"

namespace drift {

#define DRIFT_SAME_TYPE(ours, theirs)                                 \
  static_assert(static_cast<int>(EntryType::ours) == rocksdb::theirs, \
                "EntryType must keep RocksDB's ValueType codes")
DRIFT_SAME_TYPE(kDeletion, kTypeDeletion);
DRIFT_SAME_TYPE(kValue, kTypeValue);
DRIFT_SAME_TYPE(kMerge, kTypeMerge);
DRIFT_SAME_TYPE(kSingleDeletion, kTypeSingleDeletion);
DRIFT_SAME_TYPE(kRangeDeletion, kTypeRangeDeletion);
DRIFT_SAME_TYPE(kBlobIndex, kTypeBlobIndex);
DRIFT_SAME_TYPE(kDeletionWithTimestamp, kTypeDeletionWithTimestamp);
DRIFT_SAME_TYPE(kWideColumnEntity, kTypeWideColumnEntity);
#undef DRIFT_SAME_TYPE

rocksdb::Status ParseKey(const rocksdb::Slice& internal_key, ParsedKey* out) {
  rocksdb::ParsedInternalKey parsed;
  rocksdb::Status s =
      rocksdb::ParseInternalKey(internal_key, &parsed, /*log_err_key=*/false);
  if (!s.ok()) return s;
  out->user_key = parsed.user_key;
  out->sequence = parsed.sequence;
  out->type = static_cast<EntryType>(parsed.type);
  return s;
}

rocksdb::Slice UserKeyOf(const rocksdb::Slice& internal_key) {
  return rocksdb::ExtractUserKey(internal_key);
}

uint64_t SequenceOf(const rocksdb::Slice& internal_key) {
  return rocksdb::GetInternalKeySeqno(internal_key);
}

EntryType TypeOf(const rocksdb::Slice& internal_key) {
  return static_cast<EntryType>(rocksdb::ExtractValueType(internal_key));
}

std::string SeekKey(const rocksdb::Slice& user_key) {
  return rocksdb::InternalKey(user_key, rocksdb::kMaxSequenceNumber,
                              rocksdb::kValueTypeForSeek)
      .Encode()
      .ToString();
}

bool DecodeMemTableEntry(const char* entry, rocksdb::Slice* internal_key,
                         rocksdb::Slice* value) {
  uint32_t klen = 0, vlen = 0;
  const char* p = rocksdb::GetVarint32Ptr(entry, entry + 5, &klen);
  if (p == nullptr || klen < 8) return false;
  *internal_key = rocksdb::Slice(p, klen);
  const char* v = rocksdb::GetVarint32Ptr(p + klen, p + klen + 5, &vlen);
  if (v == nullptr) return false;
  *value = rocksdb::Slice(v, vlen);
  return true;
}

}  // namespace drift
