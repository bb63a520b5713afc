#include "table/vector_section_reader.h"

#include <algorithm>
#include <cstring>

#include "codec/alp.h"
#include "table/internal_key.h"
#include "table/segment_file.h"

namespace drift {

using rocksdb::Slice;
using rocksdb::Status;

namespace {

// The key index as a public rocksdb::Iterator.
class KeyIndexIterator : public rocksdb::Iterator {
 public:
  explicit KeyIndexIterator(rocksdb::DataBlockIter* it) : it_(it) {}
  bool Valid() const override { return it_->Valid(); }
  void SeekToFirst() override { it_->SeekToFirst(); }
  void SeekToLast() override { it_->SeekToLast(); }
  void Seek(const Slice& target) override { it_->Seek(target); }
  void SeekForPrev(const Slice& target) override { it_->SeekForPrev(target); }
  void Next() override { it_->Next(); }
  void Prev() override { it_->Prev(); }
  Slice key() const override { return it_->key(); }
  Slice value() const override { return it_->value(); }
  Status status() const override { return it_->status(); }

 private:
  const std::unique_ptr<rocksdb::DataBlockIter> it_;
};

}  // namespace

VectorSectionReader::VectorSectionReader(
    const SegmentFile* file, std::shared_ptr<rocksdb::Cache> blob_cache,
    std::shared_ptr<PinBudget> pin_budget,
    std::shared_ptr<BlobCacheCounters> counters)
    : file_(file),
      blob_cache_(std::move(blob_cache)),
      cache_id_(blob_cache_ != nullptr ? blob_cache_->NewId() : 0),
      pin_budget_(blob_cache_ != nullptr ? std::move(pin_budget) : nullptr),
      counters_(blob_cache_ != nullptr ? std::move(counters) : nullptr) {}

VectorSectionReader::~VectorSectionReader() {
  if (pinned_ == nullptr) return;
  for (size_t b = 0; b < directory_.buckets.size(); ++b) {
    if (auto* h = pinned_[b].handle.load()) blob_cache_->Release(h);
  }
  for (size_t c = 0; c < num_chunks_; ++c) {
    if (auto* h = pinned_chunks_[c].handle.load()) blob_cache_->Release(h);
  }
  pin_budget_->Release(pinned_bytes_.load(std::memory_order_relaxed));
}

const std::string& VectorSectionReader::file_name() const {
  return file_->name();
}

Status VectorSectionReader::Open(
    std::shared_ptr<const rocksdb::TableProperties> props,
    const MetaBlockReader& read_meta) {
  props_ = std::move(props);
  const auto& user = props_->user_collected_properties;
  const auto repeated = user.find(kRepeatedUserKeysProperty);
  single_version_ = repeated != user.end() && repeated->second == "0" &&
                    props_->num_deletions == 0 &&
                    props_->num_range_deletions == 0 &&
                    props_->num_merge_operands == 0;

  bool found = false;
  BlockBuffer header_buf;
  Status s = read_meta(kSegmentHeaderBlockName, true, &header_buf, &found);
  if (s.ok()) s = header_.DecodeFrom(header_buf.data);
  if (!s.ok() || header_.num_vectors == 0) return s;

  BlockBuffer dir_buf;
  s = read_meta(kBucketDirectoryBlockName, true, &dir_buf, &found);
  if (s.ok()) s = directory_.DecodeFrom(dir_buf.data, file_->size);
  BlockBuffer sq8_buf;
  if (s.ok()) s = read_meta(kSQ8BlockName, true, &sq8_buf, &found);
  if (s.ok()) s = sq8_.Deserialize(sq8_buf.data);
  BlockBuffer slots_buf;
  if (s.ok()) s = read_meta(kBucketSlotsBlockName, false, &slots_buf, &found);
  if (s.ok() && found) s = directory_.DecodeSlotsFrom(slots_buf.data);
  BlockBuffer moments_buf;
  if (s.ok()) {
    s = read_meta(kBucketMomentsBlockName, false, &moments_buf, &found);
  }
  if (s.ok() && found) s = directory_.DecodeMomentsFrom(moments_buf.data);
  BlockBuffer rabitq_buf;
  if (s.ok()) s = read_meta(kRabitqBlockName, false, &rabitq_buf, &found);
  if (s.ok() && found) {
    RabitqParams params;
    s = params.DecodeFrom(rabitq_buf.data);
    if (s.ok() && params.dim != header_.dimension) {
      s = Status::Corruption("drift: RaBitQ block dimension mismatch");
    }
    if (s.ok()) rabitq_.reset(new RabitqRotation(params.dim, params.seed));
  }
  if (s.ok()) BuildSlotIndex();
  if (s.ok() && pin_budget_ != nullptr && !directory_.buckets.empty()) {
    pinned_.reset(new PinnedBlock[directory_.buckets.size()]);
    chunk_base_.reserve(directory_.buckets.size());
    for (const BucketHeader& b : directory_.buckets) {
      chunk_base_.push_back(static_cast<uint32_t>(num_chunks_));
      num_chunks_ += b.chunks.size();
    }
    pinned_chunks_.reset(new PinnedBlock[num_chunks_]);
  }
  if (s.ok() && sq8_.dim() != header_.dimension) {
    s = Status::Corruption("drift: SQ8 parameters dimension mismatch");
  }
  if (!s.ok()) return s;
  if (directory_.dim != header_.dimension) {
    return Status::Corruption("drift: bucket directory dimension mismatch");
  }
  return Status::OK();
}

void VectorSectionReader::BuildSlotIndex() {
  uint32_t max_slot = 0;
  for (const BucketHeader& b : directory_.buckets) {
    max_slot = std::max(max_slot, b.slot);
  }
  // DecodeSlotsFrom bounds slots by kMaxCodebookSize; a duplicate slot (only
  // in a corrupt file) maps to the last bucket that has it.
  bucket_of_slot_.assign(directory_.buckets.empty() ? 0 : max_slot + 1,
                         kNoBucket);
  for (uint32_t b = 0; b < directory_.buckets.size(); ++b) {
    bucket_of_slot_[directory_.buckets[b].slot] = b;
  }
}

std::unique_ptr<rocksdb::Iterator> VectorSectionReader::NewKeyIndexIterator()
    const {
  return std::unique_ptr<rocksdb::Iterator>(
      new KeyIndexIterator(file_->NewKeyIndexIterator(nullptr)));
}

Status VectorSectionReader::ReadValue(const ValueRef& ref, BlockBuffer* buf,
                                      Slice* value) const {
  switch (ref.kind) {
    case ValueKind::kInline:
      *value = ref.inline_value;
      return Status::OK();
    case ValueKind::kRaw: {
      if (ref.offset + ref.size + kBlockTrailerSize > file_->size) {
        return Status::Corruption("drift: value reference past end of " +
                                  file_->name());
      }
      Status s = ReadVerified(file_->file.get(), ref.offset, ref.size, buf);
      if (s.ok()) *value = buf->data;
      return s;
    }
    case ValueKind::kVector:
      return ReadVector(ref.bucket, ref.row, buf, value);
  }
  return Status::Corruption("drift: unknown value kind");
}

Status VectorSectionReader::ReadVector(uint32_t bucket, uint32_t row,
                                       BlockBuffer* buf, Slice* value) const {
  const size_t bytes = size_t{directory_.dim} * sizeof(float);
  buf->buf.reset(new char[bytes]);
  Status s = ReadRow(bucket, row, reinterpret_cast<float*>(buf->buf.get()));
  if (!s.ok()) return s;
  buf->data = Slice(buf->buf.get(), bytes);
  *value = buf->data;
  return Status::OK();
}

void VectorSectionReader::BlobRef::Reset() {
  if (handle_ != nullptr) cache_->Release(handle_);
  handle_ = nullptr;
  cache_ = nullptr;
  owned_ = CachedBlock();
  block_ = &owned_;
}

bool VectorSectionReader::UsePinned(const PinnedBlock& slot,
                                    BlobRef* ref) const {
  const CachedBlock* pinned = slot.block.load(std::memory_order_acquire);
  if (pinned == nullptr) return false;
  if (counters_ != nullptr) {
    counters_->pinned_reads.fetch_add(1, std::memory_order_relaxed);
  }
  ref->Reset();
  ref->block_ = pinned;
  return true;
}

Status VectorSectionReader::GetBucket(uint32_t b, BlobRef* ref) const {
  if (pinned_ != nullptr && b < directory_.buckets.size() &&
      UsePinned(pinned_[b], ref)) {
    return Status::OK();
  }
  Status s = GetCached(
      kBucketBlobTag, b,
      [this, b](CachedBlock* c) {
        Status st = ReadBucketData(b, &c->block);
        if (st.ok()) st = c->bucket.Parse(c->block.data, RabitqPaddedDim());
        if (st.ok() && c->bucket.num_rows != directory_.buckets[b].num_rows) {
          st = Status::Corruption("drift: bucket row count mismatch in " +
                                  file_->name());
        }
        return st;
      },
      ref);
  if (s.ok() && pinned_ != nullptr && ref->handle_ != nullptr) {
    Pin(&pinned_[b], ref->handle_);
  }
  return s;
}

void VectorSectionReader::Pin(PinnedBlock* slot,
                              rocksdb::Cache::Handle* h) const {
  const uint64_t charge = blob_cache_->GetCharge(h);
  if (!pin_budget_->TryAcquire(charge)) return;
  const CachedBlock* expected = nullptr;
  const auto* block = static_cast<const CachedBlock*>(blob_cache_->Value(h));
  if (slot->block.compare_exchange_strong(expected, block,
                                          std::memory_order_acq_rel)) {
    blob_cache_->Ref(h);
    slot->handle.store(h, std::memory_order_release);
    pinned_bytes_.fetch_add(charge, std::memory_order_relaxed);
  } else {  // another search pinned it first
    pin_budget_->Release(charge);
  }
}

Status VectorSectionReader::ReadRow(uint32_t bucket, uint32_t row,
                                    float* out) const {
  BlobRef ref;
  const float* data = nullptr;
  Status s = ReadRowRef(bucket, row, &ref, &data);
  if (s.ok()) std::memcpy(out, data, size_t{directory_.dim} * sizeof(float));
  return s;
}

Status VectorSectionReader::ReadRowRef(uint32_t bucket, uint32_t row,
                                       BlobRef* ref,
                                       const float** row_data) const {
  if (bucket >= directory_.buckets.size() ||
      row >= directory_.buckets[bucket].num_rows) {
    return Status::Corruption("drift: vector reference out of range in " +
                              file_->name());
  }
  const uint32_t per_chunk = directory_.rows_per_chunk;
  const uint32_t first = row - row % per_chunk;
  const uint32_t rows =
      std::min(per_chunk, directory_.buckets[bucket].num_rows - first);
  const ChunkHandle& chunk = directory_.buckets[bucket].chunks[row / per_chunk];
  const size_t row_bytes = size_t{directory_.dim} * sizeof(float);
  PinnedBlock* pin =
      pinned_chunks_ != nullptr
          ? &pinned_chunks_[chunk_base_[bucket] + row / per_chunk]
          : nullptr;
  if (pin != nullptr && UsePinned(*pin, ref)) {
    *row_data = reinterpret_cast<const float*>(ref->data().data() +
                                               (row - first) * row_bytes);
    return Status::OK();
  }
  // The cache holds chunks decoded (like RocksDB caching uncompressed
  // blocks): a search re-ranks many rows per query and ALP decoding them
  // each time would cost more than the scan.
  Status s = GetCached(
      kFloatChunkTag, chunk.offset,
      [&](CachedBlock* cached) {
        BlockBuffer* buf = &cached->block;
        BlockBuffer encoded;
        Status st =
            ReadVerified(file_->file.get(), chunk.offset, chunk.size, &encoded);
        AlpMatrixInfo info;
        if (st.ok()) st = GetFloatMatrixInfo(encoded.data, &info);
        if (!st.ok()) return st;
        if (info.rows != rows || info.dim != directory_.dim) {
          return Status::Corruption("drift: float chunk shape mismatch in " +
                                    file_->name());
        }
        buf->buf.reset(new char[rows * row_bytes]);
        st = DecodeFloatRows(encoded.data, 0, rows,
                             reinterpret_cast<float*>(buf->buf.get()));
        buf->data = Slice(buf->buf.get(), rows * row_bytes);
        return st;
      },
      ref);
  if (!s.ok()) return s;
  if (ref->data().size() != rows * row_bytes) {
    return Status::Corruption("drift: float chunk row count mismatch");
  }
  if (pin != nullptr && ref->handle_ != nullptr) Pin(pin, ref->handle_);
  *row_data = reinterpret_cast<const float*>(ref->data().data() +
                                             (row - first) * row_bytes);
  return Status::OK();
}

Status VectorSectionReader::ReadRowPinned(uint32_t bucket, uint32_t row,
                                          BlockBuffer* buf, Slice* value,
                                          rocksdb::Cleanable* pinner,
                                          bool* pinned) const {
  BlobRef ref;
  const float* data = nullptr;
  Status s = ReadRowRef(bucket, row, &ref, &data);
  if (!s.ok()) return s;
  const size_t row_bytes = size_t{directory_.dim} * sizeof(float);
  rocksdb::Cache::Handle* h = ref.handle_;
  if (h != nullptr) {
    ref.handle_ = nullptr;  // the reference moves to `pinner`
  } else if (ref.block_ != &ref.owned_) {
    // A pinned chunk: ReadRowRef checked bucket and row.
    const PinnedBlock& slot =
        pinned_chunks_[chunk_base_[bucket] + row / directory_.rows_per_chunk];
    h = slot.handle.load(std::memory_order_acquire);
    if (h != nullptr) blob_cache_->Ref(h);
  }
  *pinned = h != nullptr;
  if (!*pinned) {
    buf->buf.reset(new char[row_bytes]);
    std::memcpy(buf->buf.get(), data, row_bytes);
    buf->data = Slice(buf->buf.get(), row_bytes);
    *value = buf->data;
    return Status::OK();
  }
  *value = Slice(reinterpret_cast<const char*>(data), row_bytes);
  pinner->RegisterCleanup(
      [](void* cache, void* handle) {
        static_cast<rocksdb::Cache*>(cache)->Release(
            static_cast<rocksdb::Cache::Handle*>(handle));
      },
      blob_cache_.get(), h);
  return Status::OK();
}

Status VectorSectionReader::GetCached(uint32_t tag, uint64_t id,
                                      const BlockLoader& load,
                                      BlobRef* ref) const {
  ref->Reset();
  if (blob_cache_ == nullptr) return load(&ref->owned_);
  char key[20];
  rocksdb::EncodeFixed64(key, cache_id_);
  rocksdb::EncodeFixed32(key + 8, tag);
  rocksdb::EncodeFixed64(key + 12, id);
  const Slice cache_key(key, sizeof(key));
  rocksdb::Cache::Handle* h = blob_cache_->Lookup(cache_key);
  if (counters_ != nullptr) {
    (h != nullptr ? counters_->hits : counters_->misses)
        .fetch_add(1, std::memory_order_relaxed);
  }
  if (h == nullptr) {
    auto* blob = new CachedBlock;
    Status s = load(blob);
    if (!s.ok()) {
      delete blob;
      return s;
    }
    const size_t charge = blob->block.data.size() + sizeof(CachedBlock) +
                          blob->bucket.keys.capacity() * sizeof(Slice);
    s = blob_cache_->Insert(
        cache_key, blob, charge,
        [](const Slice& /*key*/, void* value) {
          delete static_cast<CachedBlock*>(value);
        },
        &h);
    if (!s.ok()) {
      delete blob;  // with a handle requested, a failed Insert leaves it to us
      return s;
    }
  }
  ref->cache_ = blob_cache_.get();
  ref->handle_ = h;
  ref->block_ = static_cast<const CachedBlock*>(blob_cache_->Value(h));
  return Status::OK();
}

Status VectorSectionReader::ReadBucketData(uint32_t b, BlockBuffer* buf) const {
  if (b >= directory_.buckets.size()) {
    return Status::InvalidArgument("drift: no bucket " + std::to_string(b));
  }
  return ReadBlock(file_->file.get(), directory_.buckets[b].data, buf);
}

Status VectorSectionReader::FindHiddenVectors(const Slice& internal_key,
                                              std::vector<RowRef>* rows) const {
  if (header_.num_vectors == 0 || !file_->BloomMayMatch(internal_key)) {
    return Status::OK();
  }
  ParsedKey newer;
  Status s = ParseKey(internal_key, &newer);
  if (!s.ok()) return s;
  const rocksdb::Comparator* ucmp = file_->icmp.user_comparator();
  std::unique_ptr<rocksdb::DataBlockIter> it(
      file_->NewKeyIndexIterator(nullptr));
  for (it->Seek(internal_key); it->Valid(); it->Next()) {
    ParsedKey parsed;
    s = ParseKey(it->key(), &parsed);
    if (!s.ok()) return s;
    if (!ucmp->EqualWithoutTimestamp(parsed.user_key, newer.user_key)) break;
    if (parsed.sequence >= newer.sequence) continue;  // this very entry
    ValueRef ref;
    s = DecodeValueRef(it->value(), &ref);
    if (!s.ok()) return s;
    if (ref.kind == ValueKind::kVector) rows->push_back({ref.bucket, ref.row});
  }
  return it->status();
}

Status VectorSectionReader::VerifyBlobs() const {
  BlockBuffer buf;
  for (uint32_t b = 0; b < directory_.buckets.size(); ++b) {
    BucketDataView view;
    Status s = ReadBucketData(b, &buf);
    if (s.ok()) s = view.Parse(buf.data, RabitqPaddedDim());
    if (s.ok() && view.num_rows != directory_.buckets[b].num_rows) {
      s = Status::Corruption("drift: bucket row count mismatch");
    }
    for (const ChunkHandle& c : directory_.buckets[b].chunks) {
      if (!s.ok()) break;
      s = ReadVerified(file_->file.get(), c.offset, c.size, &buf);
    }
    if (!s.ok()) return s;
  }
  return Status::OK();
}

size_t VectorSectionReader::ApproximateMemoryUsage() const {
  return sizeof(*this) + directory_.MemoryUsage() + sq8_.MemoryUsage() +
         (rabitq_ != nullptr ? rabitq_->MemoryUsage() : 0) +
         bucket_of_slot_.capacity() * sizeof(uint32_t) +
         (pinned_ != nullptr ? directory_.buckets.size() : 0) *
             sizeof(PinnedBlock) +
         num_chunks_ * sizeof(PinnedBlock) +
         chunk_base_.capacity() * sizeof(uint32_t);
}

}  // namespace drift
