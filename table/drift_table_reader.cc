#include "table/drift_table_reader.h"

#include <algorithm>
#include <cstring>

#include "codec/alp.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/snapshot.h"
#include "table/drift_table_iterator.h"

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
    std::shared_ptr<BlobCacheCounters> cache_counters,
    std::unique_ptr<rocksdb::RandomAccessFileReader>&& file, uint64_t file_size)
    : ioptions_(topts.ioptions),
      file_(topts.internal_comparator, std::move(file), file_size),
      section_(&file_, std::move(blob_cache), std::move(pin_budget),
               std::move(cache_counters)) {}

DriftTableReader::~DriftTableReader() = default;

Status DriftTableReader::Open(
    const rocksdb::TableReaderOptions& topts, const DriftTableOptions& options,
    std::shared_ptr<rocksdb::Cache> blob_cache,
    std::shared_ptr<PinBudget> pin_budget,
    std::shared_ptr<BlobCacheCounters> cache_counters,
    std::unique_ptr<rocksdb::RandomAccessFileReader>&& file, uint64_t file_size,
    std::unique_ptr<rocksdb::TableReader>* reader) {
  std::unique_ptr<DriftTableReader> r(new DriftTableReader(
      topts, std::move(blob_cache), std::move(pin_budget),
      std::move(cache_counters), std::move(file), file_size));
  Status s = r->Load(options);
  if (s.ok()) *reader = std::move(r);
  return s;
}

Status DriftTableReader::ReadMetaBlock(const rocksdb::Block& meta_index,
                                       const std::string& name, bool required,
                                       BlockBuffer* out, bool* found,
                                       BlockExtent* extent) {
  std::unique_ptr<rocksdb::MetaBlockIter> it(
      const_cast<rocksdb::Block&>(meta_index).NewMetaIterator());
  rocksdb::BlockHandle handle;
  Status s = rocksdb::FindMetaBlock(it.get(), name, &handle);
  *found = s.ok();
  if (!s.ok()) {
    return required ? Status::Corruption("drift: segment " + file_.name() +
                                         " lacks its " + name + " block")
                    : Status::OK();
  }
  if (handle.offset() + handle.size() + kBlockTrailerSize > file_.size) {
    return Status::Corruption("drift: " + name +
                              " block lies past the end of " + file_.name());
  }
  if (extent != nullptr) *extent = BlockExtent(handle.offset(), handle.size());
  return ReadBlock(file_.file.get(), handle, out);
}

Status DriftTableReader::Load(const DriftTableOptions& /*options*/) {
  rocksdb::Footer footer;
  Status s = rocksdb::ReadFooterFromFile(rocksdb::IOOptions(), file_.file.get(),
                                         nullptr, file_.size, &footer,
                                         kDriftTableMagicNumber);
  if (!s.ok()) return s;
  if (footer.format_version() != kDriftFormatVersion) {
    return Status::NotSupported("drift: segment format version " +
                                std::to_string(footer.format_version()) +
                                " is not supported (expected " +
                                std::to_string(kDriftFormatVersion) + ")");
  }
  BlockBuffer meta_buf;
  if (footer.metaindex_handle().offset() + footer.metaindex_handle().size() >
      file_.size) {
    return Status::Corruption("drift: metaindex handle out of range");
  }
  s = ReadBlock(file_.file.get(), footer.metaindex_handle(), &meta_buf);
  if (!s.ok()) return s;
  rocksdb::Block meta_index(rocksdb::BlockContents(meta_buf.data));

  bool found = false;
  BlockBuffer props_buf;  // read once to verify its crc, then parsed by RocksDB
  s = ReadMetaBlock(meta_index, rocksdb::kPropertiesBlockName, true, &props_buf,
                    &found);
  if (!s.ok()) return s;
  std::unique_ptr<rocksdb::TableProperties> props;
  {
    std::unique_ptr<rocksdb::MetaBlockIter> it(meta_index.NewMetaIterator());
    rocksdb::BlockHandle handle;
    s = rocksdb::FindMetaBlock(it.get(), rocksdb::kPropertiesBlockName,
                               &handle);
    if (s.ok()) {
      s = rocksdb::ReadTablePropertiesHelper(rocksdb::ReadOptions(), handle,
                                             file_.file.get(), nullptr, footer,
                                             ioptions_, &props);
    }
    if (!s.ok()) return s;
  }

  // A partitioned key index (its top level) or, in files of earlier builds
  // and with key_index_partition_size=0, the whole index in one block.
  BlockBuffer key_index_buf;
  bool partitioned = false;
  s = ReadMetaBlock(meta_index, kKeyIndexTopBlockName, false, &key_index_buf,
                    &partitioned);
  if (s.ok() && !partitioned) {
    s = ReadMetaBlock(meta_index, kKeyIndexBlockName, true, &key_index_buf,
                      &found);
  }
  if (s.ok()) {
    s = file_.key_index.Open(std::move(key_index_buf), partitioned, file_.size,
                             file_.name());
  }
  if (!s.ok()) return s;

  s = ReadMetaBlock(meta_index, kBloomBlockName, false, &file_.bloom_buf,
                    &found);
  if (!s.ok()) return s;
  if (found) {
    file_.bloom_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    file_.bloom.reset(
        file_.bloom_policy->GetFilterBitsReader(file_.bloom_buf.data));
  }

  // The segment header and, with vectors, the vector section's blocks.
  s = section_.Open(std::move(props), [&](const std::string& name,
                                          bool required, BlockBuffer* out,
                                          bool* block_found,
                                          BlockExtent* extent) {
    return ReadMetaBlock(meta_index, name, required, out, block_found, extent);
  });
  if (!s.ok()) return s;

  s = ReadMetaBlock(meta_index, rocksdb::kRangeDelBlockName, false,
                    &range_del_buf_, &found);
  if (!s.ok()) return s;
  if (found) {
    s = LoadRangeTombstones();
    if (!s.ok()) return s;
  }
  return BuildOffsetSamples();
}

Status DriftTableReader::LoadRangeTombstones() {
  range_del_block_.reset(
      new rocksdb::Block(rocksdb::BlockContents(range_del_buf_.data)));
  std::unique_ptr<rocksdb::InternalIterator> it(
      range_del_block_->NewDataIterator(file_.icmp.user_comparator(),
                                        rocksdb::kDisableGlobalSequenceNumber,
                                        nullptr, nullptr,
                                        /*block_contents_pinned=*/true));
  it->SeekToFirst();
  Status s = it->status();
  if (!s.ok()) return s;
  range_dels_ = std::make_shared<rocksdb::FragmentedRangeTombstoneList>(
      std::move(it), file_.icmp);
  return Status::OK();
}

Status DriftTableReader::BuildOffsetSamples() {
  // Reads every partition once, without filling the blob cache.
  KeyIndexIterator it(&file_.key_index, file_.icmp.user_comparator(), &section_,
                      /*fill_cache=*/false);
  uint64_t bytes = 0;
  size_t n = 0;
  size_t bounds = 0;  // partitions whose last key is their top-level key
  std::string previous;
  for (it.SeekToFirst(); it.Valid(); it.Next(), ++n) {
    // RocksDB's iterators assume strictly ascending internal keys (DBIter
    // asserts it): a key index that is not, whatever its checksums say, is
    // corrupt. A partition's keys must not pass its top-level key, which
    // must be its last: else a Seek would miss them.
    const Slice key = it.key();
    const Slice bound = it.partition_bound();
    const int vs_bound = bound.empty() ? -1 : file_.icmp.Compare(key, bound);
    if (key.size() < 8 + file_.ts_size ||
        (n > 0 && file_.icmp.Compare(previous, key) >= 0) || vs_bound > 0) {
      return Status::Corruption(
          "drift: key index entries out of order or malformed in " +
          file_.name());
    }
    if (vs_bound == 0) ++bounds;
    previous.assign(key.data(), key.size());
    if (n % kOffsetSampleInterval == 0) {
      offset_samples_.emplace_back(key.ToString(), bytes);
    }
    ValueRef ref;
    Status s = DecodeValueRef(it.value(), &ref);
    if (!s.ok()) return s;
    switch (ref.kind) {
      case ValueKind::kRaw:
        bytes += ref.size + kBlockTrailerSize;
        break;
      case ValueKind::kInline:
        bytes += ref.inline_value.size();
        break;
      case ValueKind::kVector:
        bytes += uint64_t{section_.header().dimension} * (sizeof(float) + 1);
        break;
    }
    bytes += key.size();
  }
  if (!it.status().ok()) return it.status();
  if (bounds != file_.key_index.num_partitions()) {
    return Status::Corruption(
        "drift: key index partitions disagree with their top level in " +
        file_.name());
  }
  offset_samples_.shrink_to_fit();
  // Scale to the data area so that offsets end at data_size.
  const uint64_t data_size = section_.properties()->data_size;
  if (bytes > 0) {
    for (auto& sample : offset_samples_) {
      sample.second = static_cast<uint64_t>(static_cast<double>(sample.second) /
                                            bytes * data_size);
    }
  }
  return Status::OK();
}

rocksdb::InternalIterator* DriftTableReader::NewIterator(
    const rocksdb::ReadOptions& read_options,
    const rocksdb::SliceTransform* /*prefix_extractor*/, rocksdb::Arena* arena,
    bool /*skip_filters*/, rocksdb::TableReaderCaller /*caller*/,
    size_t /*compaction_readahead_size*/, bool /*allow_unprepared_value*/) {
  if (arena == nullptr) {
    return new DriftTableIterator(this, read_options.fill_cache);
  }
  void* mem = arena->AllocateAligned(sizeof(DriftTableIterator));
  return new (mem) DriftTableIterator(this, read_options.fill_cache);
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
      range_dels_, file_.icmp, snapshot, read_options.timestamp);
}

Status DriftTableReader::Get(
    const rocksdb::ReadOptions& read_options, const Slice& key,
    rocksdb::GetContext* get_context,
    const rocksdb::SliceTransform* /*prefix_extractor*/, bool skip_filters) {
  if (!skip_filters && !file_.BloomMayMatch(key)) return Status::OK();
  // On the stack: a Get allocates no iterator.
  KeyIndexIterator iter(&file_.key_index, file_.icmp.user_comparator(),
                        &section_, read_options.fill_cache);
  KeyIndexIterator* it = &iter;
  const Slice user_key = rocksdb::ExtractUserKey(key);
  BlockBuffer buf;
  for (it->Seek(key); it->Valid(); it->Next()) {
    rocksdb::ParsedInternalKey parsed;
    Status s = rocksdb::ParseInternalKey(it->key(), &parsed, false);
    if (!s.ok()) return s;
    if (!file_.icmp.user_comparator()->EqualWithoutTimestamp(parsed.user_key,
                                                             user_key)) {
      break;
    }
    ValueRef ref;
    Slice value;
    // A vector is handed over pinned in the blob cache, not copied: a
    // search's re-rank reads its candidates this way (RerankAtSnapshot).
    rocksdb::Cleanable pinner;
    bool pinned = false;
    s = DecodeValueRef(it->value(), &ref);
    if (s.ok() && ref.kind == ValueKind::kVector) {
      s = section_.ReadRowPinned(ref.bucket, ref.row, &buf, &value, &pinner,
                                 &pinned);
    } else if (s.ok()) {
      s = section_.ReadValue(ref, &buf, &value);
    }
    if (!s.ok()) return s;
    bool matched = false;
    if (!get_context->SaveValue(parsed, value, &matched,
                                pinned ? &pinner : nullptr)) {
      break;
    }
  }
  return it->status();
}

uint64_t DriftTableReader::ApproximateOffsetOf(
    const Slice& key, rocksdb::TableReaderCaller /*caller*/) {
  auto it = std::upper_bound(
      offset_samples_.begin(), offset_samples_.end(), key,
      [this](const Slice& k, const std::pair<std::string, uint64_t>& sample) {
        return file_.icmp.Compare(k, sample.first) < 0;
      });
  if (it == offset_samples_.end()) return section_.properties()->data_size;
  if (it == offset_samples_.begin()) return 0;
  return std::prev(it)->second;
}

uint64_t DriftTableReader::ApproximateSize(const Slice& start, const Slice& end,
                                           rocksdb::TableReaderCaller caller) {
  const uint64_t a = ApproximateOffsetOf(start, caller);
  const uint64_t b = ApproximateOffsetOf(end, caller);
  return b > a ? b - a : 0;
}

void DriftTableReader::MemoryBreakdown(
    std::vector<std::pair<std::string, size_t>>* parts) const {
  size_t samples = offset_samples_.capacity() * sizeof(offset_samples_[0]);
  for (const auto& sample : offset_samples_) {
    samples += sample.first.capacity() > 15 ? sample.first.capacity() + 1 : 0;
  }
  parts->emplace_back("table reader object",
                      sizeof(*this) - sizeof(VectorSectionReader));
  // Partitioned: only the top level is resident (partitions are paged
  // through the blob cache).
  parts->emplace_back(
      file_.key_index.partitioned() ? "key index top level" : "key index",
      file_.key_index.resident_bytes());
  parts->emplace_back("range tombstones", range_del_buf_.data.size());
  parts->emplace_back("bloom filter", file_.bloom_buf.data.size());
  parts->emplace_back("offset samples", samples);
  section_.MemoryBreakdown(parts);
}

size_t DriftTableReader::ApproximateMemoryUsage() const {
  std::vector<std::pair<std::string, size_t>> parts;
  MemoryBreakdown(&parts);
  size_t usage = 0;
  for (const auto& p : parts) usage += p.second;
  return usage;
}

Status DriftTableReader::VerifyChecksum(
    const rocksdb::ReadOptions& /*read_options*/,
    rocksdb::TableReaderCaller /*caller*/) {
  // Meta blocks were verified at open; verify every blob and out-of-line value.
  Status s = section_.VerifyBlobs();
  if (!s.ok()) return s;
  BlockBuffer buf;
  KeyIndexIterator it(&file_.key_index, file_.icmp.user_comparator(), &section_,
                      /*fill_cache=*/false);
  for (it.SeekToFirst(); it.Valid(); it.Next()) {
    ValueRef ref;
    Slice value;
    Status s = DecodeValueRef(it.value(), &ref);
    if (s.ok()) s = section_.ReadValue(ref, &buf, &value);
    if (!s.ok()) return s;
  }
  return it.status();
}

}  // namespace drift
