#include "db/vacuum.h"

#include <memory>

#include "table/drift_format.h"
#include "table/internal_key.h"
#include "table/vector_section_reader.h"

namespace drift {

using rocksdb::Slice;
using rocksdb::Status;

namespace {

// Whether the entry at `it` is dead in the column family's current state.
Status IsDead(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf,
              const VectorSectionReader& segment, const rocksdb::Iterator& it,
              bool* dead) {
  ParsedKey parsed;
  Status s = ParseKey(it.key(), &parsed);
  if (!s.ok()) return s;
  if (IsDeletion(parsed.type)) {
    *dead = true;
    return Status::OK();
  }
  *dead = false;
  if (parsed.type != EntryType::kValue) return Status::OK();  // merges
  ValueRef ref;
  s = DecodeValueRef(it.value(), &ref);
  BlockBuffer buf;
  Slice stored;
  if (s.ok()) s = segment.ReadValue(ref, &buf, &stored);
  if (!s.ok()) return s;
  rocksdb::PinnableSlice current;
  s = db->Get(rocksdb::ReadOptions(), cf, parsed.user_key, &current);
  if (s.IsNotFound()) {
    *dead = true;
    return Status::OK();
  }
  if (!s.ok()) return s;
  *dead = current != stored;
  return Status::OK();
}

}  // namespace

Status EstimateDeadEntries(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf,
                           const VectorSectionReader& segment,
                           size_t max_sample, DeadEstimate* out) {
  *out = DeadEstimate();
  const auto& props = segment.properties();
  out->entries = props != nullptr ? props->num_entries : 0;
  if (out->entries == 0 || max_sample == 0) return Status::OK();
  // A pass over the whole index: its partitions do not displace cached blobs.
  std::unique_ptr<rocksdb::Iterator> it(
      segment.NewKeyIndexIterator(/*fill_cache=*/false));
  it->SeekToLast();
  if (!it->Valid()) return it->status();
  out->largest_user_key = UserKeyOf(it->key()).ToString();
  const uint64_t stride =
      std::max<uint64_t>(1, out->entries / std::max<size_t>(1, max_sample));
  uint64_t n = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next(), ++n) {
    if (n == 0) {
      out->smallest_user_key = UserKeyOf(it->key()).ToString();
    }
    if (n % stride != 0 || out->sampled >= max_sample) continue;
    bool dead = false;
    Status s = IsDead(db, cf, segment, *it, &dead);
    if (!s.ok()) return s;
    ++out->sampled;
    out->dead += dead;
  }
  return it->status();
}

}  // namespace drift
