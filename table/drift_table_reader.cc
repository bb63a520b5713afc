#include "table/drift_table_reader.h"

#include <algorithm>
#include <cstring>

#include "rocksdb/filter_policy.h"
#include "rocksdb/snapshot.h"
#include "table/drift_table_iterator.h"
#include "util/alp.h"

namespace drift {

using rocksdb::Slice;
using rocksdb::Status;

namespace {
constexpr size_t kOffsetSampleInterval = 64;
}  // namespace

DriftTableReader::DriftTableReader(
    const rocksdb::TableReaderOptions& topts,
    std::shared_ptr<rocksdb::Cache> blob_cache,
    std::shared_ptr<PinBudget> pin_budget,
    std::unique_ptr<rocksdb::RandomAccessFileReader>&& file, uint64_t file_size)
    : ioptions_(topts.ioptions),
      icmp_(topts.internal_comparator),
      ts_size_(icmp_.user_comparator()->timestamp_size()),
      file_(std::move(file)),
      file_size_(file_size),
      blob_cache_(std::move(blob_cache)),
      cache_id_(blob_cache_ != nullptr ? blob_cache_->NewId() : 0),
      pin_budget_(blob_cache_ != nullptr ? std::move(pin_budget) : nullptr) {}

DriftTableReader::~DriftTableReader() {
  if (pinned_ == nullptr) return;
  for (size_t b = 0; b < directory_.buckets.size(); ++b) {
    if (pinned_[b].handle != nullptr) blob_cache_->Release(pinned_[b].handle);
  }
  for (size_t c = 0; c < num_chunks_; ++c) {
    if (pinned_chunks_[c].handle != nullptr) {
      blob_cache_->Release(pinned_chunks_[c].handle);
    }
  }
  pin_budget_->Release(pinned_bytes_.load(std::memory_order_relaxed));
}

Status DriftTableReader::Open(
    const rocksdb::TableReaderOptions& topts, const DriftTableOptions& options,
    std::shared_ptr<rocksdb::Cache> blob_cache,
    std::shared_ptr<PinBudget> pin_budget,
    std::unique_ptr<rocksdb::RandomAccessFileReader>&& file, uint64_t file_size,
    std::unique_ptr<rocksdb::TableReader>* reader) {
  std::unique_ptr<DriftTableReader> r(
      new DriftTableReader(topts, std::move(blob_cache), std::move(pin_budget),
                           std::move(file), file_size));
  Status s = r->Load(options);
  if (s.ok()) *reader = std::move(r);
  return s;
}

Status DriftTableReader::ReadMetaBlock(const rocksdb::Block& meta_index,
                                       const std::string& name, bool required,
                                       BlockBuffer* out, bool* found) {
  std::unique_ptr<rocksdb::MetaBlockIter> it(
      const_cast<rocksdb::Block&>(meta_index).NewMetaIterator());
  rocksdb::BlockHandle handle;
  Status s = rocksdb::FindMetaBlock(it.get(), name, &handle);
  *found = s.ok();
  if (!s.ok()) {
    return required
               ? Status::Corruption("drift: segment " + file_->file_name() +
                                    " lacks its " + name + " block")
               : Status::OK();
  }
  if (handle.offset() + handle.size() + kBlockTrailerSize > file_size_) {
    return Status::Corruption(
        "drift: " + name + " block lies past the end of " + file_->file_name());
  }
  return ReadBlock(file_.get(), handle, out);
}

Status DriftTableReader::Load(const DriftTableOptions& /*options*/) {
  rocksdb::Footer footer;
  Status s =
      rocksdb::ReadFooterFromFile(rocksdb::IOOptions(), file_.get(), nullptr,
                                  file_size_, &footer, kDriftTableMagicNumber);
  if (!s.ok()) return s;
  if (footer.format_version() != kDriftFormatVersion) {
    return Status::NotSupported("drift: segment format version " +
                                std::to_string(footer.format_version()) +
                                " is not supported (expected " +
                                std::to_string(kDriftFormatVersion) + ")");
  }
  BlockBuffer meta_buf;
  if (footer.metaindex_handle().offset() + footer.metaindex_handle().size() >
      file_size_) {
    return Status::Corruption("drift: metaindex handle out of range");
  }
  s = ReadBlock(file_.get(), footer.metaindex_handle(), &meta_buf);
  if (!s.ok()) return s;
  rocksdb::Block meta_index(rocksdb::BlockContents(meta_buf.data));

  bool found = false;
  BlockBuffer props_buf;  // read once to verify its crc, then parsed by RocksDB
  s = ReadMetaBlock(meta_index, rocksdb::kPropertiesBlockName, true, &props_buf,
                    &found);
  if (!s.ok()) return s;
  {
    std::unique_ptr<rocksdb::MetaBlockIter> it(meta_index.NewMetaIterator());
    rocksdb::BlockHandle handle;
    s = rocksdb::FindMetaBlock(it.get(), rocksdb::kPropertiesBlockName,
                               &handle);
    std::unique_ptr<rocksdb::TableProperties> props;
    if (s.ok()) {
      s = rocksdb::ReadTablePropertiesHelper(rocksdb::ReadOptions(), handle,
                                             file_.get(), nullptr, footer,
                                             ioptions_, &props);
    }
    if (!s.ok()) return s;
    props_ = std::move(props);
    const auto& user = props_->user_collected_properties;
    const auto repeated = user.find(kRepeatedUserKeysProperty);
    single_version_ = repeated != user.end() && repeated->second == "0" &&
                      props_->num_deletions == 0 &&
                      props_->num_range_deletions == 0 &&
                      props_->num_merge_operands == 0;
  }

  BlockBuffer header_buf;
  s = ReadMetaBlock(meta_index, kSegmentHeaderBlockName, true, &header_buf,
                    &found);
  if (!s.ok()) return s;
  s = header_.DecodeFrom(header_buf.data);
  if (!s.ok()) return s;

  s = ReadMetaBlock(meta_index, kKeyIndexBlockName, true, &key_index_buf_,
                    &found);
  if (!s.ok()) return s;
  key_index_.reset(
      new rocksdb::Block(rocksdb::BlockContents(key_index_buf_.data)));
  if (key_index_->size() == 0) {
    return Status::Corruption("drift: malformed key index in " +
                              file_->file_name());
  }

  s = ReadMetaBlock(meta_index, kBloomBlockName, false, &bloom_buf_, &found);
  if (!s.ok()) return s;
  if (found) {
    bloom_policy_.reset(rocksdb::NewBloomFilterPolicy(10));
    bloom_.reset(bloom_policy_->GetFilterBitsReader(bloom_buf_.data));
  }

  if (header_.num_vectors > 0) {
    BlockBuffer dir_buf;
    s = ReadMetaBlock(meta_index, kBucketDirectoryBlockName, true, &dir_buf,
                      &found);
    if (s.ok()) s = directory_.DecodeFrom(dir_buf.data, file_size_);
    BlockBuffer sq8_buf;
    if (s.ok()) {
      s = ReadMetaBlock(meta_index, kSQ8BlockName, true, &sq8_buf, &found);
    }
    if (s.ok()) s = sq8_.Deserialize(sq8_buf.data);
    BlockBuffer slots_buf;
    if (s.ok()) {
      s = ReadMetaBlock(meta_index, kBucketSlotsBlockName, false, &slots_buf,
                        &found);
    }
    if (s.ok() && found) s = directory_.DecodeSlotsFrom(slots_buf.data);
    BlockBuffer moments_buf;
    if (s.ok()) {
      s = ReadMetaBlock(meta_index, kBucketMomentsBlockName, false,
                        &moments_buf, &found);
    }
    if (s.ok() && found) s = directory_.DecodeMomentsFrom(moments_buf.data);
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
  }

  s = ReadMetaBlock(meta_index, rocksdb::kRangeDelBlockName, false,
                    &range_del_buf_, &found);
  if (!s.ok()) return s;
  if (found) {
    s = LoadRangeTombstones();
    if (!s.ok()) return s;
  }
  return BuildOffsetSamples();
}

void DriftTableReader::BuildSlotIndex() {
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

Status DriftTableReader::LoadRangeTombstones() {
  range_del_block_.reset(
      new rocksdb::Block(rocksdb::BlockContents(range_del_buf_.data)));
  std::unique_ptr<rocksdb::InternalIterator> it(
      range_del_block_->NewDataIterator(icmp_.user_comparator(),
                                        rocksdb::kDisableGlobalSequenceNumber,
                                        nullptr, nullptr,
                                        /*block_contents_pinned=*/true));
  it->SeekToFirst();
  Status s = it->status();
  if (!s.ok()) return s;
  range_dels_ = std::make_shared<rocksdb::FragmentedRangeTombstoneList>(
      std::move(it), icmp_);
  return Status::OK();
}

Status DriftTableReader::BuildOffsetSamples() {
  std::unique_ptr<rocksdb::DataBlockIter> it(NewKeyIndexIterator(nullptr));
  uint64_t bytes = 0;
  size_t n = 0;
  std::string previous;
  for (it->SeekToFirst(); it->Valid(); it->Next(), ++n) {
    // RocksDB's iterators assume strictly ascending internal keys (DBIter
    // asserts it): a key index that is not, whatever its checksums say, is
    // corrupt.
    if (it->key().size() < 8 + ts_size_ ||
        (n > 0 && icmp_.Compare(previous, it->key()) >= 0)) {
      return Status::Corruption(
          "drift: key index entries out of order or malformed in " +
          file_->file_name());
    }
    previous.assign(it->key().data(), it->key().size());
    if (n % kOffsetSampleInterval == 0) {
      offset_samples_.emplace_back(it->key().ToString(), bytes);
    }
    ValueRef ref;
    Status s = DecodeValueRef(it->value(), &ref);
    if (!s.ok()) return s;
    switch (ref.kind) {
      case ValueKind::kRaw:
        bytes += ref.size + kBlockTrailerSize;
        break;
      case ValueKind::kInline:
        bytes += ref.inline_value.size();
        break;
      case ValueKind::kVector:
        bytes += uint64_t{header_.dimension} * (sizeof(float) + 1);
        break;
    }
    bytes += it->key().size();
  }
  if (!it->status().ok()) return it->status();
  // Scale to the data area so that offsets end at data_size.
  const uint64_t data_size = props_->data_size;
  if (bytes > 0) {
    for (auto& sample : offset_samples_) {
      sample.second = static_cast<uint64_t>(static_cast<double>(sample.second) /
                                            bytes * data_size);
    }
  }
  return Status::OK();
}

rocksdb::DataBlockIter* DriftTableReader::NewKeyIndexIterator(
    rocksdb::DataBlockIter* reuse) const {
  return key_index_->NewDataIterator(icmp_.user_comparator(),
                                     rocksdb::kDisableGlobalSequenceNumber,
                                     reuse, /*stats=*/nullptr,
                                     /*block_contents_pinned=*/true);
}

Status DriftTableReader::ReadValue(const ValueRef& ref, BlockBuffer* buf,
                                   Slice* value) const {
  switch (ref.kind) {
    case ValueKind::kInline:
      *value = ref.inline_value;
      return Status::OK();
    case ValueKind::kRaw: {
      if (ref.offset + ref.size + kBlockTrailerSize > file_size_) {
        return Status::Corruption("drift: value reference past end of " +
                                  file_->file_name());
      }
      Status s = ReadVerified(file_.get(), ref.offset, ref.size, buf);
      if (s.ok()) *value = buf->data;
      return s;
    }
    case ValueKind::kVector:
      return ReadVector(ref.bucket, ref.row, buf, value);
  }
  return Status::Corruption("drift: unknown value kind");
}

Status DriftTableReader::ReadVector(uint32_t bucket, uint32_t row,
                                    BlockBuffer* buf, Slice* value) const {
  const size_t bytes = size_t{directory_.dim} * sizeof(float);
  buf->buf.reset(new char[bytes]);
  Status s = ReadRow(bucket, row, reinterpret_cast<float*>(buf->buf.get()));
  if (!s.ok()) return s;
  buf->data = Slice(buf->buf.get(), bytes);
  *value = buf->data;
  return Status::OK();
}

void DriftTableReader::BlobRef::Reset() {
  if (handle_ != nullptr) cache_->Release(handle_);
  handle_ = nullptr;
  cache_ = nullptr;
  owned_ = CachedBlock();
  block_ = &owned_;
}

bool DriftTableReader::UsePinned(const PinnedBlock& slot, BlobRef* ref) {
  const CachedBlock* pinned = slot.block.load(std::memory_order_acquire);
  if (pinned == nullptr) return false;
  ref->Reset();
  ref->block_ = pinned;
  return true;
}

Status DriftTableReader::GetBucket(uint32_t b, BlobRef* ref) const {
  if (pinned_ != nullptr && b < directory_.buckets.size() &&
      UsePinned(pinned_[b], ref)) {
    return Status::OK();
  }
  Status s = GetCached(
      kBucketBlobTag, b,
      [this, b](CachedBlock* c) {
        Status st = ReadBucketData(b, &c->block);
        if (st.ok()) st = c->bucket.Parse(c->block.data);
        if (st.ok() && c->bucket.num_rows != directory_.buckets[b].num_rows) {
          st = Status::Corruption("drift: bucket row count mismatch in " +
                                  file_->file_name());
        }
        return st;
      },
      ref);
  if (s.ok() && pinned_ != nullptr && ref->handle_ != nullptr) {
    Pin(&pinned_[b], ref->handle_);
  }
  return s;
}

void DriftTableReader::Pin(PinnedBlock* slot, rocksdb::Cache::Handle* h) const {
  const uint64_t charge = blob_cache_->GetCharge(h);
  if (!pin_budget_->TryAcquire(charge)) return;
  const CachedBlock* expected = nullptr;
  const auto* block = static_cast<const CachedBlock*>(blob_cache_->Value(h));
  if (slot->block.compare_exchange_strong(expected, block,
                                          std::memory_order_acq_rel)) {
    blob_cache_->Ref(h);
    slot->handle = h;
    pinned_bytes_.fetch_add(charge, std::memory_order_relaxed);
  } else {  // another search pinned it first
    pin_budget_->Release(charge);
  }
}

Status DriftTableReader::ReadRow(uint32_t bucket, uint32_t row,
                                 float* out) const {
  BlobRef ref;
  const float* data = nullptr;
  Status s = ReadRowRef(bucket, row, &ref, &data);
  if (s.ok()) std::memcpy(out, data, size_t{directory_.dim} * sizeof(float));
  return s;
}

Status DriftTableReader::ReadRowRef(uint32_t bucket, uint32_t row, BlobRef* ref,
                                    const float** row_data) const {
  if (bucket >= directory_.buckets.size() ||
      row >= directory_.buckets[bucket].num_rows) {
    return Status::Corruption("drift: vector reference out of range in " +
                              file_->file_name());
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
            ReadVerified(file_.get(), chunk.offset, chunk.size, &encoded);
        AlpMatrixInfo info;
        if (st.ok()) st = GetFloatMatrixInfo(encoded.data, &info);
        if (!st.ok()) return st;
        if (info.rows != rows || info.dim != directory_.dim) {
          return Status::Corruption("drift: float chunk shape mismatch in " +
                                    file_->file_name());
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

Status DriftTableReader::GetCached(uint32_t tag, uint64_t id,
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

Status DriftTableReader::ReadBucketData(uint32_t b, BlockBuffer* buf) const {
  if (b >= directory_.buckets.size()) {
    return Status::InvalidArgument("drift: no bucket " + std::to_string(b));
  }
  return ReadBlock(file_.get(), directory_.buckets[b].data, buf);
}

bool DriftTableReader::BloomMayMatch(const Slice& internal_key) const {
  if (!bloom_) return true;
  return bloom_->MayMatch(
      rocksdb::ExtractUserKeyAndStripTimestamp(internal_key, ts_size_));
}

rocksdb::InternalIterator* DriftTableReader::NewIterator(
    const rocksdb::ReadOptions& /*read_options*/,
    const rocksdb::SliceTransform* /*prefix_extractor*/, rocksdb::Arena* arena,
    bool /*skip_filters*/, rocksdb::TableReaderCaller /*caller*/,
    size_t /*compaction_readahead_size*/, bool /*allow_unprepared_value*/) {
  if (arena == nullptr) return new DriftTableIterator(this);
  void* mem = arena->AllocateAligned(sizeof(DriftTableIterator));
  return new (mem) DriftTableIterator(this);
}

rocksdb::FragmentedRangeTombstoneIterator*
DriftTableReader::NewRangeTombstoneIterator(
    const rocksdb::ReadOptions& read_options) {
  if (range_dels_ == nullptr) return nullptr;
  rocksdb::SequenceNumber snapshot = rocksdb::kMaxSequenceNumber;
  if (read_options.snapshot != nullptr) {
    snapshot = read_options.snapshot->GetSequenceNumber();
  }
  return new rocksdb::FragmentedRangeTombstoneIterator(
      range_dels_, icmp_, snapshot, read_options.timestamp);
}

Status DriftTableReader::Get(
    const rocksdb::ReadOptions& /*read_options*/, const Slice& key,
    rocksdb::GetContext* get_context,
    const rocksdb::SliceTransform* /*prefix_extractor*/, bool skip_filters) {
  if (!skip_filters && !BloomMayMatch(key)) return Status::OK();
  std::unique_ptr<rocksdb::DataBlockIter> it(NewKeyIndexIterator(nullptr));
  const Slice user_key = rocksdb::ExtractUserKey(key);
  BlockBuffer buf;
  for (it->Seek(key); it->Valid(); it->Next()) {
    rocksdb::ParsedInternalKey parsed;
    Status s = rocksdb::ParseInternalKey(it->key(), &parsed, false);
    if (!s.ok()) return s;
    if (!icmp_.user_comparator()->EqualWithoutTimestamp(parsed.user_key,
                                                        user_key)) {
      break;
    }
    ValueRef ref;
    Slice value;
    s = DecodeValueRef(it->value(), &ref);
    if (s.ok()) s = ReadValue(ref, &buf, &value);
    if (!s.ok()) return s;
    bool matched = false;
    if (!get_context->SaveValue(parsed, value, &matched)) break;
  }
  return it->status();
}

Status DriftTableReader::FindHiddenVectors(const Slice& internal_key,
                                           std::vector<RowRef>* rows) const {
  if (header_.num_vectors == 0 || !BloomMayMatch(internal_key)) {
    return Status::OK();
  }
  rocksdb::ParsedInternalKey newer;
  Status s = rocksdb::ParseInternalKey(internal_key, &newer, false);
  if (!s.ok()) return s;
  std::unique_ptr<rocksdb::DataBlockIter> it(NewKeyIndexIterator(nullptr));
  for (it->Seek(internal_key); it->Valid(); it->Next()) {
    rocksdb::ParsedInternalKey parsed;
    s = rocksdb::ParseInternalKey(it->key(), &parsed, false);
    if (!s.ok()) return s;
    if (!icmp_.user_comparator()->EqualWithoutTimestamp(parsed.user_key,
                                                        newer.user_key)) {
      break;
    }
    if (parsed.sequence >= newer.sequence) continue;  // this very entry
    ValueRef ref;
    s = DecodeValueRef(it->value(), &ref);
    if (!s.ok()) return s;
    if (ref.kind == ValueKind::kVector) rows->push_back({ref.bucket, ref.row});
  }
  return it->status();
}

uint64_t DriftTableReader::ApproximateOffsetOf(
    const Slice& key, rocksdb::TableReaderCaller /*caller*/) {
  auto it = std::upper_bound(
      offset_samples_.begin(), offset_samples_.end(), key,
      [this](const Slice& k, const std::pair<std::string, uint64_t>& sample) {
        return icmp_.Compare(k, sample.first) < 0;
      });
  if (it == offset_samples_.end()) return props_->data_size;
  if (it == offset_samples_.begin()) return 0;
  return std::prev(it)->second;
}

uint64_t DriftTableReader::ApproximateSize(const Slice& start, const Slice& end,
                                           rocksdb::TableReaderCaller caller) {
  const uint64_t a = ApproximateOffsetOf(start, caller);
  const uint64_t b = ApproximateOffsetOf(end, caller);
  return b > a ? b - a : 0;
}

size_t DriftTableReader::ApproximateMemoryUsage() const {
  size_t usage = sizeof(*this) + key_index_buf_.data.size() +
                 range_del_buf_.data.size() + bloom_buf_.data.size() +
                 directory_.MemoryUsage() + sq8_.MemoryUsage() +
                 bucket_of_slot_.capacity() * sizeof(uint32_t) +
                 (pinned_ != nullptr ? directory_.buckets.size() : 0) *
                     sizeof(PinnedBlock) +
                 num_chunks_ * sizeof(PinnedBlock) +
                 chunk_base_.capacity() * sizeof(uint32_t);
  for (const auto& sample : offset_samples_) usage += sample.first.size() + 48;
  return usage;
}

Status DriftTableReader::VerifyChecksum(
    const rocksdb::ReadOptions& /*read_options*/,
    rocksdb::TableReaderCaller /*caller*/) {
  // Meta blocks were verified at open; verify every blob and out-of-line value.
  BlockBuffer buf;
  for (uint32_t b = 0; b < directory_.buckets.size(); ++b) {
    BucketDataView view;
    Status s = ReadBucketData(b, &buf);
    if (s.ok()) s = view.Parse(buf.data);
    if (s.ok() && view.num_rows != directory_.buckets[b].num_rows) {
      s = Status::Corruption("drift: bucket row count mismatch");
    }
    for (const ChunkHandle& c : directory_.buckets[b].chunks) {
      if (!s.ok()) break;
      s = ReadVerified(file_.get(), c.offset, c.size, &buf);
    }
    if (!s.ok()) return s;
  }
  std::unique_ptr<rocksdb::DataBlockIter> it(NewKeyIndexIterator(nullptr));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    ValueRef ref;
    Slice value;
    Status s = DecodeValueRef(it->value(), &ref);
    if (s.ok()) s = ReadValue(ref, &buf, &value);
    if (!s.ok()) return s;
  }
  return it->status();
}

}  // namespace drift
