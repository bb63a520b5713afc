#include "table/vector_section_reader.h"

#include <algorithm>
#include <cstring>

#include "codec/alp.h"
#include "table/internal_key.h"
#include "table/key_index.h"
#include "table/segment_file.h"

namespace drift {

using rocksdb::Slice;
using rocksdb::Status;

namespace {

// The key index as a public rocksdb::Iterator.
class PublicKeyIndexIterator : public rocksdb::Iterator {
 public:
  PublicKeyIndexIterator(const SegmentFile* file,
                         const VectorSectionReader* section, bool fill_cache)
      : it_(&file->key_index, file->icmp.user_comparator(), section,
            fill_cache) {}
  bool Valid() const override { return it_.Valid(); }
  void SeekToFirst() override { it_.SeekToFirst(); }
  void SeekToLast() override { it_.SeekToLast(); }
  void Seek(const Slice& target) override { it_.Seek(target); }
  void SeekForPrev(const Slice& target) override { it_.SeekForPrev(target); }
  void Next() override { it_.Next(); }
  void Prev() override { it_.Prev(); }
  Slice key() const override { return it_.key(); }
  Slice value() const override { return it_.value(); }
  Status status() const override { return it_.status(); }

 private:
  KeyIndexIterator it_;
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
  if (pins_ == nullptr) return;
  for (size_t b = 0; b < directory_.buckets.size(); ++b) {
    if (auto* p = pins_[b].blob.load()) blob_cache_->Release(p->pin_handle);
    ChunkPinSlot* chunks = pins_[b].chunks.load();
    if (chunks == nullptr) continue;
    for (size_t c = 0; c < directory_.buckets[b].num_chunks(); ++c) {
      if (auto* p = chunks[c].block.load()) blob_cache_->Release(p->pin_handle);
    }
    delete[] chunks;
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
  Status s =
      read_meta(kSegmentHeaderBlockName, true, &header_buf, &found, nullptr);
  if (s.ok()) s = header_.DecodeFrom(header_buf.data);
  if (!s.ok() || header_.num_vectors == 0) return s;

  BlockBuffer dir_buf;
  // Centroids and means are checked here but read again when needed.
  s = read_meta(kBucketDirectoryBlockName, true, &dir_buf, &found,
                &directory_extent_);
  if (s.ok()) {
    s = directory_.DecodeFrom(dir_buf.data, file_->size,
                              /*keep_centroids=*/false);
  }
  BlockBuffer sq8_buf;
  if (s.ok()) s = read_meta(kSQ8BlockName, true, &sq8_buf, &found, nullptr);
  if (s.ok()) s = sq8_.Deserialize(sq8_buf.data);
  BlockBuffer slots_buf;
  if (s.ok()) {
    s = read_meta(kBucketSlotsBlockName, false, &slots_buf, &found, nullptr);
  }
  if (s.ok() && found) s = directory_.DecodeSlotsFrom(slots_buf.data);
  BlockBuffer moments_buf;
  if (s.ok()) {
    s = read_meta(kBucketMomentsBlockName, false, &moments_buf, &found,
                  &moments_extent_);
  }
  if (s.ok() && found) {
    s = directory_.DecodeMomentsFrom(moments_buf.data, /*keep_means=*/false);
  }
  BlockBuffer rabitq_buf;
  if (s.ok()) {
    s = read_meta(kRabitqBlockName, false, &rabitq_buf, &found, nullptr);
  }
  if (s.ok() && found) {
    RabitqParams params;
    s = params.DecodeFrom(rabitq_buf.data);
    if (s.ok() && params.dim != header_.dimension) {
      s = Status::Corruption("drift: RaBitQ block dimension mismatch");
    }
    if (s.ok()) rabitq_.reset(new RabitqRotation(params.dim, params.seed));
    sq8_codes_ = params.sq8_codes();
    rabitq_ex_bits_ = params.ex_bits;
  }
  if (s.ok()) BuildSlotIndex();
  if (s.ok() && pin_budget_ != nullptr && !directory_.buckets.empty()) {
    pins_.reset(new BucketPins[directory_.buckets.size()]);
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

std::unique_ptr<rocksdb::Iterator> VectorSectionReader::NewKeyIndexIterator(
    bool fill_cache) const {
  return std::unique_ptr<rocksdb::Iterator>(
      new PublicKeyIndexIterator(file_, this, fill_cache));
}

Status VectorSectionReader::GetKeyIndexPartition(const BlockExtent& extent,
                                                 bool fill_cache,
                                                 BlobRef* ref) const {
  return GetCached(
      kKeyIndexPartitionTag, extent.offset(),
      [&](CachedBlock* c) {
        Status s = ReadBlock(file_->file.get(), extent, &c->block);
        return s.ok() ? CheckKeyIndexBlock(c->block.data) : s;
      },
      ref, fill_cache);
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
  buf->buf = AllocateBlockMemory(bytes, /*huge_pages=*/false);
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
  owned_.block = BlockBuffer();
  owned_.bucket = BucketDataView();
  block_ = &owned_;
}

bool VectorSectionReader::UsePinned(const PinSlot& slot, BlobRef* ref) const {
  const CachedBlock* pinned = slot.load(std::memory_order_acquire);
  if (pinned == nullptr) return false;
  if (counters_ != nullptr) {
    counters_->pinned_reads.fetch_add(1, std::memory_order_relaxed);
  }
  ref->Reset();
  ref->block_ = pinned;
  return true;
}

Status VectorSectionReader::GetBucket(uint32_t b, BlobRef* ref) const {
  if (pins_ != nullptr && b < directory_.buckets.size() &&
      UsePinned(pins_[b].blob, ref)) {
    return Status::OK();
  }
  Status s = GetCached(
      kBucketBlobTag, b,
      [this, b](CachedBlock* c) {
        Status st = ReadBucketData(b, &c->block);
        if (st.ok()) {
          st = c->bucket.Parse(c->block.data, RabitqPaddedDim(), sq8_codes_,
                               rabitq_ex_bits_);
        }
        if (st.ok() && c->bucket.num_rows != directory_.buckets[b].num_rows) {
          st = Status::Corruption("drift: bucket row count mismatch in " +
                                  file_->name());
        }
        return st;
      },
      ref);
  if (s.ok() && pins_ != nullptr && ref->handle_ != nullptr) {
    Pin(&pins_[b].blob, ref->handle_);
  }
  return s;
}

// The caller holds a reference on `h` until Pin returns, so a search that
// sees the block in the slot before Ref below uses a live block. Threads
// pinning the same block store the same handle in it (a block belongs to one
// cache entry).
const VectorSectionReader::CachedBlock* VectorSectionReader::Pin(
    PinSlot* slot, rocksdb::Cache::Handle* h) const {
  const uint64_t charge = blob_cache_->GetCharge(h);
  if (!pin_budget_->TryAcquire(charge)) return nullptr;
  auto* block = static_cast<CachedBlock*>(blob_cache_->Value(h));
  block->pin_handle.store(h, std::memory_order_relaxed);
  const CachedBlock* expected = nullptr;
  if (slot->compare_exchange_strong(expected, block,
                                    std::memory_order_acq_rel)) {
    blob_cache_->Ref(h);
    pinned_bytes_.fetch_add(charge, std::memory_order_relaxed);
    return block;
  }
  pin_budget_->Release(charge);  // another search pinned it first
  return expected;
}

void VectorSectionReader::PinChunk(uint32_t b, size_t c,
                                   rocksdb::Cache::Handle* h) const {
  // No slots are allocated for a bucket while the budget is spent.
  const uint64_t charge = blob_cache_->GetCharge(h);
  if (pin_budget_->used() + charge > pin_budget_->limit()) return;
  std::atomic<ChunkPinSlot*>& table = pins_[b].chunks;
  ChunkPinSlot* slots = table.load(std::memory_order_acquire);
  if (slots == nullptr) {
    const size_t n = directory_.buckets[b].num_chunks();
    ChunkPinSlot* fresh = new ChunkPinSlot[n];
    if (table.compare_exchange_strong(slots, fresh,
                                      std::memory_order_acq_rel)) {
      slots = fresh;
      chunk_pin_bytes_.fetch_add(n * sizeof(ChunkPinSlot),
                                 std::memory_order_relaxed);
    } else {
      delete[] fresh;  // `slots` is the winner's
    }
  }
  // Every pinner of the slot stores the rows of the block the slot holds.
  if (const CachedBlock* pinned = Pin(&slots[c].block, h)) {
    slots[c].rows.store(pinned->block.data.data(), std::memory_order_release);
  }
}

void VectorSectionReader::AddPinnedReads(uint64_t n) const {
  if (counters_ != nullptr && n != 0) {
    counters_->pinned_reads.fetch_add(n, std::memory_order_relaxed);
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
  const size_t row_bytes = size_t{directory_.dim} * sizeof(float);
  const ChunkPinSlot* pin = ChunkPin(bucket, row);
  if (pin != nullptr && UsePinned(pin->block, ref)) {
    *row_data = reinterpret_cast<const float*>(ref->data().data() +
                                               (row - first) * row_bytes);
    return Status::OK();
  }
  const uint32_t rows =
      std::min(per_chunk, directory_.buckets[bucket].num_rows - first);
  const ChunkHandle chunk = directory_.buckets[bucket].chunk(row / per_chunk);
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
        // Re-rank reads rows at random from hundreds of MB: huge pages
        // (util/block_memory.h). One size class per dimension (a bucket's
        // last chunk aside), so freed chunks are reused.
        buf->buf = AllocateBlockMemory(rows * row_bytes, /*huge_pages=*/true);
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
  if (pins_ != nullptr && ref->handle_ != nullptr) {
    PinChunk(bucket, row / per_chunk, ref->handle_);
  }
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
    h = ref.block_->pin_handle.load(std::memory_order_relaxed);
    if (h != nullptr) blob_cache_->Ref(h);
  }
  *pinned = h != nullptr;
  if (!*pinned) {
    buf->buf = AllocateBlockMemory(row_bytes, /*huge_pages=*/false);
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
                                      const BlockLoader& load, BlobRef* ref,
                                      bool fill_cache) const {
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
  if (h == nullptr && !fill_cache) return load(&ref->owned_);
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
  KeyIndexIterator it(&file_->key_index, ucmp, this);
  for (it.Seek(internal_key); it.Valid(); it.Next()) {
    ParsedKey parsed;
    s = ParseKey(it.key(), &parsed);
    if (!s.ok()) return s;
    if (!ucmp->EqualWithoutTimestamp(parsed.user_key, newer.user_key)) break;
    if (parsed.sequence >= newer.sequence) continue;  // this very entry
    ValueRef ref;
    s = DecodeValueRef(it.value(), &ref);
    if (!s.ok()) return s;
    if (ref.kind == ValueKind::kVector) rows->push_back({ref.bucket, ref.row});
  }
  return it.status();
}

Status VectorSectionReader::VerifyBlobs() const {
  BlockBuffer buf;
  for (uint32_t b = 0; b < directory_.buckets.size(); ++b) {
    BucketDataView view;
    Status s = ReadBucketData(b, &buf);
    if (s.ok())
      s = view.Parse(buf.data, RabitqPaddedDim(), sq8_codes_, rabitq_ex_bits_);
    if (s.ok() && view.num_rows != directory_.buckets[b].num_rows) {
      s = Status::Corruption("drift: bucket row count mismatch");
    }
    const BucketHeader& h = directory_.buckets[b];
    for (size_t c = 0; s.ok() && c < h.num_chunks(); ++c) {
      s = ReadVerified(file_->file.get(), h.chunk(c).offset, h.chunk(c).size,
                       &buf);
    }
    if (!s.ok()) return s;
  }
  return Status::OK();
}

Status VectorSectionReader::GetFloats(uint32_t tag, const BlockExtent& extent,
                                      const FloatsDecoder& decode,
                                      BlobRef* ref) const {
  return GetCached(
      tag, extent.offset(),
      [&](CachedBlock* c) {
        BlockBuffer raw;
        std::vector<float> floats;
        Status s = ReadBlock(file_->file.get(), extent, &raw);
        if (s.ok()) s = decode(raw.data, &floats);
        if (!s.ok()) return s;
        const size_t bytes = floats.size() * sizeof(float);
        c->block.buf = AllocateBlockMemory(bytes, /*huge_pages=*/false);
        std::memcpy(c->block.buf.get(), floats.data(), bytes);
        c->block.data = Slice(c->block.buf.get(), bytes);
        return s;
      },
      ref);
}

Status VectorSectionReader::GetCentroids(BlobRef* ref) const {
  return GetFloats(
      kCentroidsTag, directory_extent_,
      [this](Slice block, std::vector<float>* out) {
        BucketDirectory dir;
        Status s = dir.DecodeFrom(block, file_->size);
        if (s.ok() && (dir.buckets.size() != directory_.buckets.size() ||
                       dir.dim != directory_.dim)) {
          s = Status::Corruption("drift: bucket directory changed in " +
                                 file_->name());
        }
        if (s.ok()) *out = std::move(dir.centroids);
        return s;
      },
      ref);
}

Status VectorSectionReader::GetMeans(BlobRef* ref) const {
  if (!directory_.has_moments()) {
    return Status::NotFound("drift: no bucket moments in " + file_->name());
  }
  return GetFloats(
      kMeansTag, moments_extent_,
      [this](Slice block, std::vector<float>* out) {
        BucketDirectory dir;
        dir.dim = directory_.dim;
        dir.buckets.resize(directory_.buckets.size());
        Status s = dir.DecodeMomentsFrom(block);
        if (s.ok()) *out = std::move(dir.means);
        return s;
      },
      ref);
}

void VectorSectionReader::MemoryBreakdown(
    std::vector<std::pair<std::string, size_t>>* parts) const {
  size_t directory = sizeof(directory_);
  size_t chunk_index = 0;
  for (const BucketHeader& b : directory_.buckets) {
    directory += sizeof(BucketHeader);
    chunk_index += b.MemoryUsage() - sizeof(BucketHeader);
  }
  directory += (directory_.centroids.capacity() + directory_.means.capacity()) *
               sizeof(float);
  parts->emplace_back("section: reader object", sizeof(*this));
  parts->emplace_back("section: bucket headers", directory);
  parts->emplace_back("section: float chunk index", chunk_index);
  parts->emplace_back("section: sq8 parameters", sq8_.MemoryUsage());
  parts->emplace_back("section: rabitq rotation",
                      rabitq_ != nullptr ? rabitq_->MemoryUsage() : 0);
  parts->emplace_back("section: bucket of slot",
                      bucket_of_slot_.capacity() * sizeof(uint32_t));
  parts->emplace_back(
      "section: pin slots",
      (pins_ != nullptr ? directory_.buckets.size() * sizeof(BucketPins) : 0) +
          chunk_pin_bytes_.load(std::memory_order_relaxed));
}

size_t VectorSectionReader::ApproximateMemoryUsage() const {
  std::vector<std::pair<std::string, size_t>> parts;
  MemoryBreakdown(&parts);
  size_t usage = 0;
  for (const auto& p : parts) usage += p.second;
  return usage;
}

}  // namespace drift
