#include "table/drift_table_builder.h"

#include <algorithm>
#include <chrono>
#include <cinttypes>

#include "logging/logging.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/merge_operator.h"
#include "util/vector_value.h"

namespace drift {

using rocksdb::IOStatus;
using rocksdb::Slice;
using rocksdb::Status;

namespace {
// Values (vectors x dim) buffered at the first sample of the compressed size,
// and the most sampled: encoding 2 x kMaxSampleValues in all costs a few ms,
// and a 64 MiB output of 784-d vectors is cut after ~17M values.
constexpr uint64_t kFirstSampleValues = 1 << 12;
constexpr uint64_t kMaxSampleValues = 1 << 19;
}  // namespace

DriftTableBuilder::DriftTableBuilder(const rocksdb::TableBuilderOptions& tbo,
                                     const DriftTableOptions& options,
                                     rocksdb::WritableFileWriter* file,
                                     std::shared_ptr<CodebookHolder> codebooks,
                                     std::shared_ptr<SegmentFeedback> feedback)
    : options_(options),
      codebooks_(std::move(codebooks)),
      feedback_(std::move(feedback)),
      expected_bytes_(tbo.reason == rocksdb::TableFileCreationReason::kFlush
                          ? tbo.moptions.write_buffer_size
                          : tbo.target_file_size),
      for_flush_(tbo.reason == rocksdb::TableFileCreationReason::kFlush),
      ioptions_(tbo.ioptions),
      moptions_(tbo.moptions),
      ts_size_(tbo.internal_comparator.user_comparator()->timestamp_size()),
      file_(file),
      key_index_(static_cast<int>(options.key_index_restart_interval)),
      key_index_top_(1 /* restart interval, as RocksDB's index blocks */),
      range_del_(1 /* restart interval, as BlockBasedTable */),
      next_sample_values_(for_flush_ ? UINT64_MAX : kFirstSampleValues) {
  uint32_t dim = options.dimension;
  if (dim == 0 && feedback_ != nullptr) dim = feedback_->dimension.load();
  if (dim > 0) StartVectorSection(dim);
  if (options.bloom_bits_per_key > 0) {
    bloom_policy_.reset(
        rocksdb::NewBloomFilterPolicy(options.bloom_bits_per_key));
    rocksdb::BlockBasedTableOptions bbto;
    rocksdb::FilterBuildingContext ctx(bbto);
    bloom_.reset(bloom_policy_->GetBuilderWithContext(ctx));
  }
  if (tbo.int_tbl_prop_collector_factories != nullptr) {
    for (auto& factory : *tbo.int_tbl_prop_collector_factories) {
      collectors_.emplace_back(factory->CreateIntTblPropCollector(
          tbo.column_family_id, tbo.level_at_creation));
    }
  }
  props_.column_family_id = tbo.column_family_id;
  props_.column_family_name = tbo.column_family_name;
  props_.oldest_key_time = tbo.oldest_key_time;
  props_.file_creation_time = tbo.file_creation_time;
  props_.orig_file_number = tbo.cur_file_num;
  props_.db_id = tbo.db_id;
  props_.db_session_id = tbo.db_session_id;
  props_.db_host_id = ioptions_.db_host_id;
  if (!rocksdb::ReifyDbHostIdProperty(ioptions_.env, &props_.db_host_id).ok()) {
    props_.db_host_id.clear();
  }
}

DriftTableBuilder::~DriftTableBuilder() = default;

bool DriftTableBuilder::NeedCompact() const {
  // Called once the file is finished, so the counts are final.
  const uint64_t point_deletions =
      props_.num_deletions - props_.num_range_deletions;
  const double ratio = options_.scavenge_deletion_ratio;
  if (ratio > 0 && props_.num_entries > 0 &&
      static_cast<double>(point_deletions) >= ratio * props_.num_entries) {
    return true;
  }
  return std::any_of(collectors_.begin(), collectors_.end(),
                     [](const auto& c) { return c->NeedCompact(); });
}

void DriftTableBuilder::StartVectorSection(uint32_t dim) {
  header_.dimension = dim;
  vectors_.reset(new VectorSectionWriter(
      options_, dim, codebooks_ != nullptr ? codebooks_->current() : nullptr,
      !for_flush_ || options_.compress_flushed_floats));
  // Reserving what the file will hold saves the copies (and page faults) of
  // growing the buffer: ~10% of a flush of 784-d vectors. The reserved but
  // unused tail is never touched, so it costs address space only. A
  // compaction output of target_file_size holds that many compressed bytes.
  ReserveVectors();
}

void DriftTableBuilder::ReserveVectors() {
  const float bytes_per_value = BytesPerValue();
  // (In double and capped: CompactFiles passes a target of UINT64_MAX.)
  vectors_->Reserve(for_flush_ || bytes_per_value == 0
                        ? expected_bytes_
                        : static_cast<uint64_t>(
                              std::min(static_cast<double>(expected_bytes_) /
                                           bytes_per_value * sizeof(float),
                                       static_cast<double>(1ull << 30))));
}

void DriftTableBuilder::MaybeLearnDimension(const Slice& value) {
  if (vectors_ != nullptr || options_.dimension != 0 || feedback_ == nullptr ||
      value.size() == 0 || value.size() % sizeof(float) != 0 ||
      value.size() / sizeof(float) > kMaxDimension) {
    return;
  }
  uint32_t dim = static_cast<uint32_t>(value.size() / sizeof(float));
  std::vector<float> v(dim);
  DecodeVector(value, dim, v.data());
  if (!CheckFinite(v.data(), dim).ok()) return;
  // Another builder of the column family may have learned first: keep its.
  uint32_t expected = 0;
  if (!feedback_->dimension.compare_exchange_strong(expected, dim)) {
    dim = expected;
  }
  StartVectorSection(dim);
}

void DriftTableBuilder::SetIOError(const IOStatus& s) {
  if (io_status_.ok()) io_status_ = s;
  if (status_.ok()) status_ = s;
}

void DriftTableBuilder::Add(const Slice& key, const Slice& value) {
  if (!ok()) return;
  ParsedKey parsed;
  Status s = ParseKey(key, &parsed);
  if (!s.ok()) {
    status_ = s;
    return;
  }
  if (parsed.type == EntryType::kRangeDeletion) {
    range_del_.Add(key, value);
    ++props_.num_deletions;
    ++props_.num_range_deletions;
  } else {
    AddPointEntry(key, value, parsed.type);
    if (IsDeletion(parsed.type)) {
      ++props_.num_deletions;
    } else if (parsed.type == EntryType::kMerge) {
      ++props_.num_merge_operands;
    }
  }
  ++props_.num_entries;
  props_.raw_key_size += key.size();
  props_.raw_value_size += value.size();
  rocksdb::NotifyCollectTableCollectorsOnAdd(key, value, offset_, collectors_,
                                             ioptions_.logger);
}

void DriftTableBuilder::AddPointEntry(const Slice& key, const Slice& value,
                                      EntryType type) {
  PendingEntry entry{static_cast<uint32_t>(pending_keys_.size()), -1,
                     static_cast<uint32_t>(pending_refs_.size())};
  rocksdb::PutLengthPrefixedSlice(&pending_keys_, key);
  AddToBloom(key);
  if (type == EntryType::kValue) MaybeLearnDimension(value);
  if (type == EntryType::kValue && vectors_ != nullptr &&
      IsVectorValue(value, vectors_->dim())) {
    int64_t ordinal = vectors_->Add(key, value);
    if (ordinal >= 0) {
      MaybeSampleBytesPerValue();
      entry.vector_ordinal = ordinal;
      pending_.push_back(entry);
      return;
    }
    // Not finite: kept verbatim below, never indexed.
  }
  ref_scratch_.clear();
  if (value.size() <= kMaxInlineValueSize) {
    EncodeInlineRef(value, &ref_scratch_);
  } else {
    // A record in the raw area: value bytes followed by their crc.
    rocksdb::BlockHandle handle;
    IOStatus s = WriteBlock(file_, value, &offset_, &handle);
    if (!s.ok()) {
      SetIOError(s);
      return;
    }
    EncodeRawRef(handle.offset(), static_cast<uint32_t>(value.size()),
                 &ref_scratch_);
    ++header_.num_raw;
  }
  rocksdb::PutLengthPrefixedSlice(&pending_refs_, ref_scratch_);
  pending_.push_back(entry);
}

void DriftTableBuilder::AddToBloom(const Slice& internal_key) {
  const Slice user_key =
      rocksdb::ExtractUserKeyAndStripTimestamp(internal_key, ts_size_);
  if (num_point_entries_++ > 0 && user_key == Slice(last_user_key_)) {
    ++repeated_user_keys_;  // another version of the previous key
    return;
  }
  if (bloom_) bloom_->AddKey(user_key);
  last_user_key_.assign(user_key.data(), user_key.size());
}

Status DriftTableBuilder::Finish() {
  closed_ = true;
  if (!ok()) return status_;
  const auto start = std::chrono::steady_clock::now();
  rocksdb::MetaIndexBuilder meta_index;
  Status s = WriteVectorSection(&meta_index);
  props_.data_size = offset_;
  if (s.ok()) s = BuildKeyIndex();
  if (s.ok()) s = WriteMetaBlocks(&meta_index);
  if (s.ok()) s = WritePropertiesAndFooter(&meta_index);
  if (!s.ok() && status_.ok()) status_ = s;
  using rocksdb::InfoLogLevel;  // ROCKS_LOG_* names it unqualified
  if (!status_.ok()) {
    ROCKS_LOG_WARN(ioptions_.logger, "drift: segment #%" PRIu64 " of %s: %s",
                   props_.orig_file_number, props_.column_family_name.c_str(),
                   status_.ToString().c_str());
  } else if (header_.num_vectors > 0) {
    ROCKS_LOG_INFO(ioptions_.logger,
                   "drift: segment #%" PRIu64 " of %s: %" PRIu64
                   " entries, %" PRIu64 " vectors in %zu buckets (%s %" PRIu64
                   "), %" PRIu64 " bytes, finished in %.1f ms",
                   props_.orig_file_number, props_.column_family_name.c_str(),
                   props_.num_entries, uint64_t{header_.num_vectors},
                   directory_.buckets.size(),
                   directory_.codebook_epoch != 0
                       ? "codebook epoch"
                       : "segment-local k-means, epoch",
                   directory_.codebook_epoch, offset_,
                   std::chrono::duration<double, std::milli>(
                       std::chrono::steady_clock::now() - start)
                       .count());
  }
  if (status_.ok() && codebooks_ != nullptr && header_.num_vectors > 0) {
    SegmentWrittenEvent event;
    event.codebook_epoch = directory_.codebook_epoch;
    event.num_vectors = header_.num_vectors;
    event.dim = directory_.dim;
    codebooks_->NotifySegmentWritten(event);
  }
  return status_;
}

Status DriftTableBuilder::WriteVectorSection(
    rocksdb::MetaIndexBuilder* meta_index) {
  if (vectors_ == nullptr || vectors_->num_vectors() == 0) return Status::OK();
  std::string sq8, rabitq;
  const uint64_t start = offset_;
  Status s = vectors_->Write(file_, &offset_, &directory_, &sq8, &rabitq);
  if (!s.ok()) {
    if (s.IsIOError()) SetIOError(IOStatus::IOError(s.ToString()));
    status_ = s;
    return s;
  }
  header_.num_vectors = vectors_->num_vectors();
  const uint64_t values = uint64_t{header_.num_vectors} * vectors_->dim();
  if (feedback_ != nullptr && values >= SegmentFeedback::kMinValues &&
      vectors_->compress_floats()) {
    // Padding depends on vectors per bucket, not on the data: left out here,
    // estimated per bucket by EstimatedSize.
    feedback_->section_bytes_per_value.store(
        static_cast<float>(offset_ - start - vectors_->padding_bytes()) /
        values);
  }
  std::string dir;
  directory_.EncodeTo(&dir);
  rocksdb::BlockHandle handle;
  IOStatus io = WriteBlock(file_, dir, &offset_, &handle);
  if (io.ok()) meta_index->Add(kBucketDirectoryBlockName, handle);
  if (io.ok()) io = WriteBlock(file_, sq8, &offset_, &handle);
  if (io.ok()) meta_index->Add(kSQ8BlockName, handle);
  if (io.ok() && !rabitq.empty()) {
    io = WriteBlock(file_, rabitq, &offset_, &handle);
    if (io.ok()) meta_index->Add(kRabitqBlockName, handle);
  }
  if (io.ok() && directory_.codebook_epoch != 0) {
    std::string slots;
    directory_.EncodeSlotsTo(&slots);
    io = WriteBlock(file_, slots, &offset_, &handle);
    if (io.ok()) meta_index->Add(kBucketSlotsBlockName, handle);
  }
  if (io.ok()) {
    std::string moments;
    directory_.EncodeMomentsTo(&moments);
    io = WriteBlock(file_, moments, &offset_, &handle);
    if (io.ok()) meta_index->Add(kBucketMomentsBlockName, handle);
  }
  if (!io.ok()) SetIOError(io);
  return status_;
}

Status DriftTableBuilder::BuildKeyIndex() {
  Slice refs(pending_refs_);
  Slice key;
  for (const PendingEntry& e : pending_) {
    Slice keys(pending_keys_.data() + e.key_offset,
               pending_keys_.size() - e.key_offset);
    rocksdb::GetLengthPrefixedSlice(&keys, &key);
    if (e.vector_ordinal >= 0) {
      const VectorLocation& loc =
          vectors_->location(static_cast<uint32_t>(e.vector_ordinal));
      ref_scratch_.clear();
      EncodeVectorRef(loc.bucket, loc.row, &ref_scratch_);
      key_index_.Add(key, ref_scratch_);
    } else {
      Slice in(pending_refs_.data() + e.ref_offset,
               pending_refs_.size() - e.ref_offset);
      Slice ref;
      rocksdb::GetLengthPrefixedSlice(&in, &ref);
      key_index_.Add(key, ref);
    }
    if (options_.key_index_partition_size > 0 &&
        key_index_.CurrentSizeEstimate() >= options_.key_index_partition_size &&
        !WriteKeyIndexPartition(key)) {
      return status_;
    }
  }
  if (options_.key_index_partition_size > 0 && !key_index_.empty()) {
    WriteKeyIndexPartition(key);
  }
  return status_;
}

bool DriftTableBuilder::WriteKeyIndexPartition(const Slice& last_key) {
  rocksdb::BlockHandle handle;
  const IOStatus s = WriteBlock(file_, key_index_.Finish(), &offset_, &handle);
  if (!s.ok()) {
    SetIOError(s);
    return false;
  }
  props_.index_size += handle.size() + kBlockTrailerSize;
  std::string encoded;
  handle.EncodeTo(&encoded);
  key_index_top_.Add(last_key, encoded);
  key_index_.Reset();
  return true;
}

Status DriftTableBuilder::WriteMetaBlocks(
    rocksdb::MetaIndexBuilder* meta_index) {
  rocksdb::BlockHandle handle;
  auto write = [&](const std::string& name, const Slice& contents) {
    IOStatus s = WriteBlock(file_, contents, &offset_, &handle);
    if (!s.ok()) {
      SetIOError(s);
      return false;
    }
    meta_index->Add(name, handle);
    return true;
  };
  // Partitioned: the partitions are written, their top level remains.
  const bool partitioned = options_.key_index_partition_size > 0;
  const Slice key_index =
      partitioned ? key_index_top_.Finish() : key_index_.Finish();
  props_.index_size += key_index.size() + kBlockTrailerSize;
  if (!write(partitioned ? kKeyIndexTopBlockName : kKeyIndexBlockName,
             key_index)) {
    return status_;
  }
  if (!range_del_.empty() &&
      !write(rocksdb::kRangeDelBlockName, range_del_.Finish())) {
    return status_;
  }
  if (bloom_) {
    std::unique_ptr<const char[]> buf;
    const Slice filter = bloom_->Finish(&buf);
    props_.filter_size = filter.size() + kBlockTrailerSize;
    props_.filter_policy_name = bloom_policy_->CompatibilityName();
    if (!write(kBloomBlockName, filter)) return status_;
  }
  std::string header;
  header_.EncodeTo(&header);
  write(kSegmentHeaderBlockName, header);
  return status_;
}

Status DriftTableBuilder::WritePropertiesAndFooter(
    rocksdb::MetaIndexBuilder* meta_index) {
  props_.comparator_name = ioptions_.user_comparator != nullptr
                               ? ioptions_.user_comparator->Name()
                               : "nullptr";
  props_.merge_operator_name = ioptions_.merge_operator != nullptr
                                   ? ioptions_.merge_operator->Name()
                                   : "nullptr";
  props_.prefix_extractor_name = moptions_.prefix_extractor != nullptr
                                     ? moptions_.prefix_extractor->AsString()
                                     : "nullptr";
  props_.compression_name = "NoCompression";
  props_.format_version = kDriftFormatVersion;
  std::string collector_names = "[";
  for (size_t i = 0; i < ioptions_.table_properties_collector_factories.size();
       ++i) {
    if (i != 0) collector_names += ",";
    collector_names +=
        ioptions_.table_properties_collector_factories[i]->Name();
  }
  props_.property_collectors_names = collector_names + "]";

  rocksdb::PropertyBlockBuilder property_block;
  property_block.AddTableProperty(props_);
  property_block.Add(kCodebookEpochProperty,
                     std::to_string(directory_.codebook_epoch));
  property_block.Add(kNumVectorsProperty, std::to_string(header_.num_vectors));
  property_block.Add(kDimensionProperty, std::to_string(header_.dimension));
  property_block.Add(kNumBucketsProperty,
                     std::to_string(directory_.buckets.size()));
  property_block.Add(kRepeatedUserKeysProperty,
                     std::to_string(repeated_user_keys_));
  if (options_.metric != Metric::kL2) {  // absent: l2 (older segments)
    property_block.Add(kMetricProperty, MetricName(options_.metric));
  }
  rocksdb::NotifyCollectTableCollectorsOnFinish(collectors_, ioptions_.logger,
                                                &property_block);
  rocksdb::BlockHandle handle;
  IOStatus s = WriteBlock(file_, property_block.Finish(), &offset_, &handle);
  if (!s.ok()) {
    SetIOError(s);
    return status_;
  }
  meta_index->Add(rocksdb::kPropertiesBlockName, handle);

  rocksdb::BlockHandle meta_index_handle;
  s = WriteBlock(file_, meta_index->Finish(), &offset_, &meta_index_handle);
  if (!s.ok()) {
    SetIOError(s);
    return status_;
  }
  rocksdb::FooterBuilder footer;
  footer.Build(kDriftTableMagicNumber, kDriftFormatVersion, offset_,
               rocksdb::kNoChecksum, meta_index_handle);
  s = file_->Append(footer.GetSlice());
  if (!s.ok()) {
    SetIOError(s);
    return status_;
  }
  offset_ += footer.GetSlice().size();
  return status_;
}

void DriftTableBuilder::Abandon() { closed_ = true; }

uint64_t DriftTableBuilder::FileSize() const {
  if (closed_) return offset_;
  return offset_ + pending_keys_.size() + pending_refs_.size() +
         (vectors_ != nullptr ? vectors_->EstimatedSize(BytesPerValue()) : 0);
}

float DriftTableBuilder::BytesPerValue() const {
  const float taught =
      feedback_ != nullptr ? feedback_->section_bytes_per_value.load() : 0;
  return taught > 0 ? taught : sampled_bytes_per_value_;
}

void DriftTableBuilder::MaybeSampleBytesPerValue() {
  const uint64_t values = uint64_t{vectors_->num_vectors()} * vectors_->dim();
  if (values < next_sample_values_) return;
  next_sample_values_ = values >= kMaxSampleValues ? UINT64_MAX : 2 * values;
  if (!vectors_->compress_floats() ||
      (feedback_ != nullptr && feedback_->section_bytes_per_value.load() > 0)) {
    return;
  }
  float measured = 0;
  // A failure here (it would fail Write() too) keeps the previous estimate.
  if (vectors_->MeasureBytesPerValue(vectors_->num_vectors(), &measured).ok() &&
      measured > 0) {
    sampled_bytes_per_value_ = measured;
    // The output will hold more rows than the raw estimate reserved for.
    ReserveVectors();
  }
}

rocksdb::TableProperties DriftTableBuilder::GetTableProperties() const {
  rocksdb::TableProperties props = props_;
  for (const auto& collector : collectors_) {
    for (const auto& prop : collector->GetReadableProperties()) {
      props.readable_properties.insert(prop);
    }
    collector->Finish(&props.user_collected_properties).PermitUncheckedError();
  }
  return props;
}

std::string DriftTableBuilder::GetFileChecksum() const {
  return file_ != nullptr ? file_->GetFileChecksum()
                          : rocksdb::kUnknownFileChecksum;
}

const char* DriftTableBuilder::GetFileChecksumFuncName() const {
  return file_ != nullptr ? file_->GetFileChecksumFuncName()
                          : rocksdb::kUnknownFileChecksumFuncName;
}

void DriftTableBuilder::SetSeqnoTimeTableProperties(
    const std::string& encoded_mapping, uint64_t oldest_ancestor_time) {
  props_.seqno_to_time_mapping = encoded_mapping;
  props_.creation_time = oldest_ancestor_time;
}

}  // namespace drift
