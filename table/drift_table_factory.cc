#include "table/drift_table_factory.h"

#include "index/rabitq.h"
#include "rocksdb/cache.h"
#include "rocksdb/utilities/options_type.h"
#include "table/drift_table_builder.h"
#include "table/drift_table_reader.h"
#include "table/metric_option.h"
#include "table/printable_options.h"
#include "util/vector_value.h"

namespace drift {
namespace {

using rocksdb::OptionType;
using rocksdb::OptionTypeFlags;
using rocksdb::OptionTypeInfo;
using rocksdb::OptionVerificationType;

const std::unordered_map<std::string, BucketCodes> kBucketCodesNames = {
    {"sq8", BucketCodes::kSQ8},
    {"rabitq", BucketCodes::kRabitQ},
    {"auto", BucketCodes::kAuto}};

// RocksDB's enum option, with a parse error that names the value and the
// accepted names.
OptionTypeInfo CodesTypeInfo() {
  OptionTypeInfo info = OptionTypeInfo::Enum<BucketCodes>(
      offsetof(DriftTableOptions, codes), &kBucketCodesNames);
  info.SetParseFunc([](const rocksdb::ConfigOptions&, const std::string&,
                       const std::string& value, void* addr) {
    const auto it = kBucketCodesNames.find(value);
    if (it == kBucketCodesNames.end()) {
      return rocksdb::Status::InvalidArgument("DriftTable: codes \"" + value +
                                              "\" is not sq8, rabitq or auto");
    }
    *static_cast<BucketCodes*>(addr) = it->second;
    return rocksdb::Status::OK();
  });
  return info;
}

const std::unordered_map<std::string, OptionTypeInfo> kTableOptionsTypeInfo = {
    {"dimension",
     {offsetof(DriftTableOptions, dimension), OptionType::kUInt32T,
      OptionVerificationType::kNormal, OptionTypeFlags::kNone}},
    {"target_bucket_size",
     {offsetof(DriftTableOptions, target_bucket_size), OptionType::kUInt32T,
      OptionVerificationType::kNormal, OptionTypeFlags::kNone}},
    {"key_index_restart_interval",
     {offsetof(DriftTableOptions, key_index_restart_interval),
      OptionType::kUInt32T, OptionVerificationType::kNormal,
      OptionTypeFlags::kNone}},
    {"key_index_partition_size",
     {offsetof(DriftTableOptions, key_index_partition_size),
      OptionType::kUInt32T, OptionVerificationType::kNormal,
      OptionTypeFlags::kNone}},
    {"bloom_bits_per_key",
     {offsetof(DriftTableOptions, bloom_bits_per_key), OptionType::kUInt32T,
      OptionVerificationType::kNormal, OptionTypeFlags::kNone}},
    {"blob_cache_size",
     {offsetof(DriftTableOptions, blob_cache_size), OptionType::kUInt64T,
      OptionVerificationType::kNormal, OptionTypeFlags::kNone}},
    {"pinned_bucket_percent",
     {offsetof(DriftTableOptions, pinned_bucket_percent), OptionType::kUInt32T,
      OptionVerificationType::kNormal, OptionTypeFlags::kNone}},
    {"blob_alignment",
     {offsetof(DriftTableOptions, blob_alignment), OptionType::kUInt32T,
      OptionVerificationType::kNormal, OptionTypeFlags::kNone}},
    {"compress_flushed_floats",
     {offsetof(DriftTableOptions, compress_flushed_floats),
      OptionType::kBoolean, OptionVerificationType::kNormal,
      OptionTypeFlags::kNone}},
    {"build_threads",
     {offsetof(DriftTableOptions, build_threads), OptionType::kUInt32T,
      OptionVerificationType::kNormal, OptionTypeFlags::kNone}},
    {"scavenge_deletion_ratio",
     {offsetof(DriftTableOptions, scavenge_deletion_ratio), OptionType::kDouble,
      OptionVerificationType::kNormal, OptionTypeFlags::kNone}},
    {"metric", MetricOptionTypeInfo(offsetof(DriftTableOptions, metric))},
    {"codes", CodesTypeInfo()},
    {"rabitq_ex_bits",
     {offsetof(DriftTableOptions, rabitq_ex_bits), OptionType::kInt32T,
      OptionVerificationType::kNormal, OptionTypeFlags::kNone}},
};

}  // namespace

rocksdb::Status CheckDriftTableOptions(const DriftTableOptions& o) {
  using rocksdb::Status;
  if (o.dimension > kMaxDimension) {
    return Status::InvalidArgument("DriftTable: dimension " +
                                   std::to_string(o.dimension) +
                                   " exceeds the maximum of 65536");
  }
  if (o.target_bucket_size == 0) {
    return Status::InvalidArgument(
        "DriftTable: target_bucket_size must be > 0");
  }
  if (o.key_index_restart_interval == 0 ||
      o.key_index_restart_interval > 1024) {
    return Status::InvalidArgument(
        "DriftTable: key_index_restart_interval must be in [1, 1024]");
  }
  if (o.key_index_partition_size > (1u << 24)) {
    return Status::InvalidArgument(
        "DriftTable: key_index_partition_size must be in [0, 16777216]");
  }
  if (o.bloom_bits_per_key > 100) {
    return Status::InvalidArgument(
        "DriftTable: bloom_bits_per_key must be in [0, 100]");
  }
  if (o.pinned_bucket_percent > 100) {
    return Status::InvalidArgument(
        "DriftTable: pinned_bucket_percent must be in [0, 100]");
  }
  const uint32_t a = o.blob_alignment;
  if (a < 512 || a > (1u << 20) || (a & (a - 1)) != 0) {
    return Status::InvalidArgument(
        "DriftTable: blob_alignment must be a power of two in [512, 1048576]");
  }
  if (o.metric != Metric::kL2 && o.metric != Metric::kInnerProduct &&
      o.metric != Metric::kCosine) {
    return Status::InvalidArgument(
        "DriftTable: metric must be l2, ip or cosine");
  }
  if (o.build_threads < 1 || o.build_threads > 64) {
    return Status::InvalidArgument(
        "DriftTable: build_threads must be in [1, 64]");
  }
  if (o.rabitq_ex_bits < -1 ||
      o.rabitq_ex_bits > static_cast<int32_t>(kRabitqMaxExBits)) {
    return Status::InvalidArgument(
        "DriftTable: rabitq_ex_bits must be -1 (auto) or in [0, 7], got " +
        std::to_string(o.rabitq_ex_bits));
  }
  if (!(o.scavenge_deletion_ratio >= 0 && o.scavenge_deletion_ratio <= 1)) {
    return Status::InvalidArgument(
        "DriftTable: scavenge_deletion_ratio must be in [0, 1]");
  }
  return Status::OK();
}

std::string DriftTableFactory::GetPrintableOptions() const {
  return PrintableOptions(*this);
}

DriftTableFactory::DriftTableFactory(const DriftTableOptions& options)
    : options_(options) {
  RegisterOptions(DriftTableOptions::kName(), &options_,
                  &kTableOptionsTypeInfo);
}

rocksdb::Status DriftTableFactory::ValidateOptions(
    const rocksdb::DBOptions& db_opts,
    const rocksdb::ColumnFamilyOptions& cf_opts) const {
  rocksdb::Status s = CheckDriftTableOptions(options_);
  if (!s.ok()) return s;
  return TableFactory::ValidateOptions(db_opts, cf_opts);
}

rocksdb::Status DriftTableFactory::NewTableReader(
    const rocksdb::ReadOptions& /*ro*/,
    const rocksdb::TableReaderOptions& table_reader_options,
    std::unique_ptr<rocksdb::RandomAccessFileReader>&& file, uint64_t file_size,
    std::unique_ptr<rocksdb::TableReader>* table_reader,
    bool /*prefetch_index_and_filter_in_cache*/) const {
  std::shared_ptr<rocksdb::Cache> cache;
  std::shared_ptr<PinBudget> pins;
  BlobCache(&cache, &pins);
  return DriftTableReader::Open(
      table_reader_options, options_, std::move(cache), std::move(pins),
      blob_cache_counters_, std::move(file), file_size, table_reader);
}

void DriftTableFactory::BlobCache(std::shared_ptr<rocksdb::Cache>* cache,
                                  std::shared_ptr<PinBudget>* pins) const {
  // Created on first use: option strings configure options_ after construction.
  std::lock_guard<std::mutex> lock(blob_cache_mu_);
  if (blob_cache_ == nullptr && options_.blob_cache_size > 0) {
    blob_cache_ = rocksdb::NewLRUCache(options_.blob_cache_size);
    if (options_.pinned_bucket_percent > 0) {
      const uint64_t size = options_.blob_cache_size;
      const uint32_t percent = options_.pinned_bucket_percent;
      pin_budget_ = std::make_shared<PinBudget>(size / 100 * percent +
                                                size % 100 * percent / 100);
    }
  }
  *cache = blob_cache_;
  *pins = pin_budget_;
}

rocksdb::TableBuilder* DriftTableFactory::NewTableBuilder(
    const rocksdb::TableBuilderOptions& table_builder_options,
    rocksdb::WritableFileWriter* file) const {
  return new DriftTableBuilder(table_builder_options, options_, file,
                               codebooks_, feedback_);
}

}  // namespace drift
